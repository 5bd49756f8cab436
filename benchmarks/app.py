"""The app's responsiveness in a real Chromium: first paint to personas, re-rendering after k,
and a large upload from the sidebar to its personas.

`serve_app` starts Streamlit on a free loopback port (the browser tests use it too);
`time_app` drives a page through the steps a user takes first and returns the seconds each took;
`time_upload` sets a file on the sidebar's uploader and times it to its persona cards.
Chromium is Debian's (`/usr/bin/chromium`): Playwright's own download does not work here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
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
LONG = 90_000  # ms; a cold segmentation on a busy machine
UPLOAD_LONG = 600_000  # ms; a million customers uploaded, read and segmented on a busy machine
# Only these two of the app's keys are relied on: the app's pages may be rearranged.
UPLOADER = ".st-key-upload input[type=file]"
FIRST_PERSONA = ".st-key-persona-0"


class AppDidNotStart(RuntimeError):
    """Streamlit exited or never answered its health check; the message holds its log's tail."""


@dataclass(frozen=True)
class AppTimes:
    first_paint_to_personas: float  # seconds from the app's heading to persona cards and a chart
    k_change_fresh: float  # auto -> 5 segments: a run not yet cached
    k_change_cached: float  # 5 -> auto: the first run again, from the cache


@contextmanager
def serve_app(
    timeout: float = 60,
    *,
    max_upload_mb: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """The app served by a real Streamlit process on a free loopback port; its URL.

    `max_upload_mb` raises the uploader's limit (200 MB in .streamlit/config.toml); `env` is
    added to the process's environment (an LLM endpoint, say).
    """
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "streamlit_app.py")]
    command += ["--server.headless", "true", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]
    if max_upload_mb is not None:
        command += ["--server.maxUploadSize", str(max_upload_mb)]
    # The log goes to a file: a pipe could fill up and stall the server.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(url, process, log, timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def choose_k(page: Any, option: str) -> None:
    """Choose k in the sidebar and wait for the rerun it starts to end: a file uploaded during
    that rerun can be dropped (seen in CI), so the tests upload only after this."""
    from playwright.sync_api import expect

    sidebar = page.get_by_test_id("stSidebar")
    k_box = sidebar.get_by_test_id("stSelectbox").filter(has_text="Number of segments")
    k_box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    expect(k_box.get_by_role("combobox")).to_have_value(option)


def time_app(page: Any, url: str) -> AppTimes:
    """Open the app on a Playwright page, wait for the personas, then switch k to 5 and back.

    The app opens on K-Means with k chosen automatically (3 segments on the bundled sample).
    Leaves the page showing that run again, with nothing running.
    """
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(url)
    expect(page.get_by_role("heading", name="Card segmenter")).to_be_visible(timeout=LONG)
    first_paint = time.perf_counter()
    cards = page.locator("[class*='st-key-persona-']")
    chart = page.get_by_test_id("stVegaLiteChart").first.locator("svg.marks, canvas").first
    expect(cards.first).to_be_visible(timeout=LONG)
    expect(chart).to_be_visible(timeout=LONG)
    personas = time.perf_counter() - first_paint
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)

    sidebar = page.get_by_test_id("stSidebar")
    changes = []
    shown = cards.count()
    for option, k in (("5", 5), ("auto (best of 3-8)", shown)):
        started = time.perf_counter()
        sidebar.get_by_test_id("stSelectbox").filter(has_text="Number of segments").click()
        page.get_by_role("option", name=option, exact=True).click()
        expect(page.get_by_text(f"K-Means: {k} segments").first).to_be_visible(timeout=LONG)
        expect(cards).to_have_count(k, timeout=LONG)
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
        changes.append(time.perf_counter() - started)
    return AppTimes(personas, *changes)


def measure(repeats: int) -> list[AppTimes]:
    """`time_app` on a fresh server and browser each time: nothing cached from a previous go."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: `make chromium` installs it")
    times = []
    with sync_playwright() as playwright:
        for _ in range(repeats):
            with serve_app() as url:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                try:
                    times.append(time_app(browser.new_page(), url))
                finally:
                    browser.close()
    return times


def time_upload(page: Any, url: str, path: Path) -> float:
    """Seconds from setting `path` on the sidebar's uploader to the first persona card of its run.

    The app opens on the bundled sample: its personas are waited for first (drawn and still),
    so that the time is the upload's alone (sent, read, checked, segmented, described and
    drawn), as a user who drops a file on the open app sees it. The new run's card is the one
    drawn afresh (no part of it stale) with other text (its size badge counts the customers).
    """
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(url)
    expect(page.locator(FIRST_PERSONA).first).to_be_visible(timeout=LONG)
    before = _settled_size(page)
    started = time.perf_counter()
    page.locator(UPLOADER).set_input_files(path)
    # The new run's card counts other customers: a card whose text merely changed (a badge
    # drawn twice while the page reruns) is still the sample's.
    page.wait_for_function(
        f"before => {_CARD_STATE} !== null && {_CARD_STATE}.size !== before",
        arg=before,
        timeout=UPLOAD_LONG,
        polling=100,
    )
    return time.perf_counter() - started


# The text of the first persona card on screen with no part stale, else null. Streamlit marks
# what a run in progress has not redrawn yet as stale, and may show the new card beside it.
# Charts are left out: they draw their axes in the browser, after the run.
_CARD_STATE = rf"""(() => {{
    const fresh = [...document.querySelectorAll("{FIRST_PERSONA}")].filter(card =>
        card.checkVisibility() && card.querySelector('[data-stale="true"]') === null);
    if (fresh.length === 0) return null;
    const copy = fresh[0].cloneNode(true);
    copy.querySelectorAll("svg, canvas").forEach(chart => chart.remove());
    const size = copy.textContent.match(/([\d,]+) customers · /);
    return {{text: copy.textContent, size: size === null ? null : size[1]}};
}})()"""


def _settled_size(page: Any) -> str:
    """The first persona card's customer count once the app's run has finished (nothing left
    to draw), as written ("3,958")."""
    from playwright.sync_api import expect

    done = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
    expect(done).to_have_count(1, timeout=LONG)
    state = page.evaluate(_CARD_STATE)
    if state is None or state["size"] is None:
        raise AssertionError("the app finished its run without a persona card on screen")
    return str(state["size"])


def measure_upload(path: Path) -> float:
    """`time_upload` of `path` on a fresh server and browser: nothing cached from before."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: `make chromium` installs it")
    size_mb = path.stat().st_size / 2**20  # Streamlit's megabytes
    limit = None if size_mb < _upload_limit_mb() else int(size_mb) + 1
    with sync_playwright() as playwright, serve_app(max_upload_mb=limit) as url:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            return time_upload(browser.new_page(), url, path)
        finally:
            browser.close()


def _upload_limit_mb() -> int:
    """The uploader's limit as the app is configured (Streamlit's default is 200 MB)."""
    config = REPO / ".streamlit" / "config.toml"
    settings = tomllib.loads(config.read_text()) if config.is_file() else {}
    return int(settings.get("server", {}).get("maxUploadSize", 200))


def _wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], log: IO[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise AppDidNotStart(f"the app exited: {log.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise AppDidNotStart(f"the app did not answer its health check within {timeout:.0f} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
