"""Context, shelf, checks and settings of the narratives, on hand-built segments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import narratives
from narratives.checks import AnswerRejected, check_answer, numbers_in
from narratives.config import LLMSettings, build_writer, settings_from_env
from narratives.context import RunContext, build_context, confidence
from narratives.personas import authorship, draft_schema, fell_back
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf, load_shelf
from narratives.sources import Source, footnoted, trace
from segmenter.errors import InputError
from segmenter.explain.verdict import Verdict, run_verdict
from testkit.narratives_fixtures import TITLES, noisy_run, run_profile, segment_1_answer


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


def verdict(*, largest: float = 0.35, ari: float | None = 0.84) -> Verdict:
    """A run's verdict: by default a balanced, stable run (level "high")."""
    return run_verdict(largest_share=largest, noise_share=0.0, stability_ari=ari, k=5)


@pytest.mark.parametrize(
    ("size", "silhouette", "stability", "run", "level", "flags"),
    [
        pytest.param(2000, 0.24, 0.88, verdict(), "high", (), id="solid"),
        pytest.param(
            2000, 0.24, 0.70, verdict(), "medium", ("weak_stability",), id="weakly-stable"
        ),
        pytest.param(
            2000, 0.05, 0.88, verdict(), "medium", ("weakly_separated",), id="weakly-separated"
        ),
        pytest.param(2000, 0.24, 0.55, verdict(), "low", ("unstable",), id="unstable"),
        pytest.param(2000, -0.02, 0.88, verdict(), "low", ("overlapping",), id="overlapping"),
        pytest.param(49, 0.24, 0.88, verdict(), "low", ("small",), id="small"),
        pytest.param(
            2000, 0.24, None, verdict(), "medium", ("stability_unknown",), id="unmeasured"
        ),
        # The run caps the segment, and says why; a segment already at or below it keeps its own.
        pytest.param(
            2000, 0.24, 0.88, verdict(largest=0.9), "low", ("run_dominant",), id="dominant-run"
        ),
        pytest.param(
            2000, 0.24, 0.88, verdict(ari=0.7), "medium", ("run_partly_stable",), id="medium-run"
        ),
        pytest.param(
            2000, 0.24, 0.70, verdict(ari=0.7), "medium", ("weak_stability",), id="not-capped"
        ),
    ],
)
def test_confidence(
    size: int,
    silhouette: float,
    stability: float | None,
    run: Verdict,
    level: str,
    flags: tuple[str, ...],
) -> None:
    segment = (
        run_profile()
        .segments[0]
        .model_copy(update={"size": size, "silhouette": silhouette, "stability": stability})
    )
    got = confidence(segment, min_size=50, run=run)
    assert (got.level, got.flags) == (level, flags)


