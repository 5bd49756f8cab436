"""Validate a raw table into the canonical frame, counting every change in a DataQualityReport.

The canonical frame has CUST_ID (String, unique) and the 17 behavioural columns as Float64 in
the public file's order. Missing values stay null here: imputation is part of the fitted
model (segmenter.cluster.features), so scoring new customers fills them exactly as training did.
Rows are numbered as in a spreadsheet: the header is row 1, the first customer row 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.candidates import likeliest_columns
from segmenter.ingest.cells import is_null_token, parse_numbers
from segmenter.ingest.mapping import map_columns
from segmenter.ingest.plausibility import (
    ROW,
    SHARE_CEILINGS,
    check_money_scale,
    refuse_implausible_shares,
    refuse_standardised,
    refuse_zero_filled,
)
from segmenter.ingest.report import (
    DROPPED_EXAMPLES,
    DataQualityReport,
    DroppedRow,
    Finding,
    Issue,
)
from segmenter.ingest.schema import (
    COUNT_COLUMNS,
    FEATURE_COLUMNS,
    FREQUENCY_COLUMNS,
    ID_COLUMN,
    MONEY_COLUMNS,
)

if TYPE_CHECKING:
    from segmenter.ingest.raw import RawTable

__all__ = ["MAX_INVALID_SHARE", "CarriedColumns", "LoadedCustomers", "clean_table"]

MAX_INVALID_SHARE = 0.05  # more bad cells than this in a column: refuse rather than guess
TOO_LARGE = 1e12  # no card holder moves a trillion in six months
PURCHASE_TOLERANCE = 1.0  # PURCHASES vs ONEOFF + INSTALLMENTS, in currency units
_ROW = ROW
_FILLED = "filled with the column median when segmenting"
# A row with more of its 17 values missing than this is not a customer (a stray total, a note).
MAX_MISSING_VALUES = len(FEATURE_COLUMNS) // 2
_EXTRA_SHOWN = 20  # extra columns named in a refusal


@dataclass(frozen=True)
class CarriedColumns:
    """Extra columns of a customer file, carried as text beside the canonical frame.

    `frame` holds CUST_ID (the ids the canonical frame has, generated ones included) and the
    columns asked for, in that order, one row per customer kept, in the canonical frame's order;
    `rows` the spreadsheet row number of each (for sentences about a value).
    """

    frame: pl.DataFrame
    rows: pl.Series
    source: str

    @property
    def columns(self) -> list[str]:
        """The carried columns' names, as asked for."""
        return self.frame.columns[1:]


@dataclass(frozen=True)
class LoadedCustomers:
    """The canonical frame and the report of everything done to get it."""

    frame: pl.DataFrame
    report: DataQualityReport
    carried: CarriedColumns | None = None  # the extra columns asked for with `keep`


