"""`segmenter segment PATH --engine spark`: one segmentation on Spark, written as a run folder.

The outputs are the single-machine ones, so `brief`, the narratives and the app read the
folder unchanged: profiles.json (a RunProfile whose statistics come from Spark aggregations,
segmenter.spark.profiles), the assignments (segmenter.spark.output) and the model, here a
Spark pipeline with its manifest (segmenter.spark.model).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from threadpoolctl import threadpool_limits

from segmenter.cluster.selection import choose_k
from segmenter.files import write_text
from segmenter.ingest.report import DataQualityReport
from segmenter.pipeline import check_request
from segmenter.progress import Progress, quiet
from segmenter.refresh.drift import BOOK_FILE
from segmenter.refresh.run import REFRESH_FILES
from segmenter.results import KChoice, RunProfile
from segmenter.spark.algorithms import get_spark_algorithm
from segmenter.spark.fit import Prepared, fit_on_spark, prepare_book
from segmenter.spark.model import MANIFEST_FILE, MODEL_DIR, assign, save_spark_model
from segmenter.spark.output import ASSIGNMENTS_CSV, ASSIGNMENTS_DIR, write_csv, write_parquet
from segmenter.spark.profiles import MEDIAN_ACCURACY, spark_profiles

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["SparkRun", "choose_k_on_sample", "segment_on_spark"]


@dataclass(frozen=True)
class SparkRun:
    """What a Spark run wrote, and the report of what it read."""

    profile: RunProfile
    report: DataQualityReport
    out_dir: Path
    files: list[str]  # names in out_dir, folders ending in /


def choose_k_on_sample(
    prepared: Prepared, algorithm: str, *, seed: int, progress: Progress = quiet
) -> KChoice:
    """k chosen by the single-machine rule (and method) on the sample."""
    title = get_spark_algorithm(algorithm).title
    sampled = len(prepared.sample.X)
    with threadpool_limits(limits=1):
        choice, _ = choose_k(prepared.sample.X, algorithm, seed=seed, progress=progress)
    scored = (
        f"a random sample of {sampled:,} of {prepared.n_rows:,} customers"
        if sampled < prepared.n_rows
        else f"all {sampled:,} customers"
    )
    note = (
        f" The candidates were scored with the single-machine {title} on {scored}, as Spark's "
        "preprocessing transformed them; Spark then fitted the chosen k on every customer."
    )
    return choice.model_copy(update={"explanation": choice.explanation + note})


def segment_on_spark(
    spark: SparkSession,
    path: str,
    out_dir: Path,
    *,
    algorithm: str = "kmeans",
    k: int | None = None,
    seed: int = 0,
    columns: Mapping[str, str] | None = None,
    csv: bool = False,
    progress: Progress = quiet,
) -> SparkRun:
    """Segment every customer of the book at `path`; write the run folder `out_dir`."""
    spec = get_spark_algorithm(algorithm)
    progress(f"reading and checking {path} with Spark")
    prepared = prepare_book(spark, path, columns=columns, seed=seed)
    check_request(prepared.sample.frame, k=k, source=path)
    choice: KChoice | None = None
    if k is None:
        choice = choose_k_on_sample(prepared, algorithm, seed=seed, progress=progress)
        k = choice.chosen
    progress(f"fitting Spark's {spec.title} at k={k} on {prepared.n_rows:,} customers")
    fitted = fit_on_spark(prepared, algorithm, k=k, seed=seed)
    progress("profiling segments with Spark aggregations")
    evaluation = fitted.evaluation
    segments = spark_profiles(
        fitted.labelled, fitted.sizes, sample=fitted.measured.frame,
        sample_labels=evaluation.labels, seed=seed,
        silhouettes=evaluation.segment_silhouettes, stabilities=evaluation.segment_stabilities,
    )  # fmt: skip
    manifest = fitted.manifest.model_copy(update={"names": {s.id: s.name for s in segments}})
    note = _fit_note(spec.title, prepared.n_rows, len(fitted.measured.X))
    if manifest.k < k:  # an empty component: say so rather than pad the count
        note += f" Spark's {spec.title} returned {manifest.k} segments of the {k} asked for."
    profile = RunProfile(
        algorithm=algorithm, k=manifest.k, seed=seed, n_customers=prepared.n_rows,
        metrics=evaluation.metrics, k_selection=choice, fit_note=note, segments=segments,
    )  # fmt: skip
    progress(f"writing {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale(out_dir, csv=csv)
    assignments = assign(fitted.model, manifest, prepared.clean)
    if csv:
        write_csv(assignments, out_dir / ASSIGNMENTS_CSV)
    else:
        write_parquet(assignments, out_dir / ASSIGNMENTS_DIR)
    save_spark_model(fitted.model, manifest, out_dir)
    write_text(out_dir / "profiles.json", profile.model_dump_json(indent=2) + "\n")
    fitted.labelled.unpersist()
    prepared.clean.unpersist()
    written = ASSIGNMENTS_CSV if csv else f"{ASSIGNMENTS_DIR}/"
    files = [written, "profiles.json", f"{MODEL_DIR}/", MANIFEST_FILE]
    return SparkRun(profile, prepared.report, out_dir, files)


def _remove_stale(out_dir: Path, *, csv: bool) -> None:
    """What an earlier run wrote here and this one does not replace: left, it would be read as
    this run's (the other form of assignments; a single-machine run's model, bins, refresh)."""
    if csv:
        if (out_dir / ASSIGNMENTS_DIR).is_dir():
            shutil.rmtree(out_dir / ASSIGNMENTS_DIR)
    else:
        (out_dir / ASSIGNMENTS_CSV).unlink(missing_ok=True)
    for name in ("model.skops", BOOK_FILE, *REFRESH_FILES):
        (out_dir / name).unlink(missing_ok=True)


def _fit_note(title: str, n_rows: int, sampled: int) -> str:
    return (
        f"Fitted by Spark's {title} on all {n_rows:,} customers, after Spark's preprocessing "
        "(median imputation, log1p, scaling). Sizes, shares, means and effect sizes count every "
        "customer; medians are approximate (Spark's percentile_approx, accuracy "
        f"{MEDIAN_ACCURACY:,}), as are the medians that fill missing values. Silhouette, "
        "Calinski-Harabasz, Davies-Bouldin, stability (refits of the single-machine "
        f"{title}) and the rules were measured on "
        + (f"a random sample of {sampled:,} customers." if sampled < n_rows else "all of them.")
    )
