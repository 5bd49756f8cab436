"""A Parquet file too large to read whole, read in batches: its footer, its rows, its report.

Memory stays bounded by one batch whatever the number of rows. `segmenter validate` checks such
a file here, batch by batch; `segmenter.streaming` segments it from the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.limits import ReadLimits, refuse_long_values
from segmenter.ingest.parquet import read_footer, refuse_by_footer, too_large
from segmenter.ingest.quality import clean_table
from segmenter.ingest.raw import RawTable
from segmenter.ingest.report import DataQualityReport, merge_reports

__all__ = [
    "BATCH_CELLS",
    "BATCH_ROWS",
    "STREAM_ROWS",
    "iter_batches",
    "open_parquet",
    "parquet_rows",
    "too_large_for_memory",
    "validate_in_batches",
]

BATCH_ROWS = 1 << 20
BATCH_CELLS = BATCH_ROWS * 32  # a batch of a file wider than 32 columns has fewer rows
# Above this many rows a Parquet file is streamed: a frame of it would not fit in memory.
STREAM_ROWS = 20_000_000
_DEFAULT = ReadLimits()


def open_parquet(path: Path) -> Any:
    """The file's footer and a reader of its batches (a pyarrow ParquetFile)."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (OSError, ValueError) as error:  # ArrowInvalid is a ValueError
        raise InputError(f"{path}: not a readable Parquet file (damaged or cut short)") from error


def iter_batches(
    path: Path, *, batch_rows: int = BATCH_ROWS, limits: ReadLimits = _DEFAULT
) -> Iterator[pl.DataFrame]:
    """The file's rows as raw frames of at most `batch_rows` rows (fewer for a file of more than
    32 columns, so that a batch holds at most `BATCH_CELLS` cells), in file order.

    A value longer than `limits` allow is refused: from the footer before any row is read, else
    in the batch holding it.
    """
    refuse_by_footer(read_footer(path, str(path)), str(path), limits)
    parquet = open_parquet(path)
    rows = max(1, min(batch_rows, BATCH_CELLS // max(parquet.metadata.num_columns, 1)))
    first_row = 2
    for batch in parquet.iter_batches(batch_size=rows):
        frame: pl.DataFrame = pl.from_arrow(batch)  # type: ignore[assignment]
        refuse_long_values(frame, str(path), limits, first_row=first_row)
        first_row += frame.height
        yield frame


def parquet_rows(path: Path) -> int | None:
    """The number of rows of a Parquet file, from its footer; None for any other file."""
    try:
        with path.open("rb") as handle:
            if handle.read(4) != b"PAR1":
                return None
    except OSError:
        return None  # the ordinary reader says what is wrong with the path
    return int(open_parquet(path).metadata.num_rows)


def too_large_for_memory(path: Path, *, limits: ReadLimits) -> bool:
    """True for a Parquet file to read in batches: more than `STREAM_ROWS` rows, or more cells
    or a larger table than `limits` let the in-memory read hold. False for any other file."""
    if parquet_rows(path) is None:
        return False
    footer = read_footer(path, str(path))
    return footer.rows > STREAM_ROWS or too_large(footer, limits)


def validate_in_batches(
    path: Path,
    *,
    columns: Mapping[str, str] | None = None,
    batch_rows: int = BATCH_ROWS,
    limits: ReadLimits = _DEFAULT,
) -> DataQualityReport:
    """The quality report of a Parquet file checked batch by batch, never read whole.

    Rows are numbered through the whole file and the counts add up over the batches. Each batch
    is checked on its own, as when segmenting: exact duplicates and repeated ids are only found
    within a batch, and the report says so. A report keeps the first rows dropped by name and
    counts the rest, so that memory stays bounded by a batch.
    """
    reports: list[DataQualityReport] = []
    offset = 0
    for raw in iter_batches(path, batch_rows=batch_rows, limits=limits):
        table = RawTable(frame=raw, source=str(path), format="parquet")
        reports.append(clean_table(table, columns=columns, first_row=offset + 2).report)
        offset += raw.height
    if not reports:
        raise InputError(f"{path}: the file has no rows")
    batches = f"{len(reports):,} batch" + ("" if len(reports) == 1 else "es")
    note = (
        f"read in {batches}, each checked on its own: exact duplicates and repeated ids are "
        "only found within a batch"
    )
    return merge_reports(reports, note=note)
