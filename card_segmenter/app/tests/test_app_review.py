"""The Review page under AppTest: the run on screen recorded with its personas, decisions by
name, a stale decision refused across two sessions, and exports marked DRAFT until every text
in them is approved; without a workspace, one sentence and the app keeps going."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from testkit.paths import APP
from testkit.segmenter_fixtures import cli_code, record_spark_run

REVIEW = "card_segmenter/app/pages/review.py"


def page(path: str, at: AppTest | None = None) -> AppTest:
    if at is None:
        at = AppTest.from_file(str(APP), default_timeout=180)
        at.session_state["k"] = 3
    at.switch_page(path)
    return at.run()


def _shown(elements: object) -> list[str]:
    """Texts as on screen: AppTest keeps Markdown's escapes."""
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in elements]  # type: ignore[attr-defined]


def _items(at: AppTest) -> list[str]:
    """The keys of the decision buttons on the page, e.g. "approve_3_1"."""
    return [b.key for b in at.button if b.key and b.key.startswith("approve_")]


def test_record_approve_and_the_export_is_no_longer_a_draft(workspace_folder: Path) -> None:
    at = page(REVIEW)
    assert not at.exception
    at.button(key="review_record").click().run()
    assert not at.exception
    assert _shown(at.success) == ["Recorded as run 1, with its personas to review."]
    assert at.selectbox(key="review_run_choice").value == 1
    buttons = _items(at)
    assert len(buttons) >= 3  # a persona per segment, and their products
    assert all(at.button(key=b).disabled for b in buttons)  # no name, no decision

    export = page("card_segmenter/app/pages/export.py", at)
    (warning,) = [w for w in _shown(export.warning) if "DRAFT" in w]
    assert f"{len(buttons)} of {len(buttons)} personas and product suggestions" in warning

    at = page(REVIEW, at)
    at.text_input(key="reviewer").input("Ana Ruiz").run()
    first = _items(at)[0]
    at.text_input(key=first.replace("approve_", "comment_")).input("clear and fair").run()
    at.button(key=first).click().run()
    assert not at.exception
    (done,) = _shown(at.success)
    assert done.endswith("approved by Ana Ruiz.")
    for key in _items(at):
        if not key.endswith("_2"):  # still at version 1: not decided yet
            at.button(key=key).click().run()
    assert not at.exception
    said = " ".join(_shown(at.markdown))
    assert f"{len(buttons)} of {len(buttons)} approved" in said.replace("*", "")

    export = page("card_segmenter/app/pages/export.py", at)
    assert not [w for w in _shown(export.warning) if "DRAFT" in w]


def test_a_decision_from_a_stale_page_is_refused_and_says_by_whom(workspace_folder: Path) -> None:
    first = page(REVIEW)
    first.button(key="review_record").click().run()
    second = page(REVIEW)  # another reviewer, same run, seen before anyone decided
    assert second.selectbox(key="review_run_choice").value == 1
    for at, name in ((first, "Ana"), (second, "Ben")):
        at.text_input(key="reviewer").input(name).run()
    item = _items(first)[0]
    first.button(key=item).click().run()
    second.button(key=item.replace("approve_", "reject_")).click().run()
    assert not second.exception
    (refused,) = _shown(second.error)
    assert "was changed by Ana after version 1: it is now approved at version 2" in refused
    # Reloaded, Ben sees Ana's decision and may decide again from it.
    assert "Approved by Ana on" in " ".join(_shown(second.caption))


def test_without_a_workspace_the_page_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMENTER_DATABASE_URL", "postgresql+psycopg://seg:pw@127.0.0.1:9/seg")
    at = page(REVIEW)
    assert not at.exception
    (info,) = [i for i in _shown(at.info) if "Nothing to review" in i]
    assert "cannot be reached" in info
    export = page("card_segmenter/app/pages/export.py", at)  # the rest works, as drafts
    assert not export.exception
    assert [w for w in _shown(export.warning) if "DRAFT: not approved" in w]


def test_a_spark_run_s_brief_is_reviewed_as_any_run_s(
    workspace_folder: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "spark"
    assert record_spark_run(folder, source_name="lake/cards") == 1
    assert cli_code("brief", folder, "--out", tmp_path / "brief.md", "--offline") == 0

    at = page(REVIEW)
    assert not at.exception
    choice = at.selectbox(key="review_run_choice")
    assert choice.value == 1
    assert choice.options[0].startswith("Run 1: cards, kmeans k=3 on Spark, ")
    at.text_input(key="reviewer").input("Ana Ruiz").run()
    first = _items(at)[0]
    at.button(key=first).click().run()
    assert not at.exception
    (done,) = _shown(at.success)
    assert done.endswith("approved by Ana Ruiz.")
