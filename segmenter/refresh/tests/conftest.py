"""Toy runs for the refresh tests, each fitted once per session."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import polars as pl
import pytest

from segmenter.pipeline import Segmentation, run_segmentation
from testkit.segmenter_fixtures import toy_frame

Fit = Callable[..., tuple[pl.DataFrame, Segmentation]]


@pytest.fixture(scope="session")
def fit() -> Fit:
    """fit(sizes, k, seed=..., algorithm=..., spread=...): a toy frame and its run, cached.

    `seed` jitters the toy customers (a month later is another draw of the same people); the
    run's own seed is always 0.
    """

    @cache
    def fitted(
        sizes: tuple[int, ...],
        k: int | None,
        *,
        seed: int = 0,
        algorithm: str = "kmeans",
        spread: float = 0.05,
    ) -> tuple[pl.DataFrame, Segmentation]:
        frame = toy_frame(sizes, seed=seed, spread=spread)
        return frame, run_segmentation(frame, algorithm=algorithm, k=k, seed=0, n_bootstraps=2)

    return fitted
