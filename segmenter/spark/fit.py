"""Fit on Spark and measure on a sample: the steps `segment` and `compare` share.

Spark fits the preprocessing and the clusterer on every customer and assigns every customer.
What costs n squared or many refits runs on one machine, with the single-machine code, on a
seeded sample of about `SAMPLE_ROWS` customers transformed by the Spark pipeline: choosing k
(segmenter.cluster.selection), silhouette, Calinski-Harabasz, Davies-Bouldin and bootstrap
stability (segmenter.cluster.evaluation), and the plain-language rules. Each customer's draw
is a number from its id and the seed, not from Spark's partitioning (which varies with the
cores and the files): every step, on any cluster, measures the same customers. Spark's own
seeded steps (k-means|| and the mixture's starts, approximate medians) work partition by
partition: the book is first put in partitions made from the ids (`in_fixed_layout`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from segmenter.cluster.evaluation import Evaluation, quality, stability
from segmenter.ingest.report import DataQualityReport
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.sampling import CHOOSE_K_ROWS
from segmenter.spark.algorithms import PREDICTION, fit_best, get_spark_algorithm
from segmenter.spark.confidence import segment_centres
from segmenter.spark.features import FEATURES, preprocessing_stages
from segmenter.spark.model import SparkManifest, segment_of
from segmenter.spark.profiles import SEGMENT
from segmenter.spark.read import book_format, read_book
from segmenter.spark.validate import validate_book

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = [
    "ROWS_PER_PARTITION",
    "SAMPLE_ROWS",
    "Fitted",
    "Prepared",
    "Sample",
    "fit_on_spark",
    "in_fixed_layout",
    "prepare_book",
]

SAMPLE_ROWS = CHOOSE_K_ROWS  # customers measured on one machine
ROWS_PER_PARTITION = 1_000_000  # about Spark's 128 MiB split of a CSV book
_DRAW = "__draw"
_DRAW_RANGE = 1 << 53  # the draw's resolution: every double below 1 is exact


@dataclass(frozen=True)
class Sample:
    """Customers drawn from the book: canonical columns, transformed rows, segments if known."""

    frame: pl.DataFrame  # CUST_ID and the 17 features, sorted by CUST_ID
    X: np.ndarray  # their rows after the Spark preprocessing
    labels: np.ndarray | None = None  # segment ids


@dataclass(frozen=True)
class Prepared:
    """A validated book, its fitted preprocessing, and the sample measured on one machine."""

    clean: DataFrame  # canonical columns, persisted
    report: DataQualityReport
    preprocessing: PipelineModel
    transformed: DataFrame
    sample: Sample

    @property
    def n_rows(self) -> int:
        return self.report.rows_kept


@dataclass(frozen=True)
class Fitted:
    """One Spark clusterer fitted on every customer, and how it measures on the sample."""

    model: PipelineModel  # preprocessing and clusterer
    manifest: SparkManifest  # names still empty: they come from the profiles
    labelled: DataFrame  # canonical columns and SEGMENT, persisted
    sizes: dict[int, int]  # exact, per segment id
    measured: Sample  # the sample, with its segments
    evaluation: Evaluation  # sample metrics; labels are the sample's


def prepare_book(
    spark: SparkSession, path: str, *, columns: Mapping[str, str] | None, seed: int
) -> Prepared:
    """Read and validate the book, fit the preprocessing, and draw the sample."""
    from pyspark.ml import Pipeline
    from pyspark.sql import functions as F

    raw = read_book(spark, path)
    clean, report = validate_book(raw, source=path, fmt=book_format(path), columns=columns)
    clean = in_fixed_layout(clean, report.rows_kept)
    clean = clean.withColumn(_DRAW, _draw_of(F.col(ID_COLUMN), seed)).persist()
    preprocessing = Pipeline(stages=preprocessing_stages()).fit(clean)
    transformed = preprocessing.transform(clean)
    sample = _draw(transformed, n_rows=report.rows_kept, with_labels=False)
    return Prepared(clean, report, preprocessing, transformed, sample)


def in_fixed_layout(clean: DataFrame, n_rows: int) -> DataFrame:
    """The customers in partitions that depend on their ids alone: `ROWS_PER_PARTITION` a
    partition by a hash of the id, sorted by id within each. Spark's seeded fits draw their
    starts partition by partition, so a layout that followed the files or the cores would make
    the same book and seed give other segments elsewhere (measured: a Gaussian mixture on the
    sample, read as one file and as seven, agreed at ARI 0.64)."""
    from pyspark.sql import functions as F

    partitions = max(1, math.ceil(n_rows / ROWS_PER_PARTITION))
    return clean.repartition(partitions, F.col(ID_COLUMN)).sortWithinPartitions(ID_COLUMN)


def _draw_of(customer_id: Column, seed: int) -> Column:
    """A uniform number in [0, 1) from the customer's id and the seed: the same customer draws
    the same number whatever the partitioning (F.rand draws per partition, so it does not)."""
    from pyspark.sql import functions as F

    return F.pmod(F.xxhash64(customer_id, F.lit(seed)), F.lit(_DRAW_RANGE)) / float(_DRAW_RANGE)


def _draw(frame: DataFrame, *, n_rows: int, with_labels: bool) -> Sample:
    """The customers whose draw falls under the sample's share, sorted by id, as arrays."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    fraction = min(1.0, SAMPLE_ROWS / max(n_rows, 1))
    wanted = [F.col(ID_COLUMN), *map(F.col, FEATURE_COLUMNS)]
    wanted += [vector_to_array(F.col(FEATURES)).alias("__x")]
    wanted += [F.col(SEGMENT)] if with_labels else []
    table = pl.from_arrow(frame.filter(F.col(_DRAW) < fraction).select(*wanted).toArrow())
    assert isinstance(table, pl.DataFrame)
    table = table.sort(ID_COLUMN)
    X = np.array(table.get_column("__x").to_list(), dtype=np.float64)
    labels = table.get_column(SEGMENT).to_numpy().astype(np.int64) if with_labels else None
    return Sample(table.select(ID_COLUMN, *FEATURE_COLUMNS), X.reshape(-1, len(FEATURE_COLUMNS)),
                  labels)  # fmt: skip


