"""One machine against Spark in local mode, on the same synthetic files, in one run.

For 10M customers (the CSV the size comparison uses) `segment FILE --algorithm kmeans --k 4`
runs beside the same command with `--engine spark --spark-master local[2]`; for 100M customers
(the chunked Parquet file the stream part uses) `segment --stream` runs beside Spark on that
file. Each engine writes its default outputs: one assignments.csv on one machine, partitioned
Parquet from Spark. Each command runs in a fresh child, alternately, `repeats` times: the median
wall time, and the highest peak of the whole process tree (Spark's Java virtual machine is a
process of its own beside the Python driver; benchmarks.launch sums them). The segmentations
are then measured the same way (benchmarks.reference): silhouette in one reference space on
the same 20,000 customers, and the adjusted Rand index between the engines on them.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from benchmarks.launch import Child, run_child
from benchmarks.reference import labels_of, measure

ENGINES = ("one machine", "Spark local[2]")
SPARK = ["--engine", "spark", "--spark-master", "local[2]"]


def commands(path: Path, out: Path, *, stream: bool, spark_conf: list[str]) -> dict[str, list[str]]:
    """The two engines' commands on `path`, each writing to its own folder under `out`."""
    segment = [sys.executable, "-m", "card_segmenter", "segment", str(path)]
    segment += ["--algorithm", "kmeans", "--k", "4", "--seed", "0"]
    conf = [item for pair in spark_conf for item in ("--spark-conf", pair)]
    return {
        ENGINES[0]: [*segment, *(["--stream"] if stream else []), "--out", str(out / "one")],
        ENGINES[1]: [*segment, *SPARK, *conf, "--out", str(out / "spark")],
    }


def bench_engines(
    label: str, path: Path, rows: int, out: Path, *, stream: bool, repeats: int,
    spark_conf: list[str], timeout: float | None,
) -> list[dict[str, float | str]]:  # fmt: skip
    """Both engines on one file: a table row for each. A run stopped at `timeout` seconds is
    reported as such, and an engine that never finished is not measured further."""
    runs: dict[str, list[Child]] = {engine: [] for engine in ENGINES}
    command = commands(path, out, stream=stream, spark_conf=spark_conf)
    for repeat in range(repeats):
        for engine in ENGINES if repeat % 2 == 0 else ENGINES[::-1]:
            runs[engine].append(run_child(command[engine], timeout=timeout))
            child = runs[engine][-1]
            print(f"  {label} {engine} #{repeat + 1}: {child.seconds:.1f} s, "
                  f"{child.peak_mib:,.0f} MiB{'' if child.finished else ', stopped'}",
                  file=sys.stderr)  # fmt: skip
    done = [e for e in ENGINES if all(c.finished for c in runs[e])]
    folders = {ENGINES[0]: out / "one", ENGINES[1]: out / "spark"}
    labelled = {e: labels_of(folders[e], "customer_id", "segment") for e in done}
    measured = measure(path, rows, labelled)
    ari = measured.agreement.get(ENGINES)

    def wall(engine: str) -> float | str:
        if engine in done:
            return statistics.median(c.seconds for c in runs[engine])
        return f"stopped at {timeout:,.0f}"

    return [
        {
            "N": label,
            "engine": engine,
            "wall s": wall(engine),
            "peak MiB": max(c.peak_mib for c in runs[engine]),
            "silhouette": measured.silhouettes.get(engine, "—"),
            "ARI between engines": "—" if ari is None else ari,
        }
        for engine in ENGINES
    ]
