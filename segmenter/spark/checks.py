"""The single-machine range and consistency checks as Spark column expressions, and the
report's findings from their counts (segmenter.ingest.quality and .plausibility)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from segmenter.errors import InputError
from segmenter.ingest.plausibility import MONEY_SCALE, SHARE_CEILINGS, stray_limit
from segmenter.ingest.quality import MAX_INVALID_SHARE, TOO_LARGE
from segmenter.ingest.report import Finding, Issue
from segmenter.ingest.schema import (
    COUNT_COLUMNS,
    FEATURE_COLUMNS,
    FREQUENCY_COLUMNS,
    ID_COLUMN,
    MONEY_COLUMNS,
)

if TYPE_CHECKING:
    from pyspark.sql import Column

__all__ = [
    "FILLED",
    "findings",
    "fixed_values",
    "range_flags",
    "refuse_implausible_shares",
    "refuse_money_scale",
    "refuse_unparsable",
]

FILLED = "filled with the column median when segmenting"


def fixed_values() -> dict[str, Column]:
    """Each feature with the single-machine repairs: too large -> missing, negatives -> 0,
    shares clipped to their ceiling, tenures under a month -> missing."""
    from pyspark.sql import functions as F

    fixed: dict[str, Column] = {}
    for c in FEATURE_COLUMNS:
        value = F.when(F.abs(F.col(c)) <= TOO_LARGE, F.col(c))
        if c in (*MONEY_COLUMNS, *COUNT_COLUMNS, *FREQUENCY_COLUMNS):
            value = F.when(value < 0, F.lit(0.0)).otherwise(value)
        if c in SHARE_CEILINGS:
            value = F.when(value > SHARE_CEILINGS[c], F.lit(SHARE_CEILINGS[c])).otherwise(value)
        if c == "TENURE":
            value = F.when(value >= 1, value)
        fixed[c] = value
    return fixed


def range_flags() -> dict[str, Column]:
    """Named conditions over the parsed values, each counted over the rows kept."""
    from pyspark.sql import functions as F

    flags: dict[str, Column] = {}
    for c in FEATURE_COLUMNS:
        flags[f"{c}:too_large"] = F.abs(F.col(c)) > TOO_LARGE
        small = F.abs(F.col(c)) <= TOO_LARGE
        if c in (*MONEY_COLUMNS, *COUNT_COLUMNS, *FREQUENCY_COLUMNS):
            flags[f"{c}:below_zero"] = small & (F.col(c) < 0)
        if c in SHARE_CEILINGS:
            ceiling = SHARE_CEILINGS[c]
            flags[f"{c}:above_ceiling"] = small & (F.col(c) > ceiling)
            if ceiling > 1:
                flags[f"{c}:above_one"] = small & (F.col(c) > 1) & (F.col(c) <= ceiling)
    flags["TENURE:short"] = (F.abs(F.col("TENURE")) <= TOO_LARGE) & (F.col("TENURE") < 1)
    return flags


def refuse_unparsable(tally: Mapping[str, int], source: str) -> None:
    """Refuse a book with a column whose cells are too often not numbers, naming the first."""
    rows = tally["rows"]
    bad = [
        (c, n)
        for c in FEATURE_COLUMNS
        if (n := tally[f"{c}:not_a_number"]) > MAX_INVALID_SHARE * rows
    ]
    if bad:
        more = f" (and {len(bad) - 1} more columns)" if len(bad) > 1 else ""
        c, n = bad[0]
        raise InputError(f"{source}: column {c}: {n:,} of {rows:,} values are not numbers{more}")


def refuse_implausible_shares(tally: Mapping[str, int], rows: int, source: str) -> None:
    """Refuse a share column with many values above its ceiling: percentages, not shares."""
    for c, ceiling in SHARE_CEILINGS.items():
        if (n := tally[f"{c}:above_ceiling"]) > stray_limit(rows):
            raise InputError(
                f"{source}: column {c}: {n:,} of {rows:,} values are above {ceiling:g}; it must "
                "be a share between 0 and 1 (if it holds percentages, divide them by 100)"
            )


def refuse_money_scale(tally: Mapping[str, Any], rows: int, source: str) -> None:
    """Many money values far above their column's typical value: a lost decimal point."""
    for c in MONEY_COLUMNS:
        if (n := tally[f"{c}:implausible"]) > stray_limit(rows):
            raise InputError(
                f"{source}: column {c}: {n:,} values are more than {MONEY_SCALE:,.0f} times the "
                f"column's typical value ({float(tally[f'{c}:typical']):,.2f}): the amounts look "
                "scaled by a lost decimal point or separator; re-export the file from its "
                "source with plain numbers and a decimal point"
            )


def findings(tally: Mapping[str, Any], duplicates: int, *, generated: int) -> list[Finding]:
    """The report's findings, in the single-machine order, from the counts."""
    found: list[Finding] = []

    def add(issue: Issue, col: str | None, count: int, action: str) -> None:
        if count:
            found.append(Finding(issue=issue, column=col, count=count, action=action))

    add("generated_ids", ID_COLUMN, generated,
        "the file has no id column: ids 'row-N' were generated from row numbers")  # fmt: skip
    for c in FEATURE_COLUMNS:
        add("not_a_number", c, tally[f"{c}:not_a_number"], f"set missing, then {FILLED}")
    add("empty_rows", None, tally["empty_rows"], "dropped")
    add("not_a_customer", None, tally["not_a_customer"], "dropped")
    add("duplicate_rows", None, duplicates, "dropped")
    for c in FEATURE_COLUMNS:
        add("too_large", c, tally[f"{c}:too_large"],
            f"values above {TOO_LARGE:,.0f} set missing, then {FILLED}")  # fmt: skip
    for c in (*MONEY_COLUMNS, *COUNT_COLUMNS, *FREQUENCY_COLUMNS):
        issue: Issue = "negative" if c in MONEY_COLUMNS else "out_of_range"
        add(issue, c, tally[f"{c}:below_zero"], "set to 0")
    for c, ceiling in SHARE_CEILINGS.items():
        if ceiling > 1:
            add("out_of_range", c, tally[f"{c}:above_one"],
                f"kept: the public data set records values up to {ceiling} here")  # fmt: skip
        add("out_of_range", c, tally[f"{c}:above_ceiling"], f"clipped to {ceiling:g}")
    add("out_of_range", "TENURE", tally["TENURE:short"],
        f"tenures under 1 month set missing, then {FILLED}")  # fmt: skip
    for c in MONEY_COLUMNS:
        add("implausible", c, tally[f"{c}:implausible"],
            f"more than {MONEY_SCALE:,.0f} times the column's typical value: set missing, "
            f"then {FILLED}")  # fmt: skip
    if tally["inconsistent"]:
        add("inconsistent", "PURCHASES", tally["inconsistent"],
            "kept as they are: PURCHASES differs from ONEOFF_PURCHASES + "
            f"INSTALLMENTS_PURCHASES by up to {float(tally['worst_gap']):,.2f}")  # fmt: skip
    found += [
        Finding(issue="missing", column=c, count=n, action=FILLED)
        for c in FEATURE_COLUMNS
        if (n := tally[f"{c}:missing"])
    ]
    return found
