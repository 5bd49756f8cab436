"""A throwaway PostgreSQL server for the tests: a cluster in a temporary folder on a free port.

Debian's `postgresql` package provides the binaries (`make test` installs it, as root, through
.ci/install-postgresql); nothing runs as a system service. `initdb` refuses to run as root, so
as root the server runs as the `postgres` user (runuser), as ../shared/TESTING.md shows. The
cluster trusts local connections and skips fsync: it lives for one test session.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "PostgresUnavailable", "find_bindir", "running_postgres"]

USER = "seg"  # the cluster's superuser
START_TIMEOUT_S = 60
FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=40"


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be run on this machine; the message says why."""


def find_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: `pg_config --bindir`, else Debian's newest version."""
    candidates: list[Path] = []
    with suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True, timeout=10
        )
        candidates.append(Path(found.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(
        (Path(p) for p in versions), key=lambda p: int(p.parent.name), reverse=True
    )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running cluster; `url` is its maintenance database as the superuser."""

    bindir: Path
    folder: Path
    port: int
    as_user: list[str]  # the command prefix that runs as the cluster's owner

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3) of one database of the cluster."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run pg_ctl on this cluster as its owner."""
        command = [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def stop(self) -> None:
        """Stop the server (the postmaster itself if pg_ctl cannot) and remove its folder."""
        try:
            stopped = self.pg_ctl("stop", "-m", "immediate", "-w", timeout=30).returncode == 0
        except subprocess.TimeoutExpired:
            stopped = False
        if not stopped:
            with suppress(OSError, ValueError, IndexError):
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGKILL)  # the server this fixture started, by its pid
        shutil.rmtree(self.folder, ignore_errors=True)


def _owner_prefix() -> list[str]:
    """Run as `postgres` when root (initdb refuses root); otherwise as ourselves."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root needs runuser to start PostgreSQL as postgres")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root needs the postgres user, and there is none"
        ) from None
    return ["runuser", "-u", "postgres", "--"]


def start_postgres() -> PostgresServer:
    """initdb a cluster in a new temporary folder and start it on a free loopback port."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL's initdb and pg_ctl were not found (pg_config --bindir, "
            "/usr/lib/postgresql/*/bin): `make postgresql` installs Debian's as root"
        )
    prefix = _owner_prefix()
    folder = Path(tempfile.mkdtemp(prefix="pg-"))  # short: the socket path must fit 107 bytes
    if prefix:
        shutil.chown(folder, user="postgres")
    server = PostgresServer(bindir, folder, 0, prefix)
    try:
        initdb = subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(server.data), "-A", "trust", "-U", USER,
             "-E", "UTF8", "--locale=C", "--no-sync"],
            capture_output=True, text=True, timeout=START_TIMEOUT_S,
        )  # fmt: skip
        if initdb.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {initdb.stderr.strip()[-500:]}")
        for _ in range(3):  # another process may take the free port before the server does
            server.port = _free_port()
            options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 {FAST}"
            log = folder / f"server-{server.port}.log"
            started = server.pg_ctl("-o", options, "-l", str(log), "-w", "start")
            if started.returncode == 0:
                return server
        detail = log.read_text(errors="replace")[-800:] if log.is_file() else started.stderr
        raise PostgresUnavailable(f"PostgreSQL did not start: {detail.strip()}")
    except BaseException:
        server.stop()
        raise


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A server for the length of the block, stopped afterwards whatever happened in it."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()
