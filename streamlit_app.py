"""Card segmenter: the app. Widgets, cached calls into the packages, rendering; nothing else."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from segmenter.errors import InputError
from segmenter.io import parse_table
from segmenter.quality import LoadedCustomers, clean_table

SAMPLE = Path(__file__).resolve().parent / "data" / "sample_customers.csv"


@st.cache_data(show_spinner="Reading and checking the file...", max_entries=8)
def load(data: bytes, name: str) -> LoadedCustomers:
    return clean_table(parse_table(data, name=name))


st.set_page_config(page_title="Card segmenter", layout="wide")
st.title("Card segmenter")
st.caption("Credit-card customer segments, personas and wealth-management offers.")

with st.sidebar:
    st.header("Data")
    upload = st.file_uploader(
        "Customer file (CSV, Parquet or Excel, up to 200 MB)",
        type=["csv", "txt", "tsv", "parquet", "xlsx"],
        key="upload",
    )

if upload is not None:
    data, name, synthetic = upload.getvalue(), upload.name, False
else:
    data, name, synthetic = SAMPLE.read_bytes(), SAMPLE.name, True

try:
    loaded = load(data, name)
except InputError as error:
    st.error(f"This file cannot be used: {error}")
    st.stop()

if synthetic:
    st.info(
        "Showing the bundled **synthetic** sample (generated, not real customers). "
        "Upload your own file in the sidebar."
    )

report = loaded.report
st.subheader(f"Data quality: {report.source}")
read, kept, columns = st.columns(3)
read.metric("Rows read", f"{report.rows_read:,}")
kept.metric("Rows kept", f"{report.rows_kept:,}")
columns.metric("Columns recognised", len(report.column_mapping))

st.markdown("**Findings and what was done**")
if report.findings:
    st.dataframe(
        [finding.model_dump() for finding in report.findings],
        hide_index=True,
    )
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
