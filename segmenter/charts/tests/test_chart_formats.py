"""Charts people can read: round, distinct ticks; money, shares and scores spelled as the brief
spells them; axis titles and tooltips in words, never column codes."""

from __future__ import annotations

import re
from typing import Any

import altair as alt
import polars as pl
import pytest

from segmenter.charts import data as chart_data
from segmenter.charts import figures as charts
from segmenter.charts.axes import axis_title, log_ticks
from segmenter.cluster.titles import TITLES, with_titles
from segmenter.results import RunProfile
from testkit.narratives_fixtures import run_profile

PERCENTILES = ("p05", "p25", "p50", "p75", "p95")


def quantiles(
    profile: RunProfile, feature: str, label: str, rows: list[list[float]]
) -> pl.DataFrame:
    """A quantile table of one feature: a row of five percentiles per segment, in id order."""
    names = chart_data.segment_names(profile)
    return pl.DataFrame(
        [
            {"segment": sid, "name": names[sid], "feature": feature, "label": label, "n": 100}
            | dict(zip(PERCENTILES, row, strict=True))
            for sid, row in zip(names, rows, strict=False)
        ]
    )


def tooltips(spec: Any) -> list[dict[str, Any]]:
    """Every tooltip entry anywhere in a Vega-Lite spec."""
    if isinstance(spec, dict):
        found = [t for t in spec.get("tooltip", []) if isinstance(t, dict)]
        return found + [t for v in spec.values() for t in tooltips(v)]
    return [t for v in spec for t in tooltips(v)] if isinstance(spec, list) else []


def money_labels(chart: alt.TopLevelMixin) -> list[str]:
    """The texts vl-convert draws that start with a dollar sign: the money axis's ticks."""
    return re.findall(r"<text[^>]*>(\$[^<]*)</text>", charts.to_svg(chart))


@pytest.mark.parametrize(
    ("low", "top", "ticks"),
    [
        (3, 7_000, [0, 10, 100, 1_000, 10_000]),  # 1-2-5 would be 10 ticks; $1 beside $0 crowds
        (0.3, 30, [0, 1, 2, 5, 10, 20, 50]),
        (40, 5_000, [0, 10, 100, 1_000, 5_000]),
        (0.5, 1.2, [0, 1, 2]),
        (0, 0, [0, 1]),
    ],
    ids=["money", "ratio", "ends-on-5", "under-2", "all-zero"],
)
def test_log_ticks_are_round_and_reach_past_the_data(
    low: float, top: float, ticks: list[float]
) -> None:
    assert log_ticks(low, top) == ticks


def test_a_money_distribution_reads_in_dollars_with_distinct_ticks() -> None:
    profile = run_profile()
    rows = [[3, 40, 300, 1_500, 7_000], [0, 0, 20, 80, 900]]
    chart = charts.distribution_chart(
        quantiles(profile, "BALANCE", "balance", rows), "BALANCE", profile
    )
    x = chart.to_dict()["layer"][0]["encoding"]["x"]
    assert x["scale"] == {"type": "symlog", "domain": [0, 10_000], "nice": False}
    assert x["axis"]["values"] == [0, 10, 100, 1_000, 10_000]
    assert x["title"] == "Balance"
    labels = money_labels(chart)  # not "0k 0k 0k 0.1k 1k"
    assert labels == ["$0", "$10", "$100", "$1k", "$10k"]
    assert len(set(labels)) == len(labels)
    titles = list(dict.fromkeys(t["title"] for t in tooltips(chart.to_dict())))
    assert titles == ["Segment", "5th percentile", "25th percentile", "Median", "75th percentile",
                      "95th percentile", "Customers"]  # fmt: skip


def test_shares_read_as_percentages_and_tenure_in_months() -> None:
    profile = run_profile()
    share = quantiles(profile, "PRC_FULL_PAYMENT", "full-payment rate", [[0, 0, 0.1, 0.5, 1]])
    chart = charts.distribution_chart(share, "PRC_FULL_PAYMENT", profile)
    assert "%" in chart.to_dict()["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]
    assert axis_title("tenure", "months") == "Tenure (months)"
    assert axis_title("cash advance", "money") == "Cash advance"


def test_algorithms_are_compared_under_their_names_with_scores_spelled() -> None:
    table = pl.DataFrame(
        {
            "algorithm": ["kmeans", "hdbscan"],
            "k": [3, 2],
            "silhouette": [0.2291, -0.01],
            "stability_ari": [0.9734, 0.63],
            "davies_bouldin": [1.6813, 2.8],
            "noise_share": [0.0, 0.6234],
        }
    )
    spec = charts.comparison_chart(table, k=3).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert {r["algorithm"] for r in rows} == {"K-Means (k=3)", "HDBSCAN (k=2)"}
    noise = next(r for r in rows if r["metric"] == "noise_share" and r["value"] > 0)
    assert noise["text"] == "62.3%"
    axes = [panel["encoding"]["x"]["axis"]["labelExpr"] for panel in spec["hconcat"]]
    assert "%" in axes[-1]
    assert "%" not in axes[0]
    assert all(t.get("title") for t in tooltips(spec))


def test_k_scores_and_effects_carry_their_values_spelled() -> None:
    profile = run_profile()
    effects = chart_data.effect_table(profile).filter(pl.col("feature") == "BALANCE")
    assert effects.get_column("population_mean_text")[0].startswith("$")
    spec = charts.profile_heatmap(profile).to_dict()
    assert {t["title"] for t in tooltips(spec)} >= {"Segment", "Measure", "Segment mean"}
    assert all(t.get("title") for t in tooltips(charts.segment_sizes(profile).to_dict()))


def test_every_algorithm_has_a_title_and_tables_show_it() -> None:
    from segmenter.cluster.algorithms import ALGORITHMS

    assert {name: a.title for name, a in ALGORITHMS.items()} == TITLES
    agreement = pl.DataFrame(
        {"algorithm": ["kmeans", "gmm"], "kmeans": [1.0, 0.5], "gmm": [0.5, 1.0]}
    )
    shown = with_titles(agreement)
    assert shown.columns == ["algorithm", "K-Means", "Gaussian mixture"]
    assert shown.get_column("algorithm").to_list() == ["K-Means", "Gaussian mixture"]
