"""Which of a file's columns may hold each column the product could not find: the mapping step.

When names cannot be matched (headers in another language, a few renamed columns), each missing
column is offered the file's free columns, best first: close names first, then columns whose
values look like the column's kind (shares in [0, 1], whole counts, tenure in months, wide
amounts of money), nearer the column's place in the public file's order first. The choice stays
the user's: `chosen_columns` turns it into a column map for `clean_table(raw, columns=...)`,
whose checks still refuse values that cannot be the column chosen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from segmenter.errors import InputError
from segmenter.ingest.cells import is_null_token, parse_numbers
from segmenter.ingest.mapping import CLOSE_NAME, match_columns, name_similarity
from segmenter.ingest.schema import (
    CANONICAL_COLUMNS,
    COUNT_COLUMNS,
    FREQUENCY_COLUMNS,
    ID_COLUMN,
    MONEY_COLUMNS,
)

__all__ = [
    "MAX_FREE",
    "ColumnChoices",
    "chosen_columns",
    "column_choices",
    "header_key",
    "likeliest_columns",
]

SAMPLE_ROWS = 20_000  # rows spread over the file to judge values by: enough, and quick
MAX_FREE = 200  # more free columns than this are not offered one by one (nor ranked: slow)
EXAMPLES = 2  # values shown beside a column's name
_EXAMPLE_CHARS = 16
_NUMBERS = 0.95  # a column whose cells are numbers at least this often holds numbers
_TENURE = (1, 24)  # months: the public file has 6 to 12
_COUNT_MAX = 1_000  # transactions in six months; a whole column beyond it looks like money
_MONEY_WIDE = 100  # the 99th percentile of an amount of money is above this


@dataclass(frozen=True)
class ColumnChoices:
    """What a file lacks, and which of its free columns may hold each missing column."""

    header: tuple[str, ...]  # the file's columns, in its order
    missing: tuple[str, ...]  # required columns not found, in the public file's order
    optional: tuple[str, ...]  # CUST_ID when no column holds ids (else ids are made from rows)
    candidates: dict[str, tuple[str, ...]]  # missing or optional column -> free columns, best first
    free: tuple[str, ...]  # the file's columns not matched, in its order
    examples: dict[str, tuple[str, ...]]  # free column -> a few of its values as written

    @property
    def key(self) -> str:
        """The header's key: files with the same columns share a mapping."""
        return header_key(self.header)

    @property
    def can_be_mapped(self) -> bool:
        """Whether the missing columns can be chosen among the free ones: enough of them, and
        not so many that a list of them could be read (else the file is refused)."""
        return len(self.missing) <= len(self.free) <= MAX_FREE

    def options(self, column: str) -> tuple[str, ...]:
        """The free columns to offer for a column: its candidates, then every other one."""
        first = self.candidates.get(column, ())
        return (*first, *(c for c in self.free if c not in first))


def header_key(columns: Sequence[str]) -> str:
    """A hash of a header's column names, in order."""
    return hashlib.sha256(json.dumps(list(columns)).encode("utf-8")).hexdigest()


