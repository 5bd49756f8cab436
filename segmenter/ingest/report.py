"""The data-quality report: what was read, how columns were mapped, and every change made."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain, islice
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

__all__ = [
    "DROPPED_EXAMPLES",
    "DataQualityReport",
    "DroppedRow",
    "Finding",
    "Issue",
    "merge_reports",
]

# Rows dropped that a report lists by name; the rest are counted. A file of millions of copies of
# one row must not make millions of objects.
DROPPED_EXAMPLES = 100

Issue = Literal[
    "missing",
    "not_a_number",
    "negative",
    "out_of_range",
    "too_large",
    "inconsistent",
    "duplicate_rows",
    "generated_ids",
    "empty_rows",
    "implausible",
    "not_a_customer",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Finding(_Frozen):
    """One kind of problem in one column (or in whole rows), how often, and what was done."""

    issue: Issue
    column: str | None
    count: int
    action: str  # a sentence fragment: "filled with the column median when segmenting"
    example: str | None = None  # "row 5: 'n/a'"; rows are numbered as in a spreadsheet


class DroppedRow(_Frozen):
    """A customer row left out of the analysis, and why."""

    row: int
    customer_id: str
    reason: str


class DataQualityReport(_Frozen):
    """Everything done to a file on its way to the canonical frame; nothing changes silently."""

    source: str
    format: str
    delimiter: str | None = None
    encoding: str | None = None
    decimal_comma: bool = False
    rows_read: int
    rows_kept: int
    column_mapping: dict[str, str]  # the file's column -> canonical name
    close_matches: dict[str, str] = {}  # of those, matched by a close name (ONEOFF_PUR_FREQ)
    user_mapping: dict[str, str] = {}  # of those, mapped by the user
    ignored_columns: list[str]
    ids_generated: bool
    missing: dict[str, int]  # canonical column -> missing values after parsing
    findings: list[Finding]
    dropped: list[DroppedRow]  # the first DROPPED_EXAMPLES rows dropped; rows_dropped counts all
    note: str | None = None  # how the file was read, when that limits what was checked

    @property
    def rows_dropped(self) -> int:
        """How many rows were dropped: `dropped` names only the first `DROPPED_EXAMPLES`."""
        return self.rows_read - self.rows_kept

    def findings_table(self) -> pl.DataFrame:
        """One row per finding, headed and worded for people; blank where nothing applies."""
        return pl.DataFrame(
            {
                "Finding": [_ISSUE_TEXT[f.issue] for f in self.findings],
                "Column": [f.column or "whole rows" for f in self.findings],
                "Rows": [f.count for f in self.findings],
                "What was done": [f.action for f in self.findings],
                "Example": [f.example or "" for f in self.findings],
            },
            schema={
                "Finding": pl.String,
                "Column": pl.String,
                "Rows": pl.Int64,
                "What was done": pl.String,
                "Example": pl.String,
            },
        )

    def render(self) -> str:
        """The report as plain text for a terminal."""
        lines = [f"Data quality report for {self.source}", ""]
        how = [self.format.upper()]
        if self.delimiter is not None:
            how.append(f"delimiter {_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}")
        if self.encoding is not None:
            how.append(f"encoding {self.encoding}")
        if self.format == "csv":
            how.append("decimal comma" if self.decimal_comma else "decimal point")
        lines.append("Read as:   " + ", ".join(how))
        lines.append(f"Rows:      {self.rows_read:,} read, {self.rows_kept:,} kept")
        if self.note:
            lines.append(f"Note:      {self.note}")
        renamed = {k: v for k, v in self.column_mapping.items() if k != v}
        lines.append(
            f"Columns:   {len(self.column_mapping)} recognised"
            + (f", {len(renamed)} renamed" if renamed else "")
        )
        matched = {c: " (close name)" for c in self.close_matches} | {
            c: " (your map)" for c in self.user_mapping
        }
        lines.extend(
            f"           {source!r} -> {target}{matched.get(source, '')}"
            for source, target in renamed.items()
        )
        if self.ignored_columns:
            ignored = ", ".join(repr(name) for name in self.ignored_columns)
            lines.append(f"Ignored:   {ignored}")
        lines.append("")
        if not self.findings:
            lines.append("No problems found: nothing was changed.")
        else:
            lines.append("Findings and what was done:")
            for finding in self.findings:
                where = f"{finding.column}: " if finding.column else ""
                example = f" (e.g. {finding.example})" if finding.example else ""
                lines.append(
                    f"- {where}{finding.count:,} {_ISSUE_TEXT[finding.issue]}, "
                    f"{finding.action}{example}"
                )
        if self.dropped:
            lines.append("")
            lines.append(f"Dropped rows ({self.rows_dropped:,}):")
            shown = self.dropped[:_DROPPED_SHOWN]
            lines.extend(
                f"- row {row.row}, customer {row.customer_id}: {row.reason}" for row in shown
            )
            if self.rows_dropped > len(shown):
                lines.append(f"- ... and {self.rows_dropped - len(shown):,} more")
        return "\n".join(lines)


def merge_reports(reports: Sequence[DataQualityReport], *, note: str) -> DataQualityReport:
    """One report for a file checked in parts, in file order: counts added up, examples and
    the first rows dropped kept in order; how it was read, and the columns, as the first part says.
    """
    first = reports[0]
    merged: dict[tuple[Issue, str | None], list[Finding]] = {}
    for report in reports:
        for finding in report.findings:
            merged.setdefault((finding.issue, finding.column), []).append(finding)
    missing: dict[str, int] = {}
    for report in reports:
        for column, count in report.missing.items():
            missing[column] = missing.get(column, 0) + count
    return first.model_copy(
        update={
            "rows_read": sum(r.rows_read for r in reports),
            "rows_kept": sum(r.rows_kept for r in reports),
            "missing": missing,
            "findings": [_merged(parts) for parts in merged.values()],
            "dropped": list(
                islice(chain.from_iterable(r.dropped for r in reports), DROPPED_EXAMPLES)
            ),
            "note": note,
        }
    )


def _merged(parts: list[Finding]) -> Finding:
    """One finding from the same finding in several parts: the largest figure its action quotes
    ("by up to 600.00") is the whole file's."""
    action = max((p.action for p in parts), key=_quoted_figure)
    example = next((p.example for p in parts if p.example), None)
    count = sum(p.count for p in parts)
    return parts[0].model_copy(update={"count": count, "action": action, "example": example})


def _quoted_figure(action: str) -> float:
    found = re.search(r"up to ([\d,]+(?:\.\d+)?)$", action)
    return float(found.group(1).replace(",", "")) if found else 0.0


_DROPPED_SHOWN = 10
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_ISSUE_TEXT: dict[Issue, str] = {  # every Issue (a test checks)
    "missing": "missing values",
    "not_a_number": "values that are not numbers",
    "negative": "negative amounts",
    "out_of_range": "values out of range",
    "too_large": "implausibly large values",
    "inconsistent": "inconsistent rows",
    "duplicate_rows": "exact duplicate rows",
    "generated_ids": "customers without an id",
    "empty_rows": "rows with no values at all",
    "implausible": "values off by orders of magnitude",
    "not_a_customer": "rows that are not customers",
}
