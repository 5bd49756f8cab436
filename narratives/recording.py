"""Briefs and personas as the workspace records them: the personas, and a review item for each
persona and each product suggestion (segmenter.workspace.documents); and a run made in the app,
recorded with the personas it shows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from narratives.brief import Brief
from narratives.pack import Pack
from narratives.personas import Persona
from narratives.review import decided, review_items
from narratives.templates import templates_hash
from segmenter.pipeline import Segmentation
from segmenter.refresh.run import Refresh, record_fitted
from segmenter.workspace import (
    Decided,
    decisions,
    record_action,
    record_document,
    run_for_profiles,
)
from segmenter.workspace.audit import Versions
from segmenter.workspace.documents import NewDocument
from segmenter.workspace.runs import profiles_sha256

__all__ = [
    "LoadedSource",
    "brief_document",
    "personas_document",
    "record_export",
    "record_segmentation",
]


@dataclass(frozen=True)
class LoadedSource:
    """The customer file a run was made from, as the workspace records it."""

    name: str
    sha256: str
    rows_read: int
    rows_kept: int


def brief_document(brief: Brief, *, kind: str, content: str) -> NewDocument:
    """The brief to record: `kind` e.g. "brief.md", `content` the text written to the file."""
    return NewDocument(
        kind=kind,
        content=content,
        personas=[section.persona.model_dump(mode="json") for section in brief.sections],
        narratives=brief.narratives,
        versions=Versions(
            model_version=brief.audit.narratives_model,
            prompt_version=brief.audit.templates_sha256,
            stats_sha256=brief.audit.profiles_sha256,
        ),
        items=review_items(
            (section.persona for section in brief.sections),
            decided(review for section in brief.sections for review in section.review),
        ),
    )


def personas_document(
    personas: Sequence[Persona],
    *,
    narratives: str,
    model: str | None,
    stats_sha256: str,
    decided: Mapping[str, Decided] | None = None,
) -> NewDocument:
    """The personas an app session shows, to record for review: `narratives` is who wrote them
    (a model's name, or "rule-based"), `model` the LLM when it wrote some of them, `decided`
    the decisions already made on the same words in the run (carried)."""
    shown = [persona.model_dump(mode="json") for persona in personas]
    return NewDocument(
        kind="personas.json",
        content=json.dumps(shown, indent=2, ensure_ascii=False),
        personas=shown,
        narratives=narratives,
        versions=Versions(model, templates_hash(), stats_sha256),
        items=review_items(personas, decided),
    )


def record_segmentation(
    engine: Engine,
    run: Segmentation,
    personas: Sequence[Persona],
    *,
    narratives: str,
    model: str | None,
    source: LoadedSource,
    settings: dict[str, Any],
    actor: str,
    refresh: tuple[int, Refresh] | None = None,
) -> int:
    """Record a run made in the app, then its personas to review (two transactions: a run
    without its personas is whole, and its personas can be recorded again); the run's id.
    A run already recorded (the same profiles.json) is not recorded twice. With `refresh`
    (the run refreshed against, and the report), it is recorded as that run's refresh."""
    stats = profiles_sha256(run.profile)
    found = run_for_profiles(engine, stats)
    run_id = (
        found.id
        if found is not None
        else record_fitted(
            engine, run, source_name=source.name, source_sha256=source.sha256,
            rows_read=source.rows_read, rows_kept=source.rows_kept, settings=settings,
            actor=actor, previous_run_id=refresh[0] if refresh else None,
            refresh=refresh[1] if refresh else None,
        )
    )  # fmt: skip
    words = [(item.item_key, item.text) for item in review_items(personas)]
    document = personas_document(
        personas, narratives=narratives, model=model, stats_sha256=stats,
        decided=decisions(engine, run_id, words),
    )  # fmt: skip
    record_document(engine, run_id, document, actor=actor)
    return run_id


def record_export(
    engine: Engine,
    run_id: int,
    pack: Pack,
    *,
    kind: str,
    file_name: str,
    content: bytes,
    stats_sha256: str,
    actor: str,
) -> int:
    """Record a campaign pack (or its audience file) handed out from a recorded run as an
    "export" audit entry: what, of which segment, its bytes' hash, and whether every text in
    it was approved; the entry's number."""
    return record_action(
        engine, "export", run_id=run_id, actor=actor,
        details={
            "kind": kind, "segment": pack.segment.id, "file": file_name,
            "sha256": hashlib.sha256(content).hexdigest(), "approved": pack.draft is None,
            "review": {r.item_key: r.state for r in pack.review},
        },
        versions=Versions(
            pack.narratives if pack.persona.source == "llm" else None, templates_hash(),
            stats_sha256,
        ),
    )  # fmt: skip
