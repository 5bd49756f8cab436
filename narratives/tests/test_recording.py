"""A segment run and its brief recorded in a workspace, as the command line records them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from narratives.brief import write_brief
from narratives.recording import brief_document, record_export
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from narratives.templates import templates_hash
from segmenter.pipeline import run_segmentation, write_segmentation
from segmenter.workspace import (
    get_run,
    latest_document,
    list_audit,
    list_review_items,
    new_run_from_dir,
    open_workspace,
    record_document,
    record_run,
    sqlite_url,
    verify,
)
from testkit.segmenter_fixtures import toy_frame


def recorded_toy_run(run_dir: Path, engine: Engine) -> int:
    """A toy run of three segments written to `run_dir` and recorded from it; its id."""
    write_segmentation(run_segmentation(toy_frame(), k=3, seed=0, n_bootstraps=2), run_dir)
    run = new_run_from_dir(
        run_dir, source_name="toy.csv", source_sha256="ab" * 32, rows_read=120, rows_kept=120,
        settings={"k": 3},
    )  # fmt: skip
    return record_run(engine, run, actor="analyst")


def test_a_run_and_its_brief_are_recorded_with_review_items(tmp_path: Path, shelf: Shelf) -> None:
    run_dir = tmp_path / "run"
    engine = open_workspace(sqlite_url(tmp_path / "workspace"))
    try:
        run_id = recorded_toy_run(run_dir, engine)
        out = tmp_path / "brief.md"
        brief = write_brief(run_dir, out, writer=RuleBasedWriter(shelf), shelf=shelf)
        document = brief_document(brief, kind="brief.md", content=out.read_text(encoding="utf-8"))
        # The brief's audit names the very profiles.json the run was recorded with.
        assert document.versions.stats_sha256 == get_run(engine, run_id).profiles_sha256
        document_id = record_document(engine, run_id, document, actor="analyst")

        recorded = latest_document(engine, run_id)
        assert recorded is not None
        assert (recorded.id, recorded.narratives) == (document_id, "rule-based")
        assert recorded.versions.model_version is None  # no LLM wrote any of it
        assert recorded.versions.prompt_version == templates_hash()
        assert [p["segment_id"] for p in recorded.personas] == [0, 1, 2]
        items = list_review_items(engine, run_id)
        personas = [i for i in items if i.kind == "persona"]
        assert [i.item_key for i in personas] == [f"segment {s}/persona" for s in (0, 1, 2)]
        products = sum(len(s.persona.products) for s in brief.sections)
        assert len(items) == 3 + products
        assert {(i.state, i.source, i.version) for i in items} == {("draft", "rule-based", 1)}
        assert [e.action for e in list_audit(engine)] == ["run", "brief"]
        assert verify(engine).ok
    finally:
        engine.dispose()


def test_exports_are_drafts_until_every_text_in_them_is_approved(
    database_url: str, tmp_path: Path, shelf: Shelf
) -> None:
    """On SQLite and PostgreSQL: the brief and a pack say DRAFT until approved, carry the
    decisions on the same words when written again, and the audit log holds."""
    from pypdf import PdfReader

    from narratives.pack_files import write_pack
    from segmenter.workspace import approve, decisions, file_sha256, reject, run_for_profiles

    run_dir = tmp_path / "run"
    engine = open_workspace(database_url)
    try:
        run_id = recorded_toy_run(run_dir, engine)
        found = run_for_profiles(engine, file_sha256(run_dir / "profiles.json"))
        assert found is not None
        assert found.id == run_id

        def lookup(items):  # type: ignore[no-untyped-def]
            return decisions(engine, run_id, [(i.item_key, i.text) for i in items])

        def brief() -> tuple[str, str | None]:
            out = tmp_path / "brief.md"
            written = write_brief(
                run_dir, out, writer=RuleBasedWriter(shelf), shelf=shelf, review=lookup,
                review_run=run_id,
            )  # fmt: skip
            text = out.read_text(encoding="utf-8")
            record_document(
                engine, run_id, brief_document(written, kind="brief.md", content=text),
                actor="analyst",
            )  # fmt: skip
            return text, written.draft

        text, draft = brief()
        sections = text.count("\n## Segment ")
        assert draft is not None
        assert draft.startswith("DRAFT: not approved.")
        assert draft.endswith(
            f"Review them with `segmenter review {run_id}` or on the app's Review page."
        )
        assert text.count("**DRAFT: not approved**") == sections  # on every section
        items = list_review_items(engine, run_id)
        for item in items:
            approve(engine, item.id, expected_version=1, reviewer="Ana")

        text, draft = brief()  # the same words again: every decision carried
        assert draft is None
        assert "DRAFT" not in text
        assert text.count("approved by Ana on ") == len(items)
        again = list_review_items(engine, run_id)
        assert {(i.state, i.version) for i in again} == {("approved", 2)}

        persona = next(i for i in again if i.item_key == "segment 1/persona")
        reject(engine, persona.id, expected_version=2, reviewer="Ben", comment="too blunt")
        pack = write_pack(
            run_dir, tmp_path / "pack.pdf", segment=1, writer=RuleBasedWriter(shelf), shelf=shelf,
            review=lookup, review_run=run_id,
        )  # fmt: skip
        assert pack.draft is not None
        assert "(1 rejected)" in pack.draft
        pages = [p.extract_text() for p in PdfReader(tmp_path / "pack.pdf").pages]
        assert all(page.startswith("DRAFT: not approved") for page in pages)
        clean = write_pack(
            run_dir, tmp_path / "pack0.html", segment=0, writer=RuleBasedWriter(shelf),
            shelf=shelf, review=lookup, review_run=run_id,
        )  # fmt: skip
        assert clean.draft is None
        assert "DRAFT" not in (tmp_path / "pack0.html").read_text(encoding="utf-8")
        for made, name in ((pack, "pack.pdf"), (clean, "pack0.html")):
            content = (tmp_path / name).read_bytes()
            record_export(
                engine, run_id, made, kind=name.rsplit(".", 1)[1], file_name=name,
                content=content, stats_sha256=found.profiles_sha256, actor="marketer",
            )  # fmt: skip
        exports = [e for e in list_audit(engine, run_id=run_id) if e.action == "export"]
        assert [(e.details["segment"], e.details["approved"]) for e in exports] == [
            (1, False), (0, True),
        ]  # fmt: skip
        assert exports[0].details["review"]["segment 1/persona"] == "rejected"
        assert exports[0].versions.stats_sha256 == found.profiles_sha256
        assert verify(engine).ok
    finally:
        engine.dispose()


def test_an_app_run_is_recorded_once_and_its_personas_carry_their_decisions(
    tmp_path: Path, shelf: Shelf
) -> None:
    from narratives.context import build_context
    from narratives.recording import LoadedSource, record_segmentation
    from segmenter.workspace import approve, list_runs

    run = run_segmentation(toy_frame(), k=3, seed=0, n_bootstraps=2)
    personas = RuleBasedWriter(shelf).write(build_context(run.profile))
    source = LoadedSource("toy.csv", "ab" * 32, 120, 120)
    engine = open_workspace(sqlite_url(tmp_path / "workspace"))
    try:

        def record() -> int:
            return record_segmentation(
                engine, run, personas, narratives="rule-based", model=None, source=source,
                settings={"k": 3}, actor="Ana",
            )  # fmt: skip

        run_id = record()
        first = list_review_items(engine, run_id)
        assert {i.state for i in first} == {"draft"}
        approve(engine, first[0].id, expected_version=1, reviewer="Ana")
        assert record() == run_id  # the same run: not recorded twice
        assert len(list_runs(engine)) == 1
        again = {i.item_key: i for i in list_review_items(engine, run_id)}
        assert again[first[0].item_key].id != first[0].id
        assert (again[first[0].item_key].state, again[first[0].item_key].reviewer) == (
            "approved",
            "Ana",
        )
        assert sum(i.state == "draft" for i in again.values()) == len(first) - 1
        assert verify(engine).ok
    finally:
        engine.dispose()
