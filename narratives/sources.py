"""Where every number of a persona comes from: the segment's statistics, the book's, the bank's.

One tracer serves three readers: the LLM checks (a number with no source rejects the answer),
the footnotes of the app and the brief (each figure marked with its source), and the test that
no sentence claims a difference the figures do not show.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from narratives.context import Figure, RunContext, SegmentContext
from narratives.shelf import Evidence, ProductMatch
from narratives.templates import fmt
from segmenter.explain.facts import notable

__all__ = [
    "Cited",
    "Quantity",
    "Source",
    "comparisons",
    "footnoted",
    "numbers_in",
    "sources_of",
    "trace",
]

# A written number matches a statistic within 2 %, or within the rounding of how it was written.
# "segment 5" names a segment: an id, not a figure.
RELATIVE_TOLERANCE = 0.02
_NUMBER = re.compile(
    r"(?<![\w.])(?<!segment )(?<!Segment )"
    r"(?P<currency>[$€£])?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?P<suffix>\s?%|k\b|K\b|\u00d7|x\b)?"
)
# Words that say a figure differs from another: a sentence with them compares.
_COMPARING = re.compile(
    r"\b(high|higher|low|lower|stand|stands|above|below|more|less|fewer|times)\b", re.I
)
_SENTENCE_END = re.compile(r"[.;!?](?=\s)")
_CLAUSE_START = re.compile(r"[(),;:]")
# Bare small integers are counts and durations of speech ("3 products", "6 months"), not figures.
SMALL_INTEGERS = 12
# Whose figure a number is, from the words right after it.
_BOOK_AFTER = re.compile(r"\s*(?:on average\s+)?(?:for|across) the book")
_OTHER_AFTER = re.compile(r"\s*for segment \d")
# The statistic a figure is said to be: the last one named in its clause ("median $738 against
# $0"), else one named just after it ("22% on average").
_STAT_SAID = re.compile(r"\b(median|mean|average)\b")
_STAT_AFTER = re.compile(r"^\s*(?:on\s+)?(median|mean|average)\b")
_STAT_AFTER_CHARS = 16
_STATS = {"median": "median", "mean": "mean", "average": "mean"}
Role = Literal["segment", "book", "rule", "other"]
_OPS = {">": ">", ">=": "\u2265", "<": "<", "<=": "\u2264"}


@dataclass(frozen=True)
class Quantity:
    """A number as written in a text, with the rounding its spelling implies."""

    text: str
    value: float
    half_unit: float
    percent: bool
    bare_integer: bool
    start: int
    end: int
    money: bool = False  # written with a currency sign
    times: bool = False  # written as a multiple ("1.6x"): a lift, never a plain figure

    @property
    def figure(self) -> bool:
        """False for a bare small integer: counts and durations of speech ("3 products")."""
        return not (self.bare_integer and self.value <= SMALL_INTEGERS)


def numbers_in(text: str) -> Iterator[Quantity]:
    """Every number written in a text ('$1,560', '41%', '2.8x', '1.6k', '0.45')."""
    for match in _NUMBER.finditer(text):
        frac = match["frac"] or ""
        suffix = (match["suffix"] or "").strip().lower()
        scale = 1000.0 if suffix == "k" else 1.0
        value = float(match["int"].replace(",", "") + frac) * scale
        # Half the last written digit, and a hair more: 1.55 is written "1.6" and stored as
        # 1.5500000000000000444.
        half_unit = 0.5 * 10.0 ** -(len(frac) - 1 if frac else 0) * scale * (1 + 1e-9)
        bare = not (frac or suffix or match["currency"])
        yield Quantity(
            match[0].strip(),
            value,
            half_unit,
            suffix == "%",
            bare,
            match.start(),
            match.end(),
            money=bool(match["currency"]),
            times=suffix in ("\u00d7", "x"),
        )


class Source(BaseModel):
    """One value a persona may cite, and where it comes from, in words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    percent: bool  # written as a percentage ("41%")
    text: str  # "cash advance (CASH_ADVANCE), segment median: $1,406"
    feature: str | None = None
    label: str | None = None  # the feature's label, as sentences name it
    stat: str | None = None  # mean, median, lift, effect_size
    role: Role = "other"
    money: bool = False  # an amount of money: "$1,406" can only come from one of these
    times: bool = False  # a lift: what "1.6x" can come from


