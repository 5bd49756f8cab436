"""Extra columns carried beside the canonical frame (`keep=`): as text, keyed by the run's ids."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from segmenter.errors import InputError
from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import ID_COLUMN
from testkit.segmenter_fixtures import toy_frame


def no_id_file(tmp_path: Path) -> Path:
    """60 customers without an id column, BALANCE under a name only a map can tell, extra
    columns, and an empty row (spreadsheet row 4) that ingest drops."""
    toy = toy_frame((30, 20, 10)).drop(ID_COLUMN).rename({"BALANCE": "owed"})
    frame = toy.with_columns(
        email=pl.format("c{}@bank.example", pl.int_range(pl.len())),
        zip=pl.lit("01234"),
        region=pl.lit("north"),
    ).cast(pl.String)
    blank = pl.DataFrame({c: [None] for c in frame.columns}, schema=frame.schema).with_columns(
        email=pl.lit("nobody@bank.example")
    )
    path = tmp_path / "book.csv"
    pl.concat([frame.head(2), blank, frame.tail(-2)]).write_csv(path)
    return path


def test_carried_columns_use_the_generated_ids_and_the_column_map(tmp_path: Path) -> None:
    loaded = load_customers(
        no_id_file(tmp_path), columns={"owed": "BALANCE"}, keep=["zip", "email"]
    )
    carried = loaded.carried
    assert carried is not None
    assert carried.columns == ["zip", "email"]  # in the order asked for
    assert carried.frame.columns == [ID_COLUMN, "zip", "email"]
    # The empty row 4 was dropped from both: the ids are the frame's, row for row.
    assert carried.frame[ID_COLUMN].to_list() == loaded.frame[ID_COLUMN].to_list()
    assert carried.frame.head(3).rows() == [
        ("row-2", "01234", "c0@bank.example"),
        ("row-3", "01234", "c1@bank.example"),
        ("row-5", "01234", "c2@bank.example"),
    ]
    assert carried.rows.head(3).to_list() == [2, 3, 5]
    assert carried.source.endswith("book.csv")
    assert load_customers(no_id_file(tmp_path), columns={"owed": "BALANCE"}).carried is None


def test_typed_columns_are_carried_as_text(tmp_path: Path) -> None:
    toy = toy_frame((30, 20, 10))
    path = tmp_path / "book.parquet"
    toy.with_columns(
        opted_in=pl.int_range(pl.len()) % 2 == 0,
        since=pl.lit(dt.date(2024, 5, 1)),
        score=pl.lit(7, dtype=pl.Int64),
    ).write_parquet(path)
    carried = load_customers(path, keep=["opted_in", "since", "score"]).carried
    assert carried is not None
    assert carried.frame.schema.to_python() == dict.fromkeys(
        [ID_COLUMN, "opted_in", "since", "score"], str
    )
    assert carried.frame.row(0) == ("T00001", "true", "2024-05-01", "7")


@pytest.mark.parametrize(
    ("keep", "message"),
    [
        pytest.param(
            ["mail"],
            r"^.*book\.csv: cannot carry column 'mail': it is not an extra column of the file "
            r"\(one the segments do not use\); its extra columns are 'email', 'zip', 'region'$",
            id="unknown",
        ),
        pytest.param(["PURCHASES"], r"cannot carry column 'PURCHASES'", id="a-feature"),
    ],
)
def test_a_column_that_is_not_an_extra_one_is_refused_listing_those_that_are(
    tmp_path: Path, keep: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        load_customers(no_id_file(tmp_path), columns={"owed": "BALANCE"}, keep=keep)
