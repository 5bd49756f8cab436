"""The refresh's charts: the migration heatmap and the drift bars, drawn from real refresh
tables, every figure readable and every chart exportable offline."""

from __future__ import annotations

import json

import polars as pl

from segmenter.charts.figures import to_svg
from segmenter.refresh.charts import drift_bars, migration_heatmap
from segmenter.refresh.drift import compare_books
from segmenter.refresh.migration import migration
from testkit.segmenter_fixtures import toy_frame


def _assignments(ids: list[str], segments: list[int]) -> pl.DataFrame:
    names = {0: "Revolvers", 1: "Transactors", -1: "Unassigned"}
    return pl.DataFrame(
        {"customer_id": ids, "segment": segments, "segment_name": [names[s] for s in segments]}
    )


def test_the_migration_heatmap_shows_counts_and_shares_of_every_pair() -> None:
    ids = [f"C{i}" for i in range(1_200)]
    before = _assignments(ids, [0] * 1_000 + [1] * 200)
    after = _assignments(ids, [0] * 900 + [1] * 300)  # 100 of segment 0 moved to 1
    chart = migration_heatmap(migration(before, after).matrix)
    spec = chart.to_dict()
    (rows,) = [d for d in spec["datasets"].values()]
    cells = {(r["before"], r["after"]): (r["customers_text"], r["share"]) for r in rows}
    assert cells[("0: Revolvers", "0: Revolvers")] == ("900", 0.9)
    assert cells[("0: Revolvers", "1: Transactors")] == ("100", 0.1)
    assert cells[("1: Transactors", "1: Transactors")] == ("200", 1.0)
    assert cells[("1: Transactors", "0: Revolvers")] == ("0", 0.0)
    svg = to_svg(chart)
    assert "Where last run" in svg
    assert ">1,000<" not in svg  # counts are of customers in both runs, not segment sizes


def test_the_drift_bars_flag_what_moved() -> None:
    before = toy_frame((60, 40, 20), seed=0)
    after = toy_frame((60, 40, 20), seed=1).with_columns(pl.col("CASH_ADVANCE") * 5)
    report = compare_books(before, after)
    chart = drift_bars(report)
    (rows,) = [d for d in chart.to_dict()["datasets"].values() if "label" in d[0]]
    levels = {r["label"]: r["level"] for r in rows}
    assert levels["Cash advance"] != "stable"
    assert levels["Tenure"] == "stable"
    spec = json.dumps(chart.to_dict())
    assert "Population stability index" in spec
    assert "<svg" in to_svg(chart)
