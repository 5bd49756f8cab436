"""Benchmark `segmenter segment` against the notebook baseline on synthetic customers.

    make bench                                   # everything: about 2 hours on 2 cores
    python -m benchmarks --sizes 1M --skip stream,app,upload    # a quicker look
    python -m benchmarks --sizes "" --skip auto-k,compare,app,upload --stream-rows 1000000

Everything: N = 100k, 1M and 10M against the baseline; `segment --k auto` and `compare` on
1M; 100M customers streamed from a chunked Parquet file; one machine against Spark local[2]
on the 10M and 100M files (benchmarks/engines.py); the app's responsiveness in Chromium
(benchmarks/app.py); and the app from an upload of the 1M file to its personas, beside
`segment` on the same file with the app's settings. It ends with three tables: the
comparison by size, the two engines, and every target with what was measured.

For each N, one CSV of synthetic customers is made, then our CLI (`segment FILE --algorithm
kmeans --k 4`) and the baseline (benchmarks/notebook_baseline.py) run on it alternately, each
in a fresh child process so its peak memory is its own (benchmarks/launch.py), `--repeats`
times. Times are medians; the speedup is baseline / ours from the same session (the machine
is shared, so only ratios measured side by side mean much). Silhouettes of both segmentations
are measured in one reference feature space on the same fixed 20,000 customers
(benchmarks/reference.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from benchmarks.engines import bench_engines
from benchmarks.launch import Child, run_child
from benchmarks.reference import labels_of, measure

SIZES = {"100k": 100_000, "1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}
# Besides the sizes; each can be skipped.
PARTS = ("auto-k", "compare", "stream", "engines", "app", "upload")


def make_customers(rows: int, directory: Path, *, suffix: str = ".csv") -> Path:
    """A synthetic file of `rows` customers (seed 1), made once and reused."""
    path = directory / f"customers_{rows}{suffix}"
    if not path.exists():
        print(f"  making {rows:,} synthetic customers -> {path}", file=sys.stderr)
        sample = [sys.executable, "-m", "card_segmenter", "sample", "--rows", str(rows)]
        run_child([*sample, "--seed", "1", "--out", str(path)])
    return path


def ours(path: Path, out: Path) -> list[str]:
    segment = [sys.executable, "-m", "card_segmenter", "segment", str(path), "--out", str(out)]
    return [*segment, "--algorithm", "kmeans", "--k", "4"]


def baseline(path: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.notebook_baseline", str(path), str(out)]


def bench_size(label: str, rows: int, directory: Path, repeats: int) -> dict[str, float | str]:
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
    silhouettes = measure(
        path,
        rows,
        {
            "ours": labels_of(outs["ours"], "customer_id", "segment"),
            "baseline": labels_of(outs["baseline"], "CUST_ID", "cluster"),
        },
    ).silhouettes
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


def print_table(rows: list[dict[str, float | str]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    formats = {"speedup": "{:.1f}x", "silhouette ratio": "{:.3f}"}

    def cell(column: str, value: float | str) -> str:
        if isinstance(value, str):  # a name, or what stands for a figure not measured
            return value
        number = "{:,.0f}" if "MiB" in column else "{:.1f}" if column.endswith(" s") else "{:.3f}"
        return formats.get(column, number).format(value)

    cells = [[cell(c, row[c]) for c in columns] for row in rows]
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---:" for _ in columns) + "|")
    for line in cells:
        print("| " + " | ".join(line) + " |")


def run_once(label: str, command: list[str]) -> Child:
    child = run_child(command)
    print(f"  {label}: {child.seconds:.1f} s, {child.peak_mib:,.0f} MiB", file=sys.stderr)
    return child


def bench_auto_k(directory: Path) -> Child:
    """`segment --k auto` on 1M customers, once."""
    path = make_customers(SIZES["1M"], directory)
    command = [sys.executable, "-m", "card_segmenter", "segment", str(path), "--k", "auto"]
    return run_once("auto-k, 1M", [*command, "--out", str(directory / "auto_k")])


def bench_compare(directory: Path) -> Child:
    """`compare` of all seven algorithms at k=4 on 1M customers, once."""
    path = make_customers(SIZES["1M"], directory)
    command = [sys.executable, "-m", "card_segmenter", "compare", str(path), "--k", "4"]
    return run_once("compare, 1M", [*command, "--out", str(directory / "compare")])


def bench_stream(directory: Path, rows: int) -> Child:
    """`segment --stream` of `rows` customers from a chunked Parquet file, once; checked whole."""
    path = make_customers(rows, directory, suffix=".parquet")
    out = directory / f"stream_{rows}"
    command = [sys.executable, "-m", "card_segmenter", "segment", str(path), "--k", "4", "--stream"]
    child = run_once(f"streamed, {rows:,}", [*command, "--out", str(out)])
    # A time means nothing unless every customer came out with a segment.
    written = pl.scan_csv(out / "assignments.csv").select(pl.len()).collect().item()
    profiled = json.loads((out / "profiles.json").read_text())["n_customers"]
    if written != rows or profiled != rows:
        raise SystemExit(f"streamed {rows:,} rows but wrote {written:,} ({profiled:,} profiled)")
    print(f"  streamed: {written:,} assignments written, all {rows:,} rows", file=sys.stderr)
    return child


def bench_app(repeats: int) -> dict[str, float]:
    """Medians over fresh servers of the app's first paint to personas and its k re-renders."""
    from benchmarks.app import measure

    times = measure(repeats)
    for t in times:
        print(
            f"  app: personas {t.first_paint_to_personas:.2f} s, k auto->5 "
            f"{t.k_change_fresh:.2f} s, 5->auto {t.k_change_cached:.2f} s",
            file=sys.stderr,
        )
    return {
        field: statistics.median(getattr(t, field) for t in times)
        for field in ("first_paint_to_personas", "k_change_fresh", "k_change_cached")
    }


