"""`segmenter compare PATH --engine spark`: every Spark algorithm at one k, side by side.

Each method is fitted by Spark on every customer; its scores and the agreement between
methods are measured on the same seeded sample (segmenter.spark.fit), and written as the
single-machine comparison.csv and agreement.csv (segmenter.comparison).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from segmenter.cluster.evaluation import Evaluation
from segmenter.cluster.selection import Comparison
from segmenter.comparison import ComparisonRun
from segmenter.pipeline import check_request
from segmenter.progress import Progress, quiet
from segmenter.spark.algorithms import SPARK_ALGORITHMS, get_spark_algorithm
from segmenter.spark.fit import fit_on_spark, prepare_book
from segmenter.spark.run import choose_k_on_sample

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["REFERENCE_ALGORITHM", "compare_on_spark"]

REFERENCE_ALGORITHM = "kmeans"  # k=auto is chosen with it, as on one machine


def compare_on_spark(
    spark: SparkSession,
    path: str,
    *,
    k: int | None = None,
    seed: int = 0,
    columns: Mapping[str, str] | None = None,
    progress: Progress = quiet,
) -> ComparisonRun:
    """Fit every Spark algorithm at k (chosen with K-Means when None) and score each."""
    progress(f"reading and checking {path} with Spark")
    prepared = prepare_book(spark, path, columns=columns, seed=seed)
    check_request(prepared.sample.frame, k=k, source=path)
    choice = None
    if k is None:
        choice = choose_k_on_sample(prepared, REFERENCE_ALGORITHM, seed=seed, progress=progress)
        k = choice.chosen
    evaluations: dict[str, Evaluation] = {}
    short = ""  # a method that left components empty: said, rather than shown at k
    for step, name in enumerate(SPARK_ALGORITHMS, start=1):
        progress(f"comparing: Spark's {name} at k={k} ({step}/{len(SPARK_ALGORITHMS)})")
        fitted = fit_on_spark(prepared, name, k=k, seed=seed)
        fitted.labelled.unpersist()
        evaluations[name] = fitted.evaluation
        if fitted.manifest.k < k:
            title = get_spark_algorithm(name).title
            short += f" Spark's {title} returned {fitted.manifest.k} segments of the {k} asked for."
    prepared.clean.unpersist()
    sampled = len(prepared.sample.X)
    scored = (
        f"the same random sample of {sampled:,} of them"
        if sampled < prepared.n_rows
        else "all of them"
    )
    note = (
        f"Every algorithm was fitted by Spark on all {prepared.n_rows:,} customers and scored "
        f"on {scored}; fit_seconds is Spark's fit and assignment of every customer.{short}"
    )
    return ComparisonRun(Comparison(k=k, evaluations=evaluations), choice, note)
