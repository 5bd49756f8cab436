"""Every algorithm at one k on one frame, and the comparison.csv and agreement.csv files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from threadpoolctl import threadpool_limits

from segmenter.cluster.evaluation import N_BOOTSTRAPS
from segmenter.cluster.features import build_preprocessor, feature_matrix, transform_features
from segmenter.cluster.selection import (
    COMPARISON_COLUMNS,
    K_RANGE,
    Comparison,
    choose_k,
    compare_algorithms,
)
from segmenter.files import csv_bytes, write_all
from segmenter.pipeline import check_request, in_canonical_order
from segmenter.progress import Progress, quiet
from segmenter.results import KChoice
from segmenter.sampling import COMPARE_ROWS, Purpose, sample_rows

__all__ = ["ComparisonRun", "run_comparison", "write_comparison"]

# k=auto in a comparison is chosen with K-Means: cheap, stable, and the literature's reference.
REFERENCE_ALGORITHM = "kmeans"


@dataclass(frozen=True)
class ComparisonRun:
    """The comparison, and how its k was chosen when it was chosen automatically."""

    comparison: Comparison
    k_selection: KChoice | None
    note: str | None = None  # how many customers were compared, when a sample of the book

    def table(self) -> pl.DataFrame:
        """comparison.csv as a frame: one row per algorithm, the contract's columns in order."""
        kinds = {"algorithm": pl.String, "k": pl.Int64, "verdict": pl.String}
        schema = {c: kinds.get(c, pl.Float64) for c in COMPARISON_COLUMNS}
        return pl.DataFrame(self.comparison.rows(), schema=schema).select(COMPARISON_COLUMNS)

    def agreement(self) -> pl.DataFrame:
        """agreement.csv as a frame: adjusted Rand index between every pair of algorithms."""
        names = list(self.comparison.evaluations)
        matrix = self.comparison.agreement()
        columns = {name: [row[j] for row in matrix] for j, name in enumerate(names)}
        return pl.DataFrame({"algorithm": names} | columns)


def run_comparison(
    frame: pl.DataFrame,
    *,
    k: int | None = None,
    seed: int = 0,
    k_range: tuple[int, int] = K_RANGE,
    n_bootstraps: int = N_BOOTSTRAPS,
    progress: Progress = quiet,
    source: str = "input",
) -> ComparisonRun:
    """Run every registered algorithm at k (chosen with K-Means when None) and score each.

    Above `COMPARE_ROWS` customers every algorithm is compared on the same seeded sample of
    that many, so each score and the agreement between methods are measured on the same
    customers; `note` says so. The customers are put in id order first (see
    `pipeline.in_canonical_order`): a copy with its rows reordered compares the same.
    """
    frame, _ = in_canonical_order(frame)
    check_request(frame, k=k, k_range=k_range, source=source)
    rows = sample_rows(frame.height, COMPARE_ROWS, seed=seed, purpose=Purpose.COMPARE)
    note = None
    if rows.size < frame.height:
        note = (
            f"Every algorithm was compared on the same random sample of {rows.size:,} of "
            f"{frame.height:,} customers (compare writes no assignments; segment assigns "
            "every customer)."
        )
        frame = frame[rows]
    with threadpool_limits(limits=1):  # see run_segmentation
        raw = feature_matrix(frame)
        X = transform_features(build_preprocessor().fit(raw), raw)
        choice: KChoice | None = None
        done = {}
        if k is None:
            choice, reference = choose_k(
                X, REFERENCE_ALGORITHM, seed=seed, k_range=k_range, n_bootstraps=n_bootstraps,
                progress=progress,
            )  # fmt: skip
            k = choice.chosen
            done[REFERENCE_ALGORITHM] = reference
        comparison = compare_algorithms(
            X, k=k, seed=seed, n_bootstraps=n_bootstraps, done=done, progress=progress
        )
    return ComparisonRun(comparison=comparison, k_selection=choice, note=note)


def write_comparison(run: ComparisonRun, out_dir: Path) -> None:
    """Write comparison.csv and agreement.csv into `out_dir`: atomic and spreadsheet-safe."""
    write_all(
        {
            out_dir / "comparison.csv": csv_bytes(run.table()),
            out_dir / "agreement.csv": csv_bytes(run.agreement()),
        }
    )
