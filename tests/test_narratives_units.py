"""Context, shelf, checks and settings of the narratives, on hand-built segments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from narratives_fixtures import noisy_run, run_profile
from pydantic import ValidationError

import narratives
from narratives.checks import AnswerRejected, check_answer, numbers_in
from narratives.config import LLMSettings, build_writer, settings_from_env
from narratives.context import RunContext, build_context, confidence
from narratives.personas import draft_schema
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf, load_shelf
from segmenter.errors import InputError


# Named like pytest-playwright's browser `context`: defined here, never in conftest.
@pytest.fixture(scope="module")
def context() -> RunContext:
    return build_context(run_profile())


def test_public_names_are_exported() -> None:
    assert sorted(narratives.__all__) == narratives.__all__
    for name in narratives.__all__:
        assert hasattr(narratives, name), name


def test_small_segments_are_coarse_and_flagged(context: RunContext) -> None:
    tiny = context.segments[4]
    assert (tiny.size, tiny.small, tiny.coarse) == (38, True, True)
    assert tiny.figures == ()
    assert tiny.rules == ()
    assert tiny.purchase_mix == ()
    assert [d.direction for d in tiny.directions] == ["high", "high", "high"]
    assert "small" in tiny.confidence.flags


def test_context_holds_no_customer_ids(context: RunContext) -> None:
    assert "C10001" not in context.model_dump_json()


def test_noise_is_last_and_never_matched(shelf: Shelf) -> None:
    context = build_context(noisy_run())
    noise = context.segments[-1]
    assert noise.is_noise
    assert shelf.match(noise) == ()


@pytest.mark.parametrize(
    ("size", "silhouette", "stability", "level", "flags"),
    [
        pytest.param(2000, 0.24, 0.88, "high", (), id="solid"),
        pytest.param(2000, 0.24, 0.70, "medium", ("weak_stability",), id="weakly-stable"),
        pytest.param(2000, 0.05, 0.88, "medium", ("weakly_separated",), id="weakly-separated"),
        pytest.param(2000, 0.24, 0.55, "low", ("unstable",), id="unstable"),
        pytest.param(2000, -0.02, 0.88, "low", ("overlapping",), id="overlapping"),
        pytest.param(49, 0.24, 0.88, "low", ("small",), id="small"),
        pytest.param(2000, 0.24, None, "medium", ("stability_unknown",), id="unmeasured"),
    ],
)
def test_confidence(
    size: int, silhouette: float, stability: float | None, level: str, flags: tuple[str, ...]
) -> None:
    segment = (
        run_profile()
        .segments[0]
        .model_copy(update={"size": size, "silhouette": silhouette, "stability": stability})
    )
    got = confidence(segment, min_size=50)
    assert (got.level, got.flags) == (level, flags)


@pytest.mark.parametrize(
    ("segment", "products"),
    [
        pytest.param(
            0, ["instalment-plan", "automated-savings-plan", "retirement-account"], id="instalment"
        ),
        pytest.param(
            1,
            ["financial-coaching", "flexible-credit-line", "debt-consolidation-loan"],
            id="revolvers",
        ),
        pytest.param(2, ["card-reactivation-offer", "credit-builder"], id="dormant"),
        pytest.param(
            3,
            ["rewards-card-upgrade", "premium-advisory", "automated-savings-plan"],
            id="transactors",
        ),
        pytest.param(4, [], id="small"),
    ],
)
def test_shelf_matches(
    context: RunContext, shelf: Shelf, segment: int, products: list[str]
) -> None:
    matches = shelf.match(context.segments[segment])
    assert [m.product.id for m in matches] == products


def test_every_match_cites_the_statistic_behind_it(context: RunContext, shelf: Shelf) -> None:
    (_, credit_line, *_) = shelf.match(context.segments[1])
    (evidence,) = credit_line.evidence
    assert evidence.figure.feature == "CASH_ADVANCE_FREQUENCY"
    assert evidence.observed == pytest.approx(0.41)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("not toml [", "not valid TOML", id="bad-toml"),
        pytest.param("[shelf]\nname='x'\ndisclaimer='d'\nproducts=[]\n", "products", id="empty"),
        pytest.param(
            "[shelf]\nname='x'\ndisclaimer='d'\n[[products]]\nid='a'\nname='A'\ncategory='c'\n"
            "description='d'\nmessage='m'\nrisk_notes='r'\ndisclaimer='d'\n"
            "conditions=[{feature='BALANCE', op='=>', value=1}]\n",
            "products.0.conditions.0.op",
            id="bad-operator",
        ),
    ],
)
def test_broken_shelves_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "products.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_shelf(path)


def test_schema_constrains_products_to_the_shelf(shelf: Shelf) -> None:
    schema = draft_schema(shelf.ids)
    (pick,) = schema["$defs"].values()
    assert pick["properties"]["product"]["enum"] == list(shelf.ids)
    assert schema["additionalProperties"] is False
    assert pick["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"])


@pytest.mark.parametrize(
    ("text", "values"),
    [
        pytest.param("$1,560 and $2,480.50", [1560.0, 2480.5], id="money"),
        pytest.param("41% of months, 2.6\u00d7 the book", [41.0, 2.6], id="percent-and-times"),
        pytest.param("about $1.6k a month", [1600.0], id="thousands"),
        pytest.param("C10001 and v2", [], id="inside-words"),
    ],
)
def test_numbers_in(text: str, values: list[float]) -> None:
    assert [q.value for q in numbers_in(text)] == values


def draft(**texts: str) -> str:
    base = {
        "persona_name": "The Stretched Borrower",
        "summary": "They rely on cash advances.",
        "traits": ["Frequent cash advances"],
        "needs": ["Cheaper short-term credit"],
        "products": [{"product": "flexible-credit-line", "rationale": "They use cash advances."}],
        "channels": ["In-app"],
        "messages": ["Need cash? Use your credit line."],
    }
    return json.dumps({**base, **texts})


@pytest.mark.parametrize(
    "summary",
    [
        pytest.param("Cash-advance frequency is 41% (book 16%).", id="percent"),
        pytest.param("Cash-advance frequency averages 0.41.", id="fraction"),
        pytest.param("They take out about $2,500 in cash advances.", id="rounded-money"),
        pytest.param("Cash advances run at 2.7\u00d7 the book.", id="lift"),
        pytest.param("2,410 customers, 27% of the book, over 6 months.", id="size-and-duration"),
        pytest.param("Balances are 89% above the book average.", id="lift-as-percent"),
    ],
)
def test_traceable_numbers_pass(context: RunContext, shelf: Shelf, summary: str) -> None:
    segment = context.segments[1]
    got = check_answer(
        draft(summary=summary),
        segment=segment,
        context=context,
        shelf=shelf,
        matches=shelf.match(segment),
    )
    assert got.summary == summary


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        pytest.param(
            draft(summary="87% of them pay late."), AnswerRejected, "'87%'", id="invented-pct"
        ),
        pytest.param(
            draft(summary="Limits of $8,500."), AnswerRejected, "'\\$8,500'", id="invented-money"
        ),
        pytest.param(
            draft(products=[{"product": "crypto-wallet", "rationale": "x"}]),  # type: ignore[arg-type]
            AnswerRejected,
            "not on the shelf",
            id="off-shelf",
        ),
        pytest.param(
            draft(products=[{"product": "premium-advisory", "rationale": "x"}]),  # type: ignore[arg-type]
            AnswerRejected,
            "conditions do not hold",
            id="unsuitable",
        ),
        pytest.param('{"persona_name": "x"', ValidationError, "json", id="malformed"),
        pytest.param('{"persona": "x"}', ValidationError, "persona_name", id="wrong-shape"),
        pytest.param("", AnswerRejected, "empty", id="empty"),
    ],
)
def test_bad_answers_are_rejected(
    context: RunContext, shelf: Shelf, content: str, error: type[Exception], message: str
) -> None:
    segment = context.segments[1]
    with pytest.raises(error, match=message):
        check_answer(
            content, segment=segment, context=context, shelf=shelf, matches=shelf.match(segment)
        )


def test_settings_from_env() -> None:
    settings = settings_from_env(
        {
            "OPENAI_API_KEY": "sk-secret",
            "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
            "SEGMENTER_LLM_MODEL": "llama3.1",
            "SEGMENTER_LLM_BUDGET_SECONDS": "15",
        }
    )
    assert (settings.base_url, settings.model, settings.budget_s) == (
        "http://127.0.0.1:11434/v1",
        "llama3.1",
        15.0,
    )
    assert settings.enabled
    assert "sk-secret" not in repr(settings)


def test_defaults_without_environment() -> None:
    assert settings_from_env({}) == LLMSettings()


@pytest.mark.parametrize("budget", ["soon", "0", "-5", "inf"])
def test_bad_budget_is_refused(budget: str) -> None:
    with pytest.raises(InputError, match="SEGMENTER_LLM_BUDGET_SECONDS"):
        settings_from_env({"SEGMENTER_LLM_BUDGET_SECONDS": budget})


@pytest.mark.parametrize(
    ("settings", "offline"),
    [
        pytest.param(LLMSettings(), False, id="no-key"),
        pytest.param(LLMSettings(api_key="sk-x"), True, id="offline"),
    ],
)
def test_rule_based_without_key_or_offline(
    shelf: Shelf, settings: LLMSettings, offline: bool
) -> None:
    writer = build_writer(settings, shelf=shelf, offline=offline)
    assert isinstance(writer, RuleBasedWriter)
    assert writer.label == "rule-based"