@pytest.mark.parametrize(
    ("segment", "products"),
    [
        pytest.param(
            0, ["instalment-plan", "automated-savings-plan", "retirement-account"], id="instalment"
        ),
        # Strained (cash-advance frequency effect size 1.27): help first, credit last, and no
        # credit line for a segment whose first need is help with debt.
        pytest.param(
            1,
            ["financial-coaching", "emergency-fund-account", "debt-consolidation-loan"],
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
    (*_, loan) = shelf.match(context.segments[1])
    assert loan.product.id == "debt-consolidation-loan"
    # Cash-advance frequency mean 0.41; balance lift 3,050 / 1,614.02 (book mean) = 1.89.
    assert [(e.figure.feature, e.condition.stat, e.observed) for e in loan.evidence] == [
        ("CASH_ADVANCE_FREQUENCY", "mean", 0.41),
        ("BALANCE", "lift", 1.89),
    ]


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
        pytest.param(
            "[shelf]\nname='x'\ndisclaimer='d'\n[[products]]\nid='a'\nname='A'\ncategory='c'\n"
            "description='d'\nmessage='m'\nrisk_notes='r'\ndisclaimer='d'\n"
            "not_with_needs=['debt_help']\nconditions=[{feature='BALANCE', op='>', value=1}]\n",
            "a: not_with_needs names unknown need.s. debt_help; the vocabulary's needs are",
            id="misspelt-need",
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


def draft(**texts: Any) -> str:
    return json.dumps(segment_1_answer(**texts))


@pytest.mark.parametrize(
    "summary",
    [
        pytest.param("Cash-advance frequency is 41% (book 16%).", id="percent"),
        pytest.param("Cash-advance frequency averages 0.41.", id="fraction"),
        pytest.param("They take out about $2,500 in cash advances.", id="rounded-money"),
        pytest.param("Cash advances run at 2.7\u00d7 the book.", id="lift"),
        pytest.param("2,410 customers, 27% of the book, over 6 months.", id="size-and-duration"),
        pytest.param("Balances are 89% above the book average.", id="lift-as-percent"),
        pytest.param(
            "High cash-advance frequency: 41% on average against 16% for the book.",
            id="a-comparison-the-figures-show",
        ),
        pytest.param(
            "Their tenure is 11.4 months against 11.5 for the book.", id="figures-side-by-side"
        ),
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
            draft(summary="87% of them pay late."),
            AnswerRejected,
            "number 1 in summary matches no statistic",
            id="invented-pct",
        ),
        pytest.param(
            draft(summary="Limits of $8,500."),
            AnswerRejected,
            "number 1 in summary",
            id="invented-money",
        ),
        pytest.param(
            draft(products=[{"product": "crypto-wallet", "rationale": "x"}]),
            AnswerRejected,
            "not on the shelf",
            id="off-shelf",
        ),
        pytest.param(
            draft(products=[{"product": "premium-advisory", "rationale": "x"}]),
            AnswerRejected,
            "conditions do not hold",
            id="unsuitable",
        ),
        pytest.param('{"summary": "x"', AnswerRejected, "not valid JSON", id="malformed"),
        pytest.param('{"persona": "x"}', AnswerRejected, "summary: missing", id="wrong-shape"),
        pytest.param(
            draft(persona_name="The Big Spender"),
            AnswerRejected,
            "an unexpected field",
            id="title-is-not-the-llms",
        ),
        pytest.param("", AnswerRejected, "empty", id="empty"),
        # Tenure means: 11.4 against 11.51 for the book, 1% apart: no reader would see it.
        pytest.param(
            draft(summary="High tenure: 11.4 months on average against 11.5 for the book."),
            AnswerRejected,
            "summary: sentence 1 compares tenure with the book's where the means hardly differ",
            id="comparison-the-figures-do-not-show",
        ),
        pytest.param(
            draft(traits=["Cash advances", "Tenure is higher, 11.4 months against 11.5."]),
            AnswerRejected,
            r"traits\[1\]: .* compares tenure",
            id="comparison-in-a-trait",
        ),
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


# --- the vocabulary's words in the context and the personas ------------------------------------


def test_titles_needs_and_channels_come_from_the_vocabulary(
    context: RunContext, shelf: Shelf
) -> None:
    assert [s.title for s in context.segments] == list(TITLES)
    personas = RuleBasedWriter(shelf).write(context)
    assert [p.persona_name for p in personas] == list(TITLES)
    instalment, revolvers, *_, tiny = context.segments
    assert (instalment.strain, instalment.needs) == (
        False,
        ("predictable-costs", "everyday-rewards"),
    )
    assert instalment.channels == (
        "In the app right after a large purchase, where the plan can be set up",
    )
    # Cash-advance frequency effect size (0.41 - 0.157) / 0.2 = 1.27 >= 0.5: strained, so help
    # with debt comes before the archetype's own needs.
    assert (revolvers.strain, revolvers.needs) == (True, ("debt-help", "cheaper-cash", "pay-down"))
    assert revolvers.need_texts[0].startswith("Help first")
    assert (tiny.needs, tiny.channels, tiny.strain) == ((), (), False)  # too small to describe


def test_noise_is_titled_unassigned() -> None:
    noise = build_context(noisy_run()).segments[-1]
    assert (noise.name, noise.title, noise.needs) == ("Unassigned", "Unassigned", ())


# --- shelf policy for segments under strain ------------------------------------------------------


def test_a_strained_segment_gets_help_first_credit_last_and_no_credit_line(
    context: RunContext, shelf: Shelf
) -> None:
    revolvers = context.segments[1]
    assert [m.product.id for m in shelf.match(revolvers, limit=10)] == [
        "financial-coaching",  # help, priority 2
        "emergency-fund-account",  # help, priority 0
        "debt-consolidation-loan",  # credit, strength 0.98
        "balance-transfer-card",  # credit, strength 0.61
    ]


def test_the_same_figures_without_strain_are_ordered_by_priority_and_may_borrow(
    context: RunContext, shelf: Shelf
) -> None:
    calm = context.segments[1].model_copy(
        update={"strain": False, "needs": ("cheaper-cash", "pay-down")}
    )
    assert [m.product.id for m in shelf.match(calm, limit=10)] == [
        "financial-coaching",  # priority 2
        "flexible-credit-line",  # priority 1, file order among equal priorities...
        "debt-consolidation-loan",
        "balance-transfer-card",
        "emergency-fund-account",  # priority 0
    ]


# --- who wrote the personas ----------------------------------------------------------------------

HTTP_500 = "the LLM server answered HTTP 500"
TOO_SMALL = "not sent to the LLM: too small to describe"


@pytest.mark.parametrize(
    ("model", "endpoint", "written", "expected"),
    [
        pytest.param(
            "test-model",
            "llm.example",
            (HTTP_500, HTTP_500, HTTP_500, HTTP_500, TOO_SMALL),
            (
                "rule-based",
                None,
                f"test-model at llm.example was asked, but {HTTP_500}",
            ),
            id="all-fell-back",
        ),
        pytest.param(
            "test-model",
            None,
            (HTTP_500, HTTP_500, HTTP_500, HTTP_500, TOO_SMALL),
            ("rule-based", None, f"test-model was asked, but {HTTP_500}"),
            id="all-fell-back-no-host",
        ),
        pytest.param(
            "test-model",
            "llm.example",
            ("llm", HTTP_500, "llm", "llm", TOO_SMALL),
            (
                "test-model",
                "test-model",
                "3 of 5 personas written by test-model at llm.example; the others are "
                f"rule-based ({HTTP_500})",
            ),
            id="some-written",
        ),
        pytest.param(
            "test-model",
            "llm.example",
            ("llm", "llm", "llm", "llm", TOO_SMALL),
            ("test-model", "test-model", None),
            id="all-sent-written",
        ),
        pytest.param(
            "rule-based", None, (None,) * 5, ("rule-based", None, None), id="rule-based-writer"
        ),
    ],
)
def test_authorship_credits_the_model_only_for_what_it_wrote(
    context: RunContext,
    shelf: Shelf,
    model: str,
    endpoint: str | None,
    written: tuple[str | None, ...],
    expected: tuple[str, str | None, str | None],
) -> None:
    rule_based = RuleBasedWriter(shelf).write(context)
    personas = [
        p.model_copy(update={"source": "llm"})
        if how == "llm"
        else p.model_copy(update={"fallback_reason": how})
        for p, how in zip(rule_based, written, strict=True)
    ]
    got = authorship(personas, model=model, endpoint=endpoint)
    assert (got.label, got.model, got.note) == expected


@pytest.mark.parametrize(
    ("segment", "source", "reason", "expected"),
    [
        pytest.param(1, "rule-based", HTTP_500, True, id="asked-and-fell-back"),
        pytest.param(1, "rule-based", None, False, id="rule-based-writer"),
        pytest.param(1, "llm", None, False, id="written-by-the-model"),
        pytest.param(4, "rule-based", TOO_SMALL, False, id="coarse-never-sent"),
    ],
)
def test_a_persona_fell_back_only_when_the_llm_was_asked_for_it(
    context: RunContext, shelf: Shelf, segment: int, source: str, reason: str | None, expected: bool
) -> None:
    rules = RuleBasedWriter(shelf).write(context)[segment]
    persona = rules.model_copy(update={"source": source, "fallback_reason": reason})
    assert context.segments[segment].coarse is (segment == 4)
    assert fell_back(persona, context.segments[segment]) is expected


# --- where the numbers of a text come from -------------------------------------------------------


def source(value: float, text: str, **where: str) -> Source:
    """A share, written as a percentage, of `text` (where: feature, label, stat, role)."""
    return Source(value=value, percent=True, text=text, **where)  # type: ignore[arg-type]


CAF = {"feature": "CASH_ADVANCE_FREQUENCY", "label": "cash-advance frequency", "stat": "mean"}
SHARE = source(15.66, "segment share of the book: 15.7%")
CAF_BOOK = source(15.65, "cash-advance frequency, book mean: 16%", role="book", **CAF)
CAF_SEGMENT = source(41.0, "cash-advance frequency, segment mean: 41%", role="segment", **CAF)
INSTALMENT = "instalment purchases frequency"
CASH = Source(value=2480.0, percent=False, money=True, text="cash advance, segment mean: $2,480")
_IP = {"percent": False, "money": True, "label": "instalment purchases"}
MEAN_0 = Source(value=0.0, text="segment mean: $0", stat="mean", role="segment", **_IP)
MEDIAN_0 = Source(value=0.0, text="segment median: $0", stat="median", role="segment", **_IP)
BOOK_89 = Source(value=89.0, text="book median: $89", stat="median", role="book", **_IP)
SHARE_41_MEDIAN = source(41.0, "segment median: 41%", stat="median", role="segment")
SHARE_41_MEAN = source(41.0, "segment mean: 41%", stat="mean", role="segment")


@pytest.mark.parametrize(
    ("text", "sources", "first"),
    [
        # 15.7 is within rounding of both; the measure is not named, the share is plainer.
        pytest.param(
            "1,402 customers, 15.7% of the book.",
            [CAF_BOOK, SHARE],
            ["1,402", None, "15.7%", SHARE.text],
            id="share-before-an-unnamed-measure",
        ),
        pytest.param(
            "Cash-advance frequency 41% against 16% for the book; 87% would switch.",
            [SHARE, CAF_BOOK, CAF_SEGMENT],
            ["41%", CAF_SEGMENT.text, "16%", CAF_BOOK.text, "87%", None],
            id="named-measure-and-its-side",
        ),
        pytest.param(
            "Purchases frequency 79% on average (book 50%, rule > 50%).",
            [
                source(50.0, "product rule", label="purchases frequency", role="rule"),
                source(50.0, "book median", label="purchases frequency", role="book"),
                source(79.0, "segment mean", label="purchases frequency", role="segment"),
            ],
            ["79%", "segment mean", "50%", "book median", "50%", "product rule"],
            id="book-and-rule-said-before",
        ),
        pytest.param(
            "Instalment purchases frequency 72% (rule > 50%).",
            [
                source(50.0, "purchases frequency rule", label="purchases frequency", role="rule"),
                source(50.0, "instalment rule", label=INSTALMENT, role="rule"),
                source(72.0, "segment mean", label=INSTALMENT),
            ],
            ["72%", "segment mean", "50%", "instalment rule"],
            id="the-whole-name-not-a-part",
        ),
        pytest.param("$2,480 in cash, not 2,480%.", [CASH], ["$2,480", CASH.text, "2,480%", None],
                     id="money-and-percent-apart"),
        # Mean and median both $0: the footnote names the statistic the sentence says.
        pytest.param(
            "Low instalment purchases (median $0 against $89 for the book); 41% on average.",
            [MEAN_0, MEDIAN_0, BOOK_89, SHARE_41_MEDIAN, SHARE_41_MEAN],
            ["$0", MEDIAN_0.text, "$89", BOOK_89.text, "41%", SHARE_41_MEAN.text],
            id="the-statistic-said",
        ),
    ],
)  # fmt: skip
def test_trace_gives_each_number_its_likeliest_source(
    text: str, sources: list[Source], first: list[str | None]
) -> None:
    got = []
    for quantity, matched in trace(text, sources):
        got += [quantity.text, matched[0].text if matched else None]
    assert got == first


def test_footnoted_marks_each_traced_number_and_numbers_sources_by_first_citation() -> None:
    texts = [
        "Cash-advance frequency 41% against 16% for the book.",
        "1,402 customers, 15.7% of the book, $2,480 each; again 41%.",
    ]
    cited, notes = footnoted(texts, [SHARE, CAF_BOOK, CAF_SEGMENT, CASH])
    assert [c.text for c in cited] == [
        "Cash-advance frequency 41%[1] against 16%[2] for the book.",
        "1,402 customers, 15.7%[3] of the book, $2,480[4] each; again 41%[1].",
    ]
    assert [c.notes for c in cited] == [(1, 2), (3, 4, 1)]
    assert notes == [CAF_SEGMENT.text, CAF_BOOK.text, SHARE.text, CASH.text]


def test_the_shelf_and_the_rules_never_use_the_pressure_wording_they_refuse(shelf: Shelf) -> None:
    from narratives.checks import _pressure

    assert "guaranteed approval" in shelf.pressure_wording
    for product in shelf.products:
        assert _pressure(f"{product.message} {product.description}", shelf.pressure_wording) is None
    for profile in (run_profile(), noisy_run()):
        for persona in RuleBasedWriter(shelf).write(build_context(profile)):
            text = " ".join([persona.summary, *persona.traits, *persona.needs, *persona.messages])
            assert _pressure(text, shelf.pressure_wording) is None, persona.segment_id


HOSTILE_TEXT = (
    "![beacon](http://attacker.example/b.png) [click](https://attacker.example) "
    "<img src=x onerror=alert(1)> www.attacker.example mail@attacker.example"
)


@pytest.mark.parametrize("name", ["md", "md_cell"])
def test_text_in_a_markdown_brief_makes_no_link_image_or_tag(name: str) -> None:
    from markdown_it import MarkdownIt

    from narratives.templates import environment

    escaped = environment().filters[name](HOSTILE_TEXT + " rate < 10%")
    html = MarkdownIt("commonmark").render(escaped)
    assert ("<a " not in html, "<img" not in html) == (True, True), html
    # Read as text, it says what it said (the escapes are Markdown's own backslashes).
    assert ("rate &lt; 10%" in html, "attacker.example" in html) == (True, True), html
    # Nothing an autolinking renderer (GitHub's, Streamlit's) finds in the text read either.
    assert [bare for bare in ("http://", "https://", "www.", "mail@") if bare in html] == []


def test_plain_markdown_shows_text_as_written() -> None:
    from markdown_it import MarkdownIt

    from narratives.templates import plain_markdown

    html = MarkdownIt("commonmark").render(plain_markdown(HOSTILE_TEXT))
    assert ("<a " not in html, "<img" not in html) == (True, True), html
    assert "![beacon](http:\u2060//attacker.example/b.png)" in html
    assert [bare for bare in ("http://", "https://", "www.", "mail@") if bare in html] == []


def test_a_purchase_type_that_rounds_to_no_one_is_not_listed(shelf: Shelf) -> None:
    context = build_context(run_profile())
    segment = context.segments[0].model_copy(
        update={"purchase_mix": (("instalment", 0.998), ("none", 0.002))}
    )
    run = context.model_copy(update={"segments": (segment, *context.segments[1:])})
    traits = RuleBasedWriter(shelf).write(run)[0].traits
    mix = [t for t in traits if t.startswith("Purchase mix")]
    assert mix == ["Purchase mix: 100% instalments only."]
