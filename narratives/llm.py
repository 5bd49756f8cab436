"""The OpenAI-compatible writer: structured personas, checked, falling back per segment to rules."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from functools import partial
from typing import Any, TypeVar

import openai
from openai import OpenAI
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from pydantic import ValidationError

from narratives.cache import AnswerCache, request_key
from narratives.checks import AnswerRejected, check_answer
from narratives.context import RunContext, SegmentContext
from narratives.personas import Persona, PersonaDraft, ProductPick, draft_schema
from narratives.rules import RuleBasedWriter, recommendation
from narratives.shelf import ProductMatch
from narratives.sources import sources_of
from narratives.templates import render

__all__ = ["PERSONA_TEMPLATE", "SYSTEM_TEMPLATE", "OpenAIWriter", "describe", "make_client"]

log = logging.getLogger(__name__)
SYSTEM_TEMPLATE = "system.j2"
PERSONA_TEMPLATE = "persona.j2"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
T = TypeVar("T")


def make_client(*, api_key: str, base_url: str | None, timeout: float, max_retries: int) -> OpenAI:
    """The one place a client is built; every value explicit, so the client reads no environment."""
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


def _schema_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "answer"
    return f"the answer does not fit the persona schema ({where}: {first['msg']})"


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


class OpenAIWriter:
    """Personas from an OpenAI-compatible chat-completions server, segments asked concurrently."""

    def __init__(
        self,
        client: OpenAI,
        *,
        model: str,
        fallback: RuleBasedWriter,
        budget_s: float = 60.0,
        request_timeout_s: float = 20.0,
        max_retries: int = 2,
        seed: int = 0,
        cache: AnswerCache | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.fallback = fallback
        self.budget_s = budget_s
        self.request_timeout_s = request_timeout_s
        self.max_retries = max_retries
        self.seed = seed
        self.cache = cache

    @property
    def label(self) -> str:
        return self.model

    @property
    def endpoint(self) -> str | None:
        """The server's host, to say where personas were asked (never the key)."""
        return self.client.base_url.host or None

    def write(self, context: RunContext) -> list[Persona]:
        """One persona per segment; whatever is not answered and checked in time is rule-based."""
        deadline = time.monotonic() + self.budget_s
        personas: dict[int, Persona] = {}
        asked: dict[int, Future[Persona]] = {}
        for segment in context.segments:
            if segment.coarse:  # too small or noise: never sent out, described by rules
                reason = "not sent to the LLM: " + (
                    "customers left unassigned" if segment.is_noise else "too small to describe"
                )
                personas[segment.id] = self.fallback.persona(segment, context, reason=reason)
            else:
                asked[segment.id] = _in_thread(partial(self._persona, segment, context, deadline))
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

    def request(self, segment: SegmentContext, context: RunContext) -> dict[str, Any]:
        """The chat-completions payload for one segment (aggregates only: no ids, no rows)."""
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
                    "schema": draft_schema(shelf.ids),
                },
            },
            "temperature": 0,
            "seed": self.seed,
        }

    def _matches(self, segment: SegmentContext) -> tuple[ProductMatch, ...]:
        return self.fallback.shelf.match(segment, limit=self.fallback.max_products)

    def _attempt_timeout(self, remaining: float) -> float:
        # The client retries with pauses of 0.5·2^n s (at most 8 s): every attempt and pause
        # must fit in what is left of the budget.
        pauses = sum(min(0.5 * 2**n, 8.0) for n in range(self.max_retries))
        return min(self.request_timeout_s, (remaining - pauses) / (self.max_retries + 1))

    def _answer(
        self, payload: dict[str, Any], key: str, deadline: float
    ) -> tuple[str | None, bool]:
        cached = self.cache.get(key) if self.cache else None
        if cached is not None:
            return cached, True
        timeout = self._attempt_timeout(deadline - time.monotonic())
        if timeout <= 0.1:
            raise TimeoutError
        client = self.client.with_options(timeout=timeout, max_retries=self.max_retries)
        try:
            completion = client.chat.completions.create(**payload)
        except json.JSONDecodeError:  # status 200 with a body that claims JSON but is not
            raise AnswerRejected("the LLM server's answer is not JSON") from None
        # The client returns a bare str for a non-JSON body, and an unvalidated object for JSON
        # of another shape: check what came back before reading a message from it.
        choices = getattr(completion, "choices", None)
        first = choices[0] if isinstance(choices, list) and choices else None
        message = getattr(first, "message", None)
        if not isinstance(completion, ChatCompletion) or not isinstance(
            message, ChatCompletionMessage
        ):
            raise AnswerRejected("the LLM server's answer is not a chat completion")
        if message.refusal:
            raise AnswerRejected("the model refused to write this persona")
        return message.content, False

    def _persona(self, segment: SegmentContext, context: RunContext, deadline: float) -> Persona:
        payload = self.request(segment, context)
        key = request_key(payload)
        matches = self._matches(segment)
        try:
            content, cached = self._answer(payload, key, deadline)
            draft = check_answer(
                content,
                segment=segment,
                context=context,
                shelf=self.fallback.shelf,
                matches=matches,
            )
        except openai.OpenAIError as error:
            reason = describe(error)
        except ValidationError as error:
            reason = _schema_problem(error)
        except AnswerRejected as error:
            reason = str(error)
        except TimeoutError:
            reason = "the time budget ran out before this segment could be asked"
        else:
            if self.cache and not cached and content:
                self.cache.put(key, model=self.model, content=content)
            return self._from_draft(draft, segment, context, matches)
        log.warning("segment %d: %s; using the rule-based persona", segment.id, reason)
        return self.fallback.persona(segment, context, reason=reason)

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

        return Persona(
            segment_id=segment.id,
            persona_name=segment.title,  # the vocabulary's, as for rule-based personas
            summary=draft.summary.strip(),
            traits=tuple(draft.traits),
            needs=tuple(draft.needs),
            products=tuple(recommendation(by_id[p.product], rationale=rationale(p)) for p in picks),
            channels=tuple(draft.channels),
            messages=tuple(draft.messages),
            source="llm",
            sources=tuple(sources_of(segment, context, matches)),
        )
