"""Checks on an LLM's persona: the schema, the shelf, and every number traced to a statistic."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from narratives.context import RunContext, SegmentContext
from narratives.personas import PersonaDraft
from narratives.shelf import ProductMatch, Shelf

__all__ = ["AnswerRejected", "Quantity", "allowed_values", "check_answer", "numbers_in"]

# A written number matches a statistic within 2 %, or within the rounding of how it was written.
RELATIVE_TOLERANCE = 0.02
# Bare small integers are counts and durations of speech ("3 products", "6 months"), not figures.
_SMALL_INTEGERS = 12
_NUMBER = re.compile(
    r"(?<![\w.])(?P<currency>[$€£])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?P<suffix>\s?%|k\b|K\b|\u00d7|x\b)?"
)


class AnswerRejected(ValueError):
    """An LLM answer that failed a check; the message is the reason the brief shows."""


@dataclass(frozen=True)
class Quantity:
    """A number as written in a text, with the rounding its spelling implies."""

    text: str
    value: float
    half_unit: float
    percent: bool
    bare_integer: bool


def numbers_in(text: str) -> Iterator[Quantity]:
    """Every number written in a text ('$1,560', '41%', '2.8x', '1.6k', '0.45')."""
    for match in _NUMBER.finditer(text):
        frac = match["frac"] or ""
        suffix = (match["suffix"] or "").strip().lower()
        scale = 1000.0 if suffix == "k" else 1.0
        value = float(match["int"].replace(",", "") + frac) * scale
        half_unit = 0.5 * 10.0 ** -(len(frac) - 1 if frac else 0) * scale
        bare = not (frac or suffix or match["currency"])
        yield Quantity(match[0].strip(), value, half_unit, suffix == "%", bare)


def allowed_values(
    segment: SegmentContext, context: RunContext, matches: Iterable[ProductMatch]
) -> tuple[list[float], list[float]]:
    """Values a persona may cite, as plain numbers and as percentages."""
    plain = [float(segment.size), segment.share, float(context.n_customers), float(context.k)]
    plain += [float(context.min_size)]
    percents = [segment.share * 100]
    for f in segment.figures:
        values = [f.mean, f.median, f.population_mean, f.population_median, f.effect_size]
        if f.lift is not None:
            values.append(f.lift)
            percents.append((f.lift - 1) * 100)  # "150% above the book"
        plain += values
        if f.kind == "share":
            percents += [v * 100 for v in values]
    for _, share in segment.purchase_mix:
        plain.append(share)
        percents.append(share * 100)
    plain += [v for v in (segment.silhouette, segment.stability) if v is not None]
    # Figures the bank wrote itself: rules of the segment and texts of the products that fit it.
    texts = [*segment.rules]
    texts += [f"{m.product.description} {m.product.message}" for m in matches]
    for quantity in numbers_in(" ".join(texts)):
        (percents if quantity.percent else plain).append(quantity.value)
    return [abs(v) for v in plain], [abs(v) for v in percents]


def _traced(quantity: Quantity, candidates: list[float]) -> bool:
    return any(
        math.isclose(quantity.value, c, rel_tol=RELATIVE_TOLERANCE, abs_tol=quantity.half_unit)
        for c in candidates
    )


def _texts(draft: PersonaDraft) -> Iterator[tuple[str, str]]:
    yield "persona_name", draft.persona_name
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
    plain, percents = allowed_values(segment, context, matches)
    for where, text in _texts(draft):
        for quantity in numbers_in(text):
            if quantity.bare_integer and quantity.value <= _SMALL_INTEGERS:
                continue
            if not _traced(quantity, percents if quantity.percent else plain):
                raise AnswerRejected(
                    f"the number {quantity.text!r} in {where} matches no statistic of the segment"
                )
    return draft
