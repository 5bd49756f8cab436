"""The answer checks against hostile answers: a key however it is written, credential shapes,
links by reference, and refusal reasons that never repeat what the model wrote."""

from __future__ import annotations

import json
from typing import Any

import pytest

from narratives.checks import AnswerRejected, check_answer
from narratives.context import RunContext, build_context
from narratives.shelf import Shelf
from testkit.narratives_fixtures import run_profile
from testkit.narratives_fixtures import segment_1_answer as fields

SECRET = "sk-checks-SECRET-0a1b2c3d4e5f"
KEY_REASON = "the answer contains the configured API key; it was not kept"
SHAPE_REASON = "the answer contains what looks like a credential; it was not kept"
MARKUP_REASON = "holds a link, an image or markup; persona text is plain"
IMAGE = "![x](http://host/b.png)"


# Named like pytest-playwright's browser `context`: defined here, never in conftest.
@pytest.fixture(scope="module")
def context() -> RunContext:
    return build_context(run_profile())


def escaped(text: str) -> str:
    """Every character of `text` as a JSON \\u escape: the same string to a JSON reader."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def with_marker(marker: str, raw: str, **texts: Any) -> str:
    """The answer's JSON text with `marker` (somewhere in `texts`) replaced by raw JSON text."""
    return json.dumps(fields(**texts)).replace(marker, raw)


def check(context: RunContext, shelf: Shelf, content: str, *, secrets: tuple[str, ...] = ()) -> str:
    """The reason `content` is refused (it must be)."""
    segment = context.segments[1]
    with pytest.raises(AnswerRejected) as refused:
        check_answer(
            content,
            segment=segment,
            context=context,
            shelf=shelf,
            matches=shelf.match(segment),
            secrets=secrets,
        )
    return str(refused.value)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# The configured key as a JSON reader (and so the brief, brief.json and the app) would read it,
# though the answer's raw text never spells it.
HIDDEN_KEYS = {
    "every-letter-a-json-escape": with_marker("KEY", escaped(SECRET), summary="Ref KEY."),
    "one-letter-a-json-escape": with_marker("KEY", "\\u0073" + SECRET[1:], summary="Ref KEY."),
    "in-a-list-item": with_marker("KEY", escaped(SECRET), channels=["In-app", "KEY"]),
    "in-a-field-name": with_marker("KEY", escaped(SECRET), KEY="x"),
    "in-a-duplicate-field-the-reader-drops": '{"summary": "'
    + escaped(SECRET)
    + '", '
    + json.dumps(fields())[1:],
    "fullwidth-letters": json.dumps(fields(summary=f"Ref {fullwidth(SECRET)}.")),
    "zero-width-spaces-between-letters": json.dumps(
        fields(summary="Ref " + "\u200b".join(SECRET) + ".")
    ),
    "a-soft-hyphen-and-a-word-joiner": json.dumps(
        fields(summary=f"Ref {SECRET[:5]}\u00ad{SECRET[5:9]}\u2060{SECRET[9:]}.")
    ),
}


@pytest.mark.parametrize("content", HIDDEN_KEYS.values(), ids=HIDDEN_KEYS.keys())
def test_the_key_is_found_however_the_answer_writes_it(
    context: RunContext, shelf: Shelf, content: str
) -> None:
    assert SECRET not in content
    assert check(context, shelf, content, secrets=(SECRET,)) == KEY_REASON


# Built from pieces: a secret scanner reading this file should not take them for live tokens.
SHAPES = {
    "openai-style-in-json-escapes": "\\u0073k-" + "live0123456789abcdefXYZ",
    "github-classic": "gh" + "p_" + "A1b2C3d4E5f6" * 3,
    "github-fine-grained": "github" + "_pat_" + "11ABCDEFG0" + "_abcdefghijklmnop" * 3,
    "jwt": "ey" + "JhbGciOiJIUzI1NiJ9.ey" + "JzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
    "slack-bot": "xo" + "xb-1234567890-0987654321-AbCdEfGhIjKl",
    "slack-user": "xo" + "xp-1234567890-0987654321-AbCdEfGhIjKl",
}


