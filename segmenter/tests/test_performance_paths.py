"""The large-data paths on small data: thresholds lowered so hand-sized frames take them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_info

from segmenter import comparison, pipeline
from segmenter.cluster import algorithms, evaluation, features, selection
from segmenter.cluster.estimators import PortableBirch
from segmenter.cluster.evaluation import relabel
from segmenter.cluster.features import build_preprocessor, feature_matrix, transform_in_chunks
from segmenter.cluster.selection import distinct_rows
from segmenter.comparison import run_comparison
from segmenter.ingest.quality import clean_table
from segmenter.ingest.read import load_customers, parse_table
from segmenter.model.fitted import score
from segmenter.sampling import Purpose, parallel_map, sample_rows
from testkit.segmenter_fixtures import toy_frame, toy_groups

SIZES = (300, 200, 100)
SPLIT_GRAPH = "ignore:Graph is not fully connected:UserWarning"


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sampling threshold far below the toy frame's 600 rows."""
    monkeypatch.setattr(evaluation, "FIT_ROWS", 150)
    monkeypatch.setattr(evaluation, "METRIC_ROWS", 200)
    monkeypatch.setattr(evaluation, "STABILITY_ROWS", 250)
    monkeypatch.setattr(selection, "CHOOSE_K_ROWS", 240)
    monkeypatch.setattr(features, "PREPROCESS_ROWS", 180)
    monkeypatch.setattr(pipeline, "PROFILE_ROWS", 120)


@pytest.mark.parametrize(
    ("n_rows", "size", "expected"),
    [
        pytest.param(5, 10, [0, 1, 2, 3, 4], id="all-rows"),
        pytest.param(3, 3, [0, 1, 2], id="equal"),
    ],
)
def test_sample_rows_takes_every_row_up_to_the_size(
    n_rows: int, size: int, expected: list[int]
) -> None:
    assert sample_rows(n_rows, size, seed=0, purpose=Purpose.FIT).tolist() == expected


def test_sample_rows_is_sorted_distinct_seeded_and_per_purpose() -> None:
    a = sample_rows(1_000, 50, seed=3, purpose=Purpose.FIT)
    assert a.size == np.unique(a).size == 50
    assert np.all(np.diff(a) > 0)
    np.testing.assert_array_equal(a, sample_rows(1_000, 50, seed=3, purpose=Purpose.FIT))
    assert not np.array_equal(a, sample_rows(1_000, 50, seed=3, purpose=Purpose.PROFILE))


def test_parallel_map_keeps_input_order() -> None:
    assert list(parallel_map(lambda x: x * x, range(7))) == [0, 1, 4, 9, 16, 25, 36]


def test_relabel_maps_every_raw_label_noise_included() -> None:
    raw = np.array([5, 2, 2, -1, 7, 5])
    mapping = {2: 0, 5: 1, 7: 2, -1: -1}
    assert relabel(raw, mapping).tolist() == [mapping[r] for r in raw.tolist()]


@pytest.mark.parametrize("at_most", [2, 3, 9])
def test_distinct_rows_is_capped_and_exact_below_the_cap(at_most: int) -> None:
    X = np.repeat(np.arange(4.0)[:, None], 5, axis=0)  # 4 distinct rows, each 5 times
    assert distinct_rows(X, at_most=at_most) == min(4, at_most)


def test_transform_in_chunks_is_bit_identical(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = toy_frame(SIZES).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("MINIMUM_PAYMENTS"))
        .alias("MINIMUM_PAYMENTS")
    )  # fmt: skip
    monkeypatch.setattr(features, "TRANSFORM_CHUNK_ROWS", 64)
    pre = build_preprocessor().fit(feature_matrix(frame))
    whole = pre.transform(feature_matrix(frame))
    chunked = transform_in_chunks(pre, frame)
    np.testing.assert_array_equal(chunked.view(np.int64), whole.view(np.int64))


