"""Map a file's column names to the product's: known spellings, close names, and the user's map.

In order: the user's own map (`--map SOURCE=TARGET`, a `--columns` file, the app's mapping
step) wins; then exact names and known spellings (case, spacing and punctuation folded); then
close names that abbreviate exactly one missing column (`ONEOFF_PUR_FREQ`, `One Off Purchases
Freq`), which the report lists. What is still missing is refused with the closest candidates.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from segmenter.errors import InputError
from segmenter.ingest.schema import (
    CANONICAL_COLUMNS,
    FEATURE_COLUMNS,
    ID_COLUMN,
    aliases,
    normalise_name,
)
from segmenter.settings_file import read_settings

__all__ = [
    "CLOSE_NAME",
    "ColumnMapping",
    "close_candidates",
    "column_map_text",
    "map_columns",
    "match_columns",
    "name_similarity",
    "parse_map",
    "read_column_map",
]

_FOUND_SHOWN = 25
_LOOKUP: dict[str, str] = {
    normalise_name(alias): canonical
    for canonical in CANONICAL_COLUMNS
    for alias in aliases(canonical)
}
CLOSE_NAME = 0.5  # names at least this alike are offered as the closest ones
_MIN_ABBREVIATION = 3  # 'pur' for purchases, 'freq' for frequency; never one or two letters


@dataclass(frozen=True)
class ColumnMapping:
    """How the columns of a user's file map onto the canonical schema."""

    renames: dict[str, str]  # source column -> canonical name
    ignored: list[str] = field(default_factory=list)  # source columns not used
    has_id: bool = True
    close: dict[str, str] = field(default_factory=dict)  # matched by a close name
    given: dict[str, str] = field(default_factory=dict)  # mapped by the user


