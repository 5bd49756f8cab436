"""How surely each customer belongs to their segment, in Spark expressions.

The single-machine measure (segmenter.model.fitted.assignment_confidence): d2 / (d1 + d2),
where d1 is the distance of a customer's transformed row to their own segment's centre (the
mean transformed row of its customers) and d2 to the nearest other centre; 1 at the own
centre, 0.5 half-way, rounded to 4 decimals; null when there is a single segment. Scoring
adds the runner-up, the nearest other segment, as the single-machine `score` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from segmenter.spark.features import FEATURES

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["confidence", "runner_up", "segment_centres"]


def segment_centres(labelled: DataFrame, segment: str, k: int) -> list[list[float]]:
    """The mean transformed row of each segment 0..k-1."""
    from pyspark.ml.stat import Summarizer
    from pyspark.sql import functions as F

    rows = labelled.groupBy(segment).agg(Summarizer.mean(F.col(FEATURES)).alias("centre"))
    found = {int(r[segment]): r["centre"].toArray() for r in rows.collect()}
    return [np.asarray(found[s], dtype=float).tolist() for s in range(k)]


def _distances_away(centres: Sequence[Sequence[float]], segment: Column) -> tuple[Column, Column]:
    """Each row's distance to its own segment's centre, and the array of its distances to the
    centres with its own set to infinity (so that its minimum is the nearest other one)."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    x = vector_to_array(F.col(FEATURES))
    distances = [
        F.sqrt(sum(((x[i] - float(c)) ** 2 for i, c in enumerate(centre)), F.lit(0.0)))
        for centre in centres
    ]
    own = F.array(*distances)[segment]
    away = [F.when(segment == s, F.lit(float("inf"))).otherwise(d) for s, d in enumerate(distances)]
    return own, F.array(*away)


def confidence(centres: Sequence[Sequence[float]], segment: Column) -> Column:
    """Each row's confidence in `segment`, from its `FEATURES` vector."""
    from pyspark.sql import functions as F

    if len(centres) < 2:
        return F.lit(None).cast("double")
    own, away = _distances_away(centres, segment)
    others = F.array_min(away)  # the nearest other segment's centre
    return F.round(F.try_divide(others, own + others), 4)  # null, as NaN is, at 0 / 0


def runner_up(centres: Sequence[Sequence[float]], segment: Column) -> Column:
    """Each row's nearest other segment (the lower id on a tie, as NumPy's argmin); null when
    there is a single segment."""
    from pyspark.sql import functions as F

    if len(centres) < 2:
        return F.lit(None).cast("long")
    _, away = _distances_away(centres, segment)
    return (F.array_position(away, F.array_min(away)) - 1).cast("long")  # positions from 1