def clean_table(
    raw: RawTable,
    *,
    columns: Mapping[str, str] | None = None,
    first_row: int = 2,
    keep: Sequence[str] = (),
) -> LoadedCustomers:
    """Map, parse and check a raw table; refuse it with an InputError when it cannot be used.

    `columns` maps the file's own column names to the product's, before any other matching.
    `first_row` is the spreadsheet row number of the table's first row: 2 under the header, more
    for a batch further down a file read in batches. `keep` names extra columns of the file (the
    report's `ignored_columns`) to carry as text beside the frame (`LoadedCustomers.carried`).
    """
    source = raw.source
    mapping = map_columns(
        raw.frame.columns,
        source=source,
        given=columns,
        likeliest=lambda: likeliest_columns(raw.frame, given=columns, source=source),
    )
    keep = _extra_columns(keep, mapping.ignored, source)
    frame = _numbers_or_text(
        raw.frame.select([pl.col(src).alias(dst) for src, dst in mapping.renames.items()]),
        source,
    ).with_row_index(_ROW, offset=first_row)
    rows_read = frame.height
    findings: list[Finding] = []

    frame, id_findings = _clean_ids(frame, has_id=mapping.has_id)
    findings += id_findings
    # Taken before rows are dropped, joined back on the row number once the frame is final;
    # named by position meanwhile, as a file's column may have any name.
    extras = (
        _numbers_or_text(raw.frame.select(keep), source)
        .rename({name: f"__keep{i}" for i, name in enumerate(keep)})
        .with_row_index(_ROW, offset=first_row)
    )
    frame, parse_findings = _parse_features(frame, raw, source)
    findings += parse_findings
    # Rows that are not customers go first, so a stray total cannot pass for a pattern below.
    ids_repeat = _ids_repeat(frame)
    frame, dropped, drop_findings = _drop_rows(frame, ids_repeat=ids_repeat, has_id=mapping.has_id)
    findings += drop_findings
    if ids_repeat:
        _refuse_conflicting_ids(frame, source)
    if frame.height == 0:
        raise InputError(f"{source}: no usable customer rows")
    refuse_standardised(frame, source)
    refuse_zero_filled(frame, source)
    frame, range_findings = _check_ranges(frame, source)
    findings += range_findings
    frame, scale_findings = check_money_scale(frame, source)
    findings += scale_findings
    findings += _check_purchases(frame)

    missing = {c: n for c in FEATURE_COLUMNS if (n := frame.get_column(c).null_count())}
    findings += [
        Finding(issue="missing", column=c, count=n, action=_FILLED) for c, n in missing.items()
    ]
    report = DataQualityReport(
        source=source,
        format=raw.format,
        delimiter=raw.delimiter,
        encoding=raw.encoding,
        decimal_comma=raw.decimal_comma,
        rows_read=rows_read,
        rows_kept=frame.height,
        column_mapping=mapping.renames,
        close_matches=mapping.close,
        user_mapping=mapping.given,
        ignored_columns=mapping.ignored,
        ids_generated=not mapping.has_id,
        missing=missing,
        findings=findings,
        dropped=dropped,
    )
    carried = None
    if keep:
        joined = frame.select(ID_COLUMN, _ROW).join(extras, on=_ROW, maintain_order="left")
        text = [pl.col(f"__keep{i}").cast(pl.String).alias(name) for i, name in enumerate(keep)]
        carried = CarriedColumns(
            frame=joined.select(ID_COLUMN, *text), rows=joined.get_column(_ROW), source=source
        )
    return LoadedCustomers(
        frame=frame.select(ID_COLUMN, *FEATURE_COLUMNS), report=report, carried=carried
    )


def _extra_columns(keep: Sequence[str], extra: list[str], source: str) -> list[str]:
    """The columns to carry, each once; an InputError for one that is not an extra column."""
    for name in keep:
        if name not in extra:
            listed = ", ".join(repr(c) for c in extra[:_EXTRA_SHOWN])
            more = f" and {len(extra) - _EXTRA_SHOWN} more" if len(extra) > _EXTRA_SHOWN else ""
            found = f"its extra columns are {listed}{more}" if extra else "it has no extra columns"
            raise InputError(
                f"{source}: cannot carry column {name!r}: it is not an extra column of the file "
                f"(one the segments do not use); {found}"
            )
    return list(dict.fromkeys(keep))


