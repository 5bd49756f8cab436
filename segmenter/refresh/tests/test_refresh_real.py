"""A month later on the real file: the same customers reshuffled, and a perturbed book.

The perturbed book drops 5 % of customers, adds 5 % new ones (copies of real rows under new
ids), and a quarter of the rest start drawing cash (cash advance tripled plus 1,000, its
frequency doubled plus 0.25, capped at 1) and stop paying in full. A quarter, not a tenth:
a tenth of the book changing so gave PSI 0.03 on cash advance, under the 0.1 of a moderate
shift, as the change spreads over the upper deciles.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import ID_COLUMN
from segmenter.model.fitted import assignment_table, load_model, score
from segmenter.pipeline import Segmentation, run_segmentation, write_segmentation
from segmenter.refresh.drift import compare_books
from segmenter.refresh.match import Matching, match_segments
from segmenter.refresh.migration import Migration, migration
from segmenter.refresh.relabel import relabel_run

pytestmark = pytest.mark.real_data

PERTURBED = {"CASH_ADVANCE", "CASH_ADVANCE_FREQUENCY", "PRC_FULL_PAYMENT"}


def segment(frame: pl.DataFrame) -> Segmentation:
    return run_segmentation(frame, algorithm="kmeans", k=4, seed=0, n_bootstraps=2)


def assignments(run: Segmentation) -> pl.DataFrame:
    return assignment_table(run.customer_ids, run.labels, run.model.names, run.confidence)


def perturbed(frame: pl.DataFrame, *, seed: int = 0) -> tuple[pl.DataFrame, int, int]:
    """The perturbed book, and how many customers left and joined."""
    rng = np.random.default_rng(seed)
    stay = frame.filter(pl.Series(rng.random(frame.height) >= 0.05))
    change = pl.Series(rng.random(stay.height) < 0.25)
    stay = stay.with_columns(
        CASH_ADVANCE=pl.when(change)
        .then(pl.col("CASH_ADVANCE") * 3 + 1000)
        .otherwise(pl.col("CASH_ADVANCE")),
        CASH_ADVANCE_FREQUENCY=pl.when(change)
        .then((pl.col("CASH_ADVANCE_FREQUENCY") * 2 + 0.25).clip(upper_bound=1.0))
        .otherwise(pl.col("CASH_ADVANCE_FREQUENCY")),
        PRC_FULL_PAYMENT=pl.when(change).then(0.0).otherwise(pl.col("PRC_FULL_PAYMENT")),
    )
    n_join = round(0.05 * frame.height)
    join = frame[rng.integers(0, frame.height, n_join)].with_columns(
        pl.Series(ID_COLUMN, [f"N{i:05d}" for i in range(n_join)])
    )
    book = pl.concat([stay, join]).sample(fraction=1.0, shuffle=True, seed=seed)
    return book, frame.height - stay.height, n_join


class Month:
    """A refresh: the new book, its run, the matching, the refreshed run and the migration."""

    def __init__(self, previous: Segmentation, frame: pl.DataFrame) -> None:
        self.frame, self.run = frame, segment(frame)
        self.matching: Matching = match_segments(
            previous.model, assignments(previous), self.run.model, frame, self.run.labels
        )
        self.refreshed = relabel_run(self.run, self.matching, previous.profile)
        self.migration: Migration = migration(assignments(previous), assignments(self.refreshed))


@pytest.fixture(scope="module")
def book(real_data_path: Path) -> pl.DataFrame:
    return load_customers(real_data_path).frame


@pytest.fixture(scope="module")
def previous(book: pl.DataFrame) -> Segmentation:
    return segment(book)


@pytest.fixture(scope="module")
def reshuffled(book: pl.DataFrame, previous: Segmentation) -> Month:
    return Month(previous, book.sample(fraction=1.0, shuffle=True, seed=7))


@pytest.fixture(scope="module")
def changed(book: pl.DataFrame, previous: Segmentation) -> tuple[Month, int, int]:
    frame, left, joined = perturbed(book)
    return Month(previous, frame), left, joined


def test_a_reshuffled_book_maps_every_segment_to_itself(
    reshuffled: Month, previous: Segmentation
) -> None:
    matching = reshuffled.matching
    assert [(m.segment, m.final_id, m.status) for m in matching.segments] == [
        (s, s, "matched") for s in range(4)
    ]
    assert [m.name for m in matching.segments] == list(previous.model.names.values())
    assert all(f.status == "matched" for f in matching.previous)
    matrix = reshuffled.migration.matrix
    assert reshuffled.migration.customers_in_both == 8_950
    assert (reshuffled.migration.customers_left, reshuffled.migration.customers_joined) == (0, 0)
    # Runs fit the customers in id order (pipeline.in_canonical_order): nobody moves.
    moved = matrix.filter(pl.col("from_segment") != pl.col("to_segment"))["customers"].sum()
    assert moved == 0
    stayed = matrix.filter(pl.col("from_segment") == pl.col("to_segment"))
    assert stayed["share_of_from"].min() >= 0.999


def test_a_month_later_matched_segments_keep_their_ids_and_names(
    changed: tuple[Month, int, int], previous: Segmentation
) -> None:
    month, _, _ = changed
    assert {m.final_id: (m.name, m.status) for m in month.matching.segments} == {
        s: (name, "matched") for s, name in previous.model.names.items()
    }
    assert month.refreshed.model.names == previous.model.names
    # Each segment keeps its customers: the fitted id, by size, need not be the kept one.
    assert all((m.overlap or 0) > 0.85 for m in month.matching.segments)


def test_the_migration_counts_exactly_the_customers_in_both_books(
    changed: tuple[Month, int, int], book: pl.DataFrame
) -> None:
    month, left, joined = changed
    moved = month.migration
    assert moved.customers_in_both == book.height - left == month.frame.height - joined
    assert (moved.customers_left, moved.customers_joined) == (left, joined)
    shares = moved.matrix.group_by("from_segment").agg(pl.col("share_of_from").sum())
    assert shares["share_of_from"].to_list() == pytest.approx([1.0] * 4, abs=1e-3)


def test_drift_is_flagged_on_the_perturbed_features_only(
    changed: tuple[Month, int, int], book: pl.DataFrame
) -> None:
    month, _, _ = changed
    report = compare_books(book, month.frame)
    flagged = {f.feature for f in report.flagged()}
    assert {"CASH_ADVANCE", "CASH_ADVANCE_FREQUENCY"} <= flagged <= PERTURBED
    psi = {f.feature: f.psi for f in report.features}
    assert psi["TENURE"] < 0.01
    # Full payment was already 0 for two thirds of the book: it moves, but less than a flag.
    assert psi["PRC_FULL_PAYMENT"] > max(v for f, v in psi.items() if f not in PERTURBED)


def test_the_refreshed_run_written_and_scored_gives_its_ids_back(
    changed: tuple[Month, int, int], tmp_path: Path
) -> None:
    month, _, _ = changed
    write_segmentation(month.refreshed, tmp_path)
    scored = score(load_model(tmp_path / "model.skops"), month.frame)
    np.testing.assert_array_equal(scored["segment"].to_numpy(), month.refreshed.labels)
    np.testing.assert_allclose(
        scored["confidence"].to_numpy(), month.refreshed.confidence, equal_nan=True
    )
    profiles = json.loads((tmp_path / "profiles.json").read_text())
    sizes = dict(zip(*np.unique(month.refreshed.labels, return_counts=True), strict=True))
    assert [(s["id"], s["name"], s["size"]) for s in profiles["segments"]] == [
        (sid, name, sizes[sid]) for sid, name in month.refreshed.model.names.items()
    ]


def test_the_same_books_refresh_to_the_same_files(
    changed: tuple[Month, int, int], previous: Segmentation, tmp_path: Path
) -> None:
    month, _, _ = changed
    again = Month(previous, month.frame)
    assert again.matching == month.matching
    write_segmentation(month.refreshed, tmp_path / "first")
    write_segmentation(again.refreshed, tmp_path / "again")
    for name in ("assignments.csv", "profiles.json", "model.skops"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
