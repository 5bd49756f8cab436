"""A monthly refresh, end to end: read the previous run's folder, match and relabel the new
run, and the files that say what changed.

The previous run is a folder `segmenter segment` wrote: model.skops, assignments.csv,
profiles.json and book.json (the book's bins for drift; a run without it is refreshed without
drift, and says so); or a run recorded in the workspace, with the same parts (previous.py). A
refreshed run's folder holds the same files, so it can be the previous run of the next month,
plus:

- refresh.json: how every segment was matched (status and evidence), what became of every
  previous segment, the drift of every feature, the persona diff, and the highest segment id
  ever used (fresh ids go above it: a retired id is never reused);
- migration.csv: customers from each previous segment to each new one (long form);
- drift.csv: the population stability index of every feature, and its level.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from segmenter.errors import InputError
from segmenter.files import Content, csv_content
from segmenter.model.fitted import assignment_table
from segmenter.pipeline import Segmentation
from segmenter.refresh.diff import RunDiff, persona_diff
from segmenter.refresh.drift import BOOK_FILE, DriftReport, feature_drift
from segmenter.refresh.match import Matching, match_segments
from segmenter.refresh.migration import Migration, migration
from segmenter.refresh.previous import (
    LATEST,
    REFRESH_DOCUMENT,
    REFRESH_FILE,
    PreviousRun,
    previous_from_record,
    read_previous,
    recorded_previous,
)
from segmenter.refresh.relabel import relabel_run
from segmenter.workspace import (
    NewDocument,
    NewRun,
    Versions,
    get_run,
    latest_document,
    new_run,
    record_run,
)

__all__ = [
    "BOOK_FILE",
    "LATEST",
    "REFRESH_DOCUMENT",
    "REFRESH_FILE",
    "REFRESH_FILES",
    "PreviousRun",
    "RecordedRefresh",
    "Refresh",
    "previous_from_record",
    "read_previous",
    "record_fitted",
    "recorded_previous",
    "recorded_refresh",
    "refresh_document",
    "refresh_files",
    "refresh_lines",
    "refresh_run",
]

# The files only a refreshed run has: removed when a folder is written by a run that is not one.
REFRESH_FILES = (REFRESH_FILE, "migration.csv", "drift.csv")


class Refresh(BaseModel):
    """What a refresh found; written as refresh.json (the matrix also as migration.csv)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    previous: str
    matching: Matching
    diff: RunDiff
    drift: DriftReport | None
    highest_id: int
    customers_in_both: int
    customers_left: int
    customers_joined: int


def refresh_run(
    run: Segmentation, frame: pl.DataFrame, previous: PreviousRun
) -> tuple[Segmentation, Refresh, Migration]:
    """The new run (of `frame`) with last month's ids and names where its segments match, and
    what changed: the matching, the persona diff, the drift and the migration."""
    matching = match_segments(
        previous.model,
        previous.assignments,
        run.model,
        frame,
        run.labels,
        first_fresh_id=previous.highest_id + 1,
    )
    refreshed = relabel_run(run, matching, previous.profile)
    now = assignment_table(
        refreshed.customer_ids, refreshed.labels, refreshed.model.names, refreshed.confidence
    )
    moved = migration(previous.assignments, now)
    final = [m.final_id for m in matching.segments]
    refresh = Refresh(
        previous=previous.source,
        matching=matching,
        diff=persona_diff(previous.profile, run.profile, matching),
        drift=feature_drift(previous.book, frame) if previous.book is not None else None,
        highest_id=max([previous.highest_id, *final]),
        customers_in_both=moved.customers_in_both,
        customers_left=moved.customers_left,
        customers_joined=moved.customers_joined,
    )
    return refreshed, refresh, moved


def refresh_files(refresh: Refresh, moved: Migration) -> dict[str, Content]:
    """refresh.json, migration.csv and drift.csv of a refresh (spreadsheet-safe CSV)."""
    files = {
        REFRESH_FILE: (refresh.model_dump_json(indent=2) + "\n").encode(),
        "migration.csv": csv_content(moved.matrix),
    }
    if refresh.drift is not None:
        drift = pl.DataFrame(
            [
                {"feature": f.feature, "psi": f.psi, "level": f.level, "sentence": f.sentence}
                for f in refresh.drift.features
            ]
        )
        files["drift.csv"] = csv_content(drift)
    return files


