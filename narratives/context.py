"""Aggregate-only context for templates and prompts, built from a run's profiles.

Nothing here ever holds a customer id or a row: only segment statistics against the book.
Segments below a size threshold are described coarsely (directions only, no figures) and flagged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from segmenter.results import FeatureStat, RunProfile, SegmentProfile
from segmenter.schema import COUNT_COLUMNS, FREQUENCY_COLUMNS, MONEY_COLUMNS

__all__ = [
    "MIN_SEGMENT_SIZE",
    "Confidence",
    "Direction",
    "Figure",
    "RunContext",
    "SegmentContext",
    "build_context",
    "kind_of",
]

MIN_SEGMENT_SIZE = 50
KEY_FIGURES = 4

# Kinds decide how a figure is printed and which spellings of it the number check accepts.
_KINDS: dict[str, str] = {
    **dict.fromkeys(MONEY_COLUMNS, "money"),
    **dict.fromkeys(FREQUENCY_COLUMNS, "share"),
    **dict.fromkeys(COUNT_COLUMNS, "count"),
    "TENURE": "months",
    "MONTHLY_PURCHASES": "money",
    "MONTHLY_CASH_ADVANCE": "money",
    "LIMIT_USAGE": "share",
    "PAYMENTS_TO_MINIMUM": "ratio",
}

# Bootstrap Jaccard below 0.6 means the segment does not reproduce; below 0.75 it is a weak
# pattern (Hennig 2007, "Cluster-wise assessment of cluster stability").
_UNSTABLE, _WEAK = 0.6, 0.75
_OVERLAPPING, _WEAKLY_SEPARATED = 0.0, 0.1
_LOW_FLAGS = frozenset({"noise", "small", "unstable", "overlapping"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def kind_of(feature: str) -> str:
    """How a feature's values read: money, share, count, months or ratio."""
    return _KINDS.get(feature, "ratio")


class Figure(_Frozen):
    """One statistic of a segment beside the same statistic over the whole book."""

    feature: str
    label: str
    kind: str
    mean: float
    median: float
    population_mean: float
    population_median: float
    lift: float | None
    effect_size: float

    @classmethod
    def of(cls, stat: FeatureStat) -> Figure:
        return cls(kind=kind_of(stat.feature), **stat.model_dump())


class Direction(_Frozen):
    """A feature that sets a segment apart, with the side it falls on."""

    feature: str
    label: str
    direction: Literal["high", "low"]


class Confidence(_Frozen):
    """How far a segment can be trusted: a level and the reasons (templates phrase them)."""

    level: Literal["high", "medium", "low"]
    flags: tuple[str, ...]


class SegmentContext(_Frozen):
    """What the narratives may say about one segment."""

    id: int
    name: str
    size: int
    share: float
    is_noise: bool
    small: bool
    figures: tuple[Figure, ...]  # empty when the segment is small
    key_figures: tuple[Figure, ...]  # the strongest distinctions, as figures
    directions: tuple[Direction, ...]
    rules: tuple[str, ...]
    rule_precision: float | None
    purchase_mix: tuple[tuple[str, float], ...]  # largest first
    silhouette: float | None
    stability: float | None
    confidence: Confidence

    @property
    def coarse(self) -> bool:
        """Described by directions only: too small, or not a segment at all."""
        return self.small or self.is_noise

    def figure(self, feature: str) -> Figure | None:
        """The figure of one feature, or None when the segment has none for it."""
        return next((f for f in self.figures if f.feature == feature), None)


class RunContext(_Frozen):
    """The whole run as the narratives see it."""

    algorithm: str
    k: int
    n_customers: int
    silhouette: float | None
    stability_ari: float | None
    noise_share: float
    k_explanation: str | None
    fit_note: str | None
    min_size: int
    segments: tuple[SegmentContext, ...]


def confidence(segment: SegmentProfile, *, min_size: int) -> Confidence:
    """Level and reasons from size, silhouette and bootstrap stability."""
    checks = {
        "noise": segment.is_noise,
        "small": segment.size < min_size,
        "unstable": segment.stability is not None and segment.stability < _UNSTABLE,
        "weak_stability": segment.stability is not None and _UNSTABLE <= segment.stability < _WEAK,
        "stability_unknown": segment.stability is None,
        "overlapping": segment.silhouette is not None and segment.silhouette < _OVERLAPPING,
        "weakly_separated": segment.silhouette is not None
        and _OVERLAPPING <= segment.silhouette < _WEAKLY_SEPARATED,
    }
    flags = tuple(name for name, hit in checks.items() if hit)
    if _LOW_FLAGS.intersection(flags):
        return Confidence(level="low", flags=flags)
    return Confidence(level="medium" if flags else "high", flags=flags)


def _segment(segment: SegmentProfile, *, min_size: int) -> SegmentContext:
    small = segment.size < min_size
    figures = () if small else tuple(Figure.of(stat) for stat in segment.stats)
    by_feature = {f.feature: f for f in figures}
    strongest = segment.distinctions[: 3 if small else KEY_FIGURES]
    return SegmentContext(
        id=segment.id,
        name=segment.name,
        size=segment.size,
        share=segment.share,
        is_noise=segment.is_noise,
        small=small,
        figures=figures,
        key_figures=tuple(by_feature[d.feature] for d in strongest if d.feature in by_feature),
        directions=tuple(
            Direction(feature=d.feature, label=d.label, direction=d.direction) for d in strongest
        ),
        rules=() if small else tuple(segment.rules),
        rule_precision=None if small else segment.rule_precision,
        purchase_mix=()
        if small
        else tuple(sorted(segment.purchase_type.items(), key=lambda item: (-item[1], item[0]))),
        silhouette=segment.silhouette,
        stability=segment.stability,
        confidence=confidence(segment, min_size=min_size),
    )


def build_context(run: RunProfile, *, min_size: int = MIN_SEGMENT_SIZE) -> RunContext:
    """Aggregate-only context of a run; segments by id (largest first), noise last."""
    return RunContext(
        algorithm=run.algorithm,
        k=run.k,
        n_customers=run.n_customers,
        silhouette=run.metrics.silhouette,
        stability_ari=run.metrics.stability_ari,
        noise_share=run.metrics.noise_share,
        k_explanation=run.k_selection.explanation if run.k_selection else None,
        fit_note=run.fit_note,
        min_size=min_size,
        segments=tuple(
            _segment(s, min_size=min_size)
            for s in sorted(run.segments, key=lambda s: (s.is_noise or s.id < 0, s.id))
        ),
    )