def _figure_sources(f: Figure) -> Iterator[Source]:
    where = f"{f.label} ({f.feature})"
    sides: tuple[tuple[str, Role, float], ...] = (
        ("mean", "segment", f.mean),
        ("median", "segment", f.median),
        ("mean", "book", f.population_mean),
        ("median", "book", f.population_median),
    )
    for stat, role, value in sides:
        text = f"{where}, {role} {stat}: {fmt(value, f.kind)}"
        figure = Source(
            value=value,
            percent=False,
            text=text,
            feature=f.feature,
            label=f.label,
            stat=stat,
            role=role,
            money=f.kind == "money",
        )
        yield figure
        if f.kind == "share":
            yield figure.model_copy(update={"value": value * 100, "percent": True, "money": False})
    effect = f"{where}, effect size against the rest of the book: {f.effect_size:+.2f}"
    yield Source(
        value=f.effect_size,
        percent=False,
        text=effect,
        feature=f.feature,
        label=f.label,
        stat="effect_size",
    )
    if f.lift is not None:
        text = f"{where}, segment mean / book mean: {f.lift:.2f}\u00d7"
        lift = Source(
            value=f.lift,
            percent=False,
            text=text,
            feature=f.feature,
            label=f.label,
            stat="lift",
            times=True,
        )
        yield lift
        # "150% above the book"
        yield lift.model_copy(update={"value": (f.lift - 1) * 100, "percent": True, "times": False})


def sources_of(
    segment: SegmentContext, context: RunContext, matches: Iterable[ProductMatch]
) -> list[Source]:
    """Every value a persona of `segment` may cite, the plainest first."""
    size = f"customers in segment {segment.id}: {segment.size:,}"
    out = [
        Source(value=float(segment.size), percent=False, text=size),
        Source(
            value=segment.share * 100,
            percent=True,
            text=f"segment share of the book: {segment.share:.1%}",
        ),
        Source(value=segment.share, percent=False, text=f"segment share: {segment.share:.4f}"),
        Source(
            value=float(context.n_customers),
            percent=False,
            text=f"customers in the book: {context.n_customers:,}",
        ),
        Source(value=float(context.k), percent=False, text=f"segments in the run: {context.k}"),
        Source(
            value=float(context.min_size),
            percent=False,
            text=f"smallest segment described: {context.min_size}",
        ),
    ]
    for name, value in (
        ("bootstrap agreement (adjusted Rand index)", context.stability_ari),
        ("silhouette", context.silhouette),
    ):
        if value is not None:
            out.append(Source(value=value, percent=False, text=f"run {name}: {value:.2f}"))
    largest = max((s.share for s in context.segments if not s.is_noise), default=0.0)
    out += [
        Source(
            value=context.noise_share * 100,
            percent=True,
            text=f"customers left unassigned: {context.noise_share:.1%}",
        ),
        Source(
            value=largest * 100,
            percent=True,
            text=f"largest segment's share of the book: {largest:.1%}",
        ),
    ]
    for f in segment.figures:
        out += _figure_sources(f)
    if segment.contrast is not None:
        c = segment.contrast.fact
        out.append(
            Source(
                value=c.book * (100 if c.kind == "share" else 1),
                percent=c.kind == "share",
                text=f"{c.label} ({c.feature}), segment {segment.contrast.other_id} "
                f"{c.stat}: {fmt(c.book, c.kind)}",
                feature=c.feature,
                label=c.label,
                stat=c.stat,
                money=c.kind == "money",
            )
        )
    for kind, share in segment.purchase_mix:
        text = f"share of customers buying {kind.replace('_', '-')}: {share:.0%}"
        out += [
            Source(value=share * 100, percent=True, text=text),
            Source(value=share, percent=False, text=text),
        ]
    for name, value in (("silhouette", segment.silhouette), ("stability", segment.stability)):
        if value is not None:
            out.append(Source(value=value, percent=False, text=f"segment {name}: {value:.2f}"))
    # Figures the bank wrote itself: rules of the segment and texts of the products that fit it.
    for rule in segment.rules:
        out += [
            Source(value=q.value, percent=q.percent, text=f"segment rule: {rule}", money=True)
            for q in numbers_in(rule)
        ]
    for m in matches:
        texts = f"{m.product.description} {m.product.message}"
        out += [
            Source(value=q.value, percent=q.percent, text=f"product {m.product.name}", money=True)
            for q in numbers_in(texts)
        ]
        for e in m.evidence:
            share = e.figure.kind == "share" and e.condition.stat in ("mean", "median")
            out.append(
                Source(
                    value=e.condition.value * (100 if share else 1),
                    percent=share,
                    text=f"product {m.product.name}: its rule {_rule(e)}",
                    label=e.figure.label,
                    role="rule",
                    money=e.figure.kind == "money" and e.condition.stat in ("mean", "median"),
                    times=e.condition.stat == "lift",
                )
            )
    return out


def _rule(evidence: Evidence) -> str:
    """A shelf rule as the persona's rationale spells its threshold ("mean > 50%", "1.30x")."""
    c, f, op = evidence.condition, evidence.figure, _OPS[evidence.condition.op]
    if c.stat == "lift":
        return f"{f.label} {op} {c.value:.2f}\u00d7 the book average"
    value = fmt(c.value, f.kind) if c.stat in ("mean", "median") else f"{c.value:+.2f}"
    return f"{f.label} {c.stat.replace('_', ' ')} {op} {value}"


def _matches(quantity: Quantity, source: Source) -> bool:
    if (quantity.money and not source.money) or (quantity.times and not source.times):
        return False
    return source.percent == quantity.percent and math.isclose(
        quantity.value, abs(source.value), rel_tol=RELATIVE_TOLERANCE, abs_tol=quantity.half_unit
    )


