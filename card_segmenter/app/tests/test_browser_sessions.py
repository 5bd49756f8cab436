"""Two browser sessions segmenting different uploads at once never see each other's data."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from benchmarks.app import LONG
from segmenter.synthetic.generate import write_customers

pytestmark = pytest.mark.browser


def open_with_upload(browser: Browser, url: str, upload: Path) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url)
    expect(page.get_by_role("heading", name="Card segmenter")).to_be_visible(timeout=LONG)
    page.get_by_test_id("stSidebar").locator("input[type=file]").set_input_files(upload)
    return page


def test_two_sessions_keep_their_own_uploads(
    browser: Browser, app_url: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "branch-north.csv", tmp_path / "branch-south.csv"
    write_customers(first, rows=1200, seed=5)
    write_customers(second, rows=1700, seed=6)
    # Both uploads go in before either session has finished segmenting.
    north = open_with_upload(browser, app_url, first)
    south = open_with_upload(browser, app_url, second)
    for page, mine, theirs in ((north, "1,200", "1,700"), (south, "1,700", "1,200")):
        expect(page.get_by_text(f"segments of {mine} customers").first).to_be_visible(timeout=LONG)
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
        expect(page.get_by_text(f"of {theirs} customers")).to_have_count(0)
    for page, mine, theirs in ((north, first.name, second.name), (south, second.name, first.name)):
        page.get_by_role("link", name="Data", exact=True).click()
        expect(page.get_by_text(f"Data quality: {mine}")).to_be_visible(timeout=LONG)
        expect(page.get_by_text(theirs)).to_have_count(0)
    # A rerun in one session does not leak into the other.
    north.reload()
    expect(north.get_by_role("heading", name="Card segmenter")).to_be_visible(timeout=LONG)
    expect(north.get_by_text("of 1,700 customers")).to_have_count(0)
    south.get_by_role("link", name="Personas", exact=True).click()
    expect(south.get_by_text("segments of 1,700 customers").first).to_be_visible(timeout=LONG)
