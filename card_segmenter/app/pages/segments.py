"""Segments, for analysts: the run's metrics and verdict, every segment's figures, choosing k,
and all seven algorithms compared on demand."""

from __future__ import annotations

import streamlit as st

from card_segmenter.app import state, widgets
from narratives import build_context
from narratives.tables import figures_table, segments_table
from segmenter.charts import data as chart_data
from segmenter.charts import figures as charts
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.cluster.selection import K_RANGE
from segmenter.cluster.titles import with_titles
from segmenter.explain.formats import METRICS

ARI = METRICS["stability_ari"].spelling  # agreement between two algorithms, as stability reads

inputs = state.current()
key, frame = inputs.key, inputs.loaded.frame
if (run := state.current_run(inputs)) is None:
    st.stop()
profile = run.profile
method = ALGORITHMS[key.algorithm]
widgets.summary(profile)
widgets.metrics_row(profile)
context = build_context(profile)
widgets.verdict_box(context, key)
st.dataframe(segments_table(context), hide_index=True)
described = {s.id: s for s in context.segments if s.figures}
if described:
    chosen = st.selectbox(
        "Figures of segment",
        list(described),
        format_func=lambda sid: f"{sid}: {described[sid].name}",
        key="figures_segment",
        help="Where every number of the personas comes from: the segment's statistics "
        "beside the whole book's. Effect size: the standardised difference from the rest "
        "of the book (on log1p for money and counts). 'quoted' marks the figures a persona "
        "states, and the statistic it quotes.",
    )
    st.dataframe(figures_table(described[chosen]), hide_index=True)

st.subheader("Choosing k")
choice = profile.k_selection
if choice is None and method.uses_k:
    st.caption(
        f"k was set by hand. Score every k from {K_RANGE[0]} to {K_RANGE[1]} "
        "to see what the automatic choice would be."
    )
    if st.toggle(f"Score k = {K_RANGE[0]}-{K_RANGE[1]} for {method.title}", key="score_k"):
        choice = state.segment(key._replace(k=None), frame).profile.k_selection
elif choice is None:
    st.caption(f"{method.title} finds its own number of segments: there is no k to choose.")
if choice is not None:
    st.success(choice.explanation)
    st.altair_chart(charts.k_choice_chart(chart_data.k_scores(choice)), width="content")
    with st.expander("Scores of every candidate k"):
        widgets.table([c.model_dump() for c in choice.candidates])

st.subheader("Algorithms compared")
k_label = "the automatically chosen k" if key.k is None else f"k={key.k}"
st.caption(
    f"Fits all seven algorithms at {k_label} with bootstrap stability: slow (about half "
    "a minute on the sample), so it runs on demand and is then cached."
)
requested = (key.digest, key.k, key.seed)
if st.button("Compare all seven algorithms", key="compare"):
    st.session_state["compared"] = requested
if st.session_state.get("compared") == requested:
    table, agreement, k = state.compare(key.digest, key.k, key.seed, frame)
    widgets.table(with_titles(table))
    st.altair_chart(charts.comparison_chart(table, k=k), width="content")
    with st.expander("Agreement between algorithms (adjusted Rand index)"):
        widgets.table(with_titles(agreement), numbers=ARI.column())
