"""Golden files for every prompt and brief template; UPDATE_GOLDEN=1 rewrites them after review."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from narratives.brief import Audit, Brief, render_brief, write_brief
from narratives.context import build_context
from narratives.llm import OpenAIWriter
from narratives.pack import pack_html
from narratives.personas import Persona
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from narratives.templates import PROMPTS_DIR, environment, render
from testkit.narratives_fixtures import noisy_run, run_profile, write_run_dir
from testkit.pack_fixtures import IMAGES, pack_of

GOLDEN = Path(__file__).resolve().parent / "golden"
WHEN = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_every_template_has_a_golden_test() -> None:
    covered = {"system.j2", "persona.j2", "persona_rules.j2", "brief.md.j2", "brief.html.j2"}
    covered |= {"pack.html.j2"}
    shared = {"_badge.j2"}  # imported by both brief templates, covered through them
    assert {p.name for p in PROMPTS_DIR.glob("*.j2")} == covered | shared


def test_system_prompt(shelf: Shelf) -> None:
    assert_golden("system.txt", render("system.j2", shelf=shelf))


def test_persona_prompt(shelf: Shelf) -> None:
    context = build_context(run_profile())
    writer = OpenAIWriter(None, model="test-model", fallback=RuleBasedWriter(shelf))  # type: ignore[arg-type]
    payload = writer.request(context.segments[1], context)
    assert_golden("persona-segment-1.txt", payload["messages"][1]["content"])


def test_rule_based_personas(shelf: Shelf) -> None:
    run = noisy_run()
    personas = RuleBasedWriter(shelf).write(build_context(run_profile()))
    personas += RuleBasedWriter(shelf).write(build_context(run))[-1:]  # the noise "segment"
    dumped = [
        p.model_dump(mode="json", exclude={"products": {"__all__": {"evidence"}}}) for p in personas
    ]
    assert_golden(
        "personas-rule-based.json", json.dumps(dumped, indent=2, ensure_ascii=False) + "\n"
    )


def fixed_brief(tmp_path: Path, shelf: Shelf) -> Brief:
    """A brief with one LLM persona, one fallback and fixed time and hashes.

    The LLM persona keeps the vocabulary's title: the model writes no titles.
    """
    run_dir = write_run_dir(tmp_path / "run")
    brief = write_brief(
        run_dir, tmp_path / "out" / "brief.md", writer=RuleBasedWriter(shelf), shelf=shelf
    )
    sections = list(brief.sections)
    llm = sections[0].persona.model_copy(update={"source": "llm", "fallback_reason": None})
    fell_back = sections[1].persona.model_copy(
        update={"fallback_reason": "the LLM server answered HTTP 500"}
    )
    sections[0] = sections[0].model_copy(update={"persona": llm})
    sections[1] = sections[1].model_copy(update={"persona": fell_back})
    audit = Audit(
        profiles_sha256="1" * 64,
        assignments_sha256="2" * 64,
        segmentation_model_sha256=None,
        templates_sha256="3" * 64,
        shelf_sha256="4" * 64,
        narratives_model="test-model",
    )
    return brief.model_copy(
        update={
            "generated_at": WHEN,
            "generation_seconds": 1.5,
            "narratives": "test-model",
            "sections": tuple(sections),
            "audit": audit,
        }
    )


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_brief(tmp_path: Path, shelf: Shelf, suffix: str) -> None:
    assert_golden(f"brief{suffix}", render_brief(fixed_brief(tmp_path, shelf), suffix=suffix))


HOSTILE = '<script>alert("x")</script> <img src=x onerror=alert(1)> | pipe'


def hostile_brief(tmp_path: Path, shelf: Shelf) -> Brief:
    brief = fixed_brief(tmp_path, shelf)
    sections = list(brief.sections)
    persona: Persona = sections[0].persona.model_copy(
        update={"persona_name": HOSTILE, "summary": HOSTILE, "traits": (HOSTILE,)}
    )
    sections[0] = sections[0].model_copy(update={"persona": persona})
    return brief.model_copy(update={"sections": tuple(sections)})


def test_html_brief_escapes_llm_text_and_is_self_contained(tmp_path: Path, shelf: Shelf) -> None:
    html = render_brief(hostile_brief(tmp_path, shelf), suffix=".html")
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "http://" not in html
    assert "https://" not in html


def test_markdown_brief_neutralises_html_in_llm_text(tmp_path: Path, shelf: Shelf) -> None:
    markdown = render_brief(hostile_brief(tmp_path, shelf), suffix=".md")
    assert "<script" not in markdown
    assert "<img" not in markdown
    assert "\\| pipe" in markdown  # a pipe cannot break the overview table


NOTE = "3 of 4 personas written by m; the others are rule-based (![x](http://host/b.png) <img>)"


def noted_brief(tmp_path: Path, shelf: Shelf, *, note: str | None) -> Brief:
    """The fixed brief with a note on the LLM and tokens counted for its first persona."""
    brief = fixed_brief(tmp_path, shelf)
    sections = list(brief.sections)
    counted = sections[0].persona.model_copy(update={"tokens_in": 1200, "tokens_out": 310})
    sections[0] = sections[0].model_copy(update={"persona": counted})
    audit = brief.audit.model_copy(update={"llm_tokens_in": 1200, "llm_tokens_out": 310})
    update = {"narratives_note": note, "sections": tuple(sections), "audit": audit}
    return brief.model_copy(update=update)


@pytest.mark.parametrize("note", [NOTE, None], ids=["with-a-note", "without"])
def test_the_narratives_note_is_escaped_and_each_audit_item_keeps_its_line(
    tmp_path: Path, shelf: Shelf, note: str | None
) -> None:
    markdown = render_brief(noted_brief(tmp_path, shelf, note=note), suffix=".md")
    assert "![x](" not in markdown
    assert "<img" not in markdown
    model = "- Narratives model: test-model"
    said = f" ({environment().filters['md'](NOTE)})" if note else ""
    assert f"\n{model}{said}\n- LLM tokens: 1,200 in, 310 out (segment 0: " in markdown
    html = render_brief(noted_brief(tmp_path, shelf, note=note), suffix=".html")
    assert "<img" not in html
    assert ("&lt;img&gt;" in html) is (note is not None)


def test_campaign_pack(shelf: Shelf) -> None:
    assert_golden("pack.html", pack_html(pack_of(shelf, 1), images=IMAGES))


def test_a_segment_without_strain_is_given_the_banks_approved_lines(shelf: Shelf) -> None:
    context = build_context(run_profile())
    writer = OpenAIWriter(None, model="test-model", fallback=RuleBasedWriter(shelf))  # type: ignore[arg-type]
    calm = [s for s in context.segments if not s.strain and not s.coarse and shelf.match(s)]
    assert calm
    for segment in calm:
        prompt = writer.request(segment, context)["messages"][1]["content"]
        assert "### Campaign lines the bank has approved" in prompt
        assert all(m.product.message in prompt for m in shelf.match(segment))


def test_a_segment_no_product_fits_is_offered_none(shelf: Shelf) -> None:
    context = build_context(run_profile())
    segment = context.segments[0]
    fitting = {m.product.id for m in shelf.match(segment)}
    bare = shelf.model_copy(update={"products": [p for p in shelf.products if p.id not in fitting]})
    writer = OpenAIWriter(None, model="test-model", fallback=RuleBasedWriter(bare))  # type: ignore[arg-type]
    payload = writer.request(segment, context)
    assert "Return an empty product list" in payload["messages"][1]["content"]
    schema = payload["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["products"]["maxItems"] == 0
