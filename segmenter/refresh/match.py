"""Which new segment is which previous one: an optimal one-to-one match, then what is left.

Every (previous, new) pair costs its centre shift plus one minus its customer overlap
(evidence.py); `scipy.optimize.linear_sum_assignment` pairs them, preferring pairs that pass
both thresholds below. A new segment in an accepted pair keeps the previous id and name. The
others are told apart by where customers went (shares of the customers compared):

- split: a previous segment whose customers mostly went to two or more new segments, each
  taking at least PART_SHARE of them and each made mostly of them; a part that is not the
  accepted match is "split" from it;
- merged: a new segment into which two or more previous segments mostly went; the previous
  segments that are not its accepted match are "merged" into it;
- new: any other new segment; retired: any other previous segment.

Measured on the real file (K-Means, k=4, seed 0), the thresholds sit far from both sides:

- the same segments a month on (5 % of customers left, 5 % joined, 10-30 % changed their cash
  advances and stopped paying in full): overlap 0.89-0.96, centre shift 0.05-0.20, and at
  most 0.062 of a segment's customers moved to any one other segment;
- other segments: overlap at most 0.02 and centre shift at least 0.95;
- k=4 against k=5 and k=3 against k=4 (true splits and merges): parts take 0.33-0.50 of the
  split segment; kept halves overlap 0.61-0.63 with shifts 0.35; the halves of an even split
  overlap 0.39 and 0.48 and stay unmatched.
"""

from __future__ import annotations

import re
from typing import Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict
from scipy.optimize import linear_sum_assignment

from segmenter.model.fitted import SegmentModel
from segmenter.refresh.evidence import (
    Basis,
    Membership,
    centre_shifts,
    membership,
    segment_ids,
)

__all__ = [
    "MAJORITY",
    "MAX_CENTRE_SHIFT",
    "MIN_OVERLAP",
    "PART_SHARE",
    "Fate",
    "Matching",
    "PreviousFate",
    "SegmentMatch",
    "Status",
    "match_segments",
]

# A match keeps the centre nearer its previous place than half-way to the nearest other
# previous segment...
MAX_CENTRE_SHIFT = 0.5
# ...and at least half of the customers in either segment are in both (Jaccard). A Jaccard of
# 0.5 also means most of each side's customers are in the other (both shares >= 0.5).
MIN_OVERLAP = 0.5
MAJORITY = 0.5  # "mostly": more than half of the customers compared
# A part of a split takes at least a fifth of the segment's customers: three times the largest
# flow measured between segments that stayed the same (0.062), and below the smallest true
# part measured (0.33).
PART_SHARE = 0.2

