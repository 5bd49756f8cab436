"""Checks on an LLM's persona: the schema, the shelf, and every number traced to a statistic."""

from __future__ import annotations

from collections.abc import Iterator

from narratives.context import RunContext, SegmentContext
from narratives.personas import PersonaDraft
from narratives.shelf import ProductMatch, Shelf
from narratives.sources import comparisons, numbers_in, sources_of, trace

__all__ = ["AnswerRejected", "check_answer", "numbers_in"]


class AnswerRejected(ValueError):
    """An LLM answer that failed a check; the message is the reason the brief shows."""


def _texts(draft: PersonaDraft) -> Iterator[tuple[str, str]]:
    yield "summary", draft.summary
    for field in ("traits", "needs", "channels", "messages"):
        for i, text in enumerate(getattr(draft, field)):
            yield f"{field}[{i}]", text
    for i, pick in enumerate(draft.products):
        yield f"products[{i}].rationale", pick.rationale


def check_answer(
    content: str | None,
    *,
    segment: SegmentContext,
    context: RunContext,
    shelf: Shelf,
    matches: tuple[ProductMatch, ...],
) -> PersonaDraft:
    """The validated draft; raises pydantic's ValidationError or AnswerRejected with the reason."""
    if not content or not content.strip():
        raise AnswerRejected("the LLM returned an empty answer")
    draft = PersonaDraft.model_validate_json(content)
    if not draft.summary.strip() or not draft.traits:
        raise AnswerRejected("the answer has no summary or no traits")
    fitting = {m.product.id for m in matches}
    for pick in draft.products:
        if shelf.product(pick.product) is None:
            raise AnswerRejected(f"product {pick.product!r} is not on the shelf")
        if pick.product not in fitting:
            raise AnswerRejected(
                f"product {pick.product!r} is on the shelf but its conditions do not hold here"
            )
    sources = sources_of(segment, context, matches)
    for where, text in _texts(draft):
        for quantity, matched in trace(text, sources):
            if not quantity.figure:
                continue
            if not matched:
                raise AnswerRejected(
                    f"the number {quantity.text!r} in {where} matches no statistic of the segment"
                )
        if unnoticed := comparisons(text, segment, sources):
            raise AnswerRejected(f"{where}: {unnoticed[0]}")
    return draft
