"""Benchmark `segmenter segment` against the notebook baseline on synthetic customers.

    make bench                                   # N = 100k and 1M
    python -m benchmarks --sizes 10M             # one size at a time
    python -m benchmarks --sizes 1M --auto-k --compare   # the other 1M targets
    python -m benchmarks --stream-100m           # 100M rows from Parquet, streamed, once

For each N, one CSV of synthetic customers is made, then our CLI (`segment FILE --algorithm
kmeans --k 4`) and the baseline (benchmarks/notebook_baseline.py) run on it alternately, each
in a fresh child process so its peak RSS is its own (`wait4`), `--repeats` times. Times are
medians; the speedup is baseline / ours from the same session (the machine is shared, so only
ratios measured side by side mean much). Silhouettes of both segmentations are measured in one
reference feature space (log1p on money and counts, standard scaling, fitted on a fixed sample)
on the same fixed 20,000 customers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

REF_SEED = 12_345
SILHOUETTE_SAMPLE = 20_000
REFERENCE_FIT_ROWS = 200_000
SIZES = {"100k": 100_000, "1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}


@dataclass(frozen=True)
class Child:
    seconds: float
    peak_mib: float


# A small launcher between us and the measured command. Linux carries a process's peak RSS
# across fork and exec, so a command started straight from this (large) process would report
# at least our own size; started from a fresh small interpreter, it reports its own.
LAUNCH = (
    "import os, subprocess, sys, time; t = time.perf_counter(); "
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "_, s, u = os.wait4(p.pid, 0); "
    "print(os.waitstatus_to_exitcode(s), time.perf_counter() - t, u.ru_maxrss)"
)


def run_child(command: list[str]) -> Child:
    """Run a command to completion in a fresh child: its wall time and its own peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, *command], capture_output=True, text=True, check=True
    )
    code, seconds, kib = done.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return Child(float(seconds), int(kib) / 1024)  # Linux reports KiB


def make_customers(rows: int, directory: Path, *, suffix: str = ".csv") -> Path:
    """A synthetic file of `rows` customers (seed 1), made once and reused."""
    path = directory / f"customers_{rows}{suffix}"
    if not path.exists():
        print(f"  making {rows:,} synthetic customers -> {path}", file=sys.stderr)
        sample = [sys.executable, "-m", "segmenter", "sample", "--rows", str(rows)]
        run_child([*sample, "--seed", "1", "--out", str(path)])
    return path


def ours(path: Path, out: Path) -> list[str]:
    segment = [sys.executable, "-m", "segmenter", "segment", str(path), "--out", str(out)]
    return [*segment, "--algorithm", "kmeans", "--k", "4"]


