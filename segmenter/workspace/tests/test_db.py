"""Opening a workspace: where it is, migration on open, and one sentence when it cannot open."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from segmenter.errors import InputError
from segmenter.workspace import (
    NewRun,
    WorkspaceUnavailable,
    create_workspace_engine,
    current_revision,
    database_url_from_env,
    get_run,
    head_revision,
    list_review_items,
    migrate,
    open_workspace,
    record_run,
    shown_url,
    sqlite_url,
    verify,
)
from segmenter.workspace.audit import Versions, append
from segmenter.workspace.crosscheck import run_details
from segmenter.workspace.db import MIGRATIONS
from segmenter.workspace.schema import Base, Run
from segmenter.workspace.store import _run_row

Clock = Callable[[], datetime]


def record_as_before_0003(engine: Engine, run: NewRun, clock: Clock) -> int:
    """Record a run as a version before 0003 did: without the runs' book and engine columns,
    and an audit entry without the engine."""
    row = _run_row(run, None, clock)
    with Session(engine) as session, session.begin():
        values = {c.key: getattr(row, c.key) for c in Run.__table__.columns}
        del values["id"], values["book"], values["engine"]
        run_id = session.execute(insert(Run).values(values).returning(Run.id)).scalar_one()
        row.id, row.book = run_id, None
        details = run_details(row)
        del details["engine"]
        append(
            session, action="run", run_id=run_id, actor="analyst", details=details,
            clock=clock, versions=Versions(stats_sha256=row.profiles_sha256),
        )  # fmt: skip
        return run_id


def test_an_older_workspace_is_migrated_on_open(
    database_url: str, toy_run: NewRun, clock: Clock
) -> None:
    older = create_workspace_engine(database_url)
    migrate(older, "0001")  # the first version's workspace: runs and the audit log only
    assert current_revision(older) == "0001"
    run_id = record_as_before_0003(older, toy_run, clock)
    assert "review_items" not in inspect(older).get_table_names()
    assert {"book", "engine"}.isdisjoint(c["name"] for c in inspect(older).get_columns("runs"))
    older.dispose()

    engine = open_workspace(database_url)
    try:
        assert current_revision(engine) == head_revision() == "0004"
        assert {"run_documents", "review_items"} <= set(inspect(engine).get_table_names())
        old = get_run(engine, run_id)
        assert old.profile() == toy_run.profile
        assert old.book_json is None  # recorded before runs kept their book
        assert old.engine == "local"  # and before Spark runs were: fitted on one machine
        assert list_review_items(engine, run_id) == []
        assert verify(engine).ok  # its entry, without an engine, stands for a local run
        new_id = record_run(engine, replace(toy_run, book='{"n_customers": 1}'), actor="a")
        assert get_run(engine, new_id).book_json == '{"n_customers": 1}'
        assert verify(engine).ok
    finally:
        engine.dispose()
    open_workspace(database_url).dispose()  # opening an up-to-date workspace changes nothing


def test_the_book_and_engine_columns_migrate_down_and_up_again(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = open_workspace(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0002")
        columns = {c["name"] for c in inspect(engine).get_columns("runs")}
        assert {"book", "engine"}.isdisjoint(columns)
        migrate(engine)
        assert {"book", "engine"} <= {c["name"] for c in inspect(engine).get_columns("runs")}
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_models_tables(database_url: str) -> None:
    engine = open_workspace(database_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(workspace: Engine, clock: Clock) -> None:
    # SQLite leaves them off unless each connection turns them on.
    with pytest.raises(IntegrityError), workspace.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO run_documents (run_id, created_at, kind, content, personas, "
                "narratives, prompt_version, stats_sha256) "
                "VALUES (99, :at, 'brief.md', '', '[]', 'rule-based', '', '')"
            ),
            {"at": clock()},
        )


def test_a_workspace_of_a_newer_version_is_refused(database_url: str) -> None:
    open_workspace(database_url).dispose()
    engine = create_workspace_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    engine.dispose()
    with pytest.raises(WorkspaceUnavailable, match=r"written by a newer version of card-segmenter "
                       r"\(schema revision 0099\); upgrade card-segmenter to open it"):  # fmt: skip
        open_workspace(database_url)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when this returns


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_an_unreachable_server_gives_one_sentence_without_the_password(scheme: str) -> None:
    port = _closed_port()
    with pytest.raises(WorkspaceUnavailable) as caught:
        open_workspace(f"{scheme}://seg:s3cr3t@127.0.0.1:{port}/segmenter")
    message = str(caught.value)
    assert message == (
        f"the workspace database postgresql+psycopg://seg:***@127.0.0.1:{port}/segmenter cannot "
        "be reached (Connection refused); check SEGMENTER_DATABASE_URL and that the server is "
        "running"
    )
    assert isinstance(caught.value, InputError)  # the command line's exit 2, the app's st.error


def test_a_workspace_file_that_is_not_a_database_gives_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "workspace.sqlite3").write_text("not a database, but a note to self\n" * 100)
    with pytest.raises(WorkspaceUnavailable, match=(
        f"^the workspace file {tmp_path}/workspace.sqlite3 cannot be opened "
        r"\(file is not a database\); set SEGMENTER_WORKSPACE to another folder$"
    )):  # fmt: skip
        open_workspace(sqlite_url(tmp_path))


def test_a_workspace_folder_that_cannot_be_made_gives_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder would go")
    with pytest.raises(WorkspaceUnavailable, match=(
        f"^the workspace folder {tmp_path}/taken cannot be created "
        r"\(File exists\); set SEGMENTER_WORKSPACE to a folder you can write to$"
    )):  # fmt: skip
        open_workspace(sqlite_url(tmp_path / "taken"))


def test_a_url_that_is_not_one_is_refused_without_echoing_it() -> None:
    with pytest.raises(WorkspaceUnavailable, match="URL is not one") as caught:
        open_workspace("seg:s3cr3t at the usual server")
    assert "s3cr3t" not in str(caught.value)


def test_a_database_of_another_kind_is_refused() -> None:
    with pytest.raises(WorkspaceUnavailable, match=(
        r"^the workspace database mysql://seg:\*\*\*@db/seg is of a kind this program does not "
        r"keep workspaces in; use postgresql:// \(or a SQLite file\)$"
    )):  # fmt: skip
        open_workspace("mysql://seg:s3cr3t@db/seg")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {"SEGMENTER_DATABASE_URL": "postgresql://a:b@db/seg", "SEGMENTER_WORKSPACE": "/w"},
            "postgresql://a:b@db/seg",
            id="a database URL wins",
        ),
        pytest.param(
            {"SEGMENTER_WORKSPACE": "/srv/segments"},
            "sqlite:////srv/segments/workspace.sqlite3",
            id="a workspace folder",
        ),
        pytest.param({"SEGMENTER_WORKSPACE": "  "}, None, id="blank is unset"),
    ],
)
def test_the_database_url_comes_from_the_environment(
    environ: dict[str, str], expected: str | None
) -> None:
    url = database_url_from_env(environ)
    if expected is None:  # the user's data directory, e.g. ~/.local/share/card-segmenter
        assert url.startswith("sqlite:///")
        assert url.endswith("/card-segmenter/workspace.sqlite3")
    else:
        assert url == expected


def test_shown_urls_hide_the_password() -> None:
    assert shown_url("postgresql://seg:s3cr3t@db:5432/x") == "postgresql://seg:***@db:5432/x"
    assert shown_url("sqlite:////tmp/w/workspace.sqlite3") == "sqlite:////tmp/w/workspace.sqlite3"
