"""In a real Chromium: a persona card's campaign pack downloads, and the HTML pack opens on its
own with the persona's title and both charts drawn; the PDF pack downloads as a PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from benchmarks.app import FIRST_PERSONA, LONG

pytestmark = pytest.mark.browser


def test_a_cards_campaign_pack_downloads_and_opens(
    page: Page, app_url: str, tmp_path: Path
) -> None:
    page.goto(app_url)
    card = page.locator(FIRST_PERSONA)
    expect(card.locator("h4")).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    title = card.locator("h4").inner_text().strip()
    downloads = card.get_by_test_id("stDownloadButton")

    with page.expect_download(timeout=LONG) as pdf:
        downloads.filter(has_text="Campaign pack (PDF)").click()
    assert pdf.value.suggested_filename == "campaign-pack-segment-0.pdf"
    pdf.value.save_as(tmp_path / "pack.pdf")
    assert (tmp_path / "pack.pdf").read_bytes().startswith(b"%PDF-")

    with page.expect_download(timeout=LONG) as html:
        downloads.filter(has_text="Campaign pack (HTML)").click()
    pack = tmp_path / html.value.suggested_filename
    html.value.save_as(pack)
    page.goto(pack.as_uri())  # on its own: no server, nothing fetched
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("heading", name="What to offer them, and why")).to_be_visible()
    charts = page.locator("figure img")
    expect(charts).to_have_count(2)
    widths = charts.evaluate_all("els => els.map(e => e.complete ? e.naturalWidth : 0)")
    assert all(width > 100 for width in widths), widths  # the SVGs drew, under the page's CSP
