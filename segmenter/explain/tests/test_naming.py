"""Segment names and titles: vocabulary archetypes, contests resolved by fit, true qualifiers,
descriptive fallbacks; and the facts a name or persona may state."""

from __future__ import annotations

import pytest

from segmenter.explain.facts import Fact, fact_of, notable
from segmenter.explain.measures import label
from segmenter.explain.naming import DOMINANT_NAME, NOISE_NAME, assign_names
from segmenter.results import Contrast, Distinction, FeatureStat, SegmentProfile

REVOLVER = {"CASH_ADVANCE_FREQUENCY": 1.5, "CASH_ADVANCE": 2.0, "PURCHASES_FREQUENCY": -2.0}
WEAK_REVOLVER = {"CASH_ADVANCE_FREQUENCY": 0.8, "CASH_ADVANCE": 0.9, "PURCHASES_FREQUENCY": -1.0}
# Fits "Revolving minimum payers" too: min(limit usage, -payments to minimum).
MINIMUM_PAYER = {"LIMIT_USAGE": 1.0, "PAYMENTS_TO_MINIMUM": -1.0}


def profile(
    sid: int,
    effects: dict[str, float],
    *,
    types: dict[str, float] | None = None,
    noise: bool = False,
    share: float = 0.1,
    hidden: frozenset[str] = frozenset(),
) -> SegmentProfile:
    """A profile with these effect sizes; its distinctions are those effects, strongest first.

    The book's mean and median are 1 everywhere; the segment's are 1 + effect size, so every
    distinction shows in the figures, except for the `hidden` measures (segment = book).
    """
    stats = [
        FeatureStat(
            feature=f,
            label=label(f),
            mean=1.0 if f in hidden else 1.0 + d,
            median=1.0 if f in hidden else 1.0 + d,
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
        share=share,
        is_noise=noise,
        stats=stats,
        distinctions=distinctions,
        rules=[],
        purchase_type=types or {},
    )


def names(*profiles: SegmentProfile) -> list[str]:
    return [p.name for p in assign_names(list(profiles))]


@pytest.mark.parametrize(
    ("effects", "types", "name", "title"),
    [
        pytest.param(
            REVOLVER, None, "Cash-advance revolvers", "The Stretched Borrower", id="revolvers"
        ),
        pytest.param(
            {**REVOLVER, "PURCHASES_FREQUENCY": 0.9},
            None,
            "Heavy card and cash users",
            "The Card-and-Cash Juggler",
            id="cash-and-purchases",
        ),
        pytest.param(
            {"PURCHASES_INSTALLMENTS_FREQUENCY": 1.5, "ONEOFF_PURCHASES_FREQUENCY": -0.7},
            {"instalment": 0.75, "both": 0.25},
            "Instalment buyers",
            "The Budget Planner",
            id="instalment",
        ),
        pytest.param(
            {"PRC_FULL_PAYMENT": 1.2, "PURCHASES_FREQUENCY": 0.8, "CASH_ADVANCE": -0.5},
            None,
            "Full-paying transactors",
            "The Disciplined Payer",
            id="transactors",
        ),
        pytest.param(
            {"CREDIT_LIMIT": 1.0, "PRC_FULL_PAYMENT": 0.8},
            None,
            "High-limit full payers",
            "The Established Affluent",
            id="high-limit",
        ),
        pytest.param(
            {"BALANCE": -1.8, "BALANCE_FREQUENCY": -2.4, "PURCHASES_FREQUENCY": -0.7},
            None,
            "Dormant low-balance holders",
            "The Dormant Account",
            id="dormant",
        ),
        # Fits "Non-purchasing holders" and "Dormant balance carriers" equally (1.2 each):
        # the earlier archetype of the vocabulary wins.
        pytest.param(
            {"PURCHASES_FREQUENCY": -1.2},
            {"none": 0.8, "one_off": 0.2},
            "Non-purchasing holders",
            "The Quiet Cardholder",
            id="tie-goes-to-the-earlier-archetype",
        ),
        pytest.param({"TENURE": -6.0}, None, "Newer accounts", "The Newcomer", id="new"),
    ],
)
def test_archetypes_name_and_title_a_clear_profile(
    effects: dict[str, float], types: dict[str, float] | None, name: str, title: str
) -> None:
    (named,) = assign_names([profile(0, effects, types=types)])
    assert (named.name, named.title, named.contrast) == (name, title, None)
    assert named.archetype == name.lower().replace(" ", "-")


def test_the_better_fit_keeps_a_contested_name_the_other_takes_its_next() -> None:
    # Revolver fit is min(frequency, amount): 0.8 for segment 0, 1.5 for segment 1. Segment 0
    # also fits "Revolving minimum payers" at min(0.6, 0.6) = 0.6: it takes that one.
    weak = {**WEAK_REVOLVER, "LIMIT_USAGE": 0.6, "PAYMENTS_TO_MINIMUM": -0.6}
    assert names(profile(0, weak), profile(1, REVOLVER)) == [
        "Revolving minimum payers",
        "Cash-advance revolvers",
    ]


def test_an_exact_tie_goes_to_the_larger_segment() -> None:
    # Identical fits (revolvers 1.5, minimum payers 1.0): segment 0 is the larger one.
    same = {**REVOLVER, **MINIMUM_PAYER}
    assert names(profile(0, same), profile(1, same)) == [
        "Cash-advance revolvers",
        "Revolving minimum payers",
    ]


def test_segments_fitting_only_one_archetype_share_it_told_apart_by_a_true_measure() -> None:
    # Differences 0 - 1: cash advance 0.9 - 2.0 = -1.1, purchases frequency -1.0 - -2.0 = 1.0,
    # cash-advance frequency 0.8 - 1.5 = -0.7. Cash advance separates them most.
    named = assign_names([profile(0, WEAK_REVOLVER), profile(1, REVOLVER)])
    assert [(p.name, p.title, p.archetype) for p in named] == [
        (
            "Cash-advance revolvers, lower cash advance",
            "The Stretched Borrower, lower cash advance",
            "cash-advance-revolvers",
        ),
        (
            "Cash-advance revolvers, higher cash advance",
            "The Stretched Borrower, higher cash advance",
            "cash-advance-revolvers",
        ),
    ]
    assert [p.contrast for p in named] == [
        Contrast(other=1, feature="CASH_ADVANCE", direction="low"),
        Contrast(other=0, feature="CASH_ADVANCE", direction="high"),
    ]


def test_identical_segments_sharing_an_archetype_are_told_apart_by_id_only() -> None:
    # No measure differs: "higher" or "lower" anything would be false.
    named = assign_names([profile(0, REVOLVER), profile(1, REVOLVER)])
    assert [(p.name, p.contrast) for p in named] == [
        ("Cash-advance revolvers, segment 0", None),
        ("Cash-advance revolvers, segment 1", None),
    ]


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        pytest.param(
            0.6,
            ("Cash-advance revolvers", "The Stretched Borrower", "cash-advance-revolvers"),
            id="at-60-percent",
        ),
        pytest.param(0.61, (DOMINANT_NAME, DOMINANT_NAME, None), id="over-60-percent"),
    ],
)
def test_a_segment_holding_most_of_the_book_bears_no_archetype(
    share: float, expected: tuple[str, str, str | None]
) -> None:
    (named,) = assign_names([profile(0, REVOLVER, share=share)])
    assert (named.name, named.title, named.archetype) == expected


