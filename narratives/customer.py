"""One customer for an advisor: their segment, how sure that is, and the products they meet.

Products are matched on the customer's own figures, not the segment's: a shelf condition on
"mean" or "median" reads the customer's value, "lift" that value over the book mean, and
"effect_size" (value - book mean) / book standard deviation. The segment's policy still holds:
a product its needs rule out is not offered, and for a customer under strain (their own figures
or their segment's) help comes first and credit last. An indication only (INDICATION).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
from pydantic import BaseModel, ConfigDict

from narratives.context import RunContext, SegmentContext
from narratives.shelf import Condition, Product, Shelf, conditions_met
from segmenter.explain.customer import CustomerFigure, customer_figures, customer_values
from segmenter.explain.vocabulary import (
    Signals,
    Test,
    Vocabulary,
    default_vocabulary,
)
from segmenter.ingest.schema import ID_COLUMN
from segmenter.model.fitted import SegmentModel, score
from segmenter.results import RunProfile

__all__ = [
    "INDICATION",
    "CustomerEvidence",
    "CustomerMatch",
    "CustomerView",
    "customer_products",
    "customer_view",
    "observed",
    "strain_figures",
]

INDICATION = (
    "An indication from this customer's own figures against the shelf's conditions, not an "
    "offer: eligibility, affordability and suitability checks still apply."
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomerEvidence(_Strict):
    """A condition the customer meets, with the figure and the value that meet it."""

    condition: Condition
    figure: CustomerFigure
    observed: float


class CustomerMatch(_Strict):
    """A product whose every condition holds on the customer's own figures."""

    product: Product
    evidence: tuple[CustomerEvidence, ...]


class CustomerView(_Strict):
    """What an advisor sees of one customer."""

    customer_id: str  # TYPED_ID for typed figures
    segment: SegmentContext  # the noise "segment" (is_noise) when the customer is unassigned
    runner_up: SegmentContext | None  # the nearest other segment; None with a single segment
    confidence: float | None  # score's: 1 at the segment's centre, 0.5 half-way; None for noise
    figures: tuple[CustomerFigure, ...]  # what sets the segment apart first
    strain: tuple[CustomerFigure, ...]  # the customer's own figures that show strain, if any
    products: tuple[CustomerMatch, ...]  # in the order to offer them


def observed(condition: Condition, figure: CustomerFigure) -> float | None:
    """The customer's value of a condition's statistic, or None when it cannot be had."""
    if figure.value is None:
        return None
    if condition.stat == "lift":
        return None if figure.book_mean == 0 else figure.value / figure.book_mean
    if condition.stat == "effect_size":
        return figure.z
    return figure.value


def strain_figures(
    figures: Sequence[CustomerFigure], vocabulary: Vocabulary | None = None
) -> tuple[CustomerFigure, ...]:
    """The figures on which the customer passes the vocabulary's strain test; none: no strain.

    The test reads effect sizes; a customer's is their distance from the book mean in book
    standard deviations.
    """
    vocabulary = vocabulary or default_vocabulary()
    z = {f.feature: z for f in figures if (z := f.z) is not None}
    signals = Signals(effect_sizes=z, shares={})
    held = {t.measure for t in _simple(vocabulary.strain) if t.holds(signals)}
    return tuple(f for f in figures if f.feature in held)


def _simple(test: Test) -> list[Test]:
    return [s for t in test.any for s in _simple(t)] if test.any else [test]


def _match(product: Product, figures: Mapping[str, CustomerFigure]) -> CustomerMatch | None:
    def observe(condition: Condition) -> tuple[CustomerFigure, float] | None:
        figure = figures.get(condition.feature)
        value = None if figure is None else observed(condition, figure)
        return None if figure is None or value is None else (figure, value)

    if (met := conditions_met(product, observe)) is None:
        return None
    evidence = (CustomerEvidence(condition=c, figure=f, observed=v) for c, f, v in met)
    return CustomerMatch(product=product, evidence=tuple(evidence))


def customer_products(
    shelf: Shelf,
    figures: Sequence[CustomerFigure],
    *,
    needs: Sequence[str] = (),
    strained: bool = False,
) -> tuple[CustomerMatch, ...]:
    """Every product whose conditions all hold on the customer's figures and that `needs` allow.

    By priority, ties in shelf order; when `strained`, help first and credit last, and a
    product ruled out for the need "debt-help" is not offered.
    """
    ruled_out = {*needs, "debt-help"} if strained else set(needs)
    by_feature = {f.feature: f for f in figures}
    allowed = [p for p in shelf.products if not set(p.not_with_needs) & ruled_out]
    found = [m for p in allowed if (m := _match(p, by_feature)) is not None]

    def order(m: CustomerMatch) -> tuple[int, int]:
        policy = (not m.product.help) - (not m.product.credit) if strained else 0
        return (policy, -m.product.priority)

    return tuple(sorted(found, key=order))  # stable: ties keep shelf order


def customer_view(
    row: pl.DataFrame,
    *,
    model: SegmentModel,
    profile: RunProfile,
    context: RunContext,
    book_std: Mapping[str, float | None],
    shelf: Shelf,
    vocabulary: Vocabulary | None = None,
) -> CustomerView:
    """One customer (a canonical one-row frame) scored, set beside their segment, and matched."""
    scored = score(model, row).row(0, named=True)
    segments = {s.id: s for s in context.segments}
    segment = segments[scored["segment"]]
    values = customer_values(row)
    profiles = {s.id: s for s in profile.segments}
    figures = customer_figures(
        values, profiles[segment.id], book_std=book_std, described=not segment.coarse
    )
    strain = strain_figures(figures, vocabulary)
    products = customer_products(
        shelf, figures, needs=segment.needs, strained=bool(strain) or segment.strain
    )
    return CustomerView(
        customer_id=str(row.item(0, ID_COLUMN)),
        segment=segment,
        runner_up=segments.get(scored["runner_up"]) if scored["runner_up"] is not None else None,
        confidence=scored["confidence"],
        figures=figures,
        strain=strain,
        products=products,
    )
