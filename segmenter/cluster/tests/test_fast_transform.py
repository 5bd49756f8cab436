"""Preprocessing with the fitted values in NumPy: the pipeline's own numbers, bit for bit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import Pipeline

from segmenter.cluster import features
from segmenter.cluster.features import (
    build_preprocessor,
    feature_matrix,
    transform_features,
    transform_in_chunks,
)
from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import FEATURE_COLUMNS, FREQUENCY_COLUMNS
from segmenter.model.fitted import load_model, save_model
from segmenter.pipeline import run_segmentation
from testkit.paths import SAMPLE
from testkit.segmenter_fixtures import toy_frame


def bits(matrix: np.ndarray) -> np.ndarray:
    return matrix.view(np.int64)


def random_customers(seed: int, n_rows: int = 3_000) -> np.ndarray:
    """Skewed amounts with zeros, shares in [0, 1], and a tenth of the cells missing."""
    rng = np.random.default_rng(seed)
    X = rng.lognormal(4, 2, (n_rows, len(FEATURE_COLUMNS))) * (rng.random((n_rows, 17)) > 0.3)
    shares = [FEATURE_COLUMNS.index(c) for c in FREQUENCY_COLUMNS]
    X[:, shares] = rng.random((n_rows, len(shares)))
    X[rng.random(X.shape) < 0.1] = np.nan
    return X


@pytest.fixture
def sklearn_transforms(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the calls of `Pipeline.transform` from here on (each still does its work)."""
    calls: list[int] = []
    original = Pipeline.transform

    def counted(self: Pipeline, X: np.ndarray, **params: object) -> np.ndarray:
        calls.append(len(X))
        return original(self, X, **params)

    monkeypatch.setattr(Pipeline, "transform", counted)
    return calls


LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "c-order": np.ascontiguousarray,
    "fortran-order": np.asfortranarray,
    "every-other-row": lambda X: X[::2],
}


def test_the_bundled_sample_transforms_as_the_pipeline_does(
    monkeypatch: pytest.MonkeyPatch, sklearn_transforms: list[int]
) -> None:
    frame = load_customers(SAMPLE).frame
    pre = build_preprocessor().fit(feature_matrix(frame))
    expected = pre.transform(feature_matrix(frame))
    sklearn_transforms.clear()
    monkeypatch.setattr(features, "TRANSFORM_CHUNK_ROWS", 1_000)
    assert np.array_equal(bits(transform_features(pre, feature_matrix(frame))), bits(expected))
    assert np.array_equal(bits(transform_in_chunks(pre, frame)), bits(expected))
    assert sklearn_transforms == []  # both took the NumPy path


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_customers_with_gaps_transform_as_the_pipeline_does(
    seed: int, layout: str, sklearn_transforms: list[int]
) -> None:
    X = random_customers(seed)
    pre = build_preprocessor().fit(X[: X.shape[0] // 2])
    X = LAYOUTS[layout](X)
    expected = pre.transform(X)
    sklearn_transforms.clear()
    assert np.array_equal(bits(transform_features(pre, X)), bits(expected))
    assert sklearn_transforms == []


def test_a_saved_and_loaded_model_takes_the_numpy_path(
    tmp_path: Path, sklearn_transforms: list[int]
) -> None:
    frame = toy_frame((40, 30, 20))
    run = run_segmentation(frame, k=3, seed=0, n_bootstraps=1)
    save_model(run.model, tmp_path / "model.skops")
    loaded = load_model(tmp_path / "model.skops")
    expected = loaded.pipeline[:-1].transform(feature_matrix(frame))
    sklearn_transforms.clear()
    got = transform_features(loaded.pipeline[:-1], feature_matrix(frame))
    assert np.array_equal(bits(got), bits(expected))
    np.testing.assert_array_equal(loaded.segments(frame), run.labels)
    assert sklearn_transforms == []


@pytest.mark.parametrize(
    "params",
    [{"impute__strategy": "mean"}, {"scale__with_mean": False}],
    ids=["mean-imputer", "scaler-without-centring"],
)
def test_other_pipelines_are_left_to_scikit_learn(
    params: dict[str, object], sklearn_transforms: list[int]
) -> None:
    X = random_customers(3)
    pre = build_preprocessor().set_params(**params).fit(X)
    got = transform_features(pre, X)
    assert sklearn_transforms == [X.shape[0]]
    assert np.array_equal(bits(got), bits(pre.transform(X)))


def test_infinity_is_refused_as_scikit_learn_refuses_it() -> None:
    X = random_customers(4)
    pre = build_preprocessor().fit(X)
    X[5, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        transform_features(pre, X)
