"""Parquet read within limits: the footer says what reading would cost before any row is read.

A file of a few kilobytes can hold tens of millions of rows that compress to almost nothing, or
one value of hundreds of megabytes. The footer gives the rows, the columns and the size of each
column chunk once decompressed: the cells, the longest value a chunk can hold and the memory the
table would take are checked from it first, and what it cannot tell (the length of values kept
once in a dictionary and repeated) once read. (`segmenter.streaming` and `ingest.batches` read a
file too large for memory in batches instead, see `too_large`.)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.limits import ReadLimits, raise_with, refuse_long_values

__all__ = ["Footer", "read_footer", "read_parquet", "refuse_by_footer", "too_large"]

# ArrowInvalid is a ValueError; the reader panics on some damaged pages (a BaseException).
_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError)
_TEXT = frozenset({"BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"})
_NUMBER_BYTES = 8  # every feature becomes a Float64; other values are no wider
_VIEW_BYTES = 16  # a text value's view in a Polars frame, besides its characters
_VALUE_OVERHEAD = 64  # a plain value's length prefix, generously with its share of page headers
_UTF8_BYTES = 4  # the most bytes one character takes in UTF-8
_MB = 1 << 20


@dataclass(frozen=True)
class Footer:
    """What a Parquet file's footer says reading it whole would take."""

    rows: int
    columns: int  # top-level columns, as a frame has them
    table_bytes: int  # the frame in memory, text counted at its size in the file once inflated
    # The text chunk with the most bytes a value, as (column, values, bytes once inflated).
    widest: tuple[str, int, int] | None


def read_footer(source: Path | bytes, name: str) -> Footer:
    """The footer of a Parquet file on disk or in memory; an InputError when it cannot be read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(io.BytesIO(source) if isinstance(source, bytes) else source)
        meta = parquet.metadata
        columns = len(parquet.schema_arrow)
        chunks = [
            meta.row_group(g).column(c)
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
        ]
    except (*_ERRORS, pa.ArrowException) as error:
        raise InputError(_unreadable(name)) from error
    table, widest, most = 0, None, 0.0
    for chunk in chunks:
        if chunk.physical_type not in _TEXT:
            table += _NUMBER_BYTES * chunk.num_values
            continue
        size, values = chunk.total_uncompressed_size, max(chunk.num_values, 1)
        table += _VIEW_BYTES * values + size
        if size / values > most:
            widest, most = (chunk.path_in_schema, values, size), size / values
    return Footer(rows=int(meta.num_rows), columns=columns, table_bytes=table, widest=widest)


def too_large(footer: Footer, limits: ReadLimits) -> bool:
    """True when the table would hold more cells, or take more memory, than one read allows."""
    return (
        footer.rows * footer.columns > limits.max_cells
        or footer.table_bytes > limits.max_table_mb * _MB
    )


def refuse_by_footer(footer: Footer, name: str, limits: ReadLimits) -> None:
    """Refuse a file holding a value longer than allowed, as its footer shows.

    A text chunk's values cannot average more bytes than the chunk holds once inflated: above
    4 bytes a character for the longest value allowed, one of them is too long. (A dictionary
    keeps a value once however often it repeats: `read_parquet` measures it once read.)
    """
    if footer.widest is None:
        return
    column, values, size = footer.widest
    if size - _VALUE_OVERHEAD * values > _UTF8_BYTES * limits.max_field_chars * values:
        held = f"{values:,} value{'' if values == 1 else 's'} in {_megabytes(size)}"
        raise InputError(
            f"{name}: column {column} holds a value of more than {limits.max_field_chars:,} "
            f"characters ({held}), more than allowed in one cell "
            f"({raise_with('max_field_chars')})"
        )


def read_parquet(source: Path | bytes, name: str, limits: ReadLimits) -> pl.DataFrame:
    """The whole file as a frame; refused from its footer when reading it would cost too much.

    Once read, the text is measured: a dictionary keeps a value once however often it repeats,
    and a frame holds it once until the text is changed. Text past the table's limit is refused,
    so that the table stays under twice the limit whatever the footer says.
    """
    footer = read_footer(source, name)
    if footer.rows * footer.columns > limits.max_cells:
        raise InputError(
            f"{name}: {footer.rows:,} rows of {footer.columns:,} columns, more than the "
            f"{limits.max_cells:,} cells read into memory at once ({raise_with('max_cells')})"
        )
    refuse_by_footer(footer, name, limits)
    _refuse_table(footer.table_bytes, "the table would take", name, limits)
    try:
        frame = pl.read_parquet(io.BytesIO(source) if isinstance(source, bytes) else source)
    except _ERRORS as error:
        raise InputError(_unreadable(name)) from error
    refuse_long_values(frame, name, limits)
    _refuse_table(_text_bytes(frame), "its text takes", name, limits)
    return frame


def _refuse_table(size: int, what: str, name: str, limits: ReadLimits) -> None:
    if size > limits.max_table_mb * _MB:
        raise InputError(
            f"{name}: {what} about {_megabytes(size)} in memory read whole, more than the "
            f"{limits.max_table_mb:,} MB allowed ({raise_with('max_table_mb')})"
        )


def _text_bytes(frame: pl.DataFrame) -> int:
    """The bytes of the frame's text values, each counted at its length wherever it repeats."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text:
        return 0
    length = pl.sum_horizontal(pl.col(text).str.len_bytes().cast(pl.UInt64).sum())
    return int(frame.select(length).item())


def _megabytes(size: int) -> str:
    if size < _MB:
        return f"{size / 1024:,.0f} kB"
    return f"{size / _MB:,.0f} MB" if size >= 10 * _MB else f"{size / _MB:,.1f} MB"


def _unreadable(name: str) -> str:
    return f"{name}: not a readable Parquet file (damaged or cut short)"