def bench_engine_size(
    label: str, directory: Path, args: argparse.Namespace
) -> list[dict[str, float | str]]:
    """One machine and Spark on the size's file: the 100M Parquet file (streamed on one
    machine) as the stream part makes it, else the CSV the size comparison uses."""
    rows, stream = SIZES[label], label == "100M"
    path = make_customers(rows, directory, suffix=".parquet" if stream else ".csv")
    out = directory / f"engines_{rows}"
    return bench_engines(label, path, rows, out, stream=stream, repeats=args.engine_repeats,
                         spark_conf=args.spark_conf, timeout=args.engine_timeout)  # fmt: skip


@dataclass(frozen=True)
class Upload:
    app_s: float  # median: the file set on the uploader -> its first persona card on screen
    cli_s: float  # median: `segment` on the same file, the app's settings, end to end


def bench_upload(directory: Path, repeats: int) -> Upload:
    """The app from an upload of the 1M CSV to its personas, and `segment` on that file.

    Both with the app's opening settings (K-Means, k chosen automatically, seed 0), each on
    a fresh process (server or command), alternately, `repeats` times.
    """
    from benchmarks.app import measure_upload

    path = make_customers(SIZES["1M"], directory)
    command = [sys.executable, "-m", "card_segmenter", "segment", str(path)]
    command += ["--algorithm", "kmeans", "--k", "auto", "--seed", "0"]
    command += ["--out", str(directory / "upload_cli")]
    times: dict[str, list[float]] = {"app": [], "cli": []}
    for repeat in range(repeats):
        for who in ("app", "cli") if repeat % 2 == 0 else ("cli", "app"):
            seconds = measure_upload(path) if who == "app" else run_child(command).seconds
            times[who].append(seconds)
            print(f"  upload, 1M {who} #{repeat + 1}: {seconds:.1f} s", file=sys.stderr)
    return Upload(statistics.median(times["app"]), statistics.median(times["cli"]))


