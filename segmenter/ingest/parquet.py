"""Parquet read within limits: the footer says how many rows and columns before any is read.

A file of a few megabytes can hold tens of millions of rows that compress to almost nothing:
the rows times columns in its footer are checked first. (`segmenter.streaming` reads a file too
large for this limit in batches instead.)
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.limits import ReadLimits, raise_with

__all__ = ["read_parquet"]

_ERRORS = (pl.exceptions.PolarsError, OSError, ValueError)


def read_parquet(source: Path | bytes, name: str, limits: ReadLimits) -> pl.DataFrame:
    """The whole file as a frame; refused from its footer when it holds too many cells."""
    try:
        scan = pl.scan_parquet(_readable(source))
        rows = int(scan.select(pl.len()).collect().item())
        columns = scan.collect_schema().len()
    except _ERRORS as error:
        raise InputError(_unreadable(name)) from error
    if rows * columns > limits.max_cells:
        raise InputError(
            f"{name}: {rows:,} rows of {columns:,} columns, more than the {limits.max_cells:,} "
            f"cells read into memory at once ({raise_with('max_cells')})"
        )
    try:
        return pl.read_parquet(_readable(source))
    except _ERRORS as error:
        raise InputError(_unreadable(name)) from error


def _readable(source: Path | bytes) -> Path | io.BytesIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source


def _unreadable(name: str) -> str:
    return f"{name}: not a readable Parquet file (damaged or cut short)"
