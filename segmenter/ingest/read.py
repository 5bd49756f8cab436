"""Read a customer table from CSV, Parquet or Excel into a raw Polars frame, then load it clean.

Reading never guesses silently: the delimiter, encoding and decimal mark it settled on are kept
in `RawTable` and end up in the quality report.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.mapping import map_columns
from segmenter.ingest.quality import LoadedCustomers, clean_table
from segmenter.ingest.raw import RawTable
from segmenter.ingest.schema import ID_COLUMN

__all__ = ["LoadedCustomers", "load_customers", "parse_table", "read_table"]

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50
_HEAD_BYTES = 1 << 16  # enough of a file to recognise its format and sniff its dialect
_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # xlsx (a zip), xls (OLE2)
_BINARY_SUFFIXES = frozenset({".parquet", ".pq", ".xlsx", ".xlsm", ".xls"})
_DECIMAL_COMMA = re.compile(r'^"?\s*[-+]?\d*,\d+\s*"?$')
_DECIMAL_POINT = re.compile(r'^"?\s*[-+]?\d*\.\d+\s*"?$')
_THOUSANDS_COMMA = re.compile(r'^"?\s*[-+]?\d{1,3}(,\d{3})+\s*"?$')


def read_table(path: Path | str) -> RawTable:
    """Read a file from disk (the only place this module touches the file system).

    Large files are read by Polars from the path itself: Parquet whole, a plain UTF-8 CSV
    straight into typed columns. Anything unusual goes the careful way of `parse_table`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
        fast = _read_fast(path, head, str(path))
        if fast is not None:
            return fast
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from error
    return _parse_careful(data, str(path))


def parse_table(data: bytes, *, name: str) -> RawTable:
    """Parse the bytes of an uploaded or read file; the format comes from its content first.

    The same two ways as `read_table`, chosen by the same test: an upload gives the same
    table as the file it came from, and a plain CSV is read typed rather than as text.
    """
    fast = _read_fast(data, data[:_HEAD_BYTES], name)
    return fast if fast is not None else _parse_careful(data, name)


def load_customers(
    path: Path | str, *, columns: Mapping[str, str] | None = None
) -> LoadedCustomers:
    """Read, map and validate a customer file: the canonical frame and its quality report.

    `columns` maps the file's own column names to the product's (see ingest.mapping).
    """
    return clean_table(read_table(path), columns=columns)


def _read_fast(source: Path | bytes, head: bytes, name: str) -> RawTable | None:
    """Parquet, or a plain UTF-8 CSV read typed, from a path or bytes; None for the careful way.

    `head` is the first `_HEAD_BYTES` of the file: the format is told from it alone.
    """
    if head.startswith(b"PAR1"):
        return _parse_parquet(source, name)
    if not head.strip() or head.startswith(_EXCEL_MAGIC):
        return None
    if Path(name).suffix.lower() in _BINARY_SUFFIXES:
        return None  # the careful way refuses a text file named as Parquet or Excel
    return _fast_csv(source, head, name)


def _parse_careful(data: bytes, name: str) -> RawTable:
    """Any table, its format found from its content; every problem explained in a sentence."""
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    if data.startswith(b"PAR1"):
        return _parse_parquet(data, name)
    if data.startswith(_EXCEL_MAGIC):
        return _parse_excel(data, name)
    suffix = Path(name).suffix.lower()
    if suffix in _BINARY_SUFFIXES:
        raise InputError(f"{name}: not a valid {suffix} file (its content does not match)")
    return _parse_csv(data, name)


