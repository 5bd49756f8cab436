"""The writer against servers that behave as local and older ones do, through the real client:
refused options, JSON in fenced blocks, one request at a time, and a second ask."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from narratives.cache import AnswerCache
from narratives.context import RunContext, SegmentContext, build_context
from narratives.llm import OpenAIWriter
from narratives.personas import Persona
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from testkit.llm_server import FakeLLM, Reply, answer, bad_request, segment_of
from testkit.narratives_fixtures import persona_answer, run_profile

ASKED = (0, 1, 2, 3)  # segment 4 is too small to send


@pytest.fixture(scope="module")
def run() -> RunContext:
    return build_context(run_profile())


@pytest.fixture
def clients() -> Iterator[list[OpenAI]]:
    made: list[OpenAI] = []
    yield made
    for client in made:
        client.close()


def writer(server: FakeLLM, shelf: Shelf, clients: list[OpenAI], **options: Any) -> OpenAIWriter:
    clients.append(OpenAI(api_key="sk-test-servers-0123456789", base_url=server.base_url))
    return OpenAIWriter(
        clients[-1], model="local-model", fallback=RuleBasedWriter(shelf), **options
    )


def persona_json(segment: SegmentContext, shelf: Shelf) -> dict[str, Any]:
    return persona_answer(segment, shelf, summary=f"Segment {segment.id} in the model's words")


def answers(server: FakeLLM, run: RunContext, shelf: Shelf, *, fenced: bool = False) -> None:
    for sid in ASKED:
        content = json.dumps(persona_json(run.segments[sid], shelf), indent=1)
        if fenced:  # as small local models write it, whatever format was asked
            content = f"Here is the persona:\n```json\n{content}\n```\nHope this helps."
        server.queue(sid, answer(content))


def all_by_the_model(personas: list[Persona]) -> bool:
    asked = [p for p in personas if p.segment_id in ASKED]
    return len(asked) == 4 and all(p.source == "llm" for p in asked)


def test_a_server_refusing_json_schema_is_asked_for_a_json_object(
    server: FakeLLM, run: RunContext, shelf: Shelf, clients: list[OpenAI]
) -> None:
    server.rule = no_json_schema
    answers(server, run, shelf)
    personas = writer(server, shelf, clients).write(run)
    assert all_by_the_model(personas)
    formats = [r["body"].get("response_format", {}).get("type") for r in server.requests]
    # One refusal, learned for the rest of the run: every later request asks for json_object.
    assert formats.count("json_schema") <= 4
    assert formats[-1] == "json_object"
    asked = [r["body"] for r in server.requests if r["body"].get("response_format")]
    assert "following this JSON schema" in asked[-1]["messages"][-1]["content"]


def test_json_in_a_fenced_block_is_read(
    server: FakeLLM, run: RunContext, shelf: Shelf, clients: list[OpenAI]
) -> None:
    answers(server, run, shelf, fenced=True)
    personas = writer(server, shelf, clients).write(run)
    assert all_by_the_model(personas)
    assert len(server.requests) == 4


def test_a_refused_sampling_parameter_is_left_out(
    server: FakeLLM, run: RunContext, shelf: Shelf, clients: list[OpenAI]
) -> None:
    server.rule = no_temperature  # as reasoning models answer a request that sets temperature
    answers(server, run, shelf)
    personas = writer(server, shelf, clients).write(run)
    assert all_by_the_model(personas)
    assert "temperature" not in server.requests[-1]["body"]
    assert server.requests[-1]["body"]["response_format"]["type"] == "json_schema"


def test_a_cpu_server_answering_one_at_a_time_writes_every_persona(
    server: FakeLLM, run: RunContext, shelf: Shelf, tmp_path: Path
) -> None:
    # 8 s an answer, one at a time, 4 segments, a 90 s budget, set as a user would: a fixed 20 s
    # per request and every segment asked at once would time the last ones out.
    server.serial = True
    for sid in ASKED:
        reply = answer(persona_json(run.segments[sid], shelf))
        server.queue(sid, Reply(reply.status, reply.body, reply.headers, delay=8.0))
    env = {
        "OPENAI_BASE_URL": server.base_url,
        "SEGMENTER_LLM_MODEL": "qwen2.5:7b",
        "SEGMENTER_LLM_CONCURRENCY": "1",
        "SEGMENTER_LLM_BUDGET_SECONDS": "90",
    }
    started = time.monotonic()
    stdout, brief = brief_from(env, tmp_path)
    assert stdout.startswith("Narratives: qwen2.5:7b\n")
    assert "rule-based persona" not in stdout
    assert "Narratives: qwen2.5:7b" in brief
    assert server.max_in_flight == 1
    assert len(server.requests) == 4
    assert 32 <= time.monotonic() - started < 60


def test_one_at_a_time_a_slow_answer_and_the_time_fast_ones_leave_all_fit(
    server: FakeLLM, run: RunContext, shelf: Shelf, clients: list[OpenAI]
) -> None:
    # Answers of 12, 5, 5 and 5 s, one at a time, in a 40 s budget (27 s of work): an equal
    # 10 s slot each cut the first answer short, and the client's retries of it then held the
    # only place until the others ran out of time.
    server.serial = True
    for sid, took in zip(ASKED, (12.0, 5.0, 5.0, 5.0), strict=True):
        reply = answer(persona_json(run.segments[sid], shelf))
        server.queue(sid, Reply(reply.status, reply.body, reply.headers, delay=took))
    started = time.monotonic()
    personas = writer(server, shelf, clients, budget_s=40.0, concurrency=1).write(run)
    assert all_by_the_model(personas)
    assert len(server.requests) == 4  # nothing cut short, nothing asked twice
    assert server.max_in_flight == 1
    assert 27 <= time.monotonic() - started < 40


def test_a_product_outside_the_fit_is_asked_once_more_with_the_reason(
    server: FakeLLM, run: RunContext, shelf: Shelf, clients: list[OpenAI]
) -> None:
    segment = run.segments[1]
    fitting = {m.product.id for m in shelf.match(segment, limit=3)}
    outside = next(p for p in shelf.ids if p not in fitting)
    wrong = persona_json(segment, shelf)
    wrong["products"] = [{"product": outside, "rationale": "It sells well."}]
    answers(server, run, shelf)
    server.queue(1, answer(wrong), answer(persona_json(segment, shelf)))
    personas = {p.segment_id: p for p in writer(server, shelf, clients).write(run)}
    assert personas[1].source == "llm"
    second = [r["body"] for r in server.requests if segment_of(r["body"]) == 1][1]
    assert second["messages"][-2] == {"role": "assistant", "content": json.dumps(wrong)}
    assert second["messages"][-1]["content"].startswith(
        "That answer was not accepted: product 1 is on the shelf but its conditions do not "
        "hold here."
    )


def test_pressure_wording_is_refused(
    server: FakeLLM, run: RunContext, shelf: Shelf, clients: list[OpenAI]
) -> None:
    pushy = persona_json(run.segments[0], shelf)
    pushy["messages"] = ["Guaranteed approval: get cash today with no fees!"]
    answers(server, run, shelf)
    server.queue(0, answer(pushy))
    personas = {p.segment_id: p for p in writer(server, shelf, clients).write(run)}
    assert personas[0].source == "rule-based"
    assert personas[0].fallback_reason == (
        "messages[0] uses pressure wording the bank does not allow ('guaranteed approval') "
        "(asked twice)"
    )


def test_the_cache_tells_endpoints_apart(
    run: RunContext, shelf: Shelf, clients: list[OpenAI], tmp_path: Path
) -> None:
    from testkit.llm_server import running_server

    cache = AnswerCache(tmp_path)
    with running_server() as first, running_server() as second:
        answers(first, run, shelf)
        answers(second, run, shelf)
        writer(first, shelf, clients, cache=cache).write(run)
        writer(second, shelf, clients, cache=cache).write(run)
        # A model of the same name on another server is asked, not served from the cache.
        assert len(first.requests) == len(second.requests) == 4
        writer(second, shelf, clients, cache=cache).write(run)
        assert len(second.requests) == 4  # its own answers now come from the cache
    assert len(list(tmp_path.glob("*.json"))) == 8


def brief_from(env: dict[str, str], tmp_path: Path) -> tuple[str, str]:
    """`segmenter brief` with these settings: its output, and the brief it wrote.

    With an LLM, the command tells on stderr how each asked segment went, as it goes.
    """
    from testkit.narratives_fixtures import write_run_dir
    from testkit.segmenter_fixtures import run_cli

    run_dir = write_run_dir(tmp_path / "run")
    out = tmp_path / "brief.md"
    done = run_cli("brief", str(run_dir), "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    if "SEGMENTER_LLM" not in env:
        lines = [line for line in done.stderr.splitlines() if "] segment " in line]
        assert len(lines) == 4, done.stderr
    return done.stdout, out.read_text(encoding="utf-8")


def test_a_local_server_needs_no_key(
    server: FakeLLM, run: RunContext, shelf: Shelf, tmp_path: Path
) -> None:
    answers(server, run, shelf)
    env = {"OPENAI_BASE_URL": server.base_url, "SEGMENTER_LLM_MODEL": "llama3.1:8b"}
    stdout, brief = brief_from(env, tmp_path)
    assert stdout.startswith("Narratives: llama3.1:8b\n")
    assert "rule-based persona" not in stdout
    assert "Narratives: llama3.1:8b" in brief
    assert {r["headers"]["authorization"] for r in server.requests} == {"Bearer no-key"}


def test_azure_openai_deployments_with_an_api_key_header(
    server: FakeLLM, run: RunContext, shelf: Shelf, tmp_path: Path
) -> None:
    server.path = "/openai/deployments/cards-gpt/chat/completions"
    answers(server, run, shelf)
    env = {
        "AZURE_OPENAI_ENDPOINT": f"http://127.0.0.1:{server.port}",
        "AZURE_OPENAI_API_KEY": "azure-key-0123456789abcdef",
        "OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_DEPLOYMENT": "cards-gpt",
    }
    stdout, brief = brief_from(env, tmp_path)
    assert stdout.startswith("Narratives: cards-gpt\n")
    assert "rule-based persona" not in stdout
    assert "azure-key-0123456789abcdef" not in brief
    request = server.requests[0]
    assert request["path"] == (
        "/openai/deployments/cards-gpt/chat/completions?api-version=2024-10-21"
    )
    assert request["headers"]["api-key"] == "azure-key-0123456789abcdef"
    assert "authorization" not in {h.lower() for h in request["headers"]}


def test_the_llm_can_be_switched_off_and_azure_settings_must_be_whole(
    server: FakeLLM, tmp_path: Path
) -> None:
    off = {"OPENAI_BASE_URL": server.base_url, "SEGMENTER_LLM": "off"}
    stdout, _ = brief_from(off, tmp_path / "off")
    assert stdout.startswith("Narratives: rule-based\n")
    assert server.requests == []
    from narratives.config import settings_from_env
    from segmenter.errors import InputError

    with pytest.raises(
        InputError, match="AZURE_OPENAI_ENDPOINT is set, but not OPENAI_API_VERSION"
    ):
        settings_from_env({"AZURE_OPENAI_ENDPOINT": "https://x", "AZURE_OPENAI_API_KEY": "k",
                           "AZURE_OPENAI_DEPLOYMENT": "d"})  # fmt: skip


def test_the_brief_audit_counts_the_tokens_the_servers_report(
    server: FakeLLM, run: RunContext, shelf: Shelf, tmp_path: Path
) -> None:
    usage = {0: (1200, 310), 1: (1350, 280), 2: (990, 305), 3: (1010, 299)}
    for sid, (prompt, completion) in usage.items():
        reply = answer(persona_json(run.segments[sid], shelf))
        body = json.loads(reply.body)
        body["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        server.queue(sid, Reply(reply.status, json.dumps(body), reply.headers))
    env = {
        "OPENAI_BASE_URL": server.base_url,
        "SEGMENTER_LLM_MODEL": "local-model",
        "SEGMENTER_LLM_PRICE": "0.15/0.60",
    }
    _, brief = brief_from(env, tmp_path)
    # (4,550 x 0.15 + 1,194 x 0.60) / 1,000,000
    assert "- Estimated LLM cost: USD 0.0014 (at USD 0.15 in and 0.6 out per million" in brief
    assert "- LLM tokens: 4,550 in, 1,194 out (segment 0: 1,200 in, 310 out; " in brief
    assert "segment 3: 1,010 in, 299 out)" in brief
    from narratives.brief import Brief

    audit = Brief.model_validate_json((tmp_path / "brief.json").read_text("utf-8")).audit
    assert (audit.llm_tokens_in, audit.llm_tokens_out) == (4550, 1194)
    assert audit.llm_estimated_cost == pytest.approx(0.0013989)


def no_json_schema(body: dict[str, Any]) -> Reply | None:
    if body.get("response_format", {}).get("type") == "json_schema":
        return bad_request("response_format json_schema is not supported", param="response_format")
    return None


def no_temperature(body: dict[str, Any]) -> Reply | None:
    if "temperature" in body:
        return bad_request("Unsupported parameter: 'temperature'", param="temperature")
    return None


@pytest.mark.parametrize(
    ("rule", "fenced"),
    [
        pytest.param(no_json_schema, False, id="no-json-schema"),
        pytest.param(None, True, id="fenced-json"),
        pytest.param(no_temperature, False, id="no-temperature"),
    ],
)
def test_the_brief_names_the_model_whatever_the_server_accepts(
    server: FakeLLM,
    run: RunContext,
    shelf: Shelf,
    tmp_path: Path,
    rule: Any,
    fenced: bool,
) -> None:
    server.rule = rule
    answers(server, run, shelf, fenced=fenced)
    env = {"OPENAI_BASE_URL": server.base_url, "SEGMENTER_LLM_MODEL": "local-model"}
    stdout, brief = brief_from(env, tmp_path)
    assert stdout.startswith("Narratives: local-model\n")
    assert "rule-based persona" not in stdout
    assert "Narratives: local-model" in brief
