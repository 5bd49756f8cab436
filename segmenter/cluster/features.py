"""Preprocessing fitted with the model: median imputation, log1p on skewed columns, scaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

import numpy as np
import polars as pl
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from segmenter.errors import InputError
from segmenter.ingest.schema import COUNT_COLUMNS, FEATURE_COLUMNS, MONEY_COLUMNS
from segmenter.sampling import PREPROCESS_ROWS, Purpose, sample_rows

__all__ = [
    "LOG_COLUMNS",
    "TRANSFORMED_COLUMNS",
    "TRANSFORM_CHUNK_ROWS",
    "build_preprocessor",
    "feature_matrix",
    "fit_transform_features",
    "inverse_features",
    "transform_features",
    "transform_in_chunks",
]

# Rows transformed at a time: the preprocessing steps' copies stay a few megabytes.
TRANSFORM_CHUNK_ROWS = 65_536

# Money and counts are heavily right-skewed with many zeros; log1p keeps zeros at zero.
LOG_COLUMNS: tuple[str, ...] = tuple(
    c for c in FEATURE_COLUMNS if c in MONEY_COLUMNS + COUNT_COLUMNS
)

# The input column behind each column of the transformed rows: log1p's columns come first.
TRANSFORMED_COLUMNS: tuple[str, ...] = LOG_COLUMNS + tuple(
    c for c in FEATURE_COLUMNS if c not in LOG_COLUMNS
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
    fitted = _fitted_values(preprocessor)
    out = np.empty((frame.height, len(FEATURE_COLUMNS)), dtype=np.float64)
    for start in range(0, frame.height, TRANSFORM_CHUNK_ROWS):
        chunk = frame.slice(start, TRANSFORM_CHUNK_ROWS)
        out[start : start + chunk.height] = _transform(preprocessor, fitted, feature_matrix(chunk))
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


def transform_features(preprocessor: Pipeline, X: np.ndarray) -> np.ndarray:
    """`preprocessor.transform(X)`, bit for bit; with NumPy when `build_preprocessor` made it."""
    return _transform(preprocessor, _fitted_values(preprocessor), X)


def inverse_features(preprocessor: Pipeline, T: np.ndarray) -> np.ndarray:
    """The raw feature values that `transform_features` maps to the rows of `T`.

    Undoes scaling and log1p; imputation has nothing to undo. An InputError for a preprocessor
    `build_preprocessor` did not make, whose steps need not be invertible.
    """
    fitted = _fitted_values(preprocessor)
    if fitted is None:
        raise InputError(
            "this model's preprocessing is not the product's own: it cannot be inverted"
        )
    shaped = T * fitted.scales + fitted.means
    out = np.empty_like(shaped)
    n_log = len(fitted.log_columns)
    out[:, fitted.log_columns] = np.expm1(shaped[:, :n_log])
    out[:, fitted.keep_columns] = shaped[:, n_log:]
    return out


@dataclass(frozen=True)
class _Fitted:
    """The fitted values of a `build_preprocessor` pipeline."""

    medians: np.ndarray  # of every input column
    log_columns: list[int]  # input columns log1p is applied to, output first
    keep_columns: list[int]  # input columns passed through, output after them
    means: np.ndarray  # of every output column
    scales: np.ndarray


def _transform(preprocessor: Pipeline, fitted: _Fitted | None, X: np.ndarray) -> np.ndarray:
    """The pipeline's own steps, done with NumPy from the fitted values when there are some.

    The same operations on the same float64 values, in arrays laid out the same way (log1p
    may round differently on a strided array), give the same bits without scikit-learn's
    checks and copies at every step: about half the time on a million rows.
    """
    if fitted is None or X.dtype != np.float64 or X.shape[1:] != fitted.medians.shape:
        return preprocessor.transform(X)
    filled = np.where(np.isnan(X), fitted.medians, X)
    logged = filled[:, fitted.log_columns]  # the array the column transformer's log1p gets
    np.log1p(logged, out=logged)
    out = np.empty(X.shape)
    out[:, : len(fitted.log_columns)] = logged
    out[:, len(fitted.log_columns) :] = filled[:, fitted.keep_columns]
    out -= fitted.means
    out /= fitted.scales
    if not np.isfinite(out).all():  # scikit-learn refuses infinities: let it say so
        return preprocessor.transform(X)
    return out


def _fitted_values(preprocessor: Pipeline) -> _Fitted | None:
    """The fitted values of a pipeline exactly as `build_preprocessor` makes it, else None."""
    while isinstance(preprocessor, Pipeline) and len(preprocessor.steps) == 1:
        preprocessor = preprocessor.steps[0][1]  # a model's `pipeline[:-1]` wraps it so
    steps = dict(preprocessor.steps) if isinstance(preprocessor, Pipeline) else {}
    impute, shape, scale = (steps.get(name) for name in ("impute", "shape", "scale"))
    if len(steps) != 3 or sklearn.get_config()["transform_output"] != "default":
        return None
    if not (_is_median_imputer(impute) and _is_standard_scaler(scale)):
        return None
    if not (isinstance(shape, ColumnTransformer) and hasattr(shape, "transformers_")):
        return None
    parts = [(name, step, list(cols)) for name, step, cols in shape.transformers_]
    parts = [part for part in parts if not (isinstance(part[1], str) and part[1] == "drop")]
    log_idx = [FEATURE_COLUMNS.index(c) for c in LOG_COLUMNS]
    keep_idx = [i for i in range(len(FEATURE_COLUMNS)) if i not in log_idx]
    if [(name, cols) for name, _, cols in parts] != [("log1p", log_idx), ("keep", keep_idx)]:
        return None
    if not (_applies(parts[0][1], np.log1p) and _applies(parts[1][1], None)):
        return None
    medians, means, scales = impute.statistics_, scale.mean_, scale.scale_
    shape_of = (len(FEATURE_COLUMNS),)
    if not all(isinstance(a, np.ndarray) and a.shape == shape_of for a in (medians, means, scales)):
        return None
    if not np.isfinite(medians).all():
        return None  # a column without values: scikit-learn drops it
    return _Fitted(medians, log_idx, keep_idx, means, scales)


# Exact types below (not subclasses, which may transform otherwise); isinstance for mypy.
def _is_median_imputer(step: object) -> TypeGuard[SimpleImputer]:
    return (
        isinstance(step, SimpleImputer)
        and type(step) is SimpleImputer
        and hasattr(step, "statistics_")
        and isinstance(step.missing_values, float)
        and bool(np.isnan(step.missing_values))
        and step.strategy == "median"
        and not step.add_indicator
    )


def _is_standard_scaler(step: object) -> TypeGuard[StandardScaler]:
    return (
        isinstance(step, StandardScaler)
        and type(step) is StandardScaler
        and hasattr(step, "mean_")
        and hasattr(step, "scale_")
        and bool(step.with_mean and step.with_std)
    )


def _applies(step: object, func: object) -> bool:
    """Whether a fitted column-transformer step applies `func` alone (None: passes through)."""
    if isinstance(step, str):
        return step == "passthrough" and func is None
    return (
        isinstance(step, FunctionTransformer)
        and type(step) is FunctionTransformer
        and step.func is func
        and not step.kw_args
        and not step.validate
    )
