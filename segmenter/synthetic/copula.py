"""Gaussian-copula building blocks: empirical marginals, normal scores and correlation repair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

__all__ = [
    "Marginal",
    "fit_marginal",
    "gate_correction",
    "normal_scores",
    "pairwise_correlation",
    "repair_correlation",
]

FloatArray = NDArray[np.float64]
Kind = Literal["step", "linear"]

# Quantile levels of continuous marginals: every 0.5 %, and every 0.1 % in both tails.
QUANTILE_LEVELS: FloatArray = np.unique(
    np.round(
        np.concatenate(
            [np.linspace(0, 1, 201), np.linspace(0, 0.02, 21), np.linspace(0.98, 1, 21)]
        ),
        6,
    )
)


@dataclass(frozen=True)
class Marginal:
    """A one-dimensional distribution: a share of exact zeros, then a table for positive values.

    `step` tables hold distinct values with their cumulative probabilities (discrete columns);
    `linear` tables hold quantiles at `probs`, interpolated linearly (continuous columns).
    """

    kind: Kind
    zero: float
    probs: FloatArray
    values: FloatArray

    def inverse(self, u: FloatArray) -> FloatArray:
        """Map uniforms in [0, 1] to values: zero below the zero share, else the positive table."""
        return np.where(u < self.zero, 0.0, self.positive(_rescale(u, self.zero)))

    def positive(self, u: FloatArray) -> FloatArray:
        """Map uniforms to values of the positive part only."""
        if self.kind == "step":
            index = np.searchsorted(self.probs, u, side="right")
            return self.values[np.minimum(index, len(self.values) - 1)]
        return np.interp(u, self.probs, self.values)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: probabilities to six decimals, values to seven significant digits."""
        return {
            "kind": self.kind,
            "zero": round(self.zero, 6),
            "probs": np.round(self.probs, 6).tolist(),
            "values": [float(f"{value:.7g}") for value in self.values],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Marginal:
        """Rebuild a marginal written by `to_json`."""
        return cls(
            kind=data["kind"],
            zero=float(data["zero"]),
            probs=np.asarray(data["probs"], dtype=np.float64),
            values=np.asarray(data["values"], dtype=np.float64),
        )


def _rescale(u: FloatArray, zero: float) -> FloatArray:
    return np.clip((u - zero) / (1.0 - zero), 0.0, 1.0) if zero < 1.0 else np.zeros_like(u)


def fit_marginal(values: FloatArray, *, kind: Kind) -> Marginal:
    """Fit a marginal to the finite values of a column (NaN means 'not defined here')."""
    finite = values[np.isfinite(values)]
    positive = np.sort(finite[finite > 0])
    zero = float(np.mean(finite == 0)) if finite.size else 0.0
    if kind == "step":
        distinct, counts = np.unique(positive, return_counts=True)
        return Marginal("step", zero, np.cumsum(counts) / positive.size, distinct)
    return Marginal("linear", zero, QUANTILE_LEVELS, np.quantile(positive, QUANTILE_LEVELS))


def normal_scores(values: FloatArray) -> FloatArray:
    """Normal scores of the finite values; tied values get E[Z] over their shared probability band.

    Rows that are NaN stay NaN. Ties matter here: a column with half its values at zero would
    otherwise get one arbitrary score for half the file.
    """
    scores = np.full(values.shape, np.nan)
    finite = np.isfinite(values)
    observed = values[finite]
    _, inverse, counts = np.unique(observed, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts) / observed.size
    lower = upper - counts / observed.size
    a, b = ndtri(lower), ndtri(upper)
    density = np.exp(-0.5 * np.square(np.nan_to_num(a, posinf=40, neginf=-40)))
    density_b = np.exp(-0.5 * np.square(np.nan_to_num(b, posinf=40, neginf=-40)))
    band_mean = (density - density_b) / np.sqrt(2 * np.pi) / (upper - lower)
    scores[finite] = band_mean[inverse]
    return scores


def pairwise_correlation(scores: FloatArray, *, min_rows: int = 50) -> FloatArray:
    """Pearson correlation of the columns of `scores`, each pair over rows where both are known."""
    n_columns = scores.shape[1]
    known = np.isfinite(scores)
    result = np.eye(n_columns)
    for i in range(n_columns):
        for j in range(i + 1, n_columns):
            rows = known[:, i] & known[:, j]
            if rows.sum() < min_rows:
                continue
            x, y = scores[rows, i], scores[rows, j]
            if x.std() == 0 or y.std() == 0:
                continue
            result[i, j] = result[j, i] = float(np.corrcoef(x, y)[0, 1])
    return result


def repair_correlation(matrix: FloatArray, *, floor: float = 1e-3) -> FloatArray:
    """The nearest-by-eigenvalue-clipping positive-definite matrix with a unit diagonal."""
    symmetric = (matrix + matrix.T) / 2
    eigenvalues, eigenvectors = np.linalg.eigh(symmetric)
    clipped = (eigenvectors * np.maximum(eigenvalues, floor)) @ eigenvectors.T
    scale = 1.0 / np.sqrt(np.diag(clipped))
    repaired = clipped * np.outer(scale, scale)
    np.fill_diagonal(repaired, 1.0)
    return repaired


def gate_correction(rho: float, zero: float) -> tuple[FloatArray, FloatArray]:
    """CDF of a latent normal given that a gate latent (correlation `rho`) is above its zero share.

    A positive amount is drawn only where its gate (e.g. a frequency) is open; that selection
    shifts the amount's latent, so it is mapped through this conditional CDF to stay uniform and
    keep the amount's marginal exact. Returns (grid, cdf) for `np.interp`.
    """
    grid = np.linspace(-8.5, 8.5, 1201)
    threshold = float(ndtri(zero)) if zero > 0 else -8.5
    t = np.linspace(threshold, 8.5, 2001)
    weights = np.exp(-0.5 * t**2)
    spread = np.sqrt(max(1.0 - rho**2, 1e-12))
    inner = ndtr((grid[:, None] - rho * t[None, :]) / spread)
    cdf = np.trapezoid(inner * weights, t, axis=1) / np.trapezoid(weights, t)
    return grid, np.clip(cdf, 0.0, 1.0)
