"""Surrogate-tree rules: round thresholds in original units, and honest precision."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from segmenter.explain import rules as rules_module
from segmenter.explain.rules import RULE_FEATURES, segment_rules
from segmenter.sampling import Purpose, sample_rows


def features(**columns: list[float | None]) -> pl.DataFrame:
    """Every rule feature constant at 1, except the given columns."""
    n = len(next(iter(columns.values())))
    return pl.DataFrame(
        {c: columns.get(c, [1.0] * n) for c in RULE_FEATURES},
        schema=dict.fromkeys(RULE_FEATURES, pl.Float64),
    )


@pytest.mark.parametrize(
    ("column", "values", "expected"),
    [
        # The split falls between 0.2 and 0.5: 0.3 and 0.4 are equally near the middle, 0.3 wins.
        pytest.param(
            "CASH_ADVANCE_FREQUENCY",
            [0.5, 0.6, 0.7, 0.0, 0.1, 0.2],
            "cash-advance frequency > 0.3",
            id="frequency",
        ),
        # Between 1,200 and 5,000: the roundest number nearest the middle (3,100) is 3,000.
        pytest.param(
            "BALANCE",
            [5000.0, 6000.0, 5500.0, 100.0, 1200.0, 700.0],
            "balance > 3,000",
            id="money-with-thousands-separator",
        ),
        # Between 0 and 0.083 (one month of twelve): 0 itself, said plainly.
        pytest.param(
            "PURCHASES_FREQUENCY",
            [0.0, 0.0, 0.0, 0.083333, 0.5, 1.0],
            "purchases frequency = 0",
            id="zero",
        ),
    ],
)
def test_a_clean_split_gives_one_round_condition(
    column: str, values: list[float], expected: str
) -> None:
    labels = np.array([0, 0, 0, 1, 1, 1])
    rules = segment_rules(features(**{column: values}), labels, [0], seed=0)
    assert rules[0] == ([expected], 1.0)


def test_precision_is_the_share_of_matching_customers_in_the_segment() -> None:
    # Four customers share a 5,000 balance, three of them in segment 0: precision 3 / 4.
    frame = features(BALANCE=[5000.0, 5000.0, 5000.0, 5000.0, 100.0, 100.0])
    rules = segment_rules(frame, np.array([0, 0, 0, 1, 1, 1]), [0], seed=0)
    assert rules[0] == (["balance > 3,000"], 0.75)


def test_missing_values_never_match_a_condition() -> None:
    frame = features(CASH_ADVANCE_FREQUENCY=[0.5, 0.6, None, 0.0, 0.1, 0.2])
    conditions, precision = segment_rules(frame, np.array([0, 0, 1, 1, 1, 1]), [0], seed=0)[0]
    assert conditions == ["cash-advance frequency > 0.3"]
    assert precision == 1.0


def test_above_rule_rows_trees_grow_on_a_sample_and_precision_counts_every_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 600 customers, 60 of them in segment 0 with a high balance; 6 outsiders share it.
    balance = [5000.0] * 60 + [5000.0] * 6 + [100.0] * 534
    labels = np.array([0] * 60 + [1] * 540)
    monkeypatch.setattr(rules_module, "RULE_ROWS", 100)
    grown = segment_rules(features(BALANCE=balance), labels, [0, 1], seed=3)
    # The sample finds the same split; precision is 60 / 66 over all 600 rows, not the sample's.
    assert grown[0] == (["balance > 3,000"], round(60 / 66, 4))
    assert grown == segment_rules(features(BALANCE=balance), labels, [0, 1], seed=3)


def test_a_small_segment_grows_its_tree_on_all_its_members(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One customer of a thousand stands apart; a sample of 10 would almost surely miss them.
    labels = np.array([1] * 999 + [0])
    balance = [100.0] * 999 + [5000.0]
    monkeypatch.setattr(rules_module, "RULE_ROWS", 10)
    assert 999 not in sample_rows(1000, 10, seed=0, purpose=Purpose.RULES)
    found = segment_rules(features(BALANCE=balance), labels, [0, 1], seed=0)
    assert found[0] == (["balance > 3,000"], 1.0)
