"""The OpenAI writer against a real local HTTP server, driven by the real `openai` client."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from openai import OpenAI

from narratives.brief import write_brief
from narratives.cache import AnswerCache
from narratives.context import RunContext, SegmentContext, build_context
from narratives.llm import OpenAIWriter
from narratives.personas import Persona
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from testkit.llm_server import FakeLLM, Reply, answer, error, hang, segment_of
from testkit.narratives_fixtures import persona_answer, run_profile, write_run_dir

SECRET = "sk-test-NEVER-WRITE-ME-0123456789"
ASKED = (0, 1, 2, 3)  # segment 4 has 38 customers: never sent to the LLM
MakeWriter = Callable[..., OpenAIWriter]


# Named like pytest-playwright's browser `context`: defined here, never in conftest.
@pytest.fixture(scope="module")
def context() -> RunContext:
    return build_context(run_profile())


@pytest.fixture
def make_writer(shelf: Shelf) -> Iterator[MakeWriter]:
    clients: list[OpenAI] = []

    def make(
        base_url: str,
        *,
        budget_s: float = 12.0,  # two 5 s attempts and the pause between fit: one retry
        request_timeout_s: float = 5.0,
        max_retries: int = 1,
        cache: AnswerCache | None = None,
        http_client: httpx2.Client | None = None,
    ) -> OpenAIWriter:
        client = OpenAI(api_key=SECRET, base_url=base_url, http_client=http_client)
        clients.append(client)
        return OpenAIWriter(
            client,
            model="test-model",
            fallback=RuleBasedWriter(shelf),
            budget_s=budget_s,
            request_timeout_s=request_timeout_s,
            max_retries=max_retries,
            cache=cache,
        )

    yield make
    for client in clients:
        client.close()


def good(segment: SegmentContext, shelf: Shelf) -> dict[str, Any]:
    """An answer that passes every check, citing the segment's own strongest figure."""
    return persona_answer(
        shelf=shelf, segment=segment, summary=f"Kestrel words for segment {segment.id}"
    )


def queue_good(server: FakeLLM, context: RunContext, shelf: Shelf, *, delay: float = 0.0) -> None:
    for segment_id in ASKED:
        reply = answer(good(context.segments[segment_id], shelf))
        server.queue(segment_id, Reply(reply.status, reply.body, reply.headers, delay))


def by_id(personas: list[Persona]) -> dict[int, Persona]:
    return {p.segment_id: p for p in personas}


def test_good_answers_are_used(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter
) -> None:
    queue_good(server, context, shelf)
    personas = by_id(make_writer(server.base_url).write(context))
    assert [personas[i].source for i in ASKED] == ["llm"] * 4
    assert "Kestrel words for segment 1" in personas[1].summary
    assert personas[1].persona_name == "The Stretched Borrower"  # the vocabulary's title
    assert [r.product_id for r in personas[1].products] == [
        "financial-coaching",
        "emergency-fund-account",
    ]
    assert personas[1].products[0].evidence  # the shelf's statistic stays attached
    assert personas[4].source == "rule-based"
    assert sorted(segment_of(r["body"]) for r in server.requests) == list(ASKED)


def test_request_is_structured_deterministic_and_bounded(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter
) -> None:
    queue_good(server, context, shelf)
    make_writer(server.base_url).write(context)
    body = server.requests[0]["body"]
    assert (body["model"], body["temperature"], body["seed"]) == ("test-model", 0, 0)
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True
    enum = schema["schema"]["$defs"]["ProductPick"]["properties"]["product"]["enum"]
    # Only the products whose conditions hold for this segment are offered.
    segment = context.segments[segment_of(body)]
    assert enum == [m.product.id for m in shelf.match(segment, limit=3)]
    assert set(enum) < set(shelf.ids)
    assert 0 < float(server.requests[0]["headers"]["x-stainless-read-timeout"]) <= 5


