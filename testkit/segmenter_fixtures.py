"""Toy customer frames for the segmentation tests: groups whose right answer is obvious."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from segmenter.ingest.schema import FEATURE_COLUMNS, FREQUENCY_COLUMNS, ID_COLUMN
from testkit.paths import REPO

if TYPE_CHECKING:
    from segmenter.pipeline import Segmentation


def run_python(
    *args: str, env: Mapping[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter in the repository with these arguments, its output as text; the
    developer's own LLM and segmenter settings (OpenAI's, Azure OpenAI's and ours) left out of
    its environment, `env` added."""
    mine = ("OPENAI_", "AZURE_OPENAI_", "SEGMENTER_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(mine)}
    if "SEGMENTER_WORKSPACE" in os.environ:  # the tests' throwaway workspace (conftest.py)
        base["SEGMENTER_WORKSPACE"] = os.environ["SEGMENTER_WORKSPACE"]
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=check,
        env={**base, **(env or {})},
        timeout=120,
    )


def cli_code(*args: str | Path) -> int:
    """Run the command line in this process; its exit code (0 when it returns)."""
    from card_segmenter.cli import main

    try:
        main([str(a) for a in args])
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The `segmenter` command in a child process, without the developer's LLM settings."""
    return run_python("-m", "card_segmenter", *args, env=env)


# Three kinds of card holder, far apart after log1p and scaling. Unlisted columns are 0,
# frequencies are shares in [0, 1], TENURE is 12.
GROUPS: tuple[dict[str, float], ...] = (
    {  # revolvers: a large balance carried, cash advances, no purchases
        "BALANCE": 4000, "BALANCE_FREQUENCY": 1.0, "CASH_ADVANCE": 3000,
        "CASH_ADVANCE_FREQUENCY": 0.5, "CASH_ADVANCE_TRX": 8, "CREDIT_LIMIT": 6000,
        "PAYMENTS": 2000, "MINIMUM_PAYMENTS": 1500,
    },
    {  # transactors: frequent purchases paid in full
        "BALANCE": 300, "BALANCE_FREQUENCY": 0.6, "PURCHASES": 3000, "ONEOFF_PURCHASES": 2000,
        "INSTALLMENTS_PURCHASES": 1000, "PURCHASES_FREQUENCY": 0.9,
        "ONEOFF_PURCHASES_FREQUENCY": 0.6, "PURCHASES_INSTALLMENTS_FREQUENCY": 0.5,
        "PURCHASES_TRX": 40, "CREDIT_LIMIT": 9000, "PAYMENTS": 3200, "MINIMUM_PAYMENTS": 200,
        "PRC_FULL_PAYMENT": 0.9,
    },
    {  # dormant: small balances, nothing else
        "BALANCE": 20, "BALANCE_FREQUENCY": 0.2, "CREDIT_LIMIT": 1000, "PAYMENTS": 50,
        "MINIMUM_PAYMENTS": 20,
    },
)  # fmt: skip


def toy_frame(
    sizes: tuple[int, ...] = (60, 40, 20), *, seed: int = 0, spread: float = 0.05
) -> pl.DataFrame:
    """Canonical customers: `sizes[g]` of group g in that order, each value jittered by `spread`.

    Money and counts get multiplicative noise, frequencies additive noise clipped to [0, 1].
    """
    rng = np.random.default_rng(seed)
    columns: dict[str, list[float]] = {c: [] for c in FEATURE_COLUMNS}
    for size, group in zip(sizes, GROUPS, strict=False):
        for column in FEATURE_COLUMNS:
            centre = 12.0 if column == "TENURE" else float(group.get(column, 0.0))
            if column == "TENURE":
                values = np.full(size, centre)
            elif column in FREQUENCY_COLUMNS:
                values = np.clip(centre + rng.normal(0, spread, size), 0, 1)
            else:
                values = centre * rng.lognormal(0, spread, size)
            columns[column].extend(values.round(6).tolist())
    n_rows = sum(sizes)
    ids = [f"T{i:05d}" for i in range(1, n_rows + 1)]
    return pl.DataFrame(
        {ID_COLUMN: ids, **columns}, schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64)
    )


def toy_groups(sizes: tuple[int, ...] = (60, 40, 20)) -> np.ndarray:
    """The true group of every row of `toy_frame(sizes)`."""
    return np.repeat(np.arange(len(sizes)), sizes)


def spark_run_dir(folder: Path, segmentation: Segmentation) -> Path:
    """A Spark run's folder as `segment --engine spark` leaves it: profiles.json, the manifest
    and Spark's pipeline folder (files as Spark's writer names them), assignments beside."""
    from segmenter.pipeline import write_segmentation

    write_segmentation(segmentation, folder)
    (folder / "model.skops").unlink()
    (folder / "spark_model.json").write_text('{"engine": "spark", "k": 3}\n')
    stages = folder / "spark_model" / "stages" / "0_KMeans" / "data"
    stages.mkdir(parents=True)
    (folder / "spark_model" / "metadata").mkdir()
    (folder / "spark_model" / "metadata" / "part-00000").write_text('{"class": "Pipeline"}\n')
    (stages / "part-00000.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    (stages / ".part-00000.parquet.crc").write_bytes(b"crc\x00\x01")
    return folder


def record_spark_run(folder: Path, *, source_name: str) -> int:
    """A toy Spark run (`spark_run_dir` of 120 toy customers at k=3) written to `folder` and
    recorded in the workspace the environment names, as `segment --engine spark` records one;
    its run id."""
    from segmenter.pipeline import run_segmentation
    from segmenter.workspace import database_url_from_env, new_run_from_dir, open_workspace
    from segmenter.workspace import record_run as record

    spark_run_dir(folder, run_segmentation(toy_frame(), k=3, seed=0))
    engine = open_workspace(database_url_from_env())
    try:
        run = new_run_from_dir(
            folder, source_name=source_name, source_sha256="ef" * 32, rows_read=120,
            rows_kept=120, settings={}, engine="spark",
        )  # fmt: skip
        return record(engine, run, actor="analyst")
    finally:
        engine.dispose()


def apart_in_what_cannot_change(n: int = 80) -> pl.DataFrame:
    """Two groups of customers alike in every behaviour, apart in credit limit and tenure only:
    nothing a customer can change moves one to the other."""
    rng = np.random.default_rng(0)
    values = {c: rng.uniform(100, 120, n) for c in FEATURE_COLUMNS}
    for column in FREQUENCY_COLUMNS:
        values[column] = np.full(n, 0.5)
    values["CREDIT_LIMIT"] = np.r_[np.full(n // 2, 1_000.0), np.full(n // 2, 20_000.0)]
    values["TENURE"] = np.r_[np.full(n // 2, 6.0), np.full(n // 2, 12.0)]
    return pl.DataFrame({ID_COLUMN: [f"C{i}" for i in range(n)], **values})
