"""The vocabulary file: loading and its errors, conditions, fit, strain, and names it gives."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from segmenter.errors import InputError
from segmenter.explain.naming import assign_names
from segmenter.explain.vocabulary import (
    DEFAULT_VOCABULARY,
    Archetype,
    Signals,
    default_vocabulary,
    load_vocabulary,
)
from segmenter.explain.vocabulary import (
    Test as Condition,  # pytest would collect a class named Test
)
from segmenter.results import FeatureStat, SegmentProfile

NEEDS = """
[needs]
debt-help = "Help first"
pay-down = "Pay it down"
"""
STRAIN = """
[strain]
measure = "LIMIT_USAGE"
op = ">="
value = 0.8
"""
NEWCOMERS = """
[[archetypes]]
id = "newcomers"
name = "New here"
title = "The Beginner"
when = [{ measure = "TENURE", op = "<=", value = -1.0 }]
fit = ["-TENURE"]
needs = ["pay-down"]
"""
FALLBACK = """
[fallback]
needs = ["pay-down"]
channels = ["Email"]
"""
MINIMAL = NEEDS + STRAIN + NEWCOMERS + FALLBACK


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "vocabulary.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_vocabulary_loads_and_is_identified_by_its_hash() -> None:
    vocabulary = default_vocabulary()
    assert vocabulary.sha256 == hashlib.sha256(DEFAULT_VOCABULARY.read_bytes()).hexdigest()
    assert len(vocabulary.archetypes) == 14
    assert vocabulary.archetype("cash-advance-revolvers") is not None
    assert vocabulary.archetype("nope") is None
    assert (vocabulary.units.currency, vocabulary.units.tenure) == ("$", "months")


def test_a_minimal_file_loads_with_default_units(tmp_path: Path) -> None:
    vocabulary = load_vocabulary(write(tmp_path, MINIMAL))
    assert [a.title for a in vocabulary.archetypes] == ["The Beginner"]
    assert (vocabulary.units.currency, vocabulary.units.window) == ("$", "6-month")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            MINIMAL.replace('needs = ["pay-down"]\n', 'needs = ["pay-down", "wealth-talk"]\n', 1),
            r"needs wealth-talk are not defined under \[needs\]",
            id="unknown-need",
        ),
        pytest.param(
            MINIMAL.replace('debt-help = "Help first"\n', ""),
            r"needs debt-help are not defined under \[needs\]",
            id="no-debt-help",
        ),
        pytest.param(
            MINIMAL + NEWCOMERS.replace('"newcomers"', '"other"').replace("New here", "Other"),
            "archetype titles must be unique",
            id="duplicate-titles",
        ),
        pytest.param(
            MINIMAL + NEWCOMERS.replace("The Beginner", "The Other"),
            "archetype ids must be unique",
            id="duplicate-ids",
        ),
        pytest.param(
            MINIMAL.replace(", value = -1.0 }", " }"),
            r"archetypes\.0\.when\.0: .*measure, op and value, or `any`",
            id="condition-without-value",
        ),
        pytest.param(
            MINIMAL.replace('op = "<="', 'op = "=<"'),
            r"archetypes\.0\.when\.0\.op",
            id="bad-operator",
        ),
        pytest.param(MINIMAL.replace("[fallback]", "[fallback"), "not valid TOML", id="bad-toml"),
    ],
)
def test_a_broken_file_is_an_input_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=re.escape(f"vocabulary {path}: ") + ".*" + message):
        load_vocabulary(path)


def test_a_missing_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(InputError, match=re.escape(f"vocabulary {path}: cannot be read")):
        load_vocabulary(path)


SIGNALS = Signals(
    effect_sizes={"CASH_ADVANCE_FREQUENCY": 0.6, "TENURE": -1.5, "LIMIT_USAGE": 0.3},
    shares={"none": 0.55},
)


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        pytest.param(Condition(measure="TENURE", op="<=", value=-1.0), True, id="effect-size"),
        pytest.param(Condition(measure="share:none", op=">=", value=0.5), True, id="share"),
        pytest.param(
            Condition(measure="share:both", op=">", value=0.0), False, id="unknown-share-0"
        ),
        pytest.param(
            Condition(measure="BALANCE", op="<", value=0.0), False, id="unknown-measure-0"
        ),
        pytest.param(
            Condition(
                any=(
                    Condition(measure="LIMIT_USAGE", op=">=", value=0.8),
                    Condition(measure="CASH_ADVANCE_FREQUENCY", op=">=", value=0.5),
                )
            ),
            True,
            id="any-one-of",
        ),
    ],
)
def test_conditions(condition: Condition, holds: bool) -> None:
    assert condition.holds(SIGNALS) is holds


def test_the_shipped_strain_holds_on_frequent_cash_advances() -> None:
    assert default_vocabulary().strained(SIGNALS)  # frequency 0.6
    assert not default_vocabulary().strained(Signals(effect_sizes={}, shares={}))


def test_fit_is_the_smallest_listed_effect_size_turned_round_by_a_minus() -> None:
    archetype = Archetype(
        id="x",
        name="X",
        title="The X",
        when=(Condition(measure="TENURE", op="<=", value=-1.0),),
        fit=("CASH_ADVANCE_FREQUENCY", "-TENURE"),
    )
    assert archetype.holds(SIGNALS)
    assert archetype.score(SIGNALS) == 0.6  # min(0.6, 1.5)


def test_names_and_titles_come_from_the_vocabulary_given(tmp_path: Path) -> None:
    vocabulary = load_vocabulary(write(tmp_path, MINIMAL))
    tenure = FeatureStat(
        feature="TENURE",
        label="tenure",
        mean=8.0,
        median=8.0,
        population_mean=11.5,
        population_median=12.0,
        lift=0.7,
        effect_size=-2.0,
    )
    segment = SegmentProfile(
        id=0, name="?", size=10, share=0.1, stats=[tenure], distinctions=[], rules=[]
    )
    (named,) = assign_names([segment], vocabulary)
    assert (named.name, named.title, named.archetype) == ("New here", "The Beginner", "newcomers")


def test_a_misspelt_measure_is_refused_naming_it(tmp_path: Path) -> None:
    text = DEFAULT_VOCABULARY.read_text(encoding="utf-8").replace(
        '{ measure = "CASH_ADVANCE_FREQUENCY", op = ">=", value = 0.5 },',
        '{ measure = "CASH_ADVANCE_FREQ", op = ">=", value = 0.5 },',
        1,
    )
    path = tmp_path / "vocabulary.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"vocabulary .*unknown measure\(s\) CASH_ADVANCE_FREQ:"):
        load_vocabulary(path)
