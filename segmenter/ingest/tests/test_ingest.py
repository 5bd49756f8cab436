"""Reading files: formats, delimiters, encodings, decimal marks and column names."""

from __future__ import annotations

import contextlib
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from segmenter.errors import InputError
from segmenter.ingest.mapping import map_columns
from segmenter.ingest.read import load_customers, parse_table
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN, normalise_name

HEADER = [ID_COLUMN, *FEATURE_COLUMNS]
ROW_1 = ["C1", "40.9", "0.8", "95.4", "0", "95.4", "0", "0.17", "0", "0.08", "0", "0", "2"]
ROW_1 += ["1000", "201.8", "139.5", "0", "12"]
ROW_2 = ["C2", "3202.47", "0.91", "0", "0", "0", "6442.95", "0", "0", "0", "0.25", "4", "0"]
ROW_2 += ["7000", "4103.03", "", "0.22", "12"]


def expected() -> pl.DataFrame:
    return pl.DataFrame([ROW_1, ROW_2], schema=HEADER, orient="row").with_columns(
        pl.col(FEATURE_COLUMNS).replace("", None).cast(pl.Float64)
    )


def write(tmp_path: Path, text: str, *, name: str = "in.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def as_text(
    delimiter: str = ",", *, decimal_comma: bool = False, header: list[str] = HEADER
) -> str:
    def cell(value: str) -> str:
        return value.replace(".", ",") if decimal_comma else value

    lines = [delimiter.join(header)]
    lines += [delimiter.join(cell(v) for v in row) for row in (ROW_1, ROW_2)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
def test_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    loaded = load_customers(write(tmp_path, as_text(delimiter)))
    assert loaded.report.delimiter == delimiter
    assert_frame_equal(loaded.frame, expected())


def test_decimal_comma_with_semicolons(tmp_path: Path) -> None:
    loaded = load_customers(write(tmp_path, as_text(";", decimal_comma=True)))
    assert loaded.report.decimal_comma
    assert_frame_equal(loaded.frame, expected())


def test_decimal_comma_with_thousands_points(tmp_path: Path) -> None:
    text = as_text(";", decimal_comma=True).replace("3202,47", "3.202,47")
    assert_frame_equal(load_customers(write(tmp_path, text)).frame, expected())


@pytest.mark.parametrize(
    ("prefix", "newline", "encoding"),
    [
        pytest.param("\ufeff", "\n", "utf-8", id="bom"),
        pytest.param("", "\r\n", "utf-8", id="crlf"),
        pytest.param("\ufeff", "\r\n", "utf-8", id="bom-crlf"),
        pytest.param("", "\n", "utf-16", id="utf16"),
    ],
)
def test_bom_newlines_and_encodings(
    tmp_path: Path, prefix: str, newline: str, encoding: str
) -> None:
    text = prefix + as_text().replace("\n", newline)
    loaded = load_customers(write(tmp_path, text, encoding=encoding))
    assert_frame_equal(loaded.frame, expected())


def test_latin1_falls_back(tmp_path: Path) -> None:
    text = as_text().replace("C1", "Zoë-1")
    loaded = load_customers(write(tmp_path, text, encoding="latin-1"))
    assert loaded.report.encoding == "latin-1"
    assert loaded.frame.get_column(ID_COLUMN).to_list() == ["Zoë-1", "C2"]


def test_parquet_with_shuffled_columns_and_numeric_types(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    expected().select(reversed(HEADER)).write_parquet(path)
    loaded = load_customers(path)
    assert loaded.report.format == "parquet"
    assert_frame_equal(loaded.frame, expected())


def test_excel_with_an_error_column(tmp_path: Path) -> None:
    path = tmp_path / "in.xlsx"
    expected().with_columns(pl.lit("#VALUE!").alias("#VALUE!")).write_excel(path)
    loaded = load_customers(path)
    assert loaded.report.format == "excel"
    assert loaded.report.ignored_columns == ["#VALUE!"]
    assert_frame_equal(loaded.frame, expected())


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("cust id", ID_COLUMN),
        ("Customer_ID", ID_COLUMN),
        (" balance ", "BALANCE"),
        ("installment_purchases", "INSTALLMENTS_PURCHASES"),
        ("One-Off Purchases", "ONEOFF_PURCHASES"),
        ("purchases_installment_frequency", "PURCHASES_INSTALLMENTS_FREQUENCY"),
        ("Minimum Payments", "MINIMUM_PAYMENTS"),
        ("prc full payment", "PRC_FULL_PAYMENT"),
    ],
)
def test_column_names_map_whatever_their_spelling(name: str, canonical: str) -> None:
    columns = [c for c in HEADER if c != canonical] + [name]
    assert map_columns(columns).renames[name] == canonical


