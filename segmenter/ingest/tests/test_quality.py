"""The quality rules, one small hand-made file each: what is counted, changed, dropped, refused."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from segmenter.errors import InputError
from segmenter.ingest.read import load_customers
from segmenter.ingest.report import DROPPED_EXAMPLES, merge_reports
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN

# One plausible customer; tests override single fields.
BASE = {
    "BALANCE": "40.9",
    "BALANCE_FREQUENCY": "0.8",
    "PURCHASES": "95.4",
    "ONEOFF_PURCHASES": "0",
    "INSTALLMENTS_PURCHASES": "95.4",
    "CASH_ADVANCE": "0",
    "PURCHASES_FREQUENCY": "0.17",
    "ONEOFF_PURCHASES_FREQUENCY": "0",
    "PURCHASES_INSTALLMENTS_FREQUENCY": "0.08",
    "CASH_ADVANCE_FREQUENCY": "0",
    "CASH_ADVANCE_TRX": "0",
    "PURCHASES_TRX": "2",
    "CREDIT_LIMIT": "1000",
    "PAYMENTS": "201.8",
    "MINIMUM_PAYMENTS": "139.5",
    "PRC_FULL_PAYMENT": "0",
    "TENURE": "12",
}


def write_csv(tmp_path: Path, rows: list[dict[str, str]], *, n: int = 0) -> Path:
    """Rows given by their overrides of BASE, then n plain rows, each with a fresh id."""
    all_rows = [{ID_COLUMN: f"C{i}", **BASE, **row} for i, row in enumerate(rows, start=1)]
    all_rows += [{ID_COLUMN: f"P{i}", **BASE} for i in range(n)]
    header = [ID_COLUMN, *FEATURE_COLUMNS]
    lines = [",".join(header)] + [",".join(r[c] for c in header) for r in all_rows]
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def finding(report, issue: str, column: str | None):  # type: ignore[no-untyped-def]
    matches = [f for f in report.findings if f.issue == issue and f.column == column]
    assert len(matches) == 1, report.render()
    return matches[0]


def test_clean_file_has_no_findings(tmp_path: Path) -> None:
    loaded = load_customers(write_csv(tmp_path, [{}], n=2))
    assert loaded.report.findings == []
    assert loaded.report.rows_read == loaded.report.rows_kept == 3
    assert loaded.frame.columns == [ID_COLUMN, *FEATURE_COLUMNS]
    assert loaded.frame.schema[ID_COLUMN] == pl.String
    assert all(loaded.frame.schema[c] == pl.Float64 for c in FEATURE_COLUMNS)
    assert "nothing was changed" in loaded.report.render()


def test_missing_values_are_counted_and_left_for_the_model(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{"MINIMUM_PAYMENTS": ""}, {"MINIMUM_PAYMENTS": "NA"}], n=1)
    loaded = load_customers(path)
    assert loaded.report.missing == {"MINIMUM_PAYMENTS": 2}
    assert "median" in finding(loaded.report, "missing", "MINIMUM_PAYMENTS").action
    assert loaded.frame.get_column("MINIMUM_PAYMENTS").null_count() == 2


def test_a_few_non_numbers_become_missing_with_an_example(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{"BALANCE": "n/a?"}], n=30)
    loaded = load_customers(path)
    bad = finding(loaded.report, "not_a_number", "BALANCE")
    assert (bad.count, bad.example) == (1, "row 2: 'n/a?'")
    assert loaded.report.missing == {"BALANCE": 1}


def test_many_non_numbers_refuse_naming_column_count_and_row(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{}, {"BALANCE": "lots"}, {"BALANCE": "more"}], n=7)
    with pytest.raises(
        InputError, match=r"column BALANCE: 2 of 10 values are not numbers, e\.g\. row 3: 'lots'"
    ):
        load_customers(path)


def test_quoted_and_grouped_numbers_are_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{"CREDIT_LIMIT": '"1,500.50"', "BALANCE": '"40.9"'}])
    frame = load_customers(path).frame
    assert frame.row(0, named=True)["CREDIT_LIMIT"] == 1500.5
    assert frame.row(0, named=True)["BALANCE"] == 40.9


def test_negative_money_is_set_to_zero_and_counted(tmp_path: Path) -> None:
    loaded = load_customers(write_csv(tmp_path, [{"PAYMENTS": "-5"}], n=1))
    negative = finding(loaded.report, "negative", "PAYMENTS")
    assert (negative.count, negative.action) == (1, "set to 0")
    assert loaded.frame.get_column("PAYMENTS").to_list() == [0.0, 201.8]


@pytest.mark.parametrize(
    ("column", "value", "kept"),
    [
        pytest.param("PURCHASES_FREQUENCY", "1.2", 1.0, id="share-clipped-to-1"),
        pytest.param("CASH_ADVANCE_FREQUENCY", "1.25", 1.25, id="cash-advance-kept-to-1.5"),
        pytest.param("CASH_ADVANCE_FREQUENCY", "1.75", 1.5, id="cash-advance-clipped-at-1.5"),
        pytest.param("PRC_FULL_PAYMENT", "-0.5", 0.0, id="negative-share-to-0"),
    ],
)
def test_out_of_range_shares(tmp_path: Path, column: str, value: str, kept: float) -> None:
    loaded = load_customers(write_csv(tmp_path, [{column: value}], n=40))
    assert finding(loaded.report, "out_of_range", column).count == 1
    assert loaded.frame.get_column(column)[0] == kept


def test_percentages_in_a_share_column_are_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{"PURCHASES_FREQUENCY": "50"}, {"PURCHASES_FREQUENCY": "80"}], n=3)
    with pytest.raises(
        InputError, match=r"PURCHASES_FREQUENCY: 2 of 5 values are above 1.*percentages"
    ):
        load_customers(path)


def test_tenure_below_one_month_is_set_missing(tmp_path: Path) -> None:
    loaded = load_customers(write_csv(tmp_path, [{"TENURE": "0"}], n=1))
    assert finding(loaded.report, "out_of_range", "TENURE").count == 1
    assert loaded.report.missing == {"TENURE": 1}


def test_implausibly_large_values_are_set_missing(tmp_path: Path) -> None:
    loaded = load_customers(write_csv(tmp_path, [{"BALANCE": "1e300"}], n=1))
    assert finding(loaded.report, "too_large", "BALANCE").count == 1
    assert loaded.frame.get_column("BALANCE").null_count() == 1


def test_infinite_values_are_not_numbers(tmp_path: Path) -> None:
    loaded = load_customers(write_csv(tmp_path, [{"BALANCE": "inf"}], n=30))
    assert finding(loaded.report, "not_a_number", "BALANCE").count == 1


def test_purchases_that_do_not_add_up_are_reported_and_kept(tmp_path: Path) -> None:
    loaded = load_customers(write_csv(tmp_path, [{"PURCHASES": "695.4"}], n=1))
    mismatch = finding(loaded.report, "inconsistent", "PURCHASES")
    assert mismatch.count == 1
    assert "600.00" in mismatch.action
    assert loaded.frame.get_column("PURCHASES")[0] == 695.4


def test_exact_duplicates_are_dropped_and_listed(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{}], n=1)
    path.write_text(path.read_text() + path.read_text().splitlines()[1] + "\n")
    loaded = load_customers(path)
    assert loaded.report.rows_read == 3
    assert loaded.report.rows_kept == 2
    assert [(d.row, d.customer_id) for d in loaded.report.dropped] == [(4, "C1")]
    assert finding(loaded.report, "duplicate_rows", None).count == 1


def test_a_report_names_the_first_rows_dropped_and_counts_them_all(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{}], n=1)  # C1 in row 2, P0 in row 3
    path.write_text(path.read_text() + (path.read_text().splitlines()[1] + "\n") * 150)
    report = load_customers(path).report
    assert (report.rows_read, report.rows_kept, report.rows_dropped) == (152, 2, 150)
    assert finding(report, "duplicate_rows", None).count == 150
    assert [d.row for d in report.dropped] == list(range(4, 4 + DROPPED_EXAMPLES))
    text = report.render()
    assert "Dropped rows (150):\n- row 4, customer C1: exact duplicate of an earlier row" in text
    assert text.endswith(
        "- row 13, customer C1: exact duplicate of an earlier row\n- ... and 140 more"
    )
    merged = merge_reports([report, report], note="read in 2 batches")
    assert (merged.rows_dropped, merged.dropped) == (300, report.dropped)


def test_rows_without_any_value_are_dropped_and_listed(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{c: "" for c in FEATURE_COLUMNS}], n=2)
    loaded = load_customers(path)
    assert [(d.row, d.customer_id, d.reason) for d in loaded.report.dropped] == [
        (2, "C1", "no behavioural values at all")
    ]
    assert loaded.report.rows_kept == 2


def test_same_id_with_different_values_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{}, {"BALANCE": "99"}])
    path.write_text(path.read_text().replace("C2,", "C1,"))
    with pytest.raises(
        InputError, match=r"1 customer id\(s\) appear more than once.*C1 \(rows 2, 3\)"
    ):
        load_customers(path)


def test_missing_id_column_generates_ids(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{}], n=1)
    path.write_text("\n".join(line.split(",", 1)[1] for line in path.read_text().splitlines()))
    loaded = load_customers(path)
    assert loaded.report.ids_generated
    assert loaded.frame.get_column(ID_COLUMN).to_list() == ["row-2", "row-3"]
    assert finding(loaded.report, "generated_ids", ID_COLUMN).count == 2


def test_blank_ids_are_generated_from_row_numbers(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{}], n=1)
    path.write_text(path.read_text().replace("P0,", ","))
    loaded = load_customers(path)
    assert loaded.frame.get_column(ID_COLUMN).to_list() == ["C1", "row-3"]
    assert not loaded.report.ids_generated


def test_numeric_ids_are_kept_as_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{}], n=1)
    path.write_text(path.read_text().replace("C1,", "10001,").replace("P0,", "10002.0,"))
    assert load_customers(path).frame.get_column(ID_COLUMN).to_list() == ["10001", "10002"]


def test_the_findings_table_reads_as_words_with_blanks_not_none(tmp_path: Path) -> None:
    path = write_csv(tmp_path, [{"MINIMUM_PAYMENTS": ""}, {}, {"BALANCE": "-5"}], n=1)
    path.write_text(path.read_text() + path.read_text().splitlines()[2] + "\n")  # a duplicate
    table = load_customers(path).report.findings_table()
    assert table.columns == ["Finding", "Column", "Rows", "What was done", "Example"]
    rows = {(r["Finding"], r["Column"]): r for r in table.iter_rows(named=True)}
    assert rows[("missing values", "MINIMUM_PAYMENTS")]["Example"] == ""
    assert rows[("exact duplicate rows", "whole rows")]["Rows"] == 1
    assert rows[("negative amounts", "BALANCE")]["Example"].startswith("row 4")
    assert table.null_count().sum_horizontal().item() == 0


def test_every_kind_of_finding_reads_as_words() -> None:
    from typing import get_args

    from segmenter.ingest.report import _ISSUE_TEXT, Issue

    assert set(_ISSUE_TEXT) == set(get_args(Issue))


def test_a_plain_number_among_lettered_ids_is_not_a_customer(tmp_path: Path) -> None:
    rows = [{"CUST_ID": f"C{10001 + i}"} for i in range(30)] + [{"CUST_ID": "0"}]
    loaded = load_customers(write_csv(tmp_path, rows, n=0))
    [dropped] = loaded.report.dropped
    assert (dropped.row, dropped.customer_id) == (32, "0")
    assert dropped.reason == "id '0' is not like the others: not a customer row"
    assert loaded.report.rows_kept == 30
