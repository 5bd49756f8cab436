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


@app.command()
def sample(
    rows: Annotated[int, typer.Option("--rows", help="How many customers to make.")],
    out: Annotated[Path, typer.Option("--out", help="File to write: .csv or .parquet.")],
    seed: Annotated[
        int, typer.Option("--seed", help="Seed: the same seed gives the same file.")
    ] = 0,
) -> None:
    """Write synthetic customers in the CC GENERAL schema, calibrated on the real file."""
    from segmenter.synthetic import write_customers

    write_customers(out, rows=rows, seed=seed)
    typer.echo(f"wrote {rows:,} synthetic customers (seed {seed}) to {out}")


@app.command()
def brief(
    run_dir: Annotated[Path, typer.Argument(help="Directory written by `segmenter segment`.")],
    out: Annotated[Path, typer.Option("--out", help="Brief to write: a .md or .html file.")],
    offline: Annotated[
        bool, typer.Option("--offline", help="Rule-based narratives only; no LLM is called.")
    ] = False,
) -> None:
    """Write personas, products and a campaign brief, with brief.json and audiences/ beside it."""
    from narratives.brief import write_brief
    from narratives.config import build_writer, settings_from_env
    from narratives.shelf import load_shelf

    shelf = load_shelf()
    writer = build_writer(
        settings_from_env(), shelf=shelf, offline=offline, cache_dir=out.parent / "llm-cache"
    )
    done = write_brief(run_dir, out, writer=writer, shelf=shelf)
    typer.echo(f"Narratives: {done.narratives}")
    for section in done.sections:
        if section.persona.fallback_reason and not section.segment.coarse:
            reason = section.persona.fallback_reason
            typer.echo(f"segment {section.segment.id}: rule-based persona ({reason})")
    typer.echo(f"wrote {out}, {out.parent / 'brief.json'} and {out.parent / 'audiences'}")


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
