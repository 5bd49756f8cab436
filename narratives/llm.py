"""The OpenAI-compatible writer: structured personas, checked, falling back per segment to rules."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from functools import partial
from typing import Any, TypeVar

import openai
from openai import AzureOpenAI, OpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessage

from narratives.cache import AnswerCache, request_key
from narratives.checks import AnswerRejected, check_answer
from narratives.context import RunContext, SegmentContext
from narratives.negotiate import NEGOTIABLE, Accepts, json_text
from narratives.personas import Persona, PersonaDraft, ProductPick, draft_schema
from narratives.rules import RuleBasedWriter, recommendation
from narratives.shelf import ProductMatch
from narratives.sources import sources_of
from narratives.templates import render
from narratives.windows import Schedule, attempts

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "PERSONA_TEMPLATE",
    "SYSTEM_TEMPLATE",
    "OpenAIWriter",
    "describe",
    "make_client",
]

log = logging.getLogger(__name__)
SYSTEM_TEMPLATE = "system.j2"
PERSONA_TEMPLATE = "persona.j2"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_CONCURRENCY = 4  # hosted APIs answer many at once; a CPU-only local server wants 1
MAX_ECHO = 20_000  # a refused answer longer than this is garbage: not worth sending back
T = TypeVar("T")


def make_client(
    *,
    api_key: str,
    base_url: str | None,
    timeout: float,
    max_retries: int,
    azure_endpoint: str | None = None,
    api_version: str | None = None,
) -> OpenAI:
    """The one place a client is built; every value explicit, so the client reads no environment.

    With `azure_endpoint`, the `openai` package's Azure client: deployments' paths, the
    api-version query and the `api-key` header; the model name is the deployment's.
    """
    if azure_endpoint:
        return AzureOpenAI(
            api_key=api_key,
            azure_endpoint=azure_endpoint,
            api_version=api_version,
            timeout=timeout,
            max_retries=max_retries,
        )
    return OpenAI(
        api_key=api_key,
        base_url=base_url or DEFAULT_BASE_URL,
        timeout=timeout,
        max_retries=max_retries,
    )


def describe(error: openai.OpenAIError) -> str:
    """Why a call failed, for the brief (never the server's own text: it may echo a key)."""
    if isinstance(error, openai.APITimeoutError):
        return "the LLM server did not answer in time"
    if isinstance(error, openai.APIConnectionError):
        return "could not connect to the LLM server"
    if isinstance(error, openai.RateLimitError):
        return "the LLM server kept refusing with HTTP 429 (rate limit)"
    if isinstance(error, openai.APIStatusError):
        return f"the LLM server answered HTTP {error.status_code}"
    return f"the LLM call failed ({type(error).__name__})"


def _in_thread(function: Callable[[], T]) -> Future[T]:
    # Daemon threads: a request still hanging when the budget ends must not hold the process.
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(function())
        except BaseException as error:  # handed to the caller, which re-raises it
            future.set_exception(error)

    threading.Thread(target=run, daemon=True).start()
    return future


def _schema(fitting: tuple[str, ...]) -> dict[str, Any]:
    """The persona schema offering only the fitting products; none when none fit."""
    if fitting:
        return draft_schema(fitting)
    schema = draft_schema(("none",))
    schema["properties"]["products"]["maxItems"] = 0
    return schema


def _ask_again(payload: dict[str, Any], content: str, reason: str) -> dict[str, Any]:
    """The conversation so far, and the reason its answer was not accepted."""
    retry = (
        f"That answer was not accepted: {reason}. Write the persona again as JSON, keeping "
        "every rule above, and fix this."
    )
    messages = [
        *payload["messages"],
        {"role": "assistant", "content": content},
        {"role": "user", "content": retry},
    ]
    return {**payload, "messages": messages}


class OpenAIWriter:
    """Personas from an OpenAI-compatible chat-completions server, segments asked concurrently."""

    def __init__(
        self,
        client: OpenAI,
        *,
        model: str,
        fallback: RuleBasedWriter,
        budget_s: float = 60.0,
        request_timeout_s: float | None = None,
        max_retries: int = 2,
        seed: int = 0,
        cache: AnswerCache | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        reuse: bool = True,
    ) -> None:
        self.client = client
        self.model = model
        self.fallback = fallback
        self.budget_s = budget_s
        self.request_timeout_s = request_timeout_s  # a cap on each attempt; None: from the window
        self.max_retries = max_retries
        self.seed = seed
        self.cache = cache
        self.reuse = reuse  # False: ask afresh, storing the new answers over the cached ones
        self.concurrency = max(1, concurrency)
        self.accepts = Accepts()  # what this endpoint and model take, learned as the run goes
        # Told about each persona as its answer is checked (from the request's thread): the
        # command line prints a line per segment, the app fills the segment's card.
        self.on_persona: Callable[[Persona], None] | None = None
        self._slots = threading.Semaphore(self.concurrency)

    @property
    def label(self) -> str:
        return self.model

    @property
    def endpoint(self) -> str | None:
        """The server's host, to say where personas were asked (never the key)."""
        return self.client.base_url.host or None

    def write(self, context: RunContext) -> list[Persona]:
        """One persona per segment; whatever is not answered and checked in time is rule-based.

        At most `concurrency` requests are in flight; each segment gets a window of the budget
        as it starts (narratives.windows): what is left over the rounds still needed.
        """
        deadline = time.monotonic() + self.budget_s
        personas: dict[int, Persona] = {}
        asked: dict[int, Future[Persona]] = {}
        described = [s for s in context.segments if not s.coarse]
        schedule = Schedule(deadline, segments=len(described), concurrency=self.concurrency)
        for segment in context.segments:
            if segment.coarse:  # too small or noise: never sent out, described by rules
                reason = "not sent to the LLM: " + (
                    "customers left unassigned" if segment.is_noise else "too small to describe"
                )
                personas[segment.id] = self.fallback.persona(segment, context, reason=reason)
            else:
                ask = partial(self._in_slot, segment, context, schedule)
                asked[segment.id] = _in_thread(ask)
        wait(asked.values(), timeout=max(0.0, deadline - time.monotonic()))
        for segment in context.segments:
            future = asked.get(segment.id)
            if future is not None and future.done():
                personas[segment.id] = future.result()
            elif future is not None:
                reason = f"no answer within the {self.budget_s:g} s time budget"
                log.warning("segment %d: %s; using the rule-based persona", segment.id, reason)
                personas[segment.id] = self.fallback.persona(segment, context, reason=reason)
        return [personas[s.id] for s in context.segments]

    def requests_to_send(self, context: RunContext) -> int:
        """How many segments `write` would ask the server about: the described segments whose
        accepted answer is not already in the cache (or all of them, asking afresh)."""
        return sum(
            1
            for segment in context.segments
            if not segment.coarse
            and self._cached(self._key(self.request(segment, context))) is None
        )

    def _key(self, payload: dict[str, Any]) -> str:
        # The endpoint is part of the key: two servers serving a model of one name differ.
        return request_key({**payload, "endpoint": str(self.client.base_url)})

    def _cached(self, key: str) -> str | None:
        return self.cache.get(key) if self.cache is not None and self.reuse else None

    def _in_slot(self, segment: SegmentContext, context: RunContext, schedule: Schedule) -> Persona:
        with self._slots:  # waits for a free place; the budget's deadline still holds
            persona = self._persona(segment, context, schedule.start())
        if self.on_persona is not None and time.monotonic() < schedule.deadline:
            self.on_persona(persona)
        return persona

    def request(self, segment: SegmentContext, context: RunContext) -> dict[str, Any]:
        """The chat-completions payload for one segment (aggregates only: no ids, no rows).

        The schema offers only the products whose conditions hold for this segment.
        """
        matches = self._matches(segment)
        shelf = self.fallback.shelf
        variables = {"s": segment, "run": context, "matches": matches, "shelf": shelf}
        return {
            "model": self.model,
            "messages": [
                {"role": "system", "content": render(SYSTEM_TEMPLATE, **variables)},
                {"role": "user", "content": render(PERSONA_TEMPLATE, **variables)},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "persona",
                    "strict": True,
                    "schema": _schema(tuple(m.product.id for m in matches)),
                },
            },
            "temperature": 0,
            "seed": self.seed,
        }

    def _matches(self, segment: SegmentContext) -> tuple[ProductMatch, ...]:
        return self.fallback.shelf.match(segment, limit=self.fallback.max_products)

    def _answer(
        self, payload: dict[str, Any], key: str, deadline: float, used: list[int]
    ) -> tuple[str | None, bool]:
        """The answer's text and whether it came from the cache; its tokens are added to used.

        Every request, its retries and their pauses end by `deadline`, the segment's window.
        """
        cached = self._cached(key)
        if cached is not None:
            return cached, True
        for _ in range(NEGOTIABLE + 1):  # each refusal steps down once, then it must work
            span = deadline - time.monotonic()
            plan = attempts(span, max_retries=self.max_retries, cap=self.request_timeout_s)
            if plan.timeout <= 0.1:
                raise TimeoutError
            client = self.client.with_options(timeout=plan.timeout, max_retries=plan.retries)
            sent = self.accepts.shape(payload)
            try:
                completion = client.chat.completions.create(**sent)
            except openai.BadRequestError as error:
                # A refused option: ask again without it (another segment may have learnt it).
                if self.accepts.learn(error, sent):
                    continue
                raise
            except json.JSONDecodeError:  # status 200 with a body that claims JSON but is not
                raise AnswerRejected("the LLM server's answer is not JSON") from None
            break
        else:
            raise AnswerRejected("the LLM server refused every form of the request")
        # The client returns a bare str for a non-JSON body, and an unvalidated object for JSON
        # of another shape: check what came back before reading a message from it.
        choices = getattr(completion, "choices", None)
        first = choices[0] if isinstance(choices, list) and choices else None
        message = getattr(first, "message", None)
        if not isinstance(completion, ChatCompletion) or not isinstance(
            message, ChatCompletionMessage
        ):
            raise AnswerRejected("the LLM server's answer is not a chat completion")
        if completion.usage is not None:
            used[0] += completion.usage.prompt_tokens or 0
            used[1] += completion.usage.completion_tokens or 0
        if message.refusal:
            raise AnswerRejected("the model refused to write this persona")
        return message.content, False

    def _persona(self, segment: SegmentContext, context: RunContext, deadline: float) -> Persona:
        payload = self.request(segment, context)
        key = self._key(payload)
        matches = self._matches(segment)
        reason, asked_again = "", False
        used = [0, 0]  # tokens in and out, over every answer for this segment
        while True:
            content: str | None = None
            cached = False
            try:
                content, cached = self._answer(payload, key, deadline, used)
                draft = self._checked(content, segment, context, matches)
            except openai.OpenAIError as error:
                reason = describe(error)
            except AnswerRejected as error:
                reason = str(error)  # positions, never the model's text (narratives.checks)
                if not asked_again and not cached and content and len(content) <= MAX_ECHO:
                    # Once more, with the check's exact reason, before falling back to rules.
                    payload = _ask_again(payload, content, reason)
                    asked_again = True
                    continue
            except TimeoutError:
                reason = "the time budget ran out before this segment could be asked"
            else:
                if self.cache and not cached and content:
                    self.cache.put(key, model=self.model, content=content)
                persona = self._from_draft(draft, segment, context, matches)
                return persona.model_copy(update={"tokens_in": used[0], "tokens_out": used[1]})
            break
        if asked_again:
            reason += " (asked twice)"
        log.warning("segment %d: %s; using the rule-based persona", segment.id, reason)
        fallback = self.fallback.persona(segment, context, reason=reason)
        return fallback.model_copy(update={"tokens_in": used[0], "tokens_out": used[1]})

    def _checked(
        self,
        content: str | None,
        segment: SegmentContext,
        context: RunContext,
        matches: tuple[ProductMatch, ...],
    ) -> PersonaDraft:
        return check_answer(
            json_text(content) if content else content,
            segment=segment,
            context=context,
            shelf=self.fallback.shelf,
            matches=matches,
            secrets=(self.client.api_key,),
        )

    def _from_draft(
        self,
        draft: PersonaDraft,
        segment: SegmentContext,
        context: RunContext,
        matches: tuple[ProductMatch, ...],
    ) -> Persona:
        by_id = {m.product.id: m for m in matches}
        picks = list(draft.products)
        affordability = self.fallback.shelf.affordability
        if segment.strain:  # the bank's policy, whatever the model wrote: help first, credit last
            order = [m.product.id for m in matches]
            picks.sort(key=lambda p: order.index(p.product))

        def rationale(pick: ProductPick) -> str:
            credit = segment.strain and by_id[pick.product].product.credit
            if credit and not pick.rationale.startswith(affordability):
                return f"{affordability} {pick.rationale}"
            return pick.rationale

        needs = list(draft.needs)
        if segment.strain:  # the vocabulary's help-first need leads, as in rule-based text
            needs.insert(0, segment.need_texts[0])
        return Persona(
            segment_id=segment.id,
            persona_name=segment.title,  # the vocabulary's, as for rule-based personas
            summary=draft.summary.strip(),
            traits=_once(draft.traits),
            needs=_once(needs),
            products=tuple(recommendation(by_id[p.product], rationale=rationale(p)) for p in picks),
            channels=_once(draft.channels),
            messages=_once(draft.messages),
            source="llm",
            sources=tuple(sources_of(segment, context, matches)),
        )


def _once(lines: Sequence[str]) -> tuple[str, ...]:
    """The lines in order, each said once (a model may repeat itself)."""
    return tuple(dict.fromkeys(line.strip() for line in lines if line.strip()))