Status = Literal["matched", "new", "split", "merged"]
Fate = Literal["matched", "split", "merged", "retired"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SegmentMatch(_Frozen):
    """A new segment, the id and name it takes, and why."""

    segment: int  # its id in the new run as fitted (0..k-1 by size)
    final_id: int  # the previous id when matched; otherwise a fresh id above every previous one
    name: str  # the previous name when matched; otherwise its own, unique in the refreshed run
    fitted_name: str  # the name the new run's rules gave it
    status: Status
    previous: list[int]  # matched or parent segment first, then segments merged into it
    # The evidence is against one previous segment: `previous[0]` when there is one, else the
    # one of the lowest cost; None when the previous run had no segments.
    against: int | None
    centre_shift: float | None  # 0 in its place, 1 as far as its nearest other segment
    overlap: float | None  # Jaccard over the customers compared
    share_from: float | None  # share of its compared customers that were in `against`
    compared: int  # its customers compared


class PreviousFate(_Frozen):
    """What became of a previous segment."""

    segment: int
    name: str
    status: Fate
    successors: list[int]  # final ids of the new segments that hold its customers, largest first
    share_to_successors: float  # share of its compared customers now in them
    compared: int


class Matching(_Frozen):
    """The correspondence between a previous run's segments and a new run's."""

    segments: list[SegmentMatch]  # by new segment id
    previous: list[PreviousFate]  # by previous id
    basis: Basis  # how customers were compared: by recurring ids, or by the previous model
    compared: int  # customers compared

    def final_ids(self) -> dict[int, int]:
        """New segment id -> its id in the refreshed run; noise (-1) stays -1."""
        return {-1: -1} | {m.segment: m.final_id for m in self.segments}


def match_segments(
    previous: SegmentModel,
    previous_assignments: pl.DataFrame,
    current: SegmentModel,
    frame: pl.DataFrame,
    labels: np.ndarray,
    *,
    first_fresh_id: int | None = None,
) -> Matching:
    """Match the segments of a new run (`current`, its canonical `frame` and `labels`) to a
    previous run's (`previous` and its assignments.csv columns customer_id and segment).

    Unmatched new segments take fresh ids from `first_fresh_id` on (default: one above the
    highest previous id; pass one above the highest id ever used to never reuse a retired id),
    in the order of their new ids, so the same runs always give the same ids.
    """
    was, now = segment_ids(previous), sorted(int(s) for s in np.unique(labels) if s >= 0)
    first = max(was, default=-1) + 1 if first_fresh_id is None else first_fresh_id
    if was and first <= max(was):
        raise ValueError(f"fresh ids must start above the previous ids (up to {max(was)})")
    table = membership(previous, previous_assignments, frame, labels)
    shift = centre_shifts(previous, frame, labels) if was and now else np.zeros((len(was), 0))
    pairs = _Pairs(was, now, table, shift)
    final, fresh = {}, iter(range(first, first + len(now)))
    for j in range(len(now)):
        final[j] = was[pairs.accepted[j]] if j in pairs.accepted else next(fresh)
    names = _names(previous, current, pairs, final)
    return Matching(
        segments=[pairs.segment(j, final, names, current) for j in range(len(now))],
        previous=[pairs.fate(i, final, previous) for i in range(len(was))],
        basis=table.basis,
        compared=table.compared,
    )


class _Pairs:
    """The evidence over every (previous, new) pair, the optimal matching and what is left.

    Rows i index the previous segments `was`, columns j the new segments `now`.
    """

    def __init__(self, was: list[int], now: list[int], table: Membership, shift: np.ndarray):
        self.was, self.now, self.table, self.shift = was, now, table, shift
        self.overlap = table.jaccard()
        self.went, self.came = table.where_went(), table.where_from()
        good = (shift <= MAX_CENTRE_SHIFT) & (self.overlap >= MIN_OVERLAP)
        # Acceptable pairs first (one such pair outweighs any cost), then the cheapest.
        self.cost = shift + (1.0 - self.overlap) + np.where(good, 0.0, 10.0 * (1 + shift.size))
        rows, cols = linear_sum_assignment(self.cost) if shift.size else ([], [])
        self.accepted = {int(j): int(i) for i, j in zip(rows, cols, strict=True) if good[i, j]}
        self.parts = {i: self._split_parts(i) for i in range(len(was))}
        self.sources = {
            j: [i for i in range(len(was)) if self.went[i, j] >= MAJORITY] for j in range(len(now))
        }

    def _split_parts(self, i: int) -> list[int]:
        """New segments previous segment i split into, largest share first (empty: no split)."""
        went, came = self.went[i], self.came[i]
        parts = [j for j in range(went.size) if went[j] >= PART_SHARE and came[j] >= MAJORITY]
        if len(parts) < 2 or went[parts].sum() < MAJORITY:
            return []
        return sorted(parts, key=lambda j: (-went[j], j))

    def status(self, j: int) -> Status:
        if j in self.accepted:
            return "matched"
        if len(self.sources[j]) >= 2:
            return "merged"
        if any(j in p for p in self.parts.values()):
            return "split"
        return "new"

    def segment(
        self, j: int, final: dict[int, int], names: dict[int, str], current: SegmentModel
    ) -> SegmentMatch:
        status = self.status(j)
        if j in self.accepted:
            mine = self.accepted[j]
            previous = [mine, *(i for i in self.sources[j] if i != mine)]
        elif status == "merged":
            previous = self.sources[j]
        elif status == "split":
            previous = [i for i, p in self.parts.items() if j in p][:1]
        else:
            previous = []
        i = previous[0] if previous else int(np.argmin(self.cost[:, j])) if self.was else None
        return SegmentMatch(
            segment=self.now[j],
            final_id=final[j],
            name=names[j],
            fitted_name=current.names[self.now[j]],
            status=status,
            previous=[self.was[p] for p in previous],
            against=None if i is None else self.was[i],
            centre_shift=None if i is None else round(float(self.shift[i, j]), 4),
            overlap=None if i is None else round(float(self.overlap[i, j]), 4),
            share_from=None if i is None else round(float(self.came[i, j]), 4),
            compared=int(self.table.new_totals[j]),
        )

    def fate(self, i: int, final: dict[int, int], previous: SegmentModel) -> PreviousFate:
        matched = [j for j, k in self.accepted.items() if k == i]
        into = [
            j for j, s in self.sources.items() if i in s and (len(s) >= 2 or j in self.accepted)
        ]
        status: Fate
        if self.parts[i]:
            status, successors = "split", self.parts[i]
        elif matched:
            status, successors = "matched", matched
        elif into:
            status, successors = "merged", into
        else:
            status, successors = "retired", []
        return PreviousFate(
            segment=self.was[i],
            name=previous.names[self.was[i]],
            status=status,
            successors=[final[j] for j in successors],
            share_to_successors=round(float(self.went[i, successors].sum()), 4),
            compared=int(self.table.previous_totals[i]),
        )


def _names(
    previous: SegmentModel, current: SegmentModel, pairs: _Pairs, final: dict[int, int]
) -> dict[int, str]:
    """Kept names for matched segments; the others' own, renumbered, unique among all."""
    names = {j: previous.names[pairs.was[i]] for j, i in pairs.accepted.items()}
    taken = set(names.values())
    for j, sid in enumerate(pairs.now):
        if j in names:
            continue
        # A name qualified by its own id ("..., segment 2") follows the id it now has.
        own = re.sub(rf"\bsegment {sid}\b", f"segment {final[j]}", current.names[sid])
        names[j] = own if own not in taken else f"{own}, segment {final[j]}"
        taken.add(names[j])
    return names
