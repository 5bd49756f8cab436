"""What asking the LLM costs: requests, tokens and, with a price, an estimated cost.

Tokens come from each answer's `usage` (see `narratives.llm`); the price is the bank's own
setting (`SEGMENTER_LLM_PRICE`), since the product cannot know what an endpoint charges.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from segmenter.errors import InputError

__all__ = ["Price", "cost_text", "parse_price", "requests_sentence", "usage_sentence"]

_PRICE = re.compile(r"^\s*([0-9.]+)\s*/\s*([0-9.]+)\s*([A-Za-z]{3})?\s*$")


@dataclass(frozen=True)
class Price:
    """What an endpoint charges per million tokens in (prompt) and out (completion)."""

    per_million_in: float
    per_million_out: float
    currency: str = "USD"

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.per_million_in + tokens_out * self.per_million_out) / 1e6

    def __str__(self) -> str:
        return (
            f"{self.currency} {self.per_million_in:g} in and {self.per_million_out:g} out "
            "per million tokens"
        )


def cost_text(cost: float, currency: str) -> str:
    """A cost as people read it: cents above a cent, else two significant figures, never 0.0000.

    >>> cost_text(12.345, "USD"), cost_text(0.0013989, "EUR"), cost_text(0.0, "USD")
    ('USD 12.35', 'EUR 0.0014', 'USD 0.00')
    """
    decimals = 2 if cost <= 0 or cost >= 0.01 else 1 - math.floor(math.log10(cost))
    return f"{currency} {cost:,.{decimals}f}"


def parse_price(text: str, *, name: str = "SEGMENTER_LLM_PRICE") -> Price:
    """A price written "IN/OUT [CURRENCY]" per million tokens, e.g. "0.15/0.60 USD"."""
    match = _PRICE.match(text)
    try:
        values = (float(match.group(1)), float(match.group(2))) if match else None
    except ValueError:
        values = None
    if match is None or values is None or not all(math.isfinite(v) and v >= 0 for v in values):
        raise InputError(
            f"{name} must be the price per million tokens in and out, such as "
            f"'0.15/0.60' or '0.15/0.60 EUR', not {text!r}"
        )
    return Price(*values, currency=(match.group(3) or "USD").upper())


def requests_sentence(sends: int, described: int) -> str:
    """What one click on Regenerate sends, e.g. "A click sends 2 requests; 1 segment reuses..."."""
    said = f"A click sends {sends} request{'' if sends == 1 else 's'}"
    if cached := described - sends:
        verb = "reuses" if cached == 1 else "reuse"
        said += f"; {cached} segment{'' if cached == 1 else 's'} {verb} an answer already given"
    return said + "."


def usage_sentence(
    *, model: str, requests: int, tokens_in: int, tokens_out: int, price: Price | None
) -> str:
    """Requests and tokens of one batch of personas, and its estimated cost when priced."""
    said = (
        f"{requests} request{'' if requests == 1 else 's'} sent to {model}; "
        f"tokens: {tokens_in:,} in, {tokens_out:,} out"
    )
    if price is not None:
        said += f"; estimated cost {cost_text(price.cost(tokens_in, tokens_out), price.currency)}"
    return said + "."
