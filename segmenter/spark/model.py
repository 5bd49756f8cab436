"""The fitted Spark pipeline, saved with Spark's own writer beside a small manifest.

A run folder holds `spark_model/` (a `pyspark.ml.PipelineModel`: preprocessing and clusterer)
and `spark_model.json`: the algorithm, k, the seed, how Spark's raw cluster numbers map onto
segment ids (0..k-1 by size, largest first) and the segments' names. `segmenter score RUN_DIR
FILE --engine spark` loads both and applies them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, ValidationError

from segmenter.errors import InputError
from segmenter.files import write_text
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.spark.algorithms import PREDICTION
from segmenter.spark.confidence import confidence, runner_up

if TYPE_CHECKING:
    from pyspark.ml import PipelineModel
    from pyspark.sql import Column, DataFrame

__all__ = [
    "MANIFEST_FILE",
    "MODEL_DIR",
    "SparkManifest",
    "assign",
    "load_pipeline",
    "read_manifest",
    "save_spark_model",
    "score",
    "segment_of",
]

MODEL_DIR = "spark_model"
MANIFEST_FILE = "spark_model.json"
FORMAT = 1


class SparkManifest(BaseModel):
    """What a saved Spark pipeline needs beside it to give segments their ids and names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = FORMAT
    engine: str = "spark"
    algorithm: str
    k: int
    seed: int
    columns: list[str] = list(FEATURE_COLUMNS)
    label_map: dict[int, int]  # Spark's raw cluster number -> segment id
    names: dict[int, str]  # segment id -> name
    centres: list[list[float]]  # of segments 0..k-1, transformed: for the confidence
    spark_version: str  # of the session that fitted it


def save_spark_model(model: PipelineModel, manifest: SparkManifest, out_dir: Path) -> None:
    """Write `spark_model/` with Spark's writer (replacing one there), then the manifest."""
    model.write().overwrite().save(str(out_dir / MODEL_DIR))
    write_text(out_dir / MANIFEST_FILE, manifest.model_dump_json(indent=2) + "\n")


def read_manifest(run_dir: Path) -> SparkManifest:
    """The manifest a Spark run wrote into `run_dir`, its pipeline folder beside it; one
    sentence when either is missing (checked before a session starts)."""
    path = run_dir / MANIFEST_FILE
    if not path.is_file():
        raise InputError(
            f"{run_dir}: no {MANIFEST_FILE} here; give the folder a `segmenter segment "
            "--engine spark` run wrote (a model.skops is scored without --engine spark)"
        )
    try:
        manifest = SparkManifest.model_validate_json(path.read_bytes())
    except ValidationError as error:
        raise InputError(f"{path}: not a Spark model manifest this version reads") from error
    if not (run_dir / MODEL_DIR).is_dir():
        raise InputError(
            f"{run_dir}: {MANIFEST_FILE} is here but its pipeline folder {MODEL_DIR}/ is not; "
            "run `segmenter segment --engine spark` again"
        )
    return manifest


def load_pipeline(run_dir: Path) -> PipelineModel:
    """The fitted pipeline a Spark run saved in `run_dir`; one sentence when it cannot load."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException
    from pyspark.ml import PipelineModel

    path = run_dir / MODEL_DIR
    try:
        return PipelineModel.load(str(path))
    # A damaged folder surfaces as the JVM's error (Py4JJavaError), not only as pyspark's own.
    except (PySparkException, Py4JError) as error:
        raise InputError(f"{path}: Spark could not load the pipeline") from error


def _lookup(mapping: dict[int, int] | dict[int, str], key: Column) -> Column:
    from pyspark.sql import functions as F

    pairs = [F.lit(v) for item in sorted(mapping.items()) for v in item]
    return F.create_map(*pairs)[key]


def segment_of(manifest: SparkManifest) -> Column:
    """Each row's segment id, from the clusterer's raw cluster number."""
    from pyspark.sql import functions as F

    return _lookup(manifest.label_map, F.col(PREDICTION)).cast("long")


def _assignment_columns(manifest: SparkManifest) -> list[Column]:
    """customer_id, segment, segment_name and confidence, over the pipeline's output."""
    from pyspark.sql import functions as F

    segment = segment_of(manifest)
    return [
        F.col(ID_COLUMN).alias("customer_id"),
        segment.alias("segment"),
        _lookup(manifest.names, segment).alias("segment_name"),
        confidence(manifest.centres, segment).alias("confidence"),
    ]


def assign(model: PipelineModel, manifest: SparkManifest, frame: DataFrame) -> DataFrame:
    """The columns of assignments.csv (customer_id, segment, segment_name, confidence) for
    every customer of a canonical frame."""
    return model.transform(frame).select(*_assignment_columns(manifest))


def score(model: PipelineModel, manifest: SparkManifest, frame: DataFrame) -> DataFrame:
    """`assign`'s columns, then the runner-up segment (runner_up, runner_up_name): the columns
    the single-machine `segmenter score` writes."""
    runner = runner_up(manifest.centres, segment_of(manifest))
    return model.transform(frame).select(
        *_assignment_columns(manifest),
        runner.alias("runner_up"),
        _lookup(manifest.names, runner).alias("runner_up_name"),
    )
