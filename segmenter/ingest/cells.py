"""Turn text cells into numbers the way people write them: '1,234.50', '1.234,50', ' 95.4 '."""

from __future__ import annotations

import polars as pl

__all__ = ["NULL_TOKENS", "is_null_token", "parse_number", "parse_numbers"]

# Cells that mean "no value" in common exports; they count as missing, not as bad numbers.
NULL_TOKENS: tuple[str, ...] = ("", "na", "n/a", "nan", "null", "none", "-", "?", "#n/a", "nat")

_THOUSANDS_POINT = r"^[-+]?\d{1,3}(\.\d{3})+(,\d*)?$"
_THOUSANDS_COMMA = r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$"


def is_null_token(text: pl.Expr) -> pl.Expr:
    """Null or one of NULL_TOKENS, ignoring case and surrounding spaces."""
    return text.is_null() | text.str.strip_chars().str.to_lowercase().is_in(NULL_TOKENS)


def parse_number(text: pl.Expr, *, decimal_comma: bool) -> pl.Expr:
    """Parse a String expression to Float64; anything unparseable becomes null.

    Spaces, non-breaking spaces, apostrophes (Swiss thousands) and currency signs are dropped.
    Thousands separators are removed only where the grouping is unambiguous, so '1,5' in a
    decimal-point file is refused as a number rather than read as 15.
    """
    cleaned = text.str.strip_chars().str.replace_all(r"[\s\u00a0'$€£]", "")
    if decimal_comma:
        cleaned = (
            pl.when(cleaned.str.contains(_THOUSANDS_POINT))
            .then(cleaned.str.replace_all(".", "", literal=True))
            .otherwise(cleaned)
            .str.replace(",", ".", literal=True)
        )
    else:
        cleaned = (
            pl.when(cleaned.str.contains(_THOUSANDS_COMMA))
            .then(cleaned.str.replace_all(",", "", literal=True))
            .otherwise(cleaned)
        )
    return cleaned.cast(pl.Float64, strict=False)


def parse_numbers(text: pl.Series, *, decimal_comma: bool) -> pl.Series:
    """Parse a String column to Float64 like `parse_number`, fast when the column is clean.

    Most columns are plain numbers: a direct cast reads them at once, and only a column with
    cells the cast cannot read pays for the regular expressions.
    """
    frame = text.to_frame("text")
    raw = pl.col("text")
    stripped = raw.str.strip_chars()
    # In a decimal-comma file '1.234' may be a thousands separator: only the full parser knows.
    ambiguous = (
        decimal_comma and frame.select(stripped.str.contains(".", literal=True).any()).item()
    )
    if not ambiguous:
        readable = stripped.str.replace(",", ".", literal=True) if decimal_comma else stripped
        fast = readable.cast(pl.Float64, strict=False)
        attempt = frame.select(
            fast.alias(text.name), (fast.is_null() & ~is_null_token(raw)).alias("unread")
        )
        if not attempt.get_column("unread").any():
            return attempt.get_column(text.name)
    return frame.select(parse_number(raw, decimal_comma=decimal_comma).alias(text.name)).to_series()
