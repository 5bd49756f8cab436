"""Saved models: exact reproduction of training assignments, confidence, refusing other files."""

from __future__ import annotations

import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import skops.io as sio
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from segmenter.cluster import algorithms
from segmenter.errors import InputError
from segmenter.explain.naming import NOISE_NAME
from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.model.fitted import (
    MODEL_FORMAT,
    SegmentModel,
    load_model,
    save_model,
    score,
    segment_names,
)
from segmenter.pipeline import run_segmentation
from testkit.segmenter_fixtures import toy_frame

SEVEN = list(algorithms.ALGORITHMS)
SPLIT_GRAPH = "ignore:Graph is not fully connected:UserWarning"


@pytest.fixture(scope="module")
def real_sample(real_data_path: Path) -> pl.DataFrame:
    """2,000 real customers: quick to fit, with the real data's continuum and outliers."""
    return load_customers(real_data_path).frame.sample(2_000, seed=1)


def round_trip(
    frame: pl.DataFrame, algorithm: str, tmp_path: Path
) -> tuple[np.ndarray, pl.DataFrame]:
    run = run_segmentation(frame, algorithm=algorithm, k=4, seed=3, n_bootstraps=2)
    save_model(run.model, tmp_path / "model.skops")
    return run.labels, score(load_model(tmp_path / "model.skops"), frame)


@pytest.mark.real_data
@pytest.mark.parametrize("algorithm", SEVEN)
def test_scoring_the_training_customers_reproduces_their_segments(
    real_sample: pl.DataFrame, algorithm: str, tmp_path: Path
) -> None:
    labels, scored = round_trip(real_sample, algorithm, tmp_path)
    np.testing.assert_array_equal(scored["segment"].to_numpy(), labels)
    assert scored["customer_id"].to_list() == real_sample[ID_COLUMN].to_list()


@pytest.mark.real_data
@pytest.mark.parametrize("algorithm", [a for a in SEVEN if algorithms.ALGORITHMS[a].sampled])
def test_fitting_on_a_sample_still_reproduces_every_segment(
    real_sample: pl.DataFrame, algorithm: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(algorithms, "MAX_FIT_ROWS", 500)
    run = run_segmentation(real_sample, algorithm=algorithm, k=4, seed=3, n_bootstraps=2)
    assert run.model.pipeline[-1].n_fit_rows_ == 500
    assert run.profile.fit_note is not None
    assert "fitted on a random sample of 500 of 2,000 customers" in run.profile.fit_note
    save_model(run.model, tmp_path / "model.skops")
    scored = score(load_model(tmp_path / "model.skops"), real_sample)
    np.testing.assert_array_equal(scored["segment"].to_numpy(), run.labels)


@pytest.mark.filterwarnings(SPLIT_GRAPH)
@pytest.mark.parametrize("algorithm", ["kmeans", "dbscan", "spectral"])
def test_toy_customers_round_trip(algorithm: str, tmp_path: Path) -> None:
    frame = toy_frame((60, 40, 20))
    labels, scored = round_trip(frame, algorithm, tmp_path)
    np.testing.assert_array_equal(scored["segment"].to_numpy(), labels)
    assert scored.columns == [
        "customer_id", "segment", "segment_name", "confidence", "runner_up", "runner_up_name"
    ]  # fmt: skip


def hand_model() -> SegmentModel:
    """Two segments in the raw feature space: centre 0 at the origin, centre 1 at BALANCE=10."""
    centres = np.zeros((2, len(FEATURE_COLUMNS)))
    centres[1, 0] = 10.0
    kmeans = KMeans(n_clusters=2, n_init=1, random_state=0).fit(centres)
    raw = kmeans.predict(centres).tolist()
    return SegmentModel(
        algorithm="kmeans",
        pipeline=Pipeline([("features", FunctionTransformer()), ("cluster", kmeans)]),
        label_map={raw[0]: 0, raw[1]: 1},
        names={0: "Near zero", 1: "Far out"},
        centres=centres,
    )


def customers(balances: list[float]) -> pl.DataFrame:
    rows = len(balances)
    features = {c: [0.0] * rows for c in FEATURE_COLUMNS} | {"BALANCE": balances}
    return pl.DataFrame({ID_COLUMN: [f"C{i}" for i in range(rows)], **features})


def test_confidence_is_runner_up_distance_over_both_distances() -> None:
    # BALANCE 2: 2 from centre 0 and 8 from centre 1 -> 8 / 10; BALANCE 9: 1 / 10 from centre 1.
    scored = score(hand_model(), customers([2.0, 9.0, 5.0]))
    assert scored.to_dicts()[:2] == [
        {"customer_id": "C0", "segment": 0, "segment_name": "Near zero", "confidence": 0.8,
         "runner_up": 1, "runner_up_name": "Far out"},
        {"customer_id": "C1", "segment": 1, "segment_name": "Far out", "confidence": 0.9,
         "runner_up": 0, "runner_up_name": "Near zero"},
    ]  # fmt: skip
    assert scored["confidence"][2] == 0.5  # half-way


def test_a_saved_model_loads_back_and_scores_the_same(tmp_path: Path) -> None:
    model = hand_model()
    save_model(model, tmp_path / "m.skops")
    loaded = load_model(tmp_path / "m.skops")
    assert loaded.names == model.names
    assert loaded.label_map == model.label_map
    frame = customers([1.0, 7.0])
    assert score(loaded, frame).equals(score(model, frame))


def test_the_same_model_gives_the_same_bytes(tmp_path: Path) -> None:
    # Two models built apart: skops would name their parts by memory address and stamp the time.
    first, second = hand_model(), hand_model()
    save_model(first, tmp_path / "a.skops")
    save_model(second, tmp_path / "b.skops")
    assert (tmp_path / "a.skops").read_bytes() == (tmp_path / "b.skops").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.skops") as archive:
        names = [info.filename for info in archive.infolist()]
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert names == sorted(names)
    assert names[-1] == "schema.json"
    assert {name.removesuffix(".npy") for name in names[:-1]} <= {str(i) for i in range(1, 100)}
    loaded = load_model(tmp_path / "a.skops")  # renumbered, it still loads as it was saved
    frame = customers([1.0, 7.0])
    assert score(loaded, frame).equals(score(first, frame))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"CUST_ID,BALANCE\n", "not a segmenter model file", id="not-a-zip"),
        pytest.param(
            sio.dumps({"hello": 1}), "a skops file, but not a segmenter model", id="alien"
        ),
        pytest.param(
            sio.dumps({"format": MODEL_FORMAT, "x": Fraction(1, 3)}),
            "holds types this program does not load",
            id="untrusted-type",
        ),
    ],
)
def test_files_that_are_not_our_models_are_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "model.skops"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_model(path)


def test_a_missing_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such model file"):
        load_model(tmp_path / "nope.skops")


def test_segment_names_name_every_id_and_fall_back_for_unknown_ones() -> None:
    names = {0: "Big-ticket spenders", 1: "Instalment buyers", -1: NOISE_NAME}
    named = segment_names(np.array([1, 0, -1, 7]), names)
    assert named.to_list() == [
        "Instalment buyers", "Big-ticket spenders", "Unassigned", "Unassigned",
    ]  # fmt: skip
