"""Hostile and mislabelled files: refused in one sentence, before or while they are read.

Every file is built here. The two bombs (a workbook and a Parquet file of millions of rows in a
few megabytes) are read in a child process, which reports its own peak memory.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from segmenter.errors import InputError
from segmenter.ingest.batches import iter_batches, too_large_for_memory, validate_in_batches
from segmenter.ingest.limits import ENV_VARS, ReadLimits, limits_from_env
from segmenter.ingest.read import load_customers, parse_table, read_table
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from testkit.hostile_files import (
    VALUES,
    Measured,
    run_measured,
    write_parquet_bomb,
    write_xlsx_bomb,
)

HEADER = ",".join([ID_COLUMN, *FEATURE_COLUMNS])
ROWS = [f"C{i}," + ",".join(f"{VALUES[c]:g}" for c in FEATURE_COLUMNS) for i in range(1, 30)]
LIBRARIES = re.compile(r"calamine|fastexcel|polars|pyarrow|arrow|rust", re.IGNORECASE)
MAX_MB, MAX_SECONDS = 2048, 60
READ = "from segmenter.ingest.read import read_table\nread_table(sys.argv[1])"


def csv_with(*, line: int | None = None, text: str = "", header: str = HEADER) -> bytes:
    """The small table with line `line` (1 is the header) replaced by `text`."""
    lines = [header, *ROWS]
    if line is not None:
        lines[line - 1] = text
    return ("\n".join(lines) + "\n").encode()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def refusal(data: bytes, name: str, tmp_path: Path) -> str:
    """The one sentence a file is refused with: the same from its path and from its bytes."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as from_path:
        read_table(path)
    with pytest.raises(InputError) as from_bytes:
        parse_table(data, name=name)
    message = str(from_path.value)
    assert message == f"{path}: " + str(from_bytes.value).removeprefix(f"{name}: ")
    assert "\n" not in message
    assert not LIBRARIES.search(message)
    return message


NUMBERS = {"Index/Document.iwa": b"\x00\x01", "Metadata/Properties.plist": b"bplist00"}
WORD = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
HTML = b"\xef\xbb\xbf \n<!DOCTYPE html>\n<html><body><table><tr><td>CUST_ID</td></tr></table>"
NOT_TABLES = [
    pytest.param(
        zipped({"customers.csv": csv_with()}),
        "in.csv",
        "a zip archive, not a CSV/Excel table: unzip it and upload the table inside",
        id="zip-as-csv",
    ),
    pytest.param(
        zipped({"customers.csv": csv_with()}), "in.xlsx", "a zip archive", id="zip-as-xlsx"
    ),
    pytest.param(
        zipped(NUMBERS),
        "in.csv",
        "an Apple Numbers document: export it from Numbers as CSV or Excel",
        id="numbers",
    ),
    pytest.param(
        zipped({"Index.zip": b"PK"}), "in.numbers", "an Apple Numbers", id="numbers-package"
    ),
    pytest.param(zipped(WORD), "in.xlsx", "a text or presentation document, not a", id="word"),
    pytest.param(PDF, "in.csv", "a PDF document, not a table: export the table", id="pdf"),
    pytest.param(
        HTML,
        "in.csv",
        "a web page (HTML), not a CSV file: open it in a browser or spreadsheet and save the "
        "table as CSV",
        id="html-doctype",
    ),
    pytest.param(b"<HTML><BODY>" + csv_with(), "in.csv", "a web page (HTML)", id="html-around-csv"),
    pytest.param(
        b"<table><tr><td>CUST_ID</td>", "export.xls", "a web page (HTML)", id="html-as-xls"
    ),
    pytest.param(
        gzip.compress(csv_with()),
        "in.csv",
        "a compressed file (gzip), not a table: decompress it first",
        id="gzip",
    ),
]