def test_fallbacks_stay_unique_and_a_flat_profile_is_typical() -> None:
    same = {"BALANCE": 0.9, "TENURE": -0.6}
    assert names(profile(0, same), profile(1, same), profile(2, same), profile(3, {})) == [
        "High balance, low tenure",
        "High balance",
        "Low tenure",
        "Typical customers",
    ]


def test_a_fallback_names_no_difference_the_figures_do_not_show() -> None:
    # Balance has an effect size of 0.9, but its mean and median are the book's.
    hidden = profile(0, {"BALANCE": 0.9, "TENURE": -0.6}, hidden=frozenset({"BALANCE"}))
    (named,) = assign_names([hidden])
    assert (named.name, named.title, named.archetype) == ("Low tenure", "Low tenure", None)


def test_noise_keeps_its_name_and_takes_no_archetype() -> None:
    named = assign_names([profile(0, WEAK_REVOLVER), profile(-1, REVOLVER, noise=True)])
    assert [(p.name, p.title, p.archetype) for p in named] == [
        ("Cash-advance revolvers", "The Stretched Borrower", "cash-advance-revolvers"),
        (NOISE_NAME, NOISE_NAME, None),
    ]
    assert NOISE_NAME == "Unassigned"


# --- facts: what may be said to set a segment apart ---------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "book", "expected"),
    [
        pytest.param("share", 0.46, 0.40, True, id="share-6-points"),
        pytest.param("share", 0.43, 0.40, False, id="share-3-points"),
        pytest.param("money", 1150.0, 1000.0, True, id="money-15-percent"),
        pytest.param("money", 1050.0, 1000.0, False, id="money-5-percent"),
        pytest.param("months", 11.4, 11.5, False, id="months-1-percent"),
        pytest.param("count", 0.6, 0.0, True, id="against-zero-a-whole-unit"),
        pytest.param("count", 0.4, 0.0, False, id="against-zero-less"),
    ],
)
def test_notable(kind: str, value: float, book: float, expected: bool) -> None:
    assert notable(kind, value, book) is expected


