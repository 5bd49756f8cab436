"""The campaign pack's charts speak plainly: figures beside all customers', spelled as the brief
spells them, and what sets a segment apart without the statistic behind the bars."""

from __future__ import annotations

import json

from narratives.context import build_context
from segmenter.charts import figures as charts
from segmenter.charts.versus import EVERYONE, versus_all
from testkit.narratives_fixtures import run_profile


def test_each_figure_beside_all_customers_on_its_own_scale() -> None:
    facts = build_context(run_profile()).segments[1].facts  # the Stretched Borrower
    spec = versus_all(facts).to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [(r["figure"], r["who"], r["text"]) for r in rows[:4]] == [
        ("Cash-advance frequency (on average)", "This group", "41%"),
        ("Cash-advance frequency (on average)", EVERYONE, "16%"),
        ("Cash advance (typical customer)", "This group", "$1,240"),
        ("Cash advance (typical customer)", EVERYONE, "$0"),
    ]
    # The larger of each pair is full length: dollars and percent never share a scale.
    lengths = {
        r["figure"]: max(s["length"] for s in rows if s["figure"] == r["figure"]) for r in rows
    }
    assert set(lengths.values()) == {1.0}


def test_plain_effect_bars_say_higher_or_lower_than_other_customers() -> None:
    spec = charts.effect_bars(run_profile().segments[1], plain=True).to_dict()
    said = json.dumps(spec)
    assert "book" not in said
    assert "Effect size" not in said
    assert spec["encoding"]["x"]["axis"]["labels"] is False  # no scale to misread
    assert spec["encoding"]["color"]["scale"]["domain"] == [
        "higher than other customers",
        "lower than other customers",
    ]
