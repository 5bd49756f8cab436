"""Per-segment profiles: size, share, statistics against the whole book, rules and a name."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import polars as pl

from segmenter.errors import InputError
from segmenter.explain.measures import (
    NUMERIC_MEASURES,
    PURCHASE_TYPE,
    PURCHASE_TYPES,
    SKEWED_MEASURES,
    add_measures,
    label,
)
from segmenter.explain.naming import assign_names
from segmenter.explain.rules import segment_rules
from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.results import Distinction, FeatureStat, SegmentProfile

__all__ = [
    "DISTINCTION_FLOOR",
    "MAX_DISTINCTIONS",
    "PROFILE_FEATURES",
    "Aggregate",
    "build_profiles",
    "round_stat",
    "segment_profile",
    "stats_from_aggregates",
]

NOISE = -1
PROFILE_FEATURES: tuple[str, ...] = (*FEATURE_COLUMNS, *NUMERIC_MEASURES)
MAX_DISTINCTIONS = 5
DISTINCTION_FLOOR = 0.3  # |effect size| below this does not set a segment apart ("small" is 0.2)
# A derived measure that restates a column: only the stronger of the two is a distinction.
_SAME_AS: dict[str, str] = {
    "MONTHLY_PURCHASES": "PURCHASES",
    "MONTHLY_CASH_ADVANCE": "CASH_ADVANCE",
}
_SEG = "__segment"
Aggregate = Mapping[str, float | None]  # named aggregates of one feature (stats_from_aggregates)


def build_profiles(
    frame: pl.DataFrame,
    labels: np.ndarray,
    *,
    seed: int,
    silhouettes: Mapping[int, float] | None = None,
    stabilities: Mapping[int, float] | None = None,
) -> list[SegmentProfile]:
    """Profile every segment of `labels` (noise, -1, last) against the whole book."""
    data = _prepare(frame, labels)
    ids = sorted(int(i) for i in np.unique(labels) if i != NOISE)
    if np.any(labels == NOISE):
        ids.append(NOISE)
    stats = _feature_stats(data, ids)
    types = _purchase_type_shares(data)
    rules = segment_rules(data, labels, [i for i in ids if i != NOISE], seed=seed)
    profiles = [
        segment_profile(
            sid, size=int(np.sum(labels == sid)), total=len(labels), stats=stats[sid],
            rules=rules.get(sid, ([], None)), purchase_type=types.get(sid, {}),
            silhouettes=silhouettes, stabilities=stabilities,
        )
        for sid in ids
    ]  # fmt: skip
    return assign_names(profiles)


def segment_profile(
    sid: int,
    *,
    size: int,
    total: int,
    stats: list[FeatureStat],
    rules: tuple[list[str], float | None],
    purchase_type: dict[str, float],
    silhouettes: Mapping[int, float] | None,
    stabilities: Mapping[int, float] | None,
) -> SegmentProfile:
    """One segment's profile from its figures (either engine's), named later by
    `assign_names` from the finished profiles of the run."""
    conditions, precision = rules
    return SegmentProfile(
        id=sid,
        name=f"Segment {sid}",
        size=size,
        share=round_stat(size / total, 4),
        is_noise=sid == NOISE,
        stats=stats,
        distinctions=_distinctions(stats),
        rules=conditions,
        rule_precision=precision,
        purchase_type=purchase_type,
        silhouette=_optional(silhouettes, sid),
        stability=_optional(stabilities, sid),
    )


def _prepare(frame: pl.DataFrame, labels: np.ndarray) -> pl.DataFrame:
    missing = [c for c in FEATURE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"cannot profile segments: missing column(s) {', '.join(missing)}")
    if labels.ndim != 1 or len(labels) != frame.height:
        raise InputError(
            f"cannot profile segments: {labels.shape} labels for {frame.height} customers"
        )
    if len(labels) == 0:
        raise InputError("cannot profile segments of an empty customer file")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < NOISE:
        raise InputError("segment labels must be integers, 0..k-1, or -1 for noise")
    # NaN and inf count as missing, like nulls. Nothing is imputed: every statistic below is
    # over the non-null values of its column (Polars' mean and median skip nulls).
    values = pl.col(FEATURE_COLUMNS).cast(pl.Float64)
    clean = frame.select(pl.when(values.is_finite()).then(values).name.keep())
    return add_measures(clean).with_columns(pl.Series(_SEG, labels, dtype=pl.Int64))


def _slog1p(x: pl.Expr) -> pl.Expr:
    return x.sign() * x.abs().log1p()


def _feature_stats(data: pl.DataFrame, ids: list[int]) -> dict[int, list[FeatureStat]]:
    """Mean, median, lift and effect size of every profile feature, per segment id."""
    # Effect sizes of money, counts and ratios are computed on log1p: one customer with a
    # 40,000 balance must not swamp the pooled spread (Cohen's d on the raw scale would).
    long = data.unpivot(on=PROFILE_FEATURES, index=_SEG, variable_name="f", value_name="x")
    x = pl.col("x")
    long = long.with_columns(
        t=pl.when(pl.col("f").is_in(list(SKEWED_MEASURES))).then(_slog1p(x)).otherwise(x)
    )
    aggs = [x.mean().alias("mean"), x.median().alias("median")]
    moments = [
        pl.col("t").count().alias("n"),
        pl.col("t").mean().alias("tm"),
        pl.col("t").var(ddof=0).alias("tv"),
    ]
    population = {r["f"]: r for r in long.group_by("f").agg(aggs).iter_rows(named=True)}
    groups = long.group_by("f", _SEG).agg(*aggs, *moments)
    by_key = {(r[_SEG], r["f"]): r for r in groups.iter_rows(named=True)}
    return stats_from_aggregates(ids, population, by_key)


def stats_from_aggregates(
    ids: list[int],
    population: Mapping[str, Aggregate],
    groups: Mapping[tuple[int, str], Aggregate],
) -> dict[int, list[FeatureStat]]:
    """Mean, median, lift and effect size of every profile feature, per segment id, from
    aggregates however computed (Polars here, Spark in segmenter.spark): `population[f]` holds
    the book's "mean" and "median" of feature f; `groups[sid, f]` the segment's "mean" and
    "median", and "n", "tm" and "tv", the count, mean and population variance of the feature on
    the effect-size scale (log1p for skewed measures). A missing aggregate is None."""
    result: dict[int, list[FeatureStat]] = {sid: [] for sid in ids}
    for f in PROFILE_FEATURES:
        pop = population[f]
        if pop["mean"] is None:  # the column is empty in the whole book
            continue
        n, tm, tv = (
            np.array([groups[g, f][k] or 0.0 for g in ids], dtype=float) for k in ("n", "tm", "tv")
        )
        d = _effect_sizes(n, tm, tv)
        for j, sid in enumerate(ids):
            if n[j] == 0:  # no known value in this segment: no statistic rather than a guess
                continue
            row = groups[sid, f]
            mean, median = float(row["mean"] or 0.0), float(row["median"] or 0.0)
            book_mean, book_median = float(pop["mean"]), float(pop["median"] or 0.0)
            result[sid].append(
                FeatureStat(
                    feature=f,
                    label=label(f),
                    mean=round_stat(mean, 4),
                    median=round_stat(median, 4),
                    population_mean=round_stat(book_mean, 4),
                    population_median=round_stat(book_median, 4),
                    lift=None if book_mean == 0 else round_stat(mean / book_mean, 3),
                    effect_size=round_stat(d[j], 3),
                )
            )
    return result


def _effect_sizes(n: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Cohen's d of each group against all other groups together (pooled standard deviation)."""
    ss = n * var
    d = np.zeros(len(n))
    for j in range(len(n)):
        rest = np.arange(len(n)) != j
        n_r = n[rest].sum()
        if n[j] == 0 or n_r == 0 or n[j] + n_r <= 2:
            continue
        # Values near the float limit (a hostile file) overflow to inf: no effect is read then.
        with np.errstate(over="ignore", invalid="ignore"):
            m_r = np.dot(n[rest], mean[rest]) / n_r
            # Within-group sums of squares plus the between-group part: no cancellation.
            ss_r = np.sum(ss[rest] + n[rest] * (mean[rest] - m_r) ** 2)
            spread = (ss[j] + ss_r) / (n[j] + n_r - 2)
        if not (math.isfinite(spread) and math.isfinite(m_r)):
            continue
        sd = math.sqrt(spread)
        if sd > 1e-12 * max(1.0, abs(m_r)):
            d[j] = (mean[j] - m_r) / sd
    return d