def targets(
    sizes: dict[str, dict[str, float | str]],
    auto_k: Child | None,
    compare: Child | None,
    stream: tuple[int, Child] | None,
    app: dict[str, float] | None,
    upload: Upload | None = None,
) -> list[tuple[str, str, str, str]]:
    """Every target of the benchmark: (what, measured, goal, met)."""
    rows: list[tuple[str, str, str, str]] = []

    def add(what: str, measured: str, goal: str, met: bool | None) -> None:
        rows.append((what, measured, goal, "—" if met is None else "yes" if met else "**no**"))

    if "1M" in sizes:
        one = sizes["1M"]
        speedup, ratio = float(one["speedup"]), float(one["silhouette ratio"])
        ours, base = float(one["ours peak MiB"]), float(one["baseline peak MiB"])
        add("1M: speed-up over the baseline", f"{speedup:.1f}x", ">= 3x", speedup >= 3)
        add("1M: silhouette, ours / baseline", f"{ratio:.3f}", ">= 0.95", ratio >= 0.95)
        add("1M: peak RSS, ours / baseline", f"{ours:,.0f} / {base:,.0f} MiB", "lower", ours < base)
    if "10M" in sizes:
        seconds = float(sizes["10M"]["ours s"])
        add("10M: segment, end to end", f"{seconds:.1f} s", "< 60 s", seconds < 60)
    if auto_k:
        add("1M: segment --k auto", f"{auto_k.seconds:.1f} s", "< 30 s", auto_k.seconds < 30)
    if compare:
        add(
            "1M: compare, all seven algorithms",
            f"{compare.seconds:.0f} s",
            "< 300 s",
            compare.seconds < 300,
        )
    if stream:
        n, child = stream
        add(
            f"{n:,} rows streamed from Parquet",
            f"{child.seconds:.0f} s, {child.peak_mib / 1024:.1f} GiB peak",
            "< 16 GiB peak",
            child.peak_mib < 16_384,
        )
    if app:
        add(
            "app: first paint to personas and a chart",
            f"{app['first_paint_to_personas']:.2f} s",
            "reported",
            None,
        )
        add(
            "app: re-render after changing k (fresh run)",
            f"{app['k_change_fresh']:.2f} s",
            "reported",
            None,
        )
        add(
            "app: re-render after changing k back (cached)",
            f"{app['k_change_cached']:.2f} s",
            "reported",
            None,
        )
    if upload:
        ratio = upload.app_s / upload.cli_s
        add(
            "1M CSV: app upload to personas / `segment --k auto`",
            f"{upload.app_s:.1f} s / {upload.cli_s:.1f} s = {ratio:.2f}x",
            "<= 1.5x",
            ratio <= 1.5,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M,10M", help="comma-separated: 100k, 1M, 10M")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="keep and reuse files here")
    parser.add_argument(
        "--skip", default="", help=f"comma-separated parts to leave out: {', '.join(PARTS)}"
    )
    parser.add_argument("--stream-rows", type=int, default=SIZES["100M"])
    parser.add_argument(
        "--engine-sizes", default="10M,100M",
        help="sizes for one machine against Spark; 100M streams from Parquet on one machine",
    )  # fmt: skip
    parser.add_argument("--engine-repeats", type=int, default=1)
    parser.add_argument(
        "--engine-timeout", type=float, default=1800.0,
        help="seconds after which a run of the engine comparison is stopped and reported so",
    )  # fmt: skip
    parser.add_argument(
        "--spark-conf", action="append", default=[], metavar="KEY=VALUE",
        help="a Spark setting for the engine comparison (repeatable)",
    )  # fmt: skip
    args = parser.parse_args()
    # The command line records every run: the benchmark's go to a throwaway workspace, never
    # the user's own (its timings include recording, as a user's do).
    os.environ.pop("SEGMENTER_DATABASE_URL", None)
    os.environ["SEGMENTER_WORKSPACE"] = tempfile.mkdtemp(prefix="segmenter-bench-workspace-")
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES or s == "100M"]
    if unknown:
        parser.error(f"unknown size(s) {unknown}; use 100k, 1M, 10M (100M is the stream part)")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    engine_sizes = [s.strip() for s in args.engine_sizes.split(",") if s.strip()]
    if set(engine_sizes) - set(SIZES):
        parser.error(f"unknown engine size(s) {engine_sizes}; use {', '.join(SIZES)}")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - set(PARTS):
        parser.error(f"unknown part(s) {sorted(skip - set(PARTS))}; parts: {', '.join(PARTS)}")
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.dir or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        by_size = {s: bench_size(s, SIZES[s], directory, args.repeats) for s in sizes}
        auto_k = bench_auto_k(directory) if "auto-k" not in skip else None
        compare = bench_compare(directory) if "compare" not in skip else None
        stream = (
            (args.stream_rows, bench_stream(directory, args.stream_rows))
            if "stream" not in skip
            else None
        )
        engines = (
            [row for size in engine_sizes for row in bench_engine_size(size, directory, args)]
            if "engines" not in skip
            else []
        )
        app = bench_app(args.repeats) if "app" not in skip else None
        upload = bench_upload(directory, args.repeats) if "upload" not in skip else None
    if by_size:
        print(
            f"`segment --algorithm kmeans --k 4` against the notebook baseline: median of "
            f"{args.repeats}, {os.cpu_count()} cores\n"
        )
        print_table(list(by_size.values()))
        print()
    if engines:
        print(
            "One machine against Spark local[2], `segment --algorithm kmeans --k 4 --seed 0`: "
            f"median of {args.engine_repeats}, peak of the whole process tree\n"
        )
        print_table(engines)
        print()
    measured = targets(by_size, auto_k, compare, stream, app, upload)
    if measured:
        print("Every target, from the same run:\n")
        print("| target | measured | goal | met |\n|---|---:|---|---|")
        for row in measured:
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
