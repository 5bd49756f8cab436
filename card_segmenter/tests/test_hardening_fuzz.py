"""Hostile customer files through validate, segment, score and brief, the way a user runs them.

Every outcome is success or the project's own refusal (exit 2, one line on stderr): never a
traceback, a warning, or a run over 60 s. On success every kept customer is in assignments.csv
exactly once, every dropped one is listed in the quality report, and scoring the training file
with the saved model gives every customer its segment back. Files stay tiny, so each example
takes well under a second; the whole module runs in about a minute.
"""

from __future__ import annotations

import contextlib
import io
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from card_segmenter.cli import main
from segmenter.errors import InputError
from segmenter.files import FORMULA_PREFIXES, neutralise_text
from segmenter.ingest.read import load_customers
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from testkit.paths import SAMPLE

HEADER = [ID_COLUMN, *FEATURE_COLUMNS]
TIME_LIMIT_S = 60
FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI must not flake
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Row = list[str]


# 400 customers of the bundled sample, as the text of their cells: the raw material of every file.
SAMPLE_ROWS: list[tuple[str, ...]] = (
    pl.read_csv(SAMPLE, infer_schema=False, n_rows=400).select(HEADER).fill_null("").rows()
)


class Hung(BaseException):
    """A command ran past the time limit (BaseException: no handler may swallow it)."""


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def run_cli(*args: str | Path) -> Outcome:
    """One command in-process, bounded in time; any exception but SystemExit propagates."""
    out, err = io.StringIO(), io.StringIO()

    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"{args[0]} ran past {TIME_LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TIME_LIMIT_S)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main([str(a) for a in args])
    except SystemExit as done:
        code = int(done.code or 0)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    outcome = Outcome(code, out.getvalue(), err.getvalue())
    assert code in (0, 2), outcome
    if code == 2:
        assert outcome.err.startswith("error: "), outcome
        assert outcome.err.count("\n") == 1, outcome  # one line, no traceback
    return outcome


# Mutations of a table of text cells (header first). Each keeps the table a list of rows.
Mutation = Callable[[list[Row], st.DataObject], list[Row]]


def _cell(table: list[Row], data: st.DataObject) -> tuple[int, int]:
    row = data.draw(st.integers(1, max(1, len(table) - 1)), label="row")
    column = data.draw(st.integers(0, len(HEADER) - 1), label="column")
    return min(row, len(table) - 1), column


def _set(table: list[Row], data: st.DataObject, values: st.SearchStrategy[str]) -> list[Row]:
    if len(table) < 2:
        return table
    row, column = _cell(table, data)
    table[row] = [*table[row]]
    if column < len(table[row]):
        table[row][column] = data.draw(values, label="value")
    return table


def huge(table: list[Row], data: st.DataObject) -> list[Row]:
    values = st.sampled_from(["1e308", "-1e308", "1e400", "9" * 400, "1e13", "-0", "1e-320"])
    return _set(table, data, values)


def not_finite(table: list[Row], data: st.DataObject) -> list[Row]:
    values = st.sampled_from(["inf", "-inf", "Infinity", "NaN", "nan", "-nan", "+inf"])
    return _set(table, data, values)


def long_cell(table: list[Row], data: st.DataObject) -> list[Row]:
    values = st.sampled_from(["9" * 10_000, "=" + "A" * 9_999, "x" * 10_000, "1." + "5" * 9_998])
    return _set(table, data, values)


def formula_id(table: list[Row], data: st.DataObject) -> list[Row]:
    prefix = data.draw(st.sampled_from(FORMULA_PREFIXES), label="prefix")
    return [table[0]] + [[prefix + row[0], *row[1:]] if row else row for row in table[1:]]


def ragged(table: list[Row], data: st.DataObject) -> list[Row]:
    if len(table) < 2:
        return table
    row, _ = _cell(table, data)
    width = data.draw(st.integers(0, len(HEADER) + 3), label="width")
    table[row] = (table[row] + ["7"] * len(HEADER))[:width]
    return table


