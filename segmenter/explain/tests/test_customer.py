"""One customer beside their segment and the book: finding them, their values, the figures."""

from __future__ import annotations

import polars as pl
import pytest

from segmenter.errors import InputError
from segmenter.explain.customer import (
    TYPED_ID,
    book_spread,
    customer_figures,
    customer_values,
    find_customer,
    typed_customer,
    typical_customer,
)
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.results import Distinction, FeatureStat, Metrics, RunProfile, SegmentProfile


def book(ids: list[str], **columns: list[float | None]) -> pl.DataFrame:
    """A canonical frame: the columns given, every other feature 1.0."""
    n = len(ids)
    values = {c: columns.get(c, [1.0] * n) for c in FEATURE_COLUMNS}
    return pl.DataFrame(
        {ID_COLUMN: ids, **values}, schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64)
    )


@pytest.mark.parametrize("typed", ["C10002", "c10002", "  C10002 ", "c 10002"])
def test_an_id_is_found_whatever_its_case_and_spaces(typed: str) -> None:
    found = find_customer(book(["C10001", "C10002"]), typed, source="book.csv")
    assert found.get_column(ID_COLUMN).to_list() == ["C10002"]


def test_an_unknown_id_is_one_sentence_naming_the_file() -> None:
    with pytest.raises(
        InputError,
        match=r"^No customer C99999 in book\.csv: none of its 2 customer ids matches, even "
        r"ignoring case and spaces; its ids look like C10001$",
    ):
        find_customer(book(["C10001", "C10002"]), " C99999", source="book.csv")


def test_ids_differing_only_in_case_need_the_exact_one() -> None:
    frame = book(["ab1", "AB1"])
    assert find_customer(frame, "AB1", source="f").get_column(ID_COLUMN).to_list() == ["AB1"]
    with pytest.raises(InputError, match=r"^2 customers in f match Ab1 .* \(ab1, AB1\)"):
        find_customer(frame, "Ab1", source="f")


def test_a_customer_values_are_the_columns_and_derived_measures() -> None:
    row = book(
        ["C1"],
        PURCHASES=[1200.0],
        TENURE=[12.0],
        BALANCE=[500.0],
        CREDIT_LIMIT=[1000.0],
        MINIMUM_PAYMENTS=[None],
    )
    values = customer_values(row)
    assert values["BALANCE"] == 500.0
    assert values["MONTHLY_PURCHASES"] == 100.0  # 1,200 over 12 months
    assert values["LIMIT_USAGE"] == 0.5
    assert values["MINIMUM_PAYMENTS"] is None
    assert values["PAYMENTS_TO_MINIMUM"] is None  # unknown, not imputed
    with pytest.raises(InputError, match="one customer expected, got 2 rows"):
        customer_values(book(["C1", "C2"]))


def test_the_book_spread_is_the_sample_standard_deviation() -> None:
    spread = book_spread(book(["a", "b", "c"], BALANCE=[1.0, 2.0, 3.0], CREDIT_LIMIT=[2.0] * 3))
    assert spread["BALANCE"] == 1.0
    assert spread["CREDIT_LIMIT"] == 0.0
    assert spread["LIMIT_USAGE"] == 0.5  # 0.5, 1.0, 1.5


def stat(
    feature: str, mean: float, median: float, book_mean: float, book_median: float
) -> FeatureStat:
    return FeatureStat(
        feature=feature,
        label=feature.lower(),
        mean=mean,
        median=median,
        population_mean=book_mean,
        population_median=book_median,
        lift=mean / book_mean,
        effect_size=0.0,
    )


SEGMENT = SegmentProfile(
    id=1,
    name="Cash users",
    size=10,
    share=0.5,
    stats=[
        stat("BALANCE", 2000.0, 1500.0, 1000.0, 800.0),
        stat("CASH_ADVANCE", 400.0, 0.0, 900.0, 0.0),  # both medians 0: the means are quoted
        stat("CASH_ADVANCE_FREQUENCY", 0.4, 0.3, 0.1, 0.0),
        stat("TENURE", 12.0, 12.0, 11.5, 12.0),
    ],
    distinctions=[
        Distinction(feature="CASH_ADVANCE_FREQUENCY", label="f", direction="high", effect_size=1.2),
        Distinction(feature="BALANCE", label="b", direction="high", effect_size=0.6),
    ],
    rules=[],
)
VALUES = {"BALANCE": 500.0, "CASH_ADVANCE": 0.0, "CASH_ADVANCE_FREQUENCY": 0.5, "TENURE": 12.0}
SPREAD = {"BALANCE": 1000.0, "CASH_ADVANCE": 2000.0, "CASH_ADVANCE_FREQUENCY": 0.2, "TENURE": 0.0}


def test_figures_put_what_sets_the_segment_apart_first_on_the_quoted_statistic() -> None:
    figures = customer_figures(VALUES, SEGMENT, book_std=SPREAD)
    shown = [(f.feature, f.stat, f.value, f.segment, f.book, f.distinction) for f in figures]
    assert shown == [
        ("CASH_ADVANCE_FREQUENCY", "mean", 0.5, 0.4, 0.1, "high"),
        ("BALANCE", "median", 500.0, 1500.0, 800.0, "high"),
        ("CASH_ADVANCE", "mean", 0.0, 400.0, 900.0, None),
        ("TENURE", "mean", 12.0, 12.0, 11.5, None),
    ]
    z = {f.feature: f.z for f in figures}
    assert z["CASH_ADVANCE_FREQUENCY"] == pytest.approx(2.0)  # (0.5 - 0.1) / 0.2
    assert z["BALANCE"] == pytest.approx(-0.5)  # (500 - 1,000) / 1,000
    assert z["TENURE"] is None  # the book does not vary


def test_a_segment_not_described_gives_no_segment_figures_and_the_most_unusual_first() -> None:
    figures = customer_figures(VALUES, SEGMENT, book_std=SPREAD, described=False)
    assert [f.feature for f in figures] == [
        "CASH_ADVANCE_FREQUENCY",  # |z| 2.0
        "BALANCE",  # 0.5
        "CASH_ADVANCE",  # 0.45
        "TENURE",  # unknown
    ]
    assert {f.segment for f in figures} == {None}
    assert {f.distinction for f in figures} == {None}


def test_typed_figures_start_from_the_book_medians() -> None:
    profile = RunProfile(
        algorithm="kmeans",
        k=1,
        seed=0,
        n_customers=20,
        metrics=Metrics(silhouette=None, calinski_harabasz=None, davies_bouldin=None),
        segments=[SEGMENT],
    )
    typical = typical_customer(profile)
    assert (typical["BALANCE"], typical["TENURE"], typical["PURCHASES"]) == (800.0, 12.0, 0.0)
    row = typed_customer(typical)
    assert row.columns == [ID_COLUMN, *FEATURE_COLUMNS]
    assert row.row(0) == (TYPED_ID, *typical.values())
    with pytest.raises(InputError, match="typed figures lack BALANCE"):
        typed_customer({c: 1.0 for c in FEATURE_COLUMNS if c != "BALANCE"})
