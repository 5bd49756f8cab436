"""The Customer page in a real Chromium on the real CC GENERAL file: an advisor looks up a
customer by id, reads their segment, and asks what would move them to another segment.

It opens on the Data page, which segments nothing, and sets k=4 before uploading the file:
only the real file is segmented, once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from benchmarks.app import LONG, UPLOADER, choose_k

pytestmark = [pytest.mark.browser, pytest.mark.real_data]


def test_a_real_customer_is_found_and_a_move_to_another_segment_is_said(
    page: Page, app_url: str, real_data_path: Path, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{app_url}/data")
    expect(page.get_by_text("Data quality: sample_customers.csv")).to_be_visible(timeout=LONG)
    choose_k(page, "4")  # and wait for its rerun: an upload during it can be dropped
    page.locator(UPLOADER).set_input_files(real_data_path)
    expect(page.get_by_text("Data quality: CC_GENERAL.csv")).to_be_visible(timeout=LONG)

    page.get_by_role("link", name="Customer", exact=True).click()
    box = page.get_by_label("Customer id", exact=True).and_(page.get_by_role("textbox"))
    expect(box).to_be_visible(timeout=LONG)
    box.fill("c10001")
    box.press("Enter")
    where = page.get_by_text(re.compile(r"^Customer C10001 · segment \d: "))
    expect(where).to_be_visible(timeout=LONG)
    expect(page.get_by_text(re.compile(r"fit.*: confidence 0\.\d\d")).first).to_be_visible()
    expect(page.get_by_text("Products whose conditions this customer meets")).to_be_visible()
    own = re.search(r"segment (\d):", where.inner_text())
    assert own is not None

    choose = page.locator(".st-key-move_target").get_by_role("combobox")
    expect(choose).to_be_visible(timeout=LONG)
    # Leaving the id box commits it again (Streamlit), which would swallow the next click.
    page.get_by_text("What would move this customer").click()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    choose.click()
    options = page.get_by_role("option")
    expect(options).to_have_count(3)  # the other three segments of four
    assert not any(t.startswith(f"{own[1]}:") for t in options.all_inner_texts())
    options.first.click()
    answer = page.get_by_test_id("stAlertContentSuccess").or_(
        page.get_by_text(re.compile("^No change the customer can make"))
    )
    expect(answer.first).to_be_visible(timeout=LONG)
    expect(page.get_by_text("What the segmentation model responds to")).to_be_visible()
    if page.get_by_test_id("stAlertContentSuccess").count():
        placed = page.get_by_text(re.compile("With these figures the model places them in"))
        expect(placed).to_be_visible()
    page.screenshot(path=tmp_path / "customer-move.png", full_page=True)
