"""The campaign pack's appendix, for analysts: how the group was found and how firm it is, its
figures, how the products were matched, where the persona's figures come from, and the audit.

The wording of the statistics is the brief's own (`prompts/_badge.j2`).
"""

from __future__ import annotations

from datetime import datetime

from narratives.brief import Audit
from narratives.context import RunContext, SegmentContext
from narratives.pack_text import Block, Line, Part
from narratives.personas import Persona
from narratives.templates import render_lines, signed
from segmenter.cluster.titles import algorithm_title
from segmenter.explain.formats import fmt, metric_text

__all__ = ["appendix"]

_BADGE = "_badge.j2"


def _lines(*texts: str) -> tuple[Line, ...]:
    return tuple(Line(text=t) for t in texts if t)


def _method(run: RunContext, s: SegmentContext) -> Part:
    said = [
        f"A {algorithm_title(run.algorithm)} segmentation of {fmt(run.n_customers, 'count')} "
        f"customers into "
        f"{run.k} segments (the book).",
        *render_lines(_BADGE, "separation", run),
        run.verdict.sentence,
    ]
    if run.stability_ari is not None:
        said.append(
            "Refitting on bootstrap resamples reproduces the segmentation with an adjusted Rand "
            f"index of {metric_text('stability_ari', run.stability_ari)}."
        )
    blocks = [Block(kind="text", lines=_lines(*said))]
    firm = render_lines(_BADGE, "confidence", s, run)
    if s.confidence.level != "high":  # the sentence gives reasons; here are the figures
        firm.append(
            f"Silhouette of the segment: {metric_text('silhouette', s.silhouette)}; bootstrap "
            f"agreement (Jaccard): {fmt(s.stability, 'share')}."
        )
    blocks.append(Block(kind="list", title="This segment", lines=_lines(*firm)))
    if s.rules:
        precision = (
            f" ({fmt(s.rule_precision, 'share')} of customers matching them are in this segment)"
            if s.rule_precision is not None
            else ""
        )
        blocks.append(Block(kind="list", title=f"Rules{precision}", lines=_lines(*s.rules)))
    if s.facts:
        facts = tuple(
            Line(
                lead=f.label,
                text=f"segment {f.stat} {fmt(f.value, f.kind)}, book {f.stat} "
                f"{fmt(f.book, f.kind)}; effect size {signed(f.effect_size)}",
            )
            for f in s.facts
        )
        blocks.append(Block(kind="list", title="Key figures", lines=facts))
    return Part(title="How this segment was found", blocks=tuple(blocks))


def _persona(persona: Persona, *, narratives: str, note: str | None) -> Part:
    cited, notes = persona.footnoted()
    products = tuple(
        Line(
            lead=r.name,
            text="; ".join(render_lines(_BADGE, "evidence", e)[0] for e in r.evidence)
            + f". {cited['products'][i].text}",
        )
        for i, r in enumerate(persona.products)
    )
    said = [f"Narratives: {narratives}." + (f" {note[:1].upper()}{note[1:]}." if note else "")]
    said += render_lines(_BADGE, "source", persona)
    blocks = [
        Block(kind="text", lines=_lines(*said)),
        Block(kind="list", title="Summary and traits as written, figures marked",
              lines=_lines(*(c.text for c in (*cited["summary"], *cited["traits"])))),
    ]  # fmt: skip
    if products:
        blocks.append(Block(kind="list", title="Shelf rules met", lines=products))
    if notes:
        numbered = tuple(Line(lead=f"[{i}]", text=n) for i, n in enumerate(notes, 1))
        blocks.append(Block(kind="list", title="Where the figures come from", lines=numbered))
    return Part(title="The persona and its sources", blocks=tuple(blocks))


def _audit(audit: Audit, *, generated_at: datetime, audience: str | None) -> Part:
    hashes = (
        ("Profiles (profiles.json) SHA-256", audit.profiles_sha256),
        ("Assignments (assignments.csv) SHA-256", audit.assignments_sha256),
        ("Segmentation model SHA-256", audit.segmentation_model_sha256 or "not in the run"),
        ("Templates SHA-256", audit.templates_sha256),
        ("Product shelf SHA-256", audit.shelf_sha256),
        ("Vocabulary SHA-256", audit.vocabulary_sha256),
    )
    lines = [Line(lead="Generated", text=generated_at.strftime("%Y-%m-%d %H:%M UTC"))]
    if audience:
        lines.append(Line(lead="Audience file", text=audience))
    lines += [Line(lead=lead, text=value) for lead, value in hashes]
    lines.append(Line(lead="Narratives model", text=audit.narratives_model or "none (rule-based)"))
    if audit.llm_tokens_in or audit.llm_tokens_out:
        lines.append(
            Line(
                lead="LLM tokens",
                text=f"{fmt(audit.llm_tokens_in, 'count')} in, "
                f"{fmt(audit.llm_tokens_out, 'count')} out",
            )
        )
    return Part(title="Audit", blocks=(Block(kind="fine", lines=tuple(lines)),))


def appendix(
    run: RunContext,
    segment: SegmentContext,
    persona: Persona,
    *,
    narratives: str,
    note: str | None,
    audit: Audit,
    generated_at: datetime,
    audience: str | None,
) -> tuple[Part, ...]:
    """The appendix's sections: method and firmness, the persona's sources, the audit."""
    return (
        _method(run, segment),
        _persona(persona, narratives=narratives, note=note),
        _audit(audit, generated_at=generated_at, audience=audience),
    )
