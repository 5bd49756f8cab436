"""Segment profiles from Spark aggregations over every customer, named by the product's rules.

The same figures as segmenter.explain.profiles, computed in one Spark aggregation: counts,
means and the moments behind effect sizes are exact; medians are Spark's approximate
percentile (`MEDIAN_ACCURACY`). Distinctions, effect sizes and names are the single-machine
code's own; the plain-language rules grow on a seeded sample, as they do on one machine above
PROFILE_ROWS customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from segmenter.explain.measures import (
    LIMIT_USAGE,
    MONTHLY_CASH_ADVANCE,
    MONTHLY_PURCHASES,
    PAYMENTS_TO_MINIMUM,
    PURCHASE_TYPE,
    PURCHASE_TYPES,
    SKEWED_MEASURES,
    add_measures,
)
from segmenter.explain.naming import assign_names
from segmenter.explain.profiles import (
    PROFILE_FEATURES,
    round_stat,
    segment_profile,
    stats_from_aggregates,
)
from segmenter.explain.rules import segment_rules
from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.results import FeatureStat, SegmentProfile

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["MEDIAN_ACCURACY", "SEGMENT", "spark_profiles"]

SEGMENT = "segment"
# percentile_approx's accuracy: its rank error is at most 1/accuracy of the rows.
MEDIAN_ACCURACY = 10_000


def _ratio(numerator: str, denominator: str) -> Column:
    """As segmenter.explain.measures: null unless the denominator is above 0 and it is finite."""
    from pyspark.sql import functions as F

    ratio = F.col(numerator) / F.col(denominator)
    return F.when((F.col(denominator) > 0) & (F.abs(ratio) < float("inf")), ratio)


def _measures() -> dict[str, Column]:
    """The derived measures as Spark expressions over the canonical columns."""
    from pyspark.sql import functions as F

    one_off, instalment = F.col("ONEOFF_PURCHASES") > 0, F.col("INSTALLMENTS_PURCHASES") > 0
    kind = (
        F.when(one_off & instalment, "both")
        .when(one_off & ~instalment, "one_off")
        .when(~one_off & instalment, "instalment")
        .when(~one_off & ~instalment, "none")
    )
    return {
        MONTHLY_PURCHASES: _ratio("PURCHASES", "TENURE"),
        MONTHLY_CASH_ADVANCE: _ratio("CASH_ADVANCE", "TENURE"),
        LIMIT_USAGE: _ratio("BALANCE", "CREDIT_LIMIT"),
        PAYMENTS_TO_MINIMUM: _ratio("PAYMENTS", "MINIMUM_PAYMENTS"),
        PURCHASE_TYPE: kind,
    }


def _aggregates(data: DataFrame) -> tuple[dict[str, Any], dict[tuple[int, str], Any]]:
    """Population figures and per-segment figures of every profile feature."""
    from pyspark.sql import functions as F

    def t(f: str) -> Column:  # effect sizes on log1p for skewed measures (see profiles)
        x = F.col(f)
        return F.signum(x) * F.log1p(F.abs(x)) if f in SKEWED_MEASURES else x

    def median(f: str) -> Column:
        return F.percentile_approx(F.col(f), 0.5, MEDIAN_ACCURACY)

    # One pass: rollup adds the whole book's row (segment null) to the segments' rows.
    rows = (
        data.rollup(SEGMENT)
        .agg(
            *(F.mean(f).alias(f"{f}:mean") for f in PROFILE_FEATURES),
            *(median(f).alias(f"{f}:median") for f in PROFILE_FEATURES),
            *(F.count(t(f)).alias(f"{f}:n") for f in PROFILE_FEATURES),
            *(F.mean(t(f)).alias(f"{f}:tm") for f in PROFILE_FEATURES),
            *(F.var_pop(t(f)).alias(f"{f}:tv") for f in PROFILE_FEATURES),
        )
        .collect()
    )
    by_key = {
        (row[SEGMENT], f): {k: row[f"{f}:{k}"] for k in ("mean", "median", "n", "tm", "tv")}
        for row in rows
        for f in PROFILE_FEATURES
    }
    pop = {f: by_key[None, f] for f in PROFILE_FEATURES}
    return pop, by_key


def _feature_stats(data: DataFrame, ids: list[int]) -> dict[int, list[FeatureStat]]:
    """Each segment's statistics, from Spark's aggregates (explain.profiles' arithmetic)."""
    population, groups = _aggregates(data)
    return stats_from_aggregates(ids, population, groups)


def _purchase_types(data: DataFrame) -> dict[int, dict[str, float]]:
    """Share of each purchase type per segment, over customers whose type is known."""
    counts = data.dropna(subset=[PURCHASE_TYPE]).groupBy(SEGMENT, PURCHASE_TYPE).count().collect()
    totals: dict[int, int] = {}
    for row in counts:
        totals[row[SEGMENT]] = totals.get(row[SEGMENT], 0) + row["count"]
    shares = {(r[SEGMENT], r[PURCHASE_TYPE]): r["count"] / totals[r[SEGMENT]] for r in counts}
    return {
        sid: {t: round_stat(shares.get((sid, t), 0.0), 4) for t in PURCHASE_TYPES} for sid in totals
    }


def spark_profiles(
    labelled: DataFrame,
    sizes: Mapping[int, int],
    *,
    sample: pl.DataFrame,
    sample_labels: np.ndarray,
    seed: int,
    silhouettes: Mapping[int, float] | None = None,
    stabilities: Mapping[int, float] | None = None,
) -> list[SegmentProfile]:
    """Profile every segment of `labelled` (canonical columns and SEGMENT) against the book.

    `sizes` are the exact segment sizes; `sample` (canonical columns) and `sample_labels` the
    seeded sample the rules grow on.
    """
    data = labelled.select(SEGMENT, *FEATURE_COLUMNS).withColumns(_measures())
    ids = sorted(sizes)
    stats = _feature_stats(data, ids)
    types = _purchase_types(data)
    rules_data = add_measures(sample.select(pl.col(FEATURE_COLUMNS).cast(pl.Float64)))
    present = [sid for sid in ids if np.any(sample_labels == sid)]
    rules = segment_rules(rules_data, sample_labels, present, seed=seed)
    total = sum(sizes.values())
    profiles = [
        segment_profile(
            sid, size=sizes[sid], total=total, stats=stats[sid],
            rules=rules.get(sid, ([], None)), purchase_type=types.get(sid, {}),
            silhouettes=silhouettes, stabilities=stabilities,
        )
        for sid in ids
    ]  # fmt: skip
    return assign_names(profiles)