def fact(
    feature: str, kind: str, values: tuple[float, float], books: tuple[float, float], d: float
) -> Fact | None:
    """fact_of with (mean, median) pairs for the segment and the book."""
    return fact_of(
        feature=feature,
        label=label(feature),
        kind=kind,
        values=dict(zip(("mean", "median"), values, strict=True)),
        books=dict(zip(("mean", "median"), books, strict=True)),
        effect_size=d,
    )


@pytest.mark.parametrize(
    ("feature", "kind", "values", "books", "d", "quoted"),
    [
        # Money is skewed: the median is quoted although the mean differs as well.
        pytest.param(
            "BALANCE", "money", (1500.0, 600.0), (1000.0, 400.0), 0.7, ("median", 600.0, 400.0),
            id="skewed-quotes-the-median",
        ),
        # Most customers draw no cash: medians 0 and 0, so the mean says it.
        pytest.param(
            "CASH_ADVANCE", "money", (300.0, 0.0), (100.0, 0.0), 0.6, ("mean", 300.0, 100.0),
            id="equal-medians-quote-the-mean",
        ),
        pytest.param(
            "PURCHASES_FREQUENCY", "share", (0.8, 1.0), (0.5, 0.5), 0.75, ("mean", 0.8, 0.5),
            id="frequency-quotes-the-mean",
        ),
        # A positive effect size with both statistics below the book's: nothing to say.
        pytest.param(
            "BALANCE", "money", (800.0, 300.0), (1000.0, 400.0), 0.6, None,
            id="direction-disagrees",
        ),
        pytest.param(
            "TENURE", "months", (11.4, 12.0), (11.5, 12.0), -0.3, None, id="too-small-to-notice"
        ),
    ],
)  # fmt: skip
def test_fact_of(
    feature: str,
    kind: str,
    values: tuple[float, float],
    books: tuple[float, float],
    d: float,
    quoted: tuple[str, float, float] | None,
) -> None:
    got = fact(feature, kind, values, books, d)
    assert (None if got is None else (got.stat, got.value, got.book)) == quoted
    if got is not None:
        assert got.direction == ("high" if d > 0 else "low")
