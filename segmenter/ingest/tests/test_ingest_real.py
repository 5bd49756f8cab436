"""The real CC GENERAL file, and re-saved copies of it as users send them, load to one frame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from segmenter.ingest.read import LoadedCustomers, load_customers
from segmenter.ingest.schema import ID_COLUMN
from testkit.segmenter_fixtures import run_cli


@pytest.fixture(scope="module")
def clean(real_data_path: Path) -> LoadedCustomers:
    return load_customers(real_data_path)


@pytest.fixture(scope="module")
def raw(real_data_path: Path) -> pl.DataFrame:
    return pl.read_csv(real_data_path, infer_schema_length=None)


def test_real_file_facts(clean: LoadedCustomers) -> None:
    report = clean.report
    assert (report.rows_read, report.rows_kept) == (8950, 8950)
    assert report.missing == {"CREDIT_LIMIT": 1, "MINIMUM_PAYMENTS": 313}
    assert report.dropped == []
    by_issue = {(f.issue, f.column): f for f in report.findings}
    cash_advance = by_issue["out_of_range", "CASH_ADVANCE_FREQUENCY"]
    assert cash_advance.count == 8
    assert cash_advance.action.startswith("kept")
    assert by_issue["inconsistent", "PURCHASES"].count == 19
    assert clean.frame.get_column("CASH_ADVANCE_FREQUENCY").max() == 1.5
    assert clean.frame.get_column(ID_COLUMN).head(2).to_list() == ["C10001", "C10002"]


def renamed(frame: pl.DataFrame) -> pl.DataFrame:
    names = {"CUST_ID": "customer id", "INSTALLMENTS_PURCHASES": "installment_purchases"}
    return frame.rename(lambda c: names.get(c, c.lower().replace("_", " ")))


def with_junk(frame: pl.DataFrame) -> pl.DataFrame:
    junk = [pl.int_range(pl.len()).alias(""), pl.lit(None, pl.String).alias("#VALUE!")]
    return frame.with_columns(*junk).select("", pl.exclude(""))


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path)


def write_semicolon_decimal_comma(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, separator=";", decimal_comma=True)


def write_bom_crlf(frame: pl.DataFrame, path: Path) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + frame.write_csv().replace("\n", "\r\n").encode())


def write_shuffled_parquet(frame: pl.DataFrame, path: Path) -> None:
    frame.select(frame.columns[9:] + frame.columns[:9]).write_parquet(path)


def write_excel(frame: pl.DataFrame, path: Path) -> None:
    frame.write_excel(path)


@pytest.mark.parametrize(
    ("transform", "writer", "suffix"),
    [
        pytest.param(renamed, write_csv, ".csv", id="lower-cased-renamed"),
        pytest.param(
            lambda f: f, write_semicolon_decimal_comma, ".csv", id="semicolon-decimal-comma"
        ),
        pytest.param(lambda f: f, write_bom_crlf, ".csv", id="bom-crlf"),
        pytest.param(lambda f: f, write_shuffled_parquet, ".parquet", id="parquet-shuffled"),
        pytest.param(lambda f: f, write_excel, ".xlsx", id="excel"),
        pytest.param(with_junk, write_csv, ".csv", id="junk-columns"),
    ],
)
def test_resaved_copies_load_to_the_same_frame(
    tmp_path: Path,
    raw: pl.DataFrame,
    clean: LoadedCustomers,
    transform: Callable[[pl.DataFrame], pl.DataFrame],
    writer: Callable[[pl.DataFrame, Path], None],
    suffix: str,
) -> None:
    path = tmp_path / f"copy{suffix}"
    writer(transform(raw), path)
    loaded = load_customers(path)
    assert_frame_equal(loaded.frame, clean.frame)
    assert loaded.report.missing == clean.report.missing


def test_validate_command_prints_the_report(real_data_path: Path) -> None:
    done = run_cli("validate", str(real_data_path))
    assert done.returncode == 0, done.stderr
    assert "8,950 read, 8,950 kept" in done.stdout
    assert "MINIMUM_PAYMENTS: 313 missing values" in done.stdout
    assert "CASH_ADVANCE_FREQUENCY: 8 values out of range" in done.stdout
