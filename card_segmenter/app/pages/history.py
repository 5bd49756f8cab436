"""History, for analysts: the runs recorded in the workspace and, for a monthly refresh, where
customers went and which columns drifted.

The command line records the runs (`segmenter segment`, `--previous` for a refresh), and the
Review page the run on screen; this page reads them. Without a workspace it says why, and every
other page works as before.
"""

from __future__ import annotations

import polars as pl
import streamlit as st
from pydantic import ValidationError

from card_segmenter.app import state
from narratives.templates import plain_markdown
from segmenter.errors import InputError
from segmenter.refresh.charts import drift_bars, migration_heatmap
from segmenter.refresh.migration import Migration
from segmenter.refresh.run import Refresh, recorded_refresh, refresh_lines
from segmenter.workspace import database_url_from_env, list_runs, shown_url

LISTED = 200  # runs listed, newest first


def show_refresh(refresh: Refresh | None, moved: Migration | None, *, key: str) -> None:
    """A refresh's matches and persona changes in words, where customers went, what drifted."""
    if refresh is not None:
        for line in refresh_lines(refresh):
            st.markdown(plain_markdown(line.strip()))
    if moved is not None:
        st.altair_chart(migration_heatmap(moved.matrix), key=f"{key}_migration")
    if refresh is not None and refresh.drift is not None:
        st.altair_chart(drift_bars(refresh.drift), key=f"{key}_drift")


def on_screen(inputs: state.Inputs) -> None:
    """The run on screen, when the sidebar keeps a recorded run's ids: what its refresh found."""
    if inputs.key.previous is None:
        return
    if state.current_run(inputs) is None:  # refused: the page says why
        return
    done = state.refreshed(inputs.key, inputs.loaded.frame)
    st.subheader(f"The run on screen, matched to run {inputs.key.previous}")
    recorded = state.reviewed(done.run).run_id
    st.caption(
        f"Recorded as run {recorded}."
        if recorded is not None
        else "Not recorded: the Review page records it, as a refresh of that run."
    )
    show_refresh(done.refresh, done.moved, key="history_screen")
    st.subheader("Recorded runs")


url = database_url_from_env()
engine = state.workspace()
if isinstance(engine, str):
    st.info(plain_markdown(f"No history to show: {engine}. The other pages work as before."))
    st.stop()
on_screen(state.current())
runs = list_runs(engine, limit=LISTED)
shown = f"the latest {len(runs)}" if len(runs) == LISTED else f"{len(runs)}"
st.caption(
    f"Runs recorded by `segmenter segment` and the Review page in "
    f"{plain_markdown(shown_url(url))}: {shown}."
)
if not runs:
    st.info(
        "No runs recorded yet: `segmenter segment FILE --out DIR` records one, and "
        "`--previous latest` a monthly refresh of the latest run."
    )
    st.stop()
table = pl.DataFrame(
    {
        "Run": [r.id for r in runs],
        "When (UTC)": [r.created_at.strftime("%Y-%m-%d %H:%M") for r in runs],
        "File": [r.source_name for r in runs],
        "Method": [state.run_method(r) for r in runs],
        "Customers": [f"{r.rows_kept:,}" for r in runs],
        "Refresh of": [f"run {r.previous_run_id}" if r.previous_run_id else "" for r in runs],
    }
)
st.dataframe(table, hide_index=True, key="history_runs")
refreshes = [r.id for r in runs if r.previous_run_id is not None]
if not refreshes:
    st.caption("No refresh recorded yet: segment next month's file with --previous latest.")
    st.stop()
chosen = st.selectbox("Refresh", refreshes, format_func=lambda r: f"Run {r}", key="history_refresh")
try:
    found = recorded_refresh(engine, chosen)
except (InputError, ValidationError) as error:
    st.warning(plain_markdown(f"Run {chosen}'s refresh cannot be read: {error}"))
    st.stop()
if found.refresh is None:
    st.info(f"Run {chosen} was recorded as a refresh without its report (refresh.json).")
show_refresh(found.refresh, found.migration, key="history")
