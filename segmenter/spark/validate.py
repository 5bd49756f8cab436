"""Map and validate a book in Spark: the single-machine checks as column expressions, counted.

The columns are mapped by the single-machine code itself (segmenter.ingest.mapping: the same
canonical names, known spellings, close names and --map/--columns), so a file that maps on one
machine maps here. Then, over every row, in two aggregations: text parsed to numbers (cells
that are not numbers set missing, or the column refused above 5 %), rows that are not customers
dropped, values out of range clipped or set missing (segmenter.spark.checks), a money column
scaled as a whole refused and money far above its column's typical value set missing (the
typical value is an approximate median), PURCHASES checked against its parts; exact duplicate
rows are dropped and ids left on more than one row refused. The report is the single-machine
DataQualityReport, in counts: no rows are listed and no examples given. Differences: thousands
separators and decimal commas are read on one machine only, and a book whose id column has
blanks is refused rather than given row-number ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from segmenter.errors import InputError
from segmenter.ingest.mapping import map_columns
from segmenter.ingest.plausibility import MIN_TYPICAL_VALUES, MONEY_SCALE, refuse_scaled_columns
from segmenter.ingest.quality import MAX_MISSING_VALUES, PURCHASE_TOLERANCE
from segmenter.ingest.report import DataQualityReport
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN, MONEY_COLUMNS
from segmenter.spark.cells import column, not_a_number, parsed
from segmenter.spark.checks import (
    findings,
    fixed_values,
    range_flags,
    refuse_implausible_shares,
    refuse_money_scale,
    refuse_unparsable,
)
from segmenter.spark.read import reading

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

__all__ = ["SPARK_NOTE", "validate_book"]

SPARK_NOTE = (
    "checked by Spark over every row: findings are counts; rows dropped and examples are not listed"
)
_ROW = "__row"
_ALL = len(FEATURE_COLUMNS)


def validate_book(
    raw: DataFrame, *, source: str, fmt: str, columns: Mapping[str, str] | None = None
) -> tuple[DataFrame, DataQualityReport]:
    """The canonical frame (CUST_ID, then the 17 features as doubles) and its report."""
    from pyspark.sql import functions as F

    mapping = map_columns(raw.columns, source=source, given=columns)
    if not mapping.has_id:  # ids made from spreadsheet row numbers, as on one machine
        raw = _with_row_numbers(raw)
    source_of = {dst: src for src, dst in mapping.renames.items()}
    frame = raw.select(
        _ids(source_of.get(ID_COLUMN)).alias(ID_COLUMN),
        *(parsed(raw, source_of[c]).alias(c) for c in FEATURE_COLUMNS),
        *(not_a_number(raw, source_of[c]).alias(f"{c}__bad") for c in FEATURE_COLUMNS),
    )
    missing = sum((F.col(c).isNull().cast("int") for c in FEATURE_COLUMNS), F.lit(0))
    kept = missing <= MAX_MISSING_VALUES
    fixed = fixed_values()
    counts: dict[str, Column] = {
        "rows": F.count(F.lit(1)),
        "empty_rows": F.count_if(missing == _ALL),
        "not_a_customer": F.count_if(missing.between(MAX_MISSING_VALUES + 1, _ALL - 1)),
        "blank_ids": F.count_if(F.coalesce(F.col(ID_COLUMN), F.lit("")) == ""),
    }
    counts |= {f"{c}:not_a_number": F.count_if(F.col(f"{c}__bad")) for c in FEATURE_COLUMNS}
    counts |= {key: F.count_if(kept & flag) for key, flag in range_flags().items()}
    counts |= {
        f"{c}:typical": F.percentile_approx(F.when(kept & (fixed[c] > 0), fixed[c]), 0.5)
        for c in MONEY_COLUMNS
    }
    counts |= {f"{c}:positive": F.count_if(kept & (fixed[c] > 0)) for c in MONEY_COLUMNS}
    with reading(source, fmt):  # the first pass over the rows: a damaged file shows here
        tally = _tally(frame, counts)
    if tally["blank_ids"]:
        raise InputError(
            f"{source}: {tally['blank_ids']:,} customers have no id: give every row an id "
            "(or segment the file on one machine, which makes ids from row numbers)"
        )
    refuse_unparsable(tally, source)
    clean = frame.filter(kept).select(
        F.col(ID_COLUMN), *(fixed[c].alias(c) for c in FEATURE_COLUMNS)
    )
    limits = {c: MONEY_SCALE * float(tally[f"{c}:typical"]) for c in MONEY_COLUMNS
              if tally[f"{c}:typical"]}  # fmt: skip
    limited = clean.withColumns({c: F.when(~(F.col(c) > v), F.col(c)) for c, v in limits.items()})
    counted = {f"{c}:implausible": F.count_if(F.col(c) > v) for c, v in limits.items()}
    counted |= {"kept": F.count(F.lit(1)), "ids": F.count_distinct(ID_COLUMN)}
    tally |= dict.fromkeys((f"{c}:implausible" for c in MONEY_COLUMNS), 0)
    tally |= _tally(clean, counted | _final_counts(limits))
    rows_kept = tally["rows"] - tally["empty_rows"] - tally["not_a_customer"]
    refuse_implausible_shares(tally, rows_kept, source)
    refuse_scaled_columns(
        {
            c: float(tally[f"{c}:typical"])
            for c in MONEY_COLUMNS
            if tally[f"{c}:positive"] >= MIN_TYPICAL_VALUES
        },
        source,
    )
    refuse_money_scale(tally, rows_kept, source)
    duplicates = 0
    if tally["ids"] < tally["kept"]:  # rare: only then are whole rows compared
        limited, duplicates = _drop_duplicates(limited, source)
        tally |= _tally(limited, _final_counts({}))
    rows_kept -= duplicates
    if rows_kept == 0:
        raise InputError(f"{source}: no usable customer rows")
    report = DataQualityReport(
        source=source, format=fmt, rows_read=tally["rows"], rows_kept=rows_kept,
        column_mapping=mapping.renames, close_matches=mapping.close, user_mapping=mapping.given,
        ignored_columns=mapping.ignored, ids_generated=not mapping.has_id,
        missing={c: n for c in FEATURE_COLUMNS if (n := tally[f"{c}:missing"])},
        findings=findings(tally, duplicates, generated=0 if mapping.has_id else tally["rows"]),
        dropped=[], note=SPARK_NOTE,
    )  # fmt: skip
    return limited, report


def _final_counts(limits: Mapping[str, float]) -> dict[str, Column]:
    """Inconsistent purchases and missing values, once money above `limits` is set missing."""
    from pyspark.sql import functions as F

    value = {c: F.when(~(F.col(c) > limits[c]), F.col(c)) if c in limits else F.col(c)
             for c in FEATURE_COLUMNS}  # fmt: skip
    gap = F.abs(value["PURCHASES"] - value["ONEOFF_PURCHASES"] - value["INSTALLMENTS_PURCHASES"])
    return {
        "inconsistent": F.count_if(gap > PURCHASE_TOLERANCE),
        "worst_gap": F.max(F.when(gap > PURCHASE_TOLERANCE, gap)),
        **{f"{c}:missing": F.count_if(value[c].isNull()) for c in FEATURE_COLUMNS},
    }


def _tally(frame: DataFrame, counts: Mapping[str, Column]) -> dict[str, Any]:
    """One aggregation over the frame: each named figure, 0 where there was nothing to count."""
    found = frame.agg(*(value.alias(key) for key, value in counts.items())).first()
    assert found is not None  # an aggregation always has one row
    return {key: found[key] or 0 for key in counts}


def _ids(name: str | None) -> Column:
    """Ids as trimmed text, spreadsheet floats (10001.0) as whole numbers; else 'row-N'."""
    from pyspark.sql import functions as F

    if name is None:
        return F.concat(F.lit("row-"), F.col(_ROW).cast("string"))
    return F.regexp_replace(F.trim(column(name).cast("string")), r"^(\d+)\.0+$", "$1")


def _with_row_numbers(raw: DataFrame) -> DataFrame:
    """The rows with their spreadsheet row number (the header is row 1), in reading order."""
    from pyspark.sql.types import LongType, StructField, StructType

    schema = StructType([*raw.schema.fields, StructField(_ROW, LongType(), nullable=False)])
    numbered = raw.rdd.zipWithIndex().map(lambda pair: (*pair[0], pair[1] + 2))
    return raw.sparkSession.createDataFrame(numbered, schema)


def _drop_duplicates(clean: DataFrame, source: str) -> tuple[DataFrame, int]:
    """Exact duplicate rows dropped (counted); ids left on more than one row refused."""
    from pyspark.sql import functions as F

    distinct = clean.dropDuplicates()
    counted = _tally(clean, {"n": F.count(F.lit(1))})["n"]
    duplicates = counted - distinct.count()
    repeated = distinct.groupBy(ID_COLUMN).count().filter(F.col("count") > 1)
    clashes = repeated.count()
    if clashes:
        named = ", ".join(r[ID_COLUMN] for r in repeated.orderBy(ID_COLUMN).limit(3).collect())
        raise InputError(
            f"{source}: {clashes:,} customer id(s) appear more than once with different "
            f"values, e.g. {named}; make each id unique"
        )
    return distinct, duplicates
