"""Copies of a customer file under other column names, as they reach users: the tests' headers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import polars as pl

__all__ = ["RENAMED", "SPANISH", "renamed_copy"]

# Every column of the public file under its Spanish name: nothing in it matches by name.
SPANISH = {
    "CUST_ID": "ID_CLIENTE",
    "BALANCE": "SALDO",
    "BALANCE_FREQUENCY": "FRECUENCIA_SALDO",
    "PURCHASES": "COMPRAS",
    "ONEOFF_PURCHASES": "COMPRAS_UNICAS",
    "INSTALLMENTS_PURCHASES": "COMPRAS_A_PLAZOS",
    "CASH_ADVANCE": "ANTICIPO_EFECTIVO",
    "PURCHASES_FREQUENCY": "FRECUENCIA_COMPRAS",
    "ONEOFF_PURCHASES_FREQUENCY": "FRECUENCIA_COMPRAS_UNICAS",
    "PURCHASES_INSTALLMENTS_FREQUENCY": "FRECUENCIA_COMPRAS_PLAZOS",
    "CASH_ADVANCE_FREQUENCY": "FRECUENCIA_ANTICIPO",
    "CASH_ADVANCE_TRX": "TRX_ANTICIPO",
    "PURCHASES_TRX": "TRX_COMPRAS",
    "CREDIT_LIMIT": "LIMITE_CREDITO",
    "PAYMENTS": "PAGOS",
    "MINIMUM_PAYMENTS": "PAGOS_MINIMOS",
    "PRC_FULL_PAYMENT": "PRC_PAGO_TOTAL",
    "TENURE": "ANTIGUEDAD",
}
# A few columns renamed in a bank's own words, matched by no known spelling or close name.
RENAMED = {
    "BALANCE": "Outstanding",
    "PURCHASES_TRX": "Nb achats",
    "PRC_FULL_PAYMENT": "Paid in full share",
    "TENURE": "Months",
}


def renamed_copy(path: Path, names: Mapping[str, str], *, rows: int | None = None) -> bytes:
    """The CSV at `path` with its columns renamed (every cell as written), as bytes to upload;
    its first `rows` customers only, when given."""
    text = pl.read_csv(path, infer_schema=False, n_rows=rows)
    return text.rename(dict(names)).write_csv().encode("utf-8")
