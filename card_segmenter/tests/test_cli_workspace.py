"""The command line keeps the workspace: `segment` records the run, `brief` its personas and
product suggestions to review, `review`, `approve` and `reject` decide them, and
`audit verify` checks the log; a workspace that cannot be opened is one line and exit 2."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from segmenter.workspace import get_run, latest_document, list_audit, open_workspace, sqlite_url
from testkit.segmenter_fixtures import cli_code as _run
from testkit.segmenter_fixtures import toy_frame


def test_a_run_and_its_brief_are_recorded_reviewed_and_audited(
    workspace_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = tmp_path / "customers.csv"
    toy_frame((60, 40, 20)).write_csv(customers)
    assert _run("segment", customers, "--out", tmp_path / "run", "--k", "3") == 0
    assert "recorded as run 1 in sqlite:///" in capsys.readouterr().out
    assert _run("brief", tmp_path / "run", "--out", tmp_path / "run" / "brief.md", "--offline") == 0
    said = capsys.readouterr().out
    assert "recorded with run 1: 6 personas and product suggestions, 0 approved" in said
    assert "DRAFT: not approved. 6 of 6 personas and product suggestions" in said

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
    with sqlite3.connect(workspace_folder / "workspace.sqlite3") as db:
        db.execute("DROP TRIGGER audit_log_no_update")
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    assert _run("audit", "verify") == 1
    assert capsys.readouterr().out.startswith("audit log broken at entry 3: ")


def _item_ids(listed: str) -> list[int]:
    """The item ids `segmenter review` lists, one line per item: "  12  draft ..."."""
    return [int(m) for m in re.findall(r"^ *(\d+)  (?:draft|approved|rejected)", listed, re.M)]


def _pages(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(pdf).pages]


def test_approvals_carry_into_a_brief_written_again_and_mark_the_packs(
    workspace_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from segmenter.workspace import list_audit, open_workspace, sqlite_url

    customers, run = tmp_path / "customers.csv", tmp_path / "run"
    toy_frame((60, 40, 20)).write_csv(customers)
    assert _run("segment", customers, "--out", run, "--k", "3") == 0
    assert _run("brief", run, "--out", run / "brief.md", "--offline") == 0
    assert "DRAFT: not approved" in (run / "brief.md").read_text(encoding="utf-8")
    capsys.readouterr()
    assert _run("review", "1") == 0
    items = _item_ids(capsys.readouterr().out)
    assert len(items) == 6
    for item in items:
        assert _run("approve", "1", str(item), "--by", "Ana Ruiz") == 0

    # The same words from the same run: the decisions carry over, and nothing says DRAFT.
    assert _run("brief", run, "--out", run / "brief.md", "--offline") == 0
    said = capsys.readouterr().out
    assert "DRAFT" not in said
    assert "recorded with run 1: 6 personas and product suggestions, 6 approved" in said
    text = (run / "brief.md").read_text(encoding="utf-8")
    assert "DRAFT" not in text
    assert text.count("approved by Ana Ruiz on ") == 6
    assert _run("review", "1") == 0
    listed = capsys.readouterr().out
    carried = _item_ids(listed)
    assert set(carried).isdisjoint(items)  # the new brief's own items, decided as before
    assert listed.count("approved by Ana Ruiz") == 6

    # One product rejected: its segment's pack is a draft on every page; another's is not.
    product = next(
        line for line in listed.splitlines() if "segment 0/product/" in line
    )  # fmt: skip
    assert _run("reject", "1", product.split()[0], "--by", "Ben", "--version", "2") == 0
    assert _run("brief", run, "--segment", "0", "--out", tmp_path / "p0.pdf", "--offline") == 0
    said = capsys.readouterr().out
    assert (
        "DRAFT: not approved. 1 of 4 personas and product suggestions are not approved "
        "(1 rejected)" in said
    )
    assert said.endswith("recorded as an export of run 1\n")
    pages = _pages(tmp_path / "p0.pdf")
    assert len(pages) > 1
    assert all("DRAFT: not approved" in page for page in pages)
    assert "Rejected by Ben on" in " ".join(" ".join(pages).split())
    assert _run("brief", run, "--segment", "1", "--out", tmp_path / "p1.pdf", "--offline") == 0
    assert not any("DRAFT" in page for page in _pages(tmp_path / "p1.pdf"))

    assert _run("audit", "verify") == 0
    engine = open_workspace(sqlite_url(workspace_folder))
    actions = [entry.action for entry in list_audit(engine, run_id=1)]
    assert actions.count("approve") == 12  # six decided, six carried into the second brief
    assert actions[-2:] == ["export", "export"]
    engine.dispose()


def test_review_of_an_unknown_item_is_one_line(
    workspace_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    customers = tmp_path / "customers.csv"
    toy_frame((60, 40, 20)).write_csv(customers)
    assert _run("segment", customers, "--out", tmp_path / "run", "--k", "3") == 0
    capsys.readouterr()
    assert _run("approve", "1", "99", "--by", "Ana") == 2
    err = capsys.readouterr().err
    assert err == "error: run 1 has no review item 99; its items: none: write its brief first\n"


def test_an_unknown_or_impossible_run_id_is_one_line(
    workspace_folder: Path, capsys: pytest.CaptureFixture[str]
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


def months(tmp_path: Path) -> tuple[Path, Path]:
    """Two monthly toy files: the same customers, a month's jitter apart."""
    first, second = tmp_path / "m1.csv", tmp_path / "m2.csv"
    toy_frame((60, 40, 20)).write_csv(first)
    toy_frame((60, 40, 20), seed=1).write_csv(second)
    return first, second


