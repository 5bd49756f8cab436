"""Typed results shared by the core, the narratives and the app; `RunProfile` is profiles.json."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Contrast",
    "Distinction",
    "FeatureStat",
    "KCandidate",
    "KChoice",
    "Metrics",
    "RunProfile",
    "SegmentProfile",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeatureStat(_Frozen):
    """One column or derived measure of one segment, against the whole book."""

    feature: str  # canonical column or derived-measure name, e.g. "CASH_ADVANCE"
    label: str  # plain language, e.g. "cash advance"
    mean: float
    median: float
    population_mean: float
    population_median: float
    lift: float | None  # segment mean / population mean; None when the population mean is 0
    effect_size: float  # standardised mean difference against the rest of the book


class Distinction(_Frozen):
    """A feature that sets a segment apart."""

    feature: str
    label: str
    direction: Literal["high", "low"]
    effect_size: float


class Contrast(_Frozen):
    """What tells a segment from another bearing the same archetype: a measure and a side."""

    other: int  # id of the other segment
    feature: str
    direction: Literal["high", "low"]  # this segment's side of the other


class SegmentProfile(_Frozen):
    """Everything known about one segment; aggregate figures only, never rows or ids."""

    id: int  # 0..k-1 by size, largest first; -1 is noise ("unassigned")
    name: str
    title: str | None = None  # persona title (vocabulary); None in profiles of older versions
    archetype: str | None = None  # vocabulary archetype id; None when no archetype fits
    contrast: Contrast | None = None  # set when another segment bears the same archetype
    size: int
    share: float
    is_noise: bool = False
    stats: list[FeatureStat]
    distinctions: list[Distinction]  # strongest first
    rules: list[str]  # plain-language rule, e.g. "cash-advance frequency > 0.25"
    rule_precision: float | None = None  # share of customers matching the rule who are in it
    purchase_type: dict[str, float] = Field(default_factory=dict)  # one_off/instalment/both/none
    silhouette: float | None = None
    stability: float | None = None  # bootstrap agreement of this segment (Jaccard), 0..1


class Metrics(_Frozen):
    """Quality of a whole segmentation."""

    silhouette: float | None
    calinski_harabasz: float | None
    davies_bouldin: float | None
    stability_ari: float | None = None
    noise_share: float = 0.0
    largest_share: float | None = None  # share of all customers in the largest segment


class KCandidate(_Frozen):
    """Scores of one candidate number of segments."""

    k: int
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    stability_ari: float
    min_share: float
    eligible: bool


class KChoice(_Frozen):
    """How the number of segments was chosen, and why, in one sentence."""

    chosen: int
    candidates: list[KCandidate]
    explanation: str


class RunProfile(_Frozen):
    """A segmentation run as written to profiles.json."""

    algorithm: str
    k: int
    seed: int
    n_customers: int
    metrics: Metrics
    k_selection: KChoice | None = None  # present when k was chosen automatically
    fit_note: str | None = None  # e.g. "fitted on a sample of 10,000; the rest assigned by ..."
    segments: list[SegmentProfile]
