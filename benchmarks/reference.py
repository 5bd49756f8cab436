"""Measure segmentations of one file the same way, whoever made them and however large the file.

One reference feature space (median fill, log1p on money and counts, standard scaling; the
single-machine preprocessing) is fitted on `REFERENCE_FIT_ROWS` customers drawn with a fixed
seed; the silhouette of every labelling is measured in it on the same `SILHOUETTE_ROWS`
customers, and the agreement of two labellings (adjusted Rand index) on those customers too.
The file is scanned, never read whole, so 100M customers measure as 10k do.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl

from segmenter.cluster.features import build_preprocessor, feature_matrix
from segmenter.ingest.schema import ID_COLUMN

REF_SEED = 12_345
SILHOUETTE_ROWS = 20_000
REFERENCE_FIT_ROWS = 200_000


@dataclass(frozen=True)
class Measured:
    silhouettes: dict[str, float]  # by labelling's name
    agreement: dict[tuple[str, str], float]  # adjusted Rand index of each pair


def _scan(path: Path) -> pl.LazyFrame:
    if path.suffix == ".parquet":
        return pl.scan_parquet(path)
    return pl.scan_csv(path, schema_overrides={ID_COLUMN: pl.String})


def _rows(path: Path, positions: np.ndarray) -> pl.DataFrame:
    """The customers at these row positions of the file, in file order."""
    wanted = pl.Series(positions, dtype=pl.UInt32)
    scan = _scan(path).with_row_index("__row").filter(pl.col("__row").is_in(wanted))
    frame = scan.drop("__row").collect(engine="streaming")  # 100M rows: never all in memory
    return frame.with_columns(pl.col(ID_COLUMN).cast(pl.String))


def labels_of(run_dir: Path, id_column: str, label_column: str) -> pl.LazyFrame:
    """A run's segment of each customer (`id`, `label`): its assignments.csv, or the partitioned
    Parquet folder a Spark run writes by default."""
    csv = run_dir / "assignments.csv"
    if csv.exists():
        scan = pl.scan_csv(csv, schema_overrides={id_column: pl.String})
    else:
        parts = str(run_dir / "assignments" / "**" / "*.parquet")
        scan = pl.scan_parquet(parts, hive_partitioning=True)
    return scan.select(
        pl.col(id_column).cast(pl.String).alias("id"),
        pl.col(label_column).cast(pl.Int64).alias("label"),
    )


def measure(path: Path, n_rows: int, labelled: dict[str, pl.LazyFrame]) -> Measured:
    """Silhouettes of every labelling and the agreement of every pair, on the fixed customers."""
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    rng = np.random.default_rng(REF_SEED)
    fit_rows = np.sort(rng.choice(n_rows, min(n_rows, REFERENCE_FIT_ROWS), replace=False))
    rows = np.sort(rng.choice(n_rows, min(n_rows, SILHOUETTE_ROWS), replace=False))
    reference = build_preprocessor().fit(feature_matrix(_rows(path, fit_rows)))
    sample = _rows(path, rows)
    X = reference.transform(feature_matrix(sample))
    ids = sample.select(pl.col(ID_COLUMN).alias("id"))
    labels = {}
    for name, scan in labelled.items():
        found = scan.join(ids.lazy(), on="id", how="semi").collect(engine="streaming")
        joined = ids.join(found, on="id", how="left")
        if joined.get_column("label").null_count():
            raise SystemExit(f"{name}: {joined['label'].null_count()} sampled customers unlabelled")
        labels[name] = joined.get_column("label").to_numpy()
    silhouettes = {name: float(silhouette_score(X, got)) for name, got in labels.items()}
    agreement = {
        (a, b): float(adjusted_rand_score(labels[a], labels[b])) for a, b in combinations(labels, 2)
    }
    return Measured(silhouettes, agreement)
