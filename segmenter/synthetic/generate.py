"""Synthetic card holders in the CC GENERAL schema: a Gaussian copula calibrated on the real file.

Rows are made in fixed chunks of `CHUNK_ROWS`, chunk i drawn from its own stream of the seed, so
a file is the same whether it is generated at once or streamed, and any prefix of a run equals a
shorter run with the same seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy.special import ndtr

from segmenter.errors import InputError
from segmenter.files import atomic_write
from segmenter.ingest.schema import CANONICAL_COLUMNS, COUNT_COLUMNS, ID_COLUMN
from segmenter.synthetic.calibration import FACTORS, GATES, Calibration, load_calibration
from segmenter.synthetic.copula import FloatArray, gate_correction

__all__ = ["CHUNK_ROWS", "generate_customers", "iter_customer_chunks", "write_customers"]

CHUNK_ROWS = 1 << 16
FIRST_ID = 10001
PARQUET_GROUP_CHUNKS = 16  # chunks per Parquet row group: about a million rows
_EXTRA_DRAWS = 2  # independent normals after the copula's: missing MINIMUM_PAYMENTS, CREDIT_LIMIT


@dataclass(frozen=True)
class _Model:
    calibration: Calibration
    cholesky: FloatArray
    gates: dict[str, tuple[FloatArray, FloatArray]]  # factor -> (grid, conditional cdf)


def _model(calibration: Calibration) -> _Model:
    names = list(FACTORS)
    gates = {}
    for name, gate in GATES.items():
        rho = float(calibration.correlation[names.index(name), names.index(gate)])
        gates[name] = gate_correction(rho, calibration.marginals[gate].zero)
    return _Model(
        calibration, np.linalg.cholesky(calibration.correlation).astype(np.float64), gates
    )


class _Draws:
    """One chunk's correlated latent normals, turned into factor values on request."""

    def __init__(self, model: _Model, latent: FloatArray) -> None:
        self._model = model
        self._latent = latent
        self._index = {name: i for i, name in enumerate(FACTORS)}

    def full(self, name: str) -> FloatArray:
        """The factor's value for every row, zeros included."""
        u = ndtr(self._latent[:, self._index[name]])
        return self._model.calibration.marginals[name].inverse(u)

    def positive(self, name: str) -> FloatArray:
        """The factor's positive part, corrected for the selection by its gate when it has one."""
        z = self._latent[:, self._index[name]]
        gate = self._model.gates.get(name)
        u = ndtr(z) if gate is None else np.interp(z, *gate)
        return self._model.calibration.marginals[name].positive(u)


def _months(frequency: FloatArray, tenure: FloatArray, *, cap: bool) -> FloatArray:
    """Active months for a frequency: at least one when it is positive, at most tenure if `cap`."""
    months = np.where(frequency > 0, np.maximum(np.rint(frequency * tenure), 1), 0)
    return np.minimum(months, tenure) if cap else months


def _money(value: FloatArray, active: NDArray[np.bool_], *, decimals: int) -> FloatArray:
    """Rounded amounts, at least one smallest unit where active and exactly zero elsewhere."""
    return np.where(active, np.maximum(np.round(value, decimals), 10.0**-decimals), 0.0)


def _count(months: FloatArray, per_month: FloatArray) -> FloatArray:
    """Transactions: none without active months, else at least one per active month."""
    return np.where(months > 0, np.maximum(months, np.rint(months * per_month)), 0)


