"""Seeded row samples, and the sizes above which the pipeline fits and measures on one.

Below every threshold the pipeline uses all rows, exactly as it always did; above one, the
work that would grow with the number of customers (fitting, scoring quality, bootstraps,
choosing k, profiling) runs on a seeded uniform sample, and every customer is still assigned
a segment. Each purpose draws from its own stream of the seed, so samples are independent
of each other and the same seed always gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from enum import IntEnum
from typing import TypeVar

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = [
    "CHOOSE_K_ROWS",
    "COMPARE_ROWS",
    "FIT_ROWS",
    "METRIC_ROWS",
    "PREPROCESS_ROWS",
    "PROFILE_ROWS",
    "RULE_ROWS",
    "STABILITY_ROWS",
    "WORKERS",
    "Purpose",
    "in_background",
    "parallel_map",
    "sample_rows",
]

# The preprocessing (medians, means, spreads) is fitted on a sample of this many rows above it.
PREPROCESS_ROWS = 50_000
# K-Means, GMM and BIRCH fit on a sample of this many rows above it, then assign every row.
FIT_ROWS = 50_000
# Calinski-Harabasz and Davies-Bouldin are linear, but cost memory: a sample above this.
METRIC_ROWS = 200_000
# Bootstrap refits are judged on this many rows (every row below it).
STABILITY_ROWS = 50_000
# Candidate numbers of segments are scored on this many rows; the chosen k is fitted in full.
CHOOSE_K_ROWS = 50_000
# Segment statistics and rules come from this many rows; sizes and shares count every row.
PROFILE_ROWS = 50_000
# Rule trees grow on this many of those rows; a rule's precision is counted on all of them.
RULE_ROWS = 20_000
# `compare` evaluates every algorithm on one sample of this many customers above it: it writes
# no assignments, and its scores are measured on samples no larger than this anyway.
COMPARE_ROWS = 200_000
# Independent jobs (bootstrap refits) run on this many threads, each single-threaded inside:
# the result does not depend on the thread count, and two cores are what the machine has.
WORKERS = 2


class Purpose(IntEnum):
    """Which sample: each purpose has its own stream of the seed."""

    FIT = 1
    METRICS = 2
    STABILITY = 3
    CHOOSE_K = 4
    PROFILE = 5
    PREPROCESS = 6
    COMPARE = 7
    RULES = 8


def sample_rows(n_rows: int, size: int, *, seed: int, purpose: Purpose) -> np.ndarray:
    """`size` distinct row indices of `n_rows`, sorted; all rows when `n_rows <= size`."""
    if n_rows <= size:
        return np.arange(n_rows)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(purpose),)))
    return np.sort(rng.choice(n_rows, size=size, replace=False))


T = TypeVar("T")
R = TypeVar("R")


def _one_thread() -> threadpool_limits:
    """One OpenMP thread for the calling thread only.

    OpenMP's limit belongs to each thread, so workers set their own. BLAS's is one setting for
    the whole process: the entry points (`run_segmentation`, `run_comparison`, the streamed
    assignment) set it around all their work; workers entering and leaving it at once would
    race and could leave it changed for good.
    """
    return threadpool_limits(limits=1, user_api="openmp")


def in_background(work: Callable[[], R]) -> Callable[[], R]:
    """Start `work` on its own single-threaded thread; call the result to wait for its value."""
    pool = ThreadPoolExecutor(max_workers=1)

    def single() -> R:
        with _one_thread():
            return work()

    future = pool.submit(single)
    pool.shutdown(wait=False)
    return future.result


def parallel_map(work: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """`map(work, items)` on `WORKERS` threads, results in input order.

    Each job runs with one OpenMP thread, and BLAS is held to one by the caller (native code
    releases the GIL, so the jobs really overlap); a job's result is the same as it would be
    run alone.
    """

    def single(item: T) -> R:
        with _one_thread():
            return work(item)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        yield from pool.map(single, items)
