"""The `segmenter` command line: thin commands over the package; bad input exits 2 with one line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from segmenter.errors import InputError

__all__ = ["app", "main"]

app = typer.Typer(
    name="segmenter",
    help="Segment credit-card customers and describe each segment.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_DEBUG = False


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of failures.")] = False,
) -> None:
    global _DEBUG
    _DEBUG = debug


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="CSV, Parquet or Excel file of card holders.")],
) -> None:
    """Check a file and print its data-quality report; exit 2 when it cannot be used."""
    from segmenter.io import load_customers

    loaded = load_customers(file)
    typer.echo(loaded.report.render())


def main(argv: list[str] | None = None) -> None:
    """Run the command line; the project's input errors become one line on stderr and exit 2."""
    try:
        app(args=argv)  # standalone: usage errors exit 2 and --help exits 0, as click does
    except InputError as error:
        if _DEBUG:
            raise
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
