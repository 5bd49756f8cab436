"""The Python API: read a customer file, segment it, score new customers, compare algorithms.

Every function takes the customers as `load_customers` returns them or as a canonical Polars
frame (the CC GENERAL columns under their canonical names, `CUST_ID` first), and raises
`InputError`, a sentence about the data, when they cannot be used.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from segmenter.cluster.selection import K_RANGE
from segmenter.comparison import ComparisonRun, run_comparison, write_comparison
from segmenter.ingest import read
from segmenter.ingest.limits import limits_from_env
from segmenter.ingest.quality import LoadedCustomers
from segmenter.model import fitted
from segmenter.model.fitted import SegmentModel
from segmenter.pipeline import Segmentation, run_segmentation, write_segmentation
from segmenter.progress import Progress, quiet

__all__ = ["compare", "load_customers", "load_model", "save", "score", "segment"]

Customers = LoadedCustomers | pl.DataFrame
PathLike = str | os.PathLike[str]


def _frame(customers: Customers) -> pl.DataFrame:
    return customers.frame if isinstance(customers, LoadedCustomers) else customers


def _source(customers: Customers) -> str:
    return customers.report.source if isinstance(customers, LoadedCustomers) else "input"


def load_customers(path: PathLike) -> LoadedCustomers:
    """Read, map and check a CSV, Parquet or Excel file: `.frame` and its quality `.report`.

    Reading is bounded by the SEGMENTER_MAX_* limits of the environment (see ingest.limits).
    """
    return read.load_customers(Path(path), limits=limits_from_env())


def segment(
    customers: Customers,
    *,
    algorithm: str = "kmeans",
    k: int | None = None,
    seed: int = 0,
    progress: Progress = quiet,
) -> Segmentation:
    """Segment the customers: a segment per customer, the run's profile and its fitted model.

    `k=None` chooses k from 3 to 8 (for the methods that take one) and says why in
    `.profile.k_selection.explanation`. The same customers and seed give the same segments,
    with the same ids and names.
    """
    return run_segmentation(
        _frame(customers),
        algorithm=algorithm,
        k=k,
        seed=seed,
        source=_source(customers),
        progress=progress,
    )


def score(model: SegmentModel | Segmentation, customers: Customers) -> pl.DataFrame:
    """Segment, name, confidence and runner-up segment of every customer, by a fitted model."""
    fitted_model = model.model if isinstance(model, Segmentation) else model
    return fitted.score(fitted_model, _frame(customers))


def compare(
    customers: Customers,
    *,
    k: int | None = None,
    seed: int = 0,
    k_range: tuple[int, int] = K_RANGE,
) -> ComparisonRun:
    """Fit every algorithm at one k (chosen with K-Means when None): `.table()` ranks them."""
    return run_comparison(_frame(customers), k=k, seed=seed, k_range=k_range)


def load_model(path: PathLike) -> SegmentModel:
    """Read a model.skops written by `save` or `segmenter segment`; refuse any other file."""
    return fitted.load_model(Path(path))


def save(run: Segmentation | ComparisonRun, out_dir: PathLike) -> None:
    """Write a run's files into `out_dir`, exactly as the command line does.

    A segmentation writes assignments.csv, profiles.json, model.skops and book.json (what
    `narratives.write_brief` reads); a comparison writes comparison.csv and agreement.csv.
    """
    if isinstance(run, Segmentation):
        write_segmentation(run, Path(out_dir))
    else:
        write_comparison(run, Path(out_dir))
