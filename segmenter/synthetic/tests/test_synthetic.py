"""The synthetic card-holder generator: schema, hard constraints, determinism, realism, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy.stats import ks_2samp

from card_segmenter.cli import main
from segmenter.errors import InputError
from segmenter.ingest.schema import CANONICAL_COLUMNS, COUNT_COLUMNS, FEATURE_COLUMNS, MONEY_COLUMNS
from segmenter.synthetic.calibration import CALIBRATION_PATH
from segmenter.synthetic.derive import derive_calibration, read_real_file
from segmenter.synthetic.generate import CHUNK_ROWS, generate_customers, write_customers
from testkit.paths import REPO

SAMPLE = REPO / "data" / "sample_customers.csv"
SAMPLE_ROWS, SAMPLE_SEED = 8_950, 42  # the bundled sample: segmenter sample --rows 8950 --seed 42


@pytest.fixture(scope="module")
def customers() -> pl.DataFrame:
    return generate_customers(20_000, seed=11)


@pytest.fixture(scope="module")
def real(real_data_path: Path) -> pl.DataFrame:
    return read_real_file(real_data_path)


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as done:
        return int(done.code or 0)
    return 0


# Schema and hard constraints -------------------------------------------------------------------


def test_columns_are_the_real_files_in_its_order(customers: pl.DataFrame) -> None:
    assert tuple(customers.columns) == CANONICAL_COLUMNS
    assert customers["CUST_ID"].head(3).to_list() == ["C10001", "C10002", "C10003"]
    assert customers["CUST_ID"].n_unique() == customers.height


def test_purchases_are_one_off_plus_instalments(customers: pl.DataFrame) -> None:
    total = customers["ONEOFF_PURCHASES"] + customers["INSTALLMENTS_PURCHASES"]
    assert ((customers["PURCHASES"] - total).abs() <= 0.005).all()


def test_frequencies_stay_in_range(customers: pl.DataFrame) -> None:
    for column in ("BALANCE_FREQUENCY", "PURCHASES_FREQUENCY", "ONEOFF_PURCHASES_FREQUENCY"):
        assert customers[column].is_between(0, 1).all(), column
    assert customers["PURCHASES_INSTALLMENTS_FREQUENCY"].is_between(0, 1).all()
    assert customers["PRC_FULL_PAYMENT"].is_between(0, 1).all()
    # As in the real file, cash-advance frequency may pass 1 (up to 1.5) in a few rows.
    assert customers["CASH_ADVANCE_FREQUENCY"].is_between(0, 1.5).all()
    assert (customers["CASH_ADVANCE_FREQUENCY"] > 1).mean() < 0.005


def test_purchase_frequency_covers_one_off_and_instalment_months(customers: pl.DataFrame) -> None:
    larger = pl.max_horizontal("ONEOFF_PURCHASES_FREQUENCY", "PURCHASES_INSTALLMENTS_FREQUENCY")
    assert customers.select((pl.col("PURCHASES_FREQUENCY") >= larger).all()).item()


@pytest.mark.parametrize(
    ("amount", "frequency", "count"),
    [
        ("PURCHASES", "PURCHASES_FREQUENCY", "PURCHASES_TRX"),
        ("ONEOFF_PURCHASES", "ONEOFF_PURCHASES_FREQUENCY", None),
        ("INSTALLMENTS_PURCHASES", "PURCHASES_INSTALLMENTS_FREQUENCY", None),
        ("CASH_ADVANCE", "CASH_ADVANCE_FREQUENCY", "CASH_ADVANCE_TRX"),
        ("BALANCE", "BALANCE_FREQUENCY", None),
    ],
    ids=["purchases", "one-off", "instalments", "cash-advance", "balance"],
)
def test_zero_amounts_exactly_when_zero_frequency_and_count(
    customers: pl.DataFrame, amount: str, frequency: str, count: str | None
) -> None:
    none = customers[amount] == 0
    assert (none == (customers[frequency] == 0)).all()
    if count is not None:
        assert (none == (customers[count] == 0)).all()


@pytest.mark.parametrize(
    ("count", "frequency"),
    [("PURCHASES_TRX", "PURCHASES_FREQUENCY"), ("CASH_ADVANCE_TRX", "CASH_ADVANCE_FREQUENCY")],
    ids=["purchases", "cash-advance"],
)
def test_counts_are_integers_with_one_per_active_month(
    customers: pl.DataFrame, count: str, frequency: str
) -> None:
    assert customers[count].dtype == pl.Int64
    months = (customers[frequency] * customers["TENURE"]).round(0)
    assert (customers[count] >= months).all()


def test_tenure_is_a_whole_number_of_months_from_6_to_12(customers: pl.DataFrame) -> None:
    assert customers["TENURE"].dtype == pl.Int64
    assert set(customers["TENURE"].unique().to_list()) == set(range(6, 13))


def test_money_is_never_negative(customers: pl.DataFrame) -> None:
    for column in MONEY_COLUMNS:
        assert (customers[column].drop_nulls() >= 0).all(), column


def test_missing_values_as_in_the_real_file(customers: pl.DataFrame) -> None:
    missing = customers["MINIMUM_PAYMENTS"].is_null()
    assert 0.030 <= missing.mean() <= 0.040  # 313 of 8,950 in the real file: 3.5 %
    assert missing.filter(customers["PAYMENTS"] == 0).all()
    others = [c for c in FEATURE_COLUMNS if c not in {"MINIMUM_PAYMENTS", "CREDIT_LIMIT"}]
    assert customers.select(pl.col(*others).null_count().sum()).to_series().sum() == 0


# Determinism ------------------------------------------------------------------------------------


def test_same_seed_same_rows_and_any_prefix_is_a_shorter_run() -> None:
    rows = CHUNK_ROWS + 500  # crosses a chunk boundary
    full = generate_customers(rows, seed=5)
    assert_frame_equal(generate_customers(rows, seed=5), full)
    assert_frame_equal(generate_customers(700, seed=5), full.head(700))


def test_different_seed_different_rows() -> None:
    first, second = generate_customers(200, seed=1), generate_customers(200, seed=2)
    assert not first.drop("CUST_ID").equals(second.drop("CUST_ID"))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, suffix: str) -> None:
    rows = CHUNK_ROWS + 10
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    write_customers(first, rows=rows, seed=9)
    write_customers(second, rows=rows, seed=9)
    assert first.read_bytes() == second.read_bytes()
    read = pl.read_csv if suffix == ".csv" else pl.read_parquet
    written = read(first)
    assert tuple(written.columns) == CANONICAL_COLUMNS
    assert written.height == rows
    assert all(written[c].dtype == pl.Int64 for c in (*COUNT_COLUMNS, "TENURE"))


@pytest.mark.parametrize(
    ("name", "rows", "message"),
    [("out.txt", 10, r"\.csv or \.parquet"), ("out", 10, "suffix"), ("out.csv", 0, "at least 1")],
    ids=["wrong-suffix", "no-suffix", "no-rows"],
)
def test_write_refuses_bad_requests(tmp_path: Path, name: str, rows: int, message: str) -> None:
    with pytest.raises(InputError, match=message):
        write_customers(tmp_path / name, rows=rows, seed=0)


# Command line and the bundled sample -------------------------------------------------------------


def test_cli_sample_writes_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "customers.parquet"
    assert _run(["sample", "--rows", "300", "--seed", "3", "--out", str(out)]) == 0
    assert_frame_equal(pl.read_parquet(out), generate_customers(300, seed=3))


@pytest.mark.parametrize(
    "argv",
    [["--rows", "10", "--out", "customers.xlsx"], ["--rows", "0", "--out", "customers.csv"]],
    ids=["bad-suffix", "no-rows"],
)
def test_cli_sample_refuses_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    argv = [*argv[:-1], str(tmp_path / argv[-1])]
    assert _run(["sample", *argv]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ")
    assert len(error.splitlines()) == 1


def test_bundled_sample_is_what_the_documented_command_makes(tmp_path: Path) -> None:
    out = tmp_path / "sample_customers.csv"
    assert (
        _run(["sample", "--rows", str(SAMPLE_ROWS), "--seed", str(SAMPLE_SEED), "--out", str(out)])
        == 0
    )
    assert out.read_bytes() == SAMPLE.read_bytes()


# Realism against the real file ------------------------------------------------------------------


def _ks_and_zero_gaps(
    real: pl.DataFrame, synthetic: pl.DataFrame
) -> dict[str, tuple[float, float]]:
    result = {}
    for column in FEATURE_COLUMNS:
        a = real[column].drop_nulls().cast(pl.Float64).to_numpy()
        b = synthetic[column].drop_nulls().cast(pl.Float64).to_numpy()
        result[column] = (ks_2samp(a, b).statistic, abs(np.mean(a == 0) - np.mean(b == 0)))
    return result


@pytest.mark.real_data
def test_marginals_and_zero_shares_match_the_real_file(
    real: pl.DataFrame, customers: pl.DataFrame
) -> None:
    gaps = _ks_and_zero_gaps(real, customers)
    ks = np.array([statistic for statistic, _ in gaps.values()])
    assert ks.mean() <= 0.08, gaps
    assert ks.max() <= 0.2, gaps
    assert all(zero_gap <= 0.05 for _, zero_gap in gaps.values()), gaps


@pytest.mark.real_data
def test_bundled_sample_matches_the_real_file(real: pl.DataFrame) -> None:
    sample = pl.read_csv(SAMPLE, schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64))
    ks = np.array([statistic for statistic, _ in _ks_and_zero_gaps(real, sample).values()])
    assert ks.mean() <= 0.08
    assert ks.max() <= 0.2


@pytest.mark.real_data
def test_no_real_row_is_in_the_sample_or_the_calibration(real: pl.DataFrame) -> None:
    sample = pl.read_csv(SAMPLE, schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64))
    assert real.join(sample, on=list(FEATURE_COLUMNS), nulls_equal=True).height == 0
    # Balances are interpolated between quantiles, so not even one real balance comes back.
    positive = pl.col("BALANCE") > 0
    assert real.filter(positive).join(sample.filter(positive), on="BALANCE").height == 0
    assert CALIBRATION_PATH.stat().st_size < 100_000  # aggregates only


@pytest.mark.real_data
def test_shipped_marginals_are_what_the_script_derives(real: pl.DataFrame) -> None:
    shipped = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
    derived = derive_calibration(real, rounds=1).to_json()
    assert derived["marginals"] == shipped["marginals"]
    assert derived["missing"] == shipped["missing"]
