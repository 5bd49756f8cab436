"""The one place outputs are written: atomically, and CSV cells made safe to open in a spreadsheet.

Atomic: every file is written to a temporary file in its own directory, flushed and fsynced,
then renamed over the target with `os.replace`. A run that is interrupted (an exception, a
kill, a full disk) leaves the previous file or the new one, never half of one. `write_all`
prepares several files before renaming any, so a failure while preparing them leaves every
old file in place.

Spreadsheet-safe (OWASP CSV injection): a text cell, customer ids and headers included, that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading single quote, so
Excel, LibreOffice and Google Sheets show it as text instead of running it as a formula.
Only text cells are changed: numbers in numeric columns (a segment of -1, a negative score)
are written as numbers, which a spreadsheet cannot run. A cell that already starts with a
quote is left alone, so neutralising twice changes nothing. The test is made on the cell's
first characters after Unicode NFKC normalisation, as some spreadsheet applications normalise
input: fullwidth and small forms (U+FF1D, U+FF0B, U+FF0D, U+FF20, U+FE66...) count as the
signs they stand for, and so does the minus sign U+2212.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import polars as pl

__all__ = [
    "FORMULA_PREFIXES",
    "Content",
    "atomic_write",
    "csv_bytes",
    "csv_content",
    "neutralise",
    "neutralise_text",
    "restore_text",
    "write_all",
    "write_bytes",
    "write_csv",
    "write_text",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What `write_all` writes: bytes, or a function that writes them to the open file.
Content = bytes | Callable[[IO[bytes]], None]
_FORMULA_START = r"^[=+\-@\t\r\u2212]"
_LOOK_AHEAD = 4  # characters normalised to judge a cell: a sign is one, NFKC may shorten


def neutralise_text(text: str) -> str:
    """One cell: a leading single quote when the text would start a formula."""
    start = unicodedata.normalize("NFKC", text[:_LOOK_AHEAD])
    return "'" + text if start.startswith((*FORMULA_PREFIXES, "\u2212")) else text


def restore_text(column: pl.Series) -> pl.Series:
    """A text column as it was before `neutralise`: the quote it put before a formula-like
    cell taken off again (a cell that starts with a quote of its own keeps it)."""
    rest = pl.col("cell").str.slice(1)
    quoted = pl.col("cell").str.starts_with("'") & _formula_like(rest)
    cells = pl.DataFrame({"cell": column.cast(pl.String)})
    return cells.select(pl.when(quoted).then(rest).otherwise("cell")).to_series().alias(column.name)


def _formula_like(text: pl.Expr) -> pl.Expr:
    """Whether a cell would start a formula in a spreadsheet (what `neutralise` quotes)."""
    return text.str.slice(0, _LOOK_AHEAD).str.normalize("NFKC").str.contains(_FORMULA_START)


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column (and the header) with formula-like cells quoted; numbers untouched."""
    text_columns = [
        name
        for name, dtype in frame.schema.items()
        if dtype == pl.String or dtype == pl.Categorical or isinstance(dtype, pl.Enum)
    ]
    fixed = frame.with_columns(
        pl.when(_formula_like(pl.col(name).cast(pl.String)))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name in text_columns
    )
    return fixed.rename({name: neutralise_text(name) for name in fixed.columns})


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as spreadsheet-safe CSV (UTF-8, comma-separated, a header row)."""
    return neutralise(frame).write_csv().encode("utf-8")


def csv_content(frame: pl.DataFrame) -> Content:
    """Spreadsheet-safe CSV for `write_all`, streamed to the file rather than held as bytes."""
    safe = neutralise(frame)
    return lambda out: safe.write_csv(out)


def _umask() -> int:
    # Read without changing it where the system tells (os.umask would race other threads).
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def _mode_for(path: Path) -> int:
    """Keep the permissions of the file replaced; a new file gets what open() would give it."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every system can open a directory.
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


@contextmanager
def _staged(path: Path) -> Iterator[tuple[IO[bytes], Path]]:
    """A temporary file beside `path`, removed again unless the caller renamed it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out, tmp
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _mode_for(path))
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_write(path: Path) -> Iterator[IO[bytes]]:
    """A binary file to write `path` through; it replaces `path` only when the block ends well."""
    with _staged(path) as (out, tmp):
        yield out
    _replace([(tmp, path)])


def _replace(staged: list[tuple[Path, Path]]) -> None:
    """Rename staged files over their targets; what could not be renamed is removed."""
    try:
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    for directory in {path.parent for _, path in staged}:
        _fsync_directory(directory)


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_write(path) as out:
        out.write(data)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 `text` to `path` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """Write `frame` as spreadsheet-safe CSV to `path` atomically."""
    write_bytes(path, csv_bytes(frame))


def write_all(files: Mapping[Path, Content]) -> None:
    """Write several files: all are staged and fsynced before the first rename.

    An error while staging leaves every old file as it was; the renames that follow are each
    atomic, and nothing but a crash can come between them.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            with _staged(path) as (out, tmp):
                data(out) if callable(data) else out.write(data)
            staged.append((tmp, path))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    _replace(staged)
