"""Derived measures: hand-computed values, and nulls instead of inf or NaN."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from segmenter.explain.measures import DERIVED_MEASURES, LABELS, add_measures, label
from segmenter.ingest.schema import FEATURE_COLUMNS


def test_measures_are_computed_per_month_and_per_limit() -> None:
    frame = pl.DataFrame(
        {
            "PURCHASES": [1200.0, 0.0],
            "CASH_ADVANCE": [0.0, 600.0],
            "TENURE": [12.0, 6.0],
            "BALANCE": [500.0, 3000.0],
            "CREDIT_LIMIT": [1000.0, 2000.0],
            "PAYMENTS": [300.0, 50.0],
            "MINIMUM_PAYMENTS": [100.0, 200.0],
            "ONEOFF_PURCHASES": [200.0, 0.0],
            "INSTALLMENTS_PURCHASES": [1000.0, 0.0],
        }
    )
    derived = add_measures(frame).select(DERIVED_MEASURES)
    expected = pl.DataFrame(
        {
            "MONTHLY_PURCHASES": [100.0, 0.0],
            "MONTHLY_CASH_ADVANCE": [0.0, 100.0],
            "LIMIT_USAGE": [0.5, 1.5],
            "PAYMENTS_TO_MINIMUM": [3.0, 0.25],
            "PURCHASE_TYPE": ["both", "none"],
        }
    )
    assert_frame_equal(derived, expected)


@pytest.mark.parametrize(
    ("one_off", "instalment", "expected"),
    [
        pytest.param(10.0, 0.0, "one_off", id="one-off-only"),
        pytest.param(0.0, 10.0, "instalment", id="instalment-only"),
        pytest.param(10.0, 10.0, "both", id="both"),
        pytest.param(0.0, 0.0, "none", id="none"),
        pytest.param(None, 10.0, None, id="unknown-amount-unknown-type"),
    ],
)
def test_purchase_type(one_off: float | None, instalment: float, expected: str | None) -> None:
    frame = pl.DataFrame(
        {"ONEOFF_PURCHASES": [one_off], "INSTALLMENTS_PURCHASES": [instalment]},
        schema={"ONEOFF_PURCHASES": pl.Float64, "INSTALLMENTS_PURCHASES": pl.Float64},
    )
    frame = frame.with_columns(
        pl.lit(1.0).alias(c)
        for c in (
            "PURCHASES",
            "CASH_ADVANCE",
            "TENURE",
            "BALANCE",
            "CREDIT_LIMIT",
            "PAYMENTS",
            "MINIMUM_PAYMENTS",
        )
    )
    assert add_measures(frame.lazy()).collect()["PURCHASE_TYPE"].item() == expected


def test_zero_or_missing_denominators_give_null_not_inf() -> None:
    frame = pl.DataFrame(
        {
            "PURCHASES": [100.0, 100.0],
            "CASH_ADVANCE": [100.0, None],
            "TENURE": [0.0, None],
            "BALANCE": [100.0, 100.0],
            "CREDIT_LIMIT": [0.0, None],
            "PAYMENTS": [100.0, 0.0],
            "MINIMUM_PAYMENTS": [0.0, None],
            "ONEOFF_PURCHASES": [0.0, 0.0],
            "INSTALLMENTS_PURCHASES": [0.0, 0.0],
        }
    )
    derived = add_measures(frame).select(DERIVED_MEASURES[:-1])
    assert derived.null_count().row(0) == (2, 2, 2, 2)


def test_every_column_and_measure_has_a_plain_label() -> None:
    assert set(LABELS) == {*FEATURE_COLUMNS, *DERIVED_MEASURES}
    assert label("CASH_ADVANCE_FREQUENCY") == "cash-advance frequency"
    assert label("SOMETHING_NEW") == "something new"


def test_a_ratio_over_a_subnormal_denominator_is_unknown_not_infinite() -> None:
    # Found by the hostile-file fuzzing: a minimum payment of 1e-320 made payments to minimum
    # payments infinite, and the profile refused its own statistic.
    frame = pl.DataFrame({c: [1.0, 2.0] for c in FEATURE_COLUMNS}).with_columns(
        MINIMUM_PAYMENTS=pl.Series([1e-320, 2.0]), PAYMENTS=pl.Series([598.0, 4.0])
    )
    ratios = add_measures(frame).get_column("PAYMENTS_TO_MINIMUM").to_list()
    assert ratios == [None, 2.0]
