"""Rendering shared by the pages: the run's summary and verdict, its metrics, charts with downloads.

Rendering only: every sentence and figure comes from the packages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Literal

import altair as alt
import polars as pl
import streamlit as st

from card_segmenter.app.state import RunKey
from narratives import RunContext
from segmenter.charts import figures as charts
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.cluster.selection import stability_note
from segmenter.explain.formats import (
    COLUMNS,
    METRICS,
    column_of,
    for_reading,
    metric_label,
    metric_text,
)
from segmenter.explain.summary import run_summary
from segmenter.results import RunProfile

MAX_UPLOAD_MB = st.get_option("server.maxUploadSize")
TABLE_TYPES = ["csv", "txt", "tsv", "parquet", "xlsx"]
Level = Literal["high", "medium", "low"]
VERDICT_BOXES: dict[Level, Callable[[str], object]] = {
    "high": st.success,
    "medium": st.info,
    "low": st.warning,
}
Chart = alt.Chart | alt.LayerChart | alt.FacetChart


def summary(profile: RunProfile) -> None:
    """What was fitted and how k came about (captions); how it was fitted, when notable."""
    said = run_summary(profile, method=ALGORITHMS[profile.algorithm])
    st.caption(said.headline)
    if said.k_explanation:
        st.caption(said.k_explanation)
    if said.fit_note:
        st.info(said.fit_note)


def verdict_box(context: RunContext, key: RunKey) -> None:
    """The run's verdict in a coloured box, and a note when a neighbouring k is more stable."""
    verdict = context.verdict
    VERDICT_BOXES[verdict.level](
        f"Confidence in this segmentation: {verdict.level}. {verdict.sentence}"
    )
    # The automatic choice scored every k; when this session has it, a k set by hand is
    # measured against its neighbours.
    choice = st.session_state.get("k_choices", {}).get(key._replace(k=None))
    if key.k is not None and choice is not None and (note := stability_note(choice, key.k)):
        st.info(note)


def metrics_row(profile: RunProfile) -> None:
    """The run's scores, named and spelled for people ("Calinski-Harabasz 2,643")."""
    m = profile.metrics.model_dump()
    names = ("silhouette", "calinski_harabasz", "davies_bouldin", "stability_ari", "noise_share")
    for cell, name in zip(st.columns(len(names)), names, strict=True):
        cell.metric(metric_label(name), metric_text(name, m[name]), help=METRICS[name].help)


def table(
    rows: pl.DataFrame | Sequence[Mapping[str, object]], *, numbers: str | None = None
) -> None:
    """A table as people read it: headings in words, thousands separators, currency and
    percentages (`segmenter.explain.formats.COLUMNS`); its numbers stay numbers, so sorting
    stays numeric. `numbers` formats the columns of no known kind."""
    shown = for_reading(rows)
    config: dict[str, Any] = {}
    for name in shown.columns:
        label, number, _ = column_of(name)
        number = number if name in COLUMNS else numbers
        config[name] = (
            st.column_config.NumberColumn(label, format=number)
            if number
            else st.column_config.Column(label)
        )
    st.dataframe(shown, hide_index=True, column_config=config)


def chart_with_downloads(
    chart: Chart, *, name: str, width: Literal["stretch", "content"] = "stretch"
) -> None:
    """The chart, with PNG and SVG downloads drawn only when asked for."""
    st.altair_chart(chart, width=width)
    formats = (("png", "image/png", charts.to_png), ("svg", "image/svg+xml", charts.to_svg))
    with st.container(horizontal=True):
        for suffix, mime, draw in formats:
            st.download_button(
                suffix.upper(),
                data=partial(draw, chart),  # drawn only when the button is clicked
                file_name=f"{name}.{suffix}",
                mime=mime,
                key=f"{suffix}-{name}",
                on_click="ignore",
                icon=":material/download:",
            )
