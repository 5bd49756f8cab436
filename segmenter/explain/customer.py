"""One customer's figures beside their segment's and the whole book's.

A customer is one row of the canonical frame: found in the loaded book by id, or typed in.
Their value of every profile feature (the 17 columns and the derived measures) is set beside the
segment's and the book's on the statistic the profile's facts quote (segmenter.explain.facts):
the median for money and counts, the mean elsewhere or where both medians are 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from segmenter.errors import InputError
from segmenter.explain.measures import SKEWED_MEASURES, add_measures, kind_of
from segmenter.explain.profiles import PROFILE_FEATURES
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.results import FeatureStat, RunProfile, SegmentProfile

__all__ = [
    "TYPED_ID",
    "CustomerFigure",
    "book_spread",
    "customer_figures",
    "customer_values",
    "find_customer",
    "typed_customer",
    "typical_customer",
]

TYPED_ID = "typed figures"  # the id of a customer whose figures were typed in

Values = Mapping[str, float | None]


class CustomerFigure(BaseModel):
    """One feature of one customer, beside the same feature of their segment and of the book."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feature: str
    label: str
    kind: str  # money, share, count, months, ratio
    stat: Literal["mean", "median"]  # the statistic `segment` and `book` are
    value: float | None  # the customer's own; None when unknown (a missing minimum payment)
    segment: float | None  # None when the segment is not described by figures (noise, small)
    book: float
    book_mean: float
    book_std: float | None  # None when the book does not vary on it
    distinction: Literal["high", "low"] | None  # set when the feature sets the segment apart

    @property
    def z(self) -> float | None:
        """How many book standard deviations the customer's value lies from the book mean."""
        if self.value is None or not self.book_std:
            return None
        return (self.value - self.book_mean) / self.book_std


def _normalised(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.replace_all(r"\s+", "").str.to_lowercase()


def find_customer(frame: pl.DataFrame, customer_id: str, *, source: str) -> pl.DataFrame:
    """The one row of a customer id, matched ignoring case and spaces; else an InputError."""
    typed = " ".join(customer_id.split())
    if not typed:
        raise InputError("enter a customer id")
    wanted = "".join(typed.split()).lower()
    found = frame.filter(_normalised(pl.col(ID_COLUMN)) == wanted)
    if found.height > 1:  # ids differing only in case or spacing: the exact one, if typed
        exact = found.filter(pl.col(ID_COLUMN).cast(pl.String) == typed)
        if exact.height == 1:
            return exact
        ids = ", ".join(found.get_column(ID_COLUMN).cast(pl.String).head(5).to_list())
        raise InputError(
            f"{found.height} customers in {source} match {typed} when case and spaces are "
            f"ignored ({ids}): type the id exactly as the file writes it"
        )
    if found.height == 0:
        example = frame.get_column(ID_COLUMN).cast(pl.String).head(1).to_list()
        like = f"; its ids look like {example[0]}" if example else ""
        raise InputError(
            f"No customer {typed} in {source}: none of its {frame.height:,} customer ids "
            f"matches, even ignoring case and spaces{like}"
        )
    return found


def typed_customer(values: Mapping[str, float]) -> pl.DataFrame:
    """A canonical one-row frame of typed figures, under the id TYPED_ID."""
    if missing := [c for c in FEATURE_COLUMNS if c not in values]:
        raise InputError(f"typed figures lack {', '.join(missing)}")
    return pl.DataFrame(
        {ID_COLUMN: [TYPED_ID], **{c: [float(values[c])] for c in FEATURE_COLUMNS}},
        schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64),
    )


def typical_customer(profile: RunProfile) -> dict[str, float]:
    """The book's median of every column: a starting point for typed figures."""
    stats = {s.feature: s for segment in profile.segments for s in segment.stats}
    return {c: stats[c].population_median if c in stats else 0.0 for c in FEATURE_COLUMNS}


def _measured(frame: pl.DataFrame) -> pl.DataFrame:
    # As the profiles read the book: NaN and inf are missing, nothing is imputed.
    values = pl.col(FEATURE_COLUMNS).cast(pl.Float64)
    clean = frame.select(pl.when(values.is_finite()).then(values).name.keep())
    return add_measures(clean).select(PROFILE_FEATURES)


def customer_values(row: pl.DataFrame) -> dict[str, float | None]:
    """The customer's value of every profile feature (None where unknown), from one row."""
    if row.height != 1:
        raise InputError(f"one customer expected, got {row.height} rows")
    return _measured(row).row(0, named=True)


def book_spread(frame: pl.DataFrame) -> dict[str, float | None]:
    """The book's standard deviation of every profile feature (None where it has no values)."""
    return _measured(frame).select(pl.all().std()).row(0, named=True)


def _quoted(stat: FeatureStat) -> Literal["mean", "median"]:
    if stat.feature in SKEWED_MEASURES and not (stat.median == 0 and stat.population_median == 0):
        return "median"
    return "mean"


def customer_figures(
    values: Values,
    segment: SegmentProfile,
    *,
    book_std: Values,
    described: bool = True,
) -> tuple[CustomerFigure, ...]:
    """Every feature of the segment's profile with the customer's value beside it.

    The features that set the segment apart come first, strongest first, then the others in
    profile order. A segment not `described` (noise, or too small to quote) gives no segment
    figures; its customers' figures are ordered by how far they lie from the book instead.
    """
    apart = {d.feature: d.direction for d in segment.distinctions} if described else {}
    figures = []
    for stat in segment.stats:
        quoted = _quoted(stat)
        figures.append(
            CustomerFigure(
                feature=stat.feature,
                label=stat.label,
                kind=kind_of(stat.feature),
                stat=quoted,
                value=values.get(stat.feature),
                segment=getattr(stat, quoted) if described else None,
                book=stat.population_mean if quoted == "mean" else stat.population_median,
                book_mean=stat.population_mean,
                book_std=book_std.get(stat.feature),
                distinction=apart.get(stat.feature),
            )
        )
    if described:
        rank = {feature: i for i, feature in enumerate(apart)}
        return tuple(sorted(figures, key=lambda f: rank.get(f.feature, len(rank))))
    return tuple(sorted(figures, key=lambda f: -abs(f.z or 0.0)))
