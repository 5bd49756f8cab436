"""The words of a campaign pack, for marketers: the persona, who is in the group, what to offer
and why, what to say, where, and what to watch; the statistics go to an appendix.

Written once here and laid out twice (the HTML template and the PDF), so both say the same.
The persona's own text is shown as written, with the analysts' "book" said as "all customers".
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from narratives.context import SegmentContext
from narratives.personas import Persona, Recommendation
from narratives.shelf import Evidence, Shelf
from narratives.templates import fmt
from segmenter.explain.formats import Spelling

__all__ = [
    "Block",
    "Line",
    "PackAudience",
    "Part",
    "audience_part",
    "body",
    "for_marketers",
    "lead_line",
    "plain_reason",
    "summary_for_marketers",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Line(_Frozen):
    """One line of a pack: an optional lead in bold ("Card Instalment Plan"), then its text,
    and a detail under it (why a product fits)."""

    text: str
    lead: str = ""
    detail: str = ""


class Block(_Frozen):
    """A paragraph, a list, fine print, or a chart (by its key in the pack's charts)."""

    kind: Literal["text", "list", "fine", "chart"]
    lines: tuple[Line, ...] = ()
    title: str = ""  # a list's heading, or a chart's
    chart: str = ""
    alt: str = ""  # a chart in words, for those who cannot see it


class Part(_Frozen):
    """A section of the pack under its heading."""

    title: str
    blocks: tuple[Block, ...]


class PackAudience(_Frozen):
    """The pack's audience file: its name, how many customers it lists, and consent."""

    file: str
    customers: int
    left_out: int = 0  # customers left out for want of marketing consent
    consent: str | None = None  # the consent column, when it filtered this audience


# Analysts' words for the whole customer base, in the order they must be replaced.
_PLAIN = (
    (re.compile(r"\bthe rest of the book\b"), "other customers"),
    (re.compile(r"\bthe book average\b"), "the average customer"),
    (re.compile(r"\bthe book\b"), "all customers"),
    (re.compile(r"\(book\b"), "(all customers"),  # "(book 40%"; not "to book a call"
    (re.compile(r"\bmedian (?=\S*\d)"), "typically "),  # "median $1,406" -> "typically $1,406"
)
# The rules' last sentence on how far a segment can be trusted, in the analysts' words: the
# pack says it plainly under "Before you launch", and as written in the appendix.
_CONFIDENCE = re.compile(r"\s*\bConfidence is (?:low|medium|high)\b.*$", re.DOTALL)
_FIRMNESS = {
    "high": "A clear, stable group: it comes out the same each time the analysis is repeated.",
    "medium": "A fairly clear group with soft edges: try the campaign on part of the audience "
    "before sending it to everyone.",
    "low": "A loose group that may change when the analysis is refreshed: run a small test "
    "before any wide send, and check the results before going further.",
}
_STAT_WORDS = {"median": "for the typical customer", "mean": "on average"}


def for_marketers(text: str) -> str:
    """A persona's sentence with the analysts' "book" said as "all customers", and a median
    as what the typical customer has."""
    for pattern, plain in _PLAIN:
        text = pattern.sub(plain, text)
    return text


_SHARE = Spelling(1, percent=True)  # "34.9%", as the persona says it


def lead_line(segment: SegmentContext) -> str:
    """The line under the pack's title: how many customers, and their share."""
    return f"{fmt(segment.size, 'count')} customers, {_SHARE.text(segment.share)} of all customers."


def summary_for_marketers(summary: str) -> str:
    """The persona's summary in marketers' words, without the analysts' sentence on confidence."""
    return for_marketers(_CONFIDENCE.sub("", summary))


def _text(*lines: str, kind: Literal["text", "fine"] = "text") -> Block:
    return Block(kind=kind, lines=tuple(Line(text=t) for t in lines if t))


def _list(title: str, lines: list[Line] | tuple[str, ...]) -> Block:
    items = tuple(line if isinstance(line, Line) else Line(text=line) for line in lines)
    return Block(kind="list", title=title, lines=items)


def plain_reason(evidence: tuple[Evidence, ...]) -> str:
    """Why a product fits, in figures beside all customers' own: no thresholds, no statistics."""
    said = []
    for e in evidence:
        f, median = e.figure, e.condition.stat == "median"
        value, everyone = (f.median, f.population_median) if median else (f.mean, f.population_mean)
        stat = _STAT_WORDS["median" if median else "mean"]
        said.append(
            f"{f.label} {fmt(value, f.kind)} {stat}, against {fmt(everyone, f.kind)} for all "
            "customers"
        )
    text = "; ".join(dict.fromkeys(said))
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _offer(r: Recommendation, shelf: Shelf) -> Line:
    product = shelf.product(r.product_id)
    reason = plain_reason(r.evidence)
    return Line(
        lead=r.name,
        text=product.description if product else "",
        detail=f"Why it fits them: {reason}" if reason else "",
    )


def _apart(segment: SegmentContext) -> str:
    sides = {
        side: ", ".join(d.label for d in segment.directions if d.direction == side)
        for side in ("high", "low")
    }
    said = [
        f"{word} {sides[side]}"
        for side, word in (("high", "higher"), ("low", "lower"))
        if sides[side]
    ]
    return f"Bars of how far they differ from other customers: {'; '.join(said)}."


def body(
    segment: SegmentContext, persona: Persona, *, shelf: Shelf, audience: PackAudience | None
) -> tuple[Part, ...]:
    """The pack's sections for marketers, in reading order; charts by key ("apart", "versus")."""
    who = [
        # Without the lead line's sentence, which a rule-based summary opens with.
        _text(summary_for_marketers(persona.summary).removeprefix(lead_line(segment)).lstrip()),
        _list("What sets them apart", tuple(for_marketers(t) for t in persona.traits)),
    ]
    if not segment.coarse:  # under the traits it draws
        who.append(Block(kind="chart", chart="apart", alt=_apart(segment)))
    if segment.facts and not segment.coarse:
        who.append(Block(kind="chart", chart="versus", title="Compared with all customers"))
    who.append(_list("What they need", persona.needs))
    offers = [_offer(r, shelf) for r in persona.products]
    if offers:
        offer = [_list("", offers)]
    elif segment.small:
        offer = [_text("Too few customers to describe reliably: no product is suggested.")]
    else:
        offer = [_text("No product on the shelf fits this group's figures.")]
    messages = [Line(text=m) for m in persona.messages]
    for r in persona.products:  # each product's own line, unless the persona says it already
        product = shelf.product(r.product_id)
        if product is not None and product.message not in persona.messages:
            messages.append(Line(lead=r.name, text=product.message))
    parts = [
        Part(title="Who they are", blocks=tuple(b for b in who if b.lines or b.chart)),
        Part(title="What to offer them, and why", blocks=tuple(offer)),
        Part(title="What to say", blocks=(_list("", messages),)) if messages else None,
        Part(title="Where to reach them", blocks=(_list("", persona.channels),))
        if persona.channels
        else None,
        *audience_part(audience),
        Part(
            title="Before you launch",
            blocks=_cautions(segment, persona, shelf=shelf, audience=audience),
        ),
    ]
    return tuple(p for p in parts if p is not None)


def _cautions(
    segment: SegmentContext, persona: Persona, *, shelf: Shelf, audience: PackAudience | None
) -> tuple[Block, ...]:
    """Risk notes and disclaimers: strain and firmness first, then each product's own."""
    first = []
    if segment.strain:
        terms = shelf.affordability.rstrip(" .:")  # the shelf's, written to lead a sentence on
        first.append(
            "Their figures show signs of financial strain: offer help with the balance before "
            f"any new credit. Credit products: {terms[:1].lower()}{terms[1:]}."
        )
    if segment.small:
        first.append(
            f"Only {fmt(segment.size, 'count')} customers: too few to describe them reliably."
        )
    first.append(_FIRMNESS[segment.confidence.level])
    first.append(_consent(audience))
    blocks = [_list("", tuple(first))]
    if persona.products:
        risks = [Line(lead=r.name, text=r.risk_notes) for r in persona.products]
        blocks.append(_list("Risk notes", risks))
        fine = [Line(lead=r.name, text=r.disclaimer) for r in persona.products]
        blocks.append(Block(kind="fine", title="Disclaimers", lines=tuple(fine)))
    blocks.append(_text(shelf.disclaimer, kind="fine"))
    return tuple(blocks)


def _consent(audience: PackAudience | None) -> str:
    if audience is None:
        return "Contact only customers who have agreed to marketing, and respect every opt-out."
    if audience.consent is not None:
        return (
            f"The audience file keeps only the customers who agreed to marketing "
            f"({audience.consent}): {fmt(audience.left_out, 'count')} without consent were left "
            "out."
        )
    return (
        "The audience file lists every customer in the group: leave out anyone who has not "
        "agreed to marketing, or has opted out, before sending."
    )


def audience_part(audience: PackAudience | None) -> tuple[Part, ...]:
    """The section naming the audience file, when there is one."""
    if audience is None:
        return ()
    said = (
        f"the {fmt(audience.customers, 'count')} customers of this group, with their persona and "
        "the products suggested, for the campaign tool."
    )
    line = Line(lead=audience.file, text=said)
    return (Part(title="Audience file", blocks=(Block(kind="text", lines=(line,)),)),)
