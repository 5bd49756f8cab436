"""A copy of the customers with its rows in another order gets the same segments: every fit,
sample and measure runs in id order (pipeline.in_canonical_order), assignments come back in
input order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from segmenter.comparison import run_comparison
from segmenter.ingest.read import load_customers
from segmenter.model.fitted import assignment_table
from segmenter.pipeline import Segmentation, in_canonical_order, run_segmentation
from testkit.segmenter_fixtures import toy_frame

SPLIT_GRAPH = "ignore:Graph is not fully connected:UserWarning"


def by_id(run: Segmentation) -> pl.DataFrame:
    """The run's assignments (segment, name, confidence) sorted by customer id."""
    table = assignment_table(run.customer_ids, run.labels, run.model.names, run.confidence)
    return table.sort("customer_id")


def test_ids_are_put_in_order_shorter_ids_first() -> None:
    frame = pl.DataFrame({"CUST_ID": ["row-10", "row-2", "row-1", "B"], "x": [1, 2, 3, 4]})
    ordered, order = in_canonical_order(frame)
    assert order is not None
    assert order.tolist() == [3, 2, 1, 0]
    assert ordered.get_column("CUST_ID").to_list() == ["B", "row-1", "row-2", "row-10"]


def test_a_frame_in_id_order_is_kept_as_it_is() -> None:
    frame = pl.DataFrame({"CUST_ID": ["A", "B", "AA", "AB", "B0"], "x": [1, 2, 3, 4, 5]})
    ordered, order = in_canonical_order(frame)
    assert order is None
    assert ordered is frame


def test_a_shuffled_toy_book_gets_the_same_segments_in_its_own_order() -> None:
    frame = toy_frame((60, 40, 20))
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=3)
    original = run_segmentation(frame, k=3, seed=0, n_bootstraps=2)
    again = run_segmentation(shuffled, k=3, seed=0, n_bootstraps=2)
    assert again.customer_ids.to_list() == shuffled.get_column("CUST_ID").to_list()
    assert again.profile == original.profile
    assert_frame_equal(by_id(again), by_id(original))


@pytest.mark.filterwarnings(SPLIT_GRAPH)
def test_a_shuffled_toy_book_compares_the_same() -> None:
    frame = toy_frame((60, 40, 20))
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=3)
    tables = [
        run_comparison(f, k=3, seed=0, n_bootstraps=2).table().drop("fit_seconds")
        for f in (frame, shuffled)
    ]
    assert_frame_equal(tables[0], tables[1])


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("algorithm", "k", "max_fit_rows", "profile_rows"),
    [
        # The audit's case: `segment --k 4` on a shuffled copy moved a few dozen customers.
        pytest.param("kmeans", 4, None, None, id="kmeans-k4"),
        # HDBSCAN fitted on a sample of 4,000 and profiled on one of 3,000: the samples are
        # drawn by position, so they must be drawn from the customers in id order.
        pytest.param("hdbscan", None, 4_000, 3_000, id="hdbscan-sampled"),
    ],
)
def test_the_real_file_shuffled_gets_the_same_segments(
    real_data_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    algorithm: str,
    k: int | None,
    max_fit_rows: int | None,
    profile_rows: int | None,
) -> None:
    if max_fit_rows is not None:
        monkeypatch.setattr("segmenter.cluster.algorithms.MAX_FIT_ROWS", max_fit_rows)
    if profile_rows is not None:
        monkeypatch.setattr("segmenter.pipeline.PROFILE_ROWS", profile_rows)
    text = pl.read_csv(real_data_path, infer_schema=False)
    shuffled_path = tmp_path / "shuffled.csv"
    text.sample(fraction=1.0, shuffle=True, seed=11).write_csv(shuffled_path)
    shuffled = load_customers(shuffled_path).frame
    assert not np.array_equal(shuffled.get_column("CUST_ID"), text.get_column("CUST_ID"))

    original = run_segmentation(load_customers(real_data_path).frame, algorithm=algorithm, k=k)
    again = run_segmentation(shuffled, algorithm=algorithm, k=k)

    if max_fit_rows is not None:
        assert again.model.pipeline[-1].n_fit_rows_ == max_fit_rows
    if profile_rows is not None:
        assert f"random sample of {profile_rows:,} customers" in (again.profile.fit_note or "")
    assert [s.size for s in again.profile.segments] == [s.size for s in original.profile.segments]
    assert [s.name for s in again.profile.segments] == [s.name for s in original.profile.segments]
    assert again.profile == original.profile
    assert again.customer_ids.to_list() == shuffled.get_column("CUST_ID").to_list()
    assert_frame_equal(by_id(again), by_id(original))
