"""The CC GENERAL schema: canonical column names, their kinds, and mapping of user column names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from segmenter.errors import InputError

__all__ = [
    "CANONICAL_COLUMNS",
    "COUNT_COLUMNS",
    "FEATURE_COLUMNS",
    "FREQUENCY_COLUMNS",
    "ID_COLUMN",
    "MONEY_COLUMNS",
    "ColumnMapping",
    "map_columns",
    "normalise_name",
]

ID_COLUMN = "CUST_ID"

# The 17 behavioural columns, in the order of the public file.
FEATURE_COLUMNS: tuple[str, ...] = (
    "BALANCE",
    "BALANCE_FREQUENCY",
    "PURCHASES",
    "ONEOFF_PURCHASES",
    "INSTALLMENTS_PURCHASES",
    "CASH_ADVANCE",
    "PURCHASES_FREQUENCY",
    "ONEOFF_PURCHASES_FREQUENCY",
    "PURCHASES_INSTALLMENTS_FREQUENCY",
    "CASH_ADVANCE_FREQUENCY",
    "CASH_ADVANCE_TRX",
    "PURCHASES_TRX",
    "CREDIT_LIMIT",
    "PAYMENTS",
    "MINIMUM_PAYMENTS",
    "PRC_FULL_PAYMENT",
    "TENURE",
)
CANONICAL_COLUMNS: tuple[str, ...] = (ID_COLUMN, *FEATURE_COLUMNS)

MONEY_COLUMNS: tuple[str, ...] = (
    "BALANCE",
    "PURCHASES",
    "ONEOFF_PURCHASES",
    "INSTALLMENTS_PURCHASES",
    "CASH_ADVANCE",
    "CREDIT_LIMIT",
    "PAYMENTS",
    "MINIMUM_PAYMENTS",
)
# Shares of the observation window (or of payments) that belong in [0, 1].
FREQUENCY_COLUMNS: tuple[str, ...] = (
    "BALANCE_FREQUENCY",
    "PURCHASES_FREQUENCY",
    "ONEOFF_PURCHASES_FREQUENCY",
    "PURCHASES_INSTALLMENTS_FREQUENCY",
    "CASH_ADVANCE_FREQUENCY",
    "PRC_FULL_PAYMENT",
)
COUNT_COLUMNS: tuple[str, ...] = ("CASH_ADVANCE_TRX", "PURCHASES_TRX")

# Other spellings seen in copies of the data, keyed by their normalised form (see normalise_name).
_ALIASES: dict[str, tuple[str, ...]] = {
    ID_COLUMN: ("customer", "customer_id", "customerid", "cust", "client_id", "account_id"),
    "BALANCE": ("balance_amount", "current_balance"),
    "BALANCE_FREQUENCY": ("balance_freq", "bal_frequency"),
    "PURCHASES": ("purchase", "purchases_amount", "total_purchases"),
    "ONEOFF_PURCHASES": ("one_off_purchase", "oneoff_purchase", "single_purchases"),
    "INSTALLMENTS_PURCHASES": (
        "installment_purchases",
        "instalment_purchases",
        "instalments_purchases",
        "installment_purchase",
        "instalment_purchase",
    ),
    "CASH_ADVANCE": ("cash_advances", "cash_advance_amount"),
    "PURCHASES_FREQUENCY": ("purchase_frequency", "purchases_freq"),
    "ONEOFF_PURCHASES_FREQUENCY": ("one_off_purchases_freq", "oneoff_purchase_frequency"),
    "PURCHASES_INSTALLMENTS_FREQUENCY": (
        "purchases_installment_frequency",
        "purchase_installments_frequency",
        "installment_purchases_frequency",
        "installments_purchases_frequency",
        "instalment_purchases_frequency",
        "purchases_instalments_frequency",
        "purchases_instalment_frequency",
    ),
    "CASH_ADVANCE_FREQUENCY": ("cash_advance_freq", "cash_advances_frequency"),
    "CASH_ADVANCE_TRX": (
        "cash_advance_transactions",
        "cash_advance_trxs",
        "cash_advance_count",
        "cash_advances_trx",
    ),
    "PURCHASES_TRX": ("purchase_trx", "purchases_transactions", "purchase_transactions"),
    "CREDIT_LIMIT": ("limit", "creditlimit", "credit_line"),
    "PAYMENTS": ("payment", "total_payments"),
    "MINIMUM_PAYMENTS": ("minimum_payment", "min_payments", "min_payment"),
    "PRC_FULL_PAYMENT": (
        "percent_full_payment",
        "pct_full_payment",
        "prc_full_payments",
        "full_payment_share",
        "full_payment_ratio",
    ),
    "TENURE": ("tenure_months", "months_on_book"),
}


_FOUND_SHOWN = 25


def normalise_name(name: str) -> str:
    """Fold case, spacing and punctuation away: ' Cust-ID ' and 'cust_id' both become 'custid'."""
    return re.sub(r"[^0-9a-z]+", "", name.strip().lower())


_LOOKUP: dict[str, str] = {
    normalise_name(alias): canonical
    for canonical in CANONICAL_COLUMNS
    for alias in (canonical, *_ALIASES.get(canonical, ()))
}


@dataclass(frozen=True)
class ColumnMapping:
    """How the columns of a user's file map onto the canonical schema."""

    renames: dict[str, str]  # source column -> canonical name
    ignored: list[str] = field(default_factory=list)  # source columns not used
    has_id: bool = True


def map_columns(columns: Sequence[str], *, source: str = "input") -> ColumnMapping:
    """Map a file's column names to canonical names, or refuse naming what is missing."""
    renames: dict[str, str] = {}
    ignored: list[str] = []
    claimed: dict[str, str] = {}
    for column in columns:
        canonical = _LOOKUP.get(normalise_name(column))
        if canonical is None:
            ignored.append(column)
            continue
        if canonical in claimed:
            raise InputError(
                f"{source}: columns {claimed[canonical]!r} and {column!r} both look like "
                f"{canonical}; keep one of them"
            )
        claimed[canonical] = column
        renames[column] = canonical
    missing = [name for name in FEATURE_COLUMNS if name not in claimed]
    if missing:
        shown = [repr(c if len(c) <= 40 else c[:37] + "...") for c in columns[:_FOUND_SHOWN]]
        more = f" and {len(columns) - _FOUND_SHOWN} more" if len(columns) > _FOUND_SHOWN else ""
        found = (", ".join(shown) or "none") + more
        raise InputError(
            f"{source}: missing {len(missing)} required column(s): {', '.join(missing)}; "
            f"columns found: {found}"
        )
    return ColumnMapping(renames=renames, ignored=ignored, has_id=ID_COLUMN in claimed)
