"""Customer lists per segment (`audiences/segment-<id>.csv`) from a run's assignments.csv."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from narratives.context import RunContext
from segmenter.errors import InputError
from segmenter.files import Content, csv_content, write_all

__all__ = ["ASSIGNMENT_COLUMNS", "read_assignments", "write_audiences"]

ASSIGNMENT_COLUMNS = ("customer_id", "segment", "segment_name")


def read_assignments(path: Path) -> pl.DataFrame:
    """assignments.csv with ids kept as text; an InputError when it is missing or malformed."""
    if not path.is_file():
        raise InputError(f"{path}: not found; run `segmenter segment` to write it")
    try:
        frame = pl.read_csv(path, schema_overrides={"customer_id": pl.String, "segment": pl.Int64})
    except (pl.exceptions.PolarsError, OSError) as error:
        raise InputError(
            f"{path}: not a readable assignments file (is it the one `segmenter segment` wrote?)"
        ) from error
    missing = [c for c in ASSIGNMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame


def write_audiences(
    assignments: pl.DataFrame, context: RunContext, directory: Path
) -> dict[int, int]:
    """One CSV of customer ids per segment (noise gets none); returns the count written per id.

    The lists are spreadsheet-safe and replace the old ones atomically: every new list is in
    place before the lists of an earlier run that this run has no segment for are removed.
    """
    groups = assignments.select("customer_id", "segment").partition_by(
        "segment", as_dict=True, include_key=False, maintain_order=True
    )
    files: dict[Path, Content] = {}
    counts: dict[int, int] = {}
    for segment in context.segments:
        if segment.is_noise:
            continue
        ids = groups.get((segment.id,), pl.DataFrame(schema={"customer_id": pl.String}))
        files[directory / f"segment-{segment.id}.csv"] = csv_content(ids)
        counts[segment.id] = ids.height
    directory.mkdir(parents=True, exist_ok=True)
    write_all(files)
    for stale in directory.glob("segment-*.csv"):  # a list from an earlier run must not be mailed
        if stale not in files:
            stale.unlink()
    return counts
