"""Personas: the LLM's structured answer, the persona of each segment, the writer interface."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, create_model

from narratives.context import RunContext, SegmentContext
from narratives.shelf import Evidence
from narratives.sources import Cited, Source, footnoted

__all__ = [
    "RULE_BASED",
    "Authorship",
    "Persona",
    "PersonaDraft",
    "PersonaWriter",
    "ProductPick",
    "Recommendation",
    "authorship",
    "draft_schema",
    "fell_back",
]


RULE_BASED = "rule-based"  # the label of rule-based narratives


class _Answer(BaseModel):
    # extra="forbid" gives additionalProperties: false, which strict structured output requires.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductPick(_Answer):
    """One product the LLM recommends, by shelf id, with its reason."""

    product: str
    rationale: str


class PersonaDraft(_Answer):
    """What the LLM returns for one segment (validated, then checked against the context).

    No title: a segment's name and persona title come from the vocabulary, for every writer.
    """

    summary: str
    traits: list[str]
    needs: list[str]
    products: list[ProductPick]
    channels: list[str]
    messages: list[str]


def draft_schema(product_ids: tuple[str, ...]) -> dict[str, Any]:
    """JSON schema of PersonaDraft with product ids constrained to the shelf by an enum."""
    # Literal over runtime values: a dynamic type, which static checkers cannot follow.
    on_shelf: Any = Literal[product_ids]  # type: ignore[valid-type]
    pick = create_model("ProductPick", __base__=ProductPick, product=(on_shelf, ...))
    picks: Any = list[pick]  # type: ignore[valid-type]
    draft = create_model("PersonaDraft", __base__=PersonaDraft, products=(picks, ...))
    return draft.model_json_schema()


class Recommendation(BaseModel):
    """A product in a persona, with the shelf's figures behind it and its compliance text."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    name: str
    rationale: str
    evidence: tuple[Evidence, ...]
    risk_notes: str
    disclaimer: str


class Persona(BaseModel):
    """The persona of one segment as the brief prints it, and who wrote it."""

    model_config = ConfigDict(frozen=True)

    segment_id: int
    persona_name: str
    summary: str
    traits: tuple[str, ...]
    needs: tuple[str, ...]
    products: tuple[Recommendation, ...]
    channels: tuple[str, ...]
    messages: tuple[str, ...]
    source: Literal["llm", "rule-based"]
    fallback_reason: str | None = None  # why an LLM run used the rule-based persona here
    # Tokens the model's answers for this segment used (its `usage`), accepted or not.
    tokens_in: int = 0
    tokens_out: int = 0
    # What its numbers may come from (narratives.sources); not written out: the brief keeps the
    # sources its figures cite (Section.sources), not every value they might have cited.
    sources: tuple[Source, ...] = Field(default=(), exclude=True)

    def footnoted(self) -> tuple[dict[str, list[Cited]], list[str]]:
        """The descriptive fields with their figures marked [n], and the sources they cite.

        Channels and campaign lines are left as written: marketers reuse them verbatim.
        """
        fields = {
            "summary": [self.summary],
            "traits": list(self.traits),
            "needs": list(self.needs),
            "products": [p.rationale for p in self.products],
        }
        cited, notes = footnoted([t for texts in fields.values() for t in texts], self.sources)
        out: dict[str, list[Cited]] = {}
        for name, texts in fields.items():
            out[name], cited = cited[: len(texts)], cited[len(texts) :]
        return out, notes


class PersonaWriter(Protocol):
    """Writes one persona per segment of a run; `label` names it, `endpoint` is its host."""

    @property
    def label(self) -> str: ...

    @property
    def endpoint(self) -> str | None: ...

    def write(self, context: RunContext) -> list[Persona]: ...


def fell_back(persona: Persona, segment: SegmentContext) -> bool:
    """True when the LLM was asked for this segment's persona and the rules wrote it instead.

    A coarse segment (too small, or noise) is never sent: rule-based by design, not a fallback.
    """
    return persona.source == RULE_BASED and bool(persona.fallback_reason) and not segment.coarse


class Authorship(BaseModel):
    """Who wrote a run's personas: the model only when it wrote some that passed the checks."""

    model_config = ConfigDict(frozen=True)

    label: str  # the model's name, or "rule-based"
    model: str | None  # None when no persona of the run is the model's
    note: str | None  # what happened to the LLM, in one sentence, when it was asked


def authorship(personas: Sequence[Persona], *, model: str, endpoint: str | None) -> Authorship:
    """Credit the model only for personas it wrote; say why the others are rule-based."""
    written = sum(p.source == "llm" for p in personas)
    reasons = sorted(
        {
            p.fallback_reason
            for p in personas
            if p.fallback_reason and "not sent" not in p.fallback_reason
        }
    )
    where = f"{model} at {endpoint}" if endpoint else model
    if model == RULE_BASED or (not written and not reasons):
        return Authorship(label=RULE_BASED, model=None, note=None)
    if not written:
        asked = f"{where} was asked, but {'; '.join(reasons)}"
        return Authorship(label=RULE_BASED, model=None, note=asked)
    partly = (
        f"{written} of {len(personas)} personas written by {where}; the others are "
        f"rule-based ({'; '.join(reasons)})"
    )
    return Authorship(label=model, model=model, note=partly if reasons else None)
