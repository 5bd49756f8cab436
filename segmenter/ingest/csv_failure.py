"""Why a CSV file the reader refused could not be read, in one sentence naming the row."""

from __future__ import annotations

import csv
import io
import re
from itertools import islice

from segmenter.ingest.limits import ReadLimits, raise_with

__all__ = ["csv_failure"]


def csv_failure(text: str, delimiter: str, name: str, limits: ReadLimits) -> str:
    """Why the reader failed, naming the row: a quote never closed or misplaced, a ragged row,
    a value longer than allowed.

    Only run once the reader has failed: a second, strict pass that counts rows as a
    spreadsheet does (the header is row 1).
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    row, width, quoted = 0, 0, None
    try:
        for row, fields in enumerate(reader, start=1):
            if row == 1:
                width = len(fields)
            elif len(fields) > width:
                return f"{name}: row {row} has {len(fields):,} fields but the header has {width:,}"
            if quoted is None and any('"' in field for field in fields):
                quoted = row
    except csv.Error as error:
        where = f"{name}: row {row + 1}"
        if "end of data" in str(error):
            return f'{where} opens a quote (") that is never closed'
        if "field limit" in str(error):
            line = next(islice(io.StringIO(text), reader.line_num - 1, None), "").rstrip("\n")
            return _long_line(line, row + 1, width, delimiter, name, limits)
        quoted = row + 1
    if quoted is not None:
        return (
            f'{name}: row {quoted} has a quote (") inside a value: quote whole values, '
            'and write a quote inside one as ""'
        )
    return (
        f"{name}: not a readable CSV file: check that every row has the header's columns "
        "and that quotes are balanced"
    )


def _long_line(
    line: str, row: int, width: int, delimiter: str, name: str, limits: ReadLimits
) -> str:
    """Why a row with a value longer than the csv module reads failed: a quote it opens and
    never closes, a value longer than allowed, or a ragged row."""
    if line.count('"') % 2:
        return f'{name}: row {row} opens a quote (") that is never closed'
    lengths = _value_lengths(line, delimiter)
    longest = max(lengths)
    if longest > limits.max_field_chars:
        return (
            f"{name}: row {row} has a value of {longest:,} characters, more than the "
            f"{limits.max_field_chars:,} allowed in one cell ({raise_with('max_field_chars')})"
        )
    if len(lengths) != width:
        return f"{name}: row {row} has {len(lengths):,} fields but the header has {width:,}"
    return f"{name}: row {row} has a value of {longest:,} characters, too long to be read"


def _value_lengths(line: str, delimiter: str) -> list[int]:
    """The length of each value of a line whose quotes balance, as a reader would read them."""
    sep = re.escape(delimiter)
    lengths = [0]
    for token in re.finditer(rf'"(?:[^"]|"")*"|{sep}|[^"{sep}]+|"', line):
        text = token.group()
        if text == delimiter:
            lengths.append(0)
        elif len(text) > 1 and text.startswith('"'):  # quoted: "" inside stands for one quote
            lengths[-1] += len(text) - 2 - text[1:-1].count('""')
        else:
            lengths[-1] += len(text)
    return lengths