def baseline(path: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.notebook_baseline", str(path), str(out)]


def reference_silhouettes(
    path: Path, labelled: dict[str, tuple[Path, str, str]]
) -> dict[str, float]:
    """Silhouette of each labelling on the same 20k customers in one reference space."""
    from sklearn.metrics import silhouette_score

    from segmenter.features import build_preprocessor, feature_matrix
    from segmenter.io import load_customers
    from segmenter.schema import ID_COLUMN

    frame = load_customers(path).frame
    rng = np.random.default_rng(REF_SEED)
    fit_rows = np.sort(rng.choice(frame.height, min(frame.height, REFERENCE_FIT_ROWS), False))
    rows = np.sort(rng.choice(frame.height, min(frame.height, SILHOUETTE_SAMPLE), False))
    reference = build_preprocessor().fit(feature_matrix(frame[fit_rows]))
    sample = frame[rows]
    X = reference.transform(feature_matrix(sample))
    ids = sample.select(pl.col(ID_COLUMN).alias("id"))
    scores = {}
    for name, (file, id_column, label_column) in labelled.items():
        labels = pl.read_csv(
            file, columns=[id_column, label_column], schema_overrides={id_column: pl.String}
        )
        joined = ids.join(
            labels.rename({id_column: "id", label_column: "label"}), on="id", how="left"
        )
        scores[name] = float(silhouette_score(X, joined["label"].to_numpy()))
    return scores


def bench_size(label: str, rows: int, directory: Path, repeats: int) -> dict[str, object]:
    path = make_customers(rows, directory)
    runs: dict[str, list[Child]] = {"ours": [], "baseline": []}
    outs = {"ours": directory / f"ours_{rows}", "baseline": directory / f"base_{rows}"}
    for repeat in range(repeats):
        # Alternate, and swap who goes first each time: drift on a shared machine hits both.
        order = ("ours", "baseline") if repeat % 2 == 0 else ("baseline", "ours")
        for who in order:
            command = ours if who == "ours" else baseline
            runs[who].append(run_child(command(path, outs[who])))
            print(f"  {label} {who} #{repeat + 1}: {runs[who][-1].seconds:.1f} s, "
                  f"{runs[who][-1].peak_mib:,.0f} MiB", file=sys.stderr)  # fmt: skip
    silhouettes = reference_silhouettes(
        path,
        {
            "ours": (outs["ours"] / "assignments.csv", "customer_id", "segment"),
            "baseline": (outs["baseline"] / "assignments.csv", "CUST_ID", "cluster"),
        },
    )
    ours_s = statistics.median(c.seconds for c in runs["ours"])
    base_s = statistics.median(c.seconds for c in runs["baseline"])
    return {
        "N": label,
        "ours s": ours_s,
        "baseline s": base_s,
        "speedup": base_s / ours_s,
        "ours peak MiB": max(c.peak_mib for c in runs["ours"]),
        "baseline peak MiB": max(c.peak_mib for c in runs["baseline"]),
        "silhouette ours": silhouettes["ours"],
        "silhouette baseline": silhouettes["baseline"],
        "silhouette ratio": silhouettes["ours"] / silhouettes["baseline"],
    }


def print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    formats = {"N": "{}", "speedup": "{:.1f}x", "silhouette ratio": "{:.3f}"}
    cells = [
        [
            formats.get(
                c, "{:,.0f}" if "MiB" in c else "{:.1f}" if c.endswith(" s") else "{:.3f}"
            ).format(row[c])
            for c in columns
        ]
        for row in rows
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---:" for _ in columns) + "|")
    for line in cells:
        print("| " + " | ".join(line) + " |")


def bench_extra(directory: Path, *, auto_k: bool, compare: bool) -> None:
    """The other 1M targets: auto-k (< 30 s) and compare of all seven (< 5 min); one run each."""
    path = make_customers(SIZES["1M"], directory)
    segment = [sys.executable, "-m", "segmenter", "segment", str(path)]
    if auto_k:
        child = run_child([*segment, "--out", str(directory / "auto_k"), "--k", "auto"])
        print(f"| segment --k auto, 1M | {child.seconds:.1f} s | {child.peak_mib:,.0f} MiB | "
              "target < 30 s |")  # fmt: skip
    if compare:
        command = [sys.executable, "-m", "segmenter", "compare", str(path), "--k", "4"]
        child = run_child([*command, "--out", str(directory / "compare")])
        print(f"| compare (7 algorithms, k=4), 1M | {child.seconds:.1f} s | "
              f"{child.peak_mib:,.0f} MiB | target < 300 s |")  # fmt: skip


def bench_stream(directory: Path, rows: int) -> None:
    """Segment `rows` customers from a chunked Parquet file by streaming; time and peak RSS."""
    path = make_customers(rows, directory, suffix=".parquet")
    command = [sys.executable, "-m", "segmenter", "segment", str(path), "--k", "4", "--stream"]
    child = run_child([*command, "--out", str(directory / f"stream_{rows}")])
    print(f"| streamed segment, {rows:,} rows (Parquet) | {child.seconds:.0f} s | "
          f"{child.peak_mib:,.0f} MiB | target < 16,384 MiB |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated: 100k, 1M, 10M")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="keep and reuse files here")
    parser.add_argument("--auto-k", action="store_true", help="time segment --k auto on 1M")
    parser.add_argument("--compare", action="store_true", help="time compare on 1M")
    parser.add_argument("--stream-100m", action="store_true", help="stream 100M rows once")
    parser.add_argument("--stream-rows", type=int, default=SIZES["100M"])
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES or s == "100M"]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; use 100k, 1M, 10M (100M: --stream-100m)")
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.dir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        print(f"segment --algorithm kmeans --k 4 vs the notebook baseline, "
              f"median of {args.repeats}, {os.cpu_count()} cores")  # fmt: skip
        rows = [bench_size(s, SIZES[s], directory, args.repeats) for s in sizes]
        print_table(rows)
        if args.auto_k or args.compare or args.stream_100m:
            print("\n| run | time | peak RSS | target |\n|---|---:|---:|---|")
        if args.auto_k or args.compare:
            bench_extra(directory, auto_k=args.auto_k, compare=args.compare)
        if args.stream_100m:
            bench_stream(directory, args.stream_rows)


if __name__ == "__main__":
    main()
