"""Export, for marketers: the brief, the audience lists, the model and the run's files, and one
ZIP of all: the files `segmenter segment` and `segmenter brief` write.

The audience lists may carry extra columns of the customer file (email, region...) and keep
only consenting customers where a segment's products need consent (narratives.audiences): a
consent column that is not yes/no is one st.error, and the lists are offered without them. The
choice is kept for the session (state.audience_choice): the Personas page's audience files and
packs follow it.
"""

from __future__ import annotations

import streamlit as st

from card_segmenter.app import state, widgets
from card_segmenter.app.llm import personas_for
from narratives import build_context
from narratives.export import ExportFiles, zip_files
from narratives.templates import plain_markdown
from segmenter.errors import InputError

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
reviewed = state.reviewed(run)
widgets.summary(run.profile)
widgets.verdict_box(context, inputs.key)
st.caption(
    plain_markdown(f"Narratives: {shown.label}{f' ({shown.note})' if shown.note else ''}.")
    + " The files are "
    "exactly what `segmenter segment` and `segmenter brief` write."
)
extras = inputs.loaded.report.ignored_columns  # options are plain text, never Markdown
# Drawn from the choice kept in the session, which the Personas page's packs use too: these
# widgets' own values are dropped whenever another page is shown.
choice = state.audience_choice(inputs)
if extras:
    with st.expander("Columns for the CRM: carry extra columns of your file, respect consent"):
        st.multiselect(
            "Carry these columns into the audience lists",
            extras,
            default=list(choice.carry),
            key=state.CARRY_WIDGET,
            on_change=state.keep_audience_choice,
            help="Columns of your file the segments do not use, e.g. email or region: written "
            "as text beside each customer, in the order chosen; the Personas page's audience "
            "files carry them too.",
        )
        consents = [None, *extras]
        st.selectbox(
            "Marketing consent column (yes/no)",
            consents,
            index=consents.index(choice.consent),
            format_func=lambda column: "none" if column is None else column,
            key=state.CONSENT_WIDGET,
            on_change=state.keep_audience_choice,
            help="Segments offered a product that needs marketing consent keep only the "
            "customers with yes (yes/y/true/1; no/n/false/0; an empty cell counts as no), here "
            "and on the Personas page.",
        )
consent = choice.consent
chosen: ExportFiles | None = None
if choice.keep:
    try:
        carried = state.chosen_columns(inputs, choice)
        chosen = state.export(
            inputs.key, shown.id, run, shown.personas, shown.asked, shown.endpoint,
            inputs.settings.price, choice.keep, consent, carried, reviewed.key, reviewed.lookup,
        )  # fmt: skip
    except InputError as error:
        st.error(
            "The audience lists below leave out the columns chosen: " + plain_markdown(str(error))
        )
files = chosen or state.export(
    inputs.key, shown.id, run, shown.personas, shown.asked, shown.endpoint,
    inputs.settings.price, review=reviewed.key, _lookup=reviewed.lookup,
)  # fmt: skip
if files.draft:
    st.warning(plain_markdown(files.draft), icon=":material/rate_review:")
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
st.markdown(
    "**Audience lists** (per segment: customer ids, persona, products, confidence, and the "
    "columns carried, for the campaign tools)"
)
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
for audience in files.audiences:
    if audience.left_out:
        st.caption(
            plain_markdown(
                f"{audience.segment_name}: {audience.left_out:,} customers without marketing "
                f"consent ({consent}) left out, as its products need consent."
            )
        )
with st.expander("Preview the brief"):
    st.markdown(files["brief.md"].decode("utf-8"))
