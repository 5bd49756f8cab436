"""Choosing the number of segments, and comparing every algorithm at one k.

The rule for k, in order:
1. Candidates are k in the business range (default 3..8) that the data can hold.
2. A candidate is eligible when its smallest segment holds at least `min_share` of customers
   (default 5 %) and its bootstrap stability (adjusted Rand index) is at least 0.6.
3. Each eligible candidate is ranked on four criteria: silhouette (higher is better),
   Calinski-Harabasz (higher), Davies-Bouldin (lower) and bootstrap stability (higher).
   The best mean rank wins; a tie goes to the smaller k, which is easier to act on.
4. When no candidate is eligible, all are ranked and the sentence says so.
Silhouette alone would mostly pick k=2 on this data, which is why the range starts at 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import adjusted_rand_score

from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.cluster.evaluation import N_BOOTSTRAPS, Evaluation, evaluate
from segmenter.explain.verdict import Verdict, run_verdict
from segmenter.progress import Progress, quiet
from segmenter.results import KCandidate, KChoice
from segmenter.sampling import CHOOSE_K_ROWS, Purpose, sample_rows

__all__ = [
    "COMPARISON_COLUMNS",
    "K_RANGE",
    "MIN_SHARE",
    "MIN_STABILITY",
    "Comparison",
    "choose_k",
    "compare_algorithms",
    "distinct_rows",
    "pick_k",
    "stability_note",
]

K_RANGE = (3, 8)
MIN_SHARE = 0.05
MIN_STABILITY = 0.6
COMPARISON_COLUMNS = (
    "algorithm",
    "k",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "stability_ari",
    "noise_share",
    "fit_seconds",
    "largest_share",
    "verdict",
)


def candidate(evaluation: Evaluation, *, min_share: float = MIN_SHARE) -> KCandidate:
    """The scores of one evaluated k, and whether it passes the share and stability floors."""
    m = evaluation.metrics
    stable = m.stability_ari if m.stability_ari is not None else 0.0
    return KCandidate(
        k=evaluation.k,
        silhouette=m.silhouette if m.silhouette is not None else -1.0,
        calinski_harabasz=m.calinski_harabasz or 0.0,
        davies_bouldin=m.davies_bouldin if m.davies_bouldin is not None else float(np.inf),
        stability_ari=stable,
        min_share=round(evaluation.min_share, 6),
        eligible=evaluation.min_share >= min_share and stable >= MIN_STABILITY,
    )


def pick_k(candidates: Sequence[KCandidate], *, min_share: float = MIN_SHARE) -> KChoice:
    """Apply the documented rule to scored candidates and explain the choice in one sentence."""
    pool = [c for c in candidates if c.eligible] or list(candidates)
    criteria = (
        [-c.silhouette for c in pool],
        [-c.calinski_harabasz for c in pool],
        [c.davies_bouldin for c in pool],
        [-c.stability_ari for c in pool],
    )
    ranks = np.mean([_ranks(values) for values in criteria], axis=0)
    best = min(range(len(pool)), key=lambda i: (ranks[i], pool[i].k))
    chosen = pool[best]
    ks = [c.k for c in candidates]
    among = (
        f"among the {len(pool)} candidates whose smallest segment holds at least "
        f"{min_share:.0%} of customers and whose bootstrap ARI is at least {MIN_STABILITY:.1f}"
        if any(c.eligible for c in candidates)
        else f"although no candidate kept its smallest segment at {min_share:.0%} or more "
        f"with a bootstrap ARI of at least {MIN_STABILITY:.1f}"
    )
    explanation = (
        f"k={chosen.k} was chosen from {min(ks)}-{max(ks)} because, {among}, it has the best "
        f"average rank over silhouette ({chosen.silhouette:.3f}), Calinski-Harabasz "
        f"({chosen.calinski_harabasz:,.0f}), Davies-Bouldin ({chosen.davies_bouldin:.2f}) "
        f"and bootstrap stability (ARI {chosen.stability_ari:.2f})."
    )
    return KChoice(chosen=chosen.k, candidates=list(candidates), explanation=explanation)


def _ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1 (smallest value); equal values share their mean rank."""
    array = np.asarray(values, dtype=float)
    return np.array([np.sum(array < v) + (np.sum(array == v) + 1) / 2 for v in array])


