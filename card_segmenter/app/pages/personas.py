"""Personas, for advisors: a card per segment, and the LLM's personas on request."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Literal, NamedTuple

import streamlit as st

from card_segmenter.app import state, widgets
from card_segmenter.app.llm import LLMPersonas, llm_controls, personas_for, running, usage
from narratives import Persona, RunContext, SegmentContext, build_context
from narratives.audiences import audience_sentence
from narratives.pack_files import PackFile, pack_file, pack_file_name
from narratives.personas import RULE_BASED, fell_back
from narratives.review import ItemReview, reviews_of
from narratives.sources import Cited
from narratives.templates import capitalize_first, plain_markdown
from segmenter.charts import figures as charts
from segmenter.errors import InputError
from segmenter.ingest.quality import CarriedColumns
from segmenter.pipeline import Segmentation
from segmenter.results import SegmentProfile

CONFIDENCE_COLOURS: dict[str, Literal["green", "orange", "red"]] = {
    "high": "green",
    "medium": "orange",
    "low": "red",
}
# A segment's campaign pack and its audience file: (kind, button, MIME type, icon).
PACK_DOWNLOADS: tuple[tuple[PackFile, str, str, str], ...] = (
    ("pdf", "Campaign pack (PDF)", "application/pdf", ":material/picture_as_pdf:"),
    ("html", "Campaign pack (HTML)", "text/html", ":material/article:"),
    ("csv", "Audience (CSV)", "text/csv", ":material/groups:"),
)
Pack = Callable[[Persona, PackFile], bytes]  # a persona's pack file, made when clicked


class AudienceFiles(NamedTuple):
    """What the cards' audience files hold: the choice made on the Export page, its columns
    read from the customer file, and whether that file has any extra column to choose."""

    choice: state.AudienceChoice
    carried: CarriedColumns | None
    choosable: bool


def persona_card(
    segment: SegmentContext,
    profile: SegmentProfile,
    persona: Persona,
    label: str,
    *,
    domain: tuple[float, float],
    waiting: bool = False,
    pack: Pack | None = None,
    holds: str = "",
    review: tuple[ItemReview, ...] = (),
) -> None:
    cited, notes = persona.footnoted()
    with st.container(border=True, key=f"persona-{segment.id}"):
        st.markdown(f"#### {plain_markdown(persona.persona_name)}")
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption(f"Segment {segment.id}: {plain_markdown(segment.name)}", width="content")
            st.badge(f"{segment.size:,} customers · {segment.share:.1%}", color="gray")
            flags = (
                ", ".join(f.replace("_", " ") for f in segment.confidence.flags)
                or "large, stable and well separated"
            )
            st.badge(
                f"{segment.confidence.level} confidence",
                color=CONFIDENCE_COLOURS[segment.confidence.level],
                help=flags,
            )
            by_llm = persona.source == "llm"
            source = label if by_llm else RULE_BASED
            st.badge(f"Narratives: {plain_markdown(source)}", color="violet" if by_llm else "blue")
            review_badge(review)
        # The essentials side by side, to fit one screen: who they are, what to offer and why,
        # what to say; beside them what sets them apart. The rest on demand.
        words, chart = st.columns([3, 2], gap="medium")
        with words:
            st.markdown(plain_markdown(cited["summary"][0].text))
            if waiting:
                st.caption(
                    f"Waiting for {plain_markdown(label)}: the rule-based persona until then."
                )
            elif fell_back(persona, segment):
                st.caption(f"Rule-based here: {plain_markdown(persona.fallback_reason or '')}.")
            if persona.products:
                st.markdown(
                    "**What to offer**\n"
                    + "\n".join(
                        f"- **{plain_markdown(product.name)}**: {plain_markdown(rationale.text)}"
                        for product, rationale in zip(
                            persona.products, cited["products"], strict=True
                        )
                    )
                )
            if persona.messages:
                st.markdown(f"**What to say**: *{plain_markdown(persona.messages[0])}*")
        if profile.stats:
            with chart:
                st.markdown("**What sets them apart**")
                st.altair_chart(charts.effect_bars(profile, domain=domain), width="stretch")
        more, sources = st.columns(2)
        with more, st.expander("Rules, risk notes, traits, needs, channels, messages"):
            details(segment, persona, cited)
        if notes:
            with sources, st.expander(f"Where the figures come from ({len(notes)})"):
                st.markdown(
                    "\n".join(f"{i}. {plain_markdown(note)}" for i, note in enumerate(notes, 1))
                )
        if persona.tokens_in or persona.tokens_out:
            st.caption(
                f"Tokens for this segment: {persona.tokens_in:,} in, {persona.tokens_out:,} out."
            )
        if pack is not None and not segment.is_noise:  # unassigned customers are no audience
            pack_buttons(segment, persona, pack, holds=holds)


def review_badge(review: tuple[ItemReview, ...]) -> None:
    """Whether the card's words are approved for use (the Review page decides them)."""
    states = {r.state for r in review}
    if states == {"approved"}:
        st.badge("approved", color="green", icon=":material/verified:")
    elif "rejected" in states:
        st.badge("rejected in review", color="red", help="See the Review page.")
    else:
        st.badge(
            "draft: not approved",
            color="gray",
            help="Record the run and approve its words on the Review page; exports say DRAFT "
            "until then.",
        )


