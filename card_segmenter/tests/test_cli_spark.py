"""`--engine spark` on the command line: what is refused, in one line with exit 2, before any
Spark session starts. The runs themselves are tested beside the engine, in one JVM
(segmenter/spark/tests/test_on_spark.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from segmenter.ingest.report import DataQualityReport
from segmenter.pipeline import run_segmentation
from segmenter.spark.model import SparkManifest
from segmenter.spark.run import SparkRun
from segmenter.workspace import file_sha256, get_run, list_runs, path_sha256, shown_url
from testkit.paths import SAMPLE
from testkit.segmenter_fixtures import cli_code, spark_run_dir, toy_frame

# What a two-segment Spark run's spark_model.json holds.
MANIFEST = SparkManifest(algorithm="kmeans", k=2, seed=0, label_map={0: 0, 1: 1},
                         names={0: "A", 1: "B"}, centres=[[0.0] * 17, [1.0] * 17],
                         spark_version="4.3.0")  # fmt: skip


def _refused(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    """The one line a refused command prints on stderr (exit code 2 checked)."""
    assert cli_code(*args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    return err


@pytest.mark.parametrize("name", ["dbscan", "hdbscan", "spectral", "agglomerative", "birch"])
def test_a_method_spark_does_not_have_is_refused_naming_the_alternatives(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    err = _refused(capsys, "segment", SAMPLE, "--out", tmp_path, "--engine", "spark",
                   "--algorithm", name)  # fmt: skip
    assert err == (
        f"error: {name} has no Spark counterpart: with --engine spark choose kmeans or gmm, or "
        f"run {name} on one machine (leave out --engine spark), where it is fitted on a sample\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--engine", "cloud"], "--engine 'cloud': choose local or spark", id="engine"),
        pytest.param(
            ["--spark-master", "local[2]"],
            "--spark-master, --spark-conf and --assignments-csv go with --engine spark",
            id="master-without-spark",
        ),
        pytest.param(
            ["--assignments-csv"],
            "--spark-master, --spark-conf and --assignments-csv go with --engine spark",
            id="csv-without-spark",
        ),
        pytest.param(
            ["--engine", "spark", "--previous", "latest"],
            "--stream and --previous work on one machine, not with --engine spark",
            id="previous",
        ),
        pytest.param(
            ["--engine", "spark", "--spark-conf", "spark.executor.memory"],
            "--spark-conf 'spark.executor.memory': write it as KEY=VALUE",
            id="conf",
        ),
    ],
)
def test_bad_spark_options_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    err = _refused(capsys, "segment", SAMPLE, "--out", tmp_path, *args)
    assert err.startswith(f"error: {message}")


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["segment", SAMPLE, "--out", "run"], id="segment"),
        pytest.param(["compare", SAMPLE, "--out", "compared"], id="compare"),
        pytest.param(["score", "run", SAMPLE, "--out", "scored.csv"], id="score"),
    ],
)
def test_without_java_each_command_says_what_to_install(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    command: list[str | Path],
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run" / "spark_model").mkdir(parents=True)  # a Spark run's folder, for score
    (tmp_path / "run" / "spark_model.json").write_text(MANIFEST.model_dump_json())
    err = _refused(capsys, *command, "--engine", "spark")
    assert err.startswith("error: --engine spark needs a Java runtime (17 or later)")
    assert "apt-get install openjdk-17-jre-headless" in err


def test_without_pyspark_it_says_to_install_the_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if it were not installed
    err = _refused(capsys, "segment", SAMPLE, "--out", tmp_path, "--engine", "spark")
    assert err == (
        "error: --engine spark needs pyspark: install it with pip install 'card-segmenter[spark]'\n"
    )


def test_score_on_spark_writes_csv_or_parquet_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    err = _refused(capsys, "score", tmp_path, SAMPLE, "--out", tmp_path / "scored.xlsx",
                   "--engine", "spark")  # fmt: skip
    assert err.startswith("error: --out")
    assert "write a .csv or a .parquet file" in err


def test_score_on_spark_needs_a_spark_run_s_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "model.skops").write_bytes(b"")
    err = _refused(capsys, "score", tmp_path, SAMPLE, "--out", tmp_path / "scored.csv",
                   "--engine", "spark")  # fmt: skip
    assert err == (
        f"error: {tmp_path}: no spark_model.json here; give the folder a `segmenter segment "
        "--engine spark` run wrote (a model.skops is scored without --engine spark)\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["segment", "missing/cards.csv", "--out", "run"], id="segment"),
        pytest.param(["compare", "missing/cards.csv", "--out", "compared"], id="compare"),
    ],
)
def test_a_path_that_is_no_file_folder_or_table_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    command: list[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    err = _refused(capsys, *command, "--engine", "spark")
    assert err == "error: missing/cards.csv: no such file or folder, and not a table name\n"


def test_score_on_spark_needs_the_run_s_pipeline_beside_its_manifest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "spark_model.json").write_text(MANIFEST.model_dump_json())
    err = _refused(capsys, "score", tmp_path, SAMPLE, "--out", tmp_path / "scored.csv",
                   "--engine", "spark")  # fmt: skip
    assert err == (
        f"error: {tmp_path}: spark_model.json is here but its pipeline folder spark_model/ is "
        "not; run `segmenter segment --engine spark` again\n"
    )


def test_score_on_spark_refuses_a_manifest_it_cannot_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "spark_model.json").write_text('{"format": 1}')
    err = _refused(capsys, "score", tmp_path, SAMPLE, "--out", tmp_path / "scored.csv",
                   "--engine", "spark")  # fmt: skip
    manifest = tmp_path / "spark_model.json"
    assert err == f"error: {manifest}: not a Spark model manifest this version reads\n"


def _written_spark_run(out: Path) -> SparkRun:
    """What `segment_on_spark` returns for a run of 120 toy customers written to `out` (a
    folder as Spark's writer leaves it, built without a JVM)."""
    segmentation = run_segmentation(toy_frame(), k=3, seed=0, n_bootstraps=2)
    spark_run_dir(out, segmentation)
    report = DataQualityReport(
        source="book", format="parquet", rows_read=121, rows_kept=120, column_mapping={},
        ignored_columns=[], ids_generated=False, missing={}, findings=[], dropped=[],
    )  # fmt: skip
    return SparkRun(segmentation.profile, report, out, ["assignments/", "profiles.json"])


@pytest.mark.parametrize("as_uri", [False, True], ids=["path", "file URI"])
def test_a_spark_run_is_recorded_with_its_book_folder_s_sha256(
    tmp_path: Path, workspace_folder: Path, as_uri: bool
) -> None:
    from card_segmenter.cli import _record_spark, _workspace

    book = tmp_path / "book"
    book.mkdir()
    (book / "part-0.parquet").write_bytes(b"PAR1 rows PAR1")
    run = _written_spark_run(tmp_path / "run")
    engine = _workspace()
    source = book.as_uri() if as_uri else str(book)
    said = _record_spark(engine, run, source, {"algorithm": "kmeans", "k": "3", "seed": 0})
    assert said == (
        f"recorded as run 1 in {shown_url(engine.url)} (without its assignments: they are not "
        "kept for Spark runs)"
    )
    record = get_run(engine, 1)
    assert (record.engine, record.source_name, record.source_sha256) == (
        "spark", source, path_sha256(book),
    )  # fmt: skip
    assert (record.rows_read, record.rows_kept) == (121, 120)


@pytest.mark.parametrize("source", ["lake.cards", "s3a://bank/cards/"])
def test_a_spark_run_of_a_book_not_on_this_machine_is_not_recorded(
    tmp_path: Path, workspace_folder: Path, source: str
) -> None:
    from card_segmenter.cli import _record_spark, _workspace

    engine = _workspace()
    said = _record_spark(engine, _written_spark_run(tmp_path / "run"), source, {})
    assert said == (
        f"not recorded in the workspace: {source} is not a file or folder on this machine, and "
        "the workspace records a run with the sha256 of the book it read"
    )
    assert list_runs(engine) == []


def test_a_run_on_one_machine_replaces_a_spark_run_s_folder_whole(
    tmp_path: Path, workspace_folder: Path
) -> None:
    out = _written_spark_run(tmp_path / "run").out_dir
    (out / "assignments" / "segment=0").mkdir(parents=True)
    (out / "assignments" / "segment=0" / "part-0.parquet").write_bytes(b"PAR1")
    assert cli_code("segment", SAMPLE, "--out", out, "--k", "3") == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "assignments.csv", "book.json", "model.skops", "profiles.json",
    ]  # fmt: skip
    assert cli_code("brief", out, "--out", out / "brief.md", "--offline") == 0
    audit = json.loads((out / "brief.json").read_text())["audit"]
    assert audit["segmentation_model_sha256"] == file_sha256(out / "model.skops")
    from card_segmenter.cli import _workspace

    assert get_run(_workspace(), 1).model_sha256 == file_sha256(out / "model.skops")
