"""The CC GENERAL schema: canonical column names, their kinds, and mapping of user column names."""

from __future__ import annotations

import re

__all__ = [
    "CANONICAL_COLUMNS",
    "COUNT_COLUMNS",
    "FEATURE_COLUMNS",
    "FREQUENCY_COLUMNS",
    "ID_COLUMN",
    "MONEY_COLUMNS",
    "aliases",
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


def normalise_name(name: str) -> str:
    """Fold case, spacing and punctuation away: ' Cust-ID ' and 'cust_id' both become 'custid'."""
    return re.sub(r"[^0-9a-z]+", "", name.strip().lower())


def aliases(canonical: str) -> tuple[str, ...]:
    """The canonical name and the other spellings known for it."""
    return (canonical, *_ALIASES.get(canonical, ()))
