"""The algorithms Spark can run, by the registry's names, and a refusal for the others.

`kmeans` is Spark's KMeans (k-means|| starts, seeded, up to `MAX_ITER` iterations: Spark's
default of 20 stops before convergence on this data), restarted `RESTARTS` times from seeds
drawn from the run's seed, keeping the fit of least cost, as scikit-learn's n_init does: the
data is a continuum with near-equal optima (on 2,000 synthetic customers at k=4, costs 20,184
and 20,307, whose segments agree at an adjusted Rand index of 0.44), and one start lands on
either. `gmm` is its GaussianMixture (full covariances, as on one machine; two starts, the
likelier kept). DBSCAN, HDBSCAN, spectral clustering, Ward and BIRCH have no Spark counterpart:
asking for one is refused, naming the alternatives.

Spark's BisectingKMeans is not offered: with pyspark 4.3 on 2,000 synthetic customers it
returned fewer clusters than asked, with empty ones among them (k=4: sizes 924, 525, 551 and
0 with seed 0; one cluster of 2,000 with seeds 1 and 2), whatever minDivisibleClusterSize.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from segmenter.cluster.algorithms import ALGORITHMS, Algorithm
from segmenter.errors import InputError
from segmenter.spark.features import FEATURES

if TYPE_CHECKING:
    from pyspark.ml import Estimator, Model
    from pyspark.sql import DataFrame

__all__ = [
    "MAX_ITER",
    "PREDICTION",
    "RESTARTS",
    "SPARK_ALGORITHMS",
    "fit_best",
    "get_spark_algorithm",
    "spark_clusterer",
]

MAX_ITER = 300  # K-Means converged in 47 iterations on the real file (20 did not)
PREDICTION = "__raw_segment"
RESTARTS = {"kmeans": 3, "gmm": 2}  # as scikit-learn's n_init for large books


# The registry's names (segmenter.cluster.algorithms) that Spark has a method for.
SPARK_ALGORITHMS: tuple[str, ...] = ("kmeans", "gmm")


def get_spark_algorithm(name: str) -> Algorithm:
    """The registry's entry for a method Spark has (its title, for the outputs); an InputError
    naming the ones it has otherwise."""
    if name in SPARK_ALGORITHMS:
        return ALGORITHMS[name]
    *others, last = SPARK_ALGORITHMS
    choices = f"{', '.join(others)} or {last}" if others else last
    if name in ALGORITHMS:
        raise InputError(
            f"{name} has no Spark counterpart: with --engine spark choose {choices}, or run "
            f"{name} on one machine (leave out --engine spark), where it is fitted on a sample"
        )
    raise InputError(f"unknown algorithm {name!r}; with --engine spark choose one of: {choices}")


def spark_clusterer(name: str, *, k: int, seed: int) -> Estimator:  # type: ignore[type-arg]
    """An unfitted Spark clusterer reading `FEATURES` and writing `PREDICTION`."""
    from pyspark.ml.clustering import GaussianMixture, KMeans

    common: dict[str, Any] = {"k": k, "seed": seed, "featuresCol": FEATURES,
                              "predictionCol": PREDICTION}  # fmt: skip
    get_spark_algorithm(name)
    if name == "gmm":
        return GaussianMixture(**common, maxIter=MAX_ITER, probabilityCol="__probability")
    return KMeans(**common, maxIter=MAX_ITER, initMode="k-means||")


def fit_best(name: str, data: DataFrame, *, k: int, seed: int) -> Model:  # type: ignore[type-arg]
    """The best of `RESTARTS` fits from seeds drawn from `seed`: least cost, or likeliest."""
    starts = RESTARTS.get(name, 1)
    seeds = np.random.SeedSequence(seed).generate_state(starts).tolist() if starts > 1 else [seed]
    best, best_score = None, -np.inf
    for start in seeds:
        model = spark_clusterer(name, k=k, seed=int(start)).fit(data)
        summary = model.summary
        score = summary.logLikelihood if name == "gmm" else -summary.trainingCost
        if best is None or score > best_score:
            best, best_score = model, score
    assert best is not None
    return best
