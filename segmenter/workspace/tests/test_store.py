"""Recording runs: read back whole, numbered, listed; an interrupted record leaves nothing."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from segmenter.errors import InputError
from segmenter.model.fitted import assignment_table
from segmenter.pipeline import Segmentation, write_segmentation
from segmenter.refresh.previous import previous_from_record
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
    path_sha256,
    record_run,
    run_for_profiles,
    run_profile,
    verify,
)
from testkit.segmenter_fixtures import spark_run_dir, toy_frame

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


def test_a_spark_run_is_recorded_with_its_pipeline_and_without_its_assignments(
    tmp_path: Path, segmentation: Segmentation, workspace: Engine
) -> None:
    folder = spark_run_dir(tmp_path / "run", segmentation)
    run = new_run_from_dir(
        folder, source_name="book/", source_sha256="ef" * 32, rows_read=120, rows_kept=120,
        settings={"algorithm": "kmeans", "k": "3", "seed": 0}, engine="spark",
    )  # fmt: skip
    assert (run.engine, run.assignments) == ("spark", None)  # though assignments.csv is there
    with zipfile.ZipFile(io.BytesIO(run.model)) as archive:
        packed = {name: archive.read(name) for name in archive.namelist()}
    on_disk = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and (p.name == "spark_model.json" or "spark_model" in p.parts)
    }
    assert packed == on_disk  # every file of the pipeline, byte for byte
    assert len(packed) == 4
    os.utime(folder / "spark_model.json", (0, 0))  # the same files later: the same bytes
    assert new_run_from_dir(
        folder, source_name="book/", source_sha256="ef" * 32, rows_read=120, rows_kept=120,
        settings={}, engine="spark",
    ).model == run.model  # fmt: skip

    run_id = record_run(workspace, run, actor="analyst")
    assert [(r.id, r.engine) for r in list_runs(workspace)] == [(run_id, "spark")]
    record = get_run(workspace, run_id)
    assert record.model_bytes == run.model
    assert record.profile() == segmentation.profile  # what brief, review and the app read
    with pytest.raises(InputError, match=rf"^run {run_id} was fitted on Spark: its model is a "):
        record.model()
    refused = rf"^--previous {run_id}: run {run_id} was fitted on Spark, and a refresh is made"
    with pytest.raises(InputError, match=refused):
        previous_from_record(record)
    assert run_for_profiles(workspace, record.profiles_sha256) == list_runs(workspace)[0]
    assert verify(workspace).ok


def test_a_spark_folder_without_its_pipeline_is_refused(
    tmp_path: Path, segmentation: Segmentation
) -> None:
    folder = spark_run_dir(tmp_path / "run", segmentation)
    shutil.rmtree(folder / "spark_model")
    with pytest.raises(InputError, match=r"run: no spark_model/; is it a segment run\?$"):
        new_run_from_dir(
            folder, source_name="b", source_sha256="ef" * 32, rows_read=1, rows_kept=1,
            settings={}, engine="spark",
        )  # fmt: skip


def test_a_folder_s_sha256_changes_with_any_of_its_files(tmp_path: Path) -> None:
    book = tmp_path / "book"
    (book / "year=2026").mkdir(parents=True)
    (book / "year=2026" / "part-0.parquet").write_bytes(b"one")
    (book / "part-1.parquet").write_bytes(b"two")
    first = path_sha256(book)
    assert path_sha256(book) == first
    (book / "part-1.parquet").write_bytes(b"twO")
    changed = path_sha256(book)
    (book / "part-1.parquet").rename(book / "part-2.parquet")
    renamed = path_sha256(book)
    (book / "_SUCCESS").touch()
    added = path_sha256(book)
    assert len({first, changed, renamed, added}) == 4
    single = book / "year=2026" / "part-0.parquet"
    assert path_sha256(single) == hashlib.sha256(b"one").hexdigest()  # a file: its own


def test_the_workspace_knows_a_spark_run_s_files_by_the_names_spark_writes() -> None:
    from segmenter.spark.model import MANIFEST_FILE, MODEL_DIR
    from segmenter.workspace.runs import SPARK_MANIFEST, SPARK_MODEL_DIR

    assert (SPARK_MANIFEST, SPARK_MODEL_DIR) == (MANIFEST_FILE, MODEL_DIR)
