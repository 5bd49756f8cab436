"""The running app in a real Chromium: personas and charts, an algorithm switch, the navigation
between pages, and the brief download.

It also prints the app's timings (`benchmarks.app.time_app`, which `make bench` reports): shown,
not asserted, as these machines are shared.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from benchmarks.app import LONG, time_app
from testkit.paths import app_views

pytestmark = pytest.mark.browser


def test_personas_charts_algorithm_switch_and_brief_download(
    page: Page, app_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    times = time_app(page, app_url)
    with capsys.disabled():
        print(
            f"\nfirst paint to persona cards and a chart on screen: "
            f"{times.first_paint_to_personas:.2f} s; re-render after changing k to 5: "
            f"{times.k_change_fresh:.2f} s, and back to auto: {times.k_change_cached:.2f} s"
        )
    cards = page.locator("[class*='st-key-persona-']")
    chart = page.get_by_test_id("stVegaLiteChart").first.locator("svg.marks, canvas").first
    expect(cards).to_have_count(3)  # k chosen automatically on the sample
    # An advisor's card fits one screen of 1400x900, and the cards share one effect-size axis.
    page.set_viewport_size({"width": 1400, "height": 900})
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    heights = cards.evaluate_all("els => els.map(e => e.getBoundingClientRect().height)")
    assert max(heights) <= 900, heights
    for card in cards.all():
        expect(card.locator("svg.marks")).to_be_visible()
    axes = cards.locator("[aria-roledescription='axis']").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label'))"
    )
    x_axes = [a for a in axes if a.startswith("X-axis titled 'Effect size")]
    assert len(x_axes) == 3, axes
    assert len(set(x_axes)) == 1, x_axes  # e.g. "... with values from -3 to 3", on every card
    expect(chart).to_be_visible()
    expect(page.get_by_text("synthetic", exact=False).first).to_be_visible()
    expect(page.get_by_text("Narratives: rule-based").first).to_be_visible()
    # The run's stability is stated, and the figures of a persona are traced in place.
    verdict = page.get_by_text("Confidence in this segmentation: high.")
    expect(verdict).to_be_visible()
    expect(verdict).to_contain_text("bootstrap agreement 0.97")
    first = cards.first
    expect(first.get_by_text("[1]", exact=False).first).to_be_visible()
    first.get_by_text("Where the figures come from").click()
    expect(first.get_by_text("customers in segment 0: 3,958")).to_be_visible()
    page.screenshot(path=tmp_path / "personas.png")

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Number of segments").click()
    page.get_by_role("option", name="4", exact=True).click()
    expect(cards).to_have_count(4, timeout=LONG)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    before = cards.first.inner_text()
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Algorithm").click()
    page.get_by_role("option", name="Gaussian mixture").click()
    expect(page.get_by_text("Gaussian mixture: 4 segments")).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=LONG)
    expect(cards).to_have_count(4)
    expect(chart).to_be_visible()
    assert cards.first.inner_text() != before  # other segments: other sizes, other words
    persona = cards.first.locator("h4").inner_text()

    # One page per view, in the navigation; Personas is the default, at the app's root.
    links = page.get_by_test_id("stTopNavLink")
    expect(links).to_have_text(list(app_views()))
    expect(links.filter(has_text="Personas")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Segments", exact=True).click()
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible(timeout=LONG)
    table.hover()  # its toolbar: no CSV of its own, as that would not be spreadsheet-safe
    toolbar = page.get_by_test_id("stElementToolbar").first
    expect(toolbar.get_by_role("button", name="Search")).to_be_visible()
    expect(toolbar.get_by_role("button", name="Download as CSV")).to_have_count(0)

    page.get_by_role("link", name="Export", exact=True).click()
    expect(page).to_have_url(f"{app_url}/export")
    button = page.get_by_role("button", name="Brief (Markdown)")
    expect(button).to_be_visible(timeout=LONG)
    with page.expect_download() as download:
        button.click()
    brief = tmp_path / "brief.md"
    download.value.save_as(brief)
    text = brief.read_text(encoding="utf-8")
    assert "Narratives: rule-based" in text
    assert persona in text  # the brief is of the run on screen: the Gaussian mixture's personas

    page.screenshot(path=tmp_path / "export.png", full_page=True)
    assert (tmp_path / "personas.png").stat().st_size > 10_000