def _tokens(name: str) -> list[str]:
    """Words of a column name: 'OneOffPur_FREQ' -> ['one', 'off', 'pur', 'freq']."""
    return [t.lower() for t in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", name)]


def _abbreviates(words: list[str], target: list[str]) -> bool:
    """True when the words spell the target's words in order, each shortened or run together."""
    if not words or not target:
        return not words and not target
    head = target[0]
    joined = ""
    for used, word in enumerate(words, start=1):
        joined += word
        if not head.startswith(joined):
            return False
        if (joined == head or len(joined) >= _MIN_ABBREVIATION) and _abbreviates(
            words[used:], target[1:]
        ):
            return True
    return False


def _close_to(column: str) -> set[str]:
    """The canonical names a column name abbreviates."""
    words = _tokens(column)
    return {
        canonical
        for canonical in CANONICAL_COLUMNS
        for alias in aliases(canonical)
        if _abbreviates(words, _tokens(alias.upper() if alias.islower() else alias))
    }


def name_similarity(canonical: str, column: str) -> float:
    """How alike a column's name is to a canonical column's spellings: 0 to 1, 1 the same."""
    key = normalise_name(column)
    return max(
        difflib.SequenceMatcher(None, normalise_name(alias), key).ratio()
        for alias in aliases(canonical)
    )


def close_candidates(missing: str, columns: Sequence[str], *, n: int = 3) -> list[str]:
    """The file's columns most like a missing column's name, closest first."""
    names = {normalise_name(c): c for c in columns}
    scored = {column: name_similarity(missing, column) for column in names.values()}
    ranked = sorted(scored, key=lambda c: (-scored[c], columns.index(c)))
    return [c for c in ranked if scored[c] >= CLOSE_NAME][:n]


def _check_given(given: Mapping[str, str], columns: Sequence[str], source: str) -> None:
    for column, target in given.items():
        if target not in CANONICAL_COLUMNS:
            raise InputError(
                f"{source}: column map {column}={target}: {target} is not one of the product's "
                f"columns ({', '.join(CANONICAL_COLUMNS)})"
            )
        if column not in columns:
            raise InputError(
                f"{source}: column map {column}={target}: the file has no column {column!r}"
            )
    targets = list(given.values())
    if twice := sorted({t for t in targets if targets.count(t) > 1}):
        raise InputError(f"{source}: the column map names {twice[0]} for more than one column")


def map_columns(
    columns: Sequence[str],
    *,
    source: str = "input",
    given: Mapping[str, str] | None = None,
    likeliest: Callable[[], Mapping[str, str]] | None = None,
) -> ColumnMapping:
    """Map a file's column names to canonical names, or refuse naming what is missing.

    `likeliest`, when given, is asked only on a refusal: missing column -> the file's column
    most likely to hold it (by name and values, ingest.candidates), offered as a map to check.
    """
    mapping, missing = match_columns(columns, source=source, given=given)
    if missing:
        suggested = likeliest() if likeliest is not None else {}
        raise InputError(_missing_message(missing, columns, mapping.renames, source, suggested))
    return mapping


def match_columns(
    columns: Sequence[str], *, source: str = "input", given: Mapping[str, str] | None = None
) -> tuple[ColumnMapping, list[str]]:
    """Map what can be mapped: the mapping so far, and the required columns still missing."""
    given = dict(given or {})
    _check_given(given, columns, source)
    renames: dict[str, str] = {}
    claimed: dict[str, str] = {target: column for column, target in given.items()}
    for column in columns:
        if column in given:
            renames[column] = given[column]
            continue
        canonical = _LOOKUP.get(normalise_name(column))
        if canonical is None or (canonical in claimed and claimed[canonical] in given):
            continue
        if canonical in claimed:
            raise InputError(
                f"{source}: columns {claimed[canonical]!r} and {column!r} both look like "
                f"{canonical}; keep one of them"
            )
        claimed[canonical] = column
        renames[column] = canonical
    close = _close_matches([c for c in columns if c not in renames], set(claimed))
    renames.update(close)
    claimed.update({target: column for column, target in close.items()})
    mapping = ColumnMapping(
        renames={c: renames[c] for c in columns if c in renames},
        ignored=[c for c in columns if c not in renames],
        has_id=ID_COLUMN in claimed,
        close=close,
        given=given,
    )
    return mapping, [name for name in FEATURE_COLUMNS if name not in claimed]


def _close_matches(unmatched: list[str], claimed: set[str]) -> dict[str, str]:
    """Columns whose name abbreviates exactly one unclaimed name, claimed by no other column."""
    options = {c: _close_to(c) - claimed for c in unmatched}
    chosen = {c: next(iter(names)) for c, names in options.items() if len(names) == 1}
    targets = list(chosen.values())
    return {c: t for c, t in chosen.items() if targets.count(t) == 1}


def _missing_message(
    missing: list[str],
    columns: Sequence[str],
    renames: Mapping[str, str],
    source: str,
    suggested: Mapping[str, str],
) -> str:
    free = [c for c in columns if c not in renames]
    if suggested:  # ranked by name and values: a map the user can check and use as it is
        pairs = [f"--map '{column}={name}'" for name, column in suggested.items()]
        unfound = [name for name in missing if name not in suggested]
        none = f" (none looks like {', '.join(unfound)})" if unfound else ""
        return (
            f"{source}: missing {len(missing)} required column(s): {', '.join(missing)}. "
            f"The likeliest of the file's columns, by name and values, to check: "
            f"{' '.join(pairs)}{none}; give them on the command line (or write them as a "
            "[columns] table in a file for --columns FILE.toml), or choose in the app's column "
            "mapping step"
        )
    hints = [
        f"{name} (closest: {', '.join(repr(c) for c in near)})"
        for name in missing
        if (near := close_candidates(name, free))
    ]
    shown = [repr(c if len(c) <= 40 else c[:37] + "...") for c in columns[:_FOUND_SHOWN]]
    more = f" and {len(columns) - _FOUND_SHOWN} more" if len(columns) > _FOUND_SHOWN else ""
    found = (", ".join(shown) or "none") + more
    hint = f"; close names: {'; '.join(hints[:5])}" if hints else ""
    said = f"{source}: missing {len(missing)} required column(s): {', '.join(missing)}; "
    said += f"columns found: {found}{hint}. "
    if len(free) < len(missing):  # nothing to map them from: the data is not in this file
        others = (
            f"only {len(free)} other column{'' if len(free) == 1 else 's'}"
            if free
            else "no other columns"
        )
        return said + (
            f"The file has {others} to take them from: it does not hold the card behaviour "
            "the segments need (export all 17 columns, or add the missing ones)"
        )
    return said + (
        f"Map your column names to these: with --map 'YOUR NAME={missing[0]}' (repeatable) "
        "or --columns FILE.toml on the command line, or in the app's column mapping step"
    )


class _ColumnMapFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: dict[str, str]


def read_column_map(path: Path) -> dict[str, str]:
    """A column map file: a TOML table `[columns]` of `"file column" = "CANONICAL_NAME"`."""
    value, _ = read_settings(path, _ColumnMapFile, what="column map")
    return dict(value.columns)


def column_map_text(mapping: Mapping[str, str]) -> str:
    """A column map as the file `read_column_map` reads (for `--columns FILE.toml`)."""
    # A JSON string is a TOML basic string: quotes, backslashes and control characters escaped.
    lines = [f"{json.dumps(column)} = {json.dumps(target)}" for column, target in mapping.items()]
    return "[columns]\n" + "".join(f"{line}\n" for line in lines)


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """`--map SOURCE=TARGET` options as a map; a pair without '=' is refused."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        if not sep or not column.strip() or not target.strip():
            raise InputError(f"--map {pair!r}: write it as 'FILE COLUMN=CANONICAL_NAME'")
        mapping[column.strip()] = target.strip().upper()
    return mapping
