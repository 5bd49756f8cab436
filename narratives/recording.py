"""A written brief as the workspace records it: its personas, and a review item for each persona
and each product suggestion (segmenter.workspace.documents)."""

from __future__ import annotations

from narratives.brief import Brief
from segmenter.workspace.audit import Versions
from segmenter.workspace.documents import NewDocument, NewReviewItem

__all__ = ["brief_document", "review_items"]


def review_items(brief: Brief) -> tuple[NewReviewItem, ...]:
    """Per segment: its persona, then each product it suggests, keyed "segment ID/..."."""
    items: list[NewReviewItem] = []
    for section in brief.sections:
        persona, segment = section.persona, section.segment.id
        items.append(
            NewReviewItem(
                item_key=f"segment {segment}/persona",
                kind="persona",
                segment_id=segment,
                text=f"{persona.persona_name}: {persona.summary}",
                source=persona.source,
            )
        )
        items += [
            NewReviewItem(
                item_key=f"segment {segment}/product/{product.product_id}",
                kind="product",
                segment_id=segment,
                text=f"{product.name}: {product.rationale}",
                source=persona.source,
            )
            for product in persona.products
        ]
    return tuple(items)


def brief_document(brief: Brief, *, kind: str, content: str) -> NewDocument:
    """The brief to record: `kind` e.g. "brief.md", `content` the text written to the file."""
    return NewDocument(
        kind=kind,
        content=content,
        personas=[section.persona.model_dump(mode="json") for section in brief.sections],
        narratives=brief.narratives,
        versions=Versions(
            model_version=brief.audit.narratives_model,
            prompt_version=brief.audit.templates_sha256,
            stats_sha256=brief.audit.profiles_sha256,
        ),
        items=review_items(brief),
    )
