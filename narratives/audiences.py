"""Audience files a CRM can take (`audiences/segment-<id>.csv`), from a run's assignments.csv.

A row per customer of a segment: customer_id, segment, segment_name, persona_title,
product_ids (the persona's recommended shelf ids, joined with ";"; empty for none),
confidence (how surely the customer belongs to the segment, see
segmenter.model.fitted.assignment_confidence; empty in assignments written before it), then
the extra columns of the customer file chosen to be carried (email, region...), as text, in
the order chosen. Spreadsheet-safe and atomic, as every CSV (segmenter.files).

Marketing consent: when a consent column is chosen, its values are read as yes (yes, y, true,
1) or no (no, n, false, 0), in any case, spaces around ignored; an empty cell counts as no, as
consent never recorded is not consent. Any other value is refused in one sentence naming the
file, column, row and value. The column is written as yes/no. The audience of a segment whose
persona recommends a product that needs consent (`consent = true` on the shelf) keeps only the
customers who said yes; how many were left out is counted per segment.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from narratives.context import RunContext, SegmentContext
from narratives.personas import Persona
from narratives.shelf import Shelf
from segmenter.errors import InputError
from segmenter.files import Content, csv_content, neutralise, write_all
from segmenter.ingest.quality import CarriedColumns
from segmenter.ingest.schema import ID_COLUMN

__all__ = [
    "ASSIGNMENTS_DIR",
    "ASSIGNMENT_COLUMNS",
    "AUDIENCE_COLUMNS",
    "CONSENT_NO",
    "CONSENT_YES",
    "Audiences",
    "assignments_path",
    "audience_sentence",
    "audience_table",
    "join_carried",
    "needs_consent",
    "read_assignments",
    "read_consent",
    "write_audiences",
]

ASSIGNMENT_COLUMNS = ("customer_id", "segment", "segment_name")  # confidence may be missing
ASSIGNMENTS_DIR = "assignments"  # a Spark run's partitioned Parquet (segmenter.spark.output)
AUDIENCE_COLUMNS = (
    "customer_id",
    "segment",
    "segment_name",
    "persona_title",
    "product_ids",
    "confidence",
)
CONSENT_YES = ("yes", "y", "true", "1")
CONSENT_NO = ("no", "n", "false", "0")
_ROW, _CONSENTS, _STRICT = "__row", "__consents", "__strict"
_WORKING = (_ROW, _CONSENTS, _STRICT)  # columns used while building the table, never written


def assignments_path(run_dir: Path) -> Path:
    """A run's assignments: assignments.csv, or the Parquet folder assignments/ a Spark run
    writes by default (partitioned by segment); assignments.csv when there is neither."""
    folder = run_dir / ASSIGNMENTS_DIR
    csv = run_dir / "assignments.csv"
    return folder if folder.is_dir() and not csv.is_file() else csv


def read_assignments(path: Path) -> pl.DataFrame:
    """assignments.csv, or a Spark run's assignments/ folder of Parquet, with ids kept as
    text; an InputError when it is missing or malformed.

    A file written before confidence was recorded gets an empty confidence column.
    """
    if not path.is_file() and not path.is_dir():
        raise InputError(f"{path}: not found; run `segmenter segment` to write it")
    try:
        if path.is_dir():  # Spark's: segment=N/part-*.parquet
            frame = pl.read_parquet(path / "**" / "*.parquet", hive_partitioning=True)
            frame = frame.with_columns(
                pl.col("customer_id").cast(pl.String), pl.col("segment").cast(pl.Int64)
            ).select(
                *ASSIGNMENT_COLUMNS, *(["confidence"] if "confidence" in frame.columns else [])
            )
        else:
            frame = pl.read_csv(
                path,
                schema_overrides={"customer_id": pl.String, "segment": pl.Int64},
                infer_schema=False,
            )
    except (pl.exceptions.PolarsError, OSError) as error:
        raise InputError(
            f"{path}: not a readable assignments file (is it the one `segmenter segment` wrote?)"
        ) from error
    missing = [c for c in ASSIGNMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    confidence = pl.col("confidence") if "confidence" in frame.columns else pl.lit(None)
    try:
        return frame.with_columns(confidence.cast(pl.Float64).alias("confidence"))
    except pl.exceptions.PolarsError as error:
        raise InputError(f"{path}: its confidence column holds values that are not numbers") from (
            error
        )


@dataclass(frozen=True)
class Audiences:
    """The CRM audience table of some segments of a run, and what consent left out of it."""

    table: pl.DataFrame  # AUDIENCE_COLUMNS then the carried ones; by segment, then input order
    counts: dict[int, int]  # customers in the table, per segment id asked for (in run order)
    left_out: dict[int, int]  # per segment id: customers left out for want of consent
    consent_column: str | None = None

    def segment(self, segment_id: int) -> pl.DataFrame:
        """The rows of one segment."""
        return self.table.filter(pl.col("segment") == segment_id)


def needs_consent(persona: Persona, shelf: Shelf) -> bool:
    """True when the persona recommends a product that needs marketing consent.

    A product the shelf no longer lists counts as needing it: the safe side.
    """
    for pick in persona.products:
        product = shelf.product(pick.product_id)
        if product is None or product.consent:
            return True
    return False


def audience_sentence(
    persona: Persona,
    shelf: Shelf,
    *,
    carry: Sequence[str] = (),
    consent: str | None = None,
    choosable: bool = False,
) -> str:
    """What a segment's audience file holds, in a sentence: the columns it carries, and whom
    the consent column keeps. `choosable`: the customer file has extra columns to choose."""
    extra = [c for c in carry if c != consent]
    carried = f", with {', '.join(extra)}" if extra else ""
    if consent is not None and needs_consent(persona, shelf):
        return (
            f"Audience file: only the customers with {consent} = yes{carried}, as a product "
            "offered here needs marketing consent."
        )
    if consent is not None:
        return (
            f"Audience file: every customer in the segment{carried} and their {consent} "
            "(yes/no): no product offered here needs marketing consent."
        )
    if choosable:
        return (
            f"Audience file: every customer in the segment{carried}; choose a consent column on "
            "the Export page to keep only the customers who agreed to marketing."
        )
    return (
        "Audience file: every customer in the segment; the customer file has no other column, "
        "such as a consent flag: leave out anyone who has not agreed to marketing."
    )


def audience_table(
    assignments: pl.DataFrame,
    context: RunContext,
    personas: Sequence[Persona],
    *,
    shelf: Shelf,
    carried: CarriedColumns | None = None,
    consent: str | None = None,
    segments: Collection[int] | None = None,
) -> Audiences:
    """The audience rows of every segment (noise has none), or of the `segments` asked for.

    `assignments` as `read_assignments` gives them; `carried` the customer file's extra
    columns (segmenter.ingest.read.load_customers with `keep=`); `consent` one of them, read as
    yes/no. An InputError for a segment the run has no audience for, customers missing from the
    customer file, a carried column named as an audience column, or a consent value not yes/no.
    """
    wanted = _wanted(context, segments)
    by_id = {p.segment_id: p for p in personas}
    strict = {s.id: consent is not None and needs_consent(by_id[s.id], shelf) for s in wanted}
    about = pl.DataFrame(
        {
            "segment": [s.id for s in wanted],
            "persona_title": [by_id[s.id].persona_name for s in wanted],
            "product_ids": [
                ";".join(p.product_id for p in by_id[s.id].products) or None for s in wanted
            ],
            _STRICT: [strict[s.id] for s in wanted],
        },
        schema={
            "segment": pl.Int64,
            "persona_title": pl.String,
            "product_ids": pl.String,
            _STRICT: pl.Boolean,
        },
    )
    rows = (
        join_carried(
            assignments.filter(pl.col("segment").is_in(list(strict))), carried, consent=consent
        )
        .join(about, on="segment", how="left", maintain_order="left")
        .sort("segment", maintain_order=True)
    )
    kept = pl.col(_STRICT).not_() | pl.col(_CONSENTS) if consent is not None else pl.lit(True)
    dropped = dict(rows.filter(~kept).group_by("segment").len().iter_rows())
    table = rows.filter(kept)
    sizes = dict(table.group_by("segment").len().iter_rows())
    extra = carried.columns if carried is not None else []
    return Audiences(
        table=table.select(*AUDIENCE_COLUMNS, *extra),
        counts={s.id: sizes.get(s.id, 0) for s in wanted},
        left_out={s.id: dropped.get(s.id, 0) for s in wanted if strict[s.id]},
        consent_column=consent,
    )


def _wanted(context: RunContext, segments: Collection[int] | None) -> list[SegmentContext]:
    """The run's segments with an audience (noise has none), or those asked for, in run order."""
    usable = [s for s in context.segments if not s.is_noise]
    if segments is None:
        return usable
    known = {s.id for s in usable}
    if unknown := sorted(set(segments) - known):
        ids = ", ".join(str(i) for i in sorted(known)) or "none"
        raise InputError(
            f"segment {unknown[0]} has no audience in this run (its segments are {ids}; "
            "unassigned customers have none)"
        )
    return [s for s in usable if s.id in set(segments)]


