"""Fixtures for the tests beside each package: real data, a local LLM server, Chromium,
PostgreSQL and a workspace database on either backend."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from benchmarks.app import CHROMIUM, CHROMIUM_ARGS, AppDidNotStart, serve_app
from narratives import Shelf, load_shelf
from segmenter.workspace import sqlite_url
from testkit.llm_server import FakeLLM, running_server
from testkit.paths import REAL_DATA
from testkit.postgres import PostgresServer, PostgresUnavailable, start_postgres

# Every run the tests make is recorded in a throwaway workspace, never in the developer's own
# (the command line records every run: segmenter.workspace). Child processes inherit it.
os.environ.pop("SEGMENTER_DATABASE_URL", None)
os.environ["SEGMENTER_WORKSPACE"] = tempfile.mkdtemp(prefix="segmenter-test-workspace-")


@pytest.fixture(scope="session")
def real_data_path() -> Path:
    """Path of the real CC GENERAL file; skip without it, but fail under CI=true."""
    if not REAL_DATA.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the real data file is missing under CI: {REAL_DATA}")
        pytest.skip(f"real data not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster for the session (testkit.postgres); skip where PostgreSQL
    cannot run, but fail under CI=true, where `make test` installs it."""
    try:
        server = start_postgres()
    except PostgresUnavailable as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is needed under CI: {error}")
        pytest.skip(str(error))
    try:
        yield server
    finally:
        server.stop()


_databases = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty workspace database of either backend, for tests that run on both: a new SQLite
    file, or a new database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "workspace")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"test_{next(_databases)}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        yield server.url(name)
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    finally:
        admin.dispose()


@pytest.fixture
def workspace_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite workspace of the test's own, for the command line and AppTest in this
    process (SEGMENTER_WORKSPACE; no SEGMENTER_DATABASE_URL)."""
    folder = tmp_path / "workspace"
    monkeypatch.setenv("SEGMENTER_WORKSPACE", str(folder))
    monkeypatch.delenv("SEGMENTER_DATABASE_URL", raising=False)
    return folder


@pytest.fixture(scope="session")
def shelf() -> Shelf:
    """The bank's product shelf as shipped in data/products.toml."""
    return load_shelf()


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    """A local OpenAI-compatible server on 127.0.0.1 answering from queued replies."""
    with running_server() as fake:
        yield fake


# Browser tests: Debian's chromium driven by pytest-playwright (see ../shared/TESTING.md); the
# app is served as the benchmarks serve it.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing under CI: `make test` installs it")
        pytest.skip(f"{CHROMIUM} is not installed (`make chromium` installs it as root)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """The app served by a real Streamlit process on a free loopback port."""
    try:
        with serve_app() as url:
            yield url
    except AppDidNotStart as error:
        pytest.fail(str(error))
