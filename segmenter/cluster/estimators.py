"""Small estimators: fit on a sample and assign the rest, DBSCAN with eps from its data, and
BIRCH reduced to what `predict` needs (skops cannot save BIRCH's CF-tree)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, clone, config_context
from sklearn.cluster import DBSCAN, AgglomerativeClustering, Birch
from sklearn.metrics import pairwise_distances_argmin
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["KneeDBSCAN", "PortableBirch", "SampledClusterer", "knee_eps"]


def knee_eps(X: np.ndarray, *, min_samples: int) -> float:
    """The knee of the sorted k-distance curve (k = min_samples): DBSCAN's usual eps heuristic."""
    n_neighbors = min(min_samples, X.shape[0])
    distances, _ = NearestNeighbors(n_neighbors=n_neighbors).fit(X).kneighbors(X)
    curve = np.sort(distances[:, -1])
    span = curve[-1] - curve[0]
    if span <= 0:
        return float(curve[-1]) if curve[-1] > 0 else 1.0
    # The curve rises slowly then sharply; its knee lies farthest below the chord joining the ends.
    x = np.linspace(0.0, 1.0, curve.size)
    knee = curve[int(np.argmax(x - (curve - curve[0]) / span))]
    return float(knee) if knee > 0 else float(curve[curve > 0][0])


class KneeDBSCAN(ClusterMixin, BaseEstimator):
    """DBSCAN whose eps, unless given, is the knee of the k-distance curve; noise is -1.

    `min_samples` defaults to twice the number of features (Sander et al., 1998).
    """

    def __init__(self, *, eps: float | None = None, min_samples: int | None = None) -> None:
        self.eps = eps
        self.min_samples = min_samples

    def fit(self, X: Any, y: None = None) -> KneeDBSCAN:
        """Find eps when not given, then run DBSCAN; sets `eps_`, `min_samples_`, `labels_`."""
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        self.min_samples_ = self.min_samples or max(2, 2 * X.shape[1])
        self.eps_ = self.eps or knee_eps(X, min_samples=self.min_samples_)
        self.labels_ = DBSCAN(eps=self.eps_, min_samples=self.min_samples_).fit_predict(X)
        return self


