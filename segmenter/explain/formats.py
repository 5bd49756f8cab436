"""How numbers read to people: one spelling per kind of figure, for sentences, charts and tables.

A kind (money, share, count, months, ratio: `measures.kind_of`) or a metric (silhouette, ...)
has one `Spelling`; the currency and the unit of tenure come from the vocabulary's [units].
Each spelling is given as text (`fmt`, `Spelling.text`), as a Vega expression for chart labels
and tooltips (`Spelling.vega`), and as a table column's number format (`Spelling.column`), so a
figure reads alike in the brief, the charts and the app's tables. Files for machines (CSV, JSON)
keep raw numbers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import polars as pl

from segmenter.explain.vocabulary import Units, default_vocabulary

__all__ = [
    "COLUMNS",
    "KINDS",
    "METRICS",
    "Column",
    "Metric",
    "Spelling",
    "column_of",
    "fmt",
    "for_reading",
    "metric_label",
    "metric_text",
]

MISSING = "—"


@dataclass(frozen=True)
class Spelling:
    """How one kind of number is written: decimals, and what goes around them."""

    digits: int
    percent: bool = False  # a share of 1, written x100 with "%"
    money: bool = False  # after the vocabulary's currency symbol
    tenure: bool = False  # before the vocabulary's unit of tenure ("11.5 months")
    whole: bool = False  # whole numbers without decimals ("7", but "5.8")
    unit: str = ""  # written after the number, e.g. " s"

    def text(self, value: float | None, units: Units | None = None) -> str:
        """The number as a sentence prints it; an em dash when unknown."""
        if value is None:
            return MISSING
        number = value * 100 if self.percent else value
        digits = 0 if self.whole and float(number).is_integer() else self.digits
        return self._around(f"{number:,.{digits}f}", units)

    def vega(self, field: str = "datum.value", units: Units | None = None) -> str:
        """A Vega expression writing `field` as `text` does (d3-format; for labels, tooltips)."""
        number = f"format({field}, ',.{self.digits}{'%' if self.percent else 'f'}')"
        if self.whole:
            number = f"({field} % 1 == 0 ? format({field}, ',.0f') : {number})"
        return f"isValid({field}) ? {self._join(number, units)} : {json.dumps(MISSING)}"

    def compact(self, field: str = "datum.value", units: Units | None = None) -> str:
        """A Vega expression for an axis label: "$0", "$100", "$1k", "$10k", "1.5M", "20%"."""
        if self.percent:
            number = f"format({field}, ',.{self.digits}~%')"
        else:
            number = (
                f"(abs({field}) < 1000 ? format({field}, ',.4~f') : "
                f"replace(format({field}, '.3~s'), 'G', 'B'))"
            )
        return self._join(number, units)

    def _join(self, number: str, units: Units | None) -> str:
        before, after = self._affixes(units)
        parts = [json.dumps(before)] if before else []
        parts.append(number)
        if after and not self.percent:  # d3-format writes the "%" of a percentage itself
            parts.append(json.dumps(after))
        return " + ".join(parts)

    def column(self, units: Units | None = None) -> str:
        """A table column's number format, printf-style as Streamlit takes it ("$%,.0f"); a
        share's is of its value x100 (`for_reading`), as printf cannot multiply."""
        before, after = self._affixes(units)
        number = "%,d" if self.whole and not self.digits else f"%,.{self.digits}f"
        return f"{before.replace('%', '%%')}{number}{after.replace('%', '%%')}"

    def _affixes(self, units: Units | None) -> tuple[str, str]:
        if (self.money or self.tenure) and units is None:
            units = default_vocabulary().units
        before = units.currency if self.money and units else ""
        after = "%" if self.percent else self.unit
        return before, f" {units.tenure}" if self.tenure and units else after

    def _around(self, number: str, units: Units | None) -> str:
        before, after = self._affixes(units)
        return f"{before}{number}{after}"


