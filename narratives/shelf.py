"""The bank's product shelf (`data/products.toml`) and matching its conditions to segments.

The shelf is data the bank edits: the code names no product.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from narratives.context import Figure, SegmentContext
from segmenter.errors import InputError
from segmenter.explain.vocabulary import OPERATORS, Op, default_vocabulary
from segmenter.settings_file import read_settings

F = TypeVar("F")  # a figure: a segment's statistic or a customer's own

__all__ = [
    "DEFAULT_SHELF",
    "Condition",
    "Evidence",
    "Product",
    "ProductMatch",
    "Shelf",
    "load_shelf",
]

DEFAULT_SHELF = Path(__file__).resolve().parent / "products.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Strict):
    """One suitability test over a segment statistic, e.g. cash-advance frequency mean > 0.2."""

    feature: str
    stat: Literal["mean", "median", "lift", "effect_size"] = "mean"
    op: Op
    value: float


class Evidence(_Strict):
    """A condition that held, with the figure that made it hold (cited in rationales)."""

    condition: Condition
    figure: Figure
    observed: float


class Product(_Strict):
    """One product on the shelf."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    category: str
    description: str
    message: str  # a line a marketer may reuse in a campaign
    priority: int = 1  # among products that fit, a higher priority comes first
    credit: bool = False  # new borrowing: offered to a strained segment only with affordability
    help: bool = False  # help for customers under strain: comes first for a strained segment
    consent: bool = False  # marketing it needs the customer's marketing consent (audiences)
    not_with_needs: tuple[str, ...] = ()  # never offered to a segment with one of these needs
    risk_notes: str
    disclaimer: str
    conditions: tuple[Condition, ...] = Field(min_length=1)


class ProductMatch(_Strict):
    """A product whose every condition holds for a segment."""

    product: Product
    evidence: tuple[Evidence, ...]
    strength: float  # mean |effect size| of the features behind the conditions


class Shelf(_Strict):
    """The whole shelf, with the disclaimer printed under every brief."""

    name: str
    disclaimer: str
    # How a credit product is framed for a segment showing financial strain.
    affordability: str = "Only after a full affordability check, and after help with the balance."
    # Pressure and promises no persona may use (checked in every model answer, any case).
    pressure_wording: tuple[str, ...] = ()
    products: tuple[Product, ...] = Field(min_length=1)
    sha256: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        """Product ids in shelf order."""
        return tuple(p.id for p in self.products)

    def product(self, product_id: str) -> Product | None:
        """The product of an id, or None when it is not on the shelf."""
        return next((p for p in self.products if p.id == product_id), None)

    def match(self, segment: SegmentContext, *, limit: int = 3) -> tuple[ProductMatch, ...]:
        """Products whose conditions all hold and that the segment's needs allow.

        By priority then strength; for a segment showing strain, help comes first and credit
        last. Coarse segments (too small, or unassigned) get none.
        """
        if segment.coarse:
            return ()
        allowed = [p for p in self.products if not set(p.not_with_needs) & set(segment.needs)]
        found = [m for p in allowed if (m := _match(p, segment)) is not None]

        def order(m: ProductMatch) -> tuple[int, int, float]:
            policy = (not m.product.help) - (not m.product.credit) if segment.strain else 0
            return (policy, -m.product.priority, -m.strength)

        found.sort(key=order)  # stable: ties keep file order
        return tuple(found[:limit])


def _observed(condition: Condition, figure: Figure) -> float | None:
    return getattr(figure, condition.stat)


def conditions_met(
    product: Product, observe: Callable[[Condition], tuple[F, float] | None]
) -> list[tuple[Condition, F, float]] | None:
    """Each condition of a product with the figure and value observed for it, when all hold.

    `observe` gives a condition's figure and the value it compares (a segment's statistic, a
    customer's own figure); None for one not at hand, which cannot qualify a product.
    """
    met = []
    for condition in product.conditions:
        seen = observe(condition)
        if seen is None or not OPERATORS[condition.op](seen[1], condition.value):
            return None
        met.append((condition, *seen))
    return met


def _match(product: Product, segment: SegmentContext) -> ProductMatch | None:
    def observe(condition: Condition) -> tuple[Figure, float] | None:
        figure = segment.figure(condition.feature)
        value = None if figure is None else _observed(condition, figure)
        return None if figure is None or value is None else (figure, value)

    if (met := conditions_met(product, observe)) is None:
        return None
    evidence = [Evidence(condition=c, figure=f, observed=v) for c, f, v in met]
    strength = sum(abs(e.figure.effect_size) for e in evidence) / len(evidence)
    return ProductMatch(product=product, evidence=tuple(evidence), strength=strength)


def load_shelf(path: Path = DEFAULT_SHELF) -> Shelf:
    """Read and validate a shelf file; a broken file is an InputError naming what is wrong."""
    shelf, sha256 = read_settings(
        path,
        Shelf,
        what="product shelf",
        reshape=lambda data: {**data.get("shelf", {}), "products": data.get("products")},
    )
    if len(set(shelf.ids)) != len(shelf.ids):
        raise InputError(f"product shelf {path}: product ids must be unique")
    needs = default_vocabulary().needs
    for product in shelf.products:
        if unknown := sorted(set(product.not_with_needs) - set(needs)):
            raise InputError(
                f"product shelf {path}: {product.id}: not_with_needs names unknown need(s) "
                f"{', '.join(unknown)}; the vocabulary's needs are {', '.join(needs)}"
            )
    return shelf.model_copy(update={"sha256": sha256})
