"""Rendering shared by the pages: the run's summary and verdict, its metrics, charts with downloads.

Rendering only: every sentence and figure comes from the packages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal

import altair as alt
import streamlit as st

from card_segmenter.app.state import RunKey
from narratives import RunContext
from segmenter.charts import figures as charts
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.cluster.selection import stability_note
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
    m = profile.metrics
    cells = st.columns(5)
    cells[0].metric(
        "Silhouette",
        "—" if m.silhouette is None else f"{m.silhouette:.3f}",
        help="-1 to 1; higher is better separated. Around 0.2 on this data: "
        "a continuum, not blobs.",
    )
    cells[1].metric(
        "Calinski-Harabasz",
        "—" if m.calinski_harabasz is None else f"{m.calinski_harabasz:,.0f}",
        help="Higher is better.",
    )
    cells[2].metric(
        "Davies-Bouldin",
        "—" if m.davies_bouldin is None else f"{m.davies_bouldin:.2f}",
        help="Lower is better.",
    )
    cells[3].metric(
        "Stability (ARI)",
        "—" if m.stability_ari is None else f"{m.stability_ari:.2f}",
        help="Agreement with refits on bootstrap resamples: 1 is identical.",
    )
    cells[4].metric(
        "Unassigned", f"{m.noise_share:.1%}", help="Customers a density method left in no segment."
    )


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
