"""Data, for everyone: what was read, what was kept, and every change made to the file."""

from __future__ import annotations

import streamlit as st

from card_segmenter.app import state, widgets
from narratives.templates import plain_markdown
from segmenter.ingest.mapping import column_map_text

inputs = state.current()
report = inputs.loaded.report
st.subheader(f"Data quality: {plain_markdown(report.source)}")
read, kept, columns = st.columns(3)
read.metric("Rows read", f"{report.rows_read:,}")
kept.metric("Rows kept", f"{report.rows_kept:,}")
columns.metric("Columns recognised", len(report.column_mapping))
st.markdown("**Findings and what was done**")
if report.findings:
    widgets.table(report.findings_table())
else:
    st.success("No problems found: nothing was changed.")
with st.expander("Column mapping", expanded=bool(report.user_mapping)):
    if report.user_mapping:
        others = len(report.column_mapping) > len(report.user_mapping)
        st.markdown(
            f"You mapped {len(report.user_mapping)} of these columns yourself, in the column "
            "mapping step" + ("; the others were matched by their names." if others else ".")
        )
    matched_by = {c: "close name" for c in report.close_matches} | {
        c: "your mapping" for c in report.user_mapping
    }
    st.dataframe(
        [
            {"file column": k, "canonical column": v, "matched by": matched_by.get(k, "name")}
            for k, v in report.column_mapping.items()
        ],
        hide_index=True,
    )
    if report.ignored_columns:
        st.markdown(
            "Ignored columns: " + ", ".join(plain_markdown(c) for c in report.ignored_columns)
        )
    if report.user_mapping:  # the same choice for the command line: --columns FILE.toml
        st.download_button(
            "Download this mapping (columns.toml)",
            data=column_map_text(report.user_mapping).encode("utf-8"),
            file_name="columns.toml",
            mime="application/toml",
            key="columns_toml",
            on_click="ignore",
            icon=":material/download:",
            help="Your column mapping as a file: `segmenter segment FILE --columns "
            "columns.toml` reads next month's file the same way.",
        )
    if inputs.header is not None:
        st.button(
            "Change column mapping",
            key="change_columns",
            on_click=state.redo_column_map,
            args=(inputs.header,),
            icon=":material/edit:",
            help="Choose again which of your columns hold what: for files with these columns.",
        )
if report.dropped:
    with st.expander(f"Dropped rows ({report.rows_dropped:,})"):
        widgets.table([row.model_dump() for row in report.dropped])