def test_the_typed_csv_path_reads_what_the_text_path_reads(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    toy_frame(SIZES).with_columns(Extra=pl.lit("x")).write_csv(path)
    fast = load_customers(path)
    text = clean_table(parse_table(path.read_bytes(), name=str(path)))
    assert_frame_equal(fast.frame, text.frame)
    assert fast.report == text.report


@pytest.mark.usefixtures("small_thresholds")
def test_large_path_segments_every_customer_and_scores_back_exactly() -> None:
    frame = toy_frame(SIZES)
    run = pipeline.run_segmentation(frame, k=3, seed=4, n_bootstraps=2)
    assert run.labels.size == frame.height
    assert adjusted_rand_score(toy_groups(SIZES), run.labels) == 1.0
    assert [s.size for s in run.profile.segments] == [300, 200, 100]
    assert [s.share for s in run.profile.segments] == [0.5, 0.3333, 0.1667]
    assert run.profile.fit_note is not None
    assert "fitted on a random sample of 150 of 600 customers" in run.profile.fit_note
    assert "random sample of 120 customers; sizes and shares count all 600" in run.profile.fit_note
    np.testing.assert_array_equal(score(run.model, frame)["segment"].to_numpy(), run.labels)


@pytest.mark.usefixtures("small_thresholds")
def test_large_path_is_deterministic() -> None:
    runs = [pipeline.run_segmentation(toy_frame(SIZES), k=None, seed=2, n_bootstraps=2)
            for _ in range(2)]  # fmt: skip
    np.testing.assert_array_equal(runs[0].labels, runs[1].labels)
    assert runs[0].profile.model_dump_json() == runs[1].profile.model_dump_json()
    choice = runs[0].profile.k_selection
    assert choice is not None
    assert choice.chosen == 3
    assert choice.explanation.endswith("scored on a random sample of 240 of 600 customers.")


@pytest.mark.filterwarnings(SPLIT_GRAPH)
@pytest.mark.parametrize("algorithm", ["agglomerative", "dbscan", "spectral", "hdbscan"])
def test_a_sampled_methods_labels_from_fit_are_its_predictions(
    algorithm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # evaluate takes labels_ instead of predicting every row a second time: the same labels.
    monkeypatch.setattr(algorithms, "MAX_FIT_ROWS", 60)
    X, _ = make_blobs(n_samples=[90, 70, 50], n_features=17, cluster_std=0.5, random_state=2)
    result = evaluation.evaluate(X, algorithm, k=3, seed=1, n_bootstraps=1)
    assert result.model.n_fit_rows_ == 60
    np.testing.assert_array_equal(result.raw_labels, result.model.predict(X))


def test_portable_birch_predicts_the_same_whatever_the_memory_order() -> None:
    X, _ = make_blobs(n_samples=300, centers=4, n_features=17, random_state=3)
    model = PortableBirch(n_clusters=4, threshold=1.0).fit(X)
    np.testing.assert_array_equal(model.predict(np.asfortranarray(X)), model.labels_)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


@pytest.mark.filterwarnings(SPLIT_GRAPH)
def test_a_large_book_is_compared_on_one_sample_for_every_algorithm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(comparison, "COMPARE_ROWS", 240)
    frame = toy_frame(SIZES)
    runs = [run_comparison(frame, k=3, seed=5, n_bootstraps=1) for _ in range(2)]
    assert runs[0].note is not None
    assert "same random sample of 240 of 600 customers" in runs[0].note
    assert {e.labels.size for e in runs[0].comparison.evaluations.values()} == {240}
    rows = sample_rows(600, 240, seed=5, purpose=Purpose.COMPARE)
    on_the_sample = run_comparison(frame[rows], k=3, seed=5, n_bootstraps=1)
    assert on_the_sample.note is None
    for run in (runs[1], on_the_sample):
        assert_frame_equal(run.table().drop("fit_seconds"), runs[0].table().drop("fit_seconds"))
        assert_frame_equal(run.agreement(), runs[0].agreement())


def test_parallel_jobs_leave_the_process_blas_threads_as_they_found_them() -> None:
    # BLAS's thread count is one setting for the whole process: workers that each set and
    # restored it raced, and left a long-lived app single-threaded for good.
    def blas_threads() -> list[int]:
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    for _ in range(10):
        list(parallel_map(lambda i: np.linalg.svd(np.eye(150) * (i + 1))[1][0], range(8)))
    assert blas_threads() == before
