"""The command line keeps the workspace: `segment` records the run, `brief` its personas and
product suggestions to review, `review`, `approve` and `reject` decide them, and
`audit verify` checks the log; a workspace that cannot be opened is one line and exit 2."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from testkit.segmenter_fixtures import cli_code as _run
from testkit.segmenter_fixtures import toy_frame


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "workspace"
    monkeypatch.setenv("SEGMENTER_WORKSPACE", str(folder))
    monkeypatch.delenv("SEGMENTER_DATABASE_URL", raising=False)
    return folder


def test_a_run_and_its_brief_are_recorded_reviewed_and_audited(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = tmp_path / "customers.csv"
    toy_frame((60, 40, 20)).write_csv(customers)
    assert _run("segment", customers, "--out", tmp_path / "run", "--k", "3") == 0
    assert "recorded as run 1 in sqlite:///" in capsys.readouterr().out
    assert _run("brief", tmp_path / "run", "--out", tmp_path / "run" / "brief.md", "--offline") == 0
    said = capsys.readouterr().out
    assert "recorded with run 1: " in said
    assert "to review (`segmenter review 1`)" in said

    assert _run("review", "1") == 0
    listed = capsys.readouterr().out
    assert "draft" in listed
    assert "segment 0/persona" in listed
    first = int(listed.split()[0])
    assert _run("approve", "1", str(first), "--by", "Ana") == 0
    assert capsys.readouterr().out == f"item {first} (segment 0/persona) approved by Ana\n"
    assert _run("reject", "1", str(first + 1), "--by", "Ben", "--comment", "too pushy") == 0
    capsys.readouterr()
    # Deciding again an item someone decided needs the version `review` showed: none is lost.
    assert _run("reject", "1", str(first), "--by", "Cy") == 2
    assert capsys.readouterr().err == (
        f"error: item {first} is already approved by Ana (version 2): to decide it again, "
        "give --version 2\n"
    )
    assert _run("reject", "1", str(first), "--by", "Cy", "--version", "1") == 2  # stale
    assert "was changed by Ana" in capsys.readouterr().err
    assert _run("approve", "1", str(first), "--by", "Cy", "--version", "2") == 0
    capsys.readouterr()
    assert _run("review", "1") == 0
    listed = capsys.readouterr().out
    assert "approved by Cy" in listed
    assert "version 3" in listed
    assert "rejected by Ben (too pushy)" in listed

    assert _run("audit", "verify") == 0
    assert capsys.readouterr().out.startswith("audit log intact: 5 entries, the last hash ")

    # Someone with the database file removes the append-only guard and edits an entry.
    with sqlite3.connect(workspace / "workspace.sqlite3") as db:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    assert _run("audit", "verify") == 1
    assert capsys.readouterr().out.startswith("audit log broken at entry 3: ")


def test_review_of_an_unknown_item_is_one_line(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = tmp_path / "customers.csv"
    toy_frame((60, 40, 20)).write_csv(customers)
    assert _run("segment", customers, "--out", tmp_path / "run", "--k", "3") == 0
    capsys.readouterr()
    assert _run("approve", "1", "99", "--by", "Ana") == 2
    err = capsys.readouterr().err
    assert err == "error: run 1 has no review item 99; its items: none: write its brief first\n"


def test_an_unknown_or_impossible_run_id_is_one_line(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("review", "99") == 2
    assert capsys.readouterr().err == "error: the workspace has no run 99\n"
    assert _run("review", "99999999999999999999") == 2  # past SQL's integers: a usage error
    assert "Traceback" not in capsys.readouterr().err


def test_a_workspace_that_cannot_be_opened_stops_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "SEGMENTER_DATABASE_URL", "postgresql+psycopg://seg:secret@127.0.0.1:9/segmenter"
    )
    customers = tmp_path / "customers.csv"
    toy_frame((60, 40, 20)).write_csv(customers)
    assert _run("segment", customers, "--out", tmp_path / "run", "--k", "3") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the workspace database postgresql+psycopg://seg:***@127.0.0.1:9/")
    assert "secret" not in err
    assert err.count("\n") == 1
    assert not (tmp_path / "run").exists()
