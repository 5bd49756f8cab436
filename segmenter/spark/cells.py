"""Cells read as the single-machine reader reads them (segmenter.ingest.cells), in Spark
expressions: text parsed to finite doubles, blanks and null tokens missing, anything else that
is not a number counted as such."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segmenter.ingest.cells import NULL_TOKENS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["column", "not_a_number", "parsed"]


def column(name: str) -> Column:
    """A column by its exact name, whatever characters it holds (dots, spaces, backticks)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _is_numeric(raw: DataFrame, name: str) -> bool:
    """Whether the source typed the column as numbers (Parquet, a table), not text (CSV)."""
    from pyspark.sql.types import NumericType

    return isinstance(raw.schema[name].dataType, NumericType)


def parsed(raw: DataFrame, name: str) -> Column:
    """The cell as a finite double, or null (blank, a null token, not a number, NaN, inf)."""
    from pyspark.sql import functions as F

    if _is_numeric(raw, name):
        value = column(name).cast("double")
    else:
        value = F.trim(column(name).cast("string")).try_cast("double")
    return F.when(~F.isnan(value) & (F.abs(value) < float("inf")), value)


def not_a_number(raw: DataFrame, name: str) -> Column:
    """A cell that holds something, but not a finite number (NaN counts as missing)."""
    from pyspark.sql import functions as F

    if _is_numeric(raw, name):
        return F.coalesce(F.abs(column(name).cast("double")) == float("inf"), F.lit(False))
    text = F.trim(column(name).cast("string"))
    value = text.try_cast("double")
    # Only a cell that is not a number is compared with the null tokens: comparing every cell
    # made this check cost three times the parsing.
    unparsed = text.isNotNull() & ~F.lower(text).isin(*NULL_TOKENS)
    return F.when(value.isNull(), unparsed).otherwise(F.abs(value) == float("inf"))
