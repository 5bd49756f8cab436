"""Every CSV the app offers for download is spreadsheet-safe: ids that look like formulas are
quoted, as in the files the command line writes (segmenter.files).

The CSVs: assignments.csv and each audience list on the Export page, the same files inside
campaign.zip (made only when clicked), and scores.csv on the Score page.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest, app_test

from testkit.paths import APP, SAMPLE

# Not digits alone: among "C10001"s an id like "-2+3" may be taken for a stray number, not a
# customer (segmenter.ingest), and dropped before any file is written.
HOSTILE_IDS = ("=1+1", "+SUM(A1)", "-1+A1", "@cmd")


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
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SEGMENTER_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)


def downloaded(at: AppTest, key: str) -> bytes:
    """The bytes a download button serves; a deferred one's are made as a click would."""
    proto = at.download_button(key=key).proto
    manager = _Recorded.made[-1]  # each run makes its own; the last one drew this page
    if proto.HasField("deferred_file_id"):
        url = manager.execute_deferred(proto.deferred_file_id)
    else:
        url = proto.url
    served = manager.read_file(Path(url).stem)
    assert served is not None, f"download {key!r} is not in the media storage"
    return served.content


def hostile_customers(rows: int = 400) -> bytes:
    """The sample's first rows, with formula-like ids among them."""
    frame = pl.read_csv(SAMPLE, n_rows=rows, schema_overrides={"CUST_ID": pl.String})
    ids = [*HOSTILE_IDS, *frame.get_column("CUST_ID").to_list()[len(HOSTILE_IDS) :]]
    return frame.with_columns(CUST_ID=pl.Series(ids)).write_csv().encode()


def assert_neutralised(content: bytes) -> None:
    """No line of the CSV starts a formula."""
    lines = content.decode("utf-8").splitlines()
    assert lines
    assert not [line for line in lines if line.startswith(("=", "+", "-", "@"))]


def assert_all_quoted(content: bytes) -> None:
    """Every formula-like id is there, quoted."""
    text = content.decode("utf-8")
    for hostile in HOSTILE_IDS:
        assert f"'{hostile}" in text, hostile


def test_the_scores_download_quotes_formula_like_ids() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/score.py").run()
    at.file_uploader(key="score_upload").set_value(
        ("new.csv", hostile_customers(), "text/csv")
    ).run()
    assert not at.exception
    scores = downloaded(at, "download_scores")
    assert_neutralised(scores)
    assert_all_quoted(scores)


def test_every_export_csv_quotes_formula_like_ids() -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/export.py").run()
    at.sidebar.file_uploader(key="upload").set_value(
        ("book.csv", hostile_customers(), "text/csv")
    ).run()
    assert not at.exception
    assignments = downloaded(at, "download_assignments_csv")
    assert_neutralised(assignments)
    assert_all_quoted(assignments)

    keys = [b.key for b in at.get("download_button") if (b.key or "").startswith("download_aud")]
    assert len(keys) >= 2
    audiences = [downloaded(at, key) for key in keys]
    for audience in audiences:
        assert_neutralised(audience)
    assert_all_quoted(b"".join(audiences))

    # The ZIP holds the same CSVs, byte for byte.
    with zipfile.ZipFile(io.BytesIO(downloaded(at, "download_zip"))) as archive:
        csvs = {name: archive.read(name) for name in archive.namelist() if name.endswith(".csv")}
    lists = [f"campaign/audiences/segment-{key.rsplit('_', 1)[1]}.csv" for key in keys]
    assert sorted(csvs) == sorted(["campaign/assignments.csv", *lists])
    assert csvs["campaign/assignments.csv"] == assignments
    assert [csvs[name] for name in lists] == audiences
