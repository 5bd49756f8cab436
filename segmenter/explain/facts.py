"""What a persona may say sets a segment apart: differences a reader notices, on the quoted scale.

The effect sizes that pick a segment's distinctions are measured on log1p for money and counts,
so the difference they find lives in the medians: a fact quotes the median there (the mean
only when both medians are 0, as in a column that is mostly zero), the mean elsewhere. A
difference is said only when the quoted statistic itself differs from the book's by an amount
a reader would notice, on the same side as the effect size; where the first statistic to quote
points the other way, nothing is said.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from segmenter.explain.measures import SKEWED_MEASURES, kind_of
from segmenter.results import FeatureStat

__all__ = ["NOTABLE_POINTS", "NOTABLE_RELATIVE", "Fact", "fact_of", "notable", "stat_fact"]

NOTABLE_RELATIVE = 0.10  # money, counts, months, ratios: a tenth of the book's value
NOTABLE_POINTS = 0.05  # shares: five percentage points


class Fact(BaseModel):
    """One figure a segment stands out on: its value beside the book's, on one statistic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feature: str  # the column or derived measure, e.g. "CASH_ADVANCE"
    label: str
    kind: str  # money, share, count, months, ratio
    stat: Literal["mean", "median"]
    value: float  # the segment's
    book: float  # the whole book's, same statistic
    direction: Literal["high", "low"]
    effect_size: float


def notable(kind: str, value: float, book: float) -> bool:
    """True when `value` differs from `book` by an amount a reader would notice."""
    if kind == "share":
        return abs(value - book) >= NOTABLE_POINTS
    if book == 0:
        return abs(value) >= 0.5  # against nothing: anything that prints as a whole unit
    return abs(value - book) >= NOTABLE_RELATIVE * abs(book)


def _order(feature: str) -> tuple[Literal["mean", "median"], ...]:
    return ("median", "mean") if feature in SKEWED_MEASURES else ("mean", "median")


def fact_of(
    *,
    feature: str,
    label: str,
    kind: str,
    values: dict[str, float],
    books: dict[str, float],
    effect_size: float,
) -> Fact | None:
    """The fact of one distinction, or None when no statistic shows it plainly."""
    direction: Literal["high", "low"] = "high" if effect_size > 0 else "low"
    for stat in _order(feature):
        value, book = values[stat], books[stat]
        if not notable(kind, value, book):
            if stat == "median" and not (value == 0 and book == 0):
                return None  # the medians agree: a mean pulled by a few is not the segment
            continue  # medians of a mostly-zero column are both 0: the mean may show it
        if (value > book) != (direction == "high"):
            return None  # the quoted statistic says the opposite: say nothing
        return Fact(
            feature=feature,
            label=label,
            kind=kind,
            stat=stat,
            value=value,
            book=book,
            direction=direction,
            effect_size=effect_size,
        )
    return None


def stat_fact(stat: FeatureStat) -> Fact | None:
    """The fact of one segment statistic against the book, or None when it is not plain."""
    return fact_of(
        feature=stat.feature,
        label=stat.label,
        kind=kind_of(stat.feature),
        values={"mean": stat.mean, "median": stat.median},
        books={"mean": stat.population_mean, "median": stat.population_median},
        effect_size=stat.effect_size,
    )
