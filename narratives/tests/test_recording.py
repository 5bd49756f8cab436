"""A segment run and its brief recorded in a workspace, as the command line records them."""

from __future__ import annotations

from pathlib import Path

from narratives.brief import write_brief
from narratives.recording import brief_document
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


def test_a_run_and_its_brief_are_recorded_with_review_items(tmp_path: Path, shelf: Shelf) -> None:
    run_dir = tmp_path / "run"
    write_segmentation(run_segmentation(toy_frame(), k=3, seed=0, n_bootstraps=2), run_dir)
    engine = open_workspace(sqlite_url(tmp_path / "workspace"))
    try:
        run = new_run_from_dir(
            run_dir, source_name="toy.csv", source_sha256="ab" * 32, rows_read=120,
            rows_kept=120, settings={"k": 3},
        )  # fmt: skip
        run_id = record_run(engine, run, actor="analyst")
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
