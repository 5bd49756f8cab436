"""Review states as exports print them: each persona and product suggestion is a draft until a
reviewer approves it, and an export holding anything not approved says so on every section
("DRAFT: not approved").

The states come from the workspace (segmenter.workspace.review): a brief written again from the
same run with the same words carries the decisions made on them. Without a workspace, or for a
run not recorded in it, every item is a draft.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from narratives.personas import Persona
from segmenter.workspace.documents import NewReviewItem
from segmenter.workspace.review import Decided

__all__ = [
    "DRAFT_MARK",
    "ItemReview",
    "ReviewLookup",
    "decided",
    "draft_line",
    "review_hint",
    "review_items",
    "reviews_of",
]

DRAFT_MARK = "DRAFT: not approved"

# Given the items of a brief about to be written, the earlier decisions on the same words
# (segmenter.workspace.decisions for the run the brief is written from).
ReviewLookup = Callable[[Sequence[NewReviewItem]], Mapping[str, Decided]]


class ItemReview(BaseModel):
    """The review state of one persona or product suggestion, as an export prints it."""

    model_config = ConfigDict(frozen=True)

    item_key: str  # "segment 0/persona", "segment 0/product/<id>"
    kind: Literal["persona", "product"]
    state: Literal["draft", "approved", "rejected"] = "draft"
    reviewer: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    decided_item: int | None = None  # the workspace's review item the decision was made on

    @property
    def line(self) -> str:
        """The state in words: "approved by Ana Ruiz on 2026-12-05", "draft, not approved yet"."""
        if self.state == "draft" or self.decided_at is None:
            return "draft, not approved yet"
        said = f"{self.state} by {self.reviewer} on {self.decided_at:%Y-%m-%d}"
        return f"{said}: {self.comment}" if self.comment else said


def review_items(
    personas: Iterable[Persona], decided: Mapping[str, Decided] | None = None
) -> tuple[NewReviewItem, ...]:
    """Per segment: its persona, then each product it suggests, keyed "segment ID/...", with
    the earlier decision on the same words where `decided` has one."""
    decided = decided or {}
    items: list[NewReviewItem] = []
    for persona in personas:
        segment = persona.segment_id
        words: list[tuple[str, Literal["persona", "product"], str]] = [
            (f"segment {segment}/persona", "persona", _persona_text(persona))
        ]
        words += [
            (f"segment {segment}/product/{p.product_id}", "product", f"{p.name}: {p.rationale}")
            for p in persona.products
        ]
        items += [
            NewReviewItem(
                item_key=key, kind=kind, segment_id=segment, text=text, source=persona.source,
                carried=decided.get(key),
            )
            for key, kind, text in words
        ]  # fmt: skip
    return tuple(items)


def _persona_text(persona: Persona) -> str:
    return f"{persona.persona_name}: {persona.summary}"


def reviews_of(
    personas: Sequence[Persona], lookup: ReviewLookup | None
) -> dict[int, tuple[ItemReview, ...]]:
    """By segment, the review states of `personas`' words for an export to print: the
    decisions `lookup` finds on the very same words, else drafts (no lookup: all drafts)."""
    items = review_items(personas)
    found = lookup(items) if lookup is not None else {}
    by_segment: dict[int, list[ItemReview]] = {}
    for item in items:
        was = found.get(item.item_key)
        by_segment.setdefault(item.segment_id, []).append(
            ItemReview(item_key=item.item_key, kind=item.kind)
            if was is None
            else ItemReview(
                item_key=item.item_key, kind=item.kind, state=was.state, reviewer=was.reviewer,
                decided_at=was.decided_at, comment=was.comment, decided_item=was.item_id,
            )
        )  # fmt: skip
    return {segment: tuple(states) for segment, states in by_segment.items()}


def decided(reviews: Iterable[ItemReview]) -> dict[str, Decided]:
    """The decisions an export was written with, by item key: what recording it carries."""
    return {
        r.item_key: Decided(r.decided_item, r.state, r.reviewer or "", r.comment, r.decided_at)
        for r in reviews
        if r.state != "draft" and r.decided_item is not None and r.decided_at is not None
    }


def review_hint(run_id: int | None) -> str:
    """Where the drafts of an export are reviewed."""
    if run_id is None:
        return (
            "Only a run recorded in the workspace can be reviewed: `segmenter segment` records "
            "every run it makes, and the app's Review page records the run on screen."
        )
    return f"Review them with `segmenter review {run_id}` or on the app's Review page."


def draft_line(reviews: Iterable[ItemReview], *, review_hint: str | None = None) -> str | None:
    """The line an export opens with while any item is not approved ("DRAFT: not approved.
    3 of 5 personas and product suggestions are not approved ..."); None when all are."""
    states = [r.state for r in reviews]
    waiting = sum(s != "approved" for s in states)
    if not waiting:
        return None
    rejected = sum(s == "rejected" for s in states)
    told = f" ({rejected:,} rejected)" if rejected else ""
    line = (
        f"{DRAFT_MARK}. {waiting:,} of {len(states):,} personas and product suggestions "
        f"are not approved{told}: do not use this text with customers until they are."
    )
    return f"{line} {review_hint}" if review_hint else line