def test_a_refresh_of_the_latest_recorded_run_is_recorded_with_its_report(
    workspace_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m1, m2 = months(tmp_path)
    assert _run("segment", m1, "--out", tmp_path / "r1", "--k", "3") == 0
    assert _run("segment", m2, "--out", tmp_path / "r2", "--k", "3", "--previous", "latest") == 0
    out = capsys.readouterr().out
    assert "Refreshed against run 1: 120 customers in both runs, 0 left, 0 joined" in out
    assert "recorded as run 2 (a refresh of run 1) in sqlite:///" in out
    before = json.loads((tmp_path / "r1" / "profiles.json").read_text())["segments"]
    after = json.loads((tmp_path / "r2" / "profiles.json").read_text())["segments"]
    assert [(s["id"], s["name"]) for s in after] == [(s["id"], s["name"]) for s in before]
    # The run id form: the same refresh, recorded as a refresh of the run named.
    assert _run("segment", m2, "--out", tmp_path / "r3", "--k", "3", "--previous", "1") == 0
    assert "recorded as run 3 (a refresh of run 1)" in capsys.readouterr().out
    assert (tmp_path / "r3" / "refresh.json").read_text() == (
        tmp_path / "r2" / "refresh.json"
    ).read_text()
    # The folder form still works, and finds the run the folder holds.
    assert (
        _run("segment", m2, "--out", tmp_path / "r4", "--k", "3", "--previous", tmp_path / "r3")
        == 0
    )
    assert "recorded as run 4 (a refresh of run 3)" in capsys.readouterr().out

    engine = open_workspace(sqlite_url(workspace_folder))
    try:
        assert [(e.action, e.run_id) for e in list_audit(engine)] == [
            ("run", 1), ("refresh", 2), ("refresh", 3), ("refresh", 4),
        ]  # fmt: skip
        report = latest_document(engine, 2, kind="refresh.json")
        assert report is not None
        assert json.loads(report.content) == json.loads(
            (tmp_path / "r2" / "refresh.json").read_text()
        )
        assert get_run(engine, 2).book_json == (tmp_path / "r2" / "book.json").read_text()
    finally:
        engine.dispose()
    assert _run("audit", "verify") == 0


@pytest.mark.parametrize(
    ("previous", "said"),
    [
        pytest.param("latest", "the workspace has no run yet; segment last month's file first, "
                     "or give its folder (--previous FOLDER)", id="an empty workspace"),
        pytest.param("7", "the workspace has no run 7", id="an unknown id"),
        pytest.param("99999999999999999999", "not a run id, 'latest' nor a run folder",
                     id="past SQL's integers"),
    ],
)  # fmt: skip
def test_a_previous_run_the_workspace_does_not_hold_is_one_line(
    workspace_folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    previous: str,
    said: str,
) -> None:
    m1, _ = months(tmp_path)
    assert _run("segment", m1, "--out", tmp_path / "out", "--previous", previous) == 2
    assert capsys.readouterr().err == f"error: --previous {previous}: {said}\n"
    assert not (tmp_path / "out").exists()  # refused before any work


def test_a_run_recorded_without_its_book_is_refused_as_a_previous_run(
    workspace_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m1, m2 = months(tmp_path)
    assert _run("segment", m1, "--out", tmp_path / "r1", "--k", "3") == 0
    with sqlite3.connect(workspace_folder / "workspace.sqlite3") as db:
        db.execute("UPDATE runs SET book = NULL")  # as recorded before schema 0003
    capsys.readouterr()
    assert _run("segment", m2, "--out", tmp_path / "r2", "--previous", "latest") == 2
    assert capsys.readouterr().err == (
        "error: --previous latest: run 1 was recorded before runs kept their book.json, so drift "
        "cannot be measured against it; give its folder instead (--previous FOLDER)\n"
    )


def test_a_streamed_run_is_recorded_without_its_assignments(
    workspace_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = tmp_path / "book.parquet"
    toy_frame((60, 40, 20)).write_parquet(book)
    assert _run("segment", book, "--out", tmp_path / "r1", "--k", "3", "--stream") == 0
    assert capsys.readouterr().out.endswith(
        "recorded as run 1 in sqlite:///" + str(workspace_folder / "workspace.sqlite3")
        + " (without its assignments: they are not kept for streamed runs)\n"
    )  # fmt: skip
    engine = open_workspace(sqlite_url(workspace_folder))
    try:
        run = get_run(engine, 1)
        assert (run.assignments_parquet, run.rows_kept, run.settings["stream"]) == (None, 120, True)
        assert run.book_json == (tmp_path / "r1" / "book.json").read_text()
    finally:
        engine.dispose()
    # Refreshing against it needs its assignments: its folder has them, the workspace not.
    assert _run("segment", book, "--out", tmp_path / "r2", "--previous", "1") == 2
    assert "run 1 was streamed and its assignments were not kept" in capsys.readouterr().err
    assert _run("segment", book, "--out", tmp_path / "r2", "--stream", "--previous", "latest") == 2
    assert "--previous works on books read in memory" in capsys.readouterr().err
    assert _run("segment", book, "--out", tmp_path / "r2", "--previous", tmp_path / "r1") == 0


def test_audit_verify_names_a_run_altered_in_the_database(
    workspace_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m1, _ = months(tmp_path)
    assert _run("segment", m1, "--out", tmp_path / "r1", "--k", "3") == 0
    with sqlite3.connect(workspace_folder / "workspace.sqlite3") as db:
        db.execute("UPDATE runs SET source_name = 'other.csv'")
    capsys.readouterr()
    assert _run("audit", "verify") == 1
    assert capsys.readouterr().out == (
        "run 1 does not match its audit entry 1: its input file's name differs from the one "
        "recorded\n"
    )
