"""Fit one algorithm at one k and measure it: size-ordered labels, quality scores, stability."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
)
from sklearn.metrics.cluster import contingency_matrix

from segmenter.algorithms import get_algorithm, make_clusterer
from segmenter.results import Metrics

__all__ = [
    "N_BOOTSTRAPS",
    "SILHOUETTE_ROWS",
    "Evaluation",
    "evaluate",
    "order_by_size",
    "quality",
    "stability",
]

N_BOOTSTRAPS = 5
# Silhouette costs n^2: above this many rows it is measured on a seeded random sample.
SILHOUETTE_ROWS = 5_000
NOISE = -1


@dataclass(frozen=True)
class Evaluation:
    """One fitted clusterer and how good its segmentation is."""

    algorithm: str
    model: Any  # fitted; model.predict(X) gives `raw_labels`
    raw_labels: np.ndarray
    labels: np.ndarray  # segment ids: 0..k-1 by size, largest first; -1 noise
    label_map: dict[int, int]  # raw label -> segment id
    metrics: Metrics
    segment_silhouettes: dict[int, float]
    segment_stabilities: dict[int, float]
    fit_seconds: float

    @property
    def k(self) -> int:
        """Number of segments found, noise not counted."""
        return len({v for v in self.label_map.values() if v != NOISE})

    @property
    def min_share(self) -> float:
        """Share of customers in the smallest segment (noise not counted)."""
        counts = np.bincount(self.labels[self.labels >= 0], minlength=max(self.k, 1))
        return float(counts.min() / self.labels.size) if self.k else 0.0


def order_by_size(raw_labels: np.ndarray) -> dict[int, int]:
    """Map raw labels to ids 0..k-1 by size, largest first; ties go to the label seen first.

    Noise (-1) stays -1.
    """
    values, first, counts = np.unique(raw_labels, return_index=True, return_counts=True)
    clusters = [
        (-c, f, int(v)) for v, f, c in zip(values, first, counts, strict=True) if v != NOISE
    ]
    mapping = {raw: new for new, (_, _, raw) in enumerate(sorted(clusters))}
    if NOISE in values:
        mapping[NOISE] = NOISE
    return mapping


def quality(
    X: np.ndarray, labels: np.ndarray, *, seed: int, max_rows: int = SILHOUETTE_ROWS
) -> tuple[Metrics, dict[int, float]]:
    """Silhouette, Calinski-Harabasz and Davies-Bouldin over all rows, noise as its own group.

    Also the mean silhouette per label. Silhouette uses a seeded sample above `max_rows` rows.
    """
    noise_share = float(np.mean(labels == NOISE))
    groups = np.unique(labels).size
    if not 2 <= groups < labels.size:
        return Metrics(
            silhouette=None, calinski_harabasz=None, davies_bouldin=None, noise_share=noise_share
        ), {}
    rows = np.arange(labels.size)
    if labels.size > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(labels.size, max_rows, replace=False))
    sample_labels = labels[rows]
    per_row = (
        silhouette_samples(X[rows], sample_labels)
        if 2 <= np.unique(sample_labels).size < rows.size
        else np.zeros(rows.size)
    )
    per_label = {int(g): _r(per_row[sample_labels == g].mean()) for g in np.unique(sample_labels)}
    metrics = Metrics(
        silhouette=_r(per_row.mean()),
        calinski_harabasz=_r(calinski_harabasz_score(X, labels)),
        davies_bouldin=_r(davies_bouldin_score(X, labels)),
        noise_share=_r(noise_share),
    )
    return metrics, per_label


def stability(
    X: np.ndarray,
    labels: np.ndarray,
    *,
    algorithm: str,
    k: int,
    seed: int,
    n_bootstraps: int = N_BOOTSTRAPS,
) -> tuple[float, dict[int, float]]:
    """Agreement of refits on bootstrap resamples with `labels`, judged on every row.

    Returns the mean adjusted Rand index and, per label, the mean best Jaccard overlap.
    Methods that cannot treat a repeated row as a weight (density, graph and Ward methods:
    copies fake density or zero distances) are refitted on the distinct rows of each resample,
    about 63 % of them.
    """
    distinct_rows = get_algorithm(algorithm).sampled
    aris: list[float] = []
    jaccards: list[np.ndarray] = []
    for child in np.random.SeedSequence(seed).spawn(n_bootstraps):
        rng = np.random.default_rng(child)
        drawn = rng.integers(0, X.shape[0], size=X.shape[0])
        rows = np.unique(drawn) if distinct_rows else drawn
        refit_seed = int(child.generate_state(1)[0] % (2**31))
        model = make_clusterer(algorithm, k=k, seed=refit_seed, n_rows=rows.size).fit(X[rows])
        other = model.predict(X)
        aris.append(adjusted_rand_score(labels, other))
        # Rows: labels in sorted order; columns: the refit's labels.
        overlap = contingency_matrix(labels, other)
        union = overlap.sum(axis=1, keepdims=True) + overlap.sum(axis=0, keepdims=True) - overlap
        jaccards.append((overlap / union).max(axis=1))
    per_label = np.mean(jaccards, axis=0)
    return _r(float(np.mean(aris))), {
        int(g): _r(j) for g, j in zip(np.unique(labels), per_label, strict=True)
    }


def evaluate(
    X: np.ndarray,
    algorithm: str,
    *,
    k: int,
    seed: int,
    n_bootstraps: int = N_BOOTSTRAPS,
) -> Evaluation:
    """Fit `algorithm` on X, order its segments by size and score the result."""
    started = time.perf_counter()
    model = make_clusterer(algorithm, k=k, seed=seed, n_rows=X.shape[0]).fit(X)
    raw = np.asarray(model.predict(X), dtype=np.int64)
    fit_seconds = time.perf_counter() - started
    label_map = order_by_size(raw)
    labels = np.array([label_map[r] for r in raw.tolist()], dtype=np.int64)
    metrics, silhouettes = quality(X, labels, seed=seed)
    ari, stabilities = stability(
        X, labels, algorithm=algorithm, k=k, seed=seed, n_bootstraps=n_bootstraps
    )
    return Evaluation(
        algorithm=algorithm,
        model=model,
        raw_labels=raw,
        labels=labels,
        label_map=label_map,
        metrics=metrics.model_copy(update={"stability_ari": ari}),
        segment_silhouettes=silhouettes,
        segment_stabilities=stabilities,
        fit_seconds=fit_seconds,
    )


def _r(value: float) -> float:
    """Round a score for the outputs: six decimals is well past what the data can support."""
    return round(float(value), 6)
