"""The running app in a real Chromium: it opens on the synthetic sample and shows its report."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_app_shows_the_sample_quality_report(page: Page, app_url: str, tmp_path: Path) -> None:
    page.goto(app_url)
    expect(page.get_by_text("Rows kept")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("synthetic", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
    page.screenshot(path=tmp_path / "app.png", full_page=True)
    assert (tmp_path / "app.png").stat().st_size > 10_000