def _chunk(model: _Model, index: int, rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    normals = rng.standard_normal((rows, len(FACTORS) + _EXTRA_DRAWS))
    draws = _Draws(model, normals[:, : len(FACTORS)] @ model.cholesky.T)
    missing = model.calibration.missing
    extra = ndtr(normals[:, len(FACTORS) :])

    tenure = draws.full("TENURE")
    balance_frequency = draws.full("BALANCE_FREQUENCY")
    oneoff_months = _months(draws.full("ONEOFF_PURCHASES_FREQUENCY"), tenure, cap=True)
    instal_months = _months(draws.full("PURCHASES_INSTALLMENTS_FREQUENCY"), tenure, cap=True)
    larger = np.maximum(oneoff_months, instal_months)
    room = np.minimum(np.minimum(oneoff_months, instal_months), tenure - larger)
    bought_months = larger + np.rint(room * draws.full("PURCHASE_MONTHS_OVERLAP"))
    cash_months = _months(draws.full("CASH_ADVANCE_FREQUENCY"), tenure, cap=False)
    oneoff = _money(draws.positive("ONEOFF_PURCHASES"), oneoff_months > 0, decimals=2)
    instal = _money(draws.positive("INSTALLMENTS_PURCHASES"), instal_months > 0, decimals=2)
    payments = np.round(draws.full("PAYMENTS"), 6)
    minimum = draws.positive("MINIMUM_PAYMENTS")
    credit_limit = draws.full("CREDIT_LIMIT")
    columns = {
        "BALANCE": _money(draws.positive("BALANCE"), balance_frequency > 0, decimals=6),
        "BALANCE_FREQUENCY": balance_frequency,
        "PURCHASES": np.round(oneoff + instal, 2),
        "ONEOFF_PURCHASES": oneoff,
        "INSTALLMENTS_PURCHASES": instal,
        "CASH_ADVANCE": _money(draws.positive("CASH_ADVANCE"), cash_months > 0, decimals=6),
        "PURCHASES_FREQUENCY": np.round(bought_months / tenure, 6),
        "ONEOFF_PURCHASES_FREQUENCY": np.round(oneoff_months / tenure, 6),
        "PURCHASES_INSTALLMENTS_FREQUENCY": np.round(instal_months / tenure, 6),
        "CASH_ADVANCE_FREQUENCY": np.round(cash_months / tenure, 6),
        "CASH_ADVANCE_TRX": _count(cash_months, draws.positive("CASH_ADVANCE_TRX_PER_MONTH")),
        "PURCHASES_TRX": _count(bought_months, draws.positive("PURCHASES_TRX_PER_MONTH")),
        "CREDIT_LIMIT": np.where(extra[:, 1] < missing["CREDIT_LIMIT"], np.nan, credit_limit),
        "PAYMENTS": payments,
        # As in the real file: no minimum payment is recorded for holders who paid nothing.
        "MINIMUM_PAYMENTS": np.where(
            (payments == 0) | (extra[:, 0] < missing["MINIMUM_PAYMENTS"]),
            np.nan,
            np.maximum(np.round(minimum, 6), 1e-6),
        ),
        "PRC_FULL_PAYMENT": np.where(payments > 0, draws.full("PRC_FULL_PAYMENT"), 0.0),
        "TENURE": tenure,
    }
    first = FIRST_ID + index * CHUNK_ROWS
    return (
        pl.DataFrame(columns, nan_to_null=True)
        .with_columns(
            pl.format("C{}", pl.int_range(first, first + rows, dtype=pl.Int64)).alias(ID_COLUMN),
            pl.col(*COUNT_COLUMNS, "TENURE").cast(pl.Int64),
        )
        .select(CANONICAL_COLUMNS)
    )


def _check(rows: int, seed: int) -> None:
    if rows < 1:
        raise InputError(f"cannot make {rows} customers: the number of rows must be at least 1")
    if seed < 0:
        raise InputError(f"seed {seed} is negative: use a whole number of 0 or more")


def iter_customer_chunks(
    rows: int, *, seed: int, calibration: Calibration | None = None
) -> Iterator[pl.DataFrame]:
    """Yield `rows` synthetic customers in chunks of at most `CHUNK_ROWS` rows."""
    _check(rows, seed)
    model = _model(calibration or load_calibration())
    for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
        yield _chunk(model, index, min(CHUNK_ROWS, rows - start), seed)


def generate_customers(
    rows: int, *, seed: int, calibration: Calibration | None = None
) -> pl.DataFrame:
    """`rows` synthetic customers with the real file's columns, in its order."""
    return pl.concat(iter_customer_chunks(rows, seed=seed, calibration=calibration))


def write_customers(path: Path, *, rows: int, seed: int) -> None:
    """Write synthetic customers to a .csv or .parquet file, a chunk at a time."""
    _check(rows, seed)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(
            f"{path}: cannot write {suffix or 'files without a suffix'!r}; "
            "name the output .csv or .parquet"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    chunks = iter_customer_chunks(rows, seed=seed)
    with atomic_write(path) as handle:  # an interrupted run leaves no half-written file
        if suffix == ".csv":
            for index, chunk in enumerate(chunks):
                chunk.write_csv(handle, include_header=index == 0)
        else:
            _write_parquet(handle, chunks)


def _write_parquet(sink: IO[bytes], chunks: Iterator[pl.DataFrame]) -> None:
    import pyarrow.parquet as pq

    writer: pq.ParquetWriter | None = None
    try:
        while group := list(islice(chunks, PARQUET_GROUP_CHUNKS)):
            table = pl.concat(group).to_arrow()
            writer = writer or pq.ParquetWriter(sink, table.schema, compression="zstd")
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
