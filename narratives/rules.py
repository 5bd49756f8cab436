"""The rule-based writer: offline, deterministic personas from the context and the shelf."""

from __future__ import annotations

from narratives.context import RunContext, SegmentContext
from narratives.personas import RULE_BASED, Persona, Recommendation
from narratives.shelf import ProductMatch, Shelf
from narratives.sources import sources_of
from narratives.templates import render_lines

__all__ = ["RULES_TEMPLATE", "RuleBasedWriter", "recommendation"]

RULES_TEMPLATE = "persona_rules.j2"


def recommendation(match: ProductMatch, *, rationale: str) -> Recommendation:
    """A shelf match as a persona's recommendation, carrying the shelf's compliance text."""
    product = match.product
    return Recommendation(
        product_id=product.id,
        name=product.name,
        rationale=rationale,
        evidence=match.evidence,
        risk_notes=product.risk_notes,
        disclaimer=product.disclaimer,
    )


class RuleBasedWriter:
    """Personas written by `prompts/persona_rules.j2`; never touches the network."""

    def __init__(self, shelf: Shelf, *, max_products: int = 3) -> None:
        self.shelf = shelf
        self.max_products = max_products

    @property
    def label(self) -> str:
        return RULE_BASED

    @property
    def endpoint(self) -> str | None:
        return None

    def write(self, context: RunContext) -> list[Persona]:
        """One persona per segment of the run."""
        return [self.persona(segment, context) for segment in context.segments]

    def persona(
        self, segment: SegmentContext, context: RunContext, *, reason: str | None = None
    ) -> Persona:
        """The rule-based persona of one segment; `reason` records why an LLM run fell back."""
        matches = self.shelf.match(segment, limit=self.max_products)

        def lines(macro: str) -> tuple[str, ...]:
            # No line twice: two needs or products may share a wording.
            return tuple(
                dict.fromkeys(render_lines(RULES_TEMPLATE, macro, segment, matches, context))
            )

        return Persona(
            segment_id=segment.id,
            persona_name=" ".join(lines("persona_name")),
            summary=" ".join(lines("summary")),
            traits=lines("traits"),
            needs=lines("needs"),
            products=tuple(
                recommendation(
                    m,
                    rationale=" ".join(
                        render_lines(RULES_TEMPLATE, "rationale", m, segment, self.shelf)
                    ),
                )
                for m in matches
            ),
            channels=lines("channels"),
            messages=lines("messages"),
            source="rule-based",
            fallback_reason=reason,
            sources=tuple(sources_of(segment, context, matches)),
        )