def _parse_parquet(data: bytes | Path, name: str) -> RawTable:
    try:
        frame = pl.read_parquet(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise InputError(f"{name}: not a readable Parquet file ({_first_line(error)})") from error
    return RawTable(frame=frame, source=name, format="parquet")


def _parse_excel(data: bytes, name: str) -> RawTable:
    try:
        # All cells as text: a column mixing numbers and "#VALUE!" must not break the read.
        frame = pl.read_excel(io.BytesIO(data), sheet_id=1, infer_schema_length=0)
    except Exception as error:  # fastexcel raises its own, unrelated exception types
        raise InputError(f"{name}: not a readable Excel workbook ({_first_line(error)})") from error
    return RawTable(frame=frame, source=name, format="excel")


def _parse_csv(data: bytes, name: str) -> RawTable:
    text, encoding = _decode(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line for line in text.split("\n", _SNIFF_LINES + 1)[:_SNIFF_LINES] if line.strip()]
    delimiter = _sniff_delimiter(lines, name)
    rows = list(csv.reader(lines, delimiter=delimiter))
    decimal_comma = _sniff_decimal_comma(rows[1:])
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            separator=delimiter,
            infer_schema=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise InputError(_csv_failure(text, delimiter, name, error)) from error
    if frame.height == 0:
        raise InputError(f"{name}: the file has a header but no rows")
    return RawTable(
        frame=frame,
        source=name,
        format="csv",
        delimiter=delimiter,
        encoding=encoding,
        decimal_comma=decimal_comma,
    )


def _fast_csv(source: Path | bytes, head: bytes, name: str) -> RawTable | None:
    """A plain UTF-8 CSV whose feature cells are all plain numbers, read typed by Polars.

    None for anything else (BOM, UTF-16, Latin-1, lone CR line ends, decimal commas, a cell the
    float parser refuses, a ragged row): the text path then reads it and explains any problem.
    Both paths give the same canonical frame; this one skips decoding and re-encoding the
    whole file and parsing every number from text twice.
    """
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    if len(head) == _HEAD_BYTES:  # the last line of the head may be cut in the middle
        head = head[: head.rfind(b"\n") + 1]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text.replace("\r\n", ""):
        return None
    _decode(head, name)  # refuses binary content exactly as the text path would
    lines = [line for line in text.split("\n", _SNIFF_LINES + 1)[:_SNIFF_LINES] if line.strip()]
    delimiter = _sniff_delimiter(lines, name)
    rows = list(csv.reader(lines, delimiter=delimiter))
    if len(rows) < 2 or _sniff_decimal_comma(rows[1:]):
        return None
    try:
        mapping = map_columns(rows[0], source=name)
    except InputError:
        return None  # the text path raises the same refusal, with the whole file in hand
    numeric = {src: pl.Float64 for src, dst in mapping.renames.items() if dst != ID_COLUMN}
    try:
        frame = pl.read_csv(
            source if isinstance(source, Path) else io.BytesIO(source),
            separator=delimiter,
            schema_overrides=numeric,
            infer_schema=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None
    if frame.height == 0:
        return None
    return RawTable(frame=frame, source=name, format="csv", delimiter=delimiter, encoding="utf-8")


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:  # e.g. cut off in the middle of a character
            raise InputError(
                f"{name}: starts as UTF-16 text but byte {error.start:,} is not ({error.reason})"
            ) from None
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
    head = text[:4096]
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in head or controls > len(head) // 20:
        raise InputError(f"{name}: looks like a binary file, not CSV, Parquet or Excel")
    return text, encoding


def _sniff_delimiter(lines: list[str], name: str) -> str:
    """The delimiter that splits the header widest and keeps the rows the same width."""
    best: tuple[float, int, str] | None = None
    for delimiter in _DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if not widths or widths[0] < 2:
            continue
        consistency = sum(width == widths[0] for width in widths) / len(widths)
        candidate = (consistency, widths[0], delimiter)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None:
        raise InputError(
            f"{name}: no column delimiter found in the header (tried comma, semicolon, tab, pipe)"
        )
    return best[2]


def _sniff_decimal_comma(rows: list[list[str]]) -> bool:
    """True when numbers are written 1234,56 rather than 1234.56."""
    cells = [cell.strip() for row in rows for cell in row]
    commas = sum(
        1 for cell in cells if _DECIMAL_COMMA.match(cell) and not _THOUSANDS_COMMA.match(cell)
    )
    points = sum(1 for cell in cells if _DECIMAL_POINT.match(cell))
    return commas > points


def _csv_failure(text: str, delimiter: str, name: str, error: Exception) -> str:
    """Name the first row whose width differs from the header, or pass on the reader's reason."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    for line_number, row in enumerate(reader, start=2):
        if row and len(row) > len(header):
            return (
                f"{name}: row {line_number} has {len(row)} fields but the header has {len(header)}"
            )
    return f"{name}: not a readable CSV file ({_first_line(error)})"


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__
