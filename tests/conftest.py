"""Shared fixtures: the real CC GENERAL file, and the app served to a real Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from llm_server import FakeLLM, running_server

from narratives import Shelf, load_shelf

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "CC_GENERAL.csv"


@pytest.fixture(scope="session")
def real_data_path() -> Path:
    """Path of the real CC GENERAL file; skip without it, but fail under CI=true."""
    if not REAL_DATA.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the real data file is missing under CI: {REAL_DATA}")
        pytest.skip(f"real data not found at {REAL_DATA}")
    return REAL_DATA


@pytest.fixture(scope="session")
def shelf() -> Shelf:
    """The bank's product shelf as shipped in data/products.toml."""
    return load_shelf()


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    """A local OpenAI-compatible server on 127.0.0.1 answering from queued replies."""
    with running_server() as fake:
        yield fake


# Browser tests: Debian's chromium driven by pytest-playwright (see ../shared/TESTING.md).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py")]
    command += ["--server.headless", "true", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    # The log goes to a file: a pipe could fill up and stall the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"the app exited: {log.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    pytest.fail("the app did not answer its health check within 60 s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
