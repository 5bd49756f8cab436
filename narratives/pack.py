"""A campaign pack: one segment's brief for marketers, and the pack as HTML (`pack_pdf`: PDF).

The body speaks to marketers (`pack_text`); the statistics, the rules and the audit hashes are
in the appendix (`pack_appendix`). Two charts are embedded: what sets the group apart, and its
figures beside all customers'. `pack_files` writes a pack and its audience file.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import altair as alt

from narratives.brief import Audit
from narratives.context import RunContext, SegmentContext
from narratives.pack_appendix import appendix
from narratives.pack_text import Block, Line, PackAudience, Part, body, lead_line
from narratives.personas import Persona
from narratives.review import DRAFT_MARK, ItemReview, draft_line
from narratives.shelf import Shelf
from narratives.templates import render
from segmenter.charts.figures import effect_bars, to_svg
from segmenter.charts.versus import versus_all
from segmenter.errors import InputError
from segmenter.results import SegmentProfile

__all__ = ["NOT_REVIEWED", "Pack", "campaign_pack", "pack_html", "segment_of"]

NOT_REVIEWED = f"{DRAFT_MARK}. Its persona and product suggestions have not been reviewed."


@dataclass(frozen=True)
class Pack:
    """Everything a campaign pack prints, and the charts it embeds (Altair, by key)."""

    segment: SegmentContext
    persona: Persona
    title: str  # the persona's name
    kicker: str  # "Campaign pack · Segment 0: Instalment buyers"
    lead: str  # who and how many
    body: tuple[Part, ...]
    appendix: tuple[Part, ...]
    charts: Mapping[str, alt.TopLevelMixin]
    narratives: str  # the model's name when it wrote this persona, else "rule-based"
    generated_at: datetime
    audience: PackAudience | None = None
    appendix_title: str = "Appendix, for analysts: method, figures and audit"
    review: tuple[ItemReview, ...] = ()  # the persona's state, then each product's
    draft: str | None = None  # "DRAFT: not approved. ..." while any of them is not approved


def segment_of(context: RunContext, segment_id: int) -> SegmentContext:
    """The segment a pack is for; an InputError naming the valid ids for another or for noise."""
    valid = [s.id for s in context.segments if not s.is_noise]
    ids = ", ".join(map(str, valid))
    found = next((s for s in context.segments if s.id == segment_id), None)
    if found is not None and found.is_noise:
        raise InputError(
            f"segment {segment_id} holds the customers that fit no segment, who are no audience "
            f"for a campaign: choose one of the segments {ids}"
        )
    if found is None:
        raise InputError(f"this run has no segment {segment_id}: its segments are {ids}")
    return found


def campaign_pack(
    context: RunContext,
    profile: SegmentProfile,
    persona: Persona,
    *,
    shelf: Shelf,
    audit: Audit,
    narratives: str,
    note: str | None = None,
    generated_at: datetime,
    audience: PackAudience | None = None,
    review: tuple[ItemReview, ...] = (),
    review_hint: str | None = None,
) -> Pack:
    """The pack of one segment (`profile`, the same segment as `persona`) and, when it is
    written, of its audience file; `review` holds the states of its persona and products
    (none: all drafts), and `review_hint` says where to review them."""
    segment = segment_of(context, profile.id)
    charts: dict[str, alt.TopLevelMixin] = {}
    if not segment.coarse:
        charts["apart"] = effect_bars(profile, plain=True).properties(width=300)
        if segment.facts:
            charts["versus"] = versus_all(segment.facts, units=context.units)
    return Pack(
        segment=segment,
        persona=persona,
        title=persona.persona_name,
        kicker=f"Campaign pack · Segment {segment.id}: {segment.name}",
        lead=lead_line(segment),
        body=(
            *body(segment, persona, shelf=shelf, audience=audience),
            _review_part(review, persona),
        ),
        appendix=appendix(
            context,
            segment,
            persona,
            narratives=narratives,
            note=note,
            audit=audit,
            generated_at=generated_at,
            audience=audience.file if audience else None,
        ),
        charts=charts,
        narratives=narratives,
        generated_at=generated_at,
        audience=audience,
        review=review,
        draft=draft_line(review, review_hint=review_hint) if review else NOT_REVIEWED,
    )


def _review_part(review: tuple[ItemReview, ...], persona: Persona) -> Part:
    """Where each text of the pack stands in review: who approved it, and when."""
    names = {
        f"segment {persona.segment_id}/product/{r.product_id}": r.name for r in persona.products
    }
    lines = [
        Line(lead=names.get(r.item_key, "Persona"), text=r.line[:1].upper() + r.line[1:])
        for r in review
    ]
    if not lines:
        lines = [Line(text="Not reviewed: no review states were given for this pack.")]
    return Part(title="Review", blocks=(Block(kind="list", lines=tuple(lines)),))


def pack_html(pack: Pack, *, images: Mapping[str, str] | None = None) -> str:
    """The pack as one self-contained, escaped HTML page; charts inline as SVG data URIs
    (`images` gives them ready-made: a test's placeholders)."""
    if images is None:
        images = {
            key: "data:image/svg+xml;base64,"
            + base64.b64encode(to_svg(chart).encode("utf-8")).decode("ascii")
            for key, chart in pack.charts.items()
        }
    return render("pack.html.j2", pack=pack, images=images, draft_mark=DRAFT_MARK)
