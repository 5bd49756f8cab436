"""An upload (the file's bytes) reads as the file itself: the same way, frame and report."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from segmenter.errors import InputError
from segmenter.ingest.quality import LoadedCustomers, clean_table
from segmenter.ingest.read import load_customers, parse_table, read_table
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from testkit.paths import SAMPLE

HEADER = ",".join([ID_COLUMN, *FEATURE_COLUMNS])
# Two customers, every feature a plain number; C2 lacks PAYMENTS and MINIMUM_PAYMENTS.
ROWS = [
    "C1,40.9,0.8,95.4,0,95.4,0,0.17,0,0.08,0,0,2,1000,201.8,139.5,0,12",
    "C2,3202.47,0.91,0,0,0,6442.95,0,0,0,0.25,4,0,7000,,,0.22,12",
]
PLAIN = "\n".join([HEADER, *ROWS]) + "\n"


def semicolon_decimal_comma(text: str) -> str:
    return text.replace(",", ";").replace(".", ",")


def quoted_thousands(text: str) -> str:
    return text.replace(",3202.47,", ',"3,202.47",').replace(",6442.95,", ',"6,442.95",')


def without_ids(text: str) -> str:
    return "\n".join(line.split(",", 1)[1] for line in text.splitlines()) + "\n"


def upload_of(path: Path) -> LoadedCustomers:
    """What the app does with an upload: the bytes, under the name the browser sends."""
    return clean_table(parse_table(path.read_bytes(), name=path.name))


def assert_same_as_the_file(path: Path) -> LoadedCustomers:
    from_file, uploaded = load_customers(path), upload_of(path)
    assert_frame_equal(uploaded.frame, from_file.frame)
    assert uploaded.report.source == path.name
    assert uploaded.report.model_copy(update={"source": str(path)}) == from_file.report
    # Taken the same way: a typed read gives Float64 columns, the careful one text.
    raw_file, raw_upload = read_table(path), parse_table(path.read_bytes(), name=path.name)
    assert raw_upload.frame.schema == raw_file.frame.schema
    return uploaded


def test_the_bundled_sample_uploads_as_read_and_typed() -> None:
    uploaded = assert_same_as_the_file(SAMPLE)
    assert uploaded.frame.height == 8950
    raw = parse_table(SAMPLE.read_bytes(), name=SAMPLE.name)
    assert raw.frame.schema["BALANCE"] == pl.Float64  # not read as text and parsed again


@pytest.mark.real_data
def test_the_real_file_uploads_as_read(real_data_path: Path) -> None:
    uploaded = assert_same_as_the_file(real_data_path)
    assert (uploaded.report.rows_kept, uploaded.report.missing["MINIMUM_PAYMENTS"]) == (8950, 313)


@pytest.mark.parametrize(
    ("encoded", "typed"),
    [
        pytest.param(PLAIN.encode(), True, id="plain-missing-values"),
        pytest.param(semicolon_decimal_comma(PLAIN).encode(), False, id="semicolon-decimal-comma"),
        pytest.param(b"\xef\xbb\xbf" + PLAIN.encode(), False, id="bom"),
        pytest.param(PLAIN.replace("\n", "\r\n").encode(), True, id="crlf"),
        pytest.param(b"\xef\xbb\xbf" + PLAIN.replace("\n", "\r\n").encode(), False, id="bom-crlf"),
        pytest.param(quoted_thousands(PLAIN).encode(), False, id="quoted-thousands"),
        pytest.param(PLAIN.replace(",,,", ",n/a,NA,").encode(), False, id="missing-as-words"),
        pytest.param(without_ids(PLAIN).encode(), True, id="no-id-column"),
        pytest.param(PLAIN.replace("C1", "Zoë").encode("latin-1"), False, id="latin-1"),
        pytest.param(PLAIN.encode("utf-16"), False, id="utf-16"),
    ],
)
def test_tricky_files_upload_as_read(tmp_path: Path, encoded: bytes, typed: bool) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(encoded)
    uploaded = assert_same_as_the_file(path)
    raw = parse_table(encoded, name=path.name)
    assert (raw.frame.schema["BALANCE"] == pl.Float64) is typed
    assert uploaded.frame.get_column("BALANCE").to_list() == [40.9, 3202.47]
    assert uploaded.report.missing == {"PAYMENTS": 1, "MINIMUM_PAYMENTS": 1}


def test_an_upload_with_a_bad_cell_is_read_the_careful_way_as_the_file_is(tmp_path: Path) -> None:
    rows = [
        ROWS[0].replace("40.9", "n.a."),
        *[ROWS[1].replace("C2", f"C{i}") for i in range(2, 40)],
    ]
    path = tmp_path / "customers.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    uploaded = assert_same_as_the_file(path)
    finding = next(f for f in uploaded.report.findings if f.issue == "not_a_number")
    assert (finding.column, finding.count, finding.example) == ("BALANCE", 1, "row 2: 'n.a.'")


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_binary_formats_upload_as_read(tmp_path: Path, suffix: str) -> None:
    frame = load_customers(SAMPLE).frame.head(50)
    path = tmp_path / f"customers{suffix}"
    if suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_excel(path)
    uploaded = assert_same_as_the_file(path)
    assert_frame_equal(uploaded.frame, frame)


def test_text_named_as_parquet_is_refused_from_a_file_as_from_an_upload(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    path.write_text(PLAIN, encoding="utf-8")
    for read in (lambda: read_table(path), lambda: parse_table(PLAIN.encode(), name=path.name)):
        with pytest.raises(InputError, match=r"not a valid \.parquet file"):
            read()
