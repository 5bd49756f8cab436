"""Score, for analysts: new customers given a segment by a saved model or the current one."""

from __future__ import annotations

import streamlit as st

from card_segmenter.app import columns, state, widgets
from card_segmenter.app.widgets import MAX_UPLOAD_MB, TABLE_TYPES
from narratives.templates import plain_markdown
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.cluster.titles import algorithm_title
from segmenter.errors import InputError
from segmenter.files import csv_bytes
from segmenter.model.scoring import score_summary

inputs = state.current()
run = state.current_run(inputs)
st.caption(
    "Give new customers a segment with a saved model: the segment, how confident the "
    "assignment is, and the runner-up segment."
)
customers_file = st.file_uploader(
    f"New customers (CSV, Parquet or Excel, up to {MAX_UPLOAD_MB} MB)",
    type=TABLE_TYPES,
    key="score_upload",
)
model_file = st.file_uploader(
    "Saved model (model.skops from the Export page or `segmenter segment`)",
    type=["skops"],
    key="model_upload",
)
try:
    if model_file is not None:
        model_data = model_file.getvalue()
        model_id = state.sha256(model_data)
        model = state.uploaded_model(model_id, model_file.name, model_data)
        shown = plain_markdown(
            f"{model_file.name} ({algorithm_title(model.algorithm)}, {len(model.names)} segments)"
        )
        st.caption(f"Model: {shown}.")
    elif run is not None:
        model, model_id = run.model, repr(inputs.key)
        st.caption(
            "No model uploaded: using the current run's model "
            f"({ALGORITHMS[inputs.key.algorithm].title}, k={run.profile.k})."
        )
    else:
        st.info("Upload a saved model.")
        st.stop()
    if customers_file is not None:
        data, name = customers_file.getvalue(), customers_file.name
    elif st.toggle("Try it on the bundled synthetic sample", key="score_sample"):
        data, name = state.SAMPLE.read_bytes(), state.SAMPLE.name
    else:
        st.info(
            "Upload a customer file with the same columns as the data the model was trained on."
        )
        st.stop()
    digest = state.sha256(data)
    loaded = columns.remembered(digest, name, data)
    report = loaded.report
    with st.expander(
        f"{plain_markdown(name)}: {report.rows_kept:,} of {report.rows_read:,} rows kept, "
        f"{len(report.findings)} data-quality finding(s)"
    ):
        widgets.table(report.findings_table())
    result = state.scored(digest, model_id, loaded.frame, model)
except InputError as error:
    st.error(f"Cannot score: {plain_markdown(str(error))}")
    st.stop()
widgets.table(score_summary(result))
widgets.table(result.head(1_000))
st.download_button(
    "Download the scored customers (CSV)",
    data=csv_bytes(result),  # spreadsheet-safe, as every CSV the product writes
    file_name="scores.csv",
    mime="text/csv",
    key="download_scores",
    type="primary",
    on_click="ignore",
)
