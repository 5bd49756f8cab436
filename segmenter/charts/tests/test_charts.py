"""Chart data (aggregates, samples) checked by hand, and every chart a valid, bounded spec."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import polars as pl
import pytest

from segmenter.charts import data as chart_data
from segmenter.charts import figures as charts
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.pipeline import Segmentation, run_segmentation
from segmenter.results import KCandidate, KChoice
from testkit.narratives_fixtures import noisy_run, run_profile
from testkit.segmenter_fixtures import toy_frame, toy_groups

MAX_ROWS = 5_000  # Altair's own limit: no chart may carry more raw rows than this


@pytest.fixture(scope="module")
def toy_run() -> Segmentation:
    return run_segmentation(toy_frame(), algorithm="kmeans", k=3, seed=0, n_bootstraps=2)


def choice() -> KChoice:
    def candidate(k: int, silhouette: float, *, eligible: bool = True) -> KCandidate:
        return KCandidate(
            k=k, silhouette=silhouette, calinski_harabasz=1000.0 / k, davies_bouldin=1.0 + k / 10,
            stability_ari=0.9, min_share=0.1, eligible=eligible,
        )  # fmt: skip

    candidates = [candidate(3, 0.2), candidate(4, 0.25), candidate(5, 0.1, eligible=False)]
    return KChoice(chosen=4, candidates=candidates, explanation="k=4 because.")


def rows_in(chart: alt.TopLevelMixin) -> list[int]:
    """Row counts of every data set a chart carries."""
    spec = chart.to_dict()
    return [len(values) for values in spec.get("datasets", {}).values()]


# --- chart data --------------------------------------------------------------------------------


def test_quantiles_of_one_feature_are_worked_out_by_hand() -> None:
    # Segment 0 has balances 0, 10, 20, 30, 40; segment 1 has 100 and 300.
    balances = [0.0, 10.0, 20.0, 30.0, 40.0, 100.0, 300.0]
    frame = pl.DataFrame(
        {ID_COLUMN: [f"C{i}" for i in range(7)]}
        | {c: [1.0] * 7 for c in FEATURE_COLUMNS}
        | {"BALANCE": balances}
    )
    labels = np.array([0, 0, 0, 0, 0, 1, 1])
    table = chart_data.segment_quantiles(frame, labels, {0: "Small", 1: "Large"})
    balance = table.filter(pl.col("feature") == "BALANCE").sort("segment")
    assert balance.get_column("name").to_list() == ["Small", "Large"]
    assert balance.get_column("p05").to_list() == pytest.approx([2.0, 110.0])
    assert balance.get_column("p25").to_list() == pytest.approx([10.0, 150.0])
    assert balance.get_column("p50").to_list() == pytest.approx([20.0, 200.0])
    assert balance.get_column("p95").to_list() == pytest.approx([38.0, 290.0])
    assert balance.get_column("n").to_list() == [5, 2]
    assert balance.get_column("label").to_list() == ["balance", "balance"]


def test_quantiles_cover_every_profile_feature_in_order(toy_run: Segmentation) -> None:
    names = chart_data.segment_names(toy_run.profile)
    table = chart_data.segment_quantiles(toy_frame(), toy_run.labels, names)
    features = table.unique("feature", maintain_order=True).get_column("feature").to_list()
    assert features[: len(FEATURE_COLUMNS)] == list(FEATURE_COLUMNS)
    assert "LIMIT_USAGE" in features
    assert table.height == len(features) * 3


def test_segment_names_put_noise_last() -> None:
    names = chart_data.segment_names(noisy_run())
    assert list(names) == [0, 1, 2, 3, -1]
    assert names[-1] == "Unassigned"


def test_effect_table_has_one_row_per_segment_and_statistic() -> None:
    run = run_profile()
    table = chart_data.effect_table(run)
    assert table.height == sum(len(s.stats) for s in run.segments)
    first = run.segments[0].stats[0]
    row = table.row(0, named=True)
    assert (row["segment"], row["feature"], row["effect_size"]) == (
        0,
        first.feature,
        first.effect_size,
    )


@pytest.mark.parametrize("max_points", [50, 1_000], ids=["sampled", "all-rows"])
def test_pca_points_are_a_seeded_sample(toy_run: Segmentation, max_points: int) -> None:
    names = chart_data.segment_names(toy_run.profile)
    frame = toy_frame()
    points, variance = chart_data.pca_points(
        toy_run.model, frame, toy_run.labels, names, seed=0, max_points=max_points
    )
    again, _ = chart_data.pca_points(
        toy_run.model, frame, toy_run.labels, names, seed=0, max_points=max_points
    )
    assert points.height == min(max_points, frame.height)
    assert points.equals(again)
    assert 0 < variance[1] <= variance[0] <= 1
    assert set(points.get_column("name").to_list()) <= set(names.values())


def test_pca_separates_the_toy_groups(toy_run: Segmentation) -> None:
    names = chart_data.segment_names(toy_run.profile)
    points, _ = chart_data.pca_points(toy_run.model, toy_frame(), toy_run.labels, names, seed=0)
    centres = points.group_by("segment").agg(pl.col("pc1").mean()).get_column("pc1")
    assert centres.max() - centres.min() > 2  # three groups far apart after scaling
    assert len(set(toy_groups().tolist())) == points.get_column("segment").n_unique()


def test_k_scores_mark_the_chosen_k() -> None:
    scores = chart_data.k_scores(choice())
    assert scores.height == 3 * len(chart_data.K_METRICS)
    chosen = scores.filter(pl.col("chosen")).get_column("k").unique().to_list()
    assert chosen == [4]
    silhouettes = scores.filter(pl.col("metric") == "silhouette").get_column("value").to_list()
    assert silhouettes == [0.2, 0.25, 0.1]


# --- charts ------------------------------------------------------------------------------------


def test_every_chart_is_a_valid_spec_within_the_row_limit(toy_run: Segmentation) -> None:
    profile = toy_run.profile
    names = chart_data.segment_names(profile)
    frame = toy_frame()
    quantiles = chart_data.segment_quantiles(frame, toy_run.labels, names)
    points, variance = chart_data.pca_points(toy_run.model, frame, toy_run.labels, names, seed=0)
    comparison = pl.DataFrame(
        {
            "algorithm": ["kmeans", "hdbscan"],
            "k": [3, 2],
            "silhouette": [0.2, -0.01],
            "calinski_harabasz": [2000.0, 600.0],
            "davies_bouldin": [1.7, 2.8],
            "stability_ari": [0.96, 0.63],
            "noise_share": [0.0, 0.62],
            "fit_seconds": [0.1, 1.8],
        }
    )
    built = [
        charts.segment_sizes(profile),
        charts.effect_bars(profile.segments[0]),
        charts.profile_heatmap(profile),
        charts.distribution_chart(quantiles, "BALANCE", profile),
        charts.distribution_chart(quantiles, "PRC_FULL_PAYMENT", profile),
        charts.pca_chart(points, variance, profile),
        charts.profiles_compared(profile),
        charts.k_choice_chart(chart_data.k_scores(choice())),
        charts.comparison_chart(comparison, k=3),
    ]
    for chart in built:
        assert all(0 < n <= MAX_ROWS for n in rows_in(chart)), chart  # to_dict() validates too


def test_segments_keep_their_colour_and_noise_is_grey() -> None:
    scale = charts.segment_colours(noisy_run()).to_dict()
    assert scale["domain"][-1] == "Unassigned"
    assert scale["range"][-1] == "#bab0ac"
    assert len(set(scale["range"])) == len(scale["range"])


def test_effect_bars_show_the_strongest_effects_on_a_symmetric_axis() -> None:
    segment = run_profile().segments[0]
    spec = charts.effect_bars(segment, top=3).to_dict()
    values = next(iter(spec["datasets"].values()))
    strongest = sorted(segment.stats, key=lambda s: -abs(s.effect_size))[:3]
    assert [v["label"] for v in values] == [s.label for s in strongest]
    low, high = spec["encoding"]["x"]["scale"]["domain"]
    assert low == -high
    assert high >= max(abs(s.effect_size) for s in strongest)


def test_the_segments_of_a_run_share_one_effect_size_scale() -> None:
    profile = run_profile()
    domain = charts.effect_domain(profile)
    shown = [sorted(abs(s.effect_size) for s in segment.stats)[-5:] for segment in profile.segments]
    reach = max(max(top) for top in shown)
    assert domain == (-math.ceil(reach), math.ceil(reach))  # the widest bar of any card fits
    domains = {
        tuple(charts.effect_bars(s, domain=domain).to_dict()["encoding"]["x"]["scale"]["domain"])
        for s in profile.segments
    }
    assert domains == {domain}
    # Each segment alone would have had its own scale: here they differ.
    alone = {
        tuple(charts.effect_bars(s).to_dict()["encoding"]["x"]["scale"]["domain"])
        for s in profile.segments
    }
    assert len(alone) > 1, "the fixture's segments should reach different effect sizes"


def test_money_distributions_use_a_log_like_axis_and_shares_a_linear_one(
    toy_run: Segmentation,
) -> None:
    names = chart_data.segment_names(toy_run.profile)
    quantiles = chart_data.segment_quantiles(toy_frame(), toy_run.labels, names)

    def scale(feature: str) -> dict[str, object]:
        spec = charts.distribution_chart(quantiles, feature, toy_run.profile).to_dict()
        return spec["layer"][0]["encoding"]["x"]["scale"]

    assert scale("BALANCE")["type"] == "symlog"
    assert "type" not in scale("PRC_FULL_PAYMENT")


def test_charts_export_to_png_and_svg_offline() -> None:
    chart = charts.segment_sizes(run_profile())
    assert charts.to_png(chart).startswith(b"\x89PNG\r\n\x1a\n")
    svg = charts.to_svg(chart)
    assert svg.lstrip().startswith("<svg")
    assert "Segment sizes" in svg
