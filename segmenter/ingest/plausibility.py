"""Whole-column checks that refuse a corrupted copy instead of repairing it into a wrong answer.

A few stray values are repaired and reported, as before; a pattern across a column is a sign
the file was damaged on its way here (a spreadsheet or locale round-trip that dropped decimal
points, zeros written where values were missing, a table already standardised), and segmenting
it would give confident, wrong segments. Each refusal says what was seen, where, and what to do.
Thresholds were set on the public file, which passes every check.

Money columns are checked against each other as well as cell by cell: a column scaled as a
whole (every credit limit times a million) looks ordinary to its own median. Each column's
typical value (the median of its positive amounts) is compared with the other money columns':
on log10 scale, with the median of theirs. In the public file the typical values run from 312
(MINIMUM_PAYMENTS) to 3,000 (CREDIT_LIMIT), and no column is more than 5.0 times above or 2.9
times below the others' (the bundled sample: 4.7 and 2.7); `COLUMN_SCALE`, 100 times, leaves a
margin of 20. A bound per row against the customer's credit limit was measured and left out:
the public file's payments reach 151 times the credit limit (cash advances 114 times), too
close to a lost decimal point's 1,000 to add a safe margin.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.report import Finding
from segmenter.ingest.schema import FEATURE_COLUMNS, FREQUENCY_COLUMNS, MONEY_COLUMNS

__all__ = [
    "COLUMN_SCALE",
    "MONEY_SCALE",
    "ROW",
    "check_money_scale",
    "refuse_implausible_shares",
    "refuse_scaled_columns",
    "refuse_scaled_money_column",
    "refuse_standardised",
    "refuse_zero_filled",
    "stray_limit",
]

ROW = "__row"  # the spreadsheet row number of each customer row (header is row 1)
# A money value above this many times its column's median of non-zero values is off by orders
# of magnitude: the public file's largest is 245 times (a minimum payment), most under 100.
MONEY_SCALE = 300.0
# A money column whose typical value is this many times above or below the other money columns'
# is scaled as a whole (see the module docstring for the public file's spread).
COLUMN_SCALE = 100.0
# Positive amounts a column needs for its typical value to count, and columns to compare.
MIN_TYPICAL_VALUES = 30
MIN_COMPARED_COLUMNS = 4
# Columns that are never 0 in the public file: zeros there stand in for values that are missing.
NEVER_ZERO = ("CREDIT_LIMIT", "MINIMUM_PAYMENTS")
_REEXPORT = "re-export the file from its source"


def stray_limit(rows: int) -> int:
    """How many odd values in a column are strays to repair; more is a pattern to refuse."""
    return max(1, int(0.002 * rows))


def _example(hits: pl.DataFrame, column: str) -> str:
    first = hits.row(0, named=True)
    return f"row {first[ROW]}: {first[column]:,.10g}"


def refuse_standardised(frame: pl.DataFrame, source: str) -> None:
    """Refuse a table of z-scores: money below zero everywhere, every column centred on 0."""
    stats = frame.select(
        *(pl.col(c).mean().alias(f"{c}:mean") for c in FEATURE_COLUMNS),
        *(pl.col(c).std().alias(f"{c}:std") for c in FEATURE_COLUMNS),
        *((pl.col(c) < 0).mean().alias(f"{c}:neg") for c in MONEY_COLUMNS),
    ).row(0, named=True)
    centred = sum(
        1
        for c in FEATURE_COLUMNS
        if stats[f"{c}:mean"] is not None
        and abs(stats[f"{c}:mean"]) < 0.1
        and 0.8 < (stats[f"{c}:std"] or 0) < 1.2
    )
    negative = sum(1 for c in MONEY_COLUMNS if (stats[f"{c}:neg"] or 0) > 0.2)
    if centred >= len(FEATURE_COLUMNS) - 2 and negative >= len(MONEY_COLUMNS) // 2:
        raise InputError(
            f"{source}: the values look standardised (z-scores): {centred} of "
            f"{len(FEATURE_COLUMNS)} columns have mean 0 and standard deviation 1, and money "
            "columns hold negative amounts; upload the file as it was before scaling (the "
            "product scales the values itself)"
        )


def refuse_implausible_shares(
    frame: pl.DataFrame, column: str, ceiling: float, source: str
) -> None:
    """A share column with many values above its ceiling holds percentages or lost decimals."""
    hits = frame.filter(pl.col(column) > ceiling)
    if hits.height <= stray_limit(frame.height):
        return
    values = hits.get_column(column)
    low, high = float(values.min()), float(values.max())  # type: ignore[arg-type]
    seen = (
        f"column {column}: {hits.height:,} of {frame.height:,} values are above {ceiling:g} "
        f"(between {low:,.10g} and {high:,.10g}), e.g. {_example(hits, column)}"
    )
    if float(values.median()) > 100:  # type: ignore[arg-type]
        first = float(hits.row(0, named=True)[column])
        raise InputError(
            f"{source}: {seen}; it must be a share between 0 and 1, and the decimal point looks "
            f"lost in a re-save ({_with_point(first, ceiling)} written as {first:,.10g}); "
            f"{_REEXPORT} with decimal points"
        )
    raise InputError(
        f"{source}: {seen}; it must be a share between 0 and 1 (if it holds percentages, "
        "divide them by 100)"
    )


def _typical_amounts(frame: pl.DataFrame) -> dict[str, tuple[float | None, int]]:
    """Each money column's typical amount (the median of its positive values, None when it has
    none) and how many positive values it has, in one pass."""
    positive = [pl.col(c).filter(pl.col(c) > 0) for c in MONEY_COLUMNS]
    stats = frame.select(
        *(p.median().alias(f"{c}:typical") for c, p in zip(MONEY_COLUMNS, positive, strict=True)),
        *(p.len().alias(f"{c}:count") for c, p in zip(MONEY_COLUMNS, positive, strict=True)),
    ).row(0, named=True)
    return {c: (stats[f"{c}:typical"], stats[f"{c}:count"]) for c in MONEY_COLUMNS}


def refuse_scaled_money_column(
    frame: pl.DataFrame,
    source: str,
    amounts: Mapping[str, tuple[float | None, int]] | None = None,
) -> None:
    """Refuse a money column whose typical value is off by `COLUMN_SCALE` from the others'
    (`amounts`: the frame's `_typical_amounts`, when already known)."""
    amounts = _typical_amounts(frame) if amounts is None else amounts
    typical = {
        c: float(value)
        for c, (value, count) in amounts.items()
        if value is not None and count >= MIN_TYPICAL_VALUES
    }
    refuse_scaled_columns(typical, source)


def refuse_scaled_columns(typical: Mapping[str, float], source: str) -> None:
    """Refuse a money column whose typical value (the median of its positive values, given for
    the columns with at least MIN_TYPICAL_VALUES of them) is off by `COLUMN_SCALE` from the
    others'. One rule for both engines: the Spark engine gives its approximate medians."""
    logs = {c: math.log10(v) for c, v in typical.items()}
    if len(logs) < MIN_COMPARED_COLUMNS:
        return
    # Each against the median of the others: one scaled column cannot move its own yardstick.
    off = {c: v - statistics.median(o for n, o in logs.items() if n != c) for c, v in logs.items()}
    limit = math.log10(COLUMN_SCALE)
    scaled = sorted((c for c, v in off.items() if abs(v) > limit), key=lambda c: -abs(off[c]))
    if not scaled:
        return
    column = scaled[0]
    amount, ratio = typical[column], 10 ** abs(off[column])
    also = f" (so is {', '.join(scaled[1:])})" if len(scaled) > 1 else ""
    raise InputError(
        f"{source}: column {column}: its typical amount ({amount:,.2f}, the median of its "
        f"positive values) is about {_rounded(ratio):,.0f} times "
        f"{'larger' if off[column] > 0 else 'smaller'} than the other money columns' "
        f"({amount / 10 ** off[column]:,.2f}){also}: the column looks scaled by a lost decimal "
        f"point or written in another currency unit; {_REEXPORT} with decimal points and every "
        "amount in the same currency unit"
    )


def _rounded(value: float) -> float:
    """`value` to two significant digits: 4,109,589 -> 4,100,000."""
    return round(value, 1 - math.floor(math.log10(value)))


def _with_point(value: float, ceiling: float) -> str:
    """`value` divided by the power of ten that brings it to at most `ceiling`: what it was
    before its decimal point was lost (166,667 -> 0.166667; 875 -> 0.875)."""
    digits = max(1, math.ceil(math.log10(value / ceiling)))
    while value / 10**digits > ceiling:  # log10 may round just below a power of ten
        digits += 1
    return f"{value / 10**digits:.10g}"


def check_money_scale(frame: pl.DataFrame, source: str) -> tuple[pl.DataFrame, list[Finding]]:
    """Money values off by orders of magnitude: a column scaled as a whole, or many values
    within a column, refused; a few set missing and listed."""
    # Each column's typical amount, once: setting one column's outliers missing below leaves
    # the others' as they were.
    amounts = _typical_amounts(frame)
    refuse_scaled_money_column(frame, source, amounts)
    findings: list[Finding] = []
    for column in MONEY_COLUMNS:
        col = pl.col(column)
        typical, _ = amounts[column]
        if typical is None:
            continue
        limit = MONEY_SCALE * float(typical)
        hits = frame.filter(col > limit)
        if not hits.height:
            continue
        example = _example(hits, column)
        if hits.height > stray_limit(frame.height):
            raise InputError(
                f"{source}: column {column}: {hits.height:,} values are more than "
                f"{MONEY_SCALE:,.0f} times the column's typical value ({float(typical):,.2f}), "
                f"e.g. {example}: the amounts look scaled by a lost decimal point or separator; "
                f"{_REEXPORT} with plain numbers and a decimal point"
            )
        findings.append(
            Finding(
                issue="implausible",
                column=column,
                count=hits.height,
                action=(
                    f"more than {MONEY_SCALE:,.0f} times the column's typical value: set "
                    "missing, then filled with the column median when segmenting"
                ),
                example=example,
            )
        )
        frame = frame.with_columns(pl.when(col > limit).then(None).otherwise(col).alias(column))
    return frame, findings


def refuse_zero_filled(frame: pl.DataFrame, source: str) -> None:
    """Zeros in a column that is never 0 and has no missing value: empty cells written as 0."""
    for column in NEVER_ZERO:
        series = frame.get_column(column)
        zeros = frame.filter(pl.col(column) == 0)
        if series.null_count() == 0 and zeros.height > stray_limit(frame.height):
            raise InputError(
                f"{source}: column {column}: {zeros.height:,} values are exactly 0 and none is "
                f"missing, e.g. row {zeros.row(0, named=True)[ROW]}; a card holder's "
                f"{column.lower().replace('_', ' ')} is never 0, so these look like missing "
                f"values written as 0; {_REEXPORT} with empty cells where values are missing"
            )


# The share columns and their ceilings (CASH_ADVANCE_FREQUENCY reaches 1.5 in the public file).
SHARE_CEILINGS = {name: 1.0 for name in FREQUENCY_COLUMNS} | {"CASH_ADVANCE_FREQUENCY": 1.5}
