"""Excel workbooks (and OpenDocument spreadsheets) read within limits: the zip is looked at first.

An .xlsx is a zip of XML files; a few megabytes can inflate to gigabytes and take several times
that in memory once read. Before any cell is parsed, the zip directory gives what the members
say they inflate to and how hard they are compressed, and the start of the first sheet gives the
range it declares. Both may be missing or lie, so every member is then inflated in pieces, its
real bytes counted and the first sheet's rows too, and the reading stops at the first limit.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.inflate import RowCounter, inflate
from segmenter.ingest.kinds import workbook_kind
from segmenter.ingest.limits import ReadLimits, raise_with, refuse_long_values

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
        frame = pl.read_excel(io.BytesIO(data), sheet_id=1, infer_schema_length=0)
    # The reader raises its own, unrelated exception types, and may panic (a BaseException).
    except (Exception, pl.exceptions.PanicException) as error:
        raise InputError(f"{name}: {_UNREADABLE}") from error
    refuse_long_values(frame, name, limits)
    return frame


def _check_zip(data: bytes, name: str, limits: ReadLimits) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    # NotImplementedError (a zip version or compression it does not know) is a RuntimeError.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, RuntimeError) as error:
        raise InputError(
            f"{name}: not a readable Excel workbook (a damaged or incomplete zip archive)"
        ) from error
    with archive:
        names = archive.namelist()
        kind = workbook_kind(names, _start(archive, "mimetype"), name)
        sheet = _first_sheet(archive) if kind == "xlsx" else None
        if sheet is not None:
            _check_declared_range(archive, sheet, name, limits)
        members = archive.infolist()
        _check_expansion(members, len(data), name, limits)  # what the zip says of itself
        _check_inflated(data, members, sheet, name, limits)  # what it holds


def _check_declared_range(
    archive: zipfile.ZipFile, sheet: str, name: str, limits: ReadLimits
) -> None:
    """Refuse a first sheet declaring more cells than allowed, or more than Excel can hold."""
    found = _DIMENSION.search(_start(archive, sheet))
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


def _check_expansion(
    members: list[zipfile.ZipInfo], size: int, name: str, limits: ReadLimits
) -> None:
    """Refuse a workbook whose zip directory says it inflates past the limit."""
    _check_size(sum(member.file_size for member in members), members, size, name, limits)


def _check_inflated(
    data: bytes, members: list[zipfile.ZipInfo], sheet: str | None, name: str, limits: ReadLimits
) -> None:
    """Inflate every member in pieces, whatever the zip says of it: refuse the workbook as soon
    as it inflates past the limit, or as its first sheet passes the rows Excel holds."""
    allowed = limits.max_expanded_mb << 20
    inflated = 0
    try:
        for member in members:
            rows = RowCounter() if member.filename == sheet else None
            for piece in inflate(data, member):
                inflated += len(piece)
                if inflated > allowed:
                    raise InputError(
                        f"{name}: the workbook inflates to more than {limits.max_expanded_mb:,} "
                        f"MB when opened, more than allowed ({raise_with('max_expanded_mb')})"
                    )
                if rows is not None and rows.count(piece) > _EXCEL_ROWS:
                    raise InputError(
                        f"{name}: its first sheet has more than {_EXCEL_ROWS:,} rows, more than "
                        "any Excel sheet holds: no spreadsheet program wrote it"
                    )
    except zipfile.BadZipFile as error:
        raise InputError(f"{name}: {_UNREADABLE}") from error
    _check_size(inflated, members, len(data), name, limits)


def _check_size(
    inflated: int, members: list[zipfile.ZipInfo], size: int, name: str, limits: ReadLimits
) -> None:
    """Refuse a workbook inflating past the limit, or compressed harder than real data is (its
    members packed in no more than the `size` of the file, whatever the zip says)."""
    packed = min(sum(member.compress_size for member in members), size)
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
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, RuntimeError):
        return b""  # NotImplementedError (an unknown compression) is a RuntimeError


def _column_number(letters: bytes) -> int:
    """Excel's column letters as a number: A is 1, Z 26, AA 27, XFD 16,384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number
