"""Spark on 200,000 synthetic customers (Parquet, k=4; test_on_spark runs the bundled
sample): the segments agree with the single-machine K-Means on the same data and seed, and
every figure of profiles.json matches a Polars computation on the same segments, within what
the run says of itself (medians approximate, the rest exact)."""

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

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MIN_ARI = 0.9  # the bar; measured: 0.983
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
def large_run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Book:
    """Spark's K-Means at k=4, seed 0, on 200,000 synthetic customers written as Parquet."""
    from segmenter.spark.run import segment_on_spark

    path = tmp_path_factory.mktemp("large") / "customers.parquet"
    write_customers(path, rows=LARGE_ROWS, seed=3)
    out = tmp_path_factory.mktemp("large-run")
    segment_on_spark(spark, str(path), out, algorithm="kmeans", k=4, seed=0)
    return _book(path, out)


def test_agrees_with_the_single_machine_k_means(large_run: Book) -> None:
    local = run_segmentation(large_run.frame, algorithm="kmeans", k=large_run.profile.k, seed=0)
    ari = adjusted_rand_score(local.labels, large_run.labels)
    print(
        f"ARI Spark vs one machine, k={large_run.profile.k}, {large_run.frame.height:,}: {ari:.3f}"
    )
    assert ari >= MIN_ARI


def test_sizes_and_figures_match_polars_on_the_same_segments(large_run: Book) -> None:
    expected = {s.id: s for s in build_profiles(large_run.frame, large_run.labels, seed=0)}
    assert large_run.profile.n_customers == large_run.frame.height
    for got in large_run.profile.segments:
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


def test_medians_are_within_the_stated_accuracy(large_run: Book) -> None:
    # percentile_approx at accuracy A returns a value of the column whose rank is within n/A
    # of the middle: the bounds are the exact quantiles that far either side.
    slack = 1 / MEDIAN_ACCURACY
    for segment in large_run.profile.segments:
        rows = large_run.frame.filter(pl.Series(large_run.labels == segment.id))
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