def column_choices(
    frame: pl.DataFrame, *, given: Mapping[str, str] | None = None, source: str = "input"
) -> ColumnChoices:
    """What is still missing from a raw table once `given` and the names are matched, and for
    each missing column the free columns ranked as candidates. Nothing is missing: no ranking."""
    header = tuple(frame.columns)
    mapping, missing = match_columns(header, source=source, given=given)
    free = tuple(mapping.ignored)
    optional = () if mapping.has_id else (ID_COLUMN,)
    unranked = ColumnChoices(header, tuple(missing), optional, {}, free, {})
    if not missing or not unranked.can_be_mapped:
        return unranked
    sample = frame.select(free).gather_every(max(1, frame.height // SAMPLE_ROWS))
    kinds = {column: _Values.of(sample.get_column(column)) for column in free}
    candidates = {wanted: _ranked(wanted, free, kinds, header) for wanted in (*missing, *optional)}
    examples = {column: _examples(sample.get_column(column)) for column in free}
    return ColumnChoices(header, tuple(missing), optional, candidates, free, examples)


def likeliest_columns(
    frame: pl.DataFrame, *, given: Mapping[str, str] | None = None, source: str = "input"
) -> dict[str, str]:
    """Each missing column's likeliest free column, and the id column's when none was found
    (each offered once), when the missing columns can be chosen among the free ones."""
    choices = column_choices(frame, given=given, source=source)
    picked: dict[str, str] = {}
    for column in (*choices.missing, *choices.optional):
        offered = choices.candidates.get(column, ())
        best = next((c for c in offered if c not in picked.values()), None)
        if best is not None:
            picked[column] = best
    return picked


def chosen_columns(choices: Mapping[str, str | None], *, required: Sequence[str]) -> dict[str, str]:
    """The user's choice (product column -> file column, or None) as a column map for
    `clean_table`; refused in a sentence when a required column has none or a file column is
    chosen twice."""
    if blank := [column for column in required if not choices.get(column)]:
        more = f" and {len(blank) - 3} more" if len(blank) > 3 else ""
        raise InputError(f"choose a column of your file for {', '.join(blank[:3])}{more}")
    mapping: dict[str, str] = {}
    for wanted, column in choices.items():
        if not column:
            continue
        if column in mapping:
            raise InputError(
                f"column {column!r} is chosen for both {mapping[column]} and {wanted}: "
                "each column of your file can hold only one of them"
            )
        mapping[column] = wanted
    return mapping


@dataclass(frozen=True)
class _Values:
    """What a column's values look like, parsed leniently (for ranking only, never for loading)."""

    numbers: bool  # nearly every cell is a number
    low: float
    high: float
    top: float  # the 99th percentile
    whole: bool  # every number is a whole number
    unique: bool  # no value repeats (ids)

    @classmethod
    def of(cls, cells: pl.Series) -> _Values:
        text = cells.cast(pl.String).str.strip_chars()
        present = text.filter(~text.to_frame("t").select(is_null_token(pl.col("t"))).to_series())
        numbers = _lenient_numbers(present)
        parsed = numbers.drop_nulls()
        unique = present.len() > 0 and present.n_unique() == present.len()
        if present.len() == 0 or parsed.len() < _NUMBERS * present.len():
            return cls(False, 0.0, 0.0, 0.0, False, unique)
        return cls(
            numbers=True,
            low=float(parsed.min()),  # type: ignore[arg-type]
            high=float(parsed.max()),  # type: ignore[arg-type]
            top=float(parsed.quantile(0.99) or 0.0),
            whole=bool((parsed == parsed.round(0)).all()),
            unique=unique,
        )

    def fit(self, canonical: str) -> float:
        """How well the values suit a column, 0 (not at all) to 1."""
        if canonical == ID_COLUMN:  # ids never repeat, and are text or whole numbers
            return 1.0 if self.unique and (self.whole or not self.numbers) else 0.0
        if not self.numbers or self.low < 0:
            return 0.0
        if canonical in FREQUENCY_COLUMNS:
            ceiling = 1.5 if canonical == "CASH_ADVANCE_FREQUENCY" else 1.0
            return 0.0 if self.high > ceiling else (0.5 if self.whole else 1.0)
        if canonical in COUNT_COLUMNS:
            if not self.whole:
                return 0.0
            return 0.5 if self.high > _COUNT_MAX or self.low >= _TENURE[0] else 1.0
        if canonical == "TENURE":
            low, high = _TENURE
            return 1.0 if self.whole and self.low >= low and self.high <= high else 0.0
        if canonical in MONEY_COLUMNS:
            if self.top <= _MONEY_WIDE:
                return 0.0
            # Whole amounts are money too (credit limits), but so are counts up to a point.
            return 0.75 if self.whole else 1.0
        return 0.0


def _lenient_numbers(text: pl.Series) -> pl.Series:
    """Numbers however written: a decimal point or, when that reads fewer, a decimal comma."""
    point = parse_numbers(text, decimal_comma=False)
    if point.null_count() == 0:
        return point
    comma = parse_numbers(text, decimal_comma=True)
    return comma if comma.null_count() < point.null_count() else point


def _ranked(
    wanted: str, free: Sequence[str], kinds: Mapping[str, _Values], header: Sequence[str]
) -> tuple[str, ...]:
    """Free columns that may hold `wanted`: close names whose values fit, then values that fit
    (the nearer the column's place in the public file's order, the better), then close names
    whose values do not."""
    similar = {column: name_similarity(wanted, column) for column in free}
    # The closest names, as `close_candidates` picks them (computed once here: it is the slow part)
    close = sorted((c for c in free if similar[c] >= CLOSE_NAME), key=lambda c: -similar[c])[:3]
    fits = {column: kinds[column].fit(wanted) for column in free}
    place = CANONICAL_COLUMNS.index(wanted) / (len(CANONICAL_COLUMNS) - 1)

    def order(column: str) -> tuple[int, float, float, float]:
        named, fit = column in close, fits[column]
        tier = 0 if named and fit else (1 if fit else 2)
        distance = abs(header.index(column) / max(1, len(header) - 1) - place)
        return (tier, -similar[column] if tier == 0 else -fit, distance, -similar[column])

    return tuple(sorted((c for c in free if c in close or fits[c]), key=order))


def _examples(cells: pl.Series) -> tuple[str, ...]:
    """The first few distinct values, as written and shortened."""
    text = cells.cast(pl.String).str.strip_chars()
    present = text.filter(~text.to_frame("t").select(is_null_token(pl.col("t"))).to_series())
    values = present.unique(maintain_order=True).head(EXAMPLES)
    return tuple(v if len(v) <= _EXAMPLE_CHARS else v[: _EXAMPLE_CHARS - 1] + "…" for v in values)
