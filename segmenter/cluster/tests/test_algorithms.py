"""The registry and the estimators behind it, on small hand-checked data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from segmenter.cluster.algorithms import ALGORITHMS, get_algorithm, make_clusterer
from segmenter.cluster.estimators import KneeDBSCAN, PortableBirch, SampledClusterer, knee_eps
from segmenter.errors import InputError

SEVEN = ["kmeans", "agglomerative", "gmm", "dbscan", "spectral", "birch", "hdbscan"]
# Separated blobs leave spectral's neighbour graph in pieces, which it rightly warns about.
SPLIT_GRAPH = "ignore:Graph is not fully connected:UserWarning"


@parametrize_with_checks(
    [
        SampledClusterer(AgglomerativeClustering(n_clusters=3), assign="centroid"),
        SampledClusterer(AgglomerativeClustering(n_clusters=3), max_fit_rows=30, random_state=0),
        SampledClusterer(KneeDBSCAN(min_samples=3), max_fit_rows=30, random_state=0),
        KneeDBSCAN(),
        PortableBirch(n_clusters=3, threshold=0.05),  # tiny check data: few subclusters
    ]
)
def test_estimators_follow_the_scikit_learn_contract(estimator, check) -> None:
    check(estimator)


def test_the_registry_holds_the_seven_methods() -> None:
    assert list(ALGORITHMS) == SEVEN
    assert {a for a in SEVEN if not ALGORITHMS[a].uses_k} == {"dbscan", "hdbscan"}
    assert {a for a in SEVEN if ALGORITHMS[a].sampled} == {
        "agglomerative",
        "dbscan",
        "spectral",
        "hdbscan",
    }


def test_unknown_algorithm_is_refused_with_the_known_names() -> None:
    with pytest.raises(InputError, match=r"unknown algorithm 'kmedoids'; choose one of: kmeans"):
        get_algorithm("kmedoids")


@pytest.mark.parametrize("name", ["kmeans", "gmm", "spectral", "agglomerative", "dbscan"])
def test_the_seed_reaches_the_estimator(name: str) -> None:
    params = make_clusterer(name, k=3, seed=7, n_rows=100).get_params()
    assert params["random_state"] == 7


@pytest.mark.filterwarnings(SPLIT_GRAPH)
@pytest.mark.parametrize("name", SEVEN)
def test_each_method_finds_three_separated_blobs_and_predict_repeats_it(name: str) -> None:
    # 17 features, like ours: in two dimensions the k-distance knee sits too low for Gaussians.
    X, truth = make_blobs(n_samples=[80, 60, 40], n_features=17, cluster_std=0.5, random_state=0)
    model = make_clusterer(name, k=3, seed=0, n_rows=X.shape[0]).fit(X)
    labels = model.predict(X)
    assert adjusted_rand_score(truth, labels) == 1.0
    np.testing.assert_array_equal(model.predict(X[::-1]), labels[::-1])


def test_knee_eps_on_a_hand_made_curve() -> None:
    # Ten points 1 apart and one far away: every nearest-other distance is 1 but one (91).
    X = np.array([[float(i)] for i in range(10)] + [[100.0]])
    assert knee_eps(X, min_samples=2) == 1.0
    labels = KneeDBSCAN(min_samples=2).fit(X).labels_
    assert labels.tolist() == [0] * 10 + [-1]


def test_kneedbscan_defaults_min_samples_to_twice_the_features() -> None:
    X, _ = make_blobs(n_samples=60, n_features=3, random_state=0)
    assert KneeDBSCAN().fit(X).min_samples_ == 6


def test_sampled_fit_keeps_fitted_labels_and_assigns_the_rest() -> None:
    X, truth = make_blobs(n_samples=[100, 100], centers=[[0, 0], [8, 8]], cluster_std=0.5,
                          random_state=1)  # fmt: skip
    model = SampledClusterer(KMeans(n_clusters=2, n_init=1, random_state=0), max_fit_rows=40,
                             assign="centroid", random_state=0).fit(X)  # fmt: skip
    assert model.n_fit_rows_ == 40
    assert model.fit_X_.shape == (40, 2)
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    # Rows seen in fitting keep exactly the inner estimator's labels.
    np.testing.assert_array_equal(model.predict(model.fit_X_), model.fit_labels_)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_knn_assignment_keeps_noise_as_noise() -> None:
    # Fitted rows: a dense cluster near 0 (label 0) and scattered noise far out (label -1).
    cluster = np.linspace(-1, 1, 21)[:, None]
    noise = np.array([[20.0], [25.0], [30.0], [35.0], [40.0]])
    model = SampledClusterer(KneeDBSCAN(eps=0.5, min_samples=3), n_neighbors=3)
    model.fit(np.vstack([cluster, noise]))
    assert model.labels_.tolist() == [0] * 21 + [-1] * 5
    # New rows: one inside the cluster, one among the noise (its 3 nearest are all noise).
    assert model.predict(np.array([[0.05], [31.0]])).tolist() == [0, -1]


def test_knn_vote_tie_goes_to_the_label_with_nearer_members() -> None:
    # Two neighbours per label around 5.2: label 1 at 6 and 7 is nearer than label 0 at 3 and 4.
    fitted = np.array([[3.0], [4.0], [6.0], [7.0]])
    model = SampledClusterer(KMeans(n_clusters=2, n_init=1, random_state=0), n_neighbors=4)
    model.fit(fitted)
    near_one = model.labels_[2]
    assert model.predict(np.array([[5.2]])).tolist() == [near_one]


def test_portable_birch_predicts_like_birch() -> None:
    from sklearn.cluster import Birch

    X, _ = make_blobs(n_samples=200, centers=4, random_state=3)
    ours, theirs = PortableBirch(n_clusters=4).fit(X), Birch(n_clusters=4).fit(X)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
