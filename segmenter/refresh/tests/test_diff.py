"""The persona diff: plain sentences on what each segment became, on toy books."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest

from segmenter.model.fitted import assignment_table
from segmenter.pipeline import Segmentation
from segmenter.refresh.diff import RunDiff, persona_diff
from segmenter.refresh.match import match_segments
from segmenter.refresh.relabel import relabel_run
from segmenter.results import Distinction

Fit = Callable[..., tuple[pl.DataFrame, Segmentation]]  # the `fit` fixture of conftest.py
THREE = (60, 40, 20)


def diff(
    fit: Fit, before: tuple[tuple[int, ...], int], after: tuple[tuple[int, ...], int]
) -> RunDiff:
    _, previous = fit(*before)
    frame, current = fit(*after, seed=1)
    table = assignment_table(
        previous.customer_ids, previous.labels, previous.model.names, previous.confidence
    )
    matching = match_segments(previous.model, table, current.model, frame, current.labels)
    return persona_diff(previous.profile, current.profile, matching)


def test_a_matched_segment_reports_its_size_and_a_name_it_keeps(fit: Fit) -> None:
    changes = diff(fit, ((60, 40), 2), (THREE, 3))
    kept = next(c for c in changes.segments if c.fitted_name != c.name)
    assert kept.status == "matched"
    assert kept.sentences[0] == (
        f"Segment {kept.id}, {kept.name}: 60 customers (60.0%) last run, 60 customers (50.0%) now."
    )
    assert (
        f"Its figures would now name it {kept.fitted_name!r}; it keeps its name." in kept.sentences
    )
    assert any(s.startswith("Its persona would now read ") for s in kept.sentences)


def test_new_retired_split_and_merged_segments_are_listed(fit: Fit) -> None:
    new = diff(fit, ((60, 40), 2), (THREE, 3))
    assert "Segment 2, Dormant low-balance holders is new: 20 customers (16.7%)." in new.sentences
    retired = diff(fit, (THREE, 3), ((60, 40), 2))
    assert retired.gone == [
        "Segment 2, Dormant low-balance holders (20 customers last run) is retired: "
        "no segment now holds most of its customers."
    ]
    split = diff(fit, (THREE, 2), (THREE, 3))
    assert split.gone == [
        "Segment 0, Most of the book (80 customers last run) split into segments 0 and 2."
    ]
    assert (
        "Segment 2, Dormant low-balance holders, split from segment 0 (Most of the book): "
        "20 customers (16.7%), 100% of them from there." in split.sentences
    )
    merged = diff(fit, (THREE, 3), (THREE, 2))
    assert merged.gone == [
        "Segment 2, Dormant low-balance holders (20 customers last run) merged into segment 0."
    ]
    assert "It took in most of segment 2 (Dormant low-balance holders)." in merged.sentences


def test_distinctions_that_appear_and_disappear_are_named(fit: Fit) -> None:
    _, previous = fit(THREE, 3)
    frame, current = fit(THREE, 3, seed=1)
    first = current.profile.segments[0]
    high = Distinction(feature="TENURE", label="tenure", direction="high", effect_size=1.0)
    changed = first.model_copy(update={"distinctions": [high, *first.distinctions[1:]]})
    profile = current.profile.model_copy(
        update={"segments": [changed, *current.profile.segments[1:]]}
    )
    table = assignment_table(
        previous.customer_ids, previous.labels, previous.model.names, previous.confidence
    )
    matching = match_segments(previous.model, table, current.model, frame, current.labels)
    change = persona_diff(previous.profile, profile, matching).segments[0]
    lost = previous.profile.segments[0].distinctions[0]
    assert change.appeared == ["high tenure"]
    assert change.disappeared == [f"{lost.direction} {lost.label}"]
    assert "Newly sets it apart: high tenure." in change.sentences


def test_a_relabelled_profile_with_other_ids_is_refused(fit: Fit) -> None:
    _, previous = fit((60, 40), 2)
    frame, current = fit(THREE, 3, seed=1)
    table = assignment_table(
        previous.customer_ids, previous.labels, previous.model.names, previous.confidence
    )
    matching = match_segments(
        previous.model, table, current.model, frame, current.labels, first_fresh_id=7
    )
    relabelled = relabel_run(current, matching, previous.profile)
    with pytest.raises(ValueError, match="pass it as fitted"):
        persona_diff(previous.profile, relabelled.profile, matching)
