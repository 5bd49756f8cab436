"""CSV text read within limits: typed by Polars when plain, else decoded and read as text.

The dialect (delimiter, decimal mark) is sniffed from the head of the file: its first line, at
most `ReadLimits.max_header_bytes`, and some rows after it. A file past a limit or broken in a
way the reader cannot say is explained in one sentence naming the row.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.csv_failure import csv_failure
from segmenter.ingest.limits import ReadLimits, raise_with, refuse_long_values
from segmenter.ingest.mapping import map_columns
from segmenter.ingest.raw import RawTable
from segmenter.ingest.schema import ID_COLUMN

__all__ = ["head_size", "read_csv_text", "read_csv_typed", "refuse_long_header"]

_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 50
_SNIFF_BYTES = 1 << 16  # after the header: enough rows to sniff the dialect
_DECIMAL_COMMA = re.compile(r'^"?\s*[-+]?\d*,\d+\s*"?$')
_DECIMAL_POINT = re.compile(r'^"?\s*[-+]?\d*\.\d+\s*"?$')
_THOUSANDS_COMMA = re.compile(r'^"?\s*[-+]?\d{1,3}(,\d{3})+\s*"?$')


def head_size(limits: ReadLimits) -> int:
    """How much of a file is read first: the longest header allowed and rows to sniff."""
    return limits.max_header_bytes + _SNIFF_BYTES


def refuse_long_header(head: bytes, name: str, limits: ReadLimits) -> None:
    """Refuse a first line longer than allowed: told from the head, before the file is read."""
    ends = [i for i in (head.find(b"\n"), head.find(b"\r")) if i >= 0]
    end = min(ends) if ends else len(head)
    if end > limits.max_header_bytes:
        raise InputError(
            f"{name}: the first line (the header) is longer than {limits.max_header_bytes:,} "
            f"bytes; if it is the header, {raise_with('max_header_bytes')}"
        )


def read_csv_text(data: bytes, name: str, limits: ReadLimits) -> RawTable:
    """Any CSV text (a BOM, UTF-16, Latin-1, any line end, decimal commas), every cell as text."""
    text, encoding = _decode(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    size = head_size(limits)
    head = text[:size] if len(text) <= size else text[: text.rfind("\n", 0, size) + 1]
    delimiter, rows = _sniff_delimiter(_lines(head), name)
    decimal_comma = _sniff_decimal_comma(rows[1:])
    max_rows = limits.max_cells // len(rows[0])
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            separator=delimiter,
            infer_schema=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
            n_rows=max_rows + 1,
        )
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise InputError(csv_failure(text, delimiter, name, limits)) from error
    if frame.height == 0:
        _refuse_open_header(head, name)  # a quote never closed takes every row into the header
        raise InputError(f"{name}: the file has a header but no rows")
    _refuse_too_large(frame, name, limits)
    return RawTable(
        frame=frame,
        source=name,
        format="csv",
        delimiter=delimiter,
        encoding=encoding,
        decimal_comma=decimal_comma,
    )


def read_csv_typed(
    source: Path | bytes, head: bytes, name: str, limits: ReadLimits
) -> RawTable | None:
    """A plain UTF-8 CSV whose feature cells are all plain numbers, read typed by Polars.

    None for anything else (BOM, UTF-16, Latin-1, lone CR line ends, decimal commas, a cell the
    float parser refuses, a ragged row): the text path then reads it and explains any problem.
    Both paths give the same canonical frame; this one skips decoding and re-encoding the
    whole file and parsing every number from text twice.
    """
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    if len(head) == head_size(limits):  # the last line of the head may be cut in the middle
        head = head[: head.rfind(b"\n") + 1]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text.replace("\r\n", ""):
        return None
    _decode(head, name)  # refuses binary content exactly as the text path would
    delimiter, rows = _sniff_delimiter(_lines(text), name)
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
            n_rows=limits.max_cells // len(rows[0]) + 1,
        )
    except (pl.exceptions.PolarsError, OSError, ValueError):
        return None
    if frame.height == 0:
        return None
    _refuse_too_large(frame, name, limits)
    return RawTable(frame=frame, source=name, format="csv", delimiter=delimiter, encoding="utf-8")


def _refuse_too_large(frame: pl.DataFrame, name: str, limits: ReadLimits) -> None:
    """Refuse a CSV read up to its cell limit, or holding a value longer than allowed.

    The read stops one row past the cell limit, so memory stays bounded; a long value is
    found once read, as the file's own size bounds it.
    """
    if frame.height * frame.width > limits.max_cells:
        raise InputError(
            f"{name}: more than {limits.max_cells // frame.width:,} rows of {frame.width:,} "
            f"columns, more than the {limits.max_cells:,} cells read into memory at once "
            f"({raise_with('max_cells')})"
        )
    refuse_long_values(frame, name, limits)


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


def _lines(head: str) -> list[str]:
    """The first non-blank lines of the head, to sniff the dialect from."""
    return [line for line in head.split("\n", _SNIFF_LINES + 1)[:_SNIFF_LINES] if line.strip()]


def _sniff_delimiter(lines: list[str], name: str) -> tuple[str, list[list[str]]]:
    """The delimiter that splits the header widest and keeps the rows the same width, and the
    rows it splits the lines into."""
    best: tuple[float, int, str, list[list[str]]] | None = None
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:  # e.g. a line longer than the csv module takes as one value
            continue
        widths = [len(row) for row in rows]
        if not widths or widths[0] < 2:
            continue
        consistency = sum(width == widths[0] for width in widths) / len(widths)
        if best is None or (consistency, widths[0]) > best[:2]:
            best = (consistency, widths[0], delimiter, rows)
    if best is None:
        _refuse_open_header(lines[0] if lines else "", name)
        raise InputError(
            f"{name}: no column delimiter found in the header (tried comma, semicolon, tab, pipe)"
        )
    return best[2], best[3]


def _refuse_open_header(head: str, name: str) -> None:
    """Refuse a header whose first line opens a quote it never closes: the reader then takes
    the lines after it as part of one column name, and finds no delimiter or no rows."""
    if head.split("\n", 1)[0].count('"') % 2:
        raise InputError(f'{name}: row 1 (the header) opens a quote (") that is never closed')


def _sniff_decimal_comma(rows: list[list[str]]) -> bool:
    """True when numbers are written 1234,56 rather than 1234.56."""
    cells = [cell.strip() for row in rows for cell in row]
    commas = sum(
        1 for cell in cells if _DECIMAL_COMMA.match(cell) and not _THOUSANDS_COMMA.match(cell)
    )
    points = sum(1 for cell in cells if _DECIMAL_POINT.match(cell))
    return commas > points
