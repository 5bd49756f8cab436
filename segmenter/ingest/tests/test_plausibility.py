"""Whole-column plausibility checks on small hand-made frames: money columns against each other,
and the lost decimal point shown as it was."""

from __future__ import annotations

import polars as pl
import pytest

from segmenter.errors import InputError
from segmenter.ingest.plausibility import (
    ROW,
    refuse_implausible_shares,
    refuse_scaled_money_column,
)
from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import MONEY_COLUMNS
from testkit.paths import SAMPLE

ROWS = 40


def money(**typical: float) -> pl.DataFrame:
    """ROWS rows where every money column holds 100, or the value given for it."""
    return pl.DataFrame(
        {ROW: range(2, ROWS + 2)}
        | {c: [float(typical.get(c, 100.0))] * ROWS for c in MONEY_COLUMNS}
    )


@pytest.mark.parametrize(
    "typical",
    [
        pytest.param({}, id="all-alike"),
        pytest.param({"CREDIT_LIMIT": 9_000.0}, id="credit-limit-90-times"),
        pytest.param({"MINIMUM_PAYMENTS": 1.5}, id="minimum-payments-67-times-smaller"),
    ],
)
def test_columns_within_a_hundred_times_of_the_others_pass(typical: dict[str, float]) -> None:
    refuse_scaled_money_column(money(**typical), "f.csv")


def test_a_column_a_thousand_times_the_others_is_refused() -> None:
    # The others' typical is the median of seven 100s: 100; 100,000 / 100 = 1,000.
    with pytest.raises(InputError) as refused:
        refuse_scaled_money_column(money(CREDIT_LIMIT=100_000.0), "f.csv")
    assert str(refused.value) == (
        "f.csv: column CREDIT_LIMIT: its typical amount (100,000.00, the median of its positive "
        "values) is about 1,000 times larger than the other money columns' (100.00): the column "
        "looks scaled by a lost decimal point or written in another currency unit; re-export "
        "the file from its source with decimal points and every amount in the same currency unit"
    )


def test_a_column_scaled_down_is_refused_too() -> None:
    with pytest.raises(InputError, match=r"PAYMENTS: .* about 1,000 times smaller .* \(100\.00\)"):
        refuse_scaled_money_column(money(PAYMENTS=0.1), "f.csv")


def test_two_scaled_columns_name_the_worst_and_the_other() -> None:
    with pytest.raises(InputError, match=r"column CASH_ADVANCE: .* \(so is PAYMENTS\)"):
        refuse_scaled_money_column(money(CASH_ADVANCE=1e7, PAYMENTS=1e5), "f.csv")


def test_a_column_with_few_positive_amounts_is_not_judged() -> None:
    # 29 zeros and 11 huge amounts: the median of 11 values says too little to refuse on.
    frame = money().with_columns(
        pl.Series("CASH_ADVANCE", [0.0] * 29 + [1e9] * (ROWS - 29)),
    )
    refuse_scaled_money_column(frame, "f.csv")


def test_the_bundled_sample_passes() -> None:
    refuse_scaled_money_column(load_customers(SAMPLE).frame, "sample")


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        # Six digits lost: 0.166667 written as 166667, not "166.667".
        pytest.param([166_667.0, 875.0, 0.5], "(0.166667 written as 166,667)", id="six-digits"),
        pytest.param([875.0, 166_667.0, 0.5], "(0.875 written as 875)", id="three-digits"),
        pytest.param([1_000.0, 500.0, 0.5], "(1 written as 1,000)", id="a-whole-one"),
    ],
)
def test_a_lost_decimal_point_is_shown_with_the_digits_actually_lost(
    values: list[float], shown: str
) -> None:
    frame = pl.DataFrame({ROW: [2, 3, 4], "PURCHASES_FREQUENCY": values})
    with pytest.raises(InputError, match="the decimal point looks lost") as refused:
        refuse_implausible_shares(frame, "PURCHASES_FREQUENCY", 1.0, "f.csv")
    assert shown in str(refused.value)


def test_a_lost_decimal_point_respects_a_higher_ceiling() -> None:
    # CASH_ADVANCE_FREQUENCY may reach 1.5: 1,500 was 1.5, 2,000 was 0.2.
    frame = pl.DataFrame({ROW: [2, 3, 4], "CASH_ADVANCE_FREQUENCY": [2_000.0, 1_500.0, 0.5]})
    with pytest.raises(InputError, match=r"\(0\.2 written as 2,000\)"):
        refuse_implausible_shares(frame, "CASH_ADVANCE_FREQUENCY", 1.5, "f.csv")
