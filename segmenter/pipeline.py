"""One segmentation run from a canonical frame, and its output files."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from pydantic import BaseModel
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from segmenter.cluster.algorithms import get_algorithm
from segmenter.cluster.evaluation import N_BOOTSTRAPS, Evaluation, evaluate
from segmenter.cluster.features import fit_transform_features
from segmenter.cluster.selection import K_RANGE, MIN_SHARE, choose_k
from segmenter.errors import InputError
from segmenter.files import Content, csv_content, write_all
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.model.fitted import (
    SegmentModel,
    assignment_confidence,
    assignment_table,
    model_bytes,
)
from segmenter.progress import Progress, quiet
from segmenter.refresh.drift import BOOK_FILE, BookReference, book_reference
from segmenter.results import KChoice, RunProfile, SegmentProfile
from segmenter.sampling import PROFILE_ROWS, Purpose, sample_rows

__all__ = [
    "Segmentation",
    "check_request",
    "fit_note",
    "in_canonical_order",
    "parse_k",
    "run_segmentation",
    "write_segmentation",
]

MIN_PER_SEGMENT = 5  # distinct customers for each segment asked for
MIN_CUSTOMERS = 20  # distinct customers for any segmentation


@dataclass(frozen=True)
class Segmentation:
    """A finished run: a segment per customer (input order), its profile and its model."""

    customer_ids: pl.Series
    labels: np.ndarray  # segment ids: 0..k-1 by size, largest first; -1 noise
    profile: RunProfile
    model: SegmentModel
    confidence: np.ndarray  # per customer (model.fitted.assignment_confidence); NaN: none
    book: BookReference | None = None  # the book's bins, for next month's drift (book.json)


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
    """Refuse, in one sentence, a k the customers of `frame` cannot support.

    Customers count by their distinct figures: copies of one customer add no information.
    Every method is refitted on bootstrap resamples (about 63 % distinct rows) to measure its
    stability, so each segment needs a few customers to spare: MIN_PER_SEGMENT each, and
    MIN_CUSTOMERS in all (the density methods need neighbourhoods of 5).
    """
    n_rows = frame.height
    if n_rows == 0:
        raise InputError(f"{source}: there are no customers to segment")
    empty = [c for c in FEATURE_COLUMNS if frame.get_column(c).null_count() == n_rows]
    if empty:
        raise InputError(
            f"{source}: column {empty[0]} has no values at all"
            + (f" (nor {len(empty) - 1} other column(s))" if len(empty) > 1 else "")
            + "; segmenting needs some values in every column"
        )
    # Every check below asks for at most this many distinct customers: on a large book its
    # first rows show that at once, without hashing every row (seconds and GBs at 10M).
    enough = max(MIN_CUSTOMERS, MIN_PER_SEGMENT * (k or k_range[1])) if uses_k else MIN_CUSTOMERS
    n_distinct = _distinct_customers(frame, at_least=enough)
    if uses_k and k is not None:
        if n_rows < k:
            raise InputError(
                f"{source}: {n_rows} customers are fewer than the {k} segments asked for"
            )
        if n_distinct < k:
            raise InputError(
                f"{source}: k={k} is more than the {n_distinct} customers with distinct figures"
            )
    if uses_k and k is None and n_distinct < MIN_PER_SEGMENT * k_range[1]:
        raise InputError(
            f"{source}: choosing k from {k_range[0]} to {k_range[1]} needs at least "
            f"{MIN_PER_SEGMENT * k_range[1]} customers with distinct figures "
            f"({MIN_PER_SEGMENT} for each segment), and there are {n_distinct}; "
            "ask for a number of segments instead"
        )
    if uses_k and k is not None and n_distinct < MIN_PER_SEGMENT * k:
        raise InputError(
            f"{source}: {k} segments need at least {MIN_PER_SEGMENT * k} customers with "
            f"distinct figures ({MIN_PER_SEGMENT} for each segment), and there are {n_distinct}"
        )
    if n_distinct < MIN_CUSTOMERS:
        raise InputError(
            f"{source}: segmenting needs at least {MIN_CUSTOMERS} customers with distinct "
            f"figures, and there are {n_distinct}"
        )


def _distinct_customers(frame: pl.DataFrame, *, at_least: int) -> int:
    """Distinct feature rows; on a large frame, its head's count when that is `at_least`."""
    head_rows = max(4 * at_least, 10_000)
    head = frame.head(head_rows).select(FEATURE_COLUMNS).unique().height
    if head >= at_least or frame.height <= head_rows:
        return head
    return frame.select(FEATURE_COLUMNS).unique().height


def run_segmentation(
    frame: pl.DataFrame,
    *,
    algorithm: str = "kmeans",
    k: int | None = None,
    seed: int = 0,
    k_range: tuple[int, int] = K_RANGE,
    min_share: float = MIN_SHARE,
    n_bootstraps: int = N_BOOTSTRAPS,
    progress: Progress = quiet,
    source: str = "input",
) -> Segmentation:
    """Segment the customers of a canonical frame; k=None chooses k (methods that take one).

    Everything is fitted and measured on the customers in id order (`in_canonical_order`), so
    a copy with its rows in another order gets the same segments; labels come back in input
    order.
    """
    spec = get_algorithm(algorithm)
    input_ids = frame.get_column(ID_COLUMN).cast(pl.String)
    frame, order = in_canonical_order(frame)
    check_request(frame, k=k, k_range=k_range, uses_k=spec.uses_k, source=source)
    # One thread: results do not depend on the machine's cores, and OpenMP spin-waits make
    # multi-threaded fits many times slower on a busy shared machine.
    with threadpool_limits(limits=1):
        preprocessor, X = fit_transform_features(frame, seed=seed)
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
        segments = profile_segments(frame, result, seed=seed)
    centres = _centres(X, result.labels, result.k)
    confidence, _ = assignment_confidence(X, centres, result.labels)
    model = SegmentModel(
        algorithm=algorithm,
        pipeline=Pipeline([("features", preprocessor), ("cluster", result.model)]),
        label_map=result.label_map,
        names={s.id: s.name for s in segments},
        centres=centres,
    )
    profile = RunProfile(
        algorithm=algorithm,
        k=result.k,
        seed=seed,
        n_customers=frame.height,
        metrics=result.metrics,
        k_selection=choice,
        fit_note=fit_note(result, requested_k=k, profiled_rows=min(frame.height, PROFILE_ROWS)),
        segments=segments,
    )
    return Segmentation(
        customer_ids=input_ids,
        labels=_in_input_order(result.labels, order),
        profile=profile,
        model=model,
        confidence=_in_input_order(confidence, order),
        book=book_reference(frame),
    )


