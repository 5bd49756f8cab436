"""Excel workbooks (and OpenDocument spreadsheets) read within limits: the zip is looked at first.

An .xlsx is a zip of XML files; a few megabytes can inflate to gigabytes and take several times
that in memory once read. Before any cell is parsed, the zip directory gives what the members
inflate to and how hard they are compressed, and the start of the first sheet gives the range
it declares. The declared range may be missing or lie, so the inflated size is capped as well.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.kinds import workbook_kind
from segmenter.ingest.limits import ReadLimits, raise_with

__all__ = ["read_workbook"]

_ZIP_MAGIC = b"PK\x03\x04"
_EXCEL_ROWS, _EXCEL_COLUMNS = 1_048_576, 16_384  # the largest sheet Excel can hold (A1:XFD1048576)
_RATIO_FLOOR = 64 << 20  # a workbook inflating to less may compress as hard as it likes
_START = 1 << 16  # the part of a member read to find what it declares
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"'
)
_SHEET_ID = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\s\w+:id="([^"]+)"')
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_UNREADABLE = (
    "not a readable Excel workbook (damaged, password-protected or not saved by a spreadsheet "
    "program): open it and save it again as .xlsx or CSV"
)


def read_workbook(data: bytes, name: str, limits: ReadLimits) -> pl.DataFrame:
    """The first sheet, every cell as text; refused before parsing when it would be too large."""
    if data.startswith(_ZIP_MAGIC):
        _check_zip(data, name, limits)
    elif "EncryptedPackage".encode("utf-16-le") in data:  # an OLE2 file holding an encrypted .xlsx
        raise InputError(
            f"{name}: a password-protected workbook: remove the password in Excel and save it again"
        )
    try:
        # All cells as text: a column mixing numbers and "#VALUE!" must not break the read.
        return pl.read_excel(io.BytesIO(data), sheet_id=1, infer_schema_length=0)
    except Exception as error:  # the reader raises its own, unrelated exception types
        raise InputError(f"{name}: {_UNREADABLE}") from error


def _check_zip(data: bytes, name: str, limits: ReadLimits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise InputError(
            f"{name}: not a readable Excel workbook (a damaged or incomplete zip archive)"
        ) from error
    with archive:
        names = archive.namelist()
        kind = workbook_kind(names, _start(archive, "mimetype"), name)
        if kind == "xlsx":
            _check_declared_range(archive, name, limits)
        _check_expansion(archive.infolist(), name, limits)


def _check_declared_range(archive: zipfile.ZipFile, name: str, limits: ReadLimits) -> None:
    """Refuse a first sheet declaring more cells than allowed, or more than Excel can hold."""
    sheet = _first_sheet(archive)
    found = _DIMENSION.search(_start(archive, sheet)) if sheet else None
    if found is None:
        return  # no declared range: the inflated size is the bound
    first_col, first_row, last_col, last_row = found.groups()
    last_col, last_row = last_col or first_col, last_row or first_row
    ref = found.group(0).split(b'"')[1].decode()
    if int(last_row) > _EXCEL_ROWS or _column_number(last_col) > _EXCEL_COLUMNS:
        raise InputError(
            f"{name}: its first sheet declares the range {ref}, larger than any Excel sheet "
            f"({_EXCEL_ROWS:,} rows by {_EXCEL_COLUMNS:,} columns): no spreadsheet program "
            "wrote it"
        )
    rows = int(last_row) - int(first_row) + 1
    columns = _column_number(last_col) - _column_number(first_col) + 1
    if rows * columns > limits.max_cells:
        raise InputError(
            f"{name}: its first sheet declares {rows:,} rows of {columns:,} columns, more than "
            f"the {limits.max_cells:,} cells read into memory at once ({raise_with('max_cells')})"
        )


def _check_expansion(members: list[zipfile.ZipInfo], name: str, limits: ReadLimits) -> None:
    """Refuse a workbook inflating past the limit, or compressed harder than real data is."""
    inflated = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members)
    if inflated > limits.max_expanded_mb << 20:
        raise InputError(
            f"{name}: the workbook inflates to {inflated / 2**20:,.0f} MB when opened, more than "
            f"the {limits.max_expanded_mb:,} MB allowed ({raise_with('max_expanded_mb')})"
        )
    if inflated > _RATIO_FLOOR and inflated > limits.max_compression_ratio * max(packed, 1):
        raise InputError(
            f"{name}: the workbook is compressed {inflated / max(packed, 1):,.0f} to 1, far more "
            f"than real data (at most {limits.max_compression_ratio:,} to 1 is allowed; "
            f"{raise_with('max_compression_ratio')})"
        )


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The member holding the workbook's first sheet, the one read; None when it cannot be told."""
    sheet_id = _SHEET_ID.search(_start(archive, "xl/workbook.xml"))
    if sheet_id is not None:
        for tag in _RELATION.findall(_start(archive, "xl/_rels/workbook.xml.rels")):
            if _attribute(tag, b"Id") == sheet_id.group(1):
                target = (_attribute(tag, b"Target") or b"").decode("utf-8", "replace")
                return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in archive.namelist() else None


def _attribute(tag: bytes, key: bytes) -> bytes | None:
    found = re.search(rb"\s" + key + rb'="([^"]*)"', tag)
    return found.group(1) if found else None


def _start(archive: zipfile.ZipFile, member: str) -> bytes:
    """The first bytes of a member, inflated; empty when it is missing or cannot be read."""
    try:
        with archive.open(member) as handle:
            return handle.read(_START)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError):
        return b""  # NotImplementedError (an unknown compression) is a RuntimeError


def _column_number(letters: bytes) -> int:
    """Excel's column letters as a number: A is 1, Z 26, AA 27, XFD 16,384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number
