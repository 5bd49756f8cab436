"""One customer's view in words: how sure the segment is, their figures as a table, why a product.

Figures read as everywhere else in the product (`narratives.templates.fmt`): money with the
currency, shares as percentages, counts whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from narratives.context import SegmentContext
from narratives.customer import CustomerEvidence, CustomerMatch, CustomerView
from narratives.templates import fmt, fmt_apart, signed, times
from segmenter.explain.customer import CustomerFigure
from segmenter.explain.measures import kind_of, label
from segmenter.explain.naming import NOISE_NAME
from segmenter.explain.vocabulary import Units
from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.model.moves import Move

__all__ = [
    "CLEAR",
    "FAIR",
    "FIGURE_COLUMNS",
    "assignment_sentence",
    "evidence_text",
    "figures_table",
    "fit_words",
    "match_text",
    "move_outcome",
    "move_table",
    "notes",
]

# Confidence is d2 / (d1 + d2) (segmenter.model.fitted.score). On the real file at k=3 a
# quarter of customers score under 0.55 and a sixth above 0.7.
CLEAR, FAIR = 0.7, 0.55
FIGURE_COLUMNS = ("Figure", "Customer", "Segment", "Book", "Segment is")
_OPS = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}


def fit_words(confidence: float) -> str:
    """How sure an assignment is, in words."""
    if confidence >= CLEAR:
        return "A clear fit"
    if confidence >= FAIR:
        return "A fair fit"
    if confidence >= 0.5:
        return "A borderline fit, nearly as close to the runner-up"
    return "A borderline fit, closer to the runner-up's centre than to its own segment's"


def _named(segment: SegmentContext, titles: Mapping[int, str]) -> str:
    title = titles.get(segment.id, segment.title)
    return f"segment {segment.id}, {segment.name}" + (
        f" ({title})" if title != segment.name else ""
    )


def assignment_sentence(view: CustomerView, *, titles: Mapping[int, str]) -> str:
    """The segment's fit and the runner-up, or plainly that the customer is in no segment.

    `titles` are the persona titles shown for the run (the LLM's when the session has them).
    """
    runner = view.runner_up
    if view.segment.is_noise:
        nearest = f" The nearest segment is {_named(runner, titles)}." if runner else ""
        return (
            f"{NOISE_NAME}: this customer lies outside every dense group of customers, and this "
            "method leaves such customers in no segment. No persona describes them: their "
            f"figures are compared with the book's only.{nearest}"
        )
    if runner is None or view.confidence is None:
        return f"The only segment of this run: {_named(view.segment, titles)}; no runner-up."
    return (
        f"{fit_words(view.confidence)}: confidence {view.confidence:.2f}, on a scale from 0.5 "
        "(half-way between two segments) to 1 (at the segment's centre). "
        f"Runner-up: {_named(runner, titles)}."
    )


def notes(view: CustomerView) -> list[str]:
    """What else an advisor must know: a segment too small to quote, strain."""
    said = []
    segment = view.segment
    if segment.small and not segment.is_noise:
        said.append(
            f"Segment {segment.id} holds only {segment.size:,} customers, too few to quote its "
            "figures: the customer is compared with the book's."
        )
    if view.strain:
        shown = " and ".join(
            f"{f.label} {fmt(f.value, f.kind)} against {fmt(f.book_mean, f.kind)} on average"
            for f in view.strain
        )
        said.append(
            f"This customer's own figures show strain ({shown}): help comes first, and credit "
            "only after an affordability check."
        )
    elif segment.strain:
        said.append(
            "The segment shows strain: help comes first, and credit only after an "
            "affordability check."
        )
    return said


def figures_table(
    figures: Sequence[CustomerFigure], *, segment: bool = True, units: Units | None = None
) -> pl.DataFrame:
    """The figures as text, one row each: the customer's, the segment's and the book's.

    The figure's label names the statistic of the segment and the book ("balance (median)");
    the last column says on which side of the book the segment is, where that sets it apart.
    Without `segment` (a segment not described by figures), the book's columns only.
    """
    rows = [
        (
            f"{f.label} ({f.stat})",
            fmt(f.value, f.kind, units),
            fmt(f.segment, f.kind, units),
            fmt(f.book, f.kind, units),
            f.distinction or "",
        )
        for f in figures
    ]
    table = pl.DataFrame(rows, schema=list(FIGURE_COLUMNS), orient="row")
    return table if segment else table.select("Figure", "Customer", "Book")


def evidence_text(evidence: CustomerEvidence) -> str:
    """One condition met, in words: the customer's figure beside the rule it passes."""
    f, condition, value = evidence.figure, evidence.condition, evidence.observed
    op = _OPS[condition.op]
    if condition.stat == "lift":
        return (
            f"{f.label} at {times(value)} the book average ({fmt(f.value, f.kind)} against "
            f"{fmt(f.book_mean, f.kind)}, rule {op} {times(condition.value)})"
        )
    if condition.stat == "effect_size":
        return (
            f"{f.label} {signed(value)} standard deviations from the book average "
            f"({fmt(f.value, f.kind)} against {fmt(f.book_mean, f.kind)}, rule {op} "
            f"{signed(condition.value)})"
        )
    shown = fmt_apart(value, condition.value, f.kind)
    return f"{f.label} {shown} (rule {op} {fmt(condition.value, f.kind)})"


def match_text(match: CustomerMatch) -> str:
    """Why a product fits the customer: every condition met, in words."""
    parts = [evidence_text(e) for e in match.evidence]
    listed = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"Meets {listed}."


def move_outcome(move: Move) -> str:
    """Where the model places the customer once moved, and how sure it is."""
    where = f"segment {move.target}, {move.target_name}"
    if move.confidence is None:
        return f"With these figures the model places them in {where}."
    return (
        f"With these figures the model places them in {where}: "
        f"{fit_words(move.confidence)[0].lower()}{fit_words(move.confidence)[1:]} "
        f"(confidence {move.confidence:.2f})."
    )


def move_table(move: Move, before: Mapping[str, float | None]) -> pl.DataFrame:
    """Every figure the move changes, now and after, as text; `before` the customer's own."""
    rows = [
        (label(c).capitalize(), fmt(before[c], kind_of(c)), fmt(move.figures[c], kind_of(c)))
        for c in FEATURE_COLUMNS
        if before[c] != move.figures[c]
    ]
    return pl.DataFrame(rows, schema=["Figure", "Now", "After the move"], orient="row")
