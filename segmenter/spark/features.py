"""The single-machine preprocessing as a `pyspark.ml` Pipeline: median imputation, log1p on
the same columns, standard scaling (segmenter.cluster.features).

Two differences, both stated where they matter: Spark's Imputer finds medians with an
approximate quantile (relative error `MEDIAN_ERROR`), and its StandardScaler divides by the
sample standard deviation (n - 1) where scikit-learn's divides by the population one (n); the
latter scales every column by the same factor, which moves no customer between segments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segmenter.cluster.features import LOG_COLUMNS, TRANSFORMED_COLUMNS
from segmenter.ingest.schema import FEATURE_COLUMNS

if TYPE_CHECKING:
    from pyspark.ml import Estimator, Transformer

__all__ = ["FEATURES", "MEDIAN_ERROR", "filled", "preprocessing_stages", "shaped"]

FEATURES = "features"  # the scaled feature vector, in TRANSFORMED_COLUMNS order
MEDIAN_ERROR = 0.0001  # relative rank error of the imputed medians
_UNSCALED = "__unscaled"


def filled(name: str) -> str:
    """The imputed copy of a feature column."""
    return f"__filled_{name}"


def shaped(name: str) -> str:
    """The log1p (or passed-through) copy of a feature column."""
    return f"__shaped_{name}"


def _quoted(name: str) -> str:
    return f"`{name}`"


def preprocessing_stages() -> list[Estimator | Transformer]:  # type: ignore[type-arg]
    """Unfitted stages from the canonical columns to the `FEATURES` vector."""
    from pyspark.ml.feature import Imputer, SQLTransformer, StandardScaler, VectorAssembler

    impute = Imputer(
        strategy="median",
        inputCols=list(FEATURE_COLUMNS),
        outputCols=[filled(c) for c in FEATURE_COLUMNS],
        relativeError=MEDIAN_ERROR,
    )
    shapes = ", ".join(
        f"{'LOG1P(' + _quoted(filled(c)) + ')' if c in LOG_COLUMNS else _quoted(filled(c))}"
        f" AS {_quoted(shaped(c))}"
        for c in TRANSFORMED_COLUMNS
    )
    shape = SQLTransformer(statement=f"SELECT *, {shapes} FROM __THIS__")
    assemble = VectorAssembler(
        inputCols=[shaped(c) for c in TRANSFORMED_COLUMNS], outputCol=_UNSCALED
    )
    scale = StandardScaler(inputCol=_UNSCALED, outputCol=FEATURES, withMean=True, withStd=True)
    return [impute, shape, assemble, scale]
