"""Runs and review decisions checked against the audit entries that recorded them.

The chain (audit.verify) proves the log was not altered; this proves the records it speaks of
were not either. A run's entry holds what `run_details` computes from the run's row when it is
recorded (its input, settings and the sha256 of its model, assignments and book, its profiles'
as the entry's stats_sha256); `verify` computes it again from the row's contents and names the
first run whose row no longer gives the same. A decided review item must be as its latest
approve or reject entry left it: state, version, reviewer, comment and the sha256 of its text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from segmenter.workspace.schema import AuditEntry, ReviewItem, Run, RunDocument

__all__ = ["Ledger", "first_mismatch", "report_details", "run_details", "sha256_hex"]

DECISIONS = {"approve": "approved", "reject": "rejected"}
# How a sentence names what differs in a run's entry; other keys are named as they are.
WORDS = {
    "source_name": "input file's name",
    "source_sha256": "input file's sha256",
    "rows_read": "rows read",
    "rows_kept": "rows kept",
    "model_sha256": "model (model.skops)",
    "assignments_sha256": "assignments",
    "book_sha256": "book.json",
    "previous_run_id": "previous run",
}
# What an entry recorded before a key was added to `run_details` stood for.
BEFORE = {"engine": "local"}  # every run was fitted on one machine before Spark runs were kept
PLURAL = {"rows_read", "rows_kept", "settings", "assignments_sha256"}


def sha256_hex(data: bytes) -> str:
    """The sha256 of some bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def run_details(row: Run) -> dict[str, Any]:
    """What a run's audit entry records of it, computed from the row's own contents."""
    return {
        "source_name": row.source_name,
        "source_sha256": row.source_sha256,
        "rows_read": row.rows_read,
        "rows_kept": row.rows_kept,
        "algorithm": row.algorithm,
        "k": row.k,
        "seed": row.seed,
        "settings": row.settings,
        "model_sha256": sha256_hex(row.model),
        "assignments_sha256": sha256_hex(row.assignments) if row.assignments else None,
        "book_sha256": sha256_hex(row.book.encode("utf-8")) if row.book is not None else None,
        "previous_run_id": row.previous_run_id,
        "engine": row.engine,
    }


def report_details(document: RunDocument) -> dict[str, Any]:
    """What a refresh's entry records of its report."""
    content_sha256 = sha256_hex(document.content.encode("utf-8"))
    return {"document_id": document.id, "kind": document.kind, "content_sha256": content_sha256}


@dataclass(frozen=True)
class _Entry:
    seq: int
    action: str
    actor: str
    details: dict[str, Any]
    stats_sha256: str | None


@dataclass
class Ledger:
    """What the log says of each run (its first run or refresh entry) and each review item
    (its latest decision), gathered while the chain is walked."""

    runs: dict[int, _Entry] = field(default_factory=dict)
    decisions: dict[int, _Entry] = field(default_factory=dict)

    def note(self, entry: AuditEntry) -> None:
        """Take in one entry of the log, in order."""
        if entry.action not in ("run", "refresh", *DECISIONS):
            return
        noted = _Entry(
            entry.seq, entry.action, entry.actor, json.loads(entry.details), entry.stats_sha256
        )
        if entry.action in DECISIONS:
            self.decisions[int(noted.details["item_id"])] = noted
        elif entry.run_id is not None:
            self.runs.setdefault(entry.run_id, noted)


def first_mismatch(session: Session, ledger: Ledger) -> str | None:
    """The first run, then the first review item, that differs from its entry; in one sentence."""
    for run_id in session.scalars(select(Run.id).order_by(Run.id)).all():
        row = session.get(Run, run_id)
        assert row is not None
        entry = ledger.runs.get(run_id)
        problem = _run_problem(session, row, entry) if entry is not None else None
        session.expunge(row)  # one run's model and assignments in memory at a time
        if problem is not None:
            assert entry is not None
            return f"run {run_id} does not match its audit entry {entry.seq}: {problem}"
    for item in session.scalars(select(ReviewItem).order_by(ReviewItem.id)):
        if (problem := _item_problem(item, ledger.decisions.get(item.id))) is not None:
            return f"review item {item.id} ({item.item_key}) of run {item.run_id} {problem}"
    return None


def _run_problem(session: Session, row: Run, entry: _Entry) -> str | None:
    kind = "segment" if entry.action == "run" else "refresh"
    if row.kind != kind:
        return f"it is recorded as a {kind} run there and as a {row.kind} run here"
    profiles_sha256 = sha256_hex(row.profiles.encode("utf-8"))
    if entry.stats_sha256 != profiles_sha256:
        return "its profiles (profiles.json) differ from those recorded"
    if row.profiles_sha256 != profiles_sha256 or row.model_sha256 != sha256_hex(row.model):
        return "the sha256 it keeps of its profiles or model is not theirs"
    for key, value in run_details(row).items():
        if entry.details.get(key, BEFORE.get(key)) != value:  # otherwise not recorded: None
            verb = "differ from those" if key in PLURAL else "differs from the one"
            return f"its {WORDS.get(key, key)} {verb} recorded"
    if (report := entry.details.get("report")) is not None:
        document = session.get(RunDocument, report["document_id"])
        if document is None or document.run_id != row.id or report_details(document) != report:
            number = report["document_id"]
            return f"its refresh report (document {number}) differs from the one recorded"
    return None


def _item_problem(item: ReviewItem, entry: _Entry | None) -> str | None:
    if entry is None:
        if (item.state, item.version, item.reviewer) != ("draft", 1, None):
            return f"is {item.state} at version {item.version}, but the log has no decision on it"
        return None
    found = {
        "state": (DECISIONS[entry.action], item.state),
        "version": (entry.details["version"], item.version),
        "reviewer": (entry.actor, item.reviewer),
        "comment": (entry.details["comment"], item.comment),
    }
    against = f"does not match its audit entry {entry.seq}"
    for what, (there, here) in found.items():
        if there != here:
            return f"{against}: its {what} is {there!r} there and {here!r} here"
    if entry.details["text_sha256"] != sha256_hex(item.text.encode("utf-8")):
        return f"{against}: its text is not the text decided on"
    return None
