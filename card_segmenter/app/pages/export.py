"""Export, for marketers: the brief, the audience lists, the model and the run's files, and one
ZIP of all: the files `segmenter segment` and `segmenter brief` write."""

from __future__ import annotations

import streamlit as st

from card_segmenter.app import state, widgets
from card_segmenter.app.llm import personas_for
from narratives import build_context
from narratives.export import zip_files
from narratives.templates import plain_markdown

# (column title, [(button label, file name, MIME type), ...]) per column.
DOWNLOADS = (
    (
        "Campaign brief",
        [
            ("Brief (Markdown)", "brief.md", "text/markdown"),
            ("Brief (HTML)", "brief.html", "text/html"),
            ("brief.json", "brief.json", "application/json"),
        ],
    ),
    (
        "Segmentation",
        [
            ("Model (model.skops)", "model.skops", "application/octet-stream"),
            ("assignments.csv", "assignments.csv", "text/csv"),
            ("profiles.json", "profiles.json", "application/json"),
        ],
    ),
)

inputs = state.current()
if (run := state.current_run(inputs)) is None:
    st.stop()
context = build_context(run.profile)
shown = personas_for(inputs.key, context)
files = state.export(
    inputs.key, shown.id, run, shown.personas, shown.asked, shown.endpoint, inputs.settings.price
)
widgets.summary(run.profile)
widgets.verdict_box(context, inputs.key)
st.caption(
    plain_markdown(f"Narratives: {shown.label}{f' ({shown.note})' if shown.note else ''}.")
    + " The files are "
    "exactly what `segmenter segment` and `segmenter brief` write."
)
st.download_button(
    "Everything, as one ZIP",
    data=lambda: zip_files(files),
    file_name="campaign.zip",
    mime="application/zip",
    key="download_zip",
    type="primary",
    on_click="ignore",
    icon=":material/folder_zip:",
)
for column, (title, downloads) in zip(st.columns(2), DOWNLOADS, strict=True):
    with column:
        st.markdown(f"**{title}**")
        for button, name, mime in downloads:
            st.download_button(
                button,
                data=files[name],
                file_name=name,
                mime=mime,
                key=f"download_{name.replace('.', '_')}",
                on_click="ignore",
            )
st.markdown("**Audience lists** (customer ids per segment, for the campaign tools)")
with st.container(horizontal=True):
    for audience in files.audiences:
        st.download_button(
            f"{audience.segment_name} ({audience.customers:,})",
            data=files[audience.path],
            file_name=audience.file_name,
            mime="text/csv",
            key=f"download_audience_{audience.segment_id}",
            on_click="ignore",
        )
with st.expander("Preview the brief"):
    st.markdown(files["brief.md"].decode("utf-8"))