# How a figure of each kind reads: money in whole units, shares as whole percentages.
KINDS: dict[str, Spelling] = {
    "money": Spelling(0, money=True),
    "share": Spelling(0, percent=True),
    "count": Spelling(1, whole=True),
    "months": Spelling(1, tenure=True),
    "ratio": Spelling(1),
}


def fmt(value: float | None, kind: str = "ratio", units: Units | None = None) -> str:
    """A statistic as the brief and the prompts print it; an em dash when unknown."""
    return KINDS.get(kind, KINDS["ratio"]).text(value, units)


class Metric(NamedTuple):
    """A score of a segmentation: its name for people, its spelling and how to read it."""

    label: str
    spelling: Spelling
    help: str


_SHARE = Spelling(1, percent=True)
METRICS: dict[str, Metric] = {
    "silhouette": Metric(
        "Silhouette",
        Spelling(3),
        "-1 to 1; higher is better separated. Around 0.2 on card data: a continuum, not blobs.",
    ),
    "calinski_harabasz": Metric("Calinski-Harabasz", Spelling(0), "Higher is better separated."),
    "davies_bouldin": Metric("Davies-Bouldin", Spelling(2), "Lower is better separated."),
    "stability_ari": Metric(
        "Stability (bootstrap ARI)",
        Spelling(2),
        "Agreement with refits on bootstrap resamples (adjusted Rand index): 1 is identical.",
    ),
    "noise_share": Metric("Unassigned share", _SHARE, "Customers left in no segment."),
    "largest_share": Metric("Largest segment", _SHARE, "Share of customers in the largest."),
    "min_share": Metric("Smallest segment", _SHARE, "Share of customers in the smallest."),
    "fit_seconds": Metric("Fit time", Spelling(1, unit=" s"), "Seconds to fit, on this machine."),
}


def metric_label(name: str) -> str:
    """A metric's name for people ("calinski_harabasz" -> "Calinski-Harabasz")."""
    return METRICS[name].label if name in METRICS else name.replace("_", " ").capitalize()


def metric_text(name: str, value: float | None) -> str:
    """A metric's value as people read it ("0.229", "2,643", "0.0%"); an em dash when unknown."""
    spelling = METRICS[name].spelling if name in METRICS else Spelling(2)
    return spelling.text(value)


class Column(NamedTuple):
    """A table column as people read it: its heading and its number format (None: not a number)."""

    label: str
    format: str | None = None
    percent: bool = False  # a share of 1, shown x100 (`for_reading`)


def _column(label: str, spelling: Spelling) -> Column:
    return Column(label, spelling.column(), spelling.percent)


_WHOLE = Spelling(0, whole=True)
# The columns of the tables the app shows: comparison, k candidates, scores, data quality.
COLUMNS: dict[str, Column] = {
    "algorithm": Column("Algorithm"),
    "k": Column("k", _WHOLE.column()),
    "verdict": Column("Verdict"),
    "eligible": Column("Eligible"),
    **{name: _column(m.label, m.spelling) for name, m in METRICS.items()},
    "customer_id": Column("Customer id"),
    "segment": Column("Segment", "%d"),
    "segment_name": Column("Segment name"),
    "customers": Column("Customers", _WHOLE.column()),
    "share": _column("Share", _SHARE),
    "confidence": Column("Confidence", "%.2f"),
    "median_confidence": Column("Median confidence", "%.2f"),
    "runner_up": Column("Runner-up segment", "%d"),
    "runner_up_name": Column("Runner-up name"),
    "Rows": Column("Rows", _WHOLE.column()),
    "row": Column("Row", "%d"),
    "reason": Column("Reason"),
}


def column_of(name: str) -> Column:
    """How a table column reads; an unknown one keeps its name and the table's own format."""
    return COLUMNS.get(name, Column(name))


def for_reading(rows: pl.DataFrame | Sequence[Mapping[str, object]]) -> pl.DataFrame:
    """A table as people read it with `COLUMNS`' formats: its shares x100 ("37.3%")."""
    table = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(list(rows))
    shares = [name for name in table.columns if column_of(name).percent]
    return table.with_columns(pl.col(shares) * 100)