def bad_for_segment_1(context: RunContext, shelf: Shelf) -> dict[str, Reply]:
    good_1 = good(context.segments[1], shelf)
    return {
        "http-500": error(500, retry_after_ms=10),
        "http-429": error(429, retry_after_ms=10),
        "malformed-json": answer('{"summary": "Kestrel", "traits": '),
        "wrong-shape": answer({"persona": "Kestrel", "products": []}),
        "off-shelf": answer(
            {**good_1, "products": [{"product": "crypto-wallet", "rationale": "Trendy."}]}
        ),
        "unsuitable": answer(
            {**good_1, "products": [{"product": "premium-advisory", "rationale": "Rich."}]}
        ),
        "invented-number": answer({**good_1, "summary": "87% of them would switch banks."}),
    }


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        pytest.param("http-500", "HTTP 500", id="http-500"),
        pytest.param("http-429", "HTTP 429", id="http-429"),
        pytest.param("malformed-json", "does not fit the persona schema", id="malformed-json"),
        pytest.param("wrong-shape", "does not fit the persona schema", id="wrong-shape"),
        pytest.param("off-shelf", "product 1 is not on the shelf", id="off-shelf"),
        pytest.param("unsuitable", "conditions do not hold", id="unsuitable"),
        pytest.param("invented-number", "number 1 in summary", id="invented-number"),
    ],
)
def test_failures_fall_back_per_segment_with_the_reason(
    server: FakeLLM,
    context: RunContext,
    shelf: Shelf,
    make_writer: MakeWriter,
    case: str,
    reason: str,
) -> None:
    queue_good(server, context, shelf)
    server.queue(1, bad_for_segment_1(context, shelf)[case])
    started = time.monotonic()
    personas = by_id(make_writer(server.base_url, budget_s=10).write(context))
    assert time.monotonic() - started < 5
    assert personas[1].source == "rule-based"
    assert personas[1].persona_name == "The Stretched Borrower"
    assert reason in (personas[1].fallback_reason or "")
    assert [personas[i].source for i in (0, 2, 3)] == ["llm"] * 3


@pytest.mark.parametrize("status", [429, 500])
def test_retryable_errors_are_retried_a_bounded_number_of_times(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter, status: int
) -> None:
    queue_good(server, context, shelf)
    server.queue(1, error(status, retry_after_ms=10))
    # Three 5 s attempts and the pauses between them fit in 20 s: two retries are allowed.
    make_writer(server.base_url, budget_s=20.0, max_retries=2).write(context)
    assert sum(segment_of(r["body"]) == 1 for r in server.requests) == 3


def test_a_retry_that_succeeds_is_used(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter
) -> None:
    queue_good(server, context, shelf)
    server.queue(1, error(429, retry_after_ms=10), answer(good(context.segments[1], shelf)))
    personas = by_id(make_writer(server.base_url).write(context))
    assert personas[1].source == "llm"


def test_a_slow_answer_times_out(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter
) -> None:
    queue_good(server, context, shelf)
    server.queue(1, hang(10))
    started = time.monotonic()
    writer = make_writer(server.base_url, request_timeout_s=0.5, max_retries=0)
    personas = by_id(writer.write(context))
    assert time.monotonic() - started < 3
    assert personas[1].fallback_reason == "the LLM server did not answer in time"


def test_a_hanging_server_holds_the_brief_no_longer_than_the_budget(
    server: FakeLLM, context: RunContext, make_writer: MakeWriter
) -> None:
    server.queue(None, hang(60))
    started = time.monotonic()
    writer = make_writer(server.base_url, budget_s=2.0, request_timeout_s=20.0, max_retries=2)
    personas = writer.write(context)
    assert time.monotonic() - started < 2.5
    assert all(p.source == "rule-based" for p in personas)
    assert all(re.search(r"in time|time budget", p.fallback_reason or "") for p in personas[:4])


def test_the_budget_ends_the_wait_even_when_a_call_ignores_its_timeout(
    context: RunContext, make_writer: MakeWriter
) -> None:
    def stuck(request: httpx2.Request) -> httpx2.Response:
        time.sleep(3)  # a transport that never honours timeouts
        return httpx2.Response(500)

    transport = httpx2.Client(transport=httpx2.MockTransport(stuck))
    writer = make_writer(
        "http://127.0.0.1:9/v1", budget_s=0.5, max_retries=0, http_client=transport
    )
    started = time.monotonic()
    personas = writer.write(context)
    assert time.monotonic() - started < 1.5
    assert personas[0].fallback_reason == "no answer within the 0.5 s time budget"


