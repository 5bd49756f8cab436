"""Spark on the bundled sample (a CSV, k chosen automatically, from the command line) and on
200,000 synthetic customers (Parquet, k=4): the segments agree with the single-machine K-Means
on the same data and seed, and every figure of profiles.json matches a Polars computation on
the same segments, within what the run says of itself (medians approximate, the rest exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from segmenter.explain.profiles import build_profiles
from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.pipeline import run_segmentation
from segmenter.results import RunProfile
from segmenter.spark.profiles import MEDIAN_ACCURACY
from segmenter.synthetic.generate import write_customers
from testkit.paths import SAMPLE
from testkit.segmenter_fixtures import cli_code

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MIN_ARI = 0.9  # the bar; measured: 0.998 on the sample (k=3), 0.983 on 200k (k=4)
LARGE_ROWS = 200_000


@dataclass(frozen=True)
class Book:
    """A book segmented by Spark: the book as one machine reads it, sorted by id, and the
    Spark run's profile and segment of each of those customers."""

    frame: pl.DataFrame
    profile: RunProfile
    labels: np.ndarray


def _book(path: Path, out: Path) -> Book:
    frame = load_customers(path).frame.sort(ID_COLUMN)
    found = pl.read_parquet(out / "assignments" / "**" / "*.parquet", hive_partitioning=True)
    segments = found.select("customer_id", pl.col("segment").cast(pl.Int64)).sort("customer_id")
    assert segments.get_column("customer_id").to_list() == frame.get_column(ID_COLUMN).to_list()
    profile = RunProfile.model_validate_json((out / "profiles.json").read_text())
    return Book(frame, profile, segments.get_column("segment").to_numpy())


@pytest.fixture(scope="module")
def sample_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Book:
    """`segmenter segment data/sample_customers.csv --engine spark`: k chosen automatically."""
    out = tmp_path_factory.mktemp("sample-run")
    assert cli_code("segment", SAMPLE, "--out", out, "--engine", "spark", "--seed", "0") == 0
    return _book(SAMPLE, out)


@pytest.fixture(scope="module")
def large_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Book:
    """Spark's K-Means at k=4, seed 0, on 200,000 synthetic customers written as Parquet."""
    from segmenter.spark.run import segment_on_spark

    path = tmp_path_factory.mktemp("large") / "customers.parquet"
    write_customers(path, rows=LARGE_ROWS, seed=3)
    out = tmp_path_factory.mktemp("large-run")
    segment_on_spark(spark, str(path), out, algorithm="kmeans", k=4, seed=0)
    return _book(path, out)


@pytest.fixture(params=["sample", "large"])
def run(request: pytest.FixtureRequest) -> Book:
    return request.getfixturevalue(f"{request.param}_run")  # type: ignore[no-any-return]


def test_the_sample_s_k_is_the_single_machine_choice(sample_run: Book) -> None:
    local = run_segmentation(sample_run.frame, algorithm="kmeans", k=None, seed=0)
    choice = sample_run.profile.k_selection
    assert choice is not None
    assert choice.chosen == sample_run.profile.k == local.profile.k == 3
    assert "scored with the single-machine K-Means on all 8,950 customers" in choice.explanation


def test_agrees_with_the_single_machine_k_means(run: Book) -> None:
    local = run_segmentation(run.frame, algorithm="kmeans", k=run.profile.k, seed=0)
    ari = adjusted_rand_score(local.labels, run.labels)
    print(f"ARI Spark vs one machine, k={run.profile.k}, {run.frame.height:,}: {ari:.3f}")
    assert ari >= MIN_ARI


def test_sizes_and_figures_match_polars_on_the_same_segments(run: Book) -> None:
    expected = {s.id: s for s in build_profiles(run.frame, run.labels, seed=0)}
    assert run.profile.n_customers == run.frame.height
    for got in run.profile.segments:
        want = expected[got.id]
        assert (got.size, got.share, got.purchase_type) == (
            want.size,
            want.share,
            want.purchase_type,
        )
        wanted = {s.feature: s for s in want.stats}
        assert [s.feature for s in got.stats] == list(wanted)
        for stat in got.stats:  # means and effect sizes are exact in Spark: rounding aside
            other = wanted[stat.feature]
            assert stat.mean == pytest.approx(other.mean, rel=1e-6, abs=1e-4), stat.feature
            assert stat.population_mean == pytest.approx(other.population_mean, rel=1e-6, abs=1e-4)
            assert stat.effect_size == pytest.approx(other.effect_size, abs=2e-3), stat.feature
        assert [d.feature for d in got.distinctions] == [d.feature for d in want.distinctions]
        assert got.name == want.name


def test_medians_are_within_the_stated_accuracy(run: Book) -> None:
    # percentile_approx at accuracy A returns a value of the column whose rank is within n/A
    # of the middle: the bounds are the exact quantiles that far either side.
    slack = 1 / MEDIAN_ACCURACY
    for segment in run.profile.segments:
        rows = run.frame.filter(pl.Series(run.labels == segment.id))
        for stat in segment.stats:
            if stat.feature not in FEATURE_COLUMNS:
                continue
            values = rows.get_column(stat.feature).drop_nulls()
            low = values.quantile(max(0.0, 0.5 - slack), interpolation="lower")
            high = values.quantile(min(1.0, 0.5 + slack), interpolation="higher")
            assert low is not None
            assert high is not None
            rounding = max(1e-4, 1e-6 * abs(high))
            assert low - rounding <= stat.median <= high + rounding, (segment.id, stat.feature)
