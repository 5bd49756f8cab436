"""Small, aggregated tables behind the charts: never more rows than a chart can honestly show.

Everything here is an aggregate of segments (effect sizes, quantiles, k scores) except the PCA
map, which is a seeded random sample of at most `MAX_POINTS` customers.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.decomposition import PCA

from segmenter.cluster.features import feature_matrix, transform_features
from segmenter.explain.formats import fmt, metric_text
from segmenter.explain.measures import add_measures, kind_of, label
from segmenter.explain.profiles import PROFILE_FEATURES
from segmenter.model.fitted import SegmentModel
from segmenter.results import KChoice, RunProfile

__all__ = [
    "K_METRICS",
    "MAX_POINTS",
    "QUANTILES",
    "effect_table",
    "k_scores",
    "pca_points",
    "segment_names",
    "segment_quantiles",
]

MAX_POINTS = 3_000  # Altair's own ceiling is 5,000 rows; a scatter is unreadable well before
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# Scores of a candidate k, with how to read each one.
K_METRICS: dict[str, str] = {
    "silhouette": "Silhouette (higher is better)",
    "calinski_harabasz": "Calinski-Harabasz (higher is better)",
    "davies_bouldin": "Davies-Bouldin (lower is better)",
    "stability_ari": "Bootstrap stability, ARI (higher is better)",
}
_SEG = "__segment"


def segment_names(profile: RunProfile) -> dict[int, str]:
    """Segment id -> its name, in id order with noise (-1) last."""
    ordered = sorted(profile.segments, key=lambda s: (s.is_noise, s.id))
    return {s.id: s.name for s in ordered}


def effect_table(profile: RunProfile) -> pl.DataFrame:
    """One row per segment and profile feature: effect size, means and lift (long format), and
    the means spelled for people."""
    rows = [
        {
            "segment": s.id,
            "name": s.name,
            "feature": stat.feature,
            "label": stat.label,
            "effect_size": stat.effect_size,
            "mean": stat.mean,
            "population_mean": stat.population_mean,
            "lift": stat.lift,
            # For tooltips: each measure spelled as its kind reads ("$1,406", "41%").
            "mean_text": fmt(stat.mean, kind_of(stat.feature)),
            "population_mean_text": fmt(stat.population_mean, kind_of(stat.feature)),
        }
        for s in profile.segments
        for stat in s.stats
    ]
    schema = {"segment": pl.Int64, "name": pl.String, "feature": pl.String, "label": pl.String}
    schema |= {c: pl.Float64 for c in ("effect_size", "mean", "population_mean", "lift")}
    schema |= {c: pl.String for c in ("mean_text", "population_mean_text")}
    return pl.DataFrame(rows, schema=schema)


def segment_quantiles(
    frame: pl.DataFrame, labels: np.ndarray, names: dict[int, str]
) -> pl.DataFrame:
    """5th, 25th, 50th, 75th and 95th percentile of every profile feature in every segment."""
    long = (
        add_measures(frame.lazy())
        .with_columns(pl.Series(_SEG, labels, dtype=pl.Int64))
        .unpivot(on=list(PROFILE_FEATURES), index=_SEG, variable_name="feature", value_name="x")
        .drop_nulls("x")
        .group_by(_SEG, "feature")
        .agg(
            *(
                pl.col("x").quantile(q, interpolation="linear").alias(f"p{q * 100:02.0f}")
                for q in QUANTILES
            ),
            pl.col("x").mean().alias("mean"),
            pl.len().alias("n"),
        )
        .collect()
    )
    order = {f: i for i, f in enumerate(PROFILE_FEATURES)}
    feature_labels = {f: label(f) for f in PROFILE_FEATURES}
    return (
        long.with_columns(
            segment=pl.col(_SEG),
            name=pl.col(_SEG).replace_strict(names, return_dtype=pl.String),
            label=pl.col("feature").replace_strict(feature_labels, return_dtype=pl.String),
            _order=pl.col("feature").replace_strict(order, return_dtype=pl.Int64),
        )
        .sort("_order", _SEG)
        .drop(_SEG, "_order")
    )


def pca_points(
    model: SegmentModel,
    frame: pl.DataFrame,
    labels: np.ndarray,
    names: dict[int, str],
    *,
    seed: int,
    max_points: int = MAX_POINTS,
) -> tuple[pl.DataFrame, tuple[float, float]]:
    """The first two principal components of the model's features, on a seeded sample.

    PCA is fitted on every customer, in the space the model clustered in; only the plotted
    points are sampled. Returns the points and the share of variance of each component.
    """
    X = transform_features(model.pipeline[:-1], feature_matrix(frame))
    pca = PCA(n_components=2, random_state=seed).fit(X)
    rows = np.arange(X.shape[0])
    if rows.size > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows.size, max_points, replace=False))
    xy = pca.transform(X[rows])
    points = pl.DataFrame(
        {
            "pc1": xy[:, 0],
            "pc2": xy[:, 1],
            "segment": labels[rows],
        }
    ).with_columns(name=pl.col("segment").replace_strict(names, return_dtype=pl.String))
    ratio = pca.explained_variance_ratio_
    return points, (float(ratio[0]), float(ratio[1]))


def k_scores(choice: KChoice) -> pl.DataFrame:
    """One row per candidate k and score (and the score spelled for people), marking the chosen
    k and the eligible candidates."""
    rows = [
        {
            "k": c.k,
            "metric": metric,
            "title": title,
            "value": float(getattr(c, metric)),
            "text": metric_text(metric, getattr(c, metric)),
            "eligible": c.eligible,
            "chosen": c.k == choice.chosen,
            "candidate": "chosen"
            if c.k == choice.chosen
            else "eligible"
            if c.eligible
            else "not eligible: a small or unstable segment",
        }
        for c in choice.candidates
        for metric, title in K_METRICS.items()
    ]
    return pl.DataFrame(rows)
