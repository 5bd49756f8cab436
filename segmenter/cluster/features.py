"""Preprocessing fitted with the model: median imputation, log1p on skewed columns, scaling."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from segmenter.ingest.schema import COUNT_COLUMNS, FEATURE_COLUMNS, MONEY_COLUMNS
from segmenter.sampling import PREPROCESS_ROWS, Purpose, sample_rows

__all__ = [
    "LOG_COLUMNS",
    "TRANSFORM_CHUNK_ROWS",
    "build_preprocessor",
    "feature_matrix",
    "fit_transform_features",
    "transform_in_chunks",
]

# Rows transformed at a time: the preprocessing steps' copies stay a few megabytes.
TRANSFORM_CHUNK_ROWS = 65_536

# Money and counts are heavily right-skewed with many zeros; log1p keeps zeros at zero.
LOG_COLUMNS: tuple[str, ...] = tuple(
    c for c in FEATURE_COLUMNS if c in MONEY_COLUMNS + COUNT_COLUMNS
)


def feature_matrix(frame: pl.DataFrame) -> np.ndarray:
    """The 17 feature columns of a canonical frame as float64, in canonical order; nulls -> NaN."""
    return frame.select(pl.col(FEATURE_COLUMNS).cast(pl.Float64)).to_numpy()


def build_preprocessor() -> Pipeline:
    """An unfitted pipeline over `feature_matrix` columns: impute medians, log1p, standardise."""
    log_idx = [FEATURE_COLUMNS.index(c) for c in LOG_COLUMNS]
    keep_idx = [i for i in range(len(FEATURE_COLUMNS)) if i not in log_idx]
    shape = ColumnTransformer(
        [
            ("log1p", FunctionTransformer(np.log1p), log_idx),
            ("keep", "passthrough", keep_idx),
        ],
        sparse_threshold=0.0,
    )
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("shape", shape),
            ("scale", StandardScaler()),
        ]
    )


def transform_in_chunks(preprocessor: Pipeline, frame: pl.DataFrame) -> np.ndarray:
    """`preprocessor.transform(feature_matrix(frame))`, bit for bit, a chunk of rows at a time.

    Every step works row by row (fill, log1p, shift and scale), so chunks give the same
    numbers as the whole, without the four whole-size copies the steps would make.
    """
    out = np.empty((frame.height, len(FEATURE_COLUMNS)), dtype=np.float64)
    for start in range(0, frame.height, TRANSFORM_CHUNK_ROWS):
        chunk = frame.slice(start, TRANSFORM_CHUNK_ROWS)
        out[start : start + chunk.height] = preprocessor.transform(feature_matrix(chunk))
    return out


def fit_transform_features(frame: pl.DataFrame, *, seed: int) -> tuple[Pipeline, np.ndarray]:
    """The preprocessor fitted on the frame's customers, and their transformed rows.

    Above `PREPROCESS_ROWS` customers the medians, means and spreads are fitted on a seeded
    sample of that many: they are then known to a fraction of a percent of a spread, and
    sklearn's median imputer, slow and copy-hungry on millions of rows, stays quick.
    """
    rows = sample_rows(frame.height, PREPROCESS_ROWS, seed=seed, purpose=Purpose.PREPROCESS)
    fitted = frame if rows.size == frame.height else frame[rows]
    preprocessor = build_preprocessor().fit(feature_matrix(fitted))
    return preprocessor, transform_in_chunks(preprocessor, frame)
