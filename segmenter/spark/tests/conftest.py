"""One local Spark session for the Spark tests, and one K-Means run they share.

Starting Spark costs 10-30 s on a loaded 2-core machine, and a run on the bundled sample tens of
seconds more: the session and the run are made once per test session. The tests skip with
the reason where pyspark or Java is missing, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

from segmenter.errors import InputError
from segmenter.ingest.schema import ID_COLUMN
from segmenter.spark.session import SparkOptions, require_spark, start_session
from testkit.paths import SAMPLE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from segmenter.spark.run import SparkRun

# Two cores, no web UI, few shuffle partitions: small data, no waiting on empty tasks.
TEST_OPTIONS = SparkOptions(
    master="local[2]",
    conf={
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.default.parallelism": "2",
        "spark.driver.memory": "2g",  # Spark's 1g is tight for the 200,000-customer book
    },
    app_name="segmenter-tests",
)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    try:
        require_spark(os.environ)
    except InputError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Spark is needed under CI (`make test` installs Java): {error}")
        pytest.skip(str(error))
    # The catalog's folder, which Spark makes in the working directory by default.
    warehouse = {"spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("spark-warehouse"))}
    session = start_session(replace(TEST_OPTIONS, conf=TEST_OPTIONS.conf | warehouse))
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="session")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample (data/sample_customers.csv: 8,950 synthetic customers, missing values
    as in the public file) as Parquet, its cells as the CSV holds them."""
    path = tmp_path_factory.mktemp("book") / "customers.parquet"
    pl.read_csv(SAMPLE, schema_overrides={ID_COLUMN: pl.String}).write_parquet(path)
    return path


@pytest.fixture(scope="session")
def kmeans_run(
    spark: SparkSession, book: Path, tmp_path_factory: pytest.TempPathFactory
) -> SparkRun:
    """Spark's K-Means at k=4, seed 0, on the book: the run folder with Parquet assignments."""
    from segmenter.spark.run import segment_on_spark

    out = tmp_path_factory.mktemp("kmeans-run")
    return segment_on_spark(spark, str(book), out, algorithm="kmeans", k=4, seed=0)
