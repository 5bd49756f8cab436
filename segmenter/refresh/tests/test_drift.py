"""Population stability index per feature, on books small enough to work out by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest

from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.refresh.drift import (
    PSI_EPSILON,
    BookReference,
    book_reference,
    compare_books,
    feature_drift,
)


def book(**columns: list[float | None]) -> pl.DataFrame:
    """Customers whose listed columns take these values and every other column is 1."""
    n = len(next(iter(columns.values())))
    return pl.DataFrame(
        {c: columns.get(c, [1.0] * n) for c in FEATURE_COLUMNS},
        schema=dict.fromkeys(FEATURE_COLUMNS, pl.Float64),
    )


BEFORE = book(BALANCE=[1, 2, 3, 4])  # two bins: (-inf, 2.5] and (2.5, inf), half in each


def psi(before: list[float], after: list[float]) -> float:
    return sum((a - b) * math.log(a / b) for a, b in zip(after, before, strict=True))


@pytest.mark.parametrize(
    ("after", "expected", "level"),
    [
        pytest.param([1, 2, 3, 4], 0.0, "stable", id="same"),
        pytest.param([1, 2, 3, 4, 1, 2, 3, 4], 0.0, "stable", id="twice-over"),
        pytest.param([1] * 7 + [4] * 3, psi([0.5, 0.5], [0.7, 0.3]), "moderate", id="70-30"),
        pytest.param([1, 1, 1, 4], psi([0.5, 0.5], [0.75, 0.25]), "significant", id="75-25"),
    ],
)
def test_psi_against_the_previous_books_bins(
    after: list[float], expected: float, level: str
) -> None:
    reference = book_reference(BEFORE, bins=2)
    (balance,) = [
        f for f in feature_drift(reference, book(BALANCE=after)).features if f.feature == "BALANCE"
    ]
    assert balance.psi == pytest.approx(expected, abs=1e-4)
    assert balance.level == level


def test_missing_values_are_a_bin_of_their_own() -> None:
    report = feature_drift(book_reference(BEFORE, bins=2), book(BALANCE=[1, 2, None, None]))
    expected = 2 * (0.5 - PSI_EPSILON) * math.log(0.5 / PSI_EPSILON)
    assert report.features[0].psi == pytest.approx(expected, abs=1e-4)


def test_a_zero_heavy_column_keeps_its_zeros_in_one_bin() -> None:
    before = book(CASH_ADVANCE=[0] * 6 + [1, 2, 3, 4])
    after = book(CASH_ADVANCE=[0] * 3 + [4] * 7)
    reference = book_reference(before)
    (cash,) = [f for f in reference.features if f.feature == "CASH_ADVANCE"]
    assert cash.edges[0] == 0.0
    assert cash.shares[0] == pytest.approx(0.6)
    (flagged,) = feature_drift(reference, after).flagged()
    assert (flagged.feature, flagged.level) == ("CASH_ADVANCE", "significant")
    assert flagged.sentence.startswith("Cash advance shifted significantly (PSI ")
    assert "customers at zero 60% to 30%" in flagged.sentence


def test_flags_list_the_largest_shift_first_and_skip_stable_features() -> None:
    report = compare_books(
        book(BALANCE=[1, 2, 3, 4], PAYMENTS=[1, 2, 3, 4]),
        book(BALANCE=[1, 1, 1, 4], PAYMENTS=[4, 4, 4, 4]),
    )
    assert [f.feature for f in report.flagged()] == ["PAYMENTS", "BALANCE"]
    assert all(
        f.level == "stable" for f in report.features if f.feature not in {"BALANCE", "PAYMENTS"}
    )
    assert report.features[0].sentence.startswith("Balance shifted ")


def test_a_reference_kept_as_json_measures_the_same() -> None:
    reference = book_reference(BEFORE)
    kept = BookReference.model_validate_json(reference.model_dump_json())
    after = book(BALANCE=[1, 1, 1, 4])
    assert feature_drift(kept, after) == feature_drift(reference, after)
