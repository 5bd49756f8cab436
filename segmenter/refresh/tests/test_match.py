"""Matching a new run's segments to the previous run's, on toy books whose answer is known.

Toy groups (testkit.segmenter_fixtures): 0 revolvers, 1 transactors, 2 dormant. K-Means at
k=2 puts groups 0 and 2 together, which gives a split (k=2 then k=3) and a merge (k=3 then 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from segmenter.ingest.schema import ID_COLUMN
from segmenter.model.fitted import assignment_table
from segmenter.pipeline import Segmentation
from segmenter.refresh.match import Matching, match_segments
from testkit.segmenter_fixtures import toy_groups

Fit = Callable[..., tuple[pl.DataFrame, Segmentation]]  # the `fit` fixture of conftest.py
THREE = (60, 40, 20)


def assignments(run: Segmentation) -> pl.DataFrame:
    return assignment_table(run.customer_ids, run.labels, run.model.names, run.confidence)


def refresh(
    fit: Fit, before: tuple[tuple[int, ...], int], after: tuple[tuple[int, ...], int], **kw: int
) -> tuple[Segmentation, Segmentation, Matching]:
    """The previous run (month 0), the new run (month 1, other jitter) and their matching."""
    _, previous = fit(*before)
    frame, current = fit(*after, seed=1)
    matching = match_segments(
        previous.model, assignments(previous), current.model, frame, current.labels, **kw
    )
    return previous, current, matching


def segment_of(run: Segmentation, sizes: tuple[int, ...], group: int) -> int:
    """The one segment a toy group is in."""
    (segment,) = np.unique(run.labels[toy_groups(sizes) == group])
    return int(segment)


def test_the_same_groups_a_month_later_keep_their_ids_and_names(fit: Fit) -> None:
    previous, _, matching = refresh(fit, (THREE, 3), (THREE, 3))
    assert [(m.final_id, m.name, m.status) for m in matching.segments] == [
        (s.id, s.name, "matched") for s in previous.profile.segments
    ]
    assert [f.status for f in matching.previous] == ["matched"] * 3
    assert matching.basis == "customers"
    assert matching.compared == 120
    assert all(m.overlap == 1.0 and (m.centre_shift or 0) < 0.05 for m in matching.segments)


def test_a_new_group_is_a_new_segment_with_a_fresh_id(fit: Fit) -> None:
    previous, current, matching = refresh(fit, ((60, 40), 2), (THREE, 3))
    dormant = next(m for m in matching.segments if m.segment == segment_of(current, THREE, 2))
    assert (dormant.status, dormant.final_id, dormant.previous) == ("new", 2, [])
    assert dormant.compared == 0  # its customers joined this month
    kept = [m for m in matching.segments if m.status == "matched"]
    assert {m.final_id: m.name for m in kept} == previous.model.names
    # A matched segment keeps its name even where the new figures would name it otherwise.
    assert any(m.fitted_name != m.name for m in kept)


def test_a_group_that_left_retires_its_segment(fit: Fit) -> None:
    previous, _, matching = refresh(fit, (THREE, 3), ((60, 40), 2))
    retired = segment_of(previous, THREE, 2)
    fates = {f.segment: (f.status, f.successors) for f in matching.previous}
    assert fates.pop(retired) == ("retired", [])
    assert {status for status, _ in fates.values()} == {"matched"}


def test_a_segment_that_divides_is_split_and_its_larger_part_keeps_the_id(fit: Fit) -> None:
    previous, current, matching = refresh(fit, (THREE, 2), (THREE, 3))
    parent = segment_of(previous, THREE, 0)
    assert segment_of(previous, THREE, 2) == parent  # the toy's premise
    (fate,) = [f for f in matching.previous if f.segment == parent]
    part = next(m for m in matching.segments if m.segment == segment_of(current, THREE, 2))
    larger = next(m for m in matching.segments if m.segment == segment_of(current, THREE, 0))
    assert (larger.status, larger.final_id) == ("matched", parent)
    assert (part.status, part.previous, part.final_id) == ("split", [parent], 2)
    assert (fate.status, fate.successors) == ("split", [parent, 2])


def test_segments_that_join_are_merged_into_the_larger_ones_id(fit: Fit) -> None:
    previous, current, matching = refresh(fit, (THREE, 3), (THREE, 2))
    revolvers, dormant = segment_of(previous, THREE, 0), segment_of(previous, THREE, 2)
    both = next(m for m in matching.segments if m.segment == segment_of(current, THREE, 0))
    assert (both.status, both.final_id, both.previous) == (
        "matched",
        revolvers,
        [revolvers, dormant],
    )
    (fate,) = [f for f in matching.previous if f.segment == dormant]
    assert (fate.status, fate.successors, fate.share_to_successors) == ("merged", [revolvers], 1.0)


def test_a_segment_no_previous_one_dominates_is_merged_with_a_fresh_id(fit: Fit) -> None:
    # Everyone in one new segment: a third of it from each previous segment, none a match.
    frame, previous = fit((40, 40, 40), 3)
    current = replace(previous.model, names={0: "Everyone"})
    labels = np.zeros(frame.height, dtype=np.int64)
    matching = match_segments(previous.model, assignments(previous), current, frame, labels)
    (everyone,) = matching.segments
    assert (everyone.status, everyone.final_id, everyone.previous) == ("merged", 3, [0, 1, 2])
    assert everyone.overlap == pytest.approx(1 / 3, abs=1e-4)
    assert [(f.status, f.successors) for f in matching.previous] == [("merged", [3])] * 3


def test_a_segment_cut_in_thirds_is_split_into_three_fresh_ids(fit: Fit) -> None:
    frame, previous = fit(THREE, 2)
    parent = segment_of(previous, THREE, 0)
    rows = np.flatnonzero(previous.labels == parent)
    labels = np.where(previous.labels == parent, 1, 0)
    labels[rows[27:54]], labels[rows[54:]] = 2, 3
    names = {0: "Others", 1: "First", 2: "Second", 3: "Third"}
    current = replace(previous.model, names=names)
    matching = match_segments(previous.model, assignments(previous), current, frame, labels)
    statuses = [(m.segment, m.status, m.final_id, m.previous) for m in matching.segments]
    assert statuses == [
        (0, "matched", 1 - parent, [1 - parent]),
        (1, "split", 2, [parent]),
        (2, "split", 3, [parent]),
        (3, "split", 4, [parent]),
    ]
    (fate,) = [f for f in matching.previous if f.segment == parent]
    assert (fate.status, fate.successors) == ("split", [2, 3, 4])


def test_fresh_ids_start_where_asked_and_never_at_a_previous_id(fit: Fit) -> None:
    _, _, matching = refresh(fit, ((60, 40), 2), (THREE, 3), first_fresh_id=7)
    assert sorted(m.final_id for m in matching.segments) == [0, 1, 7]
    with pytest.raises(ValueError, match="above the previous ids"):
        refresh(fit, ((60, 40), 2), (THREE, 3), first_fresh_id=1)


@pytest.mark.parametrize(
    ("fitted_name", "expected"),
    [
        pytest.param("Revolving minimum payers", "Revolving minimum payers, segment 5", id="taken"),
        pytest.param("Dormant, segment 2", "Dormant, segment 5", id="own-id-renumbered"),
        pytest.param("Dormant", "Dormant", id="free"),
    ],
)
def test_an_unmatched_segment_keeps_its_own_name_made_unique(
    fit: Fit, fitted_name: str, expected: str
) -> None:
    _, previous = fit((60, 40), 2)
    frame, current = fit(THREE, 3, seed=1)
    dormant = segment_of(current, THREE, 2)
    model = replace(current.model, names=current.model.names | {dormant: fitted_name})
    matching = match_segments(
        previous.model, assignments(previous), model, frame, current.labels, first_fresh_id=5
    )
    (new,) = [m for m in matching.segments if m.status == "new"]
    assert (new.name, new.fitted_name) == (expected, fitted_name)
    assert "Revolving minimum payers" in {
        m.name for m in matching.segments if m.status == "matched"
    }


def test_without_recurring_ids_the_previous_model_assigns_the_new_book(fit: Fit) -> None:
    _, previous = fit(THREE, 3)
    frame, current = fit(THREE, 3, seed=1)
    renamed = frame.with_columns(pl.concat_str(pl.lit("X"), pl.col(ID_COLUMN)).alias(ID_COLUMN))
    matching = match_segments(
        previous.model, assignments(previous), current.model, renamed, current.labels
    )
    assert matching.basis == "previous model"
    assert [(m.final_id, m.status) for m in matching.segments] == [
        (s.id, "matched") for s in previous.profile.segments
    ]


def test_matching_is_deterministic(fit: Fit) -> None:
    first = refresh(fit, (THREE, 2), (THREE, 3))[2]
    again = refresh(fit, (THREE, 2), (THREE, 3))[2]
    assert first == again
    assert first.model_dump_json() == again.model_dump_json()
