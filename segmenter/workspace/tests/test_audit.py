"""The audit log: append-only, hash-chained; verify names the first broken link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from segmenter.workspace import NewRun, list_audit, record_action, record_run, verify
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