class PortableBirch(ClusterMixin, BaseEstimator):
    """BIRCH that keeps only its subcluster centres and their labels once fitted.

    `predict` is BIRCH's own rule (nearest subcluster centre), so it gives `labels_` back;
    the CF-tree, which skops cannot save, is dropped.
    """

    def __init__(
        self, *, n_clusters: int = 3, threshold: float = 0.5, branching_factor: int = 50
    ) -> None:
        self.n_clusters = n_clusters
        self.threshold = threshold
        self.branching_factor = branching_factor

    def fit(self, X: Any, y: None = None) -> PortableBirch:
        """Run BIRCH; sets `subcluster_centers_`, `subcluster_labels_` and `labels_`."""
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        birch = Birch(
            n_clusters=self.n_clusters,
            threshold=self.threshold,
            branching_factor=self.branching_factor,
        ).fit(X)
        self.subcluster_centers_ = birch.subcluster_centers_
        self.subcluster_labels_ = birch.subcluster_labels_
        self.subcluster_norms_ = birch._subcluster_norms  # exactly what Birch.predict uses
        self.labels_ = birch.labels_
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The label of the nearest subcluster centre, as `Birch.predict` computes it."""
        check_is_fitted(self)
        # C order: scikit-learn's fast nearest-centre search takes only C-ordered rows; on
        # any other it falls back to a path four times slower that may round differently.
        X = validate_data(self, X, dtype=np.float64, order="C", reset=False)
        with config_context(assume_finite=True):
            nearest = pairwise_distances_argmin(
                X,
                self.subcluster_centers_,
                metric_kwargs={"Y_norm_squared": self.subcluster_norms_},
            )
        return self.subcluster_labels_[nearest]


class SampledClusterer(ClusterMixin, BaseEstimator):
    """Fit `estimator` on at most `max_fit_rows` random rows, then give every row a label.

    Rows seen in fitting keep their fitted label. Any other row gets the label of the nearest
    fitted-cluster centroid (`assign="centroid"`) or the majority label of its `n_neighbors`
    nearest fitted rows (`assign="knn"`; noise, -1, is a label too, so noise stays noise).
    `predict` applies the same rule, so it reproduces `labels_` on the training rows exactly.
    """

    def __init__(
        self,
        estimator: Any = None,
        *,
        max_fit_rows: int = 10_000,
        assign: str = "knn",
        n_neighbors: int = 15,
        random_state: Any = None,
    ) -> None:
        self.estimator = estimator
        self.max_fit_rows = max_fit_rows
        self.assign = assign
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, X: Any, y: None = None) -> SampledClusterer:
        """Fit on a sample and label every row; sets `estimator_`, `fit_X_`, `fit_labels_`."""
        if self.assign not in ("knn", "centroid"):
            raise ValueError(f"assign must be 'knn' or 'centroid', got {self.assign!r}")
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        n_rows = X.shape[0]
        rows = np.arange(n_rows)
        if n_rows > self.max_fit_rows:
            rng = check_random_state(self.random_state)
            rows = np.sort(rng.choice(n_rows, size=self.max_fit_rows, replace=False))
        inner = AgglomerativeClustering() if self.estimator is None else self.estimator
        self.estimator_ = clone(inner)
        self.fit_X_ = X[rows]
        self.fit_labels_ = np.asarray(self.estimator_.fit_predict(self.fit_X_), dtype=np.int64)
        self.n_fit_rows_ = rows.size
        clusters = np.unique(self.fit_labels_[self.fit_labels_ >= 0])
        self.centroid_labels_ = clusters
        self.centroids_ = np.array(
            [self.fit_X_[self.fit_labels_ == c].mean(axis=0) for c in clusters]
        ).reshape(clusters.size, X.shape[1])
        self.labels_ = self._assign(X)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Label rows: rows seen in fitting keep their label, the others follow the assign rule."""
        check_is_fitted(self)
        return self._assign(validate_data(self, X, dtype=np.float64, reset=False))

    def _assign(self, X: np.ndarray) -> np.ndarray:
        labels = np.empty(X.shape[0], dtype=np.int64)
        seen, position = _exact_matches(X, self.fit_X_)
        labels[seen] = self.fit_labels_[position[seen]]
        rest = ~seen
        if rest.any():
            if self.assign == "centroid" and self.centroids_.shape[0] > 0:
                nearest = pairwise_distances_argmin(X[rest], self.centroids_)
                labels[rest] = self.centroid_labels_[nearest]
            else:
                labels[rest] = self._vote(X[rest])
        return labels

    def _vote(self, X: np.ndarray) -> np.ndarray:
        n_neighbors = min(self.n_neighbors, self.fit_X_.shape[0])
        index = NearestNeighbors(n_neighbors=n_neighbors).fit(self.fit_X_)
        neighbours = index.kneighbors(X, return_distance=False)
        values, codes = np.unique(self.fit_labels_, return_inverse=True)
        votes = np.zeros((X.shape[0], values.size))
        # Each neighbour counts 1, plus a bonus below 1 in total that favours nearer neighbours,
        # so ties between labels go to the label with the nearer members.
        bonus = (n_neighbors - np.arange(n_neighbors)) / (n_neighbors * (n_neighbors + 1))
        rows = np.arange(X.shape[0])
        for rank in range(n_neighbors):
            np.add.at(votes, (rows, codes[neighbours[:, rank]]), 1.0 + bonus[rank])
        return values[np.argmax(votes, axis=1)]


def _exact_matches(X: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of X equal a row of `reference` bit for bit, and the index of that row."""
    keys, ref_keys = _row_keys(X), _row_keys(reference)
    order = np.argsort(ref_keys, kind="stable")
    found = np.searchsorted(ref_keys[order], keys)
    found = np.minimum(found, order.size - 1)
    position = order[found]
    return ref_keys[position] == keys, position


def _row_keys(X: np.ndarray) -> np.ndarray:
    """Each row of a float64 matrix as one opaque byte string, so rows can be sorted and matched."""
    X = np.ascontiguousarray(X, dtype=np.float64) + 0.0  # + 0.0 folds -0.0 into 0.0
    return X.view(np.dtype((np.void, X.dtype.itemsize * X.shape[1]))).ravel()