def pack_buttons(segment: SegmentContext, persona: Persona, pack: Pack, *, holds: str) -> None:
    """The segment's campaign pack for marketers and its audience file, made when clicked, and
    what that file holds."""
    with st.container(horizontal=True):
        for kind, button, mime, icon in PACK_DOWNLOADS:
            st.download_button(
                button,
                data=partial(pack, persona, kind),  # made only when clicked
                file_name=pack_file_name(segment.id, kind),
                mime=mime,
                key=f"pack_{kind}_{segment.id}",
                on_click="ignore",
                icon=icon,
            )
    if holds:
        st.caption(plain_markdown(holds))


def details(segment: SegmentContext, persona: Persona, cited: dict[str, list[Cited]]) -> None:
    """What a card keeps for those who ask: rules, risk notes and the persona's other lines."""
    if segment.rules:
        precision = (
            f" ({segment.rule_precision:.0%} of customers matching them are in this segment)"
            if segment.rule_precision is not None
            else ""
        )
        st.markdown(
            f"**Rules**{precision}\n"
            + "\n".join(f"- {plain_markdown(rule)}" for rule in segment.rules)
        )
    sections = (
        ("Risk notes", [f"{p.name}: {p.risk_notes}" for p in persona.products]),
        ("Traits", [c.text for c in cited["traits"]]),
        ("Needs", [c.text for c in cited["needs"]]),
        ("Channels", persona.channels),
        ("Messages", persona.messages),
    )
    for title, lines in sections:
        if lines:
            items = "\n".join(f"- {plain_markdown(line)}" for line in lines)
            st.markdown(f"**{title}**\n{items}")


def cards(
    context: RunContext,
    shown: LLMPersonas,
    run: Segmentation,
    domain: tuple[float, float],
    key: state.RunKey,
    reviewed: state.Reviewed,
    audience: AudienceFiles,
) -> None:
    """A card per segment, one a row; while a batch runs, each card as its answer arrives."""
    batch = running(key)
    personas, label, waiting = shown.personas, shown.label, set[int]()
    by_id = {s.id: s for s in run.profile.segments}
    shelf = state.shelf()
    asked, endpoint = (batch.model, batch.endpoint) if batch else (shown.asked, shown.endpoint)

    def pack(persona: Persona, kind: PackFile) -> bytes:
        made = pack_file(
            run, persona, kind, narratives=asked, shelf=shelf, endpoint=endpoint,
            carried=audience.carried, consent=audience.choice.consent,
            review=reviewed.lookup, review_run=reviewed.run_id,
        )  # fmt: skip
        name = pack_file_name(persona.segment_id, kind)
        return state.handed_out(reviewed, made, file_name=name)

    if batch is not None:
        if batch.future.done():
            st.rerun()  # file the batch's personas and redraw the controls
        arrived = dict(batch.arrived)
        personas = [arrived.get(p.segment_id, p) for p in personas]
        label = batch.model
        waiting = {s.id for s in context.segments if s.id not in arrived and not s.coarse}
        done = sum(1 for s in context.segments if s.id in arrived and not s.coarse)
        st.progress(
            done / max(1, batch.described),
            text=f"Asking {batch.model}: {done} of {batch.described} segments done; each "
            "card changes as its answer arrives (or its check fails, when it stays rule-based).",
        )
    states = reviews_of(personas, reviewed.lookup)
    for segment, persona in zip(context.segments, personas, strict=True):
        persona_card(
            segment,
            by_id[segment.id],
            persona,
            label,
            domain=domain,
            waiting=segment.id in waiting,
            pack=pack,
            holds=audience_sentence(
                persona,
                shelf,
                carry=audience.choice.carry,
                consent=audience.choice.consent,
                choosable=audience.choosable,
            ),
            review=states.get(segment.id, ()),
        )


inputs = state.current()
if (run := state.current_run(inputs)) is None:
    st.stop()
widgets.summary(run.profile)
context = build_context(run.profile)
widgets.verdict_box(context, inputs.key)
shown = personas_for(inputs.key, context)  # first: files a batch that has ended
llm_controls(context, inputs.settings, inputs.key)
if shown.note:
    st.warning(plain_markdown(f"Narratives: {shown.label}. {capitalize_first(shown.note)}."))
if said := usage(shown, inputs.settings.price):
    st.caption(plain_markdown(said))
# The audience files carry the columns and respect the consent column chosen on the Export
# page, as its lists do; a choice that cannot be used is said once, and left out.
choice = state.audience_choice(inputs)
try:
    carried = state.chosen_columns(inputs, choice)
except InputError as error:
    st.warning(
        "The audience files below leave out the columns chosen on the Export page: "
        + plain_markdown(str(error))
    )
    choice, carried = state.AudienceChoice(), None
audience = AudienceFiles(choice, carried, bool(inputs.loaded.report.ignored_columns))
# While a batch runs, the cards alone are redrawn every second (a fragment), not the page.
# One effect-size scale for every card, so bars can be compared across segments.
domain = charts.effect_domain(run.profile)
st.fragment(cards, run_every=1.0 if running(inputs.key) else None)(
    context, shown, run, domain, inputs.key, state.reviewed(run), audience
)
st.caption(state.shelf().disclaimer)
