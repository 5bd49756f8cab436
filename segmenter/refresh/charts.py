"""Charts of a refresh: where customers went between two runs, and which columns drifted.

Both are drawn from a refresh's own tables (segmenter.refresh): the migration matrix in long
form, and the drift report. Shares read as percentages, counts with thousands separators.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from segmenter.explain.formats import KINDS
from segmenter.refresh.drift import MODERATE_PSI, SIGNIFICANT_PSI, DriftReport

__all__ = ["drift_bars", "migration_heatmap"]

_LEVEL_COLOURS = {"stable": "#bab0ac", "moderate": "#f28e2b", "significant": "#e15759"}


def _label(segment: pl.Expr, name: pl.Expr) -> pl.Expr:
    return pl.format("{}: {}", segment, name)


def migration_heatmap(matrix: pl.DataFrame) -> alt.LayerChart:
    """Last run's segments (rows) by this run's (columns), coloured by the share of each row's
    customers, with the number of customers in every cell; from `Migration.matrix`."""
    data = matrix.with_columns(
        before=_label(pl.col("from_segment"), pl.col("from_name")),
        after=_label(pl.col("to_segment"), pl.col("to_name")),
        share=pl.col("share_of_from").fill_null(0.0),
        customers_text=pl.col("customers").map_elements(
            lambda n: KINDS["count"].text(n), return_dtype=pl.String
        ),
    )
    rows = data.unique("before", maintain_order=True).get_column("before").to_list()
    columns = data.unique("after", maintain_order=True).get_column("after").to_list()
    base = alt.Chart(data).encode(
        x=alt.X(
            "after:N",
            sort=columns,
            title="This run",
            axis=alt.Axis(
                orient="bottom",
                labelAngle=-30,
                labelAlign="right",
                labelLimit=220,
                labelOverlap=False,
            ),
        ),
        y=alt.Y("before:N", sort=rows, title="Last run", axis=alt.Axis(labelLimit=260)),
    )
    tooltip = [
        alt.Tooltip("before:N", title="Last run"),
        alt.Tooltip("after:N", title="This run"),
        alt.Tooltip("customers_text:N", title="Customers"),
        alt.Tooltip("share:Q", format=".1%", title="Share of last run's segment"),
    ]
    cells = base.mark_rect().encode(
        color=alt.Color(
            "share:Q",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            title="Share of last run's segment",
            legend=alt.Legend(format=".0%"),
        ),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=11).encode(
        text="customers_text:N",
        color=alt.condition("datum.share > 0.5", alt.value("white"), alt.value("black")),
        tooltip=tooltip,
    )
    return (cells + text).properties(
        title="Where last run's customers are now (customers in both runs)",
        width=alt.Step(150),
        height=alt.Step(32),
    )


def drift_bars(drift: DriftReport) -> alt.LayerChart:
    """The population stability index of every column, with the moderate and significant
    thresholds drawn; bars coloured by level."""
    data = pl.DataFrame(
        {
            "label": [f.label.capitalize() for f in drift.features],
            "psi": [f.psi for f in drift.features],
            "level": [f.level for f in drift.features],
            "sentence": [f.sentence for f in drift.features],
        }
    )
    order = data.sort("psi", descending=True).get_column("label").to_list()
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("psi:Q", title="Population stability index (PSI)"),
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "level:N",
                scale=alt.Scale(domain=list(_LEVEL_COLOURS), range=list(_LEVEL_COLOURS.values())),
                title="Drift",
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Column"),
                alt.Tooltip("psi:Q", format=".3f", title="PSI"),
                alt.Tooltip("sentence:N", title="What moved"),
            ],
        )
    )
    thresholds = pl.DataFrame(
        {"psi": [MODERATE_PSI, SIGNIFICANT_PSI], "what": ["moderate", "significant"]}
    )
    rules = (
        alt.Chart(thresholds)
        .mark_rule(strokeDash=[4, 3], color="#555")
        .encode(x="psi:Q", tooltip=[alt.Tooltip("what:N", title="Drift from here")])
    )
    return (bars + rules).properties(
        title="Drift of every column since last run", width=420, height=alt.Step(18)
    )
