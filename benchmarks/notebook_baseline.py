"""The notebook baseline, faithfully: the pipeline users run on this data without our product.

pandas `read_csv`, median fill, log1p, `StandardScaler`, `KMeans(n_clusters=4, n_init=10)`,
group-by means, CSV out. log1p goes on the same skewed money and count columns as ours, so the
benchmark compares the two pipelines' speed and fit, not two choices of features.

Run:  python -m benchmarks.notebook_baseline FILE.csv OUT_DIR [--seed 0]
It writes OUT_DIR/assignments.csv (CUST_ID, cluster) and OUT_DIR/cluster_means.csv.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

# As in segmenter.ingest.schema; spelled out so the baseline imports nothing of ours.
LOG_COLUMNS = [
    "BALANCE", "PURCHASES", "ONEOFF_PURCHASES", "INSTALLMENTS_PURCHASES", "CASH_ADVANCE",
    "CASH_ADVANCE_TRX", "PURCHASES_TRX", "CREDIT_LIMIT", "PAYMENTS", "MINIMUM_PAYMENTS",
]  # fmt: skip


def run(path: Path, out_dir: Path, *, seed: int = 0) -> None:
    """The notebook, cell by cell."""
    df = pd.read_csv(path)
    features = df.drop(columns=["CUST_ID"])
    features = features.fillna(features.median())
    features[LOG_COLUMNS] = np.log1p(features[LOG_COLUMNS])
    scaled = StandardScaler().fit_transform(features)
    kmeans = KMeans(n_clusters=4, n_init=10, random_state=seed)
    df["cluster"] = kmeans.fit_predict(scaled)
    means = df.drop(columns=["CUST_ID"]).groupby("cluster").mean()
    out_dir.mkdir(parents=True, exist_ok=True)
    df[["CUST_ID", "cluster"]].to_csv(out_dir / "assignments.csv", index=False)
    means.to_csv(out_dir / "cluster_means.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run(args.file, args.out_dir, seed=args.seed)


if __name__ == "__main__":
    main()