def test_normalise_name_folds_case_spacing_and_punctuation() -> None:
    assert (
        normalise_name(" Cash-Advance TRX ")
        == normalise_name("cash_advance_trx")
        == "cashadvancetrx"
    )


def test_extra_columns_are_ignored_and_listed(tmp_path: Path) -> None:
    header = ["Unnamed: 0", *HEADER, "notes"]
    lines = [",".join(header)] + [
        ",".join([str(i), *row, "x"]) for i, row in enumerate((ROW_1, ROW_2))
    ]
    loaded = load_customers(write(tmp_path, "\n".join(lines)))
    assert loaded.report.ignored_columns == ["Unnamed: 0", "notes"]
    assert_frame_equal(loaded.frame, expected())


def test_missing_columns_are_refused_naming_them(tmp_path: Path) -> None:
    header = [c for c in HEADER if c not in {"TENURE", "PAYMENTS"}]
    with pytest.raises(
        InputError,
        match=r"missing 2 required column\(s\): PAYMENTS, TENURE; columns found: 'CUST_ID'",
    ):
        map_columns(header, source="in.csv")


def test_two_columns_for_one_name_are_refused() -> None:
    with pytest.raises(InputError, match="'BALANCE' and 'balance' both look like BALANCE"):
        map_columns([*HEADER, "balance"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "the file is empty", id="empty"),
        pytest.param(b"  \n\n", "the file is empty", id="blank"),
        pytest.param(",".join(HEADER).encode() + b"\n", "header but no rows", id="header-only"),
        pytest.param(b"\x00\x01\x02binary\x00" * 50, "looks like a binary file", id="binary"),
        pytest.param(b"just one column\n1\n", "no column delimiter", id="one-column"),
        pytest.param(b"PAR1 not really parquet", "not a readable Parquet file", id="fake-parquet"),
        pytest.param(
            b"PK\x03\x04 not a workbook", "not a readable Excel workbook", id="fake-excel"
        ),
    ],
)
def test_unusable_files_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_table(content, name="in.csv")


def test_ragged_row_is_refused_naming_it(tmp_path: Path) -> None:
    text = as_text() + ",".join([*ROW_1, "extra", "more"]) + "\n"
    with pytest.raises(InputError, match="row 4 has 20 fields but the header has 18"):
        load_customers(write(tmp_path, text))


def test_wrong_suffix_content_is_refused() -> None:
    with pytest.raises(InputError, match=r"in\.parquet: not a valid \.parquet file"):
        parse_table(as_text().encode(), name="in.parquet")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_only_input_errors(data: bytes) -> None:
    for name in ("x.csv", "x.parquet", "x.xlsx"):
        with contextlib.suppress(InputError):
            parse_table(data, name=name)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(
            st.text(alphabet=st.characters(codec="utf-8"), max_size=12), min_size=1, max_size=20
        ),
        max_size=8,
    )
)
def test_arbitrary_text_under_a_valid_header_loads_or_is_refused(rows: list[list[str]]) -> None:
    text = ",".join(HEADER) + "\n" + "\n".join(",".join(row) for row in rows)
    try:
        loaded = load_customers_bytes(text.encode())
    except InputError:
        return
    kept = set(loaded.frame.get_column(ID_COLUMN).to_list())
    assert loaded.frame.height == loaded.report.rows_kept == len(kept)
    assert loaded.report.rows_kept + len(loaded.report.dropped) == loaded.report.rows_read


def load_customers_bytes(data: bytes):  # type: ignore[no-untyped-def]
    from segmenter.ingest.quality import clean_table

    return clean_table(parse_table(data, name="fuzz.csv"))


def test_a_file_with_no_other_columns_to_map_from_says_so_in_words() -> None:
    with pytest.raises(InputError) as refused:
        map_columns(["CUST_ID", "BALANCE"], source="in.csv")
    assert "The file has no other columns to take them from: it does not hold" in str(refused.value)