@pytest.mark.parametrize(("data", "name", "message"), NOT_TABLES)
def test_a_file_that_is_not_a_table_says_what_it_is(
    data: bytes, name: str, message: str, tmp_path: Path
) -> None:
    assert refusal(data, name, tmp_path).startswith(f"{tmp_path / name}: {message}")


XLS_HEAD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NO_SHEET = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook"}
ENCRYPTED = XLS_HEAD + "EncryptedPackage".encode("utf-16-le")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"PK\x03\x04 cut short", "not a readable Excel workbook", id="damaged-zip"),
        pytest.param(XLS_HEAD + bytes(600), "not a readable Excel workbook", id="damaged-xls"),
        pytest.param(zipped(NO_SHEET), "not a readable Excel workbook", id="xlsx-without-sheet"),
        pytest.param(ENCRYPTED, "a password-protected workbook", id="encrypted-xlsx"),
        pytest.param(b"PAR1 not really", "not a readable Parquet file", id="damaged-parquet"),
    ],
)
def test_unreadable_files_are_explained_without_naming_a_library(
    data: bytes, message: str, tmp_path: Path
) -> None:
    assert message in refusal(data, "in.xlsx", tmp_path)


LONG = "x" * 200_000
REST = ROWS[1].split(",", 1)[1]  # a row's values after its id
EXTRA = ",".join(f"extra column {i:03d} " + "x" * 500 for i in range(140))  # 73 kB more
CSV_PROBLEMS = [
    pytest.param(
        csv_with(line=3, text=f'"{LONG}",{REST}'),
        "row 3 has a value of 200,000 characters, more than the 100,000 allowed in one cell "
        "(set SEGMENTER_MAX_FIELD_CHARS higher to allow more)",
        id="long-field",
    ),
    pytest.param(
        b"\xef\xbb\xbf" + csv_with(line=3, text=f"{LONG},{REST}"),
        "row 3 has a value of 200,000 characters, more than the 100,000 allowed",
        id="long-field-careful-way",
    ),
    pytest.param(
        csv_with(line=26, text=f"{LONG},{REST}"),
        "row 26 has a value of 200,000 characters",
        id="long-field-further-down",
    ),
    pytest.param(
        csv_with(line=4, text=",".join(["1"] * 100_000)),
        "row 4 has 100,000 fields but the header has 18",
        id="100k-columns",
    ),
    pytest.param(
        csv_with(header=f"{HEADER},{EXTRA}"),
        "the first line (the header) is longer than 65,536 bytes; if it is the header, set "
        "SEGMENTER_MAX_HEADER_BYTES higher to allow more",
        id="75k-header",
    ),
    pytest.param(
        csv_with(line=3, text=f"{LONG},{REST},1"),
        "row 3 has a value of 200,000 characters, more than the 100,000 allowed in one cell "
        "(set SEGMENTER_MAX_FIELD_CHARS higher to allow more)",
        id="long-field-and-a-field-too-many",
    ),
    pytest.param(
        csv_with(line=3, text=f'"{LONG}",{REST},1'),
        "row 3 has a value of 200,000 characters, more than the 100,000 allowed",
        id="long-quoted-field-and-a-field-too-many",
    ),
    pytest.param(
        csv_with(header=f'"{HEADER}'),
        'row 1 (the header) opens a quote (") that is never closed',
        id="unclosed-quote-in-header",
    ),
    pytest.param(
        csv_with(header=HEADER.replace(",BALANCE,", ',"BALANCE,')),
        'row 1 (the header) opens a quote (") that is never closed',
        id="unclosed-quote-inside-header",
    ),
    pytest.param(
        csv_with(line=3, text=f'C2,"{LONG}' + ",1" * 16),
        'row 3 opens a quote (") that is never closed',
        id="unclosed-quote-before-a-long-value",
    ),
    pytest.param(
        csv_with(line=3, text='C2,"1' + ",1" * 16),
        'row 3 opens a quote (") that is never closed',
        id="unclosed-quote",
    ),
    pytest.param(
        csv_with(line=3, text="C2" + ",1" * 16 + ',"12'),
        'row 3 opens a quote (") that is never closed',
        id="unclosed-quote-last",
    ),
    pytest.param(
        csv_with(line=5, text="C4" + ",1" * 16 + ',"12"3'),
        'row 5 has a quote (") inside a value: quote whole values, and write a quote inside '
        'one as ""',
        id="quote-inside",
    ),
]


