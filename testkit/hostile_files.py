"""Hostile files built in a second or two: a workbook bomb, a one-row-group Parquet bomb, and more.

The workbook is a real .xlsx zip whose sheet XML repeats one row millions of times. The repeated
part is deflated once and its bytes repeated (each copy ends in a full flush, so it decodes on
its own): a sheet of gigabytes takes the time of its checksum, not of compressing it.
"""

from __future__ import annotations

import json
import struct
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from testkit.segmenter_fixtures import run_python

__all__ = [
    "VALUES",
    "Measured",
    "run_measured",
    "write_parquet_bomb",
    "write_xlsx_bomb",
    "write_zip",
]

# One plausible customer: every value a column of the bomb repeats.
VALUES = dict(zip(FEATURE_COLUMNS, (
    1500.0, 0.9, 800.0, 500.0, 300.0, 200.0, 0.5, 0.3, 0.25, 0.1, 2.0, 12.0, 5000.0, 900.0,
    400.0, 0.1, 12.0,
), strict=True))  # fmt: skip

# Runs `work` (Python statements) and reports the process's own peak memory on stdout's last
# line; a refusal is one line on stderr and exit code 2, as on the command line.
_MEASURED = """
import json, resource, sys
from segmenter.errors import InputError
try:
{work}
    code = 0
except InputError as error:
    print(f"error: {{error}}", file=sys.stderr)
    code = 2
except SystemExit as done:
    code = done.code if isinstance(done.code, int) else int(done.code is not None)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"peak_mb": peak / (2**20 if sys.platform == "darwin" else 2**10)}}))
sys.exit(code)
"""


@dataclass(frozen=True)
class Measured:
    """A child process's exit code, output, wall time and its own peak resident memory."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_measured(work: str, *args: str, env: Mapping[str, str] | None = None) -> Measured:
    """Run `work` in a fresh interpreter with `args` as sys.argv[1:]; never more than 120 s.

    `work` is indented statements' text, e.g. "read_table(sys.argv[1])" after its imports.
    """
    body = "\n".join("    " + line for line in work.strip().splitlines())
    started = time.perf_counter()
    done = run_python("-c", _MEASURED.format(work=body), *args, env=env)
    seconds = time.perf_counter() - started
    *output, last = done.stdout.splitlines() or [""]
    peak = json.loads(last)["peak_mb"] if last.startswith("{") else float("nan")
    stdout = "\n".join(output) + ("\n" if output else "")
    return Measured(done.returncode, stdout, done.stderr, seconds, peak)


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ORG = "http://schemas.openxmlformats.org"
_SHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELATIONS = f"{_ORG}/officeDocument/2006/relationships"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_ORG}/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SHEETML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SHEETML}.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    f'{_XML}<Relationships xmlns="{_ORG}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_ORG}/spreadsheetml/2006/main" xmlns:r="{_RELATIONS}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_ORG}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_BLOCK_ROWS = 4096


def write_xlsx_bomb(
    path: Path, *, rows: int, dimension: str | None = None, sheet_size: int | None = None
) -> Path:
    """An .xlsx of the 18 canonical columns and `rows` identical customers (`rows` a multiple of
    4,096); `dimension` is the sheet's declared range ("A1:R5000001"), or None to leave it out;
    `sheet_size` the size the zip's headers give for the sheet inflated, when they are to lie.
    """
    header = "".join(
        f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in (ID_COLUMN, *FEATURE_COLUMNS)
    )
    cells = '<c t="inlineStr"><is><t>C1</t></is></c>'
    cells += "".join(f"<c><v>{VALUES[name]:g}</v></c>" for name in FEATURE_COLUMNS)
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    prefix = (
        f'{_XML}<worksheet xmlns="{_ORG}/spreadsheetml/2006/main">'
        f"{declared}<sheetData><row>{header}</row>"
    ).encode()
    block = (f"<row>{cells}</row>" * _BLOCK_ROWS).encode()
    suffix = b"</sheetData></worksheet>"
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    body = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.compress(suffix) + deflate.flush()
    repeats = rows // _BLOCK_ROWS
    crc = _crc32_combine(zlib.crc32(prefix), _crc32_repeated(block, repeats), len(block) * repeats)
    size = len(prefix) + len(block) * repeats + len(suffix)
    sheet = (
        head + body * repeats + tail,
        _crc32_combine(crc, zlib.crc32(suffix), len(suffix)),
        size if sheet_size is None else sheet_size,
    )
    members = {
        "[Content_Types].xml": _CONTENT_TYPES,
        "_rels/.rels": _RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
    }
    entries = [(name, *_deflated(text.encode())) for name, text in members.items()]
    return write_zip(path, [*entries, ("xl/worksheets/sheet1.xml", *sheet)])


def _crc32_repeated(block: bytes, times: int) -> int:
    """The CRC-32 of `block` repeated `times` times, by doubling: no pass over gigabytes."""
    crc, length = 0, 0  # of the repeats so far
    power, power_length = zlib.crc32(block), len(block)  # of block repeated 2**k times
    while times:
        if times & 1:
            crc, length = _crc32_combine(crc, power, power_length), length + power_length
        power, power_length = _crc32_combine(power, power, power_length), 2 * power_length
        times >>= 1
    return crc


def _crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of A + B from those of A and B and B's length (zlib's crc32_combine)."""
    if length2 == 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit, as a GF(2) matrix
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while length2:  # apply length2 zero bytes to crc1, a bit of the length at a time
        even = _gf2_square(odd)
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
    return crc1 ^ crc2


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector, row = vector >> 1, row + 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, column) for column in matrix]


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return deflate.compress(data) + deflate.flush(), zlib.crc32(data), len(data)


