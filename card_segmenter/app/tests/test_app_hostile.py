"""Decompression bombs uploaded to the app: refused in a sentence before they are read, the
memory of the server process stays where it was, and the app keeps running for the next file."""

from __future__ import annotations

import re
import resource
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from testkit.hostile_files import VALUES, write_parquet_bomb, write_xlsx_bomb
from testkit.paths import APP, SAMPLE

MAX_GROWTH_MB = 500  # read whole, either bomb takes 4.5 to 7 GB


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


@pytest.mark.parametrize(
    ("build", "said"),
    [
        pytest.param(
            lambda folder: write_xlsx_bomb(folder / "book.xlsx", rows=1221 * 4096),
            r"inflates to 1,6\d\d MB when opened, more than the 1,024 MB allowed",
            id="xlsx",
        ),
        pytest.param(
            lambda folder: write_parquet_bomb(
                folder / "book.parquet", rows=25_000_000, values=VALUES
            ),
            r"25,000,000 rows of 17 columns, more than the 400,000,000 cells",
            id="parquet",
        ),
    ],
)
def test_a_bomb_upload_is_refused_before_it_is_read_and_the_app_goes_on(
    tmp_path: Path, build: object, said: str
) -> None:
    path: Path = build(tmp_path)  # type: ignore[operator]
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("card_segmenter/app/pages/data.py")  # segments nothing
    at.run()
    before = peak_mb()
    at.sidebar.file_uploader(key="upload").set_value((path.name, path.read_bytes(), None)).run()
    assert not at.exception
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith(f"This file cannot be used: {path.name}: ")
    assert re.search(said, errors[0]), errors[0]
    assert peak_mb() - before < MAX_GROWTH_MB
    # The next file is read as usual.
    at.sidebar.file_uploader(key="upload").set_value(
        (SAMPLE.name, SAMPLE.read_bytes(), "text/csv")
    ).run()
    assert not at.error
    assert any(m.value.startswith("Data quality:") for m in at.subheader)
