"""The personas this session shows: the rule-based ones, or the LLM's once asked for.

The Personas page asks (`llm_controls`); the Export page writes whatever is shown
(`personas_for`), so the brief is always of the personas on screen.
"""

from __future__ import annotations

import dataclasses
import uuid

import streamlit as st

from card_segmenter.app.state import RunKey, rule_personas, shelf
from narratives import LLMSettings, Persona, RunContext, build_writer
from narratives.personas import RULE_BASED, authorship
from narratives.preview import outgoing_requests

_ASKED = "llm_personas"  # session state: RunKey -> LLMPersonas


@dataclasses.dataclass(frozen=True)
class LLMPersonas:
    """Personas of one run in this session; `id` tells generations apart.

    `label` is the model only when it wrote personas that passed the checks (`authorship`);
    `asked` is the writer asked (the model, or rule-based), which the brief credits the same way.
    """

    label: str
    note: str | None
    asked: str
    endpoint: str | None
    personas: list[Persona]
    id: str


def personas_for(key: RunKey, context: RunContext) -> LLMPersonas:
    """The LLM's personas of this run if this session asked for them, else the rule-based ones."""
    asked: LLMPersonas | None = st.session_state.get(_ASKED, {}).get(key)
    return asked or LLMPersonas(
        label=RULE_BASED,
        note=None,
        asked=RULE_BASED,
        endpoint=None,
        personas=rule_personas(key, context),
        id="rules",
    )


def llm_controls(context: RunContext, settings: LLMSettings, key: RunKey) -> None:
    """Regenerate with the LLM, go back to rule-based personas, or show what would be sent."""
    asked: LLMPersonas | None = st.session_state.get(_ASKED, {}).get(key)
    with st.container(horizontal=True, vertical_alignment="center"):
        regenerate = st.button(
            f"Regenerate personas with {settings.model}",
            key="regenerate",
            type="primary",
            disabled=not settings.enabled,
            help="Sends one request per segment: see the payload first."
            if settings.enabled
            else "Needs an LLM endpoint: enter a key in the sidebar, or set OPENAI_BASE_URL.",
        )
        # Only when the model wrote some of the personas shown: else they are rule-based.
        written = asked is not None and asked.label != RULE_BASED
        back = written and st.button("Back to rule-based personas", key="use_rules")
        show = st.toggle("Show the outgoing LLM payload", key="show_payload")
    if show:
        st.caption(
            "Exactly what would be sent: one request per segment large enough to describe, "
            "aggregates only. The API key is never part of it."
        )
        st.json(outgoing_requests(context, settings=settings, shelf=shelf()), expanded=1)
    if back:
        del st.session_state[_ASKED][key]
        st.rerun()
    if regenerate:
        with st.status(f"Asking {settings.model} for personas...") as box:
            writer = build_writer(settings, shelf=shelf())
            personas = writer.write(context)
            credit = authorship(personas, model=writer.label, endpoint=writer.endpoint)
            box.update(label=f"{settings.model} answered", state="complete")
        st.session_state.setdefault(_ASKED, {})[key] = LLMPersonas(
            label=credit.label,
            note=credit.note,
            asked=writer.label,
            endpoint=writer.endpoint,
            personas=personas,
            id=uuid.uuid4().hex,
        )
        st.rerun()  # redraw the controls for what was written (the way back to rule-based)
