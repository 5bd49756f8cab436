"""A table as read from a file, before any check: what reading hands to the quality checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

__all__ = ["Format", "RawTable"]

Format = Literal["csv", "parquet", "excel"]


@dataclass(frozen=True)
class RawTable:
    """A table as read from a file: column names as the user wrote them, values not yet checked."""

    frame: pl.DataFrame
    source: str
    format: Format
    delimiter: str | None = None
    encoding: str | None = None
    decimal_comma: bool = False