def in_canonical_order(frame: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray | None]:
    """The customers sorted by id (shorter ids first, then by character), and the input
    position of each sorted row; None, and the frame itself, when it is in that order already.

    Samples, k-means starts, bootstrap draws and silhouette samples all pick rows by position,
    so fitting in file order would give a reordered copy other segments. Ids are unique (ingest
    checks them); shorter-first keeps generated ids (`row-2` before `row-10`) and plain
    numbers in row order. A stable sort leaves repeated ids of an API frame in input order.
    """
    ids = pl.col(ID_COLUMN).cast(pl.String)
    keys = (ids.str.len_bytes().alias("length"), ids.alias("id"))
    ordered = frame.select(
        ((keys[0].diff() > 0) | ((keys[0].diff() == 0) & (ids >= ids.shift(1))))
        .fill_null(True)
        .all()
    ).item()
    if ordered:
        return frame, None
    order = frame.select(pl.arg_sort_by(keys, maintain_order=True)).to_series().to_numpy()
    return frame[order], order


def _in_input_order(values: np.ndarray, order: np.ndarray | None) -> np.ndarray:
    """Per-customer values of the sorted frame, put back in the input's row order."""
    if order is None:
        return values
    out = np.empty_like(values)
    out[order] = values
    return out


def profile_segments(frame: pl.DataFrame, result: Evaluation, *, seed: int) -> list[SegmentProfile]:
    """Profiles of every segment; above `PROFILE_ROWS` customers, from a seeded sample.

    Statistics, rules and names then come from the sample (which keeps at least one member of
    every segment); sizes and shares are always counted over every customer.
    """
    from segmenter.explain.profiles import build_profiles

    labels = result.labels
    rows = sample_rows(labels.size, PROFILE_ROWS, seed=seed, purpose=Purpose.PROFILE)
    if rows.size < labels.size:
        _, first = np.unique(labels, return_index=True)
        rows = np.union1d(rows, first)
        frame = frame[rows]
    segments = build_profiles(
        frame,
        labels[rows],
        seed=seed,
        silhouettes=result.segment_silhouettes,
        stabilities=result.segment_stabilities,
    )
    if rows.size == labels.size:
        return segments
    ids, counts = np.unique(labels, return_counts=True)
    sizes = dict(zip(ids.tolist(), counts.tolist(), strict=True))
    return [
        s.model_copy(update={"size": sizes[s.id], "share": round(sizes[s.id] / labels.size, 4)})
        for s in segments
    ]


def _centres(X: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Mean transformed row of each segment 0..k-1."""
    return np.array([X[labels == s].mean(axis=0) for s in range(k)]).reshape(k, X.shape[1])


def fit_note(
    result: Evaluation, *, requested_k: int | None, profiled_rows: int | None = None
) -> str | None:
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
    elif result.fit_rows is not None and result.fit_rows < n_rows:
        notes.append(
            f"{spec.title} was fitted on a random sample of {result.fit_rows:,} of "
            f"{n_rows:,} customers; then every customer was assigned by the fitted model."
        )
    if profiled_rows is not None and profiled_rows < n_rows:
        notes.append(
            f"Segment statistics and rules were computed on a random sample of "
            f"{profiled_rows:,} customers; sizes and shares count all {n_rows:,}."
        )
    if not spec.uses_k:
        noise = int(np.sum(result.labels == -1))
        ignored = f" (the requested k={requested_k} does not apply)" if requested_k else ""
        notes.append(
            f"{spec.title} finds its own number of segments{ignored}: {result.k} "
            f"segment{'' if result.k == 1 else 's'}, "
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


def write_segmentation(
    run: Segmentation, out_dir: Path, *, extra: Mapping[str, Content] | None = None
) -> None:
    """Write assignments.csv, profiles.json, model.skops and book.json (when the run has its
    book's bins) into `out_dir`, and `extra` files (name -> content, e.g. a refresh's
    migration.csv) beside them.

    All are prepared before any is replaced, each atomically; assignments.csv is
    spreadsheet-safe (see segmenter.files).
    """
    assignments = assignment_table(run.customer_ids, run.labels, run.model.names, run.confidence)
    write_all(
        {
            out_dir / "assignments.csv": csv_content(assignments),
            out_dir / "profiles.json": _json(run.profile),
            out_dir / "model.skops": model_bytes(run.model),
        }
        | ({out_dir / BOOK_FILE: _json(run.book)} if run.book is not None else {})
        | {out_dir / name: data for name, data in (extra or {}).items()}
    )


def _json(model: BaseModel) -> bytes:
    return (model.model_dump_json(indent=2) + "\n").encode()
