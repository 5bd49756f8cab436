"""Streamed segmentation of a Parquet file: every customer assigned, in batches, exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from card_segmenter.cli import main
from segmenter.model.fitted import load_model, score
from segmenter.results import RunProfile
from segmenter.streaming import parquet_rows, segment_streaming
from testkit.segmenter_fixtures import toy_frame, toy_groups

SIZES = (300, 200, 100)


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "customers.parquet"
    frame = toy_frame(SIZES)
    # Shuffled, so that every batch holds every kind of customer.
    frame.sample(fraction=1.0, shuffle=True, seed=5).write_parquet(path, row_group_size=100)
    return path


def test_streaming_assigns_every_customer_and_the_model_scores_them_back(
    parquet: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = segment_streaming(parquet, out, k=3, seed=1, sample_size=250, batch_rows=128)
    assert (done.rows_read, done.rows_assigned) == (600, 600)
    assignments = pl.read_csv(out / "assignments.csv", schema_overrides={"customer_id": pl.String})
    assert assignments.columns == ["customer_id", "segment", "segment_name", "confidence"]
    source = pl.read_parquet(parquet)
    assert assignments["customer_id"].to_list() == source["CUST_ID"].to_list()
    truth = toy_groups(SIZES)[[int(c[1:]) - 1 for c in source["CUST_ID"].to_list()]]
    assert adjusted_rand_score(truth, assignments["segment"].to_numpy()) == 1.0
    scored = score(load_model(out / "model.skops"), source)
    np.testing.assert_array_equal(scored["segment"].to_numpy(), assignments["segment"].to_numpy())
    # The same confidence as scoring gives: one function computes both.
    assert scored["confidence"].to_list() == assignments["confidence"].to_list()
    profile = RunProfile.model_validate_json((out / "profiles.json").read_text())
    assert profile.n_customers == 600
    assert [s.size for s in profile.segments] == [300, 200, 100]
    assert profile.fit_note is not None
    assert profile.fit_note.startswith("Streamed: the model, metrics and segment statistics")


def test_streaming_twice_gives_identical_files(parquet: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        segment_streaming(parquet, tmp_path / name, k=3, seed=0, sample_size=250, batch_rows=128)
    for output in ("assignments.csv", "profiles.json"):
        assert (tmp_path / "a" / output).read_bytes() == (tmp_path / "b" / output).read_bytes()


def test_a_copy_with_its_rows_in_another_order_streams_to_the_same_segments(
    parquet: Path, tmp_path: Path
) -> None:
    # The fitting sample (250 of 600) is drawn by a hash of the ids, not by row position.
    copy = tmp_path / "reordered.parquet"
    pl.read_parquet(parquet).reverse().write_parquet(copy, row_group_size=64)
    for path, name in ((parquet, "a"), (copy, "b")):
        segment_streaming(path, tmp_path / name, k=3, seed=0, sample_size=250, batch_rows=128)
    profiles = [(tmp_path / n / "profiles.json").read_text() for n in ("a", "b")]
    assert profiles[0] == profiles[1]
    by_id = [
        pl.read_csv(
            tmp_path / n / "assignments.csv", schema_overrides={"customer_id": pl.String}
        ).sort("customer_id")
        for n in ("a", "b")
    ]
    assert by_id[0].equals(by_id[1])


def test_streaming_refuses_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_text("CUST_ID,BALANCE\n")
    with pytest.raises(SystemExit) as done:
        main(["segment", str(path), "--out", str(tmp_path / "o"), "--stream"])
    assert done.value.code == 2


def test_segment_streams_a_parquet_file_on_request(parquet: Path, tmp_path: Path) -> None:
    out = tmp_path / "streamed"
    with pytest.raises(SystemExit) as done:
        main(["segment", str(parquet), "--out", str(out), "--k", "3", "--stream"])
    assert done.value.code in (0, None)
    profile = RunProfile.model_validate_json((out / "profiles.json").read_text())
    assert (profile.fit_note or "").startswith("Streamed")
    assigned = pl.read_csv(out / "assignments.csv")
    assert assigned.height == sum(SIZES) == parquet_rows(parquet)


def test_parquet_rows_reads_the_footer_and_ignores_other_files(
    parquet: Path, tmp_path: Path
) -> None:
    other = tmp_path / "x.csv"
    other.write_text("a,b\n1,2\n")
    assert (parquet_rows(parquet), parquet_rows(other)) == (sum(SIZES), None)
