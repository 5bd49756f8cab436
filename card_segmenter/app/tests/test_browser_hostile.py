"""Hostile uploads and answers in a real Chromium: Markdown and HTML in column names, ids, the
file name and a model's answers stay text (no image or link is made from them, nothing is
fetched), and a key typed in the sidebar is never part of the page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from benchmarks.app import LONG, serve_app
from testkit.llm_server import FakeLLM, answer
from testkit.paths import SAMPLE

pytestmark = pytest.mark.browser

KEY = "sk-browser-never-in-the-page-4242"
JOINER = "\u2060"


@pytest.fixture
def beacon() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that records every request: nothing from the data may reach it."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def made_from_data(page: Page, host: str) -> list[str]:
    """Every image source and link target in the page that points at the beacon."""
    found: list[str] = page.eval_on_selector_all(
        "img, a, iframe, [src], [href]",
        "els => els.map(e => e.getAttribute('src') || e.getAttribute('href') || '')",
    )
    # A heading's anchor ("#data-quality-...") is Streamlit's own, made from its text.
    return [url for url in found if (host in url or "beacon" in url) and not url.startswith("#")]


def test_markdown_in_uploaded_data_and_the_file_name_stays_text(
    page: Page, app_url: str, tmp_path: Path, beacon: tuple[str, list[str]]
) -> None:
    host, asked = beacon
    image, link = f"![x]({host}/column.png)", f"[click]({host}/column-link)"
    sample = pl.read_csv(SAMPLE, infer_schema=False).head(600)
    hostile = sample.with_columns(pl.lit("1").alias(image), pl.lit("2").alias(link))
    name = "![beacon](beacon.png) <img src=beacon.gif>.csv"
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Card segmenter")).to_be_visible(timeout=LONG)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": hostile.write_csv().encode()}
    )
    expect(page.get_by_text("segments of 600 customers").first).to_be_visible(timeout=LONG)
    page.get_by_role("link", name="Data", exact=True).click()
    expect(page.get_by_text(f"Data quality: {name}")).to_be_visible(timeout=LONG)
    page.get_by_text("Column mapping").click()
    ignored = page.get_by_text("Ignored columns: ")
    expect(ignored).to_be_visible()
    # As written (a word joiner, invisible, keeps URLs from being made links).
    assert ignored.inner_text().replace(JOINER, "") == f"Ignored columns: {image}, {link}"
    found = made_from_data(page, host)
    assert found == [], found

    # An id the checks refuse is quoted in the refusal, as text.
    bad_id = f"![id]({host}/id.png)"
    twice = sample.head(50).with_columns(pl.lit(bad_id).alias("CUST_ID"))
    sidebar.locator("input[type=file]").set_input_files(
        {"name": "ids.csv", "mimeType": "text/csv", "buffer": twice.write_csv().encode()}
    )
    refusal = page.get_by_test_id("stAlertContentError").first
    expect(refusal).to_contain_text("This file cannot be used", timeout=LONG)
    assert bad_id in refusal.inner_text().replace(JOINER, "")
    assert made_from_data(page, host) == []
    assert asked == []  # the browser fetched nothing the data named

    # A key typed in the sidebar is taken out of its field: the page never holds it.
    field = sidebar.get_by_label("OpenAI API key", exact=True).and_(sidebar.locator("input"))
    field.fill(KEY)
    field.press("Enter")
    expect(sidebar.get_by_role("button", name="Forget the API key")).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)  # run ended
    expect(field).to_have_count(0)
    html = page.content()
    at = html.find(KEY)
    assert KEY not in html, html[max(0, at - 700) : at + 100]
    assert page.eval_on_selector_all("input", "els => els.map(e => e.value)").count(KEY) == 0
    page.screenshot(path=tmp_path / "hostile.png", full_page=True)


def test_markup_in_a_models_answers_never_becomes_an_image_or_a_link(
    page: Page, server: FakeLLM, beacon: tuple[str, list[str]]
) -> None:
    # Every answer carries an image, a link and HTML aimed at the beacon: the checks refuse
    # it (asked twice), the rule-based text is shown, and the reason given quotes none of it.
    host, asked = beacon
    server.queue(
        None,
        answer(
            {
                "summary": f"Careful with money. ![x]({host}/model.png)",
                "traits": [f"Pays on time <img src={host}/model.gif>"],
                "needs": ["Clear, fair costs"],
                "products": [],
                "channels": ["Mobile app"],
                "messages": [f"[Apply now]({host}/model-link)"],
            },
            model="test-model",
        ),
    )
    env = {"OPENAI_BASE_URL": server.base_url, "SEGMENTER_LLM_MODEL": "test-model"}
    with serve_app(env=env) as url:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto(url)
        regenerate = page.get_by_role("button", name="Regenerate personas with test-model")
        expect(regenerate).to_be_enabled(timeout=LONG)
        regenerate.click()
        expect(page.get_by_text("Narratives: rule-based.").first).to_be_visible(timeout=LONG)
        assert len(server.requests) >= 3
        assert made_from_data(page, host) == []
        page.get_by_role("link", name="Export", exact=True).click()
        expect(page.get_by_text("Campaign brief").first).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
        assert made_from_data(page, host) == []
        text = page.inner_text("body")
        assert host not in text.replace(JOINER, "")
    assert asked == []  # the browser fetched nothing a model named
