"""A run as the workspace records it: built from a finished run or from its output folder."""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
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
    "path_sha256",
    "profiles_sha256",
    "profiles_text",
    "spark_archive",
]

BOOK_FILE = "book.json"  # as refresh.drift.BOOK_FILE (not imported: it would load NumPy)
# A Spark run's model, as segmenter.spark.model names it (not imported: it loads scikit-learn)
SPARK_MANIFEST = "spark_model.json"
SPARK_MODEL_DIR = "spark_model"
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


def path_sha256(path: Path) -> str:
    """A file's sha256; a folder's (a Parquet dataset, a Spark run's assignments/) over each
    of its files' relative path and sha256, in path order: a file changed, added or renamed
    changes it."""
    if not path.is_dir():
        return file_sha256(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode("utf-8") + b"\0")
        digest.update(bytes.fromhex(file_sha256(file)))
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
    model: bytes = field(repr=False)  # model.skops's bytes; a Spark run's: `spark_archive`
    assignments: bytes | None = field(repr=False)  # Parquet (zstd); None: not kept
    book: str | None = field(default=None, repr=False)  # book.json's text; None: none written
    engine: str = "local"  # or "spark"

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
    engine: str = "local",
) -> NewRun:
    """A run from the folder `segmenter segment` wrote (streamed and Spark runs too):
    profiles.json, model.skops and book.json (when there) byte for byte, assignments.csv as
    Parquet (ids as written: spreadsheet-safe) unless `keep_assignments` is False (a streamed
    book's millions of rows are left in their folder).

    A Spark run's folder (`engine` "spark") is recorded with its model as `spark_archive`
    packs it (spark_model.json and spark_model/), without its assignments: they stay in the
    folder, as a streamed run's do."""
    if engine not in ("local", "spark"):
        raise ValueError(f"an engine is local or spark, not {engine!r}")
    spark = engine == "spark"
    model = SPARK_MANIFEST if spark else "model.skops"
    keep_assignments = keep_assignments and not spark
    names = ("profiles.json", model) + (("assignments.csv",) if keep_assignments else ())
    files = {name: run_dir / name for name in names}
    missing = [name for name, path in files.items() if not path.is_file()]
    if spark and not (run_dir / SPARK_MODEL_DIR).is_dir():
        missing.append(f"{SPARK_MODEL_DIR}/")
    if missing:
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
        model=spark_archive(run_dir) if spark else files[model].read_bytes(),
        assignments=assignments,
        book=book.read_bytes().decode("utf-8") if book.is_file() else None,
        engine=engine,
    )


def spark_archive(run_dir: Path) -> bytes:
    """A Spark run's model as one value: a zip of spark_model.json and every file under
    spark_model/ (Spark's writer's folder), by path as in `run_dir`. The same files give the
    same bytes: entries in path order, with a fixed time stamp. Its sha256 is the run's model
    hash in the workspace and in its briefs' audit."""
    paths = [run_dir / SPARK_MANIFEST]
    paths += sorted(p for p in (run_dir / SPARK_MODEL_DIR).rglob("*") if p.is_file())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in paths:
            entry = zipfile.ZipInfo(path.relative_to(run_dir).as_posix(), (1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return out.getvalue()


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
    engine: str  # "local" (this machine) or "spark"


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
        """The fitted model, checked as any model file is (`model.fitted.load_model`); an
        InputError for a Spark run's, which only Spark applies."""
        from segmenter.model.fitted import load_model

        if self.engine == "spark":
            raise InputError(
                f"run {self.id} was fitted on Spark: its model is a Spark pipeline, which "
                "`segmenter score RUN_FOLDER FILE --engine spark` applies from the run's folder"
            )

        with tempfile.TemporaryDirectory(prefix="segmenter-run-") as folder:
            path = Path(folder) / f"run-{self.id}.skops"
            path.write_bytes(self.model_bytes)
            return load_model(path)
