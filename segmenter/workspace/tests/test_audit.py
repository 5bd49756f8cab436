"""The audit log: append-only, hash-chained; verify names the first broken link."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from segmenter.workspace import (
    NewDocument,
    NewReviewItem,
    NewRun,
    Versions,
    approve,
    list_audit,
    list_review_items,
    record_action,
    record_document,
    record_run,
    verify,
)
from segmenter.workspace.audit import GENESIS, entry_hash
from segmenter.workspace.schema import AuditEntry

Clock = Callable[[], datetime]


@pytest.fixture
def logged(workspace: Engine, toy_run: NewRun, clock: Clock) -> Engine:
    """Three entries: a run (1), an export of it (2), a refresh of it (3)."""
    first = record_run(workspace, toy_run, actor="analyst", clock=clock)
    record_action(
        workspace, "export", run_id=first, actor="marketer",
        details={"file": "audience.csv", "rows": 60}, clock=clock,
    )  # fmt: skip
    record_run(workspace, toy_run, actor="analyst", previous_run_id=first, clock=clock)
    return workspace


def drop_guard(engine: Engine) -> None:
    """What only a database administrator could do: remove the append-only triggers."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
            connection.execute(text("DROP TRIGGER audit_log_no_delete"))


def run_sql(engine: Engine, statement: str) -> None:
    """Raw SQL, as anyone with the database's password could run it."""
    with engine.begin() as connection:
        connection.exec_driver_sql(statement)


def test_an_intact_log_verifies_and_links_each_entry_to_the_one_before(logged: Engine) -> None:
    entries = list_audit(logged)
    assert [(e.seq, e.action, e.actor) for e in entries] == [
        (1, "run", "analyst"),
        (2, "export", "marketer"),
        (3, "refresh", "analyst"),
    ]
    assert [e.prev_hash for e in entries] == [GENESIS, entries[0].hash, entries[1].hash]
    assert entries[1].details == {"file": "audience.csv", "rows": 60}
    assert entries[0].versions.stats_sha256 == entries[2].versions.stats_sha256
    result = verify(logged)
    assert (result.ok, result.entries, result.head_hash) == (True, 3, entries[2].hash)
    assert str(result) == f"audit log intact: 3 entries, the last hash {entries[2].hash}"
    assert [e.seq for e in list_audit(logged, run_id=2)] == [3]


def test_the_log_refuses_to_be_edited_in_place(logged: Engine) -> None:
    with pytest.raises(DBAPIError, match="append-only"):
        run_sql(logged, "UPDATE audit_log SET actor = 'someone' WHERE seq = 2")
    with pytest.raises(DBAPIError, match="append-only"):
        run_sql(logged, "DELETE FROM audit_log WHERE seq = 2")
    assert verify(logged).ok


def test_verify_names_an_altered_entry(logged: Engine) -> None:
    drop_guard(logged)
    run_sql(logged, """UPDATE audit_log SET details = '{"file":"audience.csv","rows":6}' """
                    "WHERE seq = 2")  # fmt: skip
    result = verify(logged)
    assert (result.ok, result.broken_seq, result.entries) == (False, 2, 1)
    assert str(result) == (
        "audit log broken at entry 2: its contents do not match its hash: it was altered, "
        "or moved here"
    )


def test_verify_names_a_removed_entry(logged: Engine) -> None:
    drop_guard(logged)
    run_sql(logged, "DELETE FROM audit_log WHERE seq = 2")
    result = verify(logged)
    assert (result.ok, result.broken_seq) == (False, 2)
    assert result.problem == "it is missing (entry 3 follows entry 1)"


def test_verify_names_an_entry_rewritten_with_a_matching_hash(logged: Engine) -> None:
    # A forger who knows the scheme rehashes the entry they altered: the next link breaks.
    drop_guard(logged)
    with Session(logged) as session, session.begin():
        entry = session.get(AuditEntry, 2)
        assert entry is not None
        entry.details = '{"file":"audience.csv","rows":6}'
        entry.hash = entry_hash(entry)
    result = verify(logged)
    assert (result.ok, result.broken_seq) == (False, 3)
    assert result.problem is not None
    assert result.problem.startswith("it does not link to entry 2 as recorded")


def test_verify_names_reordered_entries(logged: Engine) -> None:
    drop_guard(logged)
    for statement in (
        "UPDATE audit_log SET seq = 99 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 99",
    ):
        run_sql(logged, statement)
    result = verify(logged)
    assert (result.ok, result.broken_seq) == (False, 2)


def test_verify_notices_a_log_cut_short_while_its_run_remains(logged: Engine) -> None:
    drop_guard(logged)
    run_sql(logged, "DELETE FROM audit_log WHERE seq = 3")
    result = verify(logged)
    assert (result.ok, result.broken_seq, result.entries) == (False, 3, 2)
    assert result.problem == "it is missing: run 2 has no audit entry (the log was cut short)"


def test_an_empty_log_verifies(workspace: Engine) -> None:
    assert str(verify(workspace)) == "audit log intact: no entries yet"


