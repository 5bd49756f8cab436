"""Briefs and their review items: drafts until decided; a decision from a stale version loses."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from segmenter.errors import InputError
from segmenter.workspace import (
    NewDocument,
    NewReviewItem,
    NewRun,
    ReviewConflict,
    ReviewItemView,
    UnknownRecord,
    Versions,
    approve,
    decisions,
    get_run,
    latest_document,
    list_audit,
    list_review_items,
    record_document,
    record_run,
    reject,
    verify,
)

Clock = Callable[[], datetime]
ITEMS = (
    NewReviewItem("segment 0/persona", "persona", 0, "Cash-advance revolvers: ...", "llm"),
    NewReviewItem("segment 0/product/credit-line", "product", 0, "Credit line: ...", "llm"),
    NewReviewItem("segment 1/persona", "persona", 1, "Full-paying transactors: ...", "rule-based"),
)


def brief_of(stats_sha256: str) -> NewDocument:
    return NewDocument(
        kind="brief.md",
        content="# Campaign brief\n",
        personas=[{"segment_id": 0, "persona_name": "Cash-advance revolvers"}],
        narratives="gpt-4o-mini",
        versions=Versions("gpt-4o-mini", "c" * 64, stats_sha256),
        items=ITEMS,
    )


@pytest.fixture
def briefed(workspace: Engine, toy_run: NewRun, clock: Clock) -> int:
    """A recorded run with a recorded brief; the run's id."""
    run_id = record_run(workspace, toy_run, actor="analyst", clock=clock)
    stats = get_run(workspace, run_id).profiles_sha256
    record_document(workspace, run_id, brief_of(stats), actor="analyst", clock=clock)
    return run_id


def test_a_brief_is_recorded_with_its_items_as_drafts(workspace: Engine, briefed: int) -> None:
    document = latest_document(workspace, briefed)
    assert document is not None
    assert (document.kind, document.narratives, document.content) == (
        "brief.md", "gpt-4o-mini", "# Campaign brief\n",
    )  # fmt: skip
    assert document.personas == [{"segment_id": 0, "persona_name": "Cash-advance revolvers"}]
    assert latest_document(workspace, briefed, kind="brief.html") is None
    items = list_review_items(workspace, briefed)
    assert [(i.item_key, i.kind, i.source, i.state, i.version) for i in items] == [
        ("segment 0/persona", "persona", "llm", "draft", 1),
        ("segment 0/product/credit-line", "product", "llm", "draft", 1),
        ("segment 1/persona", "persona", "rule-based", "draft", 1),
    ]
    entry = list_audit(workspace)[-1]
    assert (entry.action, entry.details["review_items"]) == ("brief", 3)
    stats = get_run(workspace, briefed).profiles_sha256
    assert entry.versions == document.versions == Versions("gpt-4o-mini", "c" * 64, stats)


def test_decisions_are_stamped_versioned_and_audited(
    workspace: Engine, briefed: int, clock: Clock
) -> None:
    persona, product, _ = list_review_items(workspace, briefed)
    approved = approve(workspace, persona.id, expected_version=1, reviewer="alice", clock=clock)
    assert (approved.state, approved.reviewer, approved.version) == ("approved", "alice", 2)
    fifth_tick = datetime(2026, 3, 1, 9, 0, 4, 123456, tzinfo=UTC)
    assert approved.decided_at == fifth_tick
    rejected = reject(
        workspace, product.id, expected_version=1, reviewer="bob", comment="not for revolvers",
        clock=clock,
    )  # fmt: skip
    assert (rejected.state, rejected.comment, rejected.version) == (
        "rejected", "not for revolvers", 2,
    )  # fmt: skip
    # Deciding again from the current version is allowed: a reviewer may change their mind.
    again = reject(workspace, persona.id, expected_version=2, reviewer="alice", clock=clock)
    assert (again.state, again.version) == ("rejected", 3)
    assert [i.state for i in list_review_items(workspace, briefed, state="rejected")] == [
        "rejected", "rejected",
    ]  # fmt: skip
    entries = list_audit(workspace)
    assert [(e.action, e.actor) for e in entries] == [
        ("run", "analyst"), ("brief", "analyst"), ("approve", "alice"), ("reject", "bob"),
        ("reject", "alice"),
    ]  # fmt: skip
    assert entries[2].details["item_key"] == "segment 0/persona"
    assert entries[3].details["comment"] == "not for revolvers"
    assert entries[2].versions.model_version == "gpt-4o-mini"
    assert verify(workspace).ok


def test_of_two_approvals_from_one_version_the_second_gets_a_conflict(
    workspace: Engine, briefed: int, clock: Clock
) -> None:
    item = list_review_items(workspace, briefed)[0]
    approve(workspace, item.id, expected_version=1, reviewer="alice", clock=clock)
    with pytest.raises(
        ReviewConflict,
        match=r"review item \d+ \(segment 0/persona\) was changed by alice after version 1: "
        r"it is now approved at version 2; reload it and decide again",
    ):
        reject(workspace, item.id, expected_version=1, reviewer="bob", clock=clock)
    assert [e.action for e in list_audit(workspace)] == ["run", "brief", "approve"]


