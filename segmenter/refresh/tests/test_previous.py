"""Last month's run read from the workspace: the same parts as from its folder, or one line
saying why it cannot be refreshed against."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine

from segmenter.errors import InputError
from segmenter.model.fitted import assignment_table
from segmenter.pipeline import Segmentation, run_segmentation, write_segmentation
from segmenter.refresh.previous import read_previous, recorded_previous
from segmenter.workspace import (
    NewDocument,
    NewRun,
    Versions,
    new_run,
    open_workspace,
    record_run,
    sqlite_url,
)
from testkit.segmenter_fixtures import toy_frame


@pytest.fixture(scope="module")
def month() -> Segmentation:
    return run_segmentation(toy_frame((60, 40, 20)), k=3, seed=0, n_bootstraps=2)


@pytest.fixture(scope="module")
def recorded(month: Segmentation) -> NewRun:
    table = assignment_table(month.customer_ids, month.labels, month.model.names, month.confidence)
    return new_run(
        month.profile, month.model, table, source_name="m1.csv", source_sha256="ab" * 32,
        rows_read=120, rows_kept=120, settings={}, book=month.book,
    )  # fmt: skip


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Engine]:
    engine = open_workspace(sqlite_url(tmp_path / "workspace"))
    yield engine
    engine.dispose()


def test_a_recorded_run_gives_what_its_folder_gives(
    workspace: Engine, month: Segmentation, recorded: NewRun, tmp_path: Path
) -> None:
    write_segmentation(month, tmp_path / "m1")
    run_id = record_run(workspace, recorded, actor="analyst")
    from_folder = read_previous(tmp_path / "m1")
    for which in ("latest", str(run_id)):
        found = recorded_previous(workspace, which)
        assert (found.source, found.run_id, found.highest_id) == (f"run {run_id}", run_id, 2)
        assert found.profile == from_folder.profile
        assert found.book == from_folder.book == month.book
        assert_frame_equal(found.assignments, from_folder.assignments)
        frame = toy_frame((60, 40, 20))
        np.testing.assert_array_equal(found.model.segments(frame), month.labels)
    assert from_folder.run_id is None


def test_the_highest_id_ever_used_comes_from_a_refresh_report(
    workspace: Engine, recorded: NewRun
) -> None:
    first = record_run(workspace, recorded, actor="analyst")
    stats = hashlib.sha256(recorded.profiles.encode()).hexdigest()
    report = NewDocument(
        kind="refresh.json", content='{"highest_id": 7}', personas=[], narratives="",
        versions=Versions(prompt_version="", stats_sha256=stats),
    )  # fmt: skip
    second = record_run(workspace, recorded, actor="a", previous_run_id=first, report=report)
    assert recorded_previous(workspace, "latest").highest_id == 7  # 3 to 7 retired: not reused
    assert recorded_previous(workspace, str(first)).highest_id == 2
    damaged = replace(report, content="{}")
    record_run(workspace, recorded, actor="a", previous_run_id=second, report=damaged)
    with pytest.raises(InputError, match=r"^--previous latest: run 3's refresh report is damaged"):
        recorded_previous(workspace, "latest")


@pytest.mark.parametrize(
    ("change", "said"),
    [
        pytest.param({"book": None}, "was recorded before runs kept their book.json", id="no book"),
        pytest.param({"assignments": None}, "was streamed and its assignments were not kept",
                     id="no assignments"),
    ],
)  # fmt: skip
def test_a_run_without_its_book_or_assignments_is_refused(
    workspace: Engine, recorded: NewRun, change: dict[str, None], said: str
) -> None:
    run_id = record_run(workspace, replace(recorded, **change), actor="analyst")
    with pytest.raises(InputError, match=f"^--previous {run_id}: run {run_id} {said}"):
        recorded_previous(workspace, str(run_id))


@pytest.mark.parametrize(
    ("which", "said"),
    [
        pytest.param("latest", "the workspace has no run yet", id="empty"),
        pytest.param("4", "the workspace has no run 4", id="unknown"),
        pytest.param("²", "not a run id, 'latest' nor a run folder", id="not ascii digits"),
    ],
)
def test_no_such_run_is_one_line(workspace: Engine, which: str, said: str) -> None:
    with pytest.raises(InputError, match=f"^--previous {which}: {said}"):
        recorded_previous(workspace, which)
