"""The audit log: each recorded action appended in the same transaction as the action itself.

Each entry's hash is the sha256 of the canonical JSON of all its other columns, its `prev_hash`
(the entry before's hash; 64 zeros for the first) included. Altering an entry breaks its own
hash; removing or reordering entries breaks the numbering or the next entry's link. Only the
newest entries can go unnoticed if the log is cut short, and not then while their runs remain
(each run has its entry): `verify` reports the head hash to note elsewhere for that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, exists, func, select
from sqlalchemy.orm import Session

from segmenter.workspace.crosscheck import Ledger, first_mismatch
from segmenter.workspace.db import transaction
from segmenter.workspace.schema import AuditEntry, Run

__all__ = [
    "ACTIONS",
    "GENESIS",
    "AuditRecord",
    "Clock",
    "VerifyResult",
    "Versions",
    "append",
    "canonical_json",
    "entry_hash",
    "list_audit",
    "record_action",
    "utc_now",
    "verify",
]

Clock = Callable[[], datetime]
GENESIS = "0" * 64
ACTIONS = ("run", "refresh", "brief", "approve", "reject", "export")
RUN_ACTIONS = ("run", "refresh")  # the entry every run is recorded with
_LOCK = 0x5E6_A0D1  # PostgreSQL advisory lock: appenders queue, so the chain never forks


def utc_now() -> datetime:
    """The system clock in UTC: the default `clock`, at the edge of each public function."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Versions:
    """What a text was written with and from: model, prompt templates, statistics."""

    model_version: str | None = None  # the LLM's name; None where no LLM wrote text
    prompt_version: str | None = None  # sha256 of the prompt templates
    stats_sha256: str | None = None  # sha256 of the profiles.json the text was written from


@dataclass(frozen=True)
class AuditRecord:
    """One entry as read back."""

    seq: int
    at: datetime
    action: str
    run_id: int | None
    actor: str
    details: dict[str, Any]
    versions: Versions
    prev_hash: str
    hash: str


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def entry_hash(entry: AuditEntry) -> str:
    """The sha256 of an entry's columns, its link to the entry before included."""
    if entry.at.tzinfo is None:
        raise ValueError(f"audit entry {entry.seq}: a time without a time zone")
    fields = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "action": entry.action,
        "run_id": entry.run_id,
        "actor": entry.actor,
        "details": entry.details,
        "model_version": entry.model_version,
        "prompt_version": entry.prompt_version,
        "stats_sha256": entry.stats_sha256,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def append(
    session: Session,
    *,
    action: str,
    run_id: int | None,
    actor: str,
    details: Mapping[str, Any],
    clock: Clock,
    versions: Versions = Versions(),
) -> AuditEntry:
    """Append an entry in the session's transaction: it commits, or vanishes, with the action."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {', '.join(ACTIONS)}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_LOCK)))
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    entry = AuditEntry(
        seq=last.seq + 1 if last else 1,
        at=clock(),
        action=action,
        run_id=run_id,
        actor=actor,
        details=canonical_json(dict(details)),
        model_version=versions.model_version,
        prompt_version=versions.prompt_version,
        stats_sha256=versions.stats_sha256,
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def record_action(
    engine: Engine,
    action: str,
    *,
    run_id: int | None,
    actor: str,
    details: Mapping[str, Any],
    versions: Versions = Versions(),
    clock: Clock = utc_now,
) -> int:
    """Record an action that writes nothing else to the workspace (e.g. an export); its seq."""
    with transaction(engine) as session:
        entry = append(
            session, action=action, run_id=run_id, actor=actor, details=details,
            clock=clock, versions=versions,
        )  # fmt: skip
        return entry.seq


def list_audit(engine: Engine, *, run_id: int | None = None) -> list[AuditRecord]:
    """The entries in order, all of them or those of one run."""
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if run_id is not None:
        query = query.where(AuditEntry.run_id == run_id)
    with transaction(engine) as session:
        return [_record(entry) for entry in session.scalars(query)]


def _record(entry: AuditEntry) -> AuditRecord:
    return AuditRecord(
        seq=entry.seq,
        at=entry.at,
        action=entry.action,
        run_id=entry.run_id,
        actor=entry.actor,
        details=json.loads(entry.details),
        versions=Versions(entry.model_version, entry.prompt_version, entry.stats_sha256),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of `verify`: intact, or the first broken link and what is wrong there."""

    entries: int  # entries read
    head_hash: str | None  # the last entry's hash: note it elsewhere to detect a cut-off end
    broken_seq: int | None = None  # the first entry that is missing, altered or out of place
    problem: str | None = None
    # With every link holding: the first run or review item that differs from its entry.
    mismatch: str | None = None

    @property
    def ok(self) -> bool:
        """True when every link holds and every run and decision is as its entry says."""
        return self.problem is None and self.mismatch is None

    def __str__(self) -> str:
        if self.problem is not None:
            return f"audit log broken at entry {self.broken_seq}: {self.problem}"
        if self.mismatch is not None:
            return self.mismatch
        if not self.entries:
            return "audit log intact: no entries yet"
        entries = "1 entry" if self.entries == 1 else f"{self.entries:,} entries"
        return f"audit log intact: {entries}, the last hash {self.head_hash}"


def verify(engine: Engine) -> VerifyResult:
    """Walk the log from its first entry; name the first entry that is missing or altered,
    else the first run or review item that no longer matches its entry (crosscheck)."""
    ledger = Ledger()
    with transaction(engine) as session:
        result = _walk(session, ledger)
        if result.ok and (mismatch := first_mismatch(session, ledger)) is not None:
            result = replace(result, mismatch=mismatch)
    return result


def _walk(session: Session, ledger: Ledger) -> VerifyResult:
    """The chain's links, and every run's entry; each entry noted in `ledger`."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        if entry.seq != expected_seq:  # seq is the key: only a gap is possible
            problem = f"it is missing (entry {entry.seq} follows entry {expected_seq - 1})"
            return VerifyResult(count, prev_hash, expected_seq, problem)
        try:
            intact = entry_hash(entry) == entry.hash
        except ValueError:
            intact = False
        if not intact:
            problem = "its contents do not match its hash: it was altered, or moved here"
            return VerifyResult(count, prev_hash, entry.seq, problem)
        if entry.prev_hash != prev_hash:
            problem = (
                f"it does not link to entry {entry.seq - 1} as recorded: the entry before "
                "it was removed or replaced"
            )
            return VerifyResult(count, prev_hash, entry.seq, problem)
        ledger.note(entry)
        expected_seq, prev_hash, count = entry.seq + 1, entry.hash, count + 1
    unrecorded = session.scalar(
        select(Run.id)
        .where(~exists().where(AuditEntry.run_id == Run.id, AuditEntry.action.in_(RUN_ACTIONS)))
        .order_by(Run.id)
        .limit(1)
    )
    head = prev_hash if count else None
    if unrecorded is not None:
        problem = f"it is missing: run {unrecorded} has no audit entry (the log was cut short)"
        return VerifyResult(count, head, expected_seq, problem)
    return VerifyResult(count, head)
