"""The personas this session shows: the rule-based ones, or the LLM's once asked for.

The Personas page asks (`llm_controls`); the Export page writes whatever is shown
(`personas_for`), so the brief is always of the personas on screen.

A batch of requests runs in a background thread of this session (`Batch`), so the page keeps
answering while it runs: each card changes as its answer arrives, Regenerate is disabled until
the batch ends, and a click while one runs (or a page change) never starts another.
Accepted answers are cached for the server's life, so asking again sends only what is new.
"""

from __future__ import annotations

import dataclasses
import tempfile
import threading
import uuid
from concurrent.futures import Future
from pathlib import Path

import streamlit as st

from card_segmenter.app.state import RunKey, rule_personas, shelf
from narratives import LLMSettings, Persona, RunContext, build_writer
from narratives.llm import OpenAIWriter
from narratives.personas import RULE_BASED, authorship
from narratives.preview import outgoing_requests
from narratives.templates import plain_markdown
from narratives.usage import Price, requests_sentence, usage_sentence

_ASKED = "llm_personas"  # session state: RunKey -> LLMPersonas
_RUNNING = "llm_batch"  # session state: the Batch in flight, if any (one per session)


@dataclasses.dataclass(frozen=True)
class LLMPersonas:
    """Personas of one run in this session; `id` tells generations apart.

    `label` is the model only when it wrote personas that passed the checks (`authorship`);
    `asked` is the writer asked (the model, or rule-based), which the brief credits the same way.
    `requests` is how many segments were sent to the server (the rest came from the cache).
    """

    label: str
    note: str | None
    asked: str
    endpoint: str | None
    personas: list[Persona]
    id: str
    requests: int = 0

    @property
    def tokens(self) -> tuple[int, int]:
        return sum(p.tokens_in for p in self.personas), sum(p.tokens_out for p in self.personas)


@dataclasses.dataclass
class Batch:
    """Requests for one run's personas, running in a thread; `arrived` fills as answers do."""

    key: RunKey
    model: str
    endpoint: str | None
    requests: int
    described: int  # segments the model is asked about (the others are rule-based by design)
    future: Future[list[Persona]]
    arrived: dict[int, Persona] = dataclasses.field(default_factory=dict)


@st.cache_resource(show_spinner=False)
def _answers_dir() -> Path:
    """Where accepted answers are kept while the server runs (answers only: never a key)."""
    return Path(tempfile.mkdtemp(prefix="card-segmenter-answers-"))


def _writer(settings: LLMSettings, *, fresh: bool) -> OpenAIWriter:
    writer = build_writer(settings, shelf=shelf(), cache_dir=_answers_dir(), reuse=not fresh)
    assert isinstance(writer, OpenAIWriter)  # only called with an endpoint configured
    return writer


def running(key: RunKey) -> Batch | None:
    """This session's batch for this run while it is still running."""
    batch: Batch | None = st.session_state.get(_RUNNING)
    return batch if batch is not None and batch.key == key else None


def personas_for(key: RunKey, context: RunContext) -> LLMPersonas:
    """The LLM's personas of this run if this session asked for them, else the rule-based ones."""
    _collect()
    asked: LLMPersonas | None = st.session_state.get(_ASKED, {}).get(key)
    return asked or LLMPersonas(
        label=RULE_BASED,
        note=None,
        asked=RULE_BASED,
        endpoint=None,
        personas=rule_personas(key, context),
        id="rules",
    )


def _start(context: RunContext, settings: LLMSettings, key: RunKey, *, fresh: bool) -> None:
    writer = _writer(settings, fresh=fresh)
    future: Future[list[Persona]] = Future()
    batch = Batch(
        key=key,
        model=writer.label,
        endpoint=writer.endpoint,
        requests=writer.requests_to_send(context),
        described=sum(not s.coarse for s in context.segments),
        future=future,
    )
    # Called from the writer's request threads: a dict item set is atomic; no Streamlit here.
    writer.on_persona = lambda persona: batch.arrived.__setitem__(persona.segment_id, persona)

    def run() -> None:
        try:
            future.set_result(writer.write(context))
        except BaseException as error:  # shown by _collect, never lost in the thread
            future.set_exception(error)

    threading.Thread(target=run, daemon=True, name="llm-batch").start()
    st.session_state[_RUNNING] = batch


