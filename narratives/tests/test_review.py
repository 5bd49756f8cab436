"""Review states in words: who decided a text and when, and the DRAFT line an export opens
with while anything in it is not approved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from narratives.context import build_context
from narratives.review import DRAFT_MARK, ItemReview, draft_line, review_items, reviews_of
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from segmenter.workspace import Decided, NewReviewItem
from testkit.narratives_fixtures import run_profile

WHEN = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def test_a_state_says_who_decided_and_when() -> None:
    assert ItemReview(item_key="k", kind="persona").line == "draft, not approved yet"
    approved = ItemReview(
        item_key="k", kind="persona", state="approved", reviewer="Ana Ruiz", decided_at=WHEN
    )
    assert approved.line == "approved by Ana Ruiz on 2026-12-05"
    rejected = approved.model_copy(update={"state": "rejected", "comment": "too pushy"})
    assert rejected.line == "rejected by Ana Ruiz on 2026-12-05: too pushy"


def test_the_draft_line_counts_what_is_not_approved() -> None:
    approved = ItemReview(
        item_key="a", kind="persona", state="approved", reviewer="Ana", decided_at=WHEN
    )
    rejected = approved.model_copy(update={"item_key": "b", "state": "rejected"})
    draft = ItemReview(item_key="c", kind="product")
    assert draft_line([approved, approved]) is None
    line = draft_line([approved, rejected, draft], review_hint="Review them.")
    assert line == (
        f"{DRAFT_MARK}. 2 of 3 personas and product suggestions are not approved (1 rejected): "
        "do not use this text with customers until they are. Review them."
    )


def test_only_decisions_on_the_very_same_words_are_carried(shelf: Shelf) -> None:
    personas = RuleBasedWriter(shelf).write(build_context(run_profile()))
    items = review_items(personas)
    persona = items[0]  # a segment's persona first, then its products
    assert persona.item_key == f"segment {personas[0].segment_id}/persona"
    assert persona.text.startswith(f"{personas[0].persona_name}: ")
    asked: list[Sequence[NewReviewItem]] = []

    def lookup(given: Sequence[NewReviewItem]) -> Mapping[str, Decided]:
        asked.append(given)
        return {persona.item_key: Decided(7, "approved", "Ana", None, WHEN)}

    states = reviews_of(personas, lookup)
    assert asked == [items]  # the words themselves are what the workspace is asked about
    first = states[persona.segment_id][0]
    assert (first.state, first.reviewer, first.decided_item) == ("approved", "Ana", 7)
    others = [r for group in states.values() for r in group if r.item_key != persona.item_key]
    assert others
    assert {r.state for r in others} == {"draft"}
    assert {r.state for group in reviews_of(personas, None).values() for r in group} == {"draft"}
