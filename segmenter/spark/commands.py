"""The command line's `--engine spark`: one function per command, returning what to print.

Each checks what Spark needs (pyspark, a Java runtime) and refuses a method Spark does not
have before any session starts, then runs in the session `segmenter.spark.session` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from segmenter.errors import InputError
from segmenter.progress import Progress, quiet
from segmenter.spark.algorithms import get_spark_algorithm
from segmenter.spark.read import book_format
from segmenter.spark.session import require_spark, spark_options, spark_session

if TYPE_CHECKING:
    from segmenter.spark.run import SparkRun

__all__ = ["SparkCommand", "compare_command", "score_command", "segment_command"]


@dataclass(frozen=True)
class SparkCommand:
    """Where to run (--spark-master, --spark-conf) and the environment, read at the edge."""

    master: str | None = None
    conf: Sequence[str] = ()
    environ: Mapping[str, str] = field(default_factory=dict)
    progress: Progress = quiet


def segment_command(
    path: str,
    out: Path,
    *,
    algorithm: str,
    k: int | None,
    seed: int,
    columns: Mapping[str, str] | None,
    csv: bool,
    command: SparkCommand,
    record: Callable[[SparkRun], str],
) -> list[str]:
    """Segment on Spark and write `out`, then `record` the run (what it returns is said of the
    workspace); the lines `segmenter segment` prints."""
    from segmenter.explain.summary import segment_lines

    spec = get_spark_algorithm(algorithm)  # refused before a session starts
    book_format(path)  # so is a path that is neither a file, a folder nor a table name
    require_spark(command.environ)
    from segmenter.spark.run import segment_on_spark

    options = spark_options(command.master, command.conf, command.environ)
    with spark_session(options) as spark:
        run = segment_on_spark(
            spark, path, out, algorithm=algorithm, k=k, seed=seed, columns=columns, csv=csv,
            progress=command.progress,
        )  # fmt: skip
    report = run.report
    lines = [
        f"Read {report.rows_read:,} rows with Spark, kept {report.rows_kept:,}"
        + (f"; {len(report.findings)} data-quality finding(s):" if report.findings else ".")
    ]
    lines += [line for line in report.render().splitlines() if line.startswith("- ")]
    lines += segment_lines(run.profile, method=spec)
    files = run.files
    lines.append(f"wrote {', '.join(files[:-1])} and {files[-1]} to {out}; {record(run)}")
    return lines


def compare_command(
    path: str, out: Path, *, k: int | None, columns: Mapping[str, str] | None, command: SparkCommand
) -> list[str]:
    """Compare the Spark algorithms and write `out`; the lines `segmenter compare` prints."""
    from segmenter.comparison import write_comparison

    book_format(path)  # refused before a session starts
    require_spark(command.environ)
    from segmenter.spark.compare import compare_on_spark

    options = spark_options(command.master, command.conf, command.environ)
    with spark_session(options) as spark:
        run = compare_on_spark(spark, path, k=k, columns=columns, progress=command.progress)
    write_comparison(run, out)
    lines = [run.note] if run.note else []
    lines += [run.k_selection.explanation] if run.k_selection else []
    lines += run.table().write_csv().splitlines()
    lines.append(f"wrote comparison.csv and agreement.csv to {out}")
    return lines


def score_command(
    run_dir: Path,
    path: str,
    out: Path,
    *,
    columns: Mapping[str, str] | None,
    command: SparkCommand,
) -> list[str]:
    """Give the customers at `path` a segment, a confidence and the runner-up with a Spark
    run's pipeline; write `out` (.csv: one spreadsheet-safe file; .parquet: Spark's folder,
    partitioned by segment)."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(f"--out {out}: write a .csv or a .parquet file")
    from segmenter.spark.model import load_pipeline, read_manifest, score
    from segmenter.spark.output import write_csv, write_parquet
    from segmenter.spark.read import read_book
    from segmenter.spark.validate import validate_book

    manifest = read_manifest(run_dir)  # refused before a session starts
    book_format(path)
    title = get_spark_algorithm(manifest.algorithm).title
    require_spark(command.environ)
    options = spark_options(command.master, command.conf, command.environ)
    with spark_session(options) as spark:
        model = load_pipeline(run_dir)
        raw = read_book(spark, path)
        clean, report = validate_book(raw, source=path, fmt=book_format(path), columns=columns)
        command.progress(f"scoring {report.rows_kept:,} customers with Spark")
        scored = score(model, manifest, clean)
        if suffix == ".csv":
            write_csv(scored, out)
        else:
            write_parquet(scored, out)
    return [f"scored {report.rows_kept:,} customers with Spark's {title}; wrote {out}"]
