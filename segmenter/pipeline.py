"""One segmentation run from a canonical frame, and its output files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from segmenter.algorithms import get_algorithm
from segmenter.errors import InputError
from segmenter.evaluation import N_BOOTSTRAPS, Evaluation, evaluate
from segmenter.features import build_preprocessor, feature_matrix
from segmenter.model import SegmentModel, save_model
from segmenter.results import KChoice, RunProfile
from segmenter.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.selection import K_RANGE, MIN_SHARE, choose_k

__all__ = [
    "Segmentation",
    "check_request",
    "fit_note",
    "parse_k",
    "run_segmentation",
    "write_segmentation",
]

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    return None


@dataclass(frozen=True)
class Segmentation:
    """A finished run: a segment per customer (input order), its profile and its model."""

    customer_ids: pl.Series
    labels: np.ndarray  # segment ids: 0..k-1 by size, largest first; -1 noise
    profile: RunProfile
    model: SegmentModel


def parse_k(text: str) -> int | None:
    """'auto' -> None (choose k); a whole number from 2 up -> that number."""
    if text.strip().lower() == "auto":
        return None
    try:
        k = int(text)
    except ValueError:
        k = 0
    if k < 2:
        raise InputError(f"--k must be 'auto' or a whole number of segments from 2 up: {text!r}")
    return k


def check_request(
    frame: pl.DataFrame,
    *,
    k: int | None,
    k_range: tuple[int, int] = K_RANGE,
    uses_k: bool = True,
    source: str = "input",
) -> None:
    """Refuse, in one sentence, a k the customers of `frame` cannot support."""
    n_rows = frame.height
    if n_rows == 0:
        raise InputError(f"{source}: there are no customers to segment")
    n_distinct = frame.select(FEATURE_COLUMNS).unique().height
    if not uses_k:
        if n_distinct < 2:
            raise InputError(
                f"{source}: segmenting needs at least 2 customers with distinct figures"
            )
        return
    if k is None and n_distinct <= k_range[0]:
        raise InputError(
            f"{source}: choosing k needs more than {k_range[0]} customers with distinct figures, "
            f"and there are {n_distinct}"
        )
    if k is not None and n_rows < k:
        raise InputError(f"{source}: {n_rows} customers are fewer than the {k} segments asked for")
    if k is not None and n_distinct < k:
        raise InputError(
            f"{source}: k={k} is more than the {n_distinct} customers with distinct figures"
        )


def run_segmentation(
    frame: pl.DataFrame,
    *,
    algorithm: str = "kmeans",
    k: int | None = None,
    seed: int = 0,
    k_range: tuple[int, int] = K_RANGE,
    min_share: float = MIN_SHARE,
    n_bootstraps: int = N_BOOTSTRAPS,
    progress: Progress = _quiet,
    source: str = "input",
) -> Segmentation:
    """Segment the customers of a canonical frame; k=None chooses k (methods that take one)."""
    from segmenter.profiles import build_profiles

    spec = get_algorithm(algorithm)
    check_request(frame, k=k, k_range=k_range, uses_k=spec.uses_k, source=source)
    # One thread: results do not depend on the machine's cores, and OpenMP spin-waits make
    # multi-threaded fits many times slower on a busy shared machine.
    with threadpool_limits(limits=1):
        raw = feature_matrix(frame)
        preprocessor = build_preprocessor().fit(raw)
        X = preprocessor.transform(raw)
        choice: KChoice | None = None
        if spec.uses_k and k is None:
            choice, result = choose_k(
                X, algorithm, seed=seed, k_range=k_range, min_share=min_share,
                n_bootstraps=n_bootstraps, progress=progress,
            )  # fmt: skip
        else:
            progress(f"fitting {algorithm}" + (f" at k={k}" if spec.uses_k else ""))
            result = evaluate(X, algorithm, k=k or 0, seed=seed, n_bootstraps=n_bootstraps)
        progress("profiling segments")
        segments = build_profiles(
            frame,
            result.labels,
            seed=seed,
            silhouettes=result.segment_silhouettes,
            stabilities=result.segment_stabilities,
        )
    model = SegmentModel(
        algorithm=algorithm,
        pipeline=Pipeline([("features", preprocessor), ("cluster", result.model)]),
        label_map=result.label_map,
        names={s.id: s.name for s in segments},
        centres=_centres(X, result.labels, result.k),
    )
    profile = RunProfile(
        algorithm=algorithm,
        k=result.k,
        seed=seed,
        n_customers=frame.height,
        metrics=result.metrics,
        k_selection=choice,
        fit_note=fit_note(result, requested_k=k),
        segments=segments,
    )
    ids = frame.get_column(ID_COLUMN).cast(pl.String)
    return Segmentation(customer_ids=ids, labels=result.labels, profile=profile, model=model)


def _centres(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean transformed row of each segment 0..k-1."""
    return np.array([X[labels == s].mean(axis=0) for s in range(k)]).reshape(k, X.shape[1])


def fit_note(result: Evaluation, *, requested_k: int | None) -> str | None:
    """Plain words on how the model was fitted, when it is anything but all rows and k segments."""
    spec = get_algorithm(result.algorithm)
    notes: list[str] = []
    n_rows = result.labels.size
    fitted = getattr(result.model, "n_fit_rows_", n_rows)
    if fitted < n_rows:
        notes.append(
            f"{spec.title} was fitted on a random sample of {fitted:,} of {n_rows:,} "
            f"customers; the other {n_rows - fitted:,} were assigned by {spec.assign_rule}."
        )
    if not spec.uses_k:
        noise = int(np.sum(result.labels == -1))
        ignored = f" (the requested k={requested_k} does not apply)" if requested_k else ""
        notes.append(
            f"{spec.title} finds its own number of segments{ignored}: {result.k} segment(s), "
            f"and {noise:,} customers ({noise / n_rows:.0%}) fit no dense group; they are "
            f"reported as unassigned (-1), not as a segment."
        )
        inner: Any = getattr(result.model, "estimator_", None)
        if hasattr(inner, "eps_"):
            notes.append(
                f"Its eps ({inner.eps_:.2f}) is the knee of the {inner.min_samples_}-nearest-"
                "neighbour distance curve."
            )
    return " ".join(notes) or None


def write_segmentation(run: Segmentation, out_dir: Path) -> None:
    """Write assignments.csv, profiles.json and model.skops into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names = run.model.names
    pl.DataFrame(
        {
            "customer_id": run.customer_ids,
            "segment": run.labels,
            "segment_name": [names.get(int(s), "Unassigned") for s in run.labels],
        }
    ).write_csv(out_dir / "assignments.csv")
    (out_dir / "profiles.json").write_text(run.profile.model_dump_json(indent=2) + "\n")
    save_model(run.model, out_dir / "model.skops")
