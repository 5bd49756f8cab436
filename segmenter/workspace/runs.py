"""A run as the workspace records it: built from a finished run or from its output folder."""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import BaseModel, ValidationError

from segmenter.errors import InputError
from segmenter.results import RunProfile

if TYPE_CHECKING:  # scikit-learn is loaded where a model is: reading a run's figures needs none
    from segmenter.model.fitted import SegmentModel

__all__ = [
    "NewRun",
    "RunRecord",
    "RunSummary",
    "file_sha256",
    "new_run",
    "new_run_from_dir",
    "profiles_sha256",
    "profiles_text",
]

BOOK_FILE = "book.json"  # as refresh.drift.BOOK_FILE (not imported: it would load NumPy)
ASSIGNMENT_TYPES = {
    "customer_id": pl.String,
    "segment": pl.Int64,
    "segment_name": pl.String,
    "confidence": pl.Float64,
}


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, read in blocks (input files may be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def profiles_text(profile: RunProfile) -> str:
    """profiles.json as `write_segmentation` writes it (the brief's audit hashes these bytes)."""
    return profile.model_dump_json(indent=2) + "\n"


def profiles_sha256(profile: RunProfile) -> str:
    """The sha256 of the profile's profiles.json: what a recorded run is found by
    (`store.run_for_profiles`)."""
    return hashlib.sha256(profiles_text(profile).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewRun:
    """Everything recorded about one run, ready to write; `record_run` writes it."""

    source_name: str
    source_sha256: str
    rows_read: int
    rows_kept: int
    settings: dict[str, Any]  # what was asked: algorithm, k ("auto" or a number), seed, ...
    profiles: str  # profiles.json's text
    model: bytes = field(repr=False)  # model.skops's bytes
    assignments: bytes | None = field(repr=False)  # Parquet (zstd); None: not kept
    book: str | None = field(default=None, repr=False)  # book.json's text; None: none written

    @property
    def profile(self) -> RunProfile:
        """The run's profile, parsed from `profiles`."""
        return RunProfile.model_validate_json(self.profiles)


def new_run(
    profile: RunProfile,
    model: SegmentModel,
    assignments: pl.DataFrame | None,
    *,
    source_name: str,
    source_sha256: str,
    rows_read: int,
    rows_kept: int,
    settings: dict[str, Any],
    book: BaseModel | None = None,  # the run's refresh.drift.BookReference (book.json)
) -> NewRun:
    """A run fitted in this process: its profile, model, assignment table
    (`model.fitted.assignment_table`, the columns of assignments.csv) and book's bins."""
    from segmenter.model.fitted import model_bytes

    return NewRun(
        source_name=source_name,
        source_sha256=source_sha256,
        rows_read=rows_read,
        rows_kept=rows_kept,
        settings=settings,
        profiles=profiles_text(profile),
        model=model_bytes(model),
        assignments=None if assignments is None else _parquet(assignments.lazy()),
        book=None if book is None else book.model_dump_json(indent=2) + "\n",  # as book.json
    )


def new_run_from_dir(
    run_dir: Path,
    *,
    source_name: str,
    source_sha256: str,
    rows_read: int,
    rows_kept: int,
    settings: dict[str, Any],
    keep_assignments: bool = True,
) -> NewRun:
    """A run from the folder `segmenter segment` wrote (streamed runs too): profiles.json,
    model.skops and book.json (when there) byte for byte, assignments.csv as Parquet (ids as
    written: spreadsheet-safe) unless `keep_assignments` is False (a streamed book's millions
    of rows are left in their folder)."""
    names = ("profiles.json", "model.skops") + (("assignments.csv",) if keep_assignments else ())
    files = {name: run_dir / name for name in names}
    if missing := [name for name, path in files.items() if not path.is_file()]:
        raise InputError(f"{run_dir}: no {' nor '.join(missing)}; is it a segment run?")
    profiles = files["profiles.json"].read_bytes().decode("utf-8")
    try:
        RunProfile.model_validate_json(profiles)
    except ValidationError as error:
        raise InputError(f"{files['profiles.json']}: not a segmentation profile") from error
    book = run_dir / BOOK_FILE
    assignments = None
    if keep_assignments:
        scan = pl.scan_csv(files["assignments.csv"], schema_overrides=ASSIGNMENT_TYPES)
        assignments = _parquet(scan)
    return NewRun(
        source_name=source_name,
        source_sha256=source_sha256,
        rows_read=rows_read,
        rows_kept=rows_kept,
        settings=settings,
        profiles=profiles,
        model=files["model.skops"].read_bytes(),
        assignments=assignments,
        book=book.read_bytes().decode("utf-8") if book.is_file() else None,
    )


def _parquet(frame: pl.LazyFrame) -> bytes:
    out = io.BytesIO()
    frame.sink_parquet(out, compression="zstd")  # streamed: a large book is never held whole
    return out.getvalue()


@dataclass(frozen=True)
class RunSummary:
    """A recorded run without its large parts: what a list of runs shows."""

    id: int
    created_at: datetime
    kind: str  # "segment", or "refresh" (of previous_run_id)
    status: str
    source_name: str
    source_sha256: str
    rows_read: int
    rows_kept: int
    algorithm: str
    k: int
    seed: int
    profiles_sha256: str
    model_sha256: str
    previous_run_id: int | None


@dataclass(frozen=True)
class RunRecord(RunSummary):
    """A recorded run, whole."""

    settings: dict[str, Any]
    metrics: dict[str, Any]
    profiles: str
    model_bytes: bytes = field(repr=False)
    assignments_parquet: bytes | None = field(repr=False)
    book_json: str | None = field(repr=False)  # book.json; None: recorded before it was kept

    def profile(self) -> RunProfile:
        """The run's profile, as in its profiles.json."""
        return RunProfile.model_validate_json(self.profiles)

    def assignments(self) -> pl.DataFrame | None:
        """customer_id, segment, segment_name, confidence; None when they were not kept."""
        if self.assignments_parquet is None:
            return None
        return pl.read_parquet(io.BytesIO(self.assignments_parquet))

    def model(self) -> SegmentModel:
        """The fitted model, checked as any model file is (`model.fitted.load_model`)."""
        from segmenter.model.fitted import load_model

        with tempfile.TemporaryDirectory(prefix="segmenter-run-") as folder:
            path = Path(folder) / f"run-{self.id}.skops"
            path.write_bytes(self.model_bytes)
            return load_model(path)
