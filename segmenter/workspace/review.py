"""Review states of personas and product suggestions, with optimistic locking.

Each item carries a version, 1 when written and one more at each decision. A decision names
the version it was made from; when someone decided the item meanwhile, the version has moved
on and the decision is refused with ReviewConflict, rather than silently overwriting theirs.
The check is the UPDATE's own WHERE clause, so it holds between processes and servers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from sqlalchemy import CursorResult, Engine, func, select, update
from sqlalchemy.orm import Session

from segmenter.workspace.audit import Clock, Versions, append, utc_now
from segmenter.workspace.db import transaction
from segmenter.workspace.errors import ReviewConflict, UnknownRecord
from segmenter.workspace.schema import AuditEntry, ReviewItem, RunDocument

__all__ = [
    "STATES",
    "Decided",
    "ReviewItemView",
    "approve",
    "decisions",
    "list_review_items",
    "reject",
    "review_stamp",
]

STATES = ("draft", "approved", "rejected")
Decision = Literal["approved", "rejected"]


@dataclass(frozen=True)
class ReviewItemView:
    """A review item as read: decide on it with its `version`."""

    id: int
    run_id: int
    document_id: int
    item_key: str
    kind: str
    segment_id: int
    text: str
    source: str
    state: str
    reviewer: str | None
    comment: str | None
    decided_at: datetime | None
    version: int


@dataclass(frozen=True)
class Decided:
    """The latest decision on an item of a run with a given key and text: what a brief
    written again from the same run, with the same words, carries over."""

    item_id: int
    state: Decision
    reviewer: str
    comment: str | None
    decided_at: datetime


def decisions(engine: Engine, run_id: int, items: Iterable[tuple[str, str]]) -> dict[str, Decided]:
    """For each (item key, text) of a brief about to be written from run `run_id`, the latest
    decision on an item of that run with the same key and the same text; undecided keys are
    left out. A decision is about words: other text under the same key carries nothing."""
    with transaction(engine) as session:
        return decisions_in(session, run_id, items)


def decisions_in(
    session: Session, run_id: int, items: Iterable[tuple[str, str]]
) -> dict[str, Decided]:
    """`decisions`, inside a transaction already open."""
    texts = dict(items)
    if not texts:
        return {}
    decided = session.scalars(
        select(ReviewItem)
        .where(
            ReviewItem.run_id == run_id,
            ReviewItem.state != "draft",
            ReviewItem.item_key.in_(list(texts)),
        )
        .order_by(ReviewItem.decided_at, ReviewItem.id)
    )
    found: dict[str, Decided] = {}
    for item in decided:  # oldest first: the latest decision on the same words wins
        if item.text == texts[item.item_key]:
            reviewer, decided_at = item.reviewer or "", item.decided_at
            assert decided_at is not None  # a decided item has its time
            found[item.item_key] = Decided(
                item.id, cast(Decision, item.state), reviewer, item.comment, decided_at
            )
    return found


def review_stamp(engine: Engine, run_id: int) -> int:
    """A number that changes whenever a brief or a decision is recorded for the run (its
    latest audit entry): what a cached export of the run's review states is keyed on."""
    with transaction(engine) as session:
        latest = session.scalar(select(func.max(AuditEntry.seq)).where(AuditEntry.run_id == run_id))
        return int(latest or 0)


def _view(item: ReviewItem) -> ReviewItemView:
    return ReviewItemView(
        **{name: getattr(item, name) for name in ReviewItemView.__dataclass_fields__}
    )


def list_review_items(
    engine: Engine,
    run_id: int,
    *,
    document_id: int | None = None,
    state: str | None = None,
) -> list[ReviewItemView]:
    """The items of a run's latest brief (or of `document_id`), by segment then key."""
    if state is not None and state not in STATES:
        raise ValueError(f"unknown review state {state!r}; one of {', '.join(STATES)}")
    with transaction(engine) as session:
        if document_id is None:
            document_id = session.scalar(
                select(func.max(RunDocument.id)).where(RunDocument.run_id == run_id)
            )
        query = select(ReviewItem).where(
            ReviewItem.run_id == run_id, ReviewItem.document_id == document_id
        )
        if state is not None:
            query = query.where(ReviewItem.state == state)
        items = session.scalars(query.order_by(ReviewItem.segment_id, ReviewItem.item_key))
        return [_view(item) for item in items]


def approve(
    engine: Engine,
    item_id: int,
    *,
    expected_version: int,
    reviewer: str,
    comment: str | None = None,
    clock: Clock = utc_now,
) -> ReviewItemView:
    """Approve an item as seen at `expected_version`; ReviewConflict when it has moved on."""
    return _decide(engine, item_id, "approved", expected_version, reviewer, comment, clock)


def reject(
    engine: Engine,
    item_id: int,
    *,
    expected_version: int,
    reviewer: str,
    comment: str | None = None,
    clock: Clock = utc_now,
) -> ReviewItemView:
    """Reject an item as seen at `expected_version`; ReviewConflict when it has moved on."""
    return _decide(engine, item_id, "rejected", expected_version, reviewer, comment, clock)


def _decide(
    engine: Engine,
    item_id: int,
    state: Decision,
    expected_version: int,
    reviewer: str,
    comment: str | None,
    clock: Clock,
) -> ReviewItemView:
    """Decide an item and append the audit entry, in one transaction."""
    with transaction(engine) as session:
        now = clock()
        changed = session.execute(
            update(ReviewItem)
            .where(ReviewItem.id == item_id, ReviewItem.version == expected_version)
            .values(
                state=state,
                reviewer=reviewer,
                comment=comment,
                decided_at=now,
                version=ReviewItem.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        item = session.get(ReviewItem, item_id, populate_existing=True)
        if item is None:
            raise UnknownRecord(f"the workspace has no review item {item_id}")
        if not isinstance(changed, CursorResult) or changed.rowcount != 1:
            by = f" by {item.reviewer}" if item.reviewer else ""
            raise ReviewConflict(
                f"review item {item_id} ({item.item_key}) was changed{by} after version "
                f"{expected_version}: it is now {item.state} at version {item.version}; "
                "reload it and decide again"
            )
        log_decision(session, item, actor=reviewer, at=now)
        return _view(item)


def log_decision(
    session: Session, item: ReviewItem, *, actor: str, at: datetime, carried_from: int | None = None
) -> None:
    """Append the audit entry of a decision on `item` as it now stands (decided at `at`):
    its state, version and the hash of its words; `carried_from` names the item of an earlier
    brief whose decision it carries."""
    document = session.get(RunDocument, item.document_id)
    assert document is not None  # a foreign key
    details: dict[str, object] = {
        "item_id": item.id,
        "item_key": item.item_key,
        "document_id": item.document_id,
        "version": item.version,
        "comment": item.comment,
        "text_sha256": hashlib.sha256(item.text.encode("utf-8")).hexdigest(),
    }
    if carried_from is not None:
        details["carried_from"] = carried_from
    append(
        session,
        action="approve" if item.state == "approved" else "reject",
        run_id=item.run_id,
        actor=actor,
        details=details,
        clock=lambda: at,
        versions=Versions(document.model_version, document.prompt_version, document.stats_sha256),
    )
