"""Data, for everyone: what was read, what was kept, and every change made to the file."""

from __future__ import annotations

import streamlit as st

from card_segmenter.app import state

report = state.current().loaded.report
st.subheader(f"Data quality: {report.source}")
read, kept, columns = st.columns(3)
read.metric("Rows read", f"{report.rows_read:,}")
kept.metric("Rows kept", f"{report.rows_kept:,}")
columns.metric("Columns recognised", len(report.column_mapping))
st.markdown("**Findings and what was done**")
if report.findings:
    st.dataframe(report.findings_table(), hide_index=True)
else:
    st.success("No problems found: nothing was changed.")
with st.expander("Column mapping"):
    st.dataframe(
        [{"file column": k, "canonical column": v} for k, v in report.column_mapping.items()],
        hide_index=True,
    )
    if report.ignored_columns:
        st.write("Ignored columns: " + ", ".join(report.ignored_columns))
if report.dropped:
    with st.expander(f"Dropped rows ({len(report.dropped):,})"):
        st.dataframe([row.model_dump() for row in report.dropped], hide_index=True)
