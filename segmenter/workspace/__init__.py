"""The workspace: every run, brief and review decision recorded in a database, with an audit log.

    >>> from segmenter.workspace import database_url_from_env, open_workspace, record_run
    >>> engine = open_workspace(database_url_from_env())   # migrated to this version's schema
    >>> run_id = record_run(engine, new_run(...), actor="analyst")

SQLite in a workspace folder by default, PostgreSQL for a team (SEGMENTER_DATABASE_URL); see db.
Functions take the engine, and a `clock` where they stamp times; none reads the environment but
`database_url_from_env`. Errors meant for the user are InputErrors (errors.py).
"""

from __future__ import annotations

from segmenter.workspace.audit import (
    AuditRecord,
    Clock,
    VerifyResult,
    Versions,
    list_audit,
    record_action,
    utc_now,
    verify,
)
from segmenter.workspace.db import (
    DATABASE_URL_ENV,
    WORKSPACE_ENV,
    create_workspace_engine,
    current_revision,
    database_url_from_env,
    head_revision,
    migrate,
    open_workspace,
    shown_url,
    sqlite_url,
)
from segmenter.workspace.documents import (
    DocumentRecord,
    NewDocument,
    NewReviewItem,
    latest_document,
    record_document,
)
from segmenter.workspace.errors import ReviewConflict, UnknownRecord, WorkspaceUnavailable
from segmenter.workspace.review import (
    Decided,
    ReviewItemView,
    approve,
    decisions,
    list_review_items,
    reject,
    review_stamp,
)
from segmenter.workspace.runs import (
    NewRun,
    RunRecord,
    RunSummary,
    file_sha256,
    new_run,
    new_run_from_dir,
    path_sha256,
)
from segmenter.workspace.store import (
    get_run,
    latest_run,
    list_runs,
    record_run,
    run_for_profiles,
    run_profile,
)

__all__ = [
    "DATABASE_URL_ENV",
    "WORKSPACE_ENV",
    "AuditRecord",
    "Clock",
    "Decided",
    "DocumentRecord",
    "NewDocument",
    "NewReviewItem",
    "NewRun",
    "ReviewConflict",
    "ReviewItemView",
    "RunRecord",
    "RunSummary",
    "UnknownRecord",
    "VerifyResult",
    "Versions",
    "WorkspaceUnavailable",
    "approve",
    "create_workspace_engine",
    "current_revision",
    "database_url_from_env",
    "decisions",
    "file_sha256",
    "get_run",
    "head_revision",
    "latest_document",
    "latest_run",
    "list_audit",
    "list_review_items",
    "list_runs",
    "migrate",
    "new_run",
    "new_run_from_dir",
    "open_workspace",
    "path_sha256",
    "record_action",
    "record_document",
    "record_run",
    "reject",
    "review_stamp",
    "run_for_profiles",
    "run_profile",
    "shown_url",
    "sqlite_url",
    "utc_now",
    "verify",
]
