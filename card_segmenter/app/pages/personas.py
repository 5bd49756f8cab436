"""Personas, for advisors: a card per segment, and the LLM's personas on request."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from card_segmenter.app import state, widgets
from card_segmenter.app.llm import llm_controls, personas_for
from narratives import Persona, SegmentContext, build_context
from narratives.personas import RULE_BASED, fell_back
from narratives.templates import capitalize_first, plain_markdown
from segmenter.charts import figures as charts
from segmenter.results import SegmentProfile

CONFIDENCE_COLOURS: dict[str, Literal["green", "orange", "red"]] = {
    "high": "green",
    "medium": "orange",
    "low": "red",
}


def persona_card(
    segment: SegmentContext, profile: SegmentProfile, persona: Persona, label: str
) -> None:
    cited, notes = persona.footnoted()
    with st.container(border=True, key=f"persona-{segment.id}"):
        st.markdown(f"#### {plain_markdown(persona.persona_name)}")
        st.caption(f"Segment {segment.id}: {plain_markdown(segment.name)}")
        with st.container(horizontal=True):
            st.badge(f"{segment.size:,} customers · {segment.share:.1%}", color="gray")
            flags = (
                ", ".join(f.replace("_", " ") for f in segment.confidence.flags)
                or "large, stable and well separated"
            )
            st.badge(
                f"{segment.confidence.level} confidence",
                color=CONFIDENCE_COLOURS[segment.confidence.level],
                help=flags,
            )
            by_llm = persona.source == "llm"
            source = label if by_llm else RULE_BASED
            st.badge(f"Narratives: {source}", color="violet" if by_llm else "blue")
        st.markdown(plain_markdown(cited["summary"][0].text))
        if fell_back(persona, segment):
            st.caption(f"Rule-based here: {persona.fallback_reason}.")
        if profile.stats:
            st.markdown("**What sets it apart**")
            st.altair_chart(charts.effect_bars(profile), width="stretch")
        if segment.rules:
            precision = (
                f" ({segment.rule_precision:.0%} of customers matching them are in this segment)"
                if segment.rule_precision is not None
                else ""
            )
            st.markdown(
                f"**Rules**{precision}\n"
                + "\n".join(f"- {plain_markdown(rule)}" for rule in segment.rules)
            )
        if persona.products:
            st.markdown("**Suggested products**")
            for product, rationale in zip(persona.products, cited["products"], strict=True):
                st.markdown(f"- **{product.name}**: {plain_markdown(rationale.text)}")
                st.caption(product.risk_notes)
        with st.expander("Traits, needs, channels and messages"):
            for title, lines in (
                ("Traits", [c.text for c in cited["traits"]]),
                ("Needs", [c.text for c in cited["needs"]]),
                ("Channels", persona.channels),
                ("Messages", persona.messages),
            ):
                if lines:
                    items = "\n".join(f"- {plain_markdown(line)}" for line in lines)
                    st.markdown(f"**{title}**\n{items}")
        if notes:
            with st.expander(f"Where the figures come from ({len(notes)})"):
                st.markdown(
                    "\n".join(f"{i}. {plain_markdown(note)}" for i, note in enumerate(notes, 1))
                )


inputs = state.current()
if (run := state.current_run(inputs)) is None:
    st.stop()
widgets.summary(run.profile)
context = build_context(run.profile)
widgets.verdict_box(context, inputs.key)
llm_controls(context, inputs.settings, inputs.key)
shown = personas_for(inputs.key, context)
if shown.note:
    st.warning(f"Narratives: {shown.label}. {capitalize_first(shown.note)}.")
by_id = {s.id: s for s in run.profile.segments}
columns = st.columns(2)
for i, (segment, persona) in enumerate(zip(context.segments, shown.personas, strict=True)):
    with columns[i % 2]:
        persona_card(segment, by_id[segment.id], persona, shown.label)
st.caption(state.shelf().disclaimer)