def join_carried(
    assignments: pl.DataFrame, carried: CarriedColumns | None, *, consent: str | None = None
) -> pl.DataFrame:
    """The assignments with the carried columns beside them and, with `consent`, that column
    as yes/no and a Boolean `__consents`. An InputError for what cannot be carried (see
    `audience_table`); callers may run it first to refuse bad input before slower work.
    """
    if carried is None:
        if consent is not None:
            raise InputError(
                f"consent column {consent!r}: give the customer file the column comes from"
            )
        return assignments
    if consent is not None and consent not in carried.columns:
        raise InputError(f"{carried.source}: consent column {consent!r} is not among those read")
    if clash := [c for c in carried.columns if c in (*AUDIENCE_COLUMNS, *_WORKING)]:
        raise InputError(
            f"{carried.source}: column {clash[0]!r} cannot be carried under that name: the "
            "audience files use it for their own column"
        )
    # assignments.csv holds ids spreadsheet-safe ('=1+1): the file's are compared so written.
    ids = neutralise(carried.frame.select(ID_COLUMN)).get_column(ID_COLUMN)
    extra = carried.frame.drop(ID_COLUMN).with_columns(
        ids.alias("customer_id"), carried.rows.alias(_ROW)
    )
    if consent is not None:
        extra = extra.with_columns(read_consent(carried, consent).alias(_CONSENTS)).with_columns(
            pl.when(pl.col(_CONSENTS)).then(pl.lit("yes")).otherwise(pl.lit("no")).alias(consent)
        )
    joined = assignments.join(extra, on="customer_id", how="left", maintain_order="left")
    absent = joined.filter(pl.col(_ROW).is_null())
    if absent.height:
        raise InputError(
            f"{carried.source}: {absent.height:,} of the run's {joined.height:,} customers are "
            f"not in this file, e.g. {absent.item(0, 'customer_id')!r}; give the file the run "
            "was segmented from, with the same column map"
        )
    return joined


