"""The workspace database: its URL from the environment, an engine, and migration on open.

The embedded default is a SQLite file in a workspace folder, so nothing needs setting up;
SEGMENTER_DATABASE_URL points a team at PostgreSQL. Opening a workspace migrates it to this
version's schema (Alembic, with the scripts shipped inside the package), so a workspace written
by an older version is brought up to date on open; one written by a newer version is refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, func, make_url, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from segmenter.workspace.errors import WorkspaceUnavailable

if TYPE_CHECKING:  # Alembic is imported where a workspace is opened: listing runs needs none
    from alembic.script import ScriptDirectory

__all__ = [
    "DATABASE_FILE",
    "DATABASE_URL_ENV",
    "WORKSPACE_ENV",
    "create_workspace_engine",
    "current_revision",
    "database_url_from_env",
    "head_revision",
    "migrate",
    "open_workspace",
    "shown_url",
    "sqlite_url",
    "transaction",
]

DATABASE_URL_ENV = "SEGMENTER_DATABASE_URL"
WORKSPACE_ENV = "SEGMENTER_WORKSPACE"
DATABASE_FILE = "workspace.sqlite3"
APP_NAME = "card-segmenter"
MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_S = 5  # a server that does not answer: say so, rather than wait minutes
MIGRATION_LOCK = 0x5E6_D8A1  # PostgreSQL advisory lock held while migrating
SQLITE_BUSY_TIMEOUT_S = 15.0  # another process writing to the same workspace file: wait


def database_url_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The workspace's database URL, the one place the environment is read for it.

    SEGMENTER_DATABASE_URL when set (e.g. postgresql://user:password@host/segmenter);
    otherwise a SQLite file in SEGMENTER_WORKSPACE, or in the user's data directory.
    """
    env = os.environ if environ is None else environ
    if url := env.get(DATABASE_URL_ENV, "").strip():
        return url
    if folder := env.get(WORKSPACE_ENV, "").strip():
        return sqlite_url(Path(folder).expanduser().absolute())
    from platformdirs import user_data_dir

    return sqlite_url(Path(user_data_dir(APP_NAME, appauthor=False)))


def sqlite_url(folder: Path) -> str:
    """The URL of the workspace file in `folder`."""
    return URL.create("sqlite", database=str(folder / DATABASE_FILE)).render_as_string()


def shown_url(url: str | URL) -> str:
    """The URL as it may be printed: its password, if any, replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a database URL that cannot be read)"  # nor its password hidden


def _parsed(url: str) -> URL:
    """The URL, with PostgreSQL driven by psycopg 3 (the driver installed with the package)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not echoed: a URL that cannot be parsed cannot have its password hidden either.
        raise WorkspaceUnavailable(
            f"the workspace database URL is not one (set {DATABASE_URL_ENV} to e.g. "
            "postgresql://user:password@host:5432/segmenter)"
        ) from None
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_workspace_engine(url: str) -> Engine:
    """An engine for the workspace at `url`, without connecting: SQLite with foreign keys on."""
    parsed = _parsed(url)
    if parsed.get_backend_name() != "sqlite":
        if parsed.drivername != "postgresql+psycopg":
            raise WorkspaceUnavailable(
                f"the workspace database {shown_url(parsed)} is of a kind this program does not "
                "keep workspaces in; use postgresql:// (or a SQLite file)"
            )
        return create_engine(parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise WorkspaceUnavailable(
                f"the workspace folder {folder} cannot be created ({error.strerror}); "
                f"set {WORKSPACE_ENV} to a folder you can write to"
            ) from None
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, begins transactions (below), so DDL is transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")  # SQLite leaves them off on every connection
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Take the write lock at the start: two writers queue instead of both reading the audit
    # log's last entry and one failing (or forking the chain) when it comes to write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    """The schema revision this version of the package writes."""
    head = _script().get_current_head()
    assert head is not None  # the package ships its migrations
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database; None for an empty one."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision` in one transaction (a failure changes nothing)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # two first opens: one migrates, one waits
            connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        config.attributes["connection"] = connection  # env.py migrates over this connection
        command.upgrade(config, revision)


def open_workspace(url: str) -> Engine:
    """Connect to the workspace at `url` and migrate it to this version's schema.

    Raises WorkspaceUnavailable, in one sentence naming the URL without its password, when the
    database cannot be reached or was written by a newer version.
    """
    engine = create_workspace_engine(url)
    try:
        found = current_revision(engine)
    except DBAPIError as error:
        engine.dispose()
        raise WorkspaceUnavailable(_unreachable(engine.url, error)) from None
    known = {script.revision for script in _script().walk_revisions()}
    if found is not None and found not in known:
        engine.dispose()
        raise WorkspaceUnavailable(
            f"the workspace database {shown_url(engine.url)} was written by a newer version "
            f"of {APP_NAME} (schema revision {found}); upgrade {APP_NAME} to open it"
        )
    if found != head_revision():
        try:
            migrate(engine)
        except DBAPIError as error:
            engine.dispose()
            raise WorkspaceUnavailable(
                f"the workspace database {shown_url(engine.url)} cannot be brought up to this "
                f"version's schema ({_reason(error, engine.url)})"
            ) from None
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends well, else rolled back
    (an exception, or an interruption, leaves nothing of it); a lost database becomes
    WorkspaceUnavailable."""
    try:
        with Session(engine) as session, session.begin():
            yield session
    except (OperationalError, InterfaceError) as error:
        raise WorkspaceUnavailable(_unreachable(engine.url, error)) from None


def _unreachable(url: URL, error: DBAPIError) -> str:
    """One sentence: which database, why (the driver's words, shortened), what to check."""
    reason = _reason(error, url)
    if url.get_backend_name() == "sqlite":
        return (
            f"the workspace file {url.database} cannot be opened ({reason}); "
            f"set {WORKSPACE_ENV} to another folder"
        )
    return (
        f"the workspace database {shown_url(url)} cannot be reached ({reason}); "
        f"check {DATABASE_URL_ENV} and that the server is running"
    )


def _reason(error: DBAPIError, url: URL) -> str:
    """The driver's first line, without its preamble and never with the password."""
    text = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else "no reason"
    # psycopg: 'connection failed: connection to server at "h", port 1 failed: <why>'
    text = text.rpartition(" failed: ")[2]
    text = re.sub(r"^(FATAL|ERROR):\s+", "", text.strip())
    if url.password:
        text = text.replace(str(url.password), "***")
    return re.sub(r"\s+", " ", text).rstrip(".") or "no reason given"