def repeated_header(table: list[Row], data: st.DataObject) -> list[Row]:
    at = data.draw(st.integers(1, len(table)), label="at")
    return [*table[:at], table[0], *table[at:]]


def zero_variance(table: list[Row], data: st.DataObject) -> list[Row]:
    columns = data.draw(st.sets(st.integers(1, len(HEADER) - 1), min_size=1), label="columns")
    return [table[0]] + [
        [("0" if i in columns else v) for i, v in enumerate(row)] for row in table[1:]
    ]


def few_rows(table: list[Row], data: st.DataObject) -> list[Row]:
    return table[: 1 + data.draw(st.integers(1, 3), label="rows")]


def identical_rows(table: list[Row], data: st.DataObject) -> list[Row]:
    if len(table) < 2:
        return table
    same_id = data.draw(st.booleans(), label="same id")
    first = table[1]
    return [table[0]] + [
        first if same_id or not first else [f"D{i}", *first[1:]] for i in range(len(table) - 1)
    ]


def same_id(table: list[Row], data: st.DataObject) -> list[Row]:
    if len(table) < 3 or not table[1]:
        return table
    return [table[0], table[1], [table[1][0], *table[2][1:]], *table[3:]]


def blank_column(table: list[Row], data: st.DataObject) -> list[Row]:
    column = data.draw(st.integers(0, len(HEADER) - 1), label="column")
    return [table[0]] + [
        [("" if i == column else v) for i, v in enumerate(row)] for row in table[1:]
    ]


def duplicate_column(table: list[Row], data: st.DataObject) -> list[Row]:
    column = data.draw(st.integers(0, len(HEADER) - 1), label="column")
    return [[*row, row[column]] if len(row) > column else row for row in table]


def odd_text(table: list[Row], data: st.DataObject) -> list[Row]:
    text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
    return _set(table, data, text)


TABLE_MUTATIONS: tuple[Mutation, ...] = (
    huge, not_finite, long_cell, formula_id, ragged, repeated_header, zero_variance, few_rows,
    identical_rows, same_id, blank_column, duplicate_column, odd_text,
)  # fmt: skip


@st.composite
def tables(draw: st.DrawFn, *, min_rows: int = 20, max_rows: int = 40) -> list[Row]:
    """Sample customers (text as in the bundled file), then 0-3 mutations.

    At least 20 customers by default, so that unmutated files can be segmented; `few_rows`
    cuts a table to 1-3 rows.
    """
    picks = draw(st.lists(st.integers(0, 399), min_size=min_rows, max_size=max_rows, unique=True))
    table: list[Row] = [HEADER, *([*SAMPLE_ROWS[i]] for i in picks)]
    data = draw(st.data())
    for mutation in draw(st.lists(st.sampled_from(TABLE_MUTATIONS), max_size=3), label="muts"):
        table = mutation(table, data)
    return table


def csv_text(table: list[Row], *, delimiter: str = ",", decimal_comma: bool = False) -> str:
    def cell(text: str) -> str:
        if decimal_comma:
            text = text.replace(".", ",")
        if any(ch in text for ch in (delimiter, '"', "\n", "\r")):
            return '"' + text.replace('"', '""') + '"'
        return text

    return "\n".join(delimiter.join(cell(c) for c in row) for row in table) + "\n"


def frame_of(table: list[Row]) -> pl.DataFrame:
    """Rectangular text frame of a table (ragged rows padded or cut), numbers where they parse."""
    width = len(table[0])
    names = [name or f"column {i}" for i, name in enumerate(table[0])]
    names = [n if names.index(n) == i else f"{n} {i}" for i, n in enumerate(names)]
    rows = [(row + [""] * width)[:width] for row in table[1:]]
    frame = pl.DataFrame(rows, schema=names, orient="row")
    numeric = [c for c in names[1:] if frame[c].cast(pl.Float64, strict=False).null_count() == 0]
    return frame.with_columns(pl.col(numeric).cast(pl.Float64))


