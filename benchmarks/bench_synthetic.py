"""Benchmark the synthetic generator: 1M-row generation time, 100M-row Parquet time and peak memory.

Run on demand:  .venv/bin/python benchmarks/bench_synthetic.py [--parquet-rows 100000000]

Machines here are shared, so times come with a baseline measured in the same run (drawing the
same number of raw normals with numpy) and are the median of several repetitions. The big
Parquet write runs in a child process so its peak RSS is its own; a child that writes one chunk
gives the fixed cost (interpreter, Polars, NumPy, SciPy, PyArrow) to compare against.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from segmenter.synthetic.calibration import FACTORS
from segmenter.synthetic.generate import CHUNK_ROWS, generate_customers

WRITE = "from pathlib import Path; import sys; "
WRITE += "from segmenter.synthetic.generate import write_customers; "
WRITE += "write_customers(Path(sys.argv[1]), rows=int(sys.argv[2]), seed=1)"


def _median_seconds(work: Callable[[], object], *, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _child_write(path: Path, rows: int) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of a child process writing `rows` customers to `path`."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", WRITE, str(path), str(rows)])
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"writing {rows:,} rows failed")
    return seconds, usage.ru_maxrss / 1024  # Linux reports KiB


def bench_generation(rows: int, *, repeats: int) -> None:
    width = len(FACTORS) + 2
    baseline = _median_seconds(
        lambda: np.random.default_rng(0).standard_normal((rows, width)), repeats=repeats
    )
    generation = _median_seconds(lambda: generate_customers(rows, seed=1), repeats=repeats)
    print(f"generate {rows:,} rows: {generation:.2f} s (median of {repeats}; target < 10 s)")
    print(f"  baseline, numpy drawing {rows:,} x {width} normals: {baseline:.2f} s")
    print(f"  ratio generation / baseline: {generation / baseline:.1f}x")


def bench_parquet(rows: int, directory: Path) -> None:
    path = directory / "customers.parquet"
    fixed_seconds, fixed_rss = _child_write(directory / "one_chunk.parquet", CHUNK_ROWS)
    seconds, rss = _child_write(path, rows)
    size = path.stat().st_size / 2**30
    print(f"write {rows:,} rows to Parquet in chunks: {seconds:.0f} s, {size:.1f} GiB on disk")
    print(f"  throughput: {rows / seconds / 1e6:.2f} M rows/s")
    print(f"  peak RSS: {rss:,.0f} MiB (target < 2,048 MiB)")
    print(
        f"  baseline, one chunk ({CHUNK_ROWS:,} rows): {fixed_seconds:.1f} s, {fixed_rss:,.0f} MiB"
    )
    print(f"  peak RSS above the one-chunk baseline: {rss - fixed_rss:,.0f} MiB")
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="rows for the generation timing"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parquet-rows", type=int, default=100_000_000)
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    args = parser.parse_args()
    bench_generation(args.rows, repeats=args.repeats)
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        bench_parquet(args.parquet_rows, Path(directory))


if __name__ == "__main__":
    main()
