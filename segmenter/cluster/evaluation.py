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

from segmenter.cluster.algorithms import get_algorithm, make_clusterer
from segmenter.results import Metrics
from segmenter.sampling import (
    FIT_ROWS,
    METRIC_ROWS,
    STABILITY_ROWS,
    Purpose,
    in_background,
    parallel_map,
    sample_rows,
)

__all__ = [
    "N_BOOTSTRAPS",
    "SILHOUETTE_ROWS",
    "Evaluation",
    "evaluate",
    "order_by_size",
    "quality",
    "relabel",
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
    fit_rows: int | None = None  # rows the model was fitted on, when a sample of X

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

    Also the mean silhouette per label. Silhouette uses a seeded sample above `max_rows` rows,
    the two others one of `METRIC_ROWS` rows above that many.
    """
    noise_share = float(np.mean(labels == NOISE))
    assigned = labels[labels != NOISE]
    largest = _r(np.bincount(assigned).max() / labels.size) if assigned.size else 0.0
    groups = np.unique(labels).size
    if not 2 <= groups < labels.size:
        return Metrics(
            silhouette=None,
            calinski_harabasz=None,
            davies_bouldin=None,
            noise_share=noise_share,
            largest_share=largest,
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
    measured = sample_rows(labels.size, METRIC_ROWS, seed=seed, purpose=Purpose.METRICS)
    X_m, labels_m = (X, labels) if measured.size == labels.size else (X[measured], labels[measured])
    both = np.unique(labels_m).size >= 2
    metrics = Metrics(
        silhouette=_r(per_row.mean()),
        calinski_harabasz=_r(calinski_harabasz_score(X_m, labels_m)) if both else None,
        davies_bouldin=_r(davies_bouldin_score(X_m, labels_m)) if both else None,
        noise_share=_r(noise_share),
        largest_share=largest,
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

    Above `FIT_ROWS` rows, where the model itself is fitted on a sample of that size, each
    refit draws `FIT_ROWS` rows with replacement (the m-out-of-n bootstrap of that fitting)
    and agreement is judged on a seeded sample of `STABILITY_ROWS` rows. Refits run on
    `WORKERS` threads; the result does not depend on how many.
    """
    distinct_rows = get_algorithm(algorithm).sampled
    n_rows = X.shape[0]
    draws = n_rows if n_rows <= FIT_ROWS else FIT_ROWS
    judged = sample_rows(n_rows, STABILITY_ROWS, seed=seed, purpose=Purpose.STABILITY)
    X_j, labels_j = (X, labels) if judged.size == n_rows else (X[judged], labels[judged])

    def refit(child: np.random.SeedSequence) -> tuple[float, np.ndarray]:
        rng = np.random.default_rng(child)
        drawn = rng.integers(0, n_rows, size=draws)
        rows = np.unique(drawn) if distinct_rows else drawn
        refit_seed = int(child.generate_state(1)[0] % (2**31))
        model = make_clusterer(algorithm, k=k, seed=refit_seed, n_rows=rows.size).fit(X[rows])
        other = model.predict(X_j)
        # Rows: labels in sorted order; columns: the refit's labels.
        overlap = contingency_matrix(labels_j, other)
        union = overlap.sum(axis=1, keepdims=True) + overlap.sum(axis=0, keepdims=True) - overlap
        return adjusted_rand_score(labels_j, other), (overlap / union).max(axis=1)

    done = list(parallel_map(refit, np.random.SeedSequence(seed).spawn(n_bootstraps)))
    aris = [ari for ari, _ in done]
    per_label = np.mean([jaccard for _, jaccard in done], axis=0)
    return _r(float(np.mean(aris))), {
        int(g): _r(j) for g, j in zip(np.unique(labels_j), per_label, strict=True)
    }


def evaluate(
    X: np.ndarray,
    algorithm: str,
    *,
    k: int,
    seed: int,
    n_bootstraps: int = N_BOOTSTRAPS,
) -> Evaluation:
    """Fit `algorithm` on X, order its segments by size and score the result.

    Above `FIT_ROWS` rows, methods that scale (K-Means, GMM, BIRCH) are fitted on a seeded
    sample of that many rows; every row is then assigned by the model's `predict`, so
    scoring the same customers with the saved model gives the same segments. The quadratic
    methods sample for themselves (`SampledClusterer`).
    """
    started = time.perf_counter()
    rows = None
    if X.shape[0] > FIT_ROWS and not get_algorithm(algorithm).sampled:
        rows = sample_rows(X.shape[0], FIT_ROWS, seed=seed, purpose=Purpose.FIT)
    fit_X = X if rows is None else X[rows]
    model = make_clusterer(algorithm, k=k, seed=seed, n_rows=fit_X.shape[0]).fit(fit_X)
    del fit_X
    # A sampled method has already labelled every row of X in fit, by its predict rule
    # (`SampledClusterer`); predicting again would repeat the costliest step.
    labelled = get_algorithm(algorithm).sampled
    raw = np.asarray(model.labels_ if labelled else model.predict(X), dtype=np.int64)
    fit_seconds = time.perf_counter() - started
    label_map = order_by_size(raw)
    labels = relabel(raw, label_map)
    # Scores and bootstraps are independent: the scores run beside the refits.
    scores = in_background(lambda: quality(X, labels, seed=seed))
    ari, stabilities = stability(
        X, labels, algorithm=algorithm, k=k, seed=seed, n_bootstraps=n_bootstraps
    )
    metrics, silhouettes = scores()
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
        fit_rows=None if rows is None else int(rows.size),
    )


def relabel(raw: np.ndarray, label_map: dict[int, int]) -> np.ndarray:
    """`label_map` applied to every raw label, vectorised: [label_map[r] for r in raw]."""
    keys = np.array(sorted(label_map), dtype=np.int64)
    values = np.array([label_map[key] for key in keys.tolist()], dtype=np.int64)
    return values[np.searchsorted(keys, raw)]


def _r(value: float) -> float:
    """Round a score for the outputs: six decimals is well past what the data can support."""
    return round(float(value), 6)