def choose_k(
    X: np.ndarray,
    algorithm: str,
    *,
    seed: int,
    k_range: tuple[int, int] = K_RANGE,
    min_share: float = MIN_SHARE,
    n_bootstraps: int = N_BOOTSTRAPS,
    progress: Progress = quiet,
) -> tuple[KChoice, Evaluation]:
    """Evaluate every k in `k_range` (capped by the distinct rows) and pick one by the rule.

    Above `CHOOSE_K_ROWS` rows the candidates are scored on a seeded sample of that many rows
    and only the chosen k is evaluated on all of X; the explanation says so.
    """
    n_distinct = distinct_rows(X, at_most=k_range[1] + 1)
    ks = range(k_range[0], min(k_range[1], n_distinct - 1) + 1)
    rows = sample_rows(X.shape[0], CHOOSE_K_ROWS, seed=seed, purpose=Purpose.CHOOSE_K)
    sampled = rows.size < X.shape[0]
    X_k = X[rows] if sampled else X
    evaluations: dict[int, Evaluation] = {}
    for step, k in enumerate(ks, start=1):
        progress(f"choosing k: {algorithm} at k={k} ({step}/{len(ks)})")
        evaluations[k] = evaluate(X_k, algorithm, k=k, seed=seed, n_bootstraps=n_bootstraps)
    # A method may return fewer segments than asked (an empty mixture component): skip those.
    scored = {k: e for k, e in evaluations.items() if e.k == k}
    choice = pick_k(
        [candidate(e, min_share=min_share) for e in scored.values()], min_share=min_share
    )
    if not sampled:
        return choice, scored[choice.chosen]
    note = (
        f" The candidates were scored on a random sample of {rows.size:,} of "
        f"{X.shape[0]:,} customers."
    )
    choice = choice.model_copy(update={"explanation": choice.explanation + note})
    progress(f"fitting {algorithm} at k={choice.chosen} on all {X.shape[0]:,} customers")
    return choice, evaluate(X, algorithm, k=choice.chosen, seed=seed, n_bootstraps=n_bootstraps)


CLEARLY_MORE_STABLE = 0.1  # bootstrap ARI: a neighbour this much more stable is worth a note


def stability_note(choice: KChoice, k: int) -> str | None:
    """A sentence when a neighbouring k is clearly more stable than the k set by hand."""
    scores = {c.k: c for c in choice.candidates}
    if k not in scores:
        return None
    own = scores[k].stability_ari
    better = [
        scores[n]
        for n in (k - 1, k + 1)
        if n in scores and scores[n].stability_ari >= own + CLEARLY_MORE_STABLE
    ]
    if not better:
        return None
    best = max(better, key=lambda c: (c.stability_ari, -c.k))
    auto = " (the automatic choice)" if best.k == choice.chosen else ""
    return (
        f"k={k} reproduces on resampled customers with a bootstrap agreement of {own:.2f}; "
        f"k={best.k}{auto} reproduces with {best.stability_ari:.2f}. Consider k={best.k}."
    )


def distinct_rows(X: np.ndarray, *, at_most: int) -> int:
    """The number of distinct rows of X, or `at_most` if there are at least that many.

    Sorting every row of a large matrix is slow; its first rows almost always settle it.
    """
    head = np.unique(X[: max(4 * at_most, 10_000)], axis=0).shape[0]
    if head >= at_most:
        return at_most
    return min(np.unique(X, axis=0).shape[0], at_most)


@dataclass(frozen=True)
class Comparison:
    """Every algorithm evaluated at one k."""

    k: int
    evaluations: dict[str, Evaluation]

    def rows(self) -> list[dict[str, object]]:
        """One row per algorithm with exactly the `COMPARISON_COLUMNS`.

        Runs that do not split the customers into usable segments (one dominant group, or
        many unassigned) come after every usable one, whatever their scores; otherwise the
        registry's order is kept.
        """
        verdicts = {name: _verdict(e) for name, e in self.evaluations.items()}
        order = sorted(self.evaluations, key=lambda name: not verdicts[name].usable)
        return [
            {
                "algorithm": name,
                "k": e.k,
                "silhouette": e.metrics.silhouette,
                "calinski_harabasz": e.metrics.calinski_harabasz,
                "davies_bouldin": e.metrics.davies_bouldin,
                "stability_ari": e.metrics.stability_ari,
                "noise_share": e.metrics.noise_share,
                "fit_seconds": round(e.fit_seconds, 3),
                "largest_share": e.metrics.largest_share,
                "verdict": verdicts[name].level
                + ("" if verdicts[name].usable else ": not usable segments"),
            }
            for name in order
            for e in [self.evaluations[name]]
        ]

    def agreement(self) -> list[list[float]]:
        """Adjusted Rand index between the segmentations of every pair of algorithms."""
        labels = [e.labels for e in self.evaluations.values()]
        return [[round(adjusted_rand_score(a, b), 6) for b in labels] for a in labels]


def _verdict(evaluation: Evaluation) -> Verdict:
    m = evaluation.metrics
    return run_verdict(
        largest_share=m.largest_share or 0.0,
        noise_share=m.noise_share,
        stability_ari=m.stability_ari,
        k=evaluation.k,
    )


def compare_algorithms(
    X: np.ndarray,
    *,
    k: int,
    seed: int,
    n_bootstraps: int = N_BOOTSTRAPS,
    done: dict[str, Evaluation] | None = None,
    progress: Progress = quiet,
) -> Comparison:
    """Evaluate every registered algorithm at k; `done` holds evaluations already made."""
    evaluations: dict[str, Evaluation] = {}
    for step, name in enumerate(ALGORITHMS, start=1):
        if done and name in done:
            evaluations[name] = done[name]
            continue
        progress(f"comparing: {name} at k={k} ({step}/{len(ALGORITHMS)})")
        evaluations[name] = evaluate(X, name, k=k, seed=seed, n_bootstraps=n_bootstraps)
    return Comparison(k=k, evaluations=evaluations)