@pytest.mark.parametrize("token", SHAPES.values(), ids=SHAPES.keys())
def test_credential_shapes_are_refused(context: RunContext, shelf: Shelf, token: str) -> None:
    content = with_marker("TOKEN", token, summary="Ref TOKEN here.")
    reason = check(context, shelf, content)
    assert reason == SHAPE_REASON
    assert token not in reason


@pytest.mark.parametrize(
    ("texts", "where"),
    [
        pytest.param(
            {"summary": "Look ![x][y]\n[y]: //host/b.png"}, "summary", id="image-by-reference"
        ),
        pytest.param({"traits": ["An [offer][r] for you"]}, "traits[0]", id="link-by-reference"),
        pytest.param({"needs": ["[r]: //host/b.png"]}, "needs[0]", id="a-link-definition"),
        pytest.param({"messages": ["A [collapsed][] link"]}, "messages[0]", id="collapsed-ref"),
    ],
)
def test_links_and_images_by_reference_are_refused(
    context: RunContext, shelf: Shelf, texts: dict[str, Any], where: str
) -> None:
    assert check(context, shelf, json.dumps(fields(**texts))) == f"{where} {MARKUP_REASON}"


# What a model put in an id, a field name, a value of the wrong type or a number, and the reason
# the check gives: it names the position, never the model's text (the reason reaches the app,
# the brief and the logs).
REASONS = {
    "markup-as-a-product-id": (
        json.dumps(fields(products=[{"product": IMAGE, "rationale": "x"}])),
        "product 1 is not on the shelf",
    ),
    "the-second-product-does-not-fit": (
        json.dumps(
            fields(
                products=[
                    {"product": "financial-coaching", "rationale": "x"},
                    {"product": "premium-advisory", "rationale": "y"},
                ]
            )
        ),
        "product 2 is on the shelf but its conditions do not hold here",
    ),
    "markup-as-a-field-name": (
        json.dumps({**fields(), IMAGE: "x"}),
        "the answer does not fit the persona schema (an unexpected field)",
    ),
    "markup-as-a-field-name-in-a-product": (
        json.dumps(fields(products=[{**fields()["products"][0], IMAGE: 1}])),
        "the answer does not fit the persona schema (products.0: an unexpected field)",
    ),
    "markup-in-a-value-of-the-wrong-type": (
        json.dumps(fields(summary=[IMAGE])),
        "the answer does not fit the persona schema (summary: should be text)",
    ),
    "a-field-missing": (
        json.dumps({k: v for k, v in fields().items() if k != "needs"}),
        "the answer does not fit the persona schema (needs: missing)",
    ),
    "markup-in-broken-json": (
        '{"summary": "' + IMAGE,
        "the answer does not fit the persona schema (not valid JSON)",
    ),
    "an-invented-number": (
        json.dumps(fields(summary="Limits of $8,500 and 41% cash advances.")),
        "number 1 in summary matches no statistic of the segment",
    ),
    "an-invented-second-number": (
        json.dumps(fields(traits=["Cash advances", "41% of them, 7,318,204 in all"])),
        "number 2 in traits[1] matches no statistic of the segment",
    ),
    # Tenure means: 11.4 against 11.51 for the book, 1% apart: no reader would see it.
    "a-comparison-the-figures-do-not-show": (
        json.dumps(fields(summary="Fine. High tenure: 11.4 months against 11.5 for the book.")),
        "summary: sentence 2 compares tenure with the book's where the means hardly differ",
    ),
}


@pytest.mark.parametrize(("content", "reason"), REASONS.values(), ids=REASONS.keys())
def test_reasons_name_positions_never_the_model_text(
    context: RunContext, shelf: Shelf, content: str, reason: str
) -> None:
    assert check(context, shelf, content) == reason