def file_bytes(table: list[Row], fmt: str, data: st.DataObject) -> bytes:
    if fmt == "csv":
        delimiter = data.draw(st.sampled_from([",", ";", "\t", "|"]), label="delimiter")
        comma = delimiter != "," and data.draw(st.booleans(), label="decimal comma")
        text = csv_text(table, delimiter=delimiter, decimal_comma=comma)
        if data.draw(st.booleans(), label="crlf"):
            text = text.replace("\n", "\r\n")
        raw = text.encode(data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"])))
    else:
        buffer = io.BytesIO()
        frame = frame_of(table)
        if fmt == "parquet":
            frame.write_parquet(buffer)
        else:
            frame.write_excel(buffer)
        raw = buffer.getvalue()
    damage = data.draw(st.sampled_from(["none", "none", "truncate", "nul", "bytes"]))
    if damage == "truncate":
        raw = raw[: data.draw(st.integers(0, max(0, len(raw) - 1)), label="cut")]
    elif damage == "nul":
        at = data.draw(st.integers(0, len(raw)), label="nul at")
        raw = raw[:at] + b"\x00" + raw[at:]
    elif damage == "bytes":
        raw = data.draw(st.binary(max_size=512), label="random bytes")
    return raw


def _reason(err: str) -> str:
    """The kind of a refusal, without the file name and the figures (for statistics)."""
    text = err.split(": ", 2)[-1]
    return " ".join(w for w in text.split()[:6] if not any(ch.isdigit() for ch in w))


def check_run(
    path: Path, work: Path, *, k: str, note: Callable[[str], None] = lambda _: None
) -> None:
    """validate -> segment -> score -> brief, with the invariants of each success."""
    validated = run_cli("validate", path)
    if validated.code == 2:
        note(f"validate refused: {_reason(validated.err)}")
        with pytest.raises(InputError):
            load_customers(path)
        return
    loaded = load_customers(path)
    report = loaded.report
    assert f"{report.rows_read:,} read, {report.rows_kept:,} kept" in validated.out
    assert report.rows_kept == loaded.frame.height
    assert report.rows_kept + len(report.dropped) == report.rows_read
    kept = loaded.frame.get_column(ID_COLUMN).to_list()
    assert len(set(kept)) == len(kept)
    if report.dropped:  # every dropped row is named in the report the user sees
        assert f"Dropped rows ({len(report.dropped):,}):" in validated.out

    run = work / "run"
    segmented = run_cli("segment", path, "--out", run, "--k", k, "--seed", "1")
    if segmented.code == 2:
        note(f"segment refused: {_reason(segmented.err)}")
        assert not run.exists()  # a refused run writes nothing
        return
    note("segmented, scored and briefed")
    assignments = pl.read_csv(run / "assignments.csv", infer_schema=False)
    assert assignments["customer_id"].to_list() == [neutralise_text(i) for i in kept]

    scored = work / "scored.csv"
    assert run_cli("score", run / "model.skops", path, "--out", scored).code == 0
    again = pl.read_csv(scored, infer_schema=False)
    assert again["segment"].to_list() == assignments["segment"].to_list()

    brief = work / "brief" / "brief.md"
    assert run_cli("brief", run, "--out", brief, "--offline").code == 0
    listed = [
        i
        for audience in sorted((brief.parent / "audiences").glob("segment-*.csv"))
        for i in pl.read_csv(audience, infer_schema=False)["customer_id"].to_list()
    ]
    assigned = assignments.filter(pl.col("segment") != "-1")["customer_id"].to_list()
    assert sorted(listed) == sorted(assigned)


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        yield Path(tmp)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "excel"])
@FUZZ
@given(table=tables(), data=st.data())
def test_hostile_files_succeed_or_are_refused_in_one_line(
    fmt: str, table: list[Row], data: st.DataObject
) -> None:
    suffix = {"csv": ".csv", "parquet": ".parquet", "excel": ".xlsx"}[fmt]
    with workspace() as work:
        path = work / f"customers{suffix}"
        path.write_bytes(file_bytes(table, fmt, data))
        check_run(path, work, k="2", note=event)