def test_of_two_simultaneous_approvals_one_wins(
    workspace: Engine, briefed: int, clock: Clock
) -> None:
    item = list_review_items(workspace, briefed)[0]
    start = threading.Barrier(2)

    def decide(reviewer: str) -> ReviewItemView | ReviewConflict:
        start.wait()
        try:
            return approve(workspace, item.id, expected_version=1, reviewer=reviewer, clock=clock)
        except ReviewConflict as conflict:
            return conflict

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(decide, ["alice", "bob"]))
    won = [o for o in outcomes if isinstance(o, ReviewItemView)]
    lost = [o for o in outcomes if isinstance(o, ReviewConflict)]
    assert (len(won), len(lost)) == (1, 1)
    assert won[0].version == 2
    assert f"was changed by {won[0].reviewer} after version 1" in str(lost[0])
    assert [e.action for e in list_audit(workspace)] == ["run", "brief", "approve"]
    assert verify(workspace).ok


def test_a_brief_from_other_statistics_or_an_unknown_run_is_refused(
    workspace: Engine, toy_run: NewRun, clock: Clock
) -> None:
    run_id = record_run(workspace, toy_run, actor="analyst", clock=clock)
    with pytest.raises(InputError, match=f"other statistics than run {run_id}'s profiles.json"):
        record_document(workspace, run_id, brief_of("0" * 64), actor="analyst", clock=clock)
    with pytest.raises(UnknownRecord, match="no run 99"):
        record_document(workspace, 99, brief_of("0" * 64), actor="analyst", clock=clock)
    with pytest.raises(UnknownRecord, match="no review item 99"):
        approve(workspace, 99, expected_version=1, reviewer="alice", clock=clock)
    assert list_review_items(workspace, run_id) == []
    assert [e.action for e in list_audit(workspace)] == ["run"]


def test_a_brief_written_again_with_the_same_words_carries_their_decisions(
    workspace: Engine, briefed: int, clock: Clock
) -> None:
    first = {item.item_key: item for item in list_review_items(workspace, briefed)}
    approve(
        workspace, first["segment 0/persona"].id, expected_version=1, reviewer="Ana",
        comment="fine", clock=clock,
    )  # fmt: skip
    reject(workspace, first["segment 1/persona"].id, expected_version=1, reviewer="Ben")
    persona, product, other = ITEMS
    reworded = NewReviewItem(other.item_key, "persona", 1, "Full-paying transactors: new", "llm")
    found = decisions(
        workspace, briefed, [(i.item_key, i.text) for i in (persona, product, reworded)]
    )
    # Only decided items with the very same words carry; a decision is about words.
    assert set(found) == {"segment 0/persona"}
    assert (found["segment 0/persona"].state, found["segment 0/persona"].reviewer) == (
        "approved",
        "Ana",
    )
    stats = get_run(workspace, briefed).profiles_sha256
    again = replace(
        brief_of(stats),
        items=(replace(persona, carried=found["segment 0/persona"]), product, reworded),
    )
    record_document(workspace, briefed, again, actor="analyst", clock=clock)
    now = {item.item_key: item for item in list_review_items(workspace, briefed)}
    assert now["segment 0/persona"].id != first["segment 0/persona"].id
    assert (now["segment 0/persona"].state, now["segment 0/persona"].reviewer) == (
        "approved",
        "Ana",
    )
    assert now["segment 0/persona"].comment == "fine"
    assert now["segment 0/persona"].version == 2
    assert now["segment 1/persona"].state == "draft"  # reworded: to be decided again
    carried = list_audit(workspace, run_id=briefed)[-1]
    assert carried.action == "approve"
    assert carried.details["carried_from"] == first["segment 0/persona"].id
    assert verify(workspace).ok


def test_a_decision_that_moved_on_while_the_brief_was_written_is_refused_whole(
    workspace: Engine, briefed: int, clock: Clock
) -> None:
    first = {item.item_key: item for item in list_review_items(workspace, briefed)}
    persona = ITEMS[0]
    approve(workspace, first[persona.item_key].id, expected_version=1, reviewer="Ana")
    seen = decisions(workspace, briefed, [(persona.item_key, persona.text)])[persona.item_key]
    reject(workspace, first[persona.item_key].id, expected_version=2, reviewer="Ben")
    documents = latest_document(workspace, briefed)
    stats = get_run(workspace, briefed).profiles_sha256
    again = replace(brief_of(stats), items=(replace(persona, carried=seen),))
    with pytest.raises(ReviewConflict, match="decided again while the brief was written"):
        record_document(workspace, briefed, again, actor="analyst", clock=clock)
    assert latest_document(workspace, briefed) == documents  # nothing half recorded
    assert verify(workspace).ok