def _distinctions(stats: list[FeatureStat]) -> list[Distinction]:
    """The strongest effects (|d| above the floor), one per feature family, strongest first."""
    order = {f: i for i, f in enumerate(PROFILE_FEATURES)}
    ranked = sorted(stats, key=lambda s: (-abs(s.effect_size), order[s.feature]))
    chosen: list[Distinction] = []
    families: set[str] = set()
    for s in ranked:
        family = _SAME_AS.get(s.feature, s.feature)
        if abs(s.effect_size) < DISTINCTION_FLOOR or len(chosen) == MAX_DISTINCTIONS:
            break
        if family in families:
            continue
        families.add(family)
        direction: Literal["high", "low"] = "high" if s.effect_size > 0 else "low"
        chosen.append(
            Distinction(
                feature=s.feature, label=s.label, direction=direction, effect_size=s.effect_size
            )
        )
    return chosen


def _purchase_type_shares(data: pl.DataFrame) -> dict[int, dict[str, float]]:
    """Share of each purchase type per segment, over customers whose type is known."""
    counts = (
        data.drop_nulls(PURCHASE_TYPE)
        .group_by(_SEG, PURCHASE_TYPE)
        .len()
        .with_columns(share=pl.col("len") / pl.col("len").sum().over(_SEG))
    )
    shares = {(r[_SEG], r[PURCHASE_TYPE]): r["share"] for r in counts.iter_rows(named=True)}
    return {
        sid: {t: round_stat(shares.get((sid, t), 0.0), 4) for t in PURCHASE_TYPES}
        for sid in {s for s, _ in shares}
    }


def _optional(values: Mapping[int, float] | None, sid: int) -> float | None:
    value = None if values is None else values.get(sid)
    # A NaN score (e.g. silhouette of a one-member segment) is "unknown", not a number.
    return None if value is None or not math.isfinite(value) else round_stat(float(value), 4)


def round_stat(value: float, digits: int) -> float:
    """Round for JSON; -0.0 becomes 0.0 so that equal profiles print equal."""
    rounded = round(float(value), digits)
    if not math.isfinite(rounded):
        raise ValueError(f"non-finite statistic {value!r}")  # a bug: inputs were cleaned
    return rounded + 0.0
