"""History and Review in a real Chromium: two monthly runs recorded by the command line show as
a refresh with its migration chart, and the run on screen is recorded, then a persona approved
by name.

The app is served with a workspace of its own (the module's), which the command line fills
first: the other browser tests' servers share the test session's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Page, expect

from benchmarks.app import LONG, AppDidNotStart, serve_app
from testkit.segmenter_fixtures import cli_code, toy_frame

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def review_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a workspace holding November's run and December's refresh of it."""
    folder = tmp_path_factory.mktemp("review-app")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEGMENTER_WORKSPACE", str(folder / "workspace"))
        november, december = folder / "november.csv", folder / "december.csv"
        toy_frame((60, 40, 20), seed=0).write_csv(november)
        later = toy_frame((60, 40, 20), seed=1).with_columns(pl.col("CASH_ADVANCE") * 4)
        later.write_csv(december)
        assert cli_code("segment", november, "--out", folder / "m1", "--k", "3") == 0
        assert cli_code(
            "segment", december, "--out", folder / "m2", "--k", "3", "--previous", "latest"
        ) == 0  # fmt: skip
        try:
            with serve_app() as url:  # the server inherits the module's workspace
                yield url
        except AppDidNotStart as error:
            pytest.fail(str(error))


def test_history_shows_the_refresh_and_its_migration_chart(page: Page, review_app: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{review_app}/history")
    expect(page.get_by_text(re.compile(r"Runs recorded by .* 2\.$"))).to_be_visible(timeout=LONG)
    expect(page.get_by_text("120 customers in both runs", exact=False)).to_be_visible()
    charts = page.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2, timeout=LONG)  # the migration heatmap and the drift bars
    expect(charts.first.locator("svg.marks, canvas").first).to_be_visible(timeout=LONG)


def test_the_run_on_screen_is_recorded_and_a_persona_approved(
    page: Page, review_app: str, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{review_app}/review")
    record = page.get_by_role("button", name="Record this run and its personas for review")
    expect(record).to_be_visible(timeout=LONG)
    record.click()
    expect(page.get_by_text("Recorded as run 3, with its personas to review.")).to_be_visible(
        timeout=LONG
    )
    approve = page.get_by_role("button", name=re.compile(r"Approve$"))
    expect(approve.first).to_be_disabled()  # a decision needs a name
    name = page.get_by_label("Your name, as it goes on the record")
    name.fill("Ana Ruiz")
    name.press("Enter")
    # Leaving the box commits it again (Streamlit), which would swallow the next click.
    page.get_by_text("Personas and product suggestions are drafts").click()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    expect(approve.first).to_be_enabled(timeout=LONG)
    approve.first.click()
    done = page.get_by_test_id("stAlertContentSuccess").filter(has_text="approved by Ana Ruiz")
    expect(done).to_be_visible(timeout=LONG)
    expect(page.get_by_text(re.compile(r"^1 of \d+ approved"))).to_be_visible()
    page.screenshot(path=tmp_path / "review.png", full_page=True)
    assert os.path.getsize(tmp_path / "review.png") > 0
