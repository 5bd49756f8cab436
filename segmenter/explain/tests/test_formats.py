"""One spelling of numbers for people: as text, as Vega expressions drawn by vl-convert, and as
table formats; metric and column names for people."""

from __future__ import annotations

import re
from collections.abc import Callable

import altair as alt
import polars as pl
import pytest
import vl_convert

from segmenter.explain.formats import (
    COLUMNS,
    KINDS,
    METRICS,
    Spelling,
    column_of,
    fmt,
    for_reading,
    metric_label,
    metric_text,
)
from segmenter.explain.vocabulary import Units
from segmenter.results import KCandidate, Metrics

EURO = Units(currency="€", tenure="mois")


def drawn(expression: Callable[[str], str], values: list[float | None]) -> list[str]:
    """What Vega writes for each value with `expression(field)`: a text mark, drawn to SVG."""
    rows = [{"i": i, "v": v} for i, v in enumerate(values)]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .transform_calculate(t=expression("datum.v"))
        .mark_text()
        .encode(y=alt.Y("i:O", axis=None), text="t:N")
    )
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (1406.4, "money", "$1,406"),
        (-5.0, "money", "$-5"),
        (0.285, "share", "28%"),
        (7.0, "count", "7"),
        (5.8, "count", "5.8"),
        (11.55, "months", "11.6 months"),
        (1.234, "ratio", "1.2"),
        (12345.67, "ratio", "12,345.7"),
        (None, "money", "—"),
        (2.0, "no such kind", "2.0"),
    ],
    ids=["money", "negative-money", "share", "whole-count", "count", "months", "ratio",
         "ratio-thousands", "unknown-value", "unknown-kind"],
)  # fmt: skip
def test_each_kind_has_one_spelling(value: float | None, kind: str, text: str) -> None:
    assert fmt(value, kind) == text


def test_the_vocabulary_units_are_used() -> None:
    assert fmt(1500.0, "money", EURO) == "€1,500"
    assert fmt(11.5, "months", EURO) == "11.5 mois"


def test_vega_writes_what_python_writes() -> None:
    values: list[float | None] = [1406.4, 0.0, 7.0, 5.8, None]
    for kind, spelling in KINDS.items():
        expected = [spelling.text(v, EURO) for v in values]
        assert drawn(lambda f, s=spelling: s.vega(f, EURO), values) == expected, kind


def test_axis_labels_are_compact_and_distinct() -> None:
    ticks: list[float | None] = [0, 10, 100, 1000, 10_000, 1_500_000, 2.5]
    money = drawn(KINDS["money"].compact, ticks)
    assert money == ["$0", "$10", "$100", "$1k", "$10k", "$1.5M", "$2.5"]
    assert drawn(KINDS["share"].compact, [0, 0.25, 1]) == ["0%", "25%", "100%"]
    assert drawn(METRICS["noise_share"].spelling.compact, [0.025, 0.6]) == ["2.5%", "60%"]


@pytest.mark.parametrize(
    ("spelling", "column"),
    [
        (KINDS["money"], "$%,.0f"),
        (KINDS["share"], "%,.0f%%"),  # of the share x100: see for_reading
        (Spelling(0, whole=True), "%,d"),
        (Spelling(1, unit=" s"), "%,.1f s"),
        (Spelling(1, unit=" %"), "%,.1f %%"),
    ],
    ids=["money", "share", "whole", "unit", "percent-sign-escaped"],
)
def test_table_formats_follow_the_spelling(spelling: Spelling, column: str) -> None:
    assert spelling.column() == column


def test_every_metric_and_candidate_score_has_a_name_for_people() -> None:
    scores = (set(Metrics.model_fields) | set(KCandidate.model_fields)) - {"k", "eligible"}
    assert scores <= set(METRICS)
    assert [metric_label(m) for m in ("calinski_harabasz", "stability_ari", "noise_share")] == [
        "Calinski-Harabasz",
        "Stability (bootstrap ARI)",
        "Unassigned share",
    ]
    assert metric_label("fit_seconds") == "Fit time"
    assert metric_label("some_new_score") == "Some new score"
    assert not any("_" in column.label for column in COLUMNS.values())


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("silhouette", 0.22914, "0.229"),
        ("calinski_harabasz", 2642.8827, "2,643"),
        ("davies_bouldin", 1.68134, "1.68"),
        ("stability_ari", 0.97341, "0.97"),
        ("noise_share", 0.0, "0.0%"),
        ("noise_share", 0.6234, "62.3%"),
        ("fit_seconds", 6.491, "6.5 s"),
        ("silhouette", None, "—"),
    ],
)
def test_metrics_read_with_sensible_decimals(name: str, value: float | None, text: str) -> None:
    assert metric_text(name, value) == text


def test_an_unknown_column_keeps_its_name_and_format() -> None:
    assert column_of("calinski_harabasz") == ("Calinski-Harabasz", "%,.0f", False)
    assert column_of("Rows") == ("Rows", "%,d", False)
    assert column_of("something") == ("something", None, False)


def test_tables_are_read_with_shares_in_percent() -> None:
    rows = [{"segment": 0, "customers": 2761, "share": 0.3733, "noise_share": 0.0}]
    shown = for_reading(rows)
    assert shown.row(0) == (0, 2761, pytest.approx(37.33), 0.0)
    assert column_of("share") == ("Share", "%,.1f%%", True)
    assert for_reading(pl.DataFrame({"k": [3]})).equals(pl.DataFrame({"k": [3]}))
