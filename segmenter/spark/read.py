"""Read a book into Spark: a Parquet file or folder, a CSV file or folder, or a catalog table.

A local path is read by what it is (a folder of Parquet parts, a .parquet or a .csv file); a
URI (s3://, abfss://, hdfs://, dbfs:/) by its ending, a folder counting as Parquet; anything
else that names a table in the session's catalog (`db.customers`) is that table. CSV files are
read with a header row, comma-separated, every cell as text: the product parses the numbers
itself (segmenter.spark.validate), as it does on one machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from segmenter.errors import InputError
from segmenter.spark.session import error_line

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["as_source", "book_format", "read_book", "reading"]

_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:/")
# A URI whose `//` a file-system path folded into one (typer hands the command line's PATH over
# as a pathlib.Path): `s3a:/bucket/key` was `s3a://bucket/key`. These schemes are written with one.
_FOLDED = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):/(?!/)")
_ONE_SLASH = frozenset({"file", "dbfs"})
_TABLE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*){0,2}$")  # [catalog.][db.]table


def as_source(path: Path | str) -> str:
    """The book's name as the user wrote it: a URI's `//` restored after pathlib folded it."""
    text = str(path)
    folded = _FOLDED.match(text)
    if isinstance(path, Path) and folded and folded.group(1).lower() not in _ONE_SLASH:
        return f"{folded.group(1)}://{text[folded.end() :]}"
    return text


def book_format(path: str) -> str:
    """'parquet', 'csv' or 'table': how `read_book` reads `path`; an InputError when it
    cannot be any of them."""
    lower = path.lower().rstrip("/")
    if _URI.match(path):
        return "csv" if lower.endswith((".csv", ".csv.gz")) else "parquet"
    local = Path(path)
    if local.is_dir():
        has_csv = any(local.glob("*.csv")) and not any(local.glob("*.parquet"))
        return "csv" if has_csv else "parquet"
    if local.is_file():
        if lower.endswith((".csv", ".csv.gz", ".txt")):
            return "csv"
        if lower.endswith((".parquet", ".pq")):
            return "parquet"
        raise InputError(
            f"{path}: Spark reads Parquet and CSV files; convert this one, or segment it on "
            "one machine (leave out --engine spark), which also reads Excel"
        )
    if _TABLE.match(path):
        return "table"
    raise InputError(f"{path}: no such file or folder, and not a table name")


def read_book(spark: SparkSession, path: str) -> DataFrame:
    """The book at `path` as a Spark DataFrame, its columns as the source names them."""
    kind = book_format(path)
    with reading(path, kind):
        if kind == "table":
            if not spark.catalog.tableExists(path):
                raise InputError(
                    f"{path}: no such file or folder, nor a table of that name in the "
                    "session's catalog"
                )
            return spark.table(path)
        if kind == "csv":
            reader = spark.read.option("header", True).option("inferSchema", False)
            return reader.option("encoding", "UTF-8").csv(path)
        return spark.read.parquet(path)


@contextmanager
def reading(path: str, kind: str) -> Iterator[None]:
    """Spark's errors while it reads `path` (a missing or damaged file, met when the file is
    opened or only when its rows are) as one sentence naming it."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JJavaError) as error:
        said = error_line(error)
        raise InputError(f"{path}: Spark could not read it as {kind}: {said}") from error