def test_connection_refused_falls_back(context: RunContext, make_writer: MakeWriter) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    writer = make_writer(f"http://127.0.0.1:{port}/v1", max_retries=0)
    personas = writer.write(context)
    assert personas[0].fallback_reason == "could not connect to the LLM server"


def test_segments_are_requested_concurrently(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter
) -> None:
    queue_good(server, context, shelf, delay=0.4)
    started = time.monotonic()
    personas = make_writer(server.base_url).write(context)
    assert time.monotonic() - started < 4 * 0.4
    assert server.max_in_flight >= 2
    assert sum(p.source == "llm" for p in personas) == 4


def test_answers_are_cached_on_disk(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter, tmp_path: Path
) -> None:
    cache = AnswerCache(tmp_path / "cache")
    queue_good(server, context, shelf)
    make_writer(server.base_url, cache=cache).write(context)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 4
    server.queue(None, error(500))
    for segment_id in ASKED:
        server.queue(segment_id, error(500))
    asked_before = len(server.requests)
    personas = make_writer(server.base_url, cache=cache).write(context)
    assert len(server.requests) == asked_before  # every answer came from the cache
    assert sum(p.source == "llm" for p in personas) == 4


def test_the_requests_a_write_would_send_are_counted_before_it_sends_them(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter, tmp_path: Path
) -> None:
    cache = AnswerCache(tmp_path / "cache")
    writer = make_writer(server.base_url, cache=cache)
    described = sum(not s.coarse for s in context.segments)
    assert writer.requests_to_send(context) == described
    assert server.requests == []  # counting sends nothing
    queue_good(server, context, shelf)
    writer.write(context)
    assert (writer.requests_to_send(context), len(server.requests)) == (0, described)
    # Asked afresh: every segment is sent again, and the new answers replace the old.
    writer.reuse = False
    assert writer.requests_to_send(context) == described
    queue_good(server, context, shelf)
    writer.write(context)
    assert len(server.requests) == 2 * described


def test_brief_from_the_llm_carries_its_words_and_leaks_nothing(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter, tmp_path: Path
) -> None:
    queue_good(server, context, shelf)
    server.queue(2, error(500, retry_after_ms=10))
    run_dir = write_run_dir(tmp_path / "run")
    out = tmp_path / "out" / "brief.md"
    writer = make_writer(server.base_url, cache=AnswerCache(out.parent / "llm-cache"))
    write_brief(run_dir, out, writer=writer, shelf=shelf)

    text = out.read_text(encoding="utf-8")
    assert "Narratives: test-model (3 segments written by the model; 1 fell back" in text
    assert "Kestrel words for segment 1" in text
    assert "Rule-based persona: the LLM server answered HTTP 500." in text

    # The prompts hold aggregates only: no customer id, no row of assignments.
    assert server.requests
    for request in server.requests:
        raw = request["raw"].decode("utf-8")
        assert not re.search(r"C1\d{4}", raw)
        assert "customer_id" not in raw
    # The key goes in the Authorization header and nowhere else.
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"
    written = [p for p in out.parent.rglob("*") if p.is_file()]
    assert any(p.parent.name == "llm-cache" for p in written)
    for path in written:
        assert SECRET not in path.read_text(encoding="utf-8"), path


def test_the_bank_policy_holds_for_llm_personas_of_a_strained_segment(
    server: FakeLLM, context: RunContext, shelf: Shelf, make_writer: MakeWriter
) -> None:
    """The model leads with the loan and frames nothing: the persona still puts help first and
    frames the credit product with the shelf's affordability line."""
    strained = context.segments[1]
    assert strained.strain
    matches = [m.product for m in shelf.match(strained)]
    assert [p.credit for p in matches] == [False, False, True]  # help first, credit last
    reply = good(strained, shelf)
    reply["products"] = [
        {"product": p.id, "rationale": "A good fit for these customers."} for p in reversed(matches)
    ]
    server.queue(None, answer(reply))
    persona = by_id(make_writer(server.base_url).write(context))[1]
    assert persona.source == "llm"
    assert [p.product_id for p in persona.products] == [p.id for p in matches]
    assert [p.rationale for p in persona.products] == [
        "A good fit for these customers.",
        "A good fit for these customers.",
        f"{shelf.affordability} A good fit for these customers.",
    ]