def write_zip(path: Path, entries: Sequence[tuple[str, bytes, int, int]]) -> Path:
    """A zip of already deflated members: (name, raw deflate bytes, CRC-32, size inflated)."""
    local, central = bytearray(), bytearray()
    for name, data, crc, size in entries:
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        central += struct.pack("<4s2H", b"PK\x01\x02", 20, 20)
        central += struct.pack("<4H3L3H", *fields[1:], 0)
        central += struct.pack("<2H2L", 0, 0, 0, len(local)) + encoded
        local += struct.pack("<4sH4H3L2H", b"PK\x03\x04", *fields) + encoded + data
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central) + end)
    return path


def write_parquet_bomb(path: Path, *, rows: int, values: Mapping[str, float | str]) -> Path:
    """A Parquet file of `rows` rows in ONE row group, column `name` holding `values[name]` in
    every row: a few kilobytes that take gigabytes once read.

    Written by hand (a writer would encode every value): each column is a dictionary of one
    value and one data page holding a single run of index 0.
    """
    body, chunks = bytearray(b"PAR1"), []
    for name, value in values.items():
        text = isinstance(value, str)
        plain = (
            struct.pack("<I", len(value.encode())) + value.encode()
            if isinstance(value, str)
            else struct.pack("<d", value)
        )
        indices = b"\x01" + _varint(rows << 1) + b"\x00"  # bit width 1; one run of `rows` zeros
        dictionary = _page(2, plain, (7, _STRUCT, _struct((1, _I32, 1), (2, _I32, 0))))
        data_header = _struct((1, _I32, rows), (2, _I32, 8), (3, _I32, 3), (4, _I32, 3))
        data = _page(0, indices, (5, _STRUCT, data_header))
        start = len(body)
        body += dictionary + data
        meta = _struct(
            (1, _I32, 6 if text else 5),  # BYTE_ARRAY or DOUBLE
            (2, _LIST, (_I32, [0, 3, 8])),  # PLAIN, RLE, RLE_DICTIONARY
            (3, _LIST, (_BINARY, [name])),
            (4, _I32, 0),  # uncompressed
            (5, _I64, rows),
            (6, _I64, len(body) - start),
            (7, _I64, len(body) - start),
            (9, _I64, start + len(dictionary)),
            (11, _I64, start),
        )
        chunks.append(_struct((2, _I64, start), (3, _STRUCT, meta)))
    schema = [_struct((4, _BINARY, "schema"), (5, _I32, len(values)))]
    for name, value in values.items():
        utf8 = ((6, _I32, 0),) if isinstance(value, str) else ()  # converted type UTF8
        schema.append(_struct((1, _I32, 6 if utf8 else 5), (3, _I32, 0), (4, _BINARY, name), *utf8))
    group = _struct((1, _LIST, (_STRUCT, chunks)), (2, _I64, len(body) - 4), (3, _I64, rows))
    footer = _struct(
        (1, _I32, 1),
        (2, _LIST, (_STRUCT, schema)),
        (3, _I64, rows),
        (4, _LIST, (_STRUCT, [group])),
    )
    path.write_bytes(bytes(body) + footer + struct.pack("<I", len(footer)) + b"PAR1")
    return path


# Thrift's compact protocol, as much of it as a Parquet footer and page headers need.
_I32, _I64, _BINARY, _LIST, _STRUCT = 5, 6, 8, 9, 12


def _page(kind: int, payload: bytes, header: tuple[int, int, Any]) -> bytes:
    sizes = ((2, _I32, len(payload)), (3, _I32, len(payload)))
    return _struct((1, _I32, kind), *sizes, header) + payload


def _struct(*fields: tuple[int, int, Any]) -> bytes:
    """Fields as (id, type, value), ids increasing; a nested struct or list item is its bytes."""
    out, last = bytearray(), 0
    for field_id, kind, value in fields:
        out += bytes([(field_id - last) << 4 | kind]) + _value(kind, value)
        last = field_id
    return bytes(out) + b"\x00"


def _value(kind: int, value: Any) -> bytes:
    if kind in (_I32, _I64):
        return _varint(value << 1 if value >= 0 else (-value << 1) - 1)  # zigzag
    if kind == _BINARY:
        data = value.encode()
        return _varint(len(data)) + data
    if kind == _LIST:
        item, items = value
        size = bytes([len(items) << 4 | item]) if len(items) < 15 else bytes([0xF0 | item])
        size += _varint(len(items)) if len(items) >= 15 else b""
        return size + b"".join(_value(item, each) for each in items)
    return bytes(value)  # a struct, already encoded


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | 0x80 if number else byte)
        if not number:
            return bytes(out)
