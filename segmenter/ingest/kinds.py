"""Files that are not tables, told from their first bytes or their zip directory.

Each refusal says what the file is and what to do instead, in the user's words: never the name
of a library.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Literal

from segmenter.errors import InputError

__all__ = ["Workbook", "refuse_not_a_table", "workbook_kind"]

Workbook = Literal["xlsx", "ods"]

_MARKS: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "a compressed file (gzip), not a table: decompress it first"),
    (b"\xfd7zXZ\x00", "a compressed file (xz), not a table: decompress it first"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive, not a table: extract the table inside it first"),
    (b"Rar!\x1a\x07", "a RAR archive, not a table: extract the table inside it first"),
)
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
# A page starts with its doctype or <html>, perhaps after a BOM, blank lines, comments or an
# XML declaration; saved "Excel" exports from web applications often start at <table>.
_HTML = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:\s|<!--.*?-->|<\?xml[^>]*\?>)*<(?:!doctype\s+html|html|head|body|table)\b",
    re.IGNORECASE | re.DOTALL,
)
_ZIP = "a zip archive, not a CSV/Excel table: unzip it and upload the table inside"
_NUMBERS = "an Apple Numbers document: export it from Numbers as CSV or Excel"
_DOCUMENT = "a text or presentation document, not a table: copy the table into a spreadsheet "
_DOCUMENT += "and save it as CSV or Excel"
_ODS = b"application/vnd.oasis.opendocument.spreadsheet"


def refuse_not_a_table(head: bytes, name: str) -> None:
    """Refuse a PDF, a web page or a compressed file, whatever its name says it is."""
    if b"%PDF-" in head[:1024]:
        raise InputError(
            f"{name}: a PDF document, not a table: export the table as CSV or Excel from the "
            "program that made the PDF"
        )
    if _HTML.match(head[:4096]):
        raise InputError(
            f"{name}: a web page (HTML), not a CSV file: open it in a browser or spreadsheet "
            "and save the table as CSV"
        )
    for mark, what in _MARKS:
        if head.startswith(mark):
            raise InputError(f"{name}: {what}")
    if _BZIP2.match(head):
        raise InputError(f"{name}: a compressed file (bzip2), not a table: decompress it first")


def workbook_kind(names: Collection[str], mimetype: bytes, name: str) -> Workbook:
    """What kind of workbook a zip holds, from its members; refused when it is none."""
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return "xlsx"
    if mimetype.strip() == _ODS:
        return "ods"
    numbers = ("Index/Document.iwa", "Index.zip", "index.xml.gz")
    if any(n.endswith(numbers) or ".numbers/" in n for n in names):
        raise InputError(f"{name}: {_NUMBERS}")
    office = any(n.startswith(("word/", "ppt/")) for n in names)
    if office or mimetype.startswith(b"application/vnd.oasis.opendocument."):
        raise InputError(f"{name}: {_DOCUMENT}")
    raise InputError(f"{name}: {_ZIP}")
