"""Size ordering, scores with noise, bootstrap stability, and the rule that picks k."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, silhouette_score

from segmenter.cluster import evaluation
from segmenter.cluster.evaluation import Evaluation, order_by_size, quality, stability
from segmenter.cluster.selection import (
    COMPARISON_COLUMNS,
    Comparison,
    choose_k,
    compare_algorithms,
    pick_k,
)
from segmenter.explain.verdict import run_verdict
from segmenter.results import KCandidate, Metrics

SPLIT_GRAPH = "ignore:Graph is not fully connected:UserWarning"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param([5, 5, 2, 2, 2, 7, -1], {2: 0, 5: 1, 7: 2, -1: -1}, id="by-size-noise-kept"),
        pytest.param([1, 1, 0, 0, 3], {1: 0, 0: 1, 3: 2}, id="tie-goes-to-first-seen"),
        pytest.param([-1, -1], {-1: -1}, id="all-noise"),
    ],
)
def test_order_by_size(raw: list[int], expected: dict[int, int]) -> None:
    assert order_by_size(np.array(raw)) == expected


def test_quality_counts_noise_as_its_own_group() -> None:
    X = np.array([[0.0], [1.0], [10.0], [11.0], [50.0], [100.0]])
    labels = np.array([0, 0, 1, 1, -1, -1])
    metrics, per_label = quality(X, labels, seed=0)
    assert metrics.noise_share == pytest.approx(2 / 6, abs=1e-6)
    assert metrics.largest_share == pytest.approx(2 / 6, abs=1e-6)  # of all rows, noise too
    assert metrics.silhouette == pytest.approx(silhouette_score(X, labels), abs=1e-6)
    # Row 0: a = 1 (to row 1), b = 10.5 (to segment 1) -> 1 - 1/10.5; row 1: 1 - 1/9.5.
    assert per_label[0] == pytest.approx((2 - 1 / 10.5 - 1 / 9.5) / 2, abs=1e-6)


def test_quality_is_undefined_for_a_single_group() -> None:
    metrics, per_label = quality(np.arange(4.0)[:, None], np.zeros(4, dtype=int), seed=0)
    assert metrics.silhouette is None
    assert metrics.calinski_harabasz is None
    assert metrics.largest_share == 1.0
    assert per_label == {}


class _FixedRefit:
    """A stand-in refit whose labels are given: stability becomes hand-checkable."""

    def __init__(self, labels: list[int]) -> None:
        self.labels = np.array(labels)

    def fit(self, X: np.ndarray) -> _FixedRefit:
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.labels


def test_stability_is_mean_ari_and_best_jaccard_per_segment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    labels = np.array([0, 0, 0, 1, 1, 1])
    refit = [0, 0, 1, 1, 1, 1]
    monkeypatch.setattr(evaluation, "make_clusterer", lambda *a, **kw: _FixedRefit(refit))
    ari, per_label = stability(np.zeros((6, 1)), labels, algorithm="kmeans", k=2, seed=0)
    assert ari == pytest.approx(adjusted_rand_score(labels, refit), abs=1e-6)
    # Segment 0 = {0,1,2} best matches refit {0,1}: 2/3; segment 1 = {3,4,5} vs {2..5}: 3/4.
    assert per_label == {0: pytest.approx(2 / 3, abs=1e-6), 1: pytest.approx(3 / 4, abs=1e-6)}


def test_stability_of_separated_blobs_is_perfect() -> None:
    X, _ = make_blobs(n_samples=[40, 30, 20], n_features=4, cluster_std=0.3, random_state=0)
    labels = evaluation.evaluate(X, "kmeans", k=3, seed=0).labels
    ari, per_label = stability(X, labels, algorithm="kmeans", k=3, seed=0, n_bootstraps=5)
    assert ari == 1.0
    assert per_label == {0: 1.0, 1: 1.0, 2: 1.0}


def cand(k: int, sil: float, ch: float, db: float, ari: float, share: float) -> KCandidate:
    eligible = share >= 0.05 and ari >= 0.6
    return KCandidate(k=k, silhouette=sil, calinski_harabasz=ch, davies_bouldin=db,
                      stability_ari=ari, min_share=share, eligible=eligible)  # fmt: skip


def test_pick_k_skips_small_or_unstable_candidates_and_ranks_the_rest() -> None:
    choice = pick_k(
        [
            cand(3, 0.30, 900, 1.2, 0.95, 0.02),  # best scores, but a 2 % segment
            cand(4, 0.25, 800, 1.0, 0.90, 0.10),  # best of the eligible on every criterion
            cand(5, 0.20, 700, 1.1, 0.80, 0.08),
            cand(6, 0.26, 600, 0.9, 0.50, 0.07),  # unstable
        ]
    )
    assert choice.chosen == 4
    assert choice.explanation == (
        "k=4 was chosen from 3-6 because, among the 2 candidates whose smallest segment holds "
        "at least 5% of customers and whose bootstrap ARI is at least 0.6, it has the best "
        "average rank over silhouette (0.250), Calinski-Harabasz (800), Davies-Bouldin (1.00) "
        "and bootstrap stability (ARI 0.90)."
    )


def test_pick_k_breaks_a_tie_towards_fewer_segments() -> None:
    # k=5 wins silhouette and CH, k=4 wins DB and stability: mean ranks 1.5 each.
    choice = pick_k([cand(5, 0.3, 900, 1.2, 0.8, 0.1), cand(4, 0.2, 800, 1.0, 0.9, 0.1)])
    assert choice.chosen == 4


def test_pick_k_says_when_no_candidate_is_eligible() -> None:
    choice = pick_k([cand(3, 0.3, 900, 1.0, 0.9, 0.01), cand(4, 0.2, 800, 1.2, 0.5, 0.2)])
    assert choice.chosen == 3
    assert "no candidate kept its smallest segment at 5%" in choice.explanation


def test_choose_k_finds_four_separated_groups() -> None:
    X, _ = make_blobs(n_samples=[50, 40, 30, 30], n_features=5, cluster_std=0.4, random_state=2)
    choice, chosen = choose_k(X, "kmeans", seed=0, k_range=(2, 6))
    assert choice.chosen == 4
    assert chosen.k == 4
    assert [c.k for c in choice.candidates] == [2, 3, 4, 5, 6]
    assert choice.explanation.startswith("k=4 was chosen from 2-6 because")


@pytest.mark.filterwarnings(SPLIT_GRAPH)
def test_compare_scores_every_algorithm_with_the_contract_columns() -> None:
    # Every blob beats DBSCAN's min_samples of 2 x 17 = 34 rows.
    X, truth = make_blobs(n_samples=[70, 50, 40], n_features=17, cluster_std=0.5, random_state=0)
    comparison = compare_algorithms(X, k=3, seed=0)
    rows = comparison.rows()
    assert [r["algorithm"] for r in rows] == list(comparison.evaluations)
    assert all(tuple(r) == COMPARISON_COLUMNS for r in rows)
    assert all(r["k"] == 3 and r["noise_share"] == 0.0 for r in rows)
    agreement = np.array(comparison.agreement())
    np.testing.assert_allclose(agreement, agreement.T)
    np.testing.assert_allclose(np.diag(agreement), 1.0)
    assert all(adjusted_rand_score(truth, e.labels) == 1.0 for e in comparison.evaluations.values())


@pytest.mark.filterwarnings(SPLIT_GRAPH)
def test_a_group_below_min_samples_is_dbscan_noise_scored_as_its_own_group() -> None:
    X, truth = make_blobs(n_samples=[70, 50, 30], n_features=17, cluster_std=0.5, random_state=0)
    comparison = compare_algorithms(X, k=3, seed=0)
    dbscan = comparison.evaluations["dbscan"]
    assert (dbscan.k, dbscan.metrics.noise_share) == (2, pytest.approx(30 / 150, abs=1e-6))
    assert adjusted_rand_score(truth, dbscan.labels) == 1.0  # the noise is exactly that group
    assert dbscan.metrics.silhouette == comparison.evaluations["kmeans"].metrics.silhouette


def scored(*, largest: float, noise: float = 0.0) -> Evaluation:
    """An evaluation of three segments with these shares, stable (ARI 0.95), scores fixed."""
    metrics = Metrics(
        silhouette=0.3,
        calinski_harabasz=100.0,
        davies_bouldin=1.0,
        stability_ari=0.95,
        noise_share=noise,
        largest_share=largest,
    )
    return Evaluation(
        algorithm="x",
        model=None,
        raw_labels=np.array([0, 1, 2]),
        labels=np.array([0, 1, 2]),
        label_map={0: 0, 1: 1, 2: 2},
        metrics=metrics,
        segment_silhouettes={},
        segment_stabilities={},
        fit_seconds=0.1,
    )


def test_comparison_rows_put_unusable_runs_last_with_their_verdict() -> None:
    comparison = Comparison(
        k=3,
        evaluations={
            "dominated": scored(largest=0.9),  # over 60% of the book in one segment
            "balanced": scored(largest=0.4),
            "mostly-unassigned": scored(largest=0.3, noise=0.4),  # over 30% unassigned
            "leaning": scored(largest=0.5),  # over 45%: usable with care
        },
    )
    rows = comparison.rows()
    assert [(r["algorithm"], r["largest_share"], r["verdict"]) for r in rows] == [
        ("balanced", 0.4, "high"),
        ("leaning", 0.5, "medium"),
        ("dominated", 0.9, "low: not usable segments"),
        ("mostly-unassigned", 0.3, "low: not usable segments"),
    ]


@pytest.mark.parametrize(
    ("largest", "noise", "ari", "level", "usable", "flags"),
    [
        pytest.param(0.7, 0.0, 0.9, "low", False, ("dominant",), id="dominant"),
        pytest.param(0.3, 0.35, 0.9, "low", False, ("unassigned",), id="unassigned"),
        pytest.param(0.7, 0.35, 0.9, "low", False, ("dominant", "unassigned"), id="both"),
        pytest.param(0.3, 0.0, 0.5, "low", True, ("unstable",), id="unstable"),
        pytest.param(0.3, 0.0, 0.7, "medium", True, ("partly_stable",), id="partly-stable"),
        pytest.param(0.5, 0.15, 0.9, "medium", True, ("leaning", "some_unassigned"), id="leaning"),
        pytest.param(0.4, 0.05, 0.9, "high", True, (), id="high"),
        pytest.param(0.6, 0.1, 0.8, "medium", True, ("leaning",), id="at-the-limits"),
    ],
)
def test_run_verdict_levels(
    largest: float, noise: float, ari: float, level: str, usable: bool, flags: tuple[str, ...]
) -> None:
    got = run_verdict(largest_share=largest, noise_share=noise, stability_ari=ari, k=3)
    assert (got.level, got.usable, got.flags) == (level, usable, flags)


@pytest.mark.parametrize(
    ("largest", "noise", "ari", "k", "sentence"),
    [
        pytest.param(
            0.7, 0.0, 0.9, 3,
            "One dominant group (70% of customers) and 2 small ones: this method does not split "
            "these customers into usable segments. Read the segments as a sketch, not as a "
            "basis for campaigns.",
            id="dominant",
        ),
        pytest.param(
            1.0, 0.0, None, 1,
            "One dominant group (100% of customers) and no other: this method does not split "
            "these customers into usable segments. Read the segments as a sketch, not as a "
            "basis for campaigns.",
            id="one-group",
        ),
        pytest.param(
            0.3, 0.35, 0.9, 3,
            "35% of customers left unassigned: this method does not split these customers into "
            "usable segments. Read the segments as a sketch, not as a basis for campaigns.",
            id="unassigned",
        ),
        pytest.param(
            0.3, 0.0, 0.5, 3,
            "Refits on resampled customers give different segments (bootstrap agreement 0.50): "
            "treat these segments as tentative, and try another k.",
            id="unstable",
        ),
        pytest.param(
            0.5, 0.15, 0.7, 3,
            "Usable with care: refits on resampled customers agree only in part (bootstrap "
            "agreement 0.70); the largest segment holds 50% of customers; 15% of customers are "
            "left unassigned.",
            id="usable-with-care",
        ),
        pytest.param(
            0.4, 0.0, None, 3,
            "The segments are balanced in size and reproduce on resampled customers.",
            id="high-stability-unmeasured",
        ),
    ],
)  # fmt: skip
def test_run_verdict_says_why_in_one_sentence(
    largest: float, noise: float, ari: float | None, k: int, sentence: str
) -> None:
    got = run_verdict(largest_share=largest, noise_share=noise, stability_ari=ari, k=k)
    assert got.sentence == sentence
