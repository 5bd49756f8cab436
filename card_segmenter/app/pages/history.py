"""History, for analysts: the runs recorded in the workspace and, for a monthly refresh, where
customers went and which columns drifted.

The command line records the runs (`segmenter segment`, `--previous` for a refresh); this page
reads them. Without a workspace it says why, and every other page works as before.
"""

from __future__ import annotations

import polars as pl
import streamlit as st
from pydantic import ValidationError
from sqlalchemy import Engine

from narratives.templates import plain_markdown
from segmenter.errors import InputError
from segmenter.refresh.charts import drift_bars, migration_heatmap
from segmenter.refresh.run import recorded_refresh, refresh_lines
from segmenter.workspace import database_url_from_env, list_runs, open_workspace, shown_url


@st.cache_resource(show_spinner=False)
def _workspace(url: str) -> Engine:
    """The workspace, opened (and migrated) once per server."""
    return open_workspace(url)


LISTED = 200  # runs listed, newest first

url = database_url_from_env()
try:
    engine = _workspace(url)
    runs = list_runs(engine, limit=LISTED)
except InputError as error:
    st.info(plain_markdown(f"No history to show: {error}. The other pages work as before."))
    st.stop()
shown = f"the latest {len(runs)}" if len(runs) == LISTED else f"{len(runs)}"
st.caption(
    f"Runs recorded by `segmenter segment` in {plain_markdown(shown_url(url))}: {shown}; "
    "streamed runs are not recorded yet."
)
if not runs:
    st.info(
        "No runs recorded yet: `segmenter segment FILE --out DIR` records one, and "
        "`--previous LAST_MONTHS_DIR` a monthly refresh."
    )
    st.stop()
table = pl.DataFrame(
    {
        "Run": [r.id for r in runs],
        "When (UTC)": [r.created_at.strftime("%Y-%m-%d %H:%M") for r in runs],
        "File": [r.source_name for r in runs],
        "Method": [f"{r.algorithm}, k={r.k}" for r in runs],
        "Customers": [f"{r.rows_kept:,}" for r in runs],
        "Refresh of": [f"run {r.previous_run_id}" if r.previous_run_id else "" for r in runs],
    }
)
st.dataframe(table, hide_index=True, key="history_runs")
refreshes = [r.id for r in runs if r.previous_run_id is not None]
if not refreshes:
    st.caption("No refresh recorded yet: segment next month's file with --previous.")
    st.stop()
chosen = st.selectbox("Refresh", refreshes, format_func=lambda r: f"Run {r}", key="history_refresh")
try:
    found = recorded_refresh(engine, chosen)
except (InputError, ValidationError) as error:
    st.warning(plain_markdown(f"Run {chosen}'s refresh cannot be read: {error}"))
    st.stop()
if found.refresh is None:
    st.info(f"Run {chosen} was recorded as a refresh without its report (refresh.json).")
else:
    for line in refresh_lines(found.refresh):
        st.markdown(plain_markdown(line.strip()))
if found.migration is not None:
    st.altair_chart(migration_heatmap(found.migration.matrix), key="history_migration")
if found.refresh is not None and found.refresh.drift is not None:
    st.altair_chart(drift_bars(found.refresh.drift), key="history_drift")
