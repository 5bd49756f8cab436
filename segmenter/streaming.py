"""Segment a Parquet file too large for memory: batched scans, a sampled fit, streamed writing.

Two passes over the file, a batch of `BATCH_ROWS` rows at a time:
1. draw a seeded uniform sample of `SAMPLE_ROWS` customers (only those rows are cleaned and
   kept) and run the ordinary in-memory pipeline on it: preprocessing, model, metrics,
   stability, profiles and names;
2. clean, transform and assign every batch with that model, appending its rows to
   assignments.csv and counting segment sizes; the sizes and shares in profiles.json count
   every customer.
Memory stays bounded by a batch and the sample, whatever the number of rows. Each batch is
validated on its own, so exact duplicates are only found within a batch.

Row order: the fitting sample is drawn by a seeded hash of the customers' ids (a file without
ids, by row position: its ids are row numbers), and the in-memory pipeline fits it in id order
(`pipeline.in_canonical_order`), so a copy with its rows in another order gets the same model
and the same segment for every customer.

`segmenter segment FILE.parquet --out DIR` streams on its own above `STREAM_ROWS` rows or when
the file holds more cells or a larger table than the in-memory read allows (`ReadLimits`
max_cells and max_table_mb: ingest.batches.too_large_for_memory), and with
`--stream` for any Parquet file (see ingest.batches, where `segmenter validate` checks such a
file batch by batch).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from segmenter.cluster.evaluation import relabel
from segmenter.cluster.features import transform_in_chunks
from segmenter.errors import InputError
from segmenter.files import atomic_write, neutralise, write_bytes, write_text
from segmenter.ingest.batches import (
    BATCH_ROWS,
    STREAM_ROWS,
    iter_batches,
    open_parquet,
    parquet_rows,
    too_large_for_memory,
)
from segmenter.ingest.limits import ReadLimits
from segmenter.ingest.mapping import map_columns
from segmenter.ingest.quality import clean_table
from segmenter.ingest.raw import RawTable
from segmenter.ingest.schema import ID_COLUMN
from segmenter.model.fitted import assignment_confidence, assignment_table
from segmenter.pipeline import Segmentation, run_segmentation
from segmenter.progress import Progress, quiet
from segmenter.refresh.drift import BOOK_FILE
from segmenter.results import RunProfile
from segmenter.sampling import Purpose, sample_rows

__all__ = [
    "BATCH_ROWS",
    "SAMPLE_ROWS",
    "STREAM_ROWS",
    "StreamedRun",
    "iter_batches",
    "parquet_rows",
    "segment_streaming",
    "too_large_for_memory",
]

SAMPLE_ROWS = 1_000_000
_HASH = "__id_hash"  # a column of the drawn rows while they are chosen
_HASH_SEED = 0x5E6  # hashes of ids for the fitting sample, apart from any other use of the seed
DEFAULT_LIMITS = ReadLimits()  # the settings' defaults, for callers that name none


@dataclass(frozen=True)
class StreamedRun:
    """What a streamed run wrote: the profile (sizes over every customer) and the counts."""

    profile: RunProfile
    rows_read: int
    rows_assigned: int


def _clean(
    raw: pl.DataFrame, source: str, columns: Mapping[str, str] | None, *, first_row: int = 2
) -> pl.DataFrame:
    table = RawTable(frame=raw, source=source, format="parquet")
    return clean_table(table, columns=columns, first_row=first_row).frame


def draw_sample(
    path: Path,
    *,
    size: int,
    seed: int,
    batch_rows: int = BATCH_ROWS,
    columns: Mapping[str, str] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> tuple[pl.DataFrame, int]:
    """A seeded sample of `size` cleaned customers, and the number of rows read.

    The customers are drawn by a seeded hash of their ids, not by their place in the file, so a
    copy with its rows in another order draws the same ones (and `run_segmentation` fits them in
    id order). A file without an id column is drawn by row position: its ids are row numbers.
    """
    n_rows = open_parquet(path).metadata.num_rows
    batches = iter_batches(path, batch_rows=batch_rows, limits=limits)
    first = next(batches, None)
    if first is None:
        raise InputError(f"{path}: no usable customer rows")
    ids = next(
        (src for src, dst in map_columns(first.columns, source=str(path), given=columns)
         .renames.items() if dst == ID_COLUMN),
        None,
    )  # fmt: skip
    every = itertools.chain([first], batches)
    if n_rows <= size or ids is None:
        return _by_position(every, n_rows, size, seed, str(path), columns), n_rows
    # Rows whose hash falls under a bound that keeps about half as many again as wanted; then
    # the `size` smallest hashes (ids break ties). Fewer under the bound than wanted would take
    # a draw billions of standard deviations short.
    bound = int(min(1.0, 1.5 * size / n_rows) * (2**64 - 1))
    key = pl.col(ids).cast(pl.String).hash(seed=_HASH_SEED + seed)
    parts = [raw.filter(key <= bound).with_columns(key.alias(_HASH)) for raw in every]
    drawn = pl.concat(parts).sort(_HASH, pl.col(ids).cast(pl.String)).head(size).drop(_HASH)
    return _clean(drawn, str(path), columns), n_rows


def _by_position(
    batches: Iterable[pl.DataFrame],
    n_rows: int,
    size: int,
    seed: int,
    source: str,
    columns: Mapping[str, str] | None,
) -> pl.DataFrame:
    """A seeded uniform sample of `size` rows by their place in the file, cleaned."""
    wanted = sample_rows(n_rows, size, seed=seed, purpose=Purpose.FIT)
    parts: list[pl.DataFrame] = []
    offset = 0
    for raw in batches:
        lo, hi = np.searchsorted(wanted, [offset, offset + raw.height])
        if hi > lo:
            parts.append(raw[wanted[lo:hi] - offset])
        offset += raw.height
    return _clean(pl.concat(parts), source, columns)


def write_assignment_chunk(handle: IO[bytes], chunk: pl.DataFrame, *, header: bool) -> None:
    """Append one chunk of assignments (model.fitted.assignment_table) as safe CSV."""
    neutralise(chunk).write_csv(handle, include_header=header)


def segment_streaming(
    path: Path,
    out_dir: Path,
    *,
    algorithm: str = "kmeans",
    k: int | None = 4,
    seed: int = 0,
    sample_size: int = SAMPLE_ROWS,
    batch_rows: int = BATCH_ROWS,
    progress: Progress = quiet,
    columns: Mapping[str, str] | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> StreamedRun:
    """Segment every customer of a Parquet file in two batched passes; write the outputs.

    `columns` maps the file's own column names to the product's (see ingest.mapping).
    """
    progress(f"pass 1: sampling {sample_size:,} customers from {path}")
    sample, n_read = draw_sample(
        path, size=sample_size, seed=seed, batch_rows=batch_rows, columns=columns, limits=limits
    )
    progress(f"fitting {algorithm} on the sample of {sample.height:,} of {n_read:,} rows")
    run = run_segmentation(
        sample, algorithm=algorithm, k=k, seed=seed, progress=progress, source=str(path)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    progress("pass 2: assigning every customer")
    target = out_dir / "assignments.csv"
    counts, assigned = _assign_all(path, run, target, batch_rows, progress, columns, limits)
    profile = _full_profile(run, counts, assigned, n_read)
    write_text(out_dir / "profiles.json", profile.model_dump_json(indent=2) + "\n")
    if run.book is not None:  # the sample's bins: what next month's drift is measured against
        write_text(out_dir / BOOK_FILE, run.book.model_dump_json(indent=2) + "\n")
    from segmenter.model.fitted import model_bytes

    write_bytes(out_dir / "model.skops", model_bytes(run.model))
    return StreamedRun(profile=profile, rows_read=n_read, rows_assigned=assigned)


def _assign_all(
    path: Path,
    run: Segmentation,
    target: Path,
    batch_rows: int,
    progress: Progress,
    columns: Mapping[str, str] | None,
    limits: ReadLimits,
) -> tuple[dict[int, int], int]:
    """Assign every batch with the fitted model; stream the rows to `target`; count segments."""
    model = run.model
    counts: dict[int, int] = {}
    assigned = 0
    rows_before = 0
    with threadpool_limits(limits=1), atomic_write(target) as handle:
        for index, raw in enumerate(iter_batches(path, batch_rows=batch_rows, limits=limits)):
            # Rows numbered through the file: ids made for a file without any are unique.
            frame = _clean(raw, str(path), columns, first_row=rows_before + 2)
            rows_before += raw.height
            X = transform_in_chunks(model.pipeline[:-1], frame)
            predicted = np.asarray(model.pipeline[-1].predict(X), dtype=np.int64)
            ids = relabel(predicted, model.label_map)
            confidence, _ = assignment_confidence(
                X, model.centres, ids, centre_ids=model.centre_ids
            )
            chunk = assignment_table(frame.get_column(ID_COLUMN), ids, model.names, confidence)
            write_assignment_chunk(handle, chunk, header=index == 0)
            values, sizes = np.unique(ids, return_counts=True)
            for value, size in zip(values.tolist(), sizes.tolist(), strict=True):
                counts[value] = counts.get(value, 0) + size
            assigned += frame.height
            if index % 10 == 9:
                progress(f"pass 2: {assigned:,} customers assigned")
    return counts, assigned


def _full_profile(
    run: Segmentation, counts: dict[int, int], assigned: int, n_read: int
) -> RunProfile:
    """The sample's profile with sizes and shares over every customer, and a note saying so."""
    segments = [
        s.model_copy(
            update={"size": counts.get(s.id, 0), "share": round(counts.get(s.id, 0) / assigned, 4)}
        )
        for s in run.profile.segments
    ]
    note = (
        f"Streamed: the model, metrics and segment statistics come from a random sample of "
        f"{run.profile.n_customers:,} of the {n_read:,} rows read; every one of the "
        f"{assigned:,} customers kept was then assigned by that model, and sizes and shares "
        "count them all."
    )
    inner = run.profile.fit_note
    fit_note = note if inner is None else f"{note} Within that sample: {inner}"
    return run.profile.model_copy(
        update={"n_customers": assigned, "segments": segments, "fit_note": fit_note}
    )
