"""Damaged and renamed copies of the real file, made the way they reach users: refused when the
values cannot be trusted, read when they can, and then segmented exactly like the original."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from segmenter.errors import InputError
from segmenter.ingest.candidates import chosen_columns, column_choices
from segmenter.ingest.quality import clean_table
from segmenter.ingest.read import LoadedCustomers, load_customers, parse_table
from segmenter.ingest.schema import CANONICAL_COLUMNS, FEATURE_COLUMNS, FREQUENCY_COLUMNS
from segmenter.pipeline import run_segmentation
from testkit.headers import SPANISH

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def text(real_data_path: Path) -> pl.DataFrame:
    """The real file with every cell as written, so copies change the text as re-saves do."""
    return pl.read_csv(real_data_path, infer_schema=False)


@pytest.fixture(scope="module")
def original(real_data_path: Path) -> LoadedCustomers:
    return load_customers(real_data_path)


def write(frame: pl.DataFrame, path: Path) -> Path:
    frame.write_csv(path)
    return path


def sizes(loaded: LoadedCustomers) -> list[int]:
    run = run_segmentation(loaded.frame, algorithm="kmeans", k=4, seed=0, n_bootstraps=2)
    return [s.size for s in run.profile.segments]


def test_lost_decimal_points_in_share_columns_are_refused(
    text: pl.DataFrame, tmp_path: Path
) -> None:
    # A locale round-trip read '0.875' as 875 (a point before three digits is a thousands
    # separator there); other shares such as '0.818182' survived.
    lost = text.with_columns(
        pl.col(c).str.replace(r"^0\.(\d{3})$", "$1").str.replace(r"^0+(\d)", "$1")
        for c in FREQUENCY_COLUMNS
    )
    with pytest.raises(InputError) as refused:
        load_customers(write(lost, tmp_path / "lost.csv"))
    message = str(refused.value)
    assert re.search(r"column BALANCE_FREQUENCY: 86 of 8,950 values are above 1 ", message)
    assert re.search(r"e\.g\. row \d+: \d{3}", message)
    assert "the decimal point looks lost in a re-save" in message
    assert "re-export the file from its source with decimal points" in message


def test_money_a_thousand_times_too_large_is_refused(text: pl.DataFrame, tmp_path: Path) -> None:
    scaled = text.with_row_index().with_columns(
        pl.when((pl.col("index") % 30 == 0) & (pl.col(c).cast(pl.Float64) > 0))
        .then((pl.col(c).cast(pl.Float64) * 1000).cast(pl.String))
        .otherwise(pl.col(c))
        .alias(c)
        for c in ("CASH_ADVANCE", "PAYMENTS")
    )
    refused = r"column CASH_ADVANCE: \d+ values are more than 300 times"
    with pytest.raises(InputError, match=refused):
        load_customers(write(scaled.drop("index"), tmp_path / "scaled.csv"))


@pytest.mark.parametrize(
    ("column", "factor", "said"),
    [
        # Every credit limit times a million segmented with a mean limit of 4.36e9 before.
        pytest.param(
            "CREDIT_LIMIT", 1e6, r"about 5,000,000 times larger than the other money columns' "
            r"\(594\.91\)", id="credit-limit-x1e6",
        ),
        pytest.param(
            "PAYMENTS", 1000, r"about 1,500 times larger than the other money columns' "
            r"\(594\.91\)", id="payments-x1000",
        ),
    ],
)  # fmt: skip
def test_a_money_column_scaled_as_a_whole_is_refused(
    text: pl.DataFrame, tmp_path: Path, column: str, factor: float, said: str
) -> None:
    scaled = text.with_columns((pl.col(column).cast(pl.Float64) * factor).alias(column))
    with pytest.raises(InputError, match=rf"column {column}: its typical amount .*{said}") as no:
        load_customers(write(scaled, tmp_path / "scaled.csv"))
    assert "every amount in the same currency unit" in str(no.value)


def test_the_real_file_passes_the_money_columns_check(original: LoadedCustomers) -> None:
    assert original.report.rows_kept == 8950
    assert not [f for f in original.report.findings if f.issue == "implausible"]


def test_a_credit_limit_scaled_by_millions_is_set_missing_and_listed(
    text: pl.DataFrame, tmp_path: Path
) -> None:
    # One stray cell (8,950.0 read as 8.95e9) is repaired and reported, not segmented as is.
    stray = text.with_columns(
        pl.when(pl.col("CUST_ID") == "C10003")
        .then(pl.lit("8950000000"))
        .otherwise(pl.col("CREDIT_LIMIT"))
        .alias("CREDIT_LIMIT")
    )
    loaded = load_customers(write(stray, tmp_path / "stray.csv"))
    [finding] = [f for f in loaded.report.findings if f.issue == "implausible"]
    assert (finding.column, finding.count, finding.example) == (
        "CREDIT_LIMIT",
        1,
        "row 4: 8,950,000,000",
    )
    assert loaded.report.missing["CREDIT_LIMIT"] == 2
    assert loaded.frame.get_column("CREDIT_LIMIT").max() == 30000


def test_missing_minimum_payments_written_as_zeros_are_refused(
    text: pl.DataFrame, tmp_path: Path
) -> None:
    zeros = text.with_columns(pl.col("MINIMUM_PAYMENTS").fill_null("0"))
    with pytest.raises(
        InputError,
        match=r"column MINIMUM_PAYMENTS: 313 values are exactly 0 and none is missing, "
        r"e\.g\. row \d+; .* with empty cells where values are missing",
    ):
        load_customers(write(zeros, tmp_path / "zeros.csv"))


def test_a_trailing_junk_line_is_dropped_and_listed(
    real_data_path: Path, original: LoadedCustomers, tmp_path: Path
) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(real_data_path.read_bytes() + b"0.0,545565.0\n")
    loaded = load_customers(path)
    assert (loaded.report.rows_read, loaded.report.rows_kept) == (8951, 8950)
    [dropped] = loaded.report.dropped
    assert (dropped.row, dropped.customer_id) == (8952, "0")
    assert dropped.reason == "16 of 17 values missing: not a customer row"
    assert loaded.report.missing == original.report.missing
    assert_frame_equal(loaded.frame, original.frame)
    assert "row 8952, customer 0: 16 of 17 values missing" in loaded.report.render()


def test_a_close_column_name_is_matched_and_reported(
    text: pl.DataFrame, original: LoadedCustomers, tmp_path: Path
) -> None:
    renamed = text.rename({"ONEOFF_PURCHASES_FREQUENCY": "ONEOFF_PUR_FREQ"})
    loaded = load_customers(write(renamed, tmp_path / "renamed.csv"))
    assert loaded.report.close_matches == {"ONEOFF_PUR_FREQ": "ONEOFF_PURCHASES_FREQUENCY"}
    assert "'ONEOFF_PUR_FREQ' -> ONEOFF_PURCHASES_FREQUENCY (close name)" in (
        loaded.report.render()
    )
    assert_frame_equal(loaded.frame, original.frame)


def test_headers_in_another_language_are_refused_with_a_hint_then_mapped(
    text: pl.DataFrame, original: LoadedCustomers, tmp_path: Path
) -> None:
    path = write(text.rename(SPANISH), tmp_path / "clientes.csv")
    with pytest.raises(InputError) as refused:
        load_customers(path)
    message = str(refused.value)
    assert "missing 17 required column(s): BALANCE, BALANCE_FREQUENCY" in message
    assert "--map 'SALDO=BALANCE'" in message
    assert "--columns FILE.toml" in message
    loaded = load_customers(path, columns={v: k for k, v in SPANISH.items()})
    assert loaded.report.user_mapping["SALDO"] == "BALANCE"
    assert_frame_equal(loaded.frame, original.frame)
    assert sizes(loaded) == sizes(original)


def test_the_mapping_step_offers_the_right_column_first_for_most(
    text: pl.DataFrame, original: LoadedCustomers
) -> None:
    # No Spanish name matches, so the 17 columns are ranked by name likeness, then by values
    # (shares, counts, months, money), then by place in the file. What is checked: the right
    # column is always offered, and first for at least 15 of the 17 (16 when written: PAYMENTS
    # gets PAGOS_MINIMOS first, as both names are like the English ones, and PAGOS second);
    # the choice made from the candidates loads the original customers.
    raw = parse_table(text.rename(SPANISH).write_csv().encode(), name="clientes.csv")
    choices = column_choices(raw.frame)
    assert choices.missing == FEATURE_COLUMNS
    assert choices.optional == ("CUST_ID",)
    first = {
        column for column in choices.missing if choices.candidates[column][0] == SPANISH[column]
    }
    assert len(first) >= 15, sorted(set(FEATURE_COLUMNS) - first)
    assert all(SPANISH[column] in choices.candidates[column] for column in CANONICAL_COLUMNS)
    chosen = {column: SPANISH[column] for column in CANONICAL_COLUMNS}
    loaded = clean_table(raw, columns=chosen_columns(chosen, required=choices.missing))
    assert loaded.report.user_mapping == {v: k for k, v in SPANISH.items()}
    assert_frame_equal(loaded.frame, original.frame)


def test_a_standardised_copy_is_named_as_such(text: pl.DataFrame, tmp_path: Path) -> None:
    numbers = text.with_columns(pl.col(FEATURE_COLUMNS).cast(pl.Float64))
    scaled = numbers.with_columns(
        (pl.col(c) - pl.col(c).mean()) / pl.col(c).std() for c in FEATURE_COLUMNS
    )
    with pytest.raises(InputError, match=r"the values look standardised \(z-scores\)") as refused:
        load_customers(write(scaled, tmp_path / "scaled.csv"))
    assert "percent" not in str(refused.value)
    assert "upload the file as it was before scaling" in str(refused.value)


def test_headers_in_another_language_get_a_map_to_check_that_mostly_holds(
    text: pl.DataFrame, original: LoadedCustomers, tmp_path: Path
) -> None:
    # The refusal offers each missing column's likeliest column, by name and values, as --map
    # pairs: all but the two payment columns (both alike in name and values) right here.
    path = write(text.rename(SPANISH), tmp_path / "clientes.csv")
    with pytest.raises(InputError) as refused:
        load_customers(path)
    pairs = dict(re.findall(r"--map '([^=']+)=([A-Z_]+)'", str(refused.value)))
    right = {column: canonical for canonical, column in SPANISH.items()}
    assert set(pairs) == set(right)
    wrong = sorted(canonical for column, canonical in pairs.items() if right[column] != canonical)
    assert wrong == ["MINIMUM_PAYMENTS", "PAYMENTS"]
    fixed = {**pairs, "PAGOS": "PAYMENTS", "PAGOS_MINIMOS": "MINIMUM_PAYMENTS"}
    assert sizes(load_customers(path, columns=fixed)) == sizes(original)


def test_the_real_file_zipped_and_named_csv_is_named_as_an_archive(
    real_data_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "CC_GENERAL.csv"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(real_data_path, "CC_GENERAL.csv")
    with pytest.raises(InputError, match="a zip archive, not a CSV/Excel table: unzip it"):
        load_customers(path)
