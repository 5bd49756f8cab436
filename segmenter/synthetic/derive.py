"""Derive the synthetic generator's calibration from the real CC GENERAL file.

Regenerate with: python -m segmenter.synthetic.derive ../shared/data/CC_GENERAL.csv
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.synthetic.calibration import CALIBRATION_PATH, FACTORS, GATES, Calibration
from segmenter.synthetic.copula import (
    FloatArray,
    fit_marginal,
    normal_scores,
    pairwise_correlation,
    repair_correlation,
)
from segmenter.synthetic.generate import generate_customers

__all__ = ["derive_calibration", "main", "read_real_file"]


def _months(frequency: FloatArray, tenure: FloatArray) -> FloatArray:
    """Active months behind a frequency: frequencies are shares of the months of tenure."""
    return np.rint(frequency * tenure)


def factor_values(frame: pl.DataFrame) -> dict[str, FloatArray]:
    """Each factor's values per row of the real file; NaN where the factor does not apply."""
    col = {
        name: frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy() for name in FEATURE_COLUMNS
    }
    tenure = col["TENURE"]
    oneoff = _months(col["ONEOFF_PURCHASES_FREQUENCY"], tenure)
    instal = _months(col["PURCHASES_INSTALLMENTS_FREQUENCY"], tenure)
    bought = _months(col["PURCHASES_FREQUENCY"], tenure)
    cash = _months(col["CASH_ADVANCE_FREQUENCY"], tenure)
    larger = np.maximum(oneoff, instal)
    room = np.minimum(np.minimum(oneoff, instal), tenure - larger)
    with np.errstate(divide="ignore", invalid="ignore"):
        overlap = np.where(room > 0, np.clip((bought - larger) / room, 0, 1), np.nan)
        purchase_rate = np.where(bought > 0, np.maximum(col["PURCHASES_TRX"] / bought, 1), np.nan)
        cash_rate = np.where(cash > 0, np.maximum(col["CASH_ADVANCE_TRX"] / cash, 1), np.nan)
    values = {name: col[name] for name in FACTORS if name in col}
    for name in (gated for gated in GATES if gated in col):
        values[name] = np.where(col[name] > 0, col[name], np.nan)
    values["PURCHASE_MONTHS_OVERLAP"] = overlap
    values["PURCHASES_TRX_PER_MONTH"] = purchase_rate
    values["CASH_ADVANCE_TRX_PER_MONTH"] = cash_rate
    return {name: values[name] for name in FACTORS}


def derive_calibration(frame: pl.DataFrame, *, rounds: int = 15) -> Calibration:
    """Measure marginals, copula correlation and missing shares on a CC GENERAL frame."""
    values = factor_values(frame)
    marginals = {name: fit_marginal(values[name], kind=kind) for name, kind in FACTORS.items()}
    scores = np.column_stack([normal_scores(values[name]) for name in FACTORS])
    paid = frame.filter(pl.col("PAYMENTS") > 0)
    missing = {
        "MINIMUM_PAYMENTS": paid["MINIMUM_PAYMENTS"].null_count() / max(paid.height, 1),
        "CREDIT_LIMIT": frame["CREDIT_LIMIT"].null_count() / max(frame.height, 1),
    }
    start = repair_correlation(pairwise_correlation(scores))
    calibration = Calibration(marginals, start, missing, source_rows=frame.height)
    return fit_correlation(calibration, column_correlation(frame), rounds=rounds)


# The column each factor shows up in, where that is not the factor's own name.
_SHOWN_AS = {
    "PURCHASE_MONTHS_OVERLAP": "PURCHASES_FREQUENCY",
    "PURCHASES_TRX_PER_MONTH": "PURCHASES_TRX",
    "CASH_ADVANCE_TRX_PER_MONTH": "CASH_ADVANCE_TRX",
}


def column_correlation(frame: pl.DataFrame) -> FloatArray:
    """Normal-score correlation of the columns that show each factor, zeros and ties included."""
    columns = [_SHOWN_AS.get(name, name) for name in FACTORS]
    scores = [
        normal_scores(frame[c].cast(pl.Float64).fill_null(np.nan).to_numpy()) for c in columns
    ]
    return pairwise_correlation(np.column_stack(scores))


def fit_correlation(
    calibration: Calibration, target: FloatArray, *, rounds: int = 15, rows: int = 100_000
) -> Calibration:
    """Adjust the latent correlation until synthetic columns correlate as the real ones do.

    Zeros, ties, gates and derived columns weaken a latent correlation on its way to the data
    (purchase against cash-advance frequency shows about -0.3 from a latent -0.5), so simulate,
    compare with the real columns, and step the latent matrix by most of the gap (fixed seeds).
    """
    latent = calibration.correlation
    for round_index in range(rounds):
        trial = replace(calibration, correlation=latent)
        synthetic = generate_customers(rows, seed=round_index, calibration=trial)
        gap = target - column_correlation(synthetic)
        latent = repair_correlation(np.clip(latent + 0.8 * gap, -0.995, 0.995))
    return replace(calibration, correlation=latent)


def read_real_file(path: Path) -> pl.DataFrame:
    """Read the real CC GENERAL CSV with every behavioural column as a float."""
    return pl.read_csv(path, schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64))


def main(argv: list[str] | None = None) -> None:
    """Command line: derive the calibration from the real file and write it as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m segmenter.synthetic.derive", description=__doc__
    )
    parser.add_argument("real_file", type=Path, help="the real CC GENERAL CSV")
    parser.add_argument("--out", type=Path, default=CALIBRATION_PATH, help="JSON file to write")
    args = parser.parse_args(argv)
    calibration = derive_calibration(read_real_file(args.real_file))
    text = json.dumps(calibration.to_json(), separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(text):,} bytes) from {calibration.source_rows:,} rows")


if __name__ == "__main__":
    main()
