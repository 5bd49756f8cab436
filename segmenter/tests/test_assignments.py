"""Confidence in assignments.csv: computed once (assignment_confidence), as scoring computes it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from segmenter.model.fitted import NOISE, assignment_confidence, score
from segmenter.pipeline import run_segmentation, write_segmentation
from testkit.segmenter_fixtures import toy_frame

SPLIT_GRAPH = "ignore:Graph is not fully connected:UserWarning"


def test_confidence_by_hand() -> None:
    # Centres at 0 and 10 on one axis. At 2: 8 / (2 + 8); at 9: 9 / (1 + 9); at 5: half-way.
    centres = np.array([[0.0], [10.0]])
    points = np.array([[2.0], [9.0], [5.0], [4.0]])
    confidence, runner = assignment_confidence(points, centres, np.array([0, 1, 0, -1]))
    np.testing.assert_array_equal(confidence[:3], [0.8, 0.9, 0.5])
    assert np.isnan(confidence[3])  # noise has none
    assert runner.tolist() == [1, 0, 1, 0]  # noise: the nearest centre


def test_a_single_segment_has_no_confidence() -> None:
    confidence, runner = assignment_confidence(np.zeros((2, 1)), np.zeros((1, 1)), np.zeros(2))
    assert np.isnan(confidence).all()
    assert runner.tolist() == [NOISE, NOISE]


def test_assignments_csv_holds_the_confidence_scoring_gives(tmp_path: Path) -> None:
    frame = toy_frame((60, 40, 20))
    run = run_segmentation(frame, k=3, seed=0, n_bootstraps=2)
    write_segmentation(run, tmp_path)
    written = pl.read_csv(tmp_path / "assignments.csv", schema_overrides={"segment": pl.Int64})
    assert written.columns == ["customer_id", "segment", "segment_name", "confidence"]
    scored = score(run.model, frame)
    assert written["confidence"].to_list() == scored["confidence"].to_list()
    assert written["confidence"].min() > 0.5  # well-separated groups: nearer their own centre


@pytest.mark.filterwarnings(SPLIT_GRAPH)
def test_noise_gets_an_empty_confidence(tmp_path: Path) -> None:
    # DBSCAN leaves the group of 20 unassigned (noise, -1).
    run = run_segmentation(toy_frame((60, 40, 20)), algorithm="dbscan", seed=0, n_bootstraps=2)
    write_segmentation(run, tmp_path)
    lines = (tmp_path / "assignments.csv").read_text(encoding="utf-8").splitlines()
    noise = [line for line in lines if ",-1," in line]
    assert len(noise) == 20
    assert all(line.endswith(",") for line in noise)  # an empty cell, not NaN
    assert not [line for line in lines[1:] if ",-1," not in line and line.endswith(",")]