def refresh_lines(refresh: Refresh) -> list[str]:
    """What a refresh found, in the words the command line prints."""
    lines = [
        f"Refreshed against {refresh.previous}: {refresh.customers_in_both:,} customers in both "
        f"runs, {refresh.customers_left:,} left, {refresh.customers_joined:,} joined "
        f"(compared by {refresh.matching.basis})."
    ]
    for m in sorted(refresh.matching.segments, key=lambda m: m.final_id):
        evidence = ", ".join(
            part
            for part in (
                f"customer overlap {m.overlap:.1%}" if m.overlap is not None else "",
                f"its centre moved {m.centre_shift:.0%} of the way to the nearest other segment"
                if m.centre_shift is not None
                else "",
            )
            if part
        )
        what = {
            "matched": f"kept from last run ({evidence})",
            "new": "new",
            "split": f"split from segment {', '.join(map(str, m.previous))} ({evidence})",
            "merged": f"merged from segments {', '.join(map(str, m.previous))} ({evidence})",
        }[m.status]
        lines.append(f"  segment {m.final_id} {m.name}: {what}")
    lines.extend(f"  {sentence}" for sentence in refresh.diff.gone)
    if refresh.drift is None:
        lines.append(
            f"Drift not measured: {refresh.previous} has no {BOOK_FILE} (a run of an earlier "
            "version)."
        )
    elif moved := refresh.drift.flagged():
        lines.extend(f"Drift: {f.sentence}" for f in moved)
    else:
        lines.append("No feature drifted: every population stability index is under 0.1.")
    return lines


def refresh_document(refresh: Refresh, run: NewRun) -> NewDocument:
    """A refresh as the workspace records it with its run (no text to review)."""
    return NewDocument(
        kind=REFRESH_DOCUMENT,
        content=refresh.model_dump_json(indent=2),
        personas=[],
        narratives="",
        # No model and no prompt templates wrote it: only the statistics it compares.
        versions=Versions(
            prompt_version="",
            stats_sha256=hashlib.sha256(run.profiles.encode("utf-8")).hexdigest(),
        ),
    )


def record_fitted(
    engine: Engine,
    run: Segmentation,
    *,
    source_name: str,
    source_sha256: str,
    rows_read: int,
    rows_kept: int,
    settings: dict[str, Any],
    actor: str,
    previous_run_id: int | None = None,
    refresh: Refresh | None = None,
) -> int:
    """Record a run fitted in this process (its profile, model, assignments and book) and, as
    the refresh of recorded run `previous_run_id`, its `refresh` report, in one transaction;
    the run's id. Without `previous_run_id` the report is not recorded."""
    table = assignment_table(run.customer_ids, run.labels, run.model.names, run.confidence)
    record = new_run(
        run.profile, run.model, table, source_name=source_name, source_sha256=source_sha256,
        rows_read=rows_read, rows_kept=rows_kept, settings=settings, book=run.book,
    )  # fmt: skip
    report = None
    if refresh is not None and previous_run_id is not None:
        report = refresh_document(refresh, record)
    return record_run(engine, record, actor=actor, previous_run_id=previous_run_id, report=report)


@dataclass(frozen=True)
class RecordedRefresh:
    """A refresh as the workspace holds it: what it found, and where customers went."""

    run_id: int
    previous_run_id: int
    refresh: Refresh | None  # None when it was recorded without one
    migration: Migration | None  # None when either run's assignments were not kept


def recorded_refresh(engine: Engine, run_id: int) -> RecordedRefresh:
    """The refresh of a recorded run; an InputError when the run is not a refresh."""
    run = get_run(engine, run_id)
    if run.previous_run_id is None:
        raise InputError(f"run {run_id} is not a refresh of an earlier run")
    before, now = get_run(engine, run.previous_run_id).assignments(), run.assignments()
    document = latest_document(engine, run_id, kind=REFRESH_DOCUMENT)
    return RecordedRefresh(
        run_id=run_id,
        previous_run_id=run.previous_run_id,
        refresh=Refresh.model_validate_json(document.content) if document else None,
        migration=migration(before, now) if before is not None and now is not None else None,
    )
