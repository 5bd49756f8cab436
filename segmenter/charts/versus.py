"""One segment beside all customers, figure by figure, in plain words (campaign packs).

Each figure gets its own row and its own scale (a balance in dollars beside a share in
percent): two bars, the larger full length, and their values spelled as the brief spells them
(`formats.fmt`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from segmenter.explain.facts import Fact
from segmenter.explain.formats import fmt
from segmenter.explain.vocabulary import Units

__all__ = ["EVERYONE", "versus_all"]

EVERYONE = "All customers"
_GROUP, _ALL = "#2f6f9f", "#bab0ac"
_STATS = {"mean": "on average", "median": "typical customer"}  # no "mean" or "median" said


def versus_all(
    facts: Sequence[Fact], *, group: str = "This group", units: Units | None = None
) -> alt.LayerChart:
    """The segment's figures (`facts`) beside all customers' own: a pair of bars a figure, the
    larger of the two full length, each value written after its bar."""
    rows = [
        {
            "figure": f"{fact.label[:1].upper()}{fact.label[1:]} ({_STATS[fact.stat]})",
            "who": who,
            # Each figure on its own scale (dollars beside percent): the larger value is 1.
            "length": value / top if (top := max(fact.value, fact.book)) > 0 else 0.0,
            "text": fmt(value, fact.kind, units),
        }
        for fact in facts
        for who, value in ((group, fact.value), (EVERYONE, fact.book))
    ]
    schema = {"figure": pl.String, "who": pl.String, "length": pl.Float64, "text": pl.String}
    data = pl.DataFrame(rows, schema=schema)
    order = list(dict.fromkeys(data.get_column("figure").to_list()))
    who = alt.Scale(domain=[group, EVERYONE], range=[_GROUP, _ALL])
    base = alt.Chart(data).encode(
        y=alt.Y(
            "figure:N",
            sort=order,
            title=None,
            axis=alt.Axis(labelLimit=260, ticks=False),
            scale=alt.Scale(paddingInner=0.3),
        ),
        yOffset=alt.YOffset("who:N", sort=[group, EVERYONE], scale=alt.Scale(paddingInner=0.15)),
        # Room after the longest bar for its value.
        x=alt.X("length:Q", title=None, axis=None, scale=alt.Scale(domain=[0, 1.3])),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("who:N", scale=who, legend=alt.Legend(title=None, orient="bottom"))
    )
    values = base.mark_text(align="left", dx=4, fontSize=11).encode(text="text:N")
    return (
        alt.layer(bars, values)
        .properties(width=260, height=44 * len(order))
        .configure_view(stroke=None)
    )
