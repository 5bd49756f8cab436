"""The migration matrix between two runs' assignments, worked out by hand."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from segmenter.errors import InputError
from segmenter.refresh.migration import migration

NAMES = {0: "Revolvers", 1: "Transactors", 2: "Dormant", -1: "Unassigned"}


def run(rows: dict[str, int]) -> pl.DataFrame:
    """Assignments as in assignments.csv: customer -> segment, with the segment's name."""
    return pl.DataFrame(
        {
            "customer_id": list(rows),
            "segment": list(rows.values()),
            "segment_name": [NAMES[s] for s in rows.values()],
        }
    )


# a and b were revolvers, c and d transactors, e unassigned; d left and f joined. Now a is
# still a revolver, b a transactor, c a transactor, e a revolver, f dormant.
BEFORE = run({"a": 0, "b": 0, "c": 1, "d": 1, "e": -1})
AFTER = run({"b": 1, "a": 0, "c": 1, "f": 2, "e": 0})


def test_the_matrix_counts_customers_present_in_both_runs() -> None:
    moved = migration(BEFORE, AFTER)
    expected = pl.DataFrame(
        {
            "from_segment": [0, 0, 0, 1, 1, 1, -1, -1, -1],
            "from_name": ["Revolvers"] * 3 + ["Transactors"] * 3 + ["Unassigned"] * 3,
            "to_segment": [0, 1, 2] * 3,
            "to_name": ["Revolvers", "Transactors", "Dormant"] * 3,
            "customers": [1, 1, 0, 0, 1, 0, 1, 0, 0],
            "share_of_from": [0.5, 0.5, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0],
        }
    )
    assert_frame_equal(moved.matrix, expected)
    assert moved.customers_in_both == 4


def test_who_left_and_who_joined_is_counted_per_segment() -> None:
    moved = migration(BEFORE, AFTER)
    assert moved.left.rows() == [(0, "Revolvers", 0), (1, "Transactors", 1), (-1, "Unassigned", 0)]
    assert moved.joined.rows() == [(0, "Revolvers", 0), (1, "Transactors", 0), (2, "Dormant", 1)]
    assert (moved.customers_left, moved.customers_joined) == (1, 1)


def test_a_segment_whose_customers_all_left_has_no_share() -> None:
    moved = migration(run({"a": 0, "d": 1}), run({"a": 0}))
    gone = moved.matrix.filter(pl.col("from_segment") == 1)
    assert gone.rows() == [(1, "Transactors", 0, "Revolvers", 0, None)]


@pytest.mark.parametrize(
    ("previous", "current", "message"),
    [
        pytest.param(
            BEFORE.drop("segment_name"),
            AFTER,
            r"previous run's assignments lack column\(s\) segment_name",
            id="no-names",
        ),
        pytest.param(
            BEFORE,
            pl.concat([AFTER, AFTER.head(1)]),
            "current run's assignments hold customer b on more than one row",
            id="repeated-id",
        ),
    ],
)
def test_assignments_that_cannot_be_compared_are_refused(
    previous: pl.DataFrame, current: pl.DataFrame, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        migration(previous, current)
