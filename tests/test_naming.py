"""Segment names: rules over effect sizes, clashes resolved by fit, descriptive fallbacks."""

from __future__ import annotations

import pytest

from segmenter.measures import label
from segmenter.naming import NOISE_NAME, assign_names
from segmenter.results import Distinction, FeatureStat, SegmentProfile

REVOLVER = {"CASH_ADVANCE_FREQUENCY": 1.5, "CASH_ADVANCE": 2.0, "PURCHASES_FREQUENCY": -2.0}
WEAK_REVOLVER = {"CASH_ADVANCE_FREQUENCY": 0.8, "CASH_ADVANCE": 0.9, "PURCHASES_FREQUENCY": -1.0}


def profile(
    sid: int,
    effects: dict[str, float],
    *,
    types: dict[str, float] | None = None,
    noise: bool = False,
) -> SegmentProfile:
    """A profile with these effect sizes; its distinctions are those effects, strongest first."""
    stats = [
        FeatureStat(
            feature=f,
            label=label(f),
            mean=1.0,
            median=1.0,
            population_mean=1.0,
            population_median=1.0,
            lift=1.0,
            effect_size=d,
        )
        for f, d in effects.items()
    ]
    distinctions = [
        Distinction(feature=f, label=label(f), direction="high" if d > 0 else "low", effect_size=d)
        for f, d in sorted(effects.items(), key=lambda item: -abs(item[1]))
    ]
    return SegmentProfile(
        id=-1 if noise else sid,
        name="?",
        size=10,
        share=0.1,
        is_noise=noise,
        stats=stats,
        distinctions=distinctions,
        rules=[],
        purchase_type=types or {},
    )


def names(*profiles: SegmentProfile) -> list[str]:
    return [p.name for p in assign_names(list(profiles))]


@pytest.mark.parametrize(
    ("effects", "types", "expected"),
    [
        pytest.param(REVOLVER, None, "Cash-advance revolvers", id="revolvers"),
        pytest.param(
            {**REVOLVER, "PURCHASES_FREQUENCY": 0.9},
            None,
            "Heavy card and cash users",
            id="cash-and-purchases",
        ),
        pytest.param(
            {"PURCHASES_INSTALLMENTS_FREQUENCY": 1.5, "ONEOFF_PURCHASES_FREQUENCY": -0.7},
            {"instalment": 0.75, "both": 0.25},
            "Instalment buyers",
            id="instalment",
        ),
        pytest.param(
            {"PRC_FULL_PAYMENT": 1.2, "PURCHASES_FREQUENCY": 0.8, "CASH_ADVANCE": -0.5},
            None,
            "Full-paying transactors",
            id="transactors",
        ),
        pytest.param(
            {"BALANCE": -1.8, "BALANCE_FREQUENCY": -2.4, "PURCHASES_FREQUENCY": -0.7},
            None,
            "Dormant low-balance holders",
            id="dormant",
        ),
        pytest.param({"TENURE": -6.0}, None, "Newer accounts", id="new"),
    ],
)
def test_rules_name_a_clear_profile(
    effects: dict[str, float], types: dict[str, float] | None, expected: str
) -> None:
    assert names(profile(0, effects, types=types)) == [expected]


def test_the_better_fit_keeps_a_contested_name() -> None:
    # Revolver fit is min(frequency, amount): 0.8 for segment 0, 1.5 for segment 1. Segment 0
    # matches no other rule, so it is described by its two strongest distinctions.
    assert names(profile(0, WEAK_REVOLVER), profile(1, REVOLVER)) == [
        "High cash advance, low purchases frequency",
        "Cash-advance revolvers",
    ]


def test_an_exact_tie_goes_to_the_larger_segment() -> None:
    assert names(profile(0, REVOLVER), profile(1, REVOLVER)) == [
        "Cash-advance revolvers",
        "High cash advance, low purchases frequency",
    ]


def test_fallbacks_stay_unique_and_a_flat_profile_is_typical() -> None:
    same = {"BALANCE": 0.9, "TENURE": -0.6}
    assert names(profile(0, same), profile(1, same), profile(2, same), profile(3, {})) == [
        "High balance, low tenure",
        "High balance",
        "Low tenure",
        "Typical customers",
    ]


def test_noise_keeps_its_name_and_takes_no_rule_name() -> None:
    result = names(profile(0, WEAK_REVOLVER), profile(-1, REVOLVER, noise=True))
    assert result == ["Cash-advance revolvers", NOISE_NAME]
