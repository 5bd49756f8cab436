"""Readable axes and tooltips: round ticks on log-like scales, figures spelled as people read them.

The spellings are the product's one vocabulary (`segmenter.explain.formats`): an axis of money
reads "$0, $100, $1k, $10k", a tooltip "$1,406", a share "41%", in the chart as in the brief.
"""

from __future__ import annotations

import math

import altair as alt

from segmenter.explain.formats import KINDS, Spelling
from segmenter.explain.vocabulary import Units, default_vocabulary

__all__ = ["DECADES", "MOST_TICKS", "axis_title", "log_ticks", "spelled", "value_axis"]

MOST_TICKS = 8  # more round ticks than this crowd a chart's width: powers of ten only
DECADES = 3  # decades below the last tick that a log-like axis labels


def log_ticks(low: float, top: float, *, most: int = MOST_TICKS) -> list[float]:
    """Round ticks for a symlog axis from 0 to the first round number at or above `top`.

    0, then 1-2-5 steps from the decade of `low` (the smallest positive value shown; at least
    1, as a symlog scale squeezes everything below 1 against 0, and at most `DECADES` below the
    last); powers of ten, and the last tick, when the 1-2-5 steps would be more than `most`.
    """
    top = max(top, 1.0)
    last = math.ceil(math.log10(top))
    # From the decade of `low`, but no more than DECADES below the last: "$1" beside "$0"
    # under a $10k axis only crowds it.
    first = max(math.floor(math.log10(low)) if low > 1 else 0, last - DECADES)
    steps = [m * 10**e for e in range(first, last + 1) for m in (1, 2, 5)]
    end = next(s for s in steps if s >= top)
    ticks = [s for s in steps if s <= end]
    if len(ticks) + 1 > most:
        ticks = [s for s in ticks if math.log10(s).is_integer() or s == end]
    return [0, *ticks]


def value_axis(kind: str, *, units: Units | None = None, **options: object) -> alt.Axis:
    """An axis whose labels spell a kind of figure compactly ("$1k", "41%", "12")."""
    spelling = KINDS.get(kind, KINDS["ratio"])
    if kind in ("count", "months"):  # whole months and transactions: no tick at 7.5
        options.setdefault("tickMinStep", 1)
    if spelling.tenure:  # the unit goes in the title: "12", not "12 months" under every tick
        spelling = Spelling(spelling.digits)
    return alt.Axis(labelExpr=spelling.compact(units=units), **options)  # type: ignore[arg-type]


def axis_title(label: str, kind: str, *, units: Units | None = None) -> str:
    """An axis title in words, with the unit where the ticks do not carry it ("Tenure (months)")."""
    title = label[:1].upper() + label[1:]
    if kind == "months":
        return f"{title} ({(units or default_vocabulary().units).tenure})"
    return title


def spelled(
    chart: alt.Chart, fields: dict[str, str], spelling: Spelling, *, units: Units | None = None
) -> alt.Chart:
    """The chart with a text field for each number field (`{text field: number field}`),
    spelled for tooltips: Vega-Lite formats cannot add a currency other than the locale's."""
    return chart.transform_calculate(
        **{text: spelling.vega(f"datum[{field!r}]", units) for text, field in fields.items()}
    )