def _numbers_or_text(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """Columns typed as neither (Parquet: dates, booleans, lists...) as text, or refused."""
    odd = [s for s in frame.iter_columns() if not (s.dtype.is_numeric() or s.dtype == pl.String)]
    as_text: list[pl.Series] = []
    for series in odd:
        try:
            as_text.append(series.cast(pl.String))
        except pl.exceptions.PolarsError:
            raise InputError(
                f"{source}: column {series.name} holds values of type {series.dtype}, "
                "not numbers or text"
            ) from None
    return frame.with_columns(as_text) if as_text else frame


def _clean_ids(frame: pl.DataFrame, *, has_id: bool) -> tuple[pl.DataFrame, list[Finding]]:
    generated = pl.format("row-{}", pl.col(_ROW))
    if not has_id:
        finding = Finding(
            issue="generated_ids",
            column=ID_COLUMN,
            count=frame.height,
            action="the file has no id column: ids 'row-N' were generated from row numbers",
        )
        return frame.with_columns(generated.alias(ID_COLUMN)), [finding]
    ids = pl.col(ID_COLUMN).cast(pl.String).str.strip_chars()
    frame = frame.with_columns(ids.alias(ID_COLUMN))
    # Ids written as floats by spreadsheets (10001.0): the regular expression only runs when
    # some id has a decimal point at all, which a file of clean ids never pays for.
    if frame.select(pl.col(ID_COLUMN).str.contains(".", literal=True).any()).item():
        frame = frame.with_columns(pl.col(ID_COLUMN).str.replace(r"^(\d+)\.0+$", "$1"))
    blank = int(frame.get_column(ID_COLUMN).fill_null("").eq("").sum())
    if not blank:
        return frame, []
    frame = frame.with_columns(
        pl.when(pl.col(ID_COLUMN).fill_null("") == "")
        .then(generated)
        .otherwise(pl.col(ID_COLUMN))
        .alias(ID_COLUMN)
    )
    action = "ids 'row-N' were generated from their row numbers"
    return frame, [Finding(issue="generated_ids", column=ID_COLUMN, count=blank, action=action)]


def _parse_features(
    frame: pl.DataFrame, raw: RawTable, source: str
) -> tuple[pl.DataFrame, list[Finding]]:
    """Every feature to Float64; cells that are not numbers become null, or the file is refused."""
    parsed: list[pl.Series] = []
    for column in FEATURE_COLUMNS:
        cells = frame.get_column(column)
        if cells.dtype.is_numeric():
            value = cells.cast(pl.Float64)
            bad = value.is_infinite()
        else:
            text = cells.cast(pl.String)
            value = parse_numbers(text, decimal_comma=raw.decimal_comma)
            blank = text.to_frame().select(is_null_token(pl.col(column))).to_series()
            bad = (value.is_null() | value.is_infinite()) & ~blank
        parsed += [value.fill_nan(None), bad.fill_null(False).alias(f"{column}__bad")]
    flagged = frame.with_columns(parsed)
    findings: list[Finding] = []
    refusals: list[str] = []
    for column in FEATURE_COLUMNS:
        count = int(flagged.get_column(f"{column}__bad").sum())
        if not count:
            continue
        first = frame.filter(flagged.get_column(f"{column}__bad")).row(0, named=True)
        example = f"row {first[_ROW]}: {_quote(first[column])}"
        if count > MAX_INVALID_SHARE * frame.height:
            refusals.append(
                f"column {column}: {count:,} of {frame.height:,} values are not numbers, "
                f"e.g. {example}"
            )
        findings.append(
            Finding(
                issue="not_a_number",
                column=column,
                count=count,
                action=f"set missing, then {_FILLED}",
                example=example,
            )
        )
    if refusals:
        more = f" (and {len(refusals) - 1} more columns)" if len(refusals) > 1 else ""
        raise InputError(f"{source}: {refusals[0]}{more}")
    cleared = [
        pl.when(pl.col(f"{column}__bad")).then(None).otherwise(pl.col(column)).alias(column)
        for column in FEATURE_COLUMNS
    ]
    return flagged.with_columns(cleared).drop(f"{c}__bad" for c in FEATURE_COLUMNS), findings


def _check_ranges(frame: pl.DataFrame, source: str) -> tuple[pl.DataFrame, list[Finding]]:
    """Impossible values are clipped or set missing; every one is counted."""
    findings: list[Finding] = []

    def fix(column: str, mask: pl.Expr, issue: Issue, action: str, repair: pl.Expr) -> None:
        nonlocal frame
        hits = frame.filter(mask.fill_null(False))
        if hits.height:
            example = f"row {hits.row(0, named=True)[_ROW]}"
            findings.append(
                Finding(
                    issue=issue, column=column, count=hits.height, action=action, example=example
                )
            )
            frame = frame.with_columns(repair.alias(column))

    for column in FEATURE_COLUMNS:
        col = pl.col(column)
        too_large = col.abs() > TOO_LARGE
        action = f"values above {TOO_LARGE:,.0f} set missing, then {_FILLED}"
        fix(column, too_large, "too_large", action, pl.when(too_large).then(None).otherwise(col))
    for column in (*MONEY_COLUMNS, *COUNT_COLUMNS, *FREQUENCY_COLUMNS):
        issue: Issue = "negative" if column in MONEY_COLUMNS else "out_of_range"
        fix(column, pl.col(column) < 0, issue, "set to 0", pl.col(column).clip(lower_bound=0))
    for column, ceiling in SHARE_CEILINGS.items():
        refuse_implausible_shares(frame, column, ceiling, source)
        col = pl.col(column)
        if ceiling > 1:  # report, keep what the public data set allows, clip beyond
            action = f"kept: the public data set records values up to {ceiling} here"
            fix(column, (col > 1) & (col <= ceiling), "out_of_range", action, col)
        action = f"clipped to {ceiling:g}"
        fix(column, col > ceiling, "out_of_range", action, col.clip(upper_bound=ceiling))
    tenure = pl.col("TENURE")
    action = f"tenures under 1 month set missing, then {_FILLED}"
    fix(
        "TENURE",
        tenure < 1,
        "out_of_range",
        action,
        pl.when(tenure < 1).then(None).otherwise(tenure),
    )
    return frame, findings


def _check_purchases(frame: pl.DataFrame) -> list[Finding]:
    """PURCHASES should equal one-off plus instalment purchases; report rows where it does not."""
    gap = (
        pl.col("PURCHASES") - pl.col("ONEOFF_PURCHASES") - pl.col("INSTALLMENTS_PURCHASES")
    ).abs()
    off = frame.with_columns(gap.alias("__gap")).filter(pl.col("__gap") > PURCHASE_TOLERANCE)
    if off.height == 0:
        return []
    worst = float(off.get_column("__gap").max())  # type: ignore[arg-type]
    return [
        Finding(
            issue="inconsistent",
            column="PURCHASES",
            count=off.height,
            action=(
                "kept as they are: PURCHASES differs from ONEOFF_PURCHASES + "
                f"INSTALLMENTS_PURCHASES by up to {worst:,.2f}"
            ),
            example=f"row {off.row(0, named=True)[_ROW]}",
        )
    ]


def _drop_rows(
    frame: pl.DataFrame, *, ids_repeat: bool, has_id: bool
) -> tuple[pl.DataFrame, list[DroppedRow], list[Finding]]:
    """Drop rows that are not customers and exact duplicates; count them by reason and list the
    first `DROPPED_EXAMPLES` of them, and why."""
    missing = pl.sum_horizontal(pl.col(FEATURE_COLUMNS).is_null())
    # Rows with distinct ids cannot be exact duplicates: hash whole rows only when ids repeat.
    duplicate = (
        ~pl.struct(ID_COLUMN, *FEATURE_COLUMNS).is_first_distinct() if ids_repeat else pl.lit(False)
    )
    marked = frame.with_columns(
        missing.alias("__missing"),
        _odd_id(frame, has_id=has_id).alias("__odd"),
        duplicate.alias("__dup"),
    )
    total = len(FEATURE_COLUMNS)
    reasons: tuple[tuple[pl.Expr, Issue, pl.Expr], ...] = (
        (
            pl.col("__missing") == total,
            "empty_rows",
            pl.lit("no behavioural values at all"),
        ),
        (
            pl.col("__missing").is_between(MAX_MISSING_VALUES + 1, total - 1),
            "not_a_customer",
            pl.format(f"{{}} of {total} values missing: not a customer row", pl.col("__missing")),
        ),
        (
            pl.col("__odd"),
            "not_a_customer",
            pl.format("id '{}' is not like the others: not a customer row", pl.col(ID_COLUMN)),
        ),
        (pl.col("__dup"), "duplicate_rows", pl.lit("exact duplicate of an earlier row")),
    )
    dropped: list[DroppedRow] = []
    counts: dict[Issue, int] = {}
    taken = pl.lit(False)
    for flag, issue, reason in reasons:
        hits = marked.filter(flag & ~taken)  # each row dropped once, for its first reason
        taken = taken | flag
        if hits.height:
            named = hits.head(DROPPED_EXAMPLES).select(_ROW, ID_COLUMN, reason.alias("__why"))
            dropped += [
                DroppedRow(row=row, customer_id=cid, reason=why)
                for row, cid, why in named.iter_rows()
            ]
            counts[issue] = counts.get(issue, 0) + hits.height
    findings = [
        Finding(issue=issue, column=None, count=count, action="dropped")
        for issue, count in counts.items()
    ]
    kept = marked.filter(~taken).drop("__missing", "__odd", "__dup")
    return kept, sorted(dropped, key=lambda d: d.row)[:DROPPED_EXAMPLES], findings


def _odd_id(frame: pl.DataFrame, *, has_id: bool) -> pl.Expr:
    """Plain numbers as ids in a file whose ids all but never are ('0' among 'C10001's)."""
    if not has_id or frame.height < 20:
        return pl.lit(False)
    digits = pl.col(ID_COLUMN).str.contains(r"^\d+(\.\d+)?$")
    count = frame.select(digits.sum()).item() or 0
    return digits if 0 < count <= max(1, 0.01 * frame.height) else pl.lit(False)


def _ids_repeat(frame: pl.DataFrame) -> bool:
    return frame.get_column(ID_COLUMN).n_unique() < frame.height


def _refuse_conflicting_ids(frame: pl.DataFrame, source: str) -> None:
    """Refuse ids left on more than one row once exact duplicates are dropped."""
    clashes = frame.filter(pl.col(ID_COLUMN).is_duplicated())
    if clashes.height == 0:
        return
    ids = clashes.get_column(ID_COLUMN).unique(maintain_order=True)
    rows = clashes.group_by(ID_COLUMN, maintain_order=True).agg(pl.col(_ROW).head(3))
    named = ", ".join(
        f"{cid} (rows {', '.join(map(str, found))})" for cid, found in rows.head(3).iter_rows()
    )
    raise InputError(
        f"{source}: {ids.len():,} customer id(s) appear more than once with different values, "
        f"e.g. {named}; make each id unique"
    )


def _quote(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")
