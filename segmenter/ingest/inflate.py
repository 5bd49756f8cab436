"""Zip members inflated in pieces from their own bytes, and a sheet's rows counted as they come.

A zip's headers say what each member inflates to, and Python's `zipfile` stops there; other
readers do not, so a header that understates a member lets a bomb through. Here the sizes the
headers give are not trusted: a member is inflated until its deflate stream ends, a piece at a
time, and the caller counts what comes out and stops at its limit.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator

__all__ = ["PIECE", "RowCounter", "inflate"]

PIECE = 1 << 20  # inflated at a time
_LOCAL_HEADER = struct.Struct("<4s22x2H")  # signature ... name and extra field lengths
_STORED, _DEFLATED = 0, 8  # the only compressions spreadsheet programs write
_ROOT = re.compile(rb"<(\w+:)?worksheet\b")
_ROOT_WITHIN = 1 << 16  # the sheet's root element starts within this many bytes


def inflate(data: bytes, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """`member` of the zip `data` in pieces of at most `PIECE` bytes, inflated from its bytes.

    Raises zipfile.BadZipFile for a member that cannot be inflated (its header missing, a
    compression spreadsheet programs do not write, damaged data). A member cut short ends early.
    """
    start = member.header_offset
    try:
        signature, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, start)
    except struct.error:
        raise zipfile.BadZipFile(f"no header for {member.filename}") from None
    if signature != b"PK\x03\x04" or member.compress_type not in (_STORED, _DEFLATED):
        raise zipfile.BadZipFile(f"{member.filename} cannot be inflated")
    start += _LOCAL_HEADER.size + name_length + extra_length
    packed = memoryview(data)[start : start + member.compress_size]
    if member.compress_type == _STORED:
        for offset in range(0, len(packed), PIECE):
            yield bytes(packed[offset : offset + PIECE])
        return
    deflated = zlib.decompressobj(-zlib.MAX_WBITS)
    pending: bytes | memoryview = packed
    try:
        while not deflated.eof:
            # Called again with no input left, it gives what it still holds back.
            piece = deflated.decompress(pending, PIECE)
            pending = deflated.unconsumed_tail
            if not piece and not pending:
                return
            yield piece
    except zlib.error as error:
        raise zipfile.BadZipFile(f"{member.filename}: {error}") from None


class RowCounter:
    """Counts a sheet's rows in the pieces of its XML, as they come: its `<row` tags, less its
    `<rowBreaks` (any other tag starting so is counted, which can only count too many)."""

    def __init__(self) -> None:
        self.rows = 0
        self._tags: tuple[bytes, bytes] | None = None  # once the namespace prefix is known
        self._rest = b""  # the end of the last piece, from a "<" that may open a row

    def count(self, piece: bytes) -> int:
        """The rows so far, this piece included."""
        text = self._rest + piece
        if self._tags is None:  # the sheet's root element gives the prefix, if any
            root = _ROOT.search(text)
            if root is None and len(text) < _ROOT_WITHIN:
                self._rest = text
                return self.rows
            prefix = b"<" + (root.group(1) or b"" if root else b"")
            self._tags = (prefix + b"row", prefix + b"rowBreaks")
        row, breaks = self._tags
        cut = text.rfind(b"<", max(0, len(text) - 64))  # a tag may go on in the next piece
        cut = len(text) if cut < 0 else cut
        self.rows += text.count(row, 0, cut) - text.count(breaks, 0, cut)
        self._rest = text[cut:]
        return self.rows
