"""A run in a few sentences: what was fitted on how many customers, how k came about, and how.

The app shows these lines above every view and `segmenter segment` prints them, so both say
the same thing in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from segmenter.explain.verdict import profile_verdict
from segmenter.results import RunProfile

__all__ = ["Method", "RunSummary", "run_summary", "segment_lines"]


class Method(Protocol):
    """What the summary needs to know of an algorithm (segmenter.cluster.algorithms.Algorithm)."""

    @property
    def title(self) -> str: ...

    @property
    def uses_k(self) -> bool: ...


@dataclass(frozen=True)
class RunSummary:
    """The run's headline, how k was chosen (when it was) and how it was fitted (when notable)."""

    headline: str
    k_explanation: str | None
    fit_note: str | None

    @property
    def lines(self) -> list[str]:
        """The sentences that are set, in reading order."""
        return [s for s in (self.headline, self.k_explanation, self.fit_note) if s]


def run_summary(profile: RunProfile, *, method: Method) -> RunSummary:
    """E.g. "K-Means: 4 segments of 8,950 customers (k chosen automatically), seed 0, ..."."""
    if not method.uses_k:
        how = "found by the method"
    elif profile.k_selection is not None:
        how = "chosen automatically"
    else:
        how = "set by hand"
    silhouette = profile.metrics.silhouette
    measured = f", silhouette {silhouette:.3f}" if silhouette is not None else ""
    return RunSummary(
        headline=(
            f"{method.title}: {profile.k} segments of {profile.n_customers:,} customers "
            f"(k {how}), seed {profile.seed}{measured}."
        ),
        k_explanation=profile.k_selection.explanation if profile.k_selection else None,
        fit_note=profile.fit_note,
    )


def segment_lines(profile: RunProfile, *, method: Method) -> list[str]:
    """What `segmenter segment` prints of a run, on either engine: the summary, a line per
    segment (id, name, size, share) and the confidence verdict."""
    lines = run_summary(profile, method=method).lines  # the words the app shows
    lines += [f"  {s.id:>3}  {s.name:<40} {s.size:>9,}  {s.share:6.1%}" for s in profile.segments]
    verdict = profile_verdict(profile)
    lines.append(f"Confidence in this segmentation: {verdict.level}. {verdict.sentence}")
    return lines
