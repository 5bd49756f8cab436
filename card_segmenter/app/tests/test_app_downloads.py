"""Every CSV the app offers for download is spreadsheet-safe: ids that look like formulas are
quoted, as in the files the command line writes (segmenter.files)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest, app_test

from testkit.paths import APP, SAMPLE

HOSTILE_IDS = ("=1+1", "+SUM(A1)", "-2+3", "@cmd")


class _Recorded(MemoryMediaFileStorage):
    """The media storage of AppTest's runtime, kept so a test can read what it serves."""

    made: list[MemoryMediaFileStorage] = []  # noqa: RUF012 - one list per test, reset below

    def __init__(self, media_endpoint: str) -> None:
        super().__init__(media_endpoint)
        _Recorded.made.append(self)


@pytest.fixture
def storage(monkeypatch: pytest.MonkeyPatch) -> type[_Recorded]:
    _Recorded.made = []
    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", _Recorded)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SEGMENTER_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return _Recorded


def downloaded(at: AppTest, key: str) -> bytes:
    """The bytes a download button serves, read from the runtime's media storage."""
    file_id = Path(at.download_button(key=key).proto.url).stem
    for storage in reversed(_Recorded.made):
        if file_id in storage._files_by_id:
            return storage.get_file(file_id).content
    raise AssertionError(f"download {key!r} is not in the media storage")


def hostile_customers(rows: int = 400) -> bytes:
    """The sample's first rows, with formula-like ids among them."""
    frame = pl.read_csv(SAMPLE, n_rows=rows, schema_overrides={"CUST_ID": pl.String})
    ids = [*HOSTILE_IDS, *frame.get_column("CUST_ID").to_list()[len(HOSTILE_IDS) :]]
    return frame.with_columns(CUST_ID=pl.Series(ids)).write_csv().encode()


def assert_safe(content: bytes) -> None:
    text = content.decode("utf-8")
    for hostile in HOSTILE_IDS:
        assert f"'{hostile}" in text, hostile
    assert not any(line.startswith(("=", "+", "-", "@")) for line in text.splitlines())


def test_the_scores_download_quotes_formula_like_ids(storage: type[_Recorded]) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["view"] = "Score"
    at.run()
    at.file_uploader(key="score_upload").set_value(
        ("new.csv", hostile_customers(), "text/csv")
    ).run()
    assert not at.exception
    assert_safe(downloaded(at, "download_scores"))


def test_the_export_csvs_quote_formula_like_ids(storage: type[_Recorded]) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["view"] = "Export"
    at.run()
    at.sidebar.file_uploader(key="upload").set_value(
        ("book.csv", hostile_customers(), "text/csv")
    ).run()
    assert not at.exception
    assert_safe(downloaded(at, "download_assignments_csv"))
    audiences = [b.proto.id for b in at.get("download_button") if "download_audience_" in b.id]
    assert audiences
    lists = b"".join(downloaded(at, f"download_audience_{i.rsplit('_', 1)[1]}") for i in audiences)
    assert_safe(lists)
