"""Where customers went between two runs: a migration matrix, and who left and who joined."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from segmenter.errors import InputError

__all__ = ["ASSIGNMENT_COLUMNS", "Migration", "migration"]

ASSIGNMENT_COLUMNS = ("customer_id", "segment", "segment_name")  # as in assignments.csv
NOISE = -1


@dataclass(frozen=True)
class Migration:
    """Customers from each previous segment to each current one, and those in only one run.

    `matrix` is long: from_segment, from_name, to_segment, to_name, customers, share_of_from,
    one row for every pair of a previous and a current segment (noise, -1, included when a run
    has it), zero counts included, by from_segment then to_segment with noise last.
    `share_of_from` is the share of the from-segment's customers present in both runs (null
    when none are). `left` has segment, name, customers per previous segment; `joined` the same
    per current segment.
    """

    matrix: pl.DataFrame
    left: pl.DataFrame
    joined: pl.DataFrame

    @property
    def customers_in_both(self) -> int:
        return int(self.matrix.get_column("customers").sum())

    @property
    def customers_left(self) -> int:
        return int(self.left.get_column("customers").sum())

    @property
    def customers_joined(self) -> int:
        return int(self.joined.get_column("customers").sum())


def migration(previous: pl.DataFrame, current: pl.DataFrame) -> Migration:
    """The migration between two runs' assignments (the columns of assignments.csv)."""
    before, after = _assignments(previous, "previous"), _assignments(current, "current")
    both = before.join(after, on="customer_id", how="inner", suffix="_now")
    counts = both.group_by("segment", "segment_now").len("customers")
    grid = (
        _segments(before)
        .rename({"segment": "from_segment", "name": "from_name"})
        .join(_segments(after).rename({"segment": "to_segment", "name": "to_name"}), how="cross")
        .join(
            counts.rename({"segment": "from_segment", "segment_now": "to_segment"}),
            on=["from_segment", "to_segment"],
            how="left",
        )
        .with_columns(pl.col("customers").fill_null(0).cast(pl.Int64))
        .with_columns(
            share_of_from=pl.when(pl.col("customers").sum().over("from_segment") > 0).then(
                (pl.col("customers") / pl.col("customers").sum().over("from_segment")).round(4)
            )
        )
        .sort(_noise_last("from_segment"), "from_segment", _noise_last("to_segment"), "to_segment")
    )
    return Migration(
        matrix=grid.select(
            "from_segment", "from_name", "to_segment", "to_name", "customers", "share_of_from"
        ),
        left=_per_segment(before, before.join(after, on="customer_id", how="anti")),
        joined=_per_segment(after, after.join(before, on="customer_id", how="anti")),
    )


def _assignments(frame: pl.DataFrame, run: str) -> pl.DataFrame:
    """The three columns, typed; refuse a run without them or with an id on two rows."""
    missing = [c for c in ASSIGNMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"the {run} run's assignments lack column(s) {', '.join(missing)}")
    out = frame.select(
        pl.col("customer_id").cast(pl.String),
        pl.col("segment").cast(pl.Int64),
        pl.col("segment_name").cast(pl.String),
    )
    repeated = out.filter(pl.col("customer_id").is_duplicated())
    if repeated.height:
        first = repeated.get_column("customer_id")[0]
        raise InputError(
            f"the {run} run's assignments hold customer {first} on more than one row "
            f"({repeated.height:,} rows share an id); a migration needs one row per customer"
        )
    return out


def _segments(assignments: pl.DataFrame) -> pl.DataFrame:
    """Every segment of a run with its name (the first one written, should two differ)."""
    return assignments.group_by("segment", maintain_order=True).agg(
        pl.col("segment_name").first().alias("name")
    )


def _per_segment(assignments: pl.DataFrame, only: pl.DataFrame) -> pl.DataFrame:
    """Customers of `only` per segment of the run, zeros included."""
    counts = only.group_by("segment").len("customers")
    return (
        _segments(assignments)
        .join(counts, on="segment", how="left")
        .with_columns(pl.col("customers").fill_null(0).cast(pl.Int64))
        .sort(_noise_last("segment"), "segment")
    )


def _noise_last(column: str) -> pl.Expr:
    return pl.col(column) == NOISE
