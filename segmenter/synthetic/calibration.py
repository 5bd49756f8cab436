"""The synthetic generator's calibration: its factors and the aggregates it was derived with.

The calibration holds only aggregates: per-factor marginals (zero shares and quantile tables),
the Gaussian-copula correlation between factors, and missing-value shares. No row is kept.

Regenerate with: python -m segmenter.synthetic.derive ../shared/data/CC_GENERAL.csv
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from segmenter.synthetic.copula import (
    FloatArray,
    Kind,
    Marginal,
    repair_correlation,
)

__all__ = ["CALIBRATION_PATH", "FACTORS", "GATES", "Calibration", "load_calibration"]

CALIBRATION_PATH = Path(__file__).with_name("calibration.json")

# The copula's factors, in order, with the kind of marginal each gets. Amounts are modelled
# on their positive part and switched on by a gate (their frequency); counts are modelled as
# transactions per active month; purchase frequency as the overlap of one-off and instalment
# months beyond the larger of the two.
FACTORS: dict[str, Kind] = {
    "TENURE": "step",
    "BALANCE_FREQUENCY": "step",
    "BALANCE": "linear",
    "ONEOFF_PURCHASES_FREQUENCY": "step",
    "ONEOFF_PURCHASES": "linear",
    "PURCHASES_INSTALLMENTS_FREQUENCY": "step",
    "INSTALLMENTS_PURCHASES": "linear",
    "PURCHASE_MONTHS_OVERLAP": "step",
    "PURCHASES_TRX_PER_MONTH": "linear",
    "CASH_ADVANCE_FREQUENCY": "step",
    "CASH_ADVANCE": "linear",
    "CASH_ADVANCE_TRX_PER_MONTH": "linear",
    "CREDIT_LIMIT": "step",
    "PAYMENTS": "linear",
    "MINIMUM_PAYMENTS": "linear",
    "PRC_FULL_PAYMENT": "step",
}
# Positive-part factor -> the factor whose zero switches it off.
GATES: dict[str, str] = {
    "BALANCE": "BALANCE_FREQUENCY",
    "ONEOFF_PURCHASES": "ONEOFF_PURCHASES_FREQUENCY",
    "INSTALLMENTS_PURCHASES": "PURCHASES_INSTALLMENTS_FREQUENCY",
    "CASH_ADVANCE": "CASH_ADVANCE_FREQUENCY",
    "CASH_ADVANCE_TRX_PER_MONTH": "CASH_ADVANCE_FREQUENCY",
}


@dataclass(frozen=True)
class Calibration:
    """Everything the generator needs: marginals, copula correlation, missing-value shares."""

    marginals: dict[str, Marginal]
    correlation: FloatArray
    missing: dict[str, float]  # share missing, MINIMUM_PAYMENTS counted only where PAYMENTS > 0
    source_rows: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, rounded."""
        return {
            "source_rows": self.source_rows,
            "factors": list(self.marginals),
            "missing": {name: round(share, 6) for name, share in self.missing.items()},
            "correlation": np.round(self.correlation, 4).tolist(),
            "marginals": {name: marginal.to_json() for name, marginal in self.marginals.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        """Rebuild a calibration written by `to_json`."""
        marginals = {name: Marginal.from_json(data["marginals"][name]) for name in data["factors"]}
        return cls(
            marginals=marginals,
            correlation=repair_correlation(np.asarray(data["correlation"], dtype=np.float64)),
            missing={name: float(share) for name, share in data["missing"].items()},
            source_rows=int(data["source_rows"]),
        )


@cache
def load_calibration(path: Path = CALIBRATION_PATH) -> Calibration:
    """The calibration shipped with the package (or another file written by this module)."""
    return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))
