"""Customer, for an advisor on the phone: one customer's segment, persona, figures and products."""

from __future__ import annotations

import streamlit as st

from card_segmenter.app import state
from card_segmenter.app.llm import personas_for
from narratives import build_context
from narratives.customer import INDICATION, customer_view
from narratives.customer_text import (
    assignment_sentence,
    figures_table,
    match_text,
    move_outcome,
    move_table,
    notes,
)
from narratives.templates import plain_markdown
from segmenter.errors import InputError
from segmenter.explain.customer import (
    customer_values,
    find_customer,
    typed_customer,
    typical_customer,
)
from segmenter.explain.measures import kind_of, label
from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.model.moves import MOVE_NOTE

SHOWN = 5  # figures in the table at first: what sets the segment apart, then the others
STEPS = {"money": (10.0, "%.2f"), "share": (0.05, "%.2f"), "count": (1.0, "%.0f")}
_SOURCE = "customer_source"  # session state: "id" or "typed", the way in used last


def use(source: str) -> None:
    st.session_state[_SOURCE] = source


inputs = state.current()
if (run := state.current_run(inputs)) is None:
    st.stop()
context = build_context(run.profile)
shown = personas_for(inputs.key, context)  # the LLM's titles when this session has them
titles = {p.segment_id: p.persona_name for p in shown.personas}
shelf = state.shelf()

ask, type_in = st.columns([1, 2])
customer_id = ask.text_input(
    "Customer id",
    key="customer_id",
    placeholder="e.g. C10001",
    on_change=use,
    args=("id",),
    help="A customer of the loaded file; case and spaces are ignored.",
)
with type_in.expander("Type a customer's figures"):
    typical = typical_customer(run.profile)
    cells = st.columns(4)
    typed = {}
    for i, column in enumerate(FEATURE_COLUMNS):
        step, shape = STEPS.get(kind_of(column), (1.0, "%.0f"))
        typed[column] = cells[i % 4].number_input(
            label(column).capitalize() + (" (0 to 1)" if kind_of(column) == "share" else ""),
            min_value=0.0,
            value=float(typical[column]),
            step=step,
            format=shape,
            key=f"typed_{column}",
        )
    st.caption("Filled in with the book's medians.")
    st.button("Find the segment", key="typed_lookup", on_click=use, args=("typed",))

from_figures = st.session_state.get(_SOURCE) == "typed"
try:
    if from_figures:
        row = typed_customer(typed)
    elif customer_id.strip():
        row = find_customer(inputs.loaded.frame, customer_id, source=inputs.key.source)
    else:
        st.caption("Enter a customer id from the loaded file, or type a customer's figures.")
        st.stop()
except InputError as error:
    st.warning(plain_markdown(f"{error}."))
    st.stop()
view = customer_view(
    row,
    model=run.model,
    profile=run.profile,
    context=context,
    book_std=state.spread(inputs.key.digest, inputs.loaded.frame),
    shelf=shelf,
)

segment = view.segment
who = "Typed figures" if from_figures else f"Customer {view.customer_id}"
where = "no segment" if segment.is_noise else f"segment {segment.id}: {segment.name}"
title = segment.name if segment.is_noise else titles.get(segment.id, segment.title)
about, offers = st.columns([3, 2], gap="medium")
with about:
    st.markdown(f"#### {plain_markdown(title)}")
    st.caption(plain_markdown(f"{who} · {where} · Narratives: {shown.label}"))
    st.markdown(plain_markdown(assignment_sentence(view, titles=titles)))
    if context.verdict.level != "high":
        verdict = context.verdict
        st.caption(
            plain_markdown(f"Confidence in this segmentation: {verdict.level}. {verdict.sentence}")
        )
    for note in notes(view):
        st.warning(plain_markdown(note))
    described = not segment.coarse
    st.caption(
        "This customer beside the segment and the whole book, their median or mean as named "
        "(what sets the segment apart first)."
        if described
        else "This customer beside the whole book (most unusual first): the segment is not "
        "described by figures."
    )
    st.dataframe(
        figures_table(view.figures[:SHOWN], segment=described),
        hide_index=True,
        key="customer_figures",
    )
    with st.expander(f"All {len(view.figures)} figures"):
        st.dataframe(figures_table(view.figures, segment=described), hide_index=True)
with offers:
    st.markdown("**Products whose conditions this customer meets**")
    st.caption(INDICATION)
    strained = bool(view.strain) or segment.strain
    for match in view.products:
        product = match.product
        st.markdown(
            f"- **{plain_markdown(product.name)}**: {plain_markdown(match_text(match))}",
            help=plain_markdown(f"{product.risk_notes} {product.disclaimer}"),
        )
        if strained and product.credit:
            st.caption(plain_markdown(shelf.affordability.rstrip(":") + "."))
    if not view.products:
        st.caption("None: no product on the shelf has every condition met by these figures.")
    risks = "Each product's risk notes are behind its question mark. " if view.products else ""
    st.caption(plain_markdown(f"{risks}{shelf.disclaimer}"))

others = [s for s in context.segments if not s.is_noise and s.id != segment.id]
if others:
    st.markdown("**What would move this customer to another segment**")
    target = st.selectbox(
        "Segment to move to",
        others,
        index=None,
        format_func=lambda s: f"{s.id}: {s.name} ({titles.get(s.id, s.title)})",  # plain text
        placeholder="Choose a segment",
        key="move_target",
        help="The smallest changes in how the customer uses the card (paying in full, cash "
        "advances, purchases, payments, balance) that this run's model assigns to that segment.",
    )
    if target is not None:
        move = state.move(inputs.key, row.row(0), target.id, run.model, row)
        if isinstance(move, str):  # no move: why
            st.info(plain_markdown(f"{move}."))
        else:
            st.success(plain_markdown(move.sentence))
            st.caption(plain_markdown(move_outcome(move)))
            st.dataframe(
                move_table(move, customer_values(row)), hide_index=True, key="move_figures"
            )
        st.caption(MOVE_NOTE)
