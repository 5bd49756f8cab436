"""Review, for the people who approve words before they reach customers: each persona and
product suggestion of a recorded run, approved or rejected by name, with a comment.

A decision is made from the version shown: when someone else decided the item meanwhile, it is
refused and the page says by whom (optimistic locking, segmenter.workspace.review). The run on
screen is recorded with its personas by a button; runs recorded by `segmenter segment` and
`segmenter brief` are reviewed here too. Exports say "DRAFT: not approved" until every text in
them is approved.
"""

from __future__ import annotations

import getpass
from itertools import groupby

import streamlit as st
from sqlalchemy import Engine

from card_segmenter.app import state
from card_segmenter.app.llm import personas_for
from narratives import build_context
from narratives.recording import LoadedSource, record_segmentation
from narratives.templates import plain_markdown
from segmenter.errors import InputError
from segmenter.workspace import (
    ReviewItemView,
    approve,
    list_review_items,
    list_runs,
    reject,
    run_profile,
)

LISTED = 200  # runs offered, newest first
STATE_COLOURS = {"draft": "gray", "approved": "green", "rejected": "red"}
_SAID = "review_said"  # session state: (ok, sentence) of the last decision, shown once


def decide(engine: Engine, item: ReviewItemView, decision: str) -> None:
    """A button's callback: decide `item` as shown (its version), by the name typed."""
    reviewer = st.session_state.get("reviewer", "").strip()
    if not reviewer:  # the buttons wait for a name; a decision is never anonymous
        st.session_state[_SAID] = (False, "Type your name first: a decision goes on the record.")
        return
    comment = st.session_state.get(f"comment_{item.id}_{item.version}", "").strip() or None
    act = approve if decision == "approve" else reject
    try:
        done = act(
            engine, item.id, expected_version=item.version, reviewer=reviewer, comment=comment
        )
    except InputError as error:  # ReviewConflict: someone decided it meanwhile
        st.session_state[_SAID] = (False, str(error))
        return
    st.session_state[_SAID] = (True, f"{done.item_key}: {done.state} by {done.reviewer}.")


def record(engine: Engine) -> None:
    """The record button's callback: this session's run and the personas it shows."""
    inputs = state.current()
    run = state.current_run(inputs)
    if run is None:
        return
    shown = personas_for(inputs.key, build_context(run.profile))
    previous = inputs.key.previous
    refresh = None
    if previous is not None:
        refresh = (previous, state.refreshed(inputs.key, inputs.loaded.frame).refresh)
    by_llm = any(p.source == "llm" for p in shown.personas)
    report = inputs.loaded.report
    try:
        run_id = record_segmentation(
            engine, run, shown.personas, narratives=shown.label,
            model=shown.label if by_llm else None,
            source=LoadedSource(
                inputs.key.source, state.sha256(inputs.data), report.rows_read, report.rows_kept
            ),
            settings={
                "algorithm": inputs.key.algorithm, "k": inputs.key.k or "auto",
                "seed": inputs.key.seed, "columns": dict(report.user_mapping),
            },
            actor=st.session_state.get("reviewer", "").strip() or getpass.getuser(),
            refresh=refresh,
        )  # fmt: skip
    except InputError as error:
        st.session_state[_SAID] = (False, str(error))
        return
    st.session_state["review_run_choice"] = run_id  # show it: set before the box is drawn
    of = f" (a refresh of run {previous})" if previous is not None else ""
    said = f"Recorded as run {run_id}{of}, with its personas to review."
    st.session_state[_SAID] = (True, said)


def item_card(engine: Engine, item: ReviewItemView, *, reviewer: str) -> None:
    with st.container(border=True, key=f"review_item_{item.id}"):
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown(f"**{item.kind.capitalize()}**", width="content")
            st.badge(item.state, color=STATE_COLOURS[item.state])  # type: ignore[arg-type]
            st.badge("LLM" if item.source == "llm" else "rule-based", color="blue")
            st.caption(f"item {item.id} · version {item.version}", width="content")
        st.markdown(plain_markdown(item.text))
        if item.decided_at is not None:
            when = f"{item.decided_at:%Y-%m-%d %H:%M} UTC"
            said = f"{item.state.capitalize()} by {item.reviewer} on {when}"
            st.caption(plain_markdown(said + (f": {item.comment}" if item.comment else "")))
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.text_input(
                "Comment",
                key=f"comment_{item.id}_{item.version}",
                placeholder="Why, for the record (optional)",
                label_visibility="collapsed",
            )
            for decision, icon in (("approve", ":material/check:"), ("reject", ":material/close:")):
                st.button(
                    decision.capitalize(),
                    key=f"{decision}_{item.id}_{item.version}",
                    on_click=decide,
                    args=(engine, item, decision),
                    disabled=not reviewer,
                    help=None if reviewer else "Type your name above first.",
                    icon=icon,
                )


engine = state.workspace()
if isinstance(engine, str):
    st.info(plain_markdown(f"Nothing to review: {engine}. The other pages work as before."))
    st.stop()
st.caption(
    "Personas and product suggestions are drafts until a reviewer approves them: the brief and "
    'the campaign packs say "DRAFT: not approved" until every text in them is approved.'
)
inputs = state.current()
current = state.current_run(inputs)
reviewed = state.reviewed(current) if current is not None else state.Reviewed()
if current is not None and reviewed.run_id is None:
    st.button(
        "Record this run and its personas for review",
        on_click=record,
        args=(engine,),
        key="review_record",
        icon=":material/rate_review:",
        help="Records the run on screen (its figures, model and assignments) in the workspace, "
        "with the personas shown on the Personas page as drafts.",
    )
reviewer = st.text_input("Your name, as it goes on the record", key="reviewer").strip()
if said := st.session_state.pop(_SAID, None):
    (st.success if said[0] else st.error)(plain_markdown(said[1]))
runs = list_runs(engine, limit=LISTED)
if not runs:
    st.info("No run recorded yet: record the run on screen, or run `segmenter segment`.")
    st.stop()
ids = [r.id for r in runs]
wanted = reviewed.run_id  # the run on screen, when it is recorded; else the newest
about = {r.id: state.run_label(r) for r in runs}
chosen = st.selectbox(
    "Run",
    ids,
    index=ids.index(wanted) if wanted in ids else 0,
    format_func=lambda r: about[r] + (" (on screen)" if r == reviewed.run_id else ""),
    key="review_run_choice",
)
items = list_review_items(engine, chosen)
if not items:
    st.info(
        f"Run {chosen} has nothing to review yet: write its brief (`segmenter brief`) or record "
        "it with its personas from this page."
    )
    st.stop()
counts = {s: sum(i.state == s for i in items) for s in STATE_COLOURS}
st.markdown(
    f"**{counts['approved']} of {len(items)} approved**, {counts['rejected']} rejected, "
    f"{counts['draft']} drafts: from the run's latest brief."
)
names = {s.id: s.name for s in run_profile(engine, chosen).segments}
for segment, group in groupby(items, key=lambda i: i.segment_id):
    st.subheader(plain_markdown(f"Segment {segment}: {names.get(segment, 'not in this run')}"))
    for item in group:
        item_card(engine, item, reviewer=reviewer)
