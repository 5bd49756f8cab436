"""Last month's run, as a refresh needs it: from the folder `segmenter segment` wrote, or from
the workspace by run id (or the latest run recorded).

A recorded run is refreshed against when it kept its book (runs recorded from schema 0003 on:
drift needs it) and its assignments (streamed runs keep theirs in their folder only); otherwise
the refusal says to give its folder instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine

from segmenter.errors import InputError
from segmenter.files import restore_text
from segmenter.model.fitted import SegmentModel, load_model
from segmenter.refresh.drift import BOOK_FILE, BookReference
from segmenter.results import RunProfile
from segmenter.spark.model import MANIFEST_FILE as SPARK_MANIFEST
from segmenter.workspace import RunRecord, UnknownRecord, get_run, latest_document, latest_run

__all__ = [
    "LATEST",
    "REFRESH_DOCUMENT",
    "REFRESH_FILE",
    "PreviousRun",
    "previous_from_record",
    "read_previous",
    "recorded_previous",
]

REFRESH_FILE = "refresh.json"
REFRESH_DOCUMENT = "refresh.json"  # the kind of a refresh recorded with its run
LATEST = "latest"  # --previous latest: the run recorded last
NOISE = -1
_MAX_ID = 2**63 - 1  # SQL's integers: a larger id is no run's
ONE_MACHINE = (
    ", and a refresh is made on one machine against a model fitted there; refresh against a "
    "run segmented without --engine spark"
)
_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class PreviousRun:
    """What a refresh needs of last month's run."""

    source: str  # its folder, or "run N" of the workspace, for messages
    model: SegmentModel
    assignments: pl.DataFrame  # customer_id, segment, segment_name
    profile: RunProfile
    book: BookReference | None  # None: a run written before book.json existed
    highest_id: int  # the highest segment id ever used, through every refresh before it
    run_id: int | None = None  # its id in the workspace, when read from there


def read_previous(folder: Path) -> PreviousRun:
    """Last month's run from its folder; an InputError naming what is missing or damaged."""
    if not folder.is_dir():
        raise InputError(f"--previous {folder}: no such run folder (one `segmenter segment` wrote)")
    if (folder / SPARK_MANIFEST).is_file():
        raise InputError(f"--previous {folder}: a run fitted on Spark{ONE_MACHINE}")
    for name in ("model.skops", "assignments.csv", "profiles.json"):
        if not (folder / name).is_file():
            raise InputError(f"--previous {folder}: no {name}; is it a run folder?")
    model = load_model(folder / "model.skops")
    profile = _read_json(folder / "profiles.json", RunProfile)
    try:
        assignments = pl.read_csv(
            folder / "assignments.csv",
            columns=["customer_id", "segment", "segment_name"],
            schema_overrides={"customer_id": pl.String, "segment": pl.Int64},
        )
    except (pl.exceptions.PolarsError, OSError):
        raise InputError(f"{folder / 'assignments.csv'}: not a readable assignments file") from None
    # Ids as the customer file has them, not as written spreadsheet-safe ('=1+1).
    assignments = assignments.with_columns(restore_text(assignments.get_column("customer_id")))
    book = _read_json(folder / BOOK_FILE, BookReference) if (folder / BOOK_FILE).is_file() else None
    highest = _highest(model)
    if (folder / REFRESH_FILE).is_file():
        try:
            highest = max(highest, _highest_in_report((folder / REFRESH_FILE).read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            raise InputError(
                f"{folder / REFRESH_FILE}: damaged; refresh from the run before it"
            ) from None
    return PreviousRun(str(folder), model, assignments, profile, book, highest)


def recorded_previous(engine: Engine, which: str) -> PreviousRun:
    """Last month's run from the workspace: `which` is a run id or "latest"; an InputError in
    one line for no such run, or a run that cannot be refreshed against."""
    record = _find(engine, which)
    document = latest_document(engine, record.id, kind=REFRESH_DOCUMENT)
    try:
        report_highest = _highest_in_report(document.content) if document else None
    except (ValueError, KeyError, TypeError):
        raise InputError(
            f"--previous {which}: run {record.id}'s refresh report is damaged; refresh from the "
            "run before it"
        ) from None
    return previous_from_record(record, report_highest=report_highest, asked=which)


def previous_from_record(
    record: RunRecord, *, report_highest: int | None = None, asked: str | None = None
) -> PreviousRun:
    """A recorded run as last month's run; `report_highest` is the highest segment id its own
    refresh report names, when it is a refresh. An InputError when it was fitted on Spark or
    kept no book or no assignments (`asked`: the --previous value, for the message)."""
    said = f"--previous {asked if asked is not None else record.id}: run {record.id}"
    if record.engine == "spark":
        raise InputError(f"{said} was fitted on Spark{ONE_MACHINE}")
    if record.book_json is None:
        raise InputError(
            f"{said} was recorded before runs kept their {BOOK_FILE}, so drift cannot be "
            "measured against it; give its folder instead (--previous FOLDER)"
        )
    assignments = record.assignments()
    if assignments is None:
        raise InputError(
            f"{said} was streamed and its assignments were not kept in the workspace; give its "
            "folder instead (--previous FOLDER)"
        )
    model = record.model()
    highest = max(_highest(model), report_highest if report_highest is not None else NOISE)
    return PreviousRun(
        source=f"run {record.id}",
        model=model,
        assignments=assignments.select("customer_id", "segment", "segment_name"),
        profile=record.profile(),
        book=BookReference.model_validate_json(record.book_json),
        highest_id=highest,
        run_id=record.id,
    )


def _find(engine: Engine, which: str) -> RunRecord:
    if which == LATEST:
        record = latest_run(engine)
        if record is None:
            raise InputError(
                "--previous latest: the workspace has no run yet; segment last month's file "
                "first, or give its folder (--previous FOLDER)"
            )
        return record
    if not (which.isascii() and which.isdigit()) or int(which) > _MAX_ID:
        raise InputError(f"--previous {which}: not a run id, 'latest' nor a run folder")
    try:
        return get_run(engine, int(which))
    except UnknownRecord:
        raise InputError(f"--previous {which}: the workspace has no run {int(which)}") from None


def _highest(model: SegmentModel) -> int:
    return max((s for s in model.names if s != NOISE), default=NOISE)


def _highest_in_report(text: str) -> int:
    """The highest segment id a refresh report (refresh.json) says was ever used."""
    return int(json.loads(text)["highest_id"])


def _read_json(path: Path, kind: type[_Model]) -> _Model:
    try:
        return kind.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        raise InputError(f"{path}: cannot be read as a run's {path.name}") from None
