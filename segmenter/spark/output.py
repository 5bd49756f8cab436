"""Write a Spark run's assignments: partitioned Parquet by default, one CSV on request.

`assignments/` is Spark's Parquet, partitioned by segment (`assignments/segment=0/...`), one
row per customer: customer_id, segment_name, confidence (and segment, from the folder names).
A CSV is one file, streamed to the driver a partition at a time and written chunk by chunk as
the streaming engine writes it (segmenter.streaming, on segmenter.files): spreadsheet-safe,
atomic, the columns assignments.csv always has.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from segmenter.files import atomic_write
from segmenter.streaming import write_assignment_chunk

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["ASSIGNMENTS_CSV", "ASSIGNMENTS_DIR", "CSV_CHUNK_ROWS", "write_csv", "write_parquet"]

ASSIGNMENTS_DIR = "assignments"
ASSIGNMENTS_CSV = "assignments.csv"
CSV_CHUNK_ROWS = 65_536
# The types of the columns assignments (and scored customers) may hold, as on one machine.
_TYPES = {
    "customer_id": pl.String,
    "segment": pl.Int64,
    "segment_name": pl.String,
    "confidence": pl.Float64,
    "runner_up": pl.Int64,
    "runner_up_name": pl.String,
}


def write_parquet(assignments: DataFrame, path: Path) -> None:
    """Spark's partitioned Parquet, replacing what `path` held."""
    assignments.write.mode("overwrite").partitionBy("segment").parquet(str(path))


def write_csv(assignments: DataFrame, path: Path) -> int:
    """One spreadsheet-safe CSV of every row, a chunk at a time; the number of rows written."""
    schema = pl.Schema({name: _TYPES[name] for name in assignments.columns})
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with atomic_write(path) as handle:
        for chunk in _chunks(assignments, schema):
            write_assignment_chunk(handle, chunk, header=written == 0)
            written += chunk.height
        if written == 0:  # a header, as an empty assignments.csv has on one machine
            write_assignment_chunk(handle, pl.DataFrame(schema=schema), header=True)
    return written


def _chunks(assignments: DataFrame, schema: pl.Schema) -> Iterator[pl.DataFrame]:
    """The rows as frames of `CSV_CHUNK_ROWS`, brought to the driver a partition at a time."""
    rows: list[tuple[Any, ...]] = []
    for row in assignments.toLocalIterator(prefetchPartitions=True):
        rows.append(tuple(row))
        if len(rows) == CSV_CHUNK_ROWS:
            yield pl.DataFrame(rows, schema=schema, orient="row")
            rows = []
    if rows:
        yield pl.DataFrame(rows, schema=schema, orient="row")
