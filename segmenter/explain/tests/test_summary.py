"""The run's summary lines, which the app and `segmenter segment` both show, on hand-made runs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.explain.summary import RunSummary, run_summary
from segmenter.results import KChoice, Metrics, RunProfile

CHOSEN = "k=4 was chosen from 3-8: the best silhouette among stable candidates."
SAMPLED = "Fitted on a sample of 10,000 customers; the rest assigned by the nearest segment."


@dataclass(frozen=True)
class Spec:
    title: str
    uses_k: bool = True


def profile(
    *,
    k: int = 4,
    silhouette: float | None = 0.2174,
    chosen: bool = False,
    fit_note: str | None = None,
    algorithm: str = "kmeans",
) -> RunProfile:
    return RunProfile(
        algorithm=algorithm,
        k=k,
        seed=7,
        n_customers=8950,
        metrics=Metrics(silhouette=silhouette, calinski_harabasz=None, davies_bouldin=None),
        k_selection=KChoice(chosen=k, candidates=[], explanation=CHOSEN) if chosen else None,
        fit_note=fit_note,
        segments=[],
    )


@pytest.mark.parametrize(
    ("run", "spec", "headline"),
    [
        pytest.param(
            profile(chosen=True),
            Spec("K-Means"),
            "K-Means: 4 segments of 8,950 customers (k chosen automatically), seed 7, "
            "silhouette 0.217.",
            id="auto",
        ),
        pytest.param(
            profile(k=5),
            Spec("Gaussian mixture"),
            "Gaussian mixture: 5 segments of 8,950 customers (k set by hand), seed 7, "
            "silhouette 0.217.",
            id="by-hand",
        ),
        pytest.param(
            profile(k=2, silhouette=None),
            Spec("DBSCAN", uses_k=False),
            "DBSCAN: 2 segments of 8,950 customers (k found by the method), seed 7.",
            id="density-no-silhouette",
        ),
    ],
)
def test_the_headline_says_what_was_fitted_and_how_k_came_about(
    run: RunProfile, spec: Spec, headline: str
) -> None:
    assert run_summary(run, method=spec).headline == headline


def test_the_lines_are_the_sentences_that_are_set_in_reading_order() -> None:
    full = run_summary(profile(chosen=True, fit_note=SAMPLED), method=Spec("K-Means"))
    assert full == RunSummary(headline=full.headline, k_explanation=CHOSEN, fit_note=SAMPLED)
    assert full.lines == [full.headline, CHOSEN, SAMPLED]
    bare = run_summary(profile(), method=Spec("K-Means"))
    assert (bare.k_explanation, bare.fit_note) == (None, None)
    assert bare.lines == [bare.headline]


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_every_registered_algorithm_is_a_method(name: str) -> None:
    headline = run_summary(profile(algorithm=name), method=ALGORITHMS[name]).headline
    assert headline.startswith(f"{ALGORITHMS[name].title}: 4 segments of 8,950 customers (k ")