def test_an_unknown_action_is_refused(workspace: Engine, clock: Clock) -> None:
    with pytest.raises(ValueError, match="unknown audit action 'delete'"):
        record_action(workspace, "delete", run_id=None, actor="x", details={}, clock=clock)
    assert list_audit(workspace) == []


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        pytest.param(
            "UPDATE runs SET rows_kept = 119 WHERE id = 2",
            "its rows kept differ from those recorded",
            id="a figure",
        ),
        pytest.param(
            "UPDATE runs SET model_sha256 = '" + "0" * 64 + "' WHERE id = 2",
            "the sha256 it keeps of its profiles or model is not theirs",
            id="a hash column",
        ),
        pytest.param(
            "UPDATE runs SET profiles = REPLACE(profiles, '\"k\": 3', '\"k\": 4') WHERE id = 2",
            "its profiles (profiles.json) differ from those recorded",
            id="the profiles",
        ),
        pytest.param(
            "UPDATE runs SET kind = 'segment', previous_run_id = NULL WHERE id = 2",
            "it is recorded as a refresh run there and as a segment run here",
            id="what it refreshes",
        ),
        pytest.param(
            "UPDATE runs SET assignments = NULL WHERE id = 2",
            "its assignments differ from those recorded",
            id="its assignments",
        ),
        pytest.param(
            "UPDATE runs SET engine = 'spark' WHERE id = 2",
            "its engine differs from the one recorded",
            id="its engine",
        ),
    ],
)
def test_verify_names_a_run_altered_after_it_was_recorded(
    logged: Engine, statement: str, problem: str
) -> None:
    run_sql(logged, statement)  # the runs table has no guard: only the log can tell
    result = verify(logged)
    assert (result.ok, result.problem) == (False, None)  # the chain itself holds
    assert str(result) == f"run 2 does not match its audit entry 3: {problem}"


def test_verify_names_a_run_whose_model_bytes_were_swapped(logged: Engine) -> None:
    with logged.begin() as connection:
        model = connection.execute(text("SELECT model FROM runs WHERE id = 1")).scalar_one()
        connection.execute(
            text("UPDATE runs SET model = :model WHERE id = 1"), {"model": bytes(model)[:-1]}
        )
    assert str(verify(logged)) == (
        "run 1 does not match its audit entry 1: the sha256 it keeps of its profiles or model "
        "is not theirs"
    )


def test_verify_names_an_altered_refresh_report(
    workspace: Engine, toy_run: NewRun, clock: Clock
) -> None:
    first = record_run(workspace, toy_run, actor="analyst", clock=clock)
    stats = hashlib.sha256(toy_run.profiles.encode()).hexdigest()
    report = NewDocument(
        kind="refresh.json", content='{"highest_id": 2}', personas=[], narratives="",
        versions=Versions(prompt_version="", stats_sha256=stats),
    )  # fmt: skip
    record_run(workspace, toy_run, actor="a", previous_run_id=first, report=report, clock=clock)
    assert verify(workspace).ok
    run_sql(workspace, """UPDATE run_documents SET content = '{"highest_id": 9}'""")
    assert str(verify(workspace)) == (
        "run 2 does not match its audit entry 2: its refresh report (document 1) differs from "
        "the one recorded"
    )


ITEMS = (
    NewReviewItem("segment 0/persona", "persona", 0, "Cash-advance revolvers: ...", "llm"),
    NewReviewItem("segment 1/persona", "persona", 1, "Full-paying transactors: ...", "llm"),
)


@pytest.fixture
def decided(workspace: Engine, toy_run: NewRun, clock: Clock) -> Engine:
    """A run (entry 1), its brief with two items (2), item 1 approved by Ana (3)."""
    run_id = record_run(workspace, toy_run, actor="analyst", clock=clock)
    stats = hashlib.sha256(toy_run.profiles.encode()).hexdigest()
    brief = NewDocument(
        kind="brief.md", content="# Brief\n", personas=[], narratives="gpt-4o-mini",
        versions=Versions("gpt-4o-mini", "c" * 64, stats), items=ITEMS,
    )  # fmt: skip
    record_document(workspace, run_id, brief, actor="analyst", clock=clock)
    first = list_review_items(workspace, run_id)[0]
    approve(workspace, first.id, expected_version=1, reviewer="Ana", comment="ok", clock=clock)
    assert verify(workspace).ok
    return workspace


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        pytest.param(
            "UPDATE review_items SET state = 'rejected' WHERE id = 1",
            "does not match its audit entry 3: its state is 'approved' there and 'rejected' here",
            id="the state",
        ),
        pytest.param(
            "UPDATE review_items SET reviewer = 'Mallory' WHERE id = 1",
            "does not match its audit entry 3: its reviewer is 'Ana' there and 'Mallory' here",
            id="the reviewer",
        ),
        pytest.param(
            "UPDATE review_items SET version = 7 WHERE id = 1",
            "does not match its audit entry 3: its version is 2 there and 7 here",
            id="the version",
        ),
        pytest.param(
            "UPDATE review_items SET text = 'Borrow more!' WHERE id = 1",
            "does not match its audit entry 3: its text is not the text decided on",
            id="the words approved",
        ),
        pytest.param(
            "UPDATE review_items SET state = 'approved', reviewer = 'Mallory', version = 2 "
            "WHERE id = 2",
            "is approved at version 2, but the log has no decision on it",
            id="a decision never logged",
        ),
    ],
)
def test_verify_names_a_review_item_altered_after_its_decision(
    decided: Engine, statement: str, problem: str
) -> None:
    run_sql(decided, statement)
    result = verify(decided)
    assert (result.ok, result.problem) == (False, None)
    item = 1 if "id = 1" in statement else 2
    key = ITEMS[item - 1].item_key
    assert str(result) == f"review item {item} ({key}) of run 1 {problem}"