@settings(FUZZ, max_examples=8)
@given(table=tables(min_rows=40, max_rows=60))
def test_choosing_k_on_hostile_files(table: list[Row]) -> None:
    with workspace() as work:
        path = work / "customers.csv"
        path.write_text(csv_text(table), encoding="utf-8")
        check_run(path, work, k="auto", note=event)


@settings(FUZZ, max_examples=30)
@given(
    picks=st.lists(st.integers(0, 399), min_size=1, max_size=20, unique=True),
    fmt=st.sampled_from(["csv", "parquet", "excel"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    decimal_comma=st.booleans(),
    prefixed=st.booleans(),
)
def test_any_spelling_of_the_same_customers_loads_the_same_figures(
    picks: list[int], fmt: str, delimiter: str, decimal_comma: bool, prefixed: bool
) -> None:
    """No silently wrong numbers: every format, delimiter and decimal mark reads the same."""
    table: list[Row] = [HEADER, *([*SAMPLE_ROWS[i]] for i in picks)]
    if prefixed:  # ids that look like formulas are ids all the same
        table = [table[0]] + [["=" + row[0], *row[1:]] for row in table[1:]]
    with workspace() as work:
        plain = work / "plain.csv"
        plain.write_text(csv_text(table), encoding="utf-8")
        expected = load_customers(plain).frame
        path = work / f"other.{'xlsx' if fmt == 'excel' else fmt}"
        if fmt == "csv":
            comma = decimal_comma and delimiter != ","
            text = csv_text(table, delimiter=delimiter, decimal_comma=comma)
            path.write_text(text, encoding="utf-8")
        else:
            buffer = io.BytesIO()
            frame = frame_of(table)
            frame.write_parquet(buffer) if fmt == "parquet" else frame.write_excel(buffer)
            path.write_bytes(buffer.getvalue())
        assert_frame_equal(load_customers(path).frame, expected, rel_tol=1e-12)


@pytest.mark.parametrize(
    "column",
    [
        pl.Series("BALANCE", [[1.0], [2.0]]),
        pl.Series("BALANCE", [{"a": 1}, {"a": 2}]),
        pl.Series("BALANCE", [b"\x00\x01", b"2"]),
        pl.Series("BALANCE", [True, False]),
        pl.Series("BALANCE", ["2024-01-01", "2024-01-02"]).str.to_date(),
        pl.Series("BALANCE", [1, 2]).cast(pl.Duration("ms")),
        pl.Series("BALANCE", [None, None], dtype=pl.Null),
        pl.Series("CUST_ID", [[1], [2]]),
        pl.Series("CUST_ID", [b"\xff", b"\xfe"]),
    ],
    ids=lambda s: f"{s.name}-{s.dtype}",
)
def test_parquet_columns_of_unexpected_types(tmp_path: Path, column: pl.Series) -> None:
    table = [HEADER, *([*row] for row in SAMPLE_ROWS[:2])]
    frame = frame_of(table).with_columns(column)
    path = tmp_path / "odd.parquet"
    frame.write_parquet(path)
    check_run(path, tmp_path, k="2")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_restore_text_undoes_neutralise_exactly(cells: list[str]) -> None:
    from segmenter.files import neutralise, restore_text

    # A cell of its own starting with a quote then a formula sign cannot be told from a quoted
    # one; every other cell comes back as it was.
    cells = [c for c in cells if not (c.startswith("'") and neutralise_text(c[1:]) != c[1:])]
    column = pl.Series("customer_id", cells, dtype=pl.String)
    written = neutralise(pl.DataFrame({"customer_id": column})).get_column("customer_id")
    assert restore_text(written).to_list() == cells