@pytest.mark.parametrize(("data", "message"), CSV_PROBLEMS)
def test_a_csv_problem_is_one_sentence_naming_the_row(
    data: bytes, message: str, tmp_path: Path
) -> None:
    assert refusal(data, "in.csv", tmp_path).startswith(f"{tmp_path / 'in.csv'}: {message}")


def test_a_raised_limit_lets_the_file_in() -> None:
    long_id = csv_with(line=3, text=f'"{LONG}",{REST}')
    table = parse_table(long_id, name="in.csv", limits=ReadLimits(max_field_chars=200_000))
    assert table.frame.get_column(ID_COLUMN).str.len_chars().max() == 200_000
    wide = parse_table(
        csv_with(header=f"{HEADER},{EXTRA}"),
        name="in.csv",
        limits=ReadLimits(max_header_bytes=80_000),
    )
    assert wide.frame.width == 18 + 140
    with pytest.raises(InputError, match=r"^in\.csv: row 3 has 19 fields but the header has 18$"):
        parse_table(
            csv_with(line=3, text=f"{LONG},{REST},1"),
            name="in.csv",
            limits=ReadLimits(max_field_chars=200_000),
        )


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["typed-way", "careful-way"])
def test_a_csv_with_more_cells_than_allowed_is_refused_while_read(bom: bytes) -> None:
    limits = ReadLimits(max_cells=18 * 20)
    with pytest.raises(InputError) as refused:
        parse_table(bom + csv_with(), name="in.csv", limits=limits)
    assert str(refused.value) == (
        "in.csv: more than 20 rows of 18 columns, more than the 360 cells read into memory at "
        "once (set SEGMENTER_MAX_CELLS higher to allow more)"
    )
    assert parse_table(bom + csv_with(), name="in.csv").frame.height == 29


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12,288 customers in 4 MB of sheet XML, with its declared range."""
    return write_xlsx_bomb(
        tmp_path_factory.mktemp("xlsx") / "in.xlsx", rows=3 * 4096, dimension="A1:R12289"
    )


def test_the_built_workbook_reads_within_the_default_limits(workbook: Path) -> None:
    assert read_table(workbook).frame.shape == (12_288, 18)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        pytest.param(
            ReadLimits(max_cells=100_000),
            "its first sheet declares 12,289 rows of 18 columns, more than the 100,000 cells "
            "read into memory at once (set SEGMENTER_MAX_CELLS higher to allow more)",
            id="cells",
        ),
        pytest.param(
            ReadLimits(max_expanded_mb=2),
            "the workbook inflates to 4 MB when opened, more than the 2 MB allowed "
            "(set SEGMENTER_MAX_EXPANDED_MB higher to allow more)",
            id="inflated",
        ),
    ],
)
def test_a_workbook_past_a_limit_is_refused_before_parsing(
    workbook: Path, limits: ReadLimits, message: str
) -> None:
    with pytest.raises(InputError) as refused:
        read_table(workbook, limits=limits)
    assert str(refused.value) == f"{workbook}: {message}"


def test_a_workbook_compressed_like_a_bomb_is_refused(tmp_path: Path) -> None:
    path = write_xlsx_bomb(tmp_path / "in.xlsx", rows=50 * 4096)  # 67 MB, no declared range
    message = (
        r"the workbook is compressed \d{3} to 1, far more than real data \(at most 100 to 1 is "
        r"allowed; set SEGMENTER_MAX_COMPRESSION_RATIO higher to allow more\)$"
    )
    with pytest.raises(InputError, match=message):
        read_table(path)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        pytest.param(
            ReadLimits(max_expanded_mb=16),
            r"the workbook inflates to more than 16 MB when opened, more than allowed \(set "
            r"SEGMENTER_MAX_EXPANDED_MB higher to allow more\)$",
            id="inflated",
        ),
        pytest.param(
            ReadLimits(),
            r"the workbook is compressed \d{3,} to 1, far more than real data",
            id="ratio",
        ),
    ],
)
def test_a_workbook_is_measured_as_it_inflates_not_as_its_zip_says(
    tmp_path: Path, limits: ReadLimits, message: str
) -> None:
    # 204,800 customers, 67 MB of sheet XML; the zip's headers say the sheet is 1 MB.
    path = write_xlsx_bomb(tmp_path / "in.xlsx", rows=50 * 4096, sheet_size=1 << 20)
    with pytest.raises(InputError, match=f"^{re.escape(str(path))}: {message}"):
        read_table(path, limits=limits)


def test_a_workbook_cell_longer_than_allowed_is_refused(workbook: Path) -> None:
    with pytest.raises(InputError) as refused:
        read_table(workbook, limits=ReadLimits(max_field_chars=3))
    assert str(refused.value) == (
        f"{workbook}: row 2 has a value of 4 characters, more than the 3 allowed in one cell "
        "(set SEGMENTER_MAX_FIELD_CHARS higher to allow more)"
    )


def customers(rows: int, **extra: list[str]) -> pl.DataFrame:
    """`rows` copies of the plausible customer, with distinct ids and `extra` text columns."""
    return pl.DataFrame(
        {ID_COLUMN: [f"C{i}" for i in range(1, rows + 1)]}
        | {c: [VALUES[c]] * rows for c in FEATURE_COLUMNS}
        | extra
    )


def test_a_parquet_table_larger_than_allowed_is_streamed_or_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    customers(20_000).write_parquet(path)  # 18 columns of 20,000 rows: about 3 MB in memory
    limits = ReadLimits(max_table_mb=1)
    with pytest.raises(InputError) as refused:
        read_table(path, limits=limits)
    assert re.fullmatch(
        rf"{re.escape(str(path))}: the table would take about 3\.\d MB in memory read whole, "
        r"more than the 1 MB allowed \(set SEGMENTER_MAX_TABLE_MB higher to allow more\)",
        str(refused.value),
    )
    assert too_large_for_memory(path, limits=limits)
    assert not too_large_for_memory(path, limits=ReadLimits())
    assert validate_in_batches(path, limits=limits, batch_rows=8_000).rows_kept == 20_000


def read_whole(path: Path, limits: ReadLimits) -> object:
    return read_table(path, limits=limits)


def read_in_batches(path: Path, limits: ReadLimits) -> object:
    return list(iter_batches(path, limits=limits))


@pytest.mark.parametrize("read", [read_whole, read_in_batches], ids=["whole", "in-batches"])
@pytest.mark.parametrize(
    ("ids", "message"),
    [
        pytest.param(
            ["x" * 50_000],
            "column CUST_ID holds a value of more than 10,000 characters (1 value in 49 kB), "
            "more than allowed in one cell",
            id="in-the-footer",
        ),
        pytest.param(
            ["C1", *["x" * 20_000] * 999],
            "row 3 has a value of 20,000 characters, more than the 10,000 allowed in one cell",
            id="repeated-in-a-dictionary",
        ),
    ],
)
def test_a_parquet_value_longer_than_allowed_is_refused(
    tmp_path: Path, ids: list[str], message: str, read: Callable[[Path, ReadLimits], object]
) -> None:
    path = tmp_path / "in.parquet"
    customers(len(ids)).with_columns(pl.Series(ID_COLUMN, ids)).write_parquet(path)
    with pytest.raises(InputError) as refused:
        read(path, ReadLimits(max_field_chars=10_000))
    assert str(refused.value) == (
        f"{path}: {message} (set SEGMENTER_MAX_FIELD_CHARS higher to allow more)"
    )


def test_text_a_dictionary_repeats_is_measured_once_read(tmp_path: Path) -> None:
    # One 1,000-character note in 2,000 rows: the file holds it once, the frame 2,000 times,
    # and any change to the text makes them 2 MB.
    path = tmp_path / "in.parquet"
    customers(2_000, NOTE=["n" * 1_000] * 2_000).write_parquet(path)
    limits = ReadLimits(max_table_mb=1)
    assert not too_large_for_memory(path, limits=limits)
    with pytest.raises(InputError) as refused:
        read_table(path, limits=limits)
    assert str(refused.value) == (
        f"{path}: its text takes about 1.9 MB in memory read whole, more than the 1 MB allowed "
        "(set SEGMENTER_MAX_TABLE_MB higher to allow more)"
    )


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """13 customers: negative balances in rows 3 and 12, no payments in row 11, nothing at all
    in row 8; in row groups of 7, read in batches of 4."""
    columns = {c: [VALUES[c]] * 13 for c in FEATURE_COLUMNS}
    columns["BALANCE"][1] = columns["BALANCE"][10] = -5.0
    columns["PAYMENTS"][9] = None
    for column in FEATURE_COLUMNS:
        columns[column][6] = None
    frame = pl.DataFrame(
        {ID_COLUMN: [f"C{i}" for i in range(1, 14)], **columns},
        schema_overrides=dict.fromkeys(FEATURE_COLUMNS, pl.Float64),
    )
    path = tmp_path_factory.mktemp("parquet") / "in.parquet"
    frame.write_parquet(path, row_group_size=7)
    return path


def test_a_parquet_file_with_more_cells_than_allowed_is_refused_from_its_footer(
    parquet: Path,
) -> None:
    with pytest.raises(InputError) as refused:
        read_table(parquet, limits=ReadLimits(max_cells=13 * 18 - 1))
    assert str(refused.value) == (
        f"{parquet}: 13 rows of 18 columns, more than the 233 cells read into memory at once "
        "(set SEGMENTER_MAX_CELLS higher to allow more)"
    )
    assert too_large_for_memory(parquet, limits=ReadLimits(max_cells=13 * 18 - 1))
    assert not too_large_for_memory(parquet, limits=ReadLimits())


def test_a_parquet_file_checked_in_batches_gives_the_whole_files_report(parquet: Path) -> None:
    whole = load_customers(parquet).report
    batched = validate_in_batches(parquet, batch_rows=4)
    assert (batched.note or "").startswith("read in 4 batches")
    by_kind = {(f.issue, f.column): f for f in batched.findings}
    assert by_kind == {(f.issue, f.column): f for f in whole.findings}
    assert batched.model_copy(update={"note": None, "findings": whole.findings}) == whole
    assert [d.row for d in batched.dropped] == [8]  # rows numbered through the file
    assert {kind: (f.count, f.example) for kind, f in by_kind.items()} == {
        ("negative", "BALANCE"): (2, "row 3"),
        ("missing", "PAYMENTS"): (1, None),
        ("empty_rows", None): (1, None),
    }


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, ReadLimits(), id="defaults"),
        pytest.param(
            {"SEGMENTER_MAX_CELLS": "1_000_000", "SEGMENTER_MAX_FIELD_CHARS": " 500 "},
            ReadLimits(max_cells=1_000_000, max_field_chars=500),
            id="set",
        ),
    ],
)
def test_limits_come_from_the_environment(env: dict[str, str], expected: ReadLimits) -> None:
    assert limits_from_env(env) == expected


@pytest.mark.parametrize("name", sorted(ENV_VARS.values()))
@pytest.mark.parametrize("value", ["many", "0", "-5", "1.5"])
def test_a_limit_that_is_not_a_positive_whole_number_is_refused(name: str, value: str) -> None:
    with pytest.raises(
        InputError, match=f"^{name} must be a positive whole number, not '{value}'$"
    ):
        limits_from_env({name: value})


def assert_bounded_refusal(done: Measured, message: str) -> None:
    """One line on stderr matching `message`, exit code 2, within the memory and time bounds."""
    assert (done.returncode, done.stdout) == (2, ""), done.stderr[-2000:]
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: ")
    assert re.search(message, done.stderr), done.stderr
    assert done.peak_mb < MAX_MB, f"peak {done.peak_mb:,.0f} MB"
    assert done.seconds < MAX_SECONDS, f"{done.seconds:.1f} s"


@pytest.mark.parametrize(
    ("dimension", "message"),
    [
        pytest.param("A1:R5001217", "declares the range A1:R5001217, larger than", id="declared"),
        pytest.param("A1:R9", r"inflates to 1,6\d\d MB when opened, more than", id="declared-lie"),
        pytest.param(None, r"inflates to 1,6\d\d MB when opened, more than", id="undeclared"),
    ],
)
def test_a_workbook_bomb_is_refused_before_it_is_read(
    tmp_path: Path, dimension: str | None, message: str
) -> None:
    # 5,001,216 customers: 7 MB of zip, 1.6 GB of XML, about 6 GB of memory once parsed.
    path = write_xlsx_bomb(tmp_path / "bomb.xlsx", rows=1221 * 4096, dimension=dimension)
    assert path.stat().st_size < 10 << 20
    assert_bounded_refusal(run_measured(READ, str(path)), message)


def test_a_parquet_bomb_is_refused_from_its_footer(tmp_path: Path) -> None:
    # 25,000,000 customers in one row group of a 2 kB file: about 5 GB once read whole.
    path = write_parquet_bomb(tmp_path / "bomb.parquet", rows=25_000_000, values=VALUES)
    assert path.stat().st_size < 1 << 20
    message = (
        r"25,000,000 rows of 17 columns, more than the 400,000,000 cells read into memory at "
        r"once \(set SEGMENTER_MAX_CELLS higher to allow more\)"
    )
    assert_bounded_refusal(run_measured(READ, str(path)), message)


def test_a_workbook_whose_zip_lies_is_refused_while_it_inflates(tmp_path: Path) -> None:
    # 1,200,128 customers, past Excel's 1,048,576 rows, in 1.8 MB: no declared range, and zip
    # headers saying the sheet inflates to 1 MB. Read whole, 8.4 s and 1.6 GB.
    path = write_xlsx_bomb(tmp_path / "bomb.xlsx", rows=293 * 4096, sheet_size=1 << 20)
    assert path.stat().st_size < 2 << 20
    message = (
        "its first sheet has more than 1,048,576 rows, more than any Excel sheet holds: no "
        "spreadsheet program wrote it"
    )
    assert_bounded_refusal(run_measured(READ, str(path)), message)


def test_an_uploaded_parquet_bomb_under_the_cell_limit_is_refused(tmp_path: Path) -> None:
    # 20,000,000 customers of the 18 columns in one row group of a 2 kB file: 360,000,000 cells,
    # under the cell limit. Read whole, 3 GB; checked, past 16 GB. An upload is read from its
    # bytes, as the app reads it, and the app cannot read in batches.
    values = {ID_COLUMN: "C1", **VALUES}
    path = write_parquet_bomb(tmp_path / "bomb.parquet", rows=20_000_000, values=values)
    assert path.stat().st_size < 1 << 20
    upload = "from segmenter.ingest.read import parse_table\n" + (
        "parse_table(open(sys.argv[1], 'rb').read(), name='bomb.parquet')"
    )
    message = (
        r"bomb.parquet: the table would take about 2,899 MB in memory read whole, more than the "
        r"512 MB allowed \(set SEGMENTER_MAX_TABLE_MB higher to allow more\)"
    )
    assert_bounded_refusal(run_measured(upload, str(path)), message)
