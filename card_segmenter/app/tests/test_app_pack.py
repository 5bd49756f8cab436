"""Each persona card offers its segment's campaign pack (PDF and HTML) and its audience file,
made only when clicked; the pack is of the persona on the card."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest, app_test

from testkit.paths import APP


class _Recorded(MediaFileManager):
    """The media file manager of AppTest's runtime, kept so a test can read what it serves."""

    made: list[MediaFileManager] = []  # noqa: RUF012 - one list per test, reset below

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _Recorded.made.append(self)


@pytest.fixture(autouse=True)
def recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    _Recorded.made = []
    monkeypatch.setattr(app_test, "MediaFileManager", _Recorded)


def downloaded(at: AppTest, key: str) -> bytes:
    """The bytes a deferred download button serves, made as a click would make them."""
    proto = at.download_button(key=key).proto
    assert proto.HasField("deferred_file_id"), f"{key} is made before it is clicked"
    manager = _Recorded.made[-1]  # each run makes its own; the last one drew this page
    served = manager.read_file(Path(manager.execute_deferred(proto.deferred_file_id)).stem)
    assert served is not None, f"download {key!r} is not in the media storage"
    return served.content


def test_every_card_offers_its_campaign_pack_and_audience() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.exception
    labels = {b.key: b.label for b in at.get("download_button")}
    for segment in range(3):
        assert labels[f"pack_pdf_{segment}"] == "Campaign pack (PDF)"
        assert labels[f"pack_html_{segment}"] == "Campaign pack (HTML)"
        assert labels[f"pack_csv_{segment}"] == "Audience (CSV)"

    pdf = downloaded(at, "pack_pdf_0")
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "The Everyday Card User" in text

    html = downloaded(at, "pack_html_0").decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<h1>The Everyday Card User</h1>" in html
    assert "data:image/svg+xml;base64," in html  # its charts, inline

    audience = pl.read_csv(downloaded(at, "pack_csv_0"), schema_overrides={"customer_id": str})
    assert set(audience["segment"]) == {0}
    assert set(audience["persona_title"]) == {"The Everyday Card User"}
