"""Recording runs and reading them back. A run, its refresh report if it is a refresh, and its
audit entry are written in one transaction: an interrupted or failed record leaves none."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from segmenter.results import RunProfile
from segmenter.workspace.audit import Clock, Versions, append, utc_now
from segmenter.workspace.crosscheck import report_details, run_details, sha256_hex
from segmenter.workspace.db import transaction
from segmenter.workspace.documents import NewDocument, document_row
from segmenter.workspace.errors import UnknownRecord
from segmenter.workspace.runs import NewRun, RunRecord, RunSummary
from segmenter.workspace.schema import Run, RunDocument

__all__ = ["get_run", "latest_run", "list_runs", "record_run", "run_for_profiles"]

SUMMARY = (
    Run.id, Run.created_at, Run.kind, Run.status, Run.source_name, Run.source_sha256,
    Run.rows_read, Run.rows_kept, Run.algorithm, Run.k, Run.seed, Run.profiles_sha256,
    Run.model_sha256, Run.previous_run_id, Run.engine,
)  # fmt: skip


def _software() -> str:
    try:
        return version("card-segmenter")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def record_run(
    engine: Engine,
    run: NewRun,
    *,
    actor: str,
    previous_run_id: int | None = None,
    report: NewDocument | None = None,
    clock: Clock = utc_now,
) -> int:
    """Record a run and its audit entry ("run", or "refresh" of `previous_run_id`, with the
    refresh's `report` when given) in one transaction: all of it, or nothing; its id.

    Run ids are integers from 1, given by the database in the order runs are recorded.
    """
    if report is not None and (previous_run_id is None or report.items):
        raise ValueError("a report is a refresh's, with nothing to review")
    with transaction(engine) as session:
        if previous_run_id is not None and session.get(Run, previous_run_id) is None:
            raise UnknownRecord(f"the workspace has no run {previous_run_id} to refresh")
        row = _run_row(run, previous_run_id, clock)
        session.add(row)
        session.flush()  # the id
        details = run_details(row) | {"software": _software()}
        if report is not None:
            details["report"] = report_details(_add_report(session, row, report, clock))
        append(
            session, action="run" if row.kind == "segment" else "refresh", run_id=row.id,
            actor=actor, details=details, clock=clock,
            versions=Versions(stats_sha256=row.profiles_sha256),
        )  # fmt: skip
        return row.id


def _run_row(run: NewRun, previous_run_id: int | None, clock: Clock) -> Run:
    profile = run.profile
    return Run(
        created_at=clock(),
        kind="segment" if previous_run_id is None else "refresh",
        status="complete",
        source_name=run.source_name,
        source_sha256=run.source_sha256,
        rows_read=run.rows_read,
        rows_kept=run.rows_kept,
        algorithm=profile.algorithm,
        k=profile.k,
        seed=profile.seed,
        settings=run.settings,
        metrics=profile.metrics.model_dump(mode="json"),
        profiles=run.profiles,
        profiles_sha256=sha256_hex(run.profiles.encode("utf-8")),
        model=run.model,
        model_sha256=sha256_hex(run.model),
        assignments=run.assignments,
        book=run.book,
        previous_run_id=previous_run_id,
        engine=run.engine,
    )


def _add_report(session: Session, run: Run, report: NewDocument, clock: Clock) -> RunDocument:
    """A refresh's report, as a document of its run (no review items: nothing to approve)."""
    if report.versions.stats_sha256 != run.profiles_sha256:
        raise ValueError("a refresh report compares the statistics of its own run")
    document = document_row(run.id, report, created_at=clock())
    session.add(document)
    session.flush()
    return document


def get_run(engine: Engine, run_id: int) -> RunRecord:
    """A recorded run, whole; UnknownRecord when there is none of that id."""
    with transaction(engine) as session:
        row = session.get(Run, run_id)
        if row is None:
            raise UnknownRecord(f"the workspace has no run {run_id}")
        return _record(row)


def run_profile(engine: Engine, run_id: int) -> RunProfile:
    """A recorded run's profile alone (its segments' names and figures), without reading its
    model and assignments; UnknownRecord when there is no such run."""
    with transaction(engine) as session:
        text = session.scalar(select(Run.profiles).where(Run.id == run_id))
        if text is None:
            raise UnknownRecord(f"the workspace has no run {run_id}")
        return RunProfile.model_validate_json(text)


def latest_run(engine: Engine) -> RunRecord | None:
    """The run recorded last, whole; None in an empty workspace."""
    with transaction(engine) as session:
        row = session.scalars(select(Run).order_by(Run.id.desc()).limit(1)).first()
        return None if row is None else _record(row)


def list_runs(engine: Engine, *, limit: int | None = None) -> list[RunSummary]:
    """Recorded runs, newest first, without their profiles, models and assignments."""
    with transaction(engine) as session:
        rows = session.execute(select(*SUMMARY).order_by(Run.id.desc()).limit(limit))
        return [RunSummary(**row._asdict()) for row in rows]


def run_for_profiles(engine: Engine, profiles_sha256: str) -> RunSummary | None:
    """The latest run whose profiles.json has this sha256 (a brief's `audit.profiles_sha256`)."""
    with transaction(engine) as session:
        row = session.execute(
            select(*SUMMARY)
            .where(Run.profiles_sha256 == profiles_sha256)
            .order_by(Run.id.desc())
            .limit(1)
        ).first()
        return None if row is None else RunSummary(**row._asdict())


def _record(row: Run) -> RunRecord:
    summary = {column.key: getattr(row, column.key) for column in SUMMARY}
    return RunRecord(
        **summary,
        settings=row.settings,
        metrics=row.metrics,
        profiles=row.profiles,
        model_bytes=row.model,
        assignments_parquet=row.assignments,
        book_json=row.book,
    )
