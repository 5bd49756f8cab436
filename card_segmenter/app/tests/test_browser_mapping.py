"""The column-mapping step in a real Chromium: a file with a few renamed columns is mapped in
the select boxes, and its personas follow.

It opens on the Data page, which segments nothing, and sets k=4 before uploading 2,000 of the
bundled sample's customers: only the mapped file is segmented, once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from benchmarks.app import LONG, UPLOADER, choose_k
from testkit.headers import RENAMED, renamed_copy
from testkit.paths import SAMPLE

pytestmark = pytest.mark.browser


def test_renamed_columns_are_mapped_in_select_boxes_then_personas_show(
    page: Page, app_url: str, tmp_path: Path
) -> None:
    upload = tmp_path / "branch-export.csv"
    upload.write_bytes(renamed_copy(SAMPLE, RENAMED, rows=2000))
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{app_url}/data")
    expect(page.get_by_text("Data quality: sample_customers.csv")).to_be_visible(timeout=LONG)
    choose_k(page, "4")  # and wait for its rerun: an upload during it can be dropped
    page.locator(UPLOADER).set_input_files(upload)

    expect(page.get_by_text("Which of your columns hold what?")).to_be_visible(timeout=LONG)
    boxes = page.locator("[class*='st-key-column_']")
    expect(boxes).to_have_count(len(RENAMED))  # the file has ids: only the 4 renamed asked for
    for wanted, column in RENAMED.items():
        page.locator(f".st-key-column_{wanted}").get_by_test_id("stSelectbox").click()
        options = page.get_by_role("option")
        expect(options.nth(1)).to_contain_text(column)  # the likeliest first, after the blank
        options.nth(1).click()
        chosen = page.locator(f".st-key-column_{wanted}").get_by_role("combobox")
        expect(chosen).to_have_value(re.compile(f"^{re.escape(column)} "))
    page.screenshot(path=tmp_path / "mapping-step.png")
    page.get_by_role("button", name="Use these columns").click()

    expect(page.get_by_text("You mapped 4 of these columns yourself")).to_be_visible(timeout=LONG)
    expect(page.get_by_role("button", name="Change column mapping")).to_be_visible()
    page.screenshot(path=tmp_path / "mapping-data.png")
    page.get_by_role("link", name="Personas", exact=True).click()
    cards = page.locator("[class*='st-key-persona-']")
    expect(cards).to_have_count(4, timeout=LONG)
    expect(page.get_by_text(re.compile(r"segments of 2,000 customers")).first).to_be_visible()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    page.screenshot(path=tmp_path / "mapping-personas.png")