def _rank(text: str, quantity: Quantity) -> Callable[[tuple[int, Source]], tuple[float, ...]]:
    """Order a number's sources: the measure named nearest before it (a source of another
    measure only after those of none), the side it is on ("book 40%", "16% for the book",
    "rule > 50%"), the statistic the sentence names ("median $0", "41% on average"), the
    closest value, then the plainest (the order of sources_of)."""
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, quantity.start)), default=0)
    before = text[start : quantity.start].lower()
    clause = _CLAUSE_START.split(before)[-1]
    after = text[quantity.end :].lower()
    wanted = (
        "rule"
        if "rule" in clause
        else "book"
        if "book" in clause or _BOOK_AFTER.match(after)
        else "other"
        if _OTHER_AFTER.match(after)
        else "segment"
    )

    said = _STAT_SAID.findall(clause) or _STAT_AFTER.findall(after[:_STAT_AFTER_CHARS])[:1]
    stat = _STATS[said[-1]] if said else None

    def key(item: tuple[int, Source]) -> tuple[float, ...]:
        i, source = item
        label = (source.label or "").lower()
        at = before.rfind(label) if label else -1
        # By where the name ends: "instalment purchases frequency" is nearer than its own
        # "purchases frequency", and longer.
        named = (
            (0.0, -(at + len(label)), -len(label)) if at >= 0 else (2.0 if label else 1.0, 0.0, 0.0)
        )
        side = 0.0 if source.role == wanted else 1.0
        gap = abs(quantity.value - abs(source.value))
        exact = 0.0 if gap <= quantity.half_unit else 1.0  # as written, rounded: no doubt
        named_stat = 0.0 if stat is None or source.stat in (None, stat) else 1.0
        return (*named, exact, side, named_stat, gap / max(abs(source.value), 1e-9), i)

    return key


def trace(text: str, sources: Sequence[Source]) -> list[tuple[Quantity, list[Source]]]:
    """Every number in `text` with the sources it can come from, likeliest first (empty: none)."""
    traced = []
    for q in numbers_in(text):
        found = [(i, s) for i, s in enumerate(sources) if _matches(q, s)]
        traced.append((q, [s for _, s in sorted(found, key=_rank(text, q))]))
    return traced


def comparisons(text: str, segment: SegmentContext, sources: Sequence[Source]) -> list[str]:
    """Sentences that set a segment's figure against the book's where no difference shows, by
    position ("sentence 2 compares ..."): the model's own words are never repeated.

    A sentence compares when it says "high", "low", "stands out", "above"...; it then cites
    a segment statistic and the book's same statistic of one measure, and the two must differ
    by an amount a reader would notice (segmenter.explain.facts.notable).
    """
    kinds = {f.feature: f for f in segment.figures}
    found = []
    # A colon does not end a sentence: "High tenure: 11.4 against 11.5 for the book" compares.
    for n, sentence in enumerate(re.split(r"(?<=[.;!?])\s+", text), start=1):
        if not _COMPARING.search(sentence):
            continue
        cited = {  # each number as its footnote reads it: the likeliest source
            (s.feature, s.stat, s.role)
            for _, matched in trace(sentence, sources)
            for s in matched[:1]
            if s.role in ("segment", "book")
        }
        for feature, stat, role in sorted(cited, key=str):
            if role != "segment" or (feature, stat, "book") not in cited or feature not in kinds:
                continue
            f = kinds[feature]
            value = f.mean if stat == "mean" else f.median
            book = f.population_mean if stat == "mean" else f.population_median
            if not notable(f.kind, value, book):
                found.append(f"sentence {n} compares {f.label} with the book's where "
                             f"the {stat}s hardly differ")  # fmt: skip
    return found


class Cited(BaseModel):
    """A text with footnote marks after its traced numbers, and the notes they point to."""

    model_config = ConfigDict(frozen=True)

    text: str
    notes: tuple[int, ...]  # indices into the footnote list of the persona


def footnoted(texts: Sequence[str], sources: Sequence[Source]) -> tuple[list[Cited], list[str]]:
    """Mark every traced number of `texts` with its source; the source list, numbered from 1.

    A number is marked with its first source: the plainest reading (sources_of orders them).
    Sources are numbered in the order they are first cited, across all the texts.
    """
    notes: list[str] = []
    out = []
    for text in texts:
        pieces, used, last = [], [], 0
        for quantity, matched in trace(text, sources):
            label = (matched[0].label or "").lower() if matched else ""
            # A small bare integer is a figure only beside the name of its measure ("7 for the
            # book" after "purchase transactions"), not in "and 1 small one".
            if not matched or not (
                quantity.figure or (label and label in text[: quantity.start].lower())
            ):
                continue
            note = matched[0].text
            if note not in notes:
                notes.append(note)
            number = notes.index(note) + 1
            pieces += [text[last : quantity.end], f"[{number}]"]
            used.append(number)
            last = quantity.end
        pieces.append(text[last:])
        out.append(Cited(text="".join(pieces), notes=tuple(used)))
    return out, notes
