"""Read a customer table from CSV, Parquet or Excel into a raw Polars frame, then load it clean.

Reading never guesses silently: the delimiter, encoding and decimal mark it settled on are kept
in `RawTable` and end up in the quality report. Reading is bounded by `ReadLimits`: what a file
would cost is checked before or while it is read (see ingest.limits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from segmenter.errors import InputError
from segmenter.ingest.delimited import head_size, read_csv_text, read_csv_typed, refuse_long_header
from segmenter.ingest.excel import read_workbook
from segmenter.ingest.kinds import refuse_not_a_table
from segmenter.ingest.limits import ReadLimits
from segmenter.ingest.parquet import read_parquet
from segmenter.ingest.quality import LoadedCustomers, clean_table
from segmenter.ingest.raw import RawTable

__all__ = ["LoadedCustomers", "load_customers", "parse_table", "read_table"]

_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # xlsx (a zip), xls (OLE2)
_BINARY_SUFFIXES = frozenset({".parquet", ".pq", ".xlsx", ".xlsm", ".xls"})
_DEFAULT = ReadLimits()


def read_table(path: Path | str, *, limits: ReadLimits = _DEFAULT) -> RawTable:
    """Read a file from disk (the only place this module touches the file system).

    Large files are read by Polars from the path itself: Parquet whole, a plain UTF-8 CSV
    straight into typed columns. Anything unusual goes the careful way of `parse_table`.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        with path.open("rb") as handle:
            head = handle.read(head_size(limits))
        fast = _read_fast(path, head, str(path), limits)
        if fast is not None:
            return fast
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror})") from error
    return _parse_careful(data, str(path), limits)


def parse_table(data: bytes, *, name: str, limits: ReadLimits = _DEFAULT) -> RawTable:
    """Parse the bytes of an uploaded or read file; the format comes from its content first.

    The same two ways as `read_table`, chosen by the same test: an upload gives the same
    table as the file it came from, and a plain CSV is read typed rather than as text.
    """
    fast = _read_fast(data, data[: head_size(limits)], name, limits)
    return fast if fast is not None else _parse_careful(data, name, limits)


def load_customers(
    path: Path | str,
    *,
    columns: Mapping[str, str] | None = None,
    limits: ReadLimits = _DEFAULT,
    keep: Sequence[str] = (),
) -> LoadedCustomers:
    """Read, map and validate a customer file: the canonical frame and its quality report.

    `columns` maps the file's own column names to the product's (see ingest.mapping). `keep`
    names extra columns to carry as text beside the frame, keyed by the same customer ids
    (`LoadedCustomers.carried`, see ingest.quality.CarriedColumns).
    """
    return clean_table(read_table(path, limits=limits), columns=columns, keep=keep)


def _read_fast(source: Path | bytes, head: bytes, name: str, limits: ReadLimits) -> RawTable | None:
    """Parquet, or a plain UTF-8 CSV read typed, from a path or bytes; None for the careful way.

    `head` is the first `head_size` bytes of the file: the format is told from it alone.
    """
    refuse_not_a_table(head, name)
    if head.startswith(b"PAR1"):
        return RawTable(frame=read_parquet(source, name, limits), source=name, format="parquet")
    if not head.strip() or head.startswith(_EXCEL_MAGIC):
        return None
    if Path(name).suffix.lower() in _BINARY_SUFFIXES:
        return None  # the careful way refuses a text file named as Parquet or Excel
    refuse_long_header(head, name, limits)
    return read_csv_typed(source, head, name, limits)


def _parse_careful(data: bytes, name: str, limits: ReadLimits) -> RawTable:
    """Any table, its format found from its content; every problem explained in a sentence."""
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    if data.startswith(b"PAR1"):
        return RawTable(frame=read_parquet(data, name, limits), source=name, format="parquet")
    if data.startswith(_EXCEL_MAGIC):
        return RawTable(frame=read_workbook(data, name, limits), source=name, format="excel")
    suffix = Path(name).suffix.lower()
    if suffix in _BINARY_SUFFIXES:
        raise InputError(f"{name}: not a valid {suffix} file (its content does not match)")
    return read_csv_text(data, name, limits)
