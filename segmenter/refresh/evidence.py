"""The two measures a match rests on: how far segment centres moved, and who is in both.

Both are tables over (previous segment, new segment), previous segments in rows, each side's
segments in ascending id order; noise (-1) is in no row or column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from segmenter.cluster.features import TRANSFORM_CHUNK_ROWS, feature_matrix, transform_features
from segmenter.errors import InputError
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.model.fitted import SegmentModel

__all__ = [
    "MIN_RECURRING_SHARE",
    "Basis",
    "Membership",
    "centre_shifts",
    "membership",
    "segment_ids",
]

# Customer ids recur from month to month in one bank's book; when fewer than half of the new
# book's ids were in the last run, they are most likely another numbering (or another book),
# and who-is-where is judged instead by the previous model's own assignment of the new book.
MIN_RECURRING_SHARE = 0.5
NOISE = -1

Basis = Literal["customers", "previous model"]


def segment_ids(model: SegmentModel) -> list[int]:
    """A model's segment ids, ascending, noise left out: the order of its centres' rows."""
    return sorted(s for s in model.names if s != NOISE)


def centre_shifts(previous: SegmentModel, frame: pl.DataFrame, labels: np.ndarray) -> np.ndarray:
    """Distance of each new segment's centre from each previous centre, in the previous space.

    A new segment's centre is the mean of its customers transformed by the previous model's
    preprocessing. Each distance is divided by the distance from that previous centre to its
    nearest other previous centre, so 0.5 is half-way to the nearest other segment whatever
    the data's scale (with one previous segment, by the spread of a standardised row,
    sqrt(17)). Shape (previous segments, new segments).
    """
    previous_centres = np.asarray(previous.centres, dtype=np.float64)
    new_ids = sorted(int(s) for s in np.unique(labels) if s != NOISE)
    sums = np.zeros((len(new_ids), len(FEATURE_COLUMNS)))
    counts = np.zeros(len(new_ids))
    preprocessor = previous.pipeline[:-1]
    # A chunk of rows at a time: a book of millions never holds all its transformed rows.
    for start in range(0, frame.height, TRANSFORM_CHUNK_ROWS):
        rows = transform_features(
            preprocessor, feature_matrix(frame.slice(start, TRANSFORM_CHUNK_ROWS))
        )
        chunk = labels[start : start + rows.shape[0]]
        for j, sid in enumerate(new_ids):
            mine = chunk == sid
            sums[j] += rows[mine].sum(axis=0)
            counts[j] += mine.sum()
    new_centres = sums / counts[:, None]
    distances = _distances(previous_centres, new_centres)
    between = _distances(previous_centres, previous_centres)
    np.fill_diagonal(between, np.inf)
    scale = between.min(axis=1) if len(previous_centres) > 1 else np.full(1, np.sqrt(sums.shape[1]))
    result: np.ndarray = distances / scale[:, None]
    return result


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))


@dataclass(frozen=True)
class Membership:
    """Who was where last run and is where now, over the customers compared.

    `counts[i, j]` are customers of previous segment i now in new segment j; the totals count
    every customer compared, those in noise on the other side included.
    """

    counts: np.ndarray  # (previous segments, new segments)
    previous_totals: np.ndarray  # customers compared of each previous segment
    new_totals: np.ndarray  # customers compared of each new segment
    basis: Basis
    compared: int  # customers compared

    def where_went(self) -> np.ndarray:
        """Share of each previous segment's compared customers now in each new segment."""
        return _share(self.counts, self.previous_totals[:, None])

    def where_from(self) -> np.ndarray:
        """Share of each new segment's compared customers that were in each previous segment."""
        return _share(self.counts, self.new_totals[None, :])

    def jaccard(self) -> np.ndarray:
        """Customers in both over customers in either, per (previous, new) pair."""
        union = self.previous_totals[:, None] + self.new_totals[None, :] - self.counts
        return _share(self.counts, union)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    whole = np.broadcast_to(whole, part.shape)
    out = np.zeros(part.shape)
    np.divide(part, whole, out=out, where=whole > 0)
    return out


def membership(
    previous: SegmentModel,
    previous_assignments: pl.DataFrame,
    frame: pl.DataFrame,
    labels: np.ndarray,
) -> Membership:
    """Membership table by customer id where ids recur, else by the previous model's assignment.

    `previous_assignments` has the columns customer_id and segment of assignments.csv.
    """
    missing = {"customer_id", "segment"} - set(previous_assignments.columns)
    if missing:
        raise InputError(
            f"the previous run's assignments lack column(s) {', '.join(sorted(missing))}"
        )
    before = previous_assignments.select(
        pl.col("customer_id").cast(pl.String), pl.col("segment").cast(pl.Int64).alias("was")
    )
    now = pl.DataFrame(
        {"customer_id": frame.get_column(ID_COLUMN).cast(pl.String), "now": labels},
        schema_overrides={"now": pl.Int64},
    )
    pairs = before.join(now, on="customer_id", how="inner")
    basis: Basis = "customers"
    if pairs.height < MIN_RECURRING_SHARE * now.height:
        basis = "previous model"
        pairs = pl.DataFrame(
            {"was": previous.segments(frame), "now": labels},
            schema={"was": pl.Int64, "now": pl.Int64},
        )
    was_ids, now_ids = segment_ids(previous), sorted(int(s) for s in np.unique(labels) if s >= 0)
    counts = np.zeros((len(was_ids), len(now_ids)))
    row, col = {s: i for i, s in enumerate(was_ids)}, {s: j for j, s in enumerate(now_ids)}
    previous_totals, new_totals = np.zeros(len(was_ids)), np.zeros(len(now_ids))
    for was, now_id, n in pairs.group_by("was", "now").len().iter_rows():
        if was in row:
            previous_totals[row[was]] += n
        if now_id in col:
            new_totals[col[now_id]] += n
        if was in row and now_id in col:
            counts[row[was], col[now_id]] = n
    return Membership(counts, previous_totals, new_totals, basis, pairs.height)
