"""What the Spark engine decides before a session starts: its settings, what it needs, which
methods it has, and how it reads PATH. No JVM is started here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from segmenter.errors import InputError
from segmenter.spark.algorithms import SPARK_ALGORITHMS, get_spark_algorithm
from segmenter.spark.read import as_source, book_format
from segmenter.spark.session import (
    DRIVER_MEMORY,
    JVM_ENDED,
    LOCAL_MASTER,
    LOG_CONFIG,
    SparkOptions,
    failure,
    parse_conf,
    require_spark,
    spark_options,
)


def test_settings_come_from_the_environment_then_the_options() -> None:
    environ = {"SEGMENTER_SPARK_CONF": "spark.executor.memory=2g; spark.a=1\nspark.b = x=y"}
    options = spark_options(None, ["spark.executor.memory=8g"], environ, machine_memory=8 * 2**30)
    assert options == SparkOptions(
        master=LOCAL_MASTER,
        conf={
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}",
            "spark.executor.memory": "8g",
            "spark.a": "1",
            "spark.b": "x=y",
            "spark.driver.memory": "4096m",  # local: half the machine's 8 GiB
        },
    )
    assert LOG_CONFIG.is_file()  # packaged beside the module (pyproject's package data)
    # A --spark-conf of the same key is the user's: it wins over the quiet log settings.
    mine = spark_options(None, ["spark.driver.extraJavaOptions=-Xss4m"], {})
    assert mine.conf["spark.driver.extraJavaOptions"] == "-Xss4m"


@pytest.mark.parametrize(
    ("master", "pairs", "machine", "expected"),
    [
        (None, [], 24 * 2**30, "12288m"),  # half the machine
        ("local[2]", [], 1 * 2**30, "1024m"),  # never below Spark's own default
        ("local[2]", ["spark.driver.memory=3g"], 24 * 2**30, "3g"),  # the user's, as given
        ("spark://head:7077", [], 24 * 2**30, None),  # a cluster's driver: Spark's default
    ],
)
def test_a_local_session_gets_half_the_machine_s_memory(
    master: str | None, pairs: list[str], machine: int, expected: str | None
) -> None:
    # Spark's 1 GiB default ended the Java process on 1M customers in local mode.
    options = spark_options(master, pairs, {}, machine_memory=machine)
    assert options.conf.get(DRIVER_MEMORY) == expected


def test_a_java_process_that_ended_is_one_sentence_saying_what_to_do() -> None:
    from py4j.protocol import Py4JError, Py4JJavaError, Py4JNetworkError

    class Gone:  # a Java exception whose process has ended: asking it anything fails
        def getMessage(self) -> str:
            raise Py4JNetworkError("Answer from Java side is empty")

    died = Py4JJavaError.__new__(Py4JJavaError)  # as py4j makes it, without a live gateway
    died.java_exception = Gone()
    for error in (died, Py4JNetworkError("Answer from Java side is empty"),
                  ConnectionRefusedError(111, "Connection refused")):  # fmt: skip
        assert str(failure(error)) == JVM_ENDED
    assert "--spark-conf spark.driver.memory=8g" in JVM_ENDED
    assert str(failure(Py4JError("o31.parquet does not exist"))) == (
        "Spark failed: o31.parquet does not exist"
    )


@pytest.mark.parametrize(
    ("master", "environ", "expected"),
    [
        pytest.param(None, {}, "local[*]", id="local-by-default"),
        pytest.param("spark://head:7077", {}, "spark://head:7077", id="a-cluster"),
        pytest.param(None, {"PYSPARK_GATEWAY_PORT": "4242"}, None, id="spark-submit-decides"),
    ],
)
def test_the_master(master: str | None, environ: dict[str, str], expected: str | None) -> None:
    assert spark_options(master, [], environ).master == expected


@pytest.mark.parametrize("pair", ["spark.a", "=1", ""])
def test_a_setting_without_a_key_and_value_is_refused(pair: str) -> None:
    with pytest.raises(InputError, match="write it as KEY=VALUE"):
        parse_conf([pair])


def test_without_java_one_sentence_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"needs a Java runtime \(17 or later\).*openjdk-17"):
        require_spark({"PATH": str(tmp_path)})
    with pytest.raises(InputError, match="needs a Java runtime"):
        require_spark({"JAVA_HOME": str(tmp_path), "PATH": "/usr/bin"})


def test_without_pyspark_one_sentence_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if it were not installed
    with pytest.raises(InputError, match=r"install it with pip install 'card-segmenter\[spark\]'"):
        require_spark({})


@pytest.mark.parametrize("name", ["dbscan", "hdbscan", "spectral", "agglomerative", "birch"])
def test_methods_without_a_spark_counterpart_are_refused_naming_the_alternatives(
    name: str,
) -> None:
    with pytest.raises(
        InputError, match=f"^{name} has no Spark counterpart: .* choose kmeans or gmm"
    ):
        get_spark_algorithm(name)


def test_spark_has_k_means_and_the_gaussian_mixture_by_the_registry_s_names() -> None:
    assert SPARK_ALGORITHMS == ("kmeans", "gmm")
    assert get_spark_algorithm("gmm").title == "Gaussian mixture"
    with pytest.raises(InputError, match="unknown algorithm 'optics'"):
        get_spark_algorithm("optics")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("s3a://bank/cards/2026-11/", "parquet", id="a-uri-folder"),
        pytest.param("abfss://lake@acct.dfs.core.windows.net/cards.csv", "csv", id="a-uri-csv"),
        pytest.param("lake.cards", "table", id="a-table"),
        pytest.param("cards", "table", id="a-bare-table"),
    ],
)
def test_how_a_path_is_read(path: str, expected: str) -> None:
    assert book_format(path) == expected


def test_local_files_are_read_by_what_they_are(tmp_path: Path) -> None:
    (tmp_path / "book.csv").write_text("a\n1\n")
    (tmp_path / "book.parquet").write_bytes(b"PAR1")
    (tmp_path / "folder").mkdir()
    assert book_format(str(tmp_path / "book.csv")) == "csv"
    assert book_format(str(tmp_path / "book.parquet")) == "parquet"
    assert book_format(str(tmp_path / "folder")) == "parquet"
    (tmp_path / "book.xlsx").write_bytes(b"")
    with pytest.raises(InputError, match="Spark reads Parquet and CSV files"):
        book_format(str(tmp_path / "book.xlsx"))
    with pytest.raises(InputError, match="no such file or folder, and not a table name"):
        book_format(str(tmp_path / "missing" / "book.csv"))


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("s3a://bank/cards.parquet", "s3a://bank/cards.parquet"),
        ("hdfs://head:8020/cards", "hdfs://head:8020/cards"),
        ("dbfs:/mnt/cards", "dbfs:/mnt/cards"),
        ("lake.cards", "lake.cards"),
        ("data/cards.csv", "data/cards.csv"),
    ],
)
def test_a_uri_reaches_spark_as_written_though_typer_hands_a_path(
    written: str, expected: str
) -> None:
    assert as_source(Path(written)) == expected


@pytest.mark.parametrize(("csv", "kept"), [(True, "assignments.csv"), (False, "assignments")])
def test_a_run_leaves_no_earlier_run_s_files_to_be_read_as_its_own(
    tmp_path: Path, csv: bool, kept: str
) -> None:
    from segmenter.spark.run import _remove_stale

    (tmp_path / "assignments").mkdir()
    (tmp_path / "assignments" / "part-0.parquet").write_bytes(b"")
    for name in ("assignments.csv", "model.skops", "book.json", "migration.csv", "notes.txt"):
        (tmp_path / name).write_text("")
    _remove_stale(tmp_path, csv=csv)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([kept, "notes.txt"])
