"""Preprocessing: medians from the training data, log1p on money and counts only, then scaling."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from segmenter.cluster.features import LOG_COLUMNS, build_preprocessor, feature_matrix
from segmenter.ingest.schema import COUNT_COLUMNS, FEATURE_COLUMNS, ID_COLUMN, MONEY_COLUMNS


def frame_of(columns: dict[str, list[float | None]], n_rows: int) -> pl.DataFrame:
    """A canonical frame: the given columns, every other feature 1.0."""
    data = {c: columns.get(c, [1.0] * n_rows) for c in FEATURE_COLUMNS}
    return pl.DataFrame(
        {ID_COLUMN: [f"C{i}" for i in range(n_rows)], **data},
        schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64),
    )


def column(matrix: np.ndarray, name: str) -> np.ndarray:
    return matrix[:, FEATURE_COLUMNS.index(name)]


def test_log_columns_are_the_money_and_count_columns_in_canonical_order() -> None:
    assert set(LOG_COLUMNS) == set(MONEY_COLUMNS) | set(COUNT_COLUMNS)
    assert list(LOG_COLUMNS) == [c for c in FEATURE_COLUMNS if c in LOG_COLUMNS]
    assert "PURCHASES_FREQUENCY" not in LOG_COLUMNS
    assert "TENURE" not in LOG_COLUMNS


def test_feature_matrix_is_canonical_order_with_nulls_as_nan() -> None:
    frame = frame_of({"BALANCE": [1.0, None], "TENURE": [12.0, 6.0]}, 2)
    shuffled = frame.select(ID_COLUMN, *reversed(FEATURE_COLUMNS))
    matrix = feature_matrix(shuffled)
    assert matrix.shape == (2, 17)
    assert matrix.dtype == np.float64
    assert math.isnan(column(matrix, "BALANCE")[1])
    assert column(matrix, "TENURE").tolist() == [12.0, 6.0]


def test_missing_values_get_the_training_median() -> None:
    # MINIMUM_PAYMENTS: medians of [0, e-1, e^3-1] is e-1; its log1p is 1.
    train = frame_of({"MINIMUM_PAYMENTS": [0.0, math.e - 1, math.e**3 - 1, None]}, 4)
    pre = build_preprocessor().fit(feature_matrix(train))
    assert column(pre.named_steps["impute"].statistics_[None, :], "MINIMUM_PAYMENTS")[0] == (
        pytest.approx(math.e - 1)
    )
    # A new customer with a null is imputed with the training median, not its own batch's.
    new = frame_of({"MINIMUM_PAYMENTS": [None]}, 1)
    imputed = pre[:1].transform(feature_matrix(new))
    assert column(imputed, "MINIMUM_PAYMENTS")[0] == pytest.approx(math.e - 1)


def test_money_is_log1p_then_scaled_and_frequencies_are_only_scaled() -> None:
    # BALANCE log1p values 0, 1, 2 -> mean 1, std sqrt(2/3); frequencies 0, 0.5, 1 likewise.
    frame = frame_of(
        {
            "BALANCE": [0.0, math.e - 1, math.e**2 - 1],
            "PURCHASES_FREQUENCY": [0.0, 0.5, 1.0],
        },
        3,
    )
    out = build_preprocessor().fit_transform(feature_matrix(frame))
    expected = [-math.sqrt(1.5), 0.0, math.sqrt(1.5)]
    balance = out[:, list(LOG_COLUMNS).index("BALANCE")]
    np.testing.assert_allclose(balance, expected, atol=1e-12)
    # Passed-through columns follow the logged ones, in canonical order.
    kept = [c for c in FEATURE_COLUMNS if c not in LOG_COLUMNS]
    frequency = out[:, len(LOG_COLUMNS) + kept.index("PURCHASES_FREQUENCY")]
    np.testing.assert_allclose(frequency, expected, atol=1e-12)


def test_new_customers_are_scaled_with_the_training_statistics() -> None:
    train = frame_of({"BALANCE": [0.0, math.e - 1, math.e**2 - 1]}, 3)
    pre = build_preprocessor().fit(feature_matrix(train))
    # log1p(e^4 - 1) = 4, three training standard deviations above the training mean of 1.
    new = pre.transform(feature_matrix(frame_of({"BALANCE": [math.e**4 - 1]}, 1)))
    assert new[0, list(LOG_COLUMNS).index("BALANCE")] == pytest.approx(3 * math.sqrt(1.5))
