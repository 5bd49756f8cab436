"""How much reading one file may cost: limits with defaults, each raised by an environment variable.

Readers take a `ReadLimits` as a parameter; `limits_from_env` is the one place the variables are
read (the command line calls it). Every refusal names the variable that would let the file in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

import polars as pl

from segmenter.errors import InputError

__all__ = ["ENV_VARS", "ReadLimits", "limits_from_env", "raise_with", "refuse_long_values"]


@dataclass(frozen=True)
class ReadLimits:
    """What one file may make the reader hold, checked before or while it is read."""

    # Rows x columns read into memory at once: 20,000,000 rows (where `segment` starts
    # streaming a Parquet file) of the 18 columns and a few more; about 3 GB as numbers.
    max_cells: int = 400_000_000
    # A Parquet file's table read whole, from its footer (8 bytes a number, text at its size):
    # about 3,500,000 rows of the 18 columns, which `validate` checks within 1.5 GB. Past it
    # `validate` and `segment` read the file in batches and the app refuses it.
    max_table_mb: int = 512
    # One CSV value: an id or a number is a few dozen characters; this is a pasted document.
    max_field_chars: int = 100_000
    # The first line of a CSV file: about 3,000 column names.
    max_header_bytes: int = 65_536
    # What a workbook (a zip) may inflate to: a full Excel sheet (1,048,576 rows) of the 18
    # columns is about 800 MB of XML; reading it takes about three times as much memory.
    max_expanded_mb: int = 1_024
    # Sheets of real data compress 5 to 20 times; a repeated row compresses a thousand times.
    max_compression_ratio: int = 100


ENV_VARS = {
    "max_cells": "SEGMENTER_MAX_CELLS",
    "max_table_mb": "SEGMENTER_MAX_TABLE_MB",
    "max_field_chars": "SEGMENTER_MAX_FIELD_CHARS",
    "max_header_bytes": "SEGMENTER_MAX_HEADER_BYTES",
    "max_expanded_mb": "SEGMENTER_MAX_EXPANDED_MB",
    "max_compression_ratio": "SEGMENTER_MAX_COMPRESSION_RATIO",
}


def limits_from_env(environ: Mapping[str, str] | None = None) -> ReadLimits:
    """The limits, each from its SEGMENTER_MAX_* variable when set; the one place they are read."""
    env = os.environ if environ is None else environ
    values: dict[str, int] = {}
    for field in fields(ReadLimits):
        name = ENV_VARS[field.name]
        raw = env.get(name, "").strip().replace("_", "").replace(",", "")
        if not raw:
            continue
        if not raw.isdigit() or int(raw) <= 0:
            raise InputError(f"{name} must be a positive whole number, not {env[name]!r}")
        values[field.name] = int(raw)
    return ReadLimits(**values)


def raise_with(limit: str) -> str:
    """How to let a refused file in: "set SEGMENTER_MAX_CELLS higher to allow more"."""
    return f"set {ENV_VARS[limit]} higher to allow more"


def refuse_long_values(
    frame: pl.DataFrame, name: str, limits: ReadLimits, *, first_row: int = 2
) -> None:
    """Refuse a table holding a value longer than allowed, naming its row: the frame's first
    row is row `first_row` of the file (2 under the header).

    Only text columns are measured, in one vectorised pass (numbers are never long).
    """
    text = [column for column, dtype in frame.schema.items() if dtype == pl.String]
    longest = pl.max_horizontal(pl.col(text).str.len_bytes().max()) if text else None
    if longest is None or (frame.select(longest).item() or 0) <= limits.max_field_chars:
        return  # no value has more bytes, so none has more characters
    chars = pl.max_horizontal(pl.col(text).str.len_chars()).alias("chars")
    over = frame.select(chars).with_row_index().filter(pl.col("chars") > limits.max_field_chars)
    if over.height:
        index, length = over.row(0)
        raise InputError(
            f"{name}: row {index + first_row} has a value of {length:,} characters, more than "
            f"the {limits.max_field_chars:,} allowed in one cell ({raise_with('max_field_chars')})"
        )
