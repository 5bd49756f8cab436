"""Checks on an LLM's persona: the schema, the shelf, and every number traced to a statistic."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from narratives.context import RunContext, SegmentContext
from narratives.personas import PersonaDraft
from narratives.shelf import ProductMatch, Shelf
from narratives.sources import comparisons, numbers_in, sources_of, trace

__all__ = ["AnswerRejected", "check_answer", "numbers_in"]


MAX_ANSWER_CHARS = 100_000  # a persona is two to four thousand characters


class AnswerRejected(ValueError):
    """An LLM answer that failed a check; the message is the reason the brief shows."""


# Strings shaped like credentials: OpenAI-style and bearer keys, cloud access keys, key fields.
_CREDENTIAL = re.compile(
    r"\bsk-[A-Za-z0-9_-]{16,}|\bBearer\s+[A-Za-z0-9._~+/=-]{12,}|\bAKIA[0-9A-Z]{16}\b"
    r"|\b(?:api[_-]?key|secret|password|token)\b\s*[:=]",
    re.IGNORECASE,
)
# Links, images and markup: persona text is shown and sent as plain words, never as a page.
_MARKUP = re.compile(r"!?\[[^\]]*\]\([^)]*\)|\bhttps?://|\bwww\.|<\s*/?\s*[A-Za-z][^>]*>")


def _refuse_secrets(content: str, secrets: Sequence[str]) -> None:
    """Refuse an answer holding a configured key or anything shaped like one (never quoted)."""
    if any(secret and len(secret) >= 8 and secret in content for secret in secrets):
        raise AnswerRejected("the answer contains the configured API key; it was not kept")
    if _CREDENTIAL.search(content):
        raise AnswerRejected("the answer contains what looks like a credential; it was not kept")


def _texts(draft: PersonaDraft) -> Iterator[tuple[str, str]]:
    yield "summary", draft.summary
    for field in ("traits", "needs", "channels", "messages"):
        for i, text in enumerate(getattr(draft, field)):
            yield f"{field}[{i}]", text
    for i, pick in enumerate(draft.products):
        yield f"products[{i}].rationale", pick.rationale


def _pressure(text: str, wording: Sequence[str]) -> str | None:
    """The first of the shelf's refused phrases in the text, whole words, any case."""
    folded = text.lower().replace("\u2019", "'")
    return next(
        (p for p in wording if re.search(rf"(?<!\w){re.escape(p.lower())}(?!\w)", folded)), None
    )


def check_answer(
    content: str | None,
    *,
    segment: SegmentContext,
    context: RunContext,
    shelf: Shelf,
    matches: tuple[ProductMatch, ...],
    secrets: Sequence[str] = (),
) -> PersonaDraft:
    """The validated draft; raises pydantic's ValidationError or AnswerRejected with the reason.

    `secrets` are the keys in use: an answer echoing one is refused before anything keeps it.
    """
    if not content or not content.strip():
        raise AnswerRejected("the LLM returned an empty answer")
    if len(content) > MAX_ANSWER_CHARS:  # bounded work on whatever a server sends
        raise AnswerRejected(
            f"the answer is {len(content):,} characters long, far more than a persona"
        )
    _refuse_secrets(content, secrets)
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
        if _MARKUP.search(text):
            raise AnswerRejected(f"{where} holds a link, an image or markup; persona text is plain")
        if pushy := _pressure(text, shelf.pressure_wording):
            raise AnswerRejected(
                f"{where} uses pressure wording the bank does not allow ({pushy!r})"
            )
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
