"""Explore, for analysts: segment sizes, the segment map, profiles and distributions; each chart
downloads as PNG or SVG."""

from __future__ import annotations

import streamlit as st

from card_segmenter.app import state, widgets
from segmenter.charts import figures as charts
from segmenter.explain.measures import label
from segmenter.explain.profiles import PROFILE_FEATURES

inputs = state.current()
key, frame = inputs.key, inputs.loaded.frame
if (run := state.current_run(inputs)) is None:
    st.stop()
profile = run.profile
widgets.summary(profile)
points, variance = state.pca(key, frame, run)
sizes, segment_map = st.columns([2, 3], gap="large")
with sizes:
    widgets.chart_with_downloads(charts.segment_sizes(profile), name="segment-sizes")
with segment_map:
    widgets.chart_with_downloads(charts.pca_chart(points, variance, profile), name="segment-map")
st.divider()
widgets.chart_with_downloads(charts.profile_heatmap(profile), name="profile-heatmap")
st.divider()
widgets.chart_with_downloads(charts.profiles_compared(profile), name="profiles-compared")
st.divider()
feature = st.selectbox(
    "Distribution of",
    PROFILE_FEATURES,
    format_func=lambda f: label(f).capitalize(),
    key="feature",
)
widgets.chart_with_downloads(
    charts.distribution_chart(state.quantiles(key, frame, run), feature, profile),
    name=f"distribution-{feature.lower()}",
)
