"""Personas: the LLM's structured answer, the persona of each segment, the writer interface."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, create_model

from narratives.context import RunContext
from narratives.shelf import Evidence

__all__ = [
    "RULE_BASED",
    "Persona",
    "PersonaDraft",
    "PersonaWriter",
    "ProductPick",
    "Recommendation",
    "draft_schema",
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
    """What the LLM returns for one segment (validated, then checked against the context)."""

    persona_name: str
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


class PersonaWriter(Protocol):
    """Writes one persona per segment of a run; `label` names it in the brief."""

    @property
    def label(self) -> str: ...

    def write(self, context: RunContext) -> list[Persona]: ...
