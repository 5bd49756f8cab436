"""Derived measures over the canonical frame, and plain-language labels for every column."""

from __future__ import annotations

from typing import TypeVar

import polars as pl

from segmenter.ingest.schema import COUNT_COLUMNS, FEATURE_COLUMNS, FREQUENCY_COLUMNS, MONEY_COLUMNS

__all__ = [
    "DERIVED_MEASURES",
    "LABELS",
    "NUMERIC_MEASURES",
    "PURCHASE_TYPES",
    "SKEWED_MEASURES",
    "add_measures",
    "kind_of",
    "label",
    "measure_expressions",
]

MONTHLY_PURCHASES = "MONTHLY_PURCHASES"
MONTHLY_CASH_ADVANCE = "MONTHLY_CASH_ADVANCE"
LIMIT_USAGE = "LIMIT_USAGE"
PAYMENTS_TO_MINIMUM = "PAYMENTS_TO_MINIMUM"
PURCHASE_TYPE = "PURCHASE_TYPE"

# Numeric derived measures, then the one categorical measure.
NUMERIC_MEASURES: tuple[str, ...] = (
    MONTHLY_PURCHASES,
    MONTHLY_CASH_ADVANCE,
    LIMIT_USAGE,
    PAYMENTS_TO_MINIMUM,
)
DERIVED_MEASURES: tuple[str, ...] = (*NUMERIC_MEASURES, PURCHASE_TYPE)
PURCHASE_TYPES: tuple[str, ...] = ("one_off", "instalment", "both", "none")

# Right-skewed, zero-heavy columns and measures: compare them on a log1p scale (see profiles).
SKEWED_MEASURES: frozenset[str] = frozenset(
    (
        *MONEY_COLUMNS,
        *COUNT_COLUMNS,
        MONTHLY_PURCHASES,
        MONTHLY_CASH_ADVANCE,
        LIMIT_USAGE,
        PAYMENTS_TO_MINIMUM,
    )
)

LABELS: dict[str, str] = {
    "BALANCE": "balance",
    "BALANCE_FREQUENCY": "balance-update frequency",
    "PURCHASES": "purchases",
    "ONEOFF_PURCHASES": "one-off purchases",
    "INSTALLMENTS_PURCHASES": "instalment purchases",
    "CASH_ADVANCE": "cash advance",
    "PURCHASES_FREQUENCY": "purchases frequency",
    "ONEOFF_PURCHASES_FREQUENCY": "one-off purchases frequency",
    "PURCHASES_INSTALLMENTS_FREQUENCY": "instalment purchases frequency",
    "CASH_ADVANCE_FREQUENCY": "cash-advance frequency",
    "CASH_ADVANCE_TRX": "cash-advance transactions",
    "PURCHASES_TRX": "purchase transactions",
    "CREDIT_LIMIT": "credit limit",
    "PAYMENTS": "payments",
    "MINIMUM_PAYMENTS": "minimum payments",
    "PRC_FULL_PAYMENT": "full-payment rate",
    "TENURE": "tenure",
    MONTHLY_PURCHASES: "monthly purchases",
    MONTHLY_CASH_ADVANCE: "monthly cash advance",
    LIMIT_USAGE: "limit usage",
    PAYMENTS_TO_MINIMUM: "payments to minimum payments",
    PURCHASE_TYPE: "purchase type",
}
assert set(LABELS) == {*FEATURE_COLUMNS, *DERIVED_MEASURES}


# Kinds decide how a figure is printed and which spellings of it the number check accepts.
_KINDS: dict[str, str] = {
    **dict.fromkeys(MONEY_COLUMNS, "money"),
    **dict.fromkeys(FREQUENCY_COLUMNS, "share"),
    **dict.fromkeys(COUNT_COLUMNS, "count"),
    "TENURE": "months",
    MONTHLY_PURCHASES: "money",
    MONTHLY_CASH_ADVANCE: "money",
    LIMIT_USAGE: "share",
    PAYMENTS_TO_MINIMUM: "ratio",
}


def kind_of(feature: str) -> str:
    """How a feature's values read: money, share, count, months or ratio."""
    return _KINDS.get(feature, "ratio")


def label(feature: str) -> str:
    """Plain-language label of a canonical column or derived measure (else the name, lowered)."""
    return LABELS.get(feature, feature.lower().replace("_", " "))


def _ratio(numerator: str, denominator: str) -> pl.Expr:
    # Null, not inf or NaN, when the denominator is missing, zero or negative, or so small
    # (a subnormal such as 1e-320 in a hostile file) that the ratio overflows.
    ratio = pl.col(numerator) / pl.col(denominator)
    return pl.when((pl.col(denominator) > 0) & ratio.is_finite()).then(ratio).otherwise(None)


def _purchase_type() -> pl.Expr:
    one_off = pl.col("ONEOFF_PURCHASES") > 0
    instalment = pl.col("INSTALLMENTS_PURCHASES") > 0
    # A null amount gives a null type (comparisons with null are null and fall through).
    return (
        pl.when(one_off & instalment)
        .then(pl.lit("both"))
        .when(one_off & ~instalment)
        .then(pl.lit("one_off"))
        .when(~one_off & instalment)
        .then(pl.lit("instalment"))
        .when(~one_off & ~instalment)
        .then(pl.lit("none"))
        .otherwise(None)
    )


def measure_expressions() -> list[pl.Expr]:
    """Expressions computing the derived measures from canonical columns (nulls stay null)."""
    return [
        _ratio("PURCHASES", "TENURE").alias(MONTHLY_PURCHASES),
        _ratio("CASH_ADVANCE", "TENURE").alias(MONTHLY_CASH_ADVANCE),
        _ratio("BALANCE", "CREDIT_LIMIT").alias(LIMIT_USAGE),
        _ratio("PAYMENTS", "MINIMUM_PAYMENTS").alias(PAYMENTS_TO_MINIMUM),
        _purchase_type().alias(PURCHASE_TYPE),
    ]


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def add_measures(frame: FrameT) -> FrameT:
    """The frame with the derived measures appended as columns (eager or lazy)."""
    return frame.with_columns(measure_expressions())