def read_consent(carried: CarriedColumns, column: str) -> pl.Series:
    """A carried consent column as True/False; an InputError naming the first value not yes/no."""
    text = pl.col(column).str.strip_chars().str.to_lowercase()
    value = (
        pl.when(text.is_in(CONSENT_YES))
        .then(True)
        .when(text.is_in(CONSENT_NO) | text.is_null() | (text == ""))
        .then(False)
        .otherwise(None)
    )
    parsed = carried.frame.select(value.alias(column)).to_series()
    bad = parsed.is_null()
    if count := int(bad.sum()):
        first = int(bad.arg_true()[0])
        cell = str(carried.frame.item(first, column))
        shown = repr(cell if len(cell) <= 40 else cell[:37] + "...")
        others = count - 1
        more = f" (and {others:,} more row{'' if others == 1 else 's'} like it)" if others else ""
        raise InputError(
            f"{carried.source}: consent column {column!r}, row {carried.rows[first]} "
            f"(customer {carried.frame.item(first, ID_COLUMN)}): {shown} is not yes or no; "
            "the column must hold yes/no, y/n, true/false or 1/0 (any case; an empty cell "
            f"counts as no){more}"
        )
    return parsed


def write_audiences(audiences: Audiences, directory: Path) -> dict[int, int]:
    """One CSV per segment of `audiences`; returns the count written per segment id.

    The files are spreadsheet-safe and replace the old ones atomically: every new file is in
    place before the files of an earlier run that this one has no segment for are removed.
    """
    groups = audiences.table.partition_by(
        "segment", as_dict=True, include_key=True, maintain_order=True
    )
    files: dict[Path, Content] = {
        directory / f"segment-{segment}.csv": csv_content(
            groups.get((segment,), audiences.table.clear())
        )
        for segment in audiences.counts
    }
    directory.mkdir(parents=True, exist_ok=True)
    write_all(files)
    for stale in directory.glob("segment-*.csv"):  # a list from an earlier run must not be mailed
        if stale not in files:
            stale.unlink()
    return dict(audiences.counts)