def _segments_by_size(predicted: DataFrame) -> tuple[dict[int, int], dict[int, int]]:
    """Spark's raw cluster numbers -> segment ids by size, largest first (ties: the lower
    number first), and each segment id's size."""
    counts = predicted.groupBy(PREDICTION).count().collect()
    ranked = sorted((-row["count"], int(row[PREDICTION])) for row in counts)
    return {raw: sid for sid, (_, raw) in enumerate(ranked)}, {
        sid: -negative for sid, (negative, _) in enumerate(ranked)
    }


def fit_on_spark(prepared: Prepared, algorithm: str, *, k: int, seed: int) -> Fitted:
    """Fit `algorithm` at k on every customer; segment ids by size; measure on the sample."""
    from pyspark.ml import PipelineModel

    get_spark_algorithm(algorithm)  # one of Spark's, or refused
    started = time.perf_counter()
    clusterer = fit_best(algorithm, prepared.transformed, k=k, seed=seed)
    predicted = clusterer.transform(prepared.transformed)
    label_map, sizes = _segments_by_size(predicted)
    fit_seconds = time.perf_counter() - started
    version = prepared.clean.sparkSession.version
    manifest = SparkManifest(algorithm=algorithm, k=len(label_map), seed=seed,
                             label_map=label_map, names={}, centres=[],
                             spark_version=version)  # fmt: skip
    labelled = predicted.withColumn(SEGMENT, segment_of(manifest)).persist()
    centres = segment_centres(labelled, SEGMENT, len(label_map))
    manifest = manifest.model_copy(update={"centres": centres})
    measured = _draw(labelled, n_rows=prepared.n_rows, with_labels=True)
    assert measured.labels is not None
    with threadpool_limits(limits=1):  # as on one machine: results do not depend on cores
        metrics, silhouettes = quality(measured.X, measured.labels, seed=seed)
        ari, stabilities = stability(
            measured.X, measured.labels, algorithm=algorithm, k=len(label_map), seed=seed
        )
    largest = round(max(sizes.values()) / prepared.n_rows, 6)
    evaluation = Evaluation(
        algorithm=algorithm, model=clusterer, raw_labels=measured.labels, labels=measured.labels,
        label_map={sid: sid for sid in sizes},
        metrics=metrics.model_copy(update={"stability_ari": ari, "largest_share": largest}),
        segment_silhouettes=silhouettes, segment_stabilities=stabilities,
        fit_seconds=fit_seconds, fit_rows=None,
    )  # fmt: skip
    model = PipelineModel(stages=[*prepared.preprocessing.stages, clusterer])
    return Fitted(model, manifest, labelled, sizes, measured, evaluation)
