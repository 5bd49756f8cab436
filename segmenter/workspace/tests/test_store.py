"""Recording runs: read back whole, numbered, listed; an interrupted record leaves nothing."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from segmenter.model.fitted import assignment_table
from segmenter.pipeline import Segmentation, write_segmentation
from segmenter.workspace import (
    NewDocument,
    NewRun,
    UnknownRecord,
    Versions,
    get_run,
    latest_document,
    latest_run,
    list_audit,
    list_runs,
    new_run_from_dir,
    record_run,
    run_for_profiles,
    run_profile,
    verify,
)
from testkit.segmenter_fixtures import toy_frame

Clock = Callable[[], datetime]


def test_a_run_is_recorded_and_read_back_whole(
    workspace: Engine, toy_run: NewRun, segmentation: Segmentation, clock: Clock
) -> None:
    run_id = record_run(workspace, toy_run, actor="analyst", clock=clock)
    record = get_run(workspace, run_id)
    assert (record.id, record.kind, record.status) == (run_id, "segment", "complete")
    assert record.created_at == datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert (record.source_name, record.source_sha256) == ("toy.csv", "ab" * 32)
    assert (record.rows_read, record.rows_kept) == (121, 120)
    assert (record.algorithm, record.k, record.seed) == ("kmeans", 3, 0)
    assert record.settings == {"algorithm": "kmeans", "k": 3, "seed": 0, "n_bootstraps": 2}
    assert record.metrics == segmentation.profile.metrics.model_dump(mode="json")
    assert record.profile() == segmentation.profile
    assert run_profile(workspace, run_id) == segmentation.profile  # without model or rows
    assert record.profiles_sha256 == hashlib.sha256(toy_run.profiles.encode()).hexdigest()
    run = segmentation
    expected = assignment_table(run.customer_ids, run.labels, run.model.names, run.confidence)
    assignments = record.assignments()
    assert assignments is not None
    assert_frame_equal(assignments, expected)
    # The saved model is the run's: it assigns the same customers to the same segments.
    np.testing.assert_array_equal(record.model().segments(toy_frame()), run.labels)


def test_runs_are_numbered_listed_newest_first_and_found_by_their_profiles(
    workspace: Engine, toy_run: NewRun, clock: Clock
) -> None:
    first = record_run(workspace, toy_run, actor="analyst", clock=clock)
    second = record_run(workspace, toy_run, actor="analyst", previous_run_id=first, clock=clock)
    assert (first, second) == (1, 2)
    assert [(r.id, r.kind, r.previous_run_id) for r in list_runs(workspace)] == [
        (2, "refresh", 1),
        (1, "segment", None),
    ]
    assert [r.id for r in list_runs(workspace, limit=1)] == [2]
    latest = latest_run(workspace)
    assert latest is not None
    assert latest.id == 2
    found = run_for_profiles(workspace, latest.profiles_sha256)
    assert found is not None
    assert found.id == 2
    assert run_for_profiles(workspace, "0" * 64) is None
    assert [(e.seq, e.action, e.run_id) for e in list_audit(workspace)] == [
        (1, "run", 1),
        (2, "refresh", 2),
    ]


def test_an_empty_workspace_has_no_latest_run_and_refuses_unknown_ids(workspace: Engine) -> None:
    assert latest_run(workspace) is None
    assert list_runs(workspace) == []
    with pytest.raises(UnknownRecord, match="the workspace has no run 99"):
        get_run(workspace, 99)
    with pytest.raises(UnknownRecord, match="the workspace has no run 99"):
        run_profile(workspace, 99)


def test_an_interrupted_record_leaves_no_run_and_no_audit_entry(
    workspace: Engine, toy_run: NewRun, clock: Clock
) -> None:
    calls = 0

    def interrupted() -> datetime:  # Ctrl-C after the run's row is written, before its entry
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        return clock()

    with pytest.raises(KeyboardInterrupt):
        record_run(workspace, toy_run, actor="analyst", clock=interrupted)
    assert calls == 2
    assert list_runs(workspace) == []
    assert list_audit(workspace) == []
    with pytest.raises(UnknownRecord, match="no run 7 to refresh"):
        record_run(workspace, toy_run, actor="analyst", previous_run_id=7, clock=clock)
    assert list_runs(workspace) == []
    # The workspace goes on as before.
    run_id = record_run(workspace, toy_run, actor="analyst", clock=clock)
    assert [r.id for r in list_runs(workspace)] == [run_id]
    assert verify(workspace).ok


def test_a_run_folder_records_the_same_bytes_as_the_run_in_memory(
    tmp_path: Path, segmentation: Segmentation, toy_run: NewRun
) -> None:
    write_segmentation(segmentation, tmp_path)
    from_dir = new_run_from_dir(
        tmp_path, source_name="toy.csv", source_sha256="ab" * 32, rows_read=121, rows_kept=120,
        settings=toy_run.settings,
    )  # fmt: skip
    assert from_dir.profiles == toy_run.profiles
    assert from_dir.profiles.encode() == (tmp_path / "profiles.json").read_bytes()
    assert from_dir.model == toy_run.model == (tmp_path / "model.skops").read_bytes()
    assert from_dir.assignments is not None
    assert toy_run.assignments is not None
    assert_frame_equal(
        pl.read_parquet(io.BytesIO(from_dir.assignments)),
        pl.read_parquet(io.BytesIO(toy_run.assignments)),
    )


def report_of(run: NewRun, content: str = '{"highest_id": 2}') -> NewDocument:
    """A refresh report of `run`, as refresh.run.refresh_document makes it."""
    stats = hashlib.sha256(run.profiles.encode()).hexdigest()
    return NewDocument(
        kind="refresh.json", content=content, personas=[], narratives="",
        versions=Versions(prompt_version="", stats_sha256=stats),
    )  # fmt: skip


def test_a_run_keeps_its_book_and_the_audit_entry_its_hash(
    workspace: Engine, toy_run: NewRun, segmentation: Segmentation, clock: Clock
) -> None:
    assert segmentation.book is not None
    booked = replace(toy_run, book=segmentation.book.model_dump_json(indent=2) + "\n")
    run_id = record_run(workspace, booked, actor="analyst", clock=clock)
    assert get_run(workspace, run_id).book_json == booked.book
    assert booked.book is not None
    (entry,) = list_audit(workspace)
    assert entry.details["book_sha256"] == hashlib.sha256(booked.book.encode()).hexdigest()
    bookless = record_run(workspace, toy_run, actor="analyst", clock=clock)
    assert get_run(workspace, bookless).book_json is None
    assert list_audit(workspace)[-1].details["book_sha256"] is None


def test_a_refresh_and_its_report_are_recorded_together_under_one_refresh_entry(
    workspace: Engine, toy_run: NewRun, clock: Clock
) -> None:
    first = record_run(workspace, toy_run, actor="analyst", clock=clock)
    second = record_run(
        workspace, toy_run, actor="analyst", previous_run_id=first, report=report_of(toy_run),
        clock=clock,
    )  # fmt: skip
    document = latest_document(workspace, second, kind="refresh.json")
    assert document is not None
    assert document.content == '{"highest_id": 2}'
    assert [(e.action, e.run_id) for e in list_audit(workspace)] == [
        ("run", first),
        ("refresh", second),  # one entry for the run and its report: no "brief"
    ]
    assert list_audit(workspace)[-1].details["report"] == {
        "document_id": document.id,
        "kind": "refresh.json",
        "content_sha256": hashlib.sha256(b'{"highest_id": 2}').hexdigest(),
    }
    assert verify(workspace).ok


def test_a_refresh_whose_report_fails_to_be_written_leaves_no_run(
    workspace: Engine, toy_run: NewRun, clock: Clock
) -> None:
    first = record_run(workspace, toy_run, actor="analyst", clock=clock)
    calls = 0

    def interrupted() -> datetime:  # Ctrl-C after the run's row, as its report is written
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        return clock()

    with pytest.raises(KeyboardInterrupt):
        record_run(
            workspace, toy_run, actor="analyst", previous_run_id=first,
            report=report_of(toy_run), clock=interrupted,
        )  # fmt: skip
    assert calls == 2
    # A report the database refuses: it names a run other than the one being recorded.
    other = replace(report_of(toy_run), versions=Versions(prompt_version="", stats_sha256="0" * 64))
    with pytest.raises(ValueError, match="compares the statistics of its own run"):
        record_run(workspace, toy_run, actor="a", previous_run_id=first, report=other, clock=clock)
    assert [r.id for r in list_runs(workspace)] == [first]
    assert latest_document(workspace, first + 1) is None
    assert [e.action for e in list_audit(workspace)] == ["run"]
    assert verify(workspace).ok


def test_a_report_needs_a_refresh(workspace: Engine, toy_run: NewRun) -> None:
    with pytest.raises(ValueError, match="a report is a refresh's"):
        record_run(workspace, toy_run, actor="analyst", report=report_of(toy_run))
    assert list_runs(workspace) == []


def test_a_streamed_run_is_recorded_from_its_folder_without_its_assignments(
    tmp_path: Path, segmentation: Segmentation, workspace: Engine
) -> None:
    write_segmentation(segmentation, tmp_path)
    (tmp_path / "assignments.csv").unlink()  # not even read
    run = new_run_from_dir(
        tmp_path, source_name="big.parquet", source_sha256="cd" * 32, rows_read=120,
        rows_kept=120, settings={"stream": True}, keep_assignments=False,
    )  # fmt: skip
    assert run.assignments is None
    assert run.book is not None
    assert run.book.encode() == (tmp_path / "book.json").read_bytes()
    record = get_run(workspace, record_run(workspace, run, actor="analyst"))
    assert (record.assignments_parquet, record.assignments()) == (None, None)
    assert record.book_json == run.book
