"""The product's words about segments (`vocabulary.toml`): archetypes, needs, strain and units.

Data, not code: a bank edits a copy of the file and names it (`use_vocabulary(path)`, which the
command line's `--vocabulary` and the app call for `SEGMENTER_VOCABULARY`), and the segment
names, persona titles, needs and channels of every writer come from it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from segmenter.explain.measures import LABELS, PURCHASE_TYPES
from segmenter.settings_file import read_settings

__all__ = [
    "DEFAULT_VOCABULARY",
    "OPERATORS",
    "Archetype",
    "Fallback",
    "Op",
    "Signals",
    "Test",
    "Units",
    "Vocabulary",
    "default_vocabulary",
    "load_vocabulary",
    "use_vocabulary",
]

DEFAULT_VOCABULARY = Path(__file__).resolve().parent / "vocabulary.toml"
SHARE_PREFIX = "share:"
# The comparisons a condition may make: the vocabulary's and the product shelf's.
Op = Literal[">", ">=", "<", "<="]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Signals(_Strict):
    """What archetypes are judged on: effect sizes by measure, purchase-type shares by type."""

    effect_sizes: Mapping[str, float]
    shares: Mapping[str, float]

    def value(self, measure: str) -> float:
        """An effect size, or a share for "share:<type>"; 0 for anything unknown."""
        if measure.startswith(SHARE_PREFIX):
            return self.shares.get(measure.removeprefix(SHARE_PREFIX), 0.0)
        return self.effect_sizes.get(measure, 0.0)


class Test(_Strict):
    """One condition (`measure op value`), or `any` of several."""

    measure: str | None = None
    op: Op | None = None
    value: float | None = None
    any: tuple[Test, ...] = ()

    @model_validator(mode="after")
    def _one_form(self) -> Test:
        simple = None not in (self.measure, self.op, self.value)
        if simple == bool(self.any):
            raise ValueError("a condition has measure, op and value, or `any`, not both")
        return self

    def holds(self, signals: Signals) -> bool:
        """True when the condition holds for the signals."""
        if self.any:
            return any(test.holds(signals) for test in self.any)
        assert self.measure is not None
        assert self.op is not None
        assert self.value is not None
        return OPERATORS[self.op](signals.value(self.measure), self.value)


class Archetype(_Strict):
    """A kind of segment: its name, persona title, needs and channels, and when it applies."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    title: str
    when: tuple[Test, ...] = Field(min_length=1)
    fit: tuple[str, ...] = Field(min_length=1)
    needs: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def measures(self) -> tuple[str, ...]:
        """The measures its conditions judge (not purchase-type shares), in the file's order."""
        tests = [t for test in self.when for t in (test.any or (test,))]
        found = [t.measure for t in tests if t.measure and not t.measure.startswith(SHARE_PREFIX)]
        return tuple(dict.fromkeys(found))

    def holds(self, signals: Signals) -> bool:
        """True when every condition holds: only then may a segment bear this archetype."""
        return all(test.holds(signals) for test in self.when)

    def score(self, signals: Signals) -> float:
        """How well the segment fits: the smallest of the `fit` effect sizes (signed)."""
        return min(
            -signals.value(term[1:]) if term.startswith("-") else signals.value(term)
            for term in self.fit
        )


class Units(_Strict):
    """How figures read: the currency symbol, the unit of tenure, the observation window."""

    currency: str = "$"
    tenure: str = "months"
    window: str = "6-month"


class Fallback(_Strict):
    """Needs and channels of segments that fit no archetype."""

    needs: tuple[str, ...]
    channels: tuple[str, ...]


class Vocabulary(_Strict):
    """The whole file, validated; `sha256` identifies it in audits and caches."""

    units: Units = Units()
    needs: dict[str, str]
    strain: Test
    archetypes: tuple[Archetype, ...] = Field(min_length=1)
    fallback: Fallback
    sha256: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Vocabulary:
        for field in ("id", "name", "title"):
            values = [getattr(a, field) for a in self.archetypes]
            if len(set(values)) != len(values):
                raise ValueError(f"archetype {field}s must be unique")
        tests = [t for a in self.archetypes for test in a.when for t in (test.any or (test,))]
        tests += list(self.strain.any or (self.strain,))
        measures = [t.measure for t in tests if t.measure]
        measures += [term.removeprefix("-") for a in self.archetypes for term in a.fit]
        known = set(LABELS) | {f"{SHARE_PREFIX}{kind}" for kind in PURCHASE_TYPES}
        if unknown_measures := sorted(set(measures) - known):
            raise ValueError(
                f"unknown measure(s) {', '.join(unknown_measures)}: use a column or derived "
                f"measure ({', '.join(sorted(LABELS))}) or share:<{'|'.join(PURCHASE_TYPES)}>"
            )
        named = {n for a in self.archetypes for n in a.needs} | set(self.fallback.needs)
        unknown = named - set(self.needs)
        if unknown or "debt-help" not in self.needs:
            missing = sorted(unknown) or ["debt-help"]
            raise ValueError(f"needs {', '.join(missing)} are not defined under [needs]")
        return self

    def archetype(self, archetype_id: str | None) -> Archetype | None:
        """The archetype of an id, or None."""
        return next((a for a in self.archetypes if a.id == archetype_id), None)

    def strained(self, signals: Signals) -> bool:
        """True when the segment shows financial strain (help comes before credit)."""
        return self.strain.holds(signals)


def load_vocabulary(path: Path = DEFAULT_VOCABULARY) -> Vocabulary:
    """Read and validate a vocabulary file; a broken file is an InputError naming the problem."""
    vocabulary, sha256 = read_settings(path, Vocabulary, what="vocabulary")
    return vocabulary.model_copy(update={"sha256": sha256})


@functools.cache
def _packaged() -> Vocabulary:
    return load_vocabulary()


_chosen: list[Vocabulary] = []  # the bank's own vocabulary, when one was named


def use_vocabulary(path: Path | None) -> None:
    """Use the vocabulary in `path` from now on in this process (None: the packaged one).

    Read and checked at once, so a broken file is refused (an InputError) before any segment
    is named with it.
    """
    chosen = None if path is None else load_vocabulary(path)
    _chosen.clear()
    if chosen is not None:
        _chosen.append(chosen)


def default_vocabulary() -> Vocabulary:
    """The vocabulary in use: the bank's own (`use_vocabulary`), else the packaged one."""
    return _chosen[0] if _chosen else _packaged()
