"""Aggregate-only context for templates and prompts, built from a run's profiles.

Nothing here ever holds a customer id or a row: only segment statistics against the book.
Segments below a size threshold are described coarsely (directions only, no figures) and flagged.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from segmenter.explain.facts import Fact, fact_of, stat_fact
from segmenter.explain.measures import kind_of
from segmenter.explain.naming import signals
from segmenter.explain.verdict import DOMINANT_SHARE, Level, Verdict, profile_verdict
from segmenter.explain.vocabulary import Units, Vocabulary, default_vocabulary
from segmenter.results import FeatureStat, RunProfile, SegmentProfile

__all__ = [
    "MIN_SEGMENT_SIZE",
    "Confidence",
    "Contrast",
    "Direction",
    "Fact",
    "Figure",
    "RunContext",
    "SegmentContext",
    "build_context",
    "kind_of",
]

MIN_SEGMENT_SIZE = 50
KEY_FIGURES = 4


# Bootstrap Jaccard below 0.6 means the segment does not reproduce; below 0.75 it is a weak
# pattern (Hennig 2007, "Cluster-wise assessment of cluster stability").
_UNSTABLE, _WEAK = 0.6, 0.75
_OVERLAPPING, _WEAKLY_SEPARATED = 0.0, 0.1
_LOW_FLAGS = frozenset({"noise", "small", "unstable", "overlapping"})
_LEVELS = ("low", "medium", "high")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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

    level: Level
    flags: tuple[str, ...]


class Contrast(_Frozen):
    """How a segment differs from another bearing the same archetype, on one statistic."""

    other_id: int
    other_name: str
    fact: Fact  # `book` here is the other segment's value


class SegmentContext(_Frozen):
    """What the narratives may say about one segment."""

    id: int
    name: str
    title: str  # the persona title: from the same archetype as the name
    size: int
    share: float
    is_noise: bool
    small: bool
    figures: tuple[Figure, ...]  # empty when the segment is small
    key_figures: tuple[Figure, ...]  # the figures of `facts`
    facts: tuple[Fact, ...]  # the distinctions a reader can see in the figures quoted
    contrast: Contrast | None  # set when another segment bears the same archetype
    strain: bool  # shows financial strain: help comes before credit
    needs: tuple[str, ...]  # ids into the vocabulary's needs, most pressing first
    need_texts: tuple[str, ...]
    channels: tuple[str, ...]
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
    verdict: Verdict  # whether the run splits the customers into usable segments, and why
    units: Units
    segments: tuple[SegmentContext, ...]


def confidence(segment: SegmentProfile, *, min_size: int, run: Verdict) -> Confidence:
    """Level and reasons from size, silhouette and bootstrap stability, capped by the run's."""
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
    level: Level = "low" if _LOW_FLAGS.intersection(flags) else ("medium" if flags else "high")
    capped: Level = min(level, run.level, key=_LEVELS.index)
    run_flags = tuple(f"run_{flag}" for flag in run.flags) if capped != level else ()
    return Confidence(level=capped, flags=flags + run_flags)


def _segment(
    segment: SegmentProfile,
    *,
    min_size: int,
    run: Verdict,
    vocabulary: Vocabulary,
    others: dict[int, SegmentProfile],
) -> SegmentContext:
    small = segment.size < min_size
    coarse = small or segment.is_noise
    figures = () if small else tuple(Figure.of(stat) for stat in segment.stats)
    by_feature = {f.feature: f for f in figures}
    strongest = segment.distinctions[: 3 if small else KEY_FIGURES]
    archetype = vocabulary.archetype(segment.archetype)
    # What the name says comes first: the measures that give the segment its archetype, then
    # the strongest distinctions; each stated only where the figures show it.
    stats = {s.feature: s for s in segment.stats}
    candidates = [
        *(archetype.measures() if archetype else ()),
        *(d.feature for d in segment.distinctions),
    ]
    plain = [
        stat_fact(stats[f]) for f in dict.fromkeys(candidates) if f in stats and f in by_feature
    ]
    # A segment holding most of the book is measured against a small remainder: its figures
    # are the book's, and nothing is said to set it apart.
    dominant = segment.share > DOMINANT_SHARE
    facts = () if dominant else tuple(f for f in plain if f is not None)[:KEY_FIGURES]
    key_figures = tuple(by_feature[f.feature] for f in facts)
    strain = not coarse and vocabulary.strained(signals(segment))
    needs = () if coarse else (archetype or vocabulary.fallback).needs
    if strain:
        needs = ("debt-help", *(n for n in needs if n != "debt-help"))
    return SegmentContext(
        id=segment.id,
        name=segment.name,
        title=segment.title or segment.name,
        size=segment.size,
        share=segment.share,
        is_noise=segment.is_noise,
        small=small,
        figures=figures,
        key_figures=key_figures,
        facts=facts,
        contrast=None if coarse else _contrast(segment, others),
        strain=strain,
        needs=needs,
        need_texts=tuple(vocabulary.needs[n] for n in needs),
        channels=() if coarse else (archetype or vocabulary.fallback).channels,
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
        confidence=confidence(segment, min_size=min_size, run=run),
    )


def _contrast(segment: SegmentProfile, others: dict[int, SegmentProfile]) -> Contrast | None:
    """The contrast with the other segment of the same archetype, when the figures show it."""
    if segment.contrast is None or segment.contrast.other not in others:
        return None
    other = others[segment.contrast.other]
    mine = next((s for s in segment.stats if s.feature == segment.contrast.feature), None)
    theirs = next((s for s in other.stats if s.feature == segment.contrast.feature), None)
    if mine is None or theirs is None:
        return None
    fact = fact_of(
        feature=mine.feature,
        label=mine.label,
        kind=kind_of(mine.feature),
        values={"mean": mine.mean, "median": mine.median},
        books={"mean": theirs.mean, "median": theirs.median},
        effect_size=1.0 if segment.contrast.direction == "high" else -1.0,
    )
    return None if fact is None else Contrast(other_id=other.id, other_name=other.name, fact=fact)


def build_context(
    run: RunProfile, *, min_size: int = MIN_SEGMENT_SIZE, vocabulary: Vocabulary | None = None
) -> RunContext:
    """Aggregate-only context of a run; segments by id (largest first), noise last."""
    vocabulary = vocabulary or default_vocabulary()
    verdict = profile_verdict(run)
    others = {s.id: s for s in run.segments}
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
        verdict=verdict,
        units=vocabulary.units,
        segments=tuple(
            _segment(s, min_size=min_size, run=verdict, vocabulary=vocabulary, others=others)
            for s in sorted(run.segments, key=lambda s: (s.is_noise or s.id < 0, s.id))
        ),
    )