def _collect() -> None:
    """File a finished batch's personas under its run (a failed one is said, then dropped)."""
    batch: Batch | None = st.session_state.get(_RUNNING)
    if batch is None or not batch.future.done():
        return
    del st.session_state[_RUNNING]
    if (error := batch.future.exception()) is not None:
        st.error(
            plain_markdown(f"Asking {batch.model} failed: {error}. Personas stay as they were.")
        )
        return
    personas = batch.future.result()
    credit = authorship(personas, model=batch.model, endpoint=batch.endpoint)
    st.session_state.setdefault(_ASKED, {})[batch.key] = LLMPersonas(
        label=credit.label,
        note=credit.note,
        asked=batch.model,
        endpoint=batch.endpoint,
        personas=personas,
        id=uuid.uuid4().hex,
        requests=batch.requests,
    )


def llm_controls(context: RunContext, settings: LLMSettings, key: RunKey) -> None:
    """Regenerate with the LLM, go back to rule-based personas, or show what would be sent.

    Drawn after `personas_for`, which files a finished batch's personas.
    """
    asked: LLMPersonas | None = st.session_state.get(_ASKED, {}).get(key)
    busy = st.session_state.get(_RUNNING) is not None  # any run's batch: one at a time
    fresh = bool(st.session_state.get("llm_fresh"))
    sends = _writer(settings, fresh=fresh).requests_to_send(context) if settings.enabled else 0
    described = sum(not s.coarse for s in context.segments)
    with st.container(horizontal=True, vertical_alignment="center"):
        regenerate = st.button(
            f"Regenerate personas with {settings.model}",
            key="regenerate",
            type="primary",
            disabled=busy or not settings.enabled,
            help=_regenerate_help(settings, busy=busy),
        )
        # Only when the model wrote some of the personas shown: else they are rule-based.
        written = asked is not None and asked.label != RULE_BASED
        back = written and not busy and st.button("Back to rule-based personas", key="use_rules")
        show = st.toggle("Show the outgoing LLM payload", key="show_payload")
    if settings.enabled and not busy:
        st.caption(requests_sentence(sends, described))
        if sends < described or fresh:  # something is cached: offer to ask afresh
            st.checkbox("Ask afresh (ignore the answers this server already gave)", key="llm_fresh")
    if show:
        st.caption(
            "Exactly what would be sent: one request per segment large enough to describe, "
            "aggregates only. The API key is never part of it."
        )
        st.json(outgoing_requests(context, settings=settings, shelf=shelf()), expanded=1)
    if back:
        del st.session_state[_ASKED][key]
        st.rerun()
    if regenerate and not busy:
        _start(context, settings, key, fresh=fresh)
        st.rerun()  # redraw with Regenerate disabled and the cards waiting for answers


def _regenerate_help(settings: LLMSettings, *, busy: bool) -> str:
    if busy:
        return "A batch of requests is running: wait for it to end."
    if settings.enabled:
        return "Sends one request per segment not already answered: see the payload first."
    return "Needs an LLM endpoint: enter a key in the sidebar, or set OPENAI_BASE_URL."


def usage(shown: LLMPersonas, price: Price | None) -> str | None:
    """Requests, tokens and estimated cost of the shown LLM personas; None for rule-based."""
    if shown.asked == RULE_BASED:
        return None
    tokens_in, tokens_out = shown.tokens
    return usage_sentence(
        model=shown.asked,
        requests=shown.requests,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        price=price,
    )
