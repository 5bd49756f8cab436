"""Briefs recorded with their run: personas, the rendered text, and one review item per persona
and product suggestion, each a draft until a reviewer decides (review.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from segmenter.errors import InputError
from segmenter.workspace.audit import Clock, Versions, append, utc_now
from segmenter.workspace.db import transaction
from segmenter.workspace.errors import ReviewConflict, UnknownRecord
from segmenter.workspace.review import Decided, decisions_in, log_decision
from segmenter.workspace.schema import ReviewItem, Run, RunDocument

__all__ = ["DocumentRecord", "NewDocument", "NewReviewItem", "latest_document", "record_document"]


@dataclass(frozen=True)
class NewReviewItem:
    """A persona or a product suggestion of one segment, to be approved or rejected."""

    item_key: str  # unique in its document, e.g. "segment 0/persona", "segment 0/product/x"
    kind: Literal["persona", "product"]
    segment_id: int
    text: str
    source: Literal["llm", "rule-based"]
    carried: Decided | None = None  # an earlier decision on these words (review.decisions)


@dataclass(frozen=True)
class NewDocument:
    """A brief of a run, and what it was written with and from."""

    kind: str  # e.g. "brief.md", "brief.html"
    content: str  # the rendered brief
    personas: list[dict[str, Any]]  # one JSON object per segment
    narratives: str  # the LLM's name when it wrote some persona, else "rule-based"
    versions: Versions  # model, prompt templates' sha256, profiles.json's sha256
    items: tuple[NewReviewItem, ...] = ()


@dataclass(frozen=True)
class DocumentRecord:
    """A recorded brief."""

    id: int
    run_id: int
    created_at: datetime
    kind: str
    content: str
    personas: list[dict[str, Any]]
    narratives: str
    versions: Versions


def record_document(
    engine: Engine,
    run_id: int,
    document: NewDocument,
    *,
    actor: str,
    clock: Clock = utc_now,
) -> int:
    """Record a brief of a run with its review items and a "brief" audit entry; its id.

    Refused when the brief was written from other statistics than the run's profiles.json.
    """
    keys = [item.item_key for item in document.items]
    if len(set(keys)) < len(keys):
        raise ValueError("review items of one document need distinct keys")
    with transaction(engine) as session:
        run = session.get(Run, run_id)
        if run is None:
            raise UnknownRecord(f"the workspace has no run {run_id}")
        if document.versions.stats_sha256 != run.profiles_sha256:
            raise InputError(
                f"this brief was written from other statistics than run {run_id}'s "
                "profiles.json; write it again from that run's folder"
            )
        row = document_row(run_id, document, created_at=clock())
        session.add(row)
        session.flush()
        rows = [
            ReviewItem(
                run_id=run_id, document_id=row.id, item_key=item.item_key, kind=item.kind,
                segment_id=item.segment_id, text=item.text, source=item.source, state="draft",
                version=1,
            )
            for item in document.items
        ]  # fmt: skip
        session.add_all(rows)
        session.flush()
        details = {"document_id": row.id, "kind": document.kind, "narratives": row.narratives}
        details["review_items"] = len(document.items)
        append(
            session, action="brief", run_id=run_id, actor=actor, details=details, clock=clock,
            versions=document.versions,
        )  # fmt: skip
        _carry(session, run_id, document.items, rows, at=row.created_at)
        return row.id


def document_row(run_id: int, document: NewDocument, *, created_at: datetime) -> RunDocument:
    """The row a document of run `run_id` is stored as (its review items are rows of their
    own)."""
    return RunDocument(
        run_id=run_id,
        created_at=created_at,
        kind=document.kind,
        content=document.content,
        personas=document.personas,
        narratives=document.narratives,
        model_version=document.versions.model_version,
        prompt_version=document.versions.prompt_version,
        stats_sha256=document.versions.stats_sha256,
    )


def _carry(
    session: Session,
    run_id: int,
    items: tuple[NewReviewItem, ...],
    rows: list[ReviewItem],
    *,
    at: datetime,
) -> None:
    """Give the new items the earlier decisions the brief was written with, each logged as a
    decision of its own; ReviewConflict when one changed meanwhile (the brief says otherwise)."""
    carried = [(item, row) for item, row in zip(items, rows, strict=True) if item.carried]
    if not carried:
        return
    now = decisions_in(session, run_id, ((item.item_key, item.text) for item, _ in carried))
    for item, row in carried:
        was = item.carried
        assert was is not None
        if now.get(item.item_key) != was:
            raise ReviewConflict(
                f"{item.item_key} was decided again while the brief was written: write it again"
            )
        row.state, row.reviewer, row.comment = was.state, was.reviewer, was.comment
        row.decided_at, row.version = was.decided_at, 2
        session.flush()
        log_decision(session, row, actor=was.reviewer, at=at, carried_from=was.item_id)


def latest_document(
    engine: Engine, run_id: int, *, kind: str | None = None
) -> DocumentRecord | None:
    """The brief of a run recorded last (of one kind, if given); None when it has none."""
    query = select(RunDocument).where(RunDocument.run_id == run_id)
    if kind is not None:
        query = query.where(RunDocument.kind == kind)
    with transaction(engine) as session:
        row = session.scalars(query.order_by(RunDocument.id.desc()).limit(1)).first()
        if row is None:
            return None
        return DocumentRecord(
            id=row.id,
            run_id=row.run_id,
            created_at=row.created_at,
            kind=row.kind,
            content=row.content,
            personas=row.personas,
            narratives=row.narratives,
            versions=Versions(row.model_version, row.prompt_version, row.stats_sha256),
        )
