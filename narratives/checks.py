"""Checks on an LLM's persona: no secret, the schema, the shelf, and every number traced to a
statistic.

A refusal's reason names positions ("product 1", "number 2 in summary"), never what the model
wrote: reasons reach the app, the brief and the logs, and a model's text may hold a key or markup.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Sequence

from pydantic import ValidationError

from narratives.context import RunContext, SegmentContext
from narratives.personas import PersonaDraft, ProductPick
from narratives.shelf import ProductMatch, Shelf
from narratives.sources import comparisons, numbers_in, sources_of, trace

__all__ = ["AnswerRejected", "check_answer", "numbers_in"]


MAX_ANSWER_CHARS = 100_000  # a persona is two to four thousand characters


class AnswerRejected(ValueError):
    """An LLM answer that failed a check; the message is the reason the brief shows."""


# Strings shaped like credentials: OpenAI-style and bearer keys, cloud access keys, GitHub, JWT
# and Slack tokens, key fields.
_CREDENTIAL = re.compile(
    r"\bsk-[A-Za-z0-9_-]{16,}|\bBearer\s+[A-Za-z0-9._~+/=-]{12,}|\bAKIA[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}|\bgithub_pat_[A-Za-z0-9_]{30,}"
    r"|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.|\bxox[bpas]-[A-Za-z0-9-]{10,}"
    r"|\b(?:api[_-]?key|secret|password|token)\b\s*[:=]",
    re.IGNORECASE,
)
# Links, images and markup: persona text is shown and sent as plain words, never as a page.
# Inline and by reference ("[t](u)", "[t][r]", "![x][y]", "[t][]"), a reference's definition
# ("[r]: //host/b.png") at the start of a line, addresses and tags.
_MARKUP = re.compile(
    r"!?\[[^\]]*\]\s*[(\[]|^[ \t]{0,3}\[[^\]]+\]:|\bhttps?://|\bwww\.|<\s*/?\s*[A-Za-z][^>]*>",
    re.MULTILINE,
)
# Every string of an answer's JSON, keys too, as written (escapes still in): decoded one by one,
# so duplicated keys, which a JSON reader drops, are read as well.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_FIELDS = frozenset(PersonaDraft.model_fields) | frozenset(ProductPick.model_fields)
_SCHEMA_PROBLEMS = {
    "missing": "missing",
    "extra_forbidden": "an unexpected field",
    "string_type": "should be text",
    "list_type": "should be a list",
    "model_type": "should be an object",
    "model_attributes_type": "should be an object",
    "dict_type": "should be an object",
    "json_invalid": "not valid JSON",
    "json_type": "not valid JSON",
}


def _plain(text: str) -> str:
    """The text as a reader sees it: compatibility forms folded (fullwidth letters) and the
    invisible format characters (zero-width spaces and joiners, soft hyphens) taken out."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def _decoded(content: str) -> Iterator[str]:
    """The answer as written, and every string in its JSON (keys and values) as read."""
    yield content
    for literal in _JSON_STRING.finditer(content):
        try:
            yield json.loads(literal[0], strict=False)
        except ValueError:  # not a JSON string: the schema check refuses the answer
            continue


def _refuse_secrets(content: str, secrets: Sequence[str]) -> None:
    """Refuse an answer holding a configured key or anything shaped like one (never quoted),
    however it is written: JSON escapes, fullwidth letters, invisible characters between."""
    keys = [_plain(s) for s in secrets if s and len(s) >= 8]
    texts = [_plain(text) for text in _decoded(content)]
    if any(key in text for text in texts for key in keys):
        raise AnswerRejected("the answer contains the configured API key; it was not kept")
    if any(_CREDENTIAL.search(text) for text in texts):
        raise AnswerRejected("the answer contains what looks like a credential; it was not kept")


def _schema_problem(error: ValidationError) -> str:
    """The first schema error by position and kind: never a value or a field name the model
    wrote (pydantic's own messages quote the input)."""
    first = error.errors(include_url=False, include_context=False, include_input=False)[0]
    where: list[str] = []
    for part in first["loc"]:
        if not isinstance(part, int) and part not in _FIELDS:
            break  # a field the model named
        where.append(str(part))
    problem = _SCHEMA_PROBLEMS.get(first["type"], "a value of the wrong kind")
    said = f"{'.'.join(where)}: {problem}" if where else problem
    return f"the answer does not fit the persona schema ({said})"


def _texts(draft: PersonaDraft) -> Iterator[tuple[str, str]]:
    yield "summary", draft.summary
    for field in ("traits", "needs", "channels", "messages"):
        for i, text in enumerate(getattr(draft, field)):
            yield f"{field}[{i}]", text
    for i, pick in enumerate(draft.products):
        yield f"products[{i}].rationale", pick.rationale


def _pressure(text: str, wording: Sequence[str]) -> str | None:
    """The first of the shelf's refused phrases in the text, whole words, any case."""
    folded = _plain(text).lower().replace("\u2019", "'")
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
    """The validated draft; raises AnswerRejected with the reason.

    `secrets` are the keys in use: an answer echoing one is refused before anything keeps it.
    """
    if not content or not content.strip():
        raise AnswerRejected("the LLM returned an empty answer")
    if len(content) > MAX_ANSWER_CHARS:  # bounded work on whatever a server sends
        raise AnswerRejected(
            f"the answer is {len(content):,} characters long, far more than a persona"
        )
    _refuse_secrets(content, secrets)
    try:
        draft = PersonaDraft.model_validate_json(content)
    except ValidationError as error:
        raise AnswerRejected(_schema_problem(error)) from None
    if not draft.summary.strip() or not draft.traits:
        raise AnswerRejected("the answer has no summary or no traits")
    fitting = {m.product.id for m in matches}
    for n, pick in enumerate(draft.products, start=1):
        if shelf.product(pick.product) is None:
            raise AnswerRejected(f"product {n} is not on the shelf")
        if pick.product not in fitting:
            raise AnswerRejected(f"product {n} is on the shelf but its conditions do not hold here")
    sources = sources_of(segment, context, matches)
    for where, text in _texts(draft):
        if _MARKUP.search(text) or _MARKUP.search(_plain(text)):
            raise AnswerRejected(f"{where} holds a link, an image or markup; persona text is plain")
        if pushy := _pressure(text, shelf.pressure_wording):  # the bank's words, not the model's
            raise AnswerRejected(
                f"{where} uses pressure wording the bank does not allow ({pushy!r})"
            )
        for n, (quantity, matched) in enumerate(trace(text, sources), start=1):
            if quantity.figure and not matched:
                raise AnswerRejected(f"number {n} in {where} matches no statistic of the segment")
        if unnoticed := comparisons(text, segment, sources):
            raise AnswerRejected(f"{where}: {unnoticed[0]}")
    return draft
