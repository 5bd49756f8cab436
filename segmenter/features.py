"""Preprocessing fitted with the model: median imputation, log1p on skewed columns, scaling."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from segmenter.schema import COUNT_COLUMNS, FEATURE_COLUMNS, MONEY_COLUMNS

__all__ = ["LOG_COLUMNS", "build_preprocessor", "feature_matrix"]

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
