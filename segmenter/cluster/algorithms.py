"""The algorithm registry: name -> factory(k, seed, n_rows) of an unfitted scikit-learn clusterer.

Every clusterer made here has `fit` and `predict`; `predict` on the training rows gives the
training labels. Methods whose cost grows with n squared are wrapped in `SampledClusterer`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sklearn.cluster import HDBSCAN, AgglomerativeClustering, KMeans, SpectralClustering
from sklearn.mixture import GaussianMixture

from segmenter.cluster.estimators import KneeDBSCAN, PortableBirch, SampledClusterer
from segmenter.cluster.titles import TITLES
from segmenter.errors import InputError

__all__ = ["ALGORITHMS", "MAX_FIT_ROWS", "Algorithm", "get_algorithm", "make_clusterer"]

# Quadratic methods fit on at most this many rows and assign the rest.
MAX_FIT_ROWS = 10_000
# Up to this many fitted rows K-Means restarts ten times, above it three times.
KMEANS_FULL_RESTART_ROWS = 20_000
# Neighbours that vote when a row not used in fitting is assigned.
ASSIGN_NEIGHBOURS = 15
# HDBSCAN's smallest cluster, as a share of the fitted rows: the smallest segment worth a campaign.
HDBSCAN_MIN_SHARE = 0.05

Factory = Callable[[int, int, int], Any]


@dataclass(frozen=True)
class Algorithm:
    """One registered method: how to build it and how it behaves."""

    name: str
    title: str
    factory: Factory  # (k, seed, n_rows) -> unfitted estimator with fit and predict
    uses_k: bool = True  # density methods find their own number of segments
    sampled: bool = False  # fitted on at most MAX_FIT_ROWS rows, the rest assigned
    assign_rule: str = ""  # how rows outside the fitted sample get a segment


def _sampled(estimator: Any, *, seed: int, assign: str) -> SampledClusterer:
    return SampledClusterer(
        estimator,
        max_fit_rows=MAX_FIT_ROWS,
        assign=assign,
        n_neighbors=ASSIGN_NEIGHBOURS,
        random_state=seed,
    )


def _kmeans(k: int, seed: int, n_rows: int) -> KMeans:
    # k-means++ starts. Ten restarts cost little on a small book and make seeds agree; on a
    # large sample three find the same optimum (measured: equal inertia to 4 digits at 100k).
    return KMeans(n_clusters=k, n_init=10 if n_rows <= KMEANS_FULL_RESTART_ROWS else 3,
                  random_state=seed)  # fmt: skip


def _agglomerative(k: int, seed: int, n_rows: int) -> SampledClusterer:
    return _sampled(
        AgglomerativeClustering(n_clusters=k, linkage="ward"), seed=seed, assign="centroid"
    )


def _gmm(k: int, seed: int, n_rows: int) -> GaussianMixture:
    # Full covariances: the segments are elongated along correlated money columns.
    return GaussianMixture(n_components=k, covariance_type="full", n_init=2, random_state=seed)


def _dbscan(k: int, seed: int, n_rows: int) -> SampledClusterer:
    return _sampled(KneeDBSCAN(), seed=seed, assign="knn")


def _spectral(k: int, seed: int, n_rows: int) -> SampledClusterer:
    # A sparse nearest-neighbour graph: the dense RBF affinity would need n^2 memory.
    fitted_rows = min(n_rows, MAX_FIT_ROWS)
    spectral = SpectralClustering(
        n_clusters=k,
        affinity="nearest_neighbors",
        n_neighbors=max(2, min(15, fitted_rows - 1)),
        assign_labels="cluster_qr",
        # ARPACK cannot take a graph of a few nodes; the lobpcg path solves those densely.
        eigen_solver="arpack" if fitted_rows > 5 * k + 1 else "lobpcg",
        random_state=seed,
    )
    return _sampled(spectral, seed=seed, assign="knn")


def _birch(k: int, seed: int, n_rows: int) -> PortableBirch:
    # A coarser threshold than the default 0.5 suits 17 standardised features: fewer, fuller
    # subclusters, and a faster global step.
    return PortableBirch(n_clusters=k, threshold=1.0)


def _hdbscan(k: int, seed: int, n_rows: int) -> SampledClusterer:
    fitted_rows = min(n_rows, MAX_FIT_ROWS)
    min_cluster_size = max(5, round(HDBSCAN_MIN_SHARE * fitted_rows))
    hdbscan = HDBSCAN(
        min_cluster_size=min_cluster_size, min_samples=min(15, min_cluster_size), copy=True
    )
    return _sampled(hdbscan, seed=seed, assign="knn")


_KNN_RULE = (
    f"the majority of their {ASSIGN_NEIGHBOURS} nearest fitted customers (noise stays noise)"
)
ALGORITHMS: dict[str, Algorithm] = {
    a.name: a
    for a in (
        Algorithm("kmeans", TITLES["kmeans"], _kmeans),
        Algorithm(
            "agglomerative",
            TITLES["agglomerative"],
            _agglomerative,
            sampled=True,
            assign_rule="the nearest Ward segment centre",
        ),
        Algorithm("gmm", TITLES["gmm"], _gmm),
        Algorithm(
            "dbscan", TITLES["dbscan"], _dbscan, uses_k=False, sampled=True, assign_rule=_KNN_RULE
        ),
        Algorithm("spectral", TITLES["spectral"], _spectral, sampled=True, assign_rule=_KNN_RULE),
        Algorithm("birch", TITLES["birch"], _birch),
        Algorithm(
            "hdbscan",
            TITLES["hdbscan"],
            _hdbscan,
            uses_k=False,
            sampled=True,
            assign_rule=_KNN_RULE,
        ),
    )
}


def get_algorithm(name: str) -> Algorithm:
    """The registered algorithm of that name, or an InputError listing the known names."""
    try:
        return ALGORITHMS[name]
    except KeyError:
        known = ", ".join(ALGORITHMS)
        raise InputError(f"unknown algorithm {name!r}; choose one of: {known}") from None


def make_clusterer(name: str, *, k: int, seed: int, n_rows: int) -> Any:
    """An unfitted clusterer for `n_rows` customers; `k` is ignored by density methods."""
    return get_algorithm(name).factory(k, seed, n_rows)
