"""The campaign brief of a run: Markdown or HTML, with brief.json and audience lists beside it."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from narratives.audiences import (
    assignments_path,
    audience_table,
    join_carried,
    read_assignments,
    write_audiences,
)
from narratives.context import MIN_SEGMENT_SIZE, RunContext, SegmentContext, build_context
from narratives.personas import Persona, PersonaWriter, authorship, fell_back
from narratives.review import (
    DRAFT_MARK,
    ItemReview,
    ReviewLookup,
    draft_line,
    review_hint,
    reviews_of,
)
from narratives.shelf import Shelf
from narratives.templates import render, templates_hash
from narratives.usage import Price
from segmenter.errors import InputError
from segmenter.explain.vocabulary import default_vocabulary
from segmenter.files import write_all
from segmenter.ingest.quality import CarriedColumns
from segmenter.results import RunProfile
from segmenter.workspace.runs import SPARK_MANIFEST, SPARK_MODEL_DIR, path_sha256, spark_archive

__all__ = [
    "BRIEF_TEMPLATES",
    "Audit",
    "Brief",
    "Section",
    "read_run",
    "render_brief",
    "run_audit",
    "write_brief",
]

BRIEF_TEMPLATES = {".md": "brief.md.j2", ".html": "brief.html.j2"}


class Audit(BaseModel):
    """What produced a brief, for audit: hashes of inputs, templates, shelf and models."""

    model_config = ConfigDict(frozen=True)

    profiles_sha256: str
    assignments_sha256: str
    segmentation_model_sha256: str | None  # model.skops, or a Spark run's `spark_archive`
    templates_sha256: str
    shelf_sha256: str
    vocabulary_sha256: str = ""  # segmenter/vocabulary.toml: names, titles, needs, channels
    narratives_model: str | None  # the LLM's name; None for rule-based narratives
    llm_tokens_in: int = 0  # summed from the answers' `usage`, every segment and attempt
    llm_tokens_out: int = 0
    llm_price: str | None = None  # the price setting the cost was estimated at
    llm_estimated_cost: float | None = None
    llm_cost_currency: str | None = None


class Section(BaseModel):
    """One segment of the brief: what is known, the persona, and its audience list."""

    model_config = ConfigDict(frozen=True)

    segment: SegmentContext
    persona: Persona
    audience_file: str | None
    audience_size: int | None
    audience_left_out: int = 0  # customers left out of the audience for want of consent
    sources: tuple[str, ...] = ()  # where the persona's figures come from: note [n] is n-1
    review: tuple[ItemReview, ...] = ()  # the persona's, then each product's (narratives.review)

    def reviewed(self, product_id: str | None = None) -> ItemReview | None:
        """The review state of the persona, or of one product suggestion; None when unknown."""
        key = f"segment {self.segment.id}/" + (
            "persona" if product_id is None else f"product/{product_id}"
        )
        return next((r for r in self.review if r.item_key == key), None)


class Brief(BaseModel):
    """Everything a brief prints; also written as brief.json."""

    model_config = ConfigDict(frozen=True)

    generated_at: datetime
    generation_seconds: float
    narratives: str  # the LLM's model name when it wrote a persona that passed, else "rule-based"
    narratives_note: str | None = None  # what happened to the LLM, when it was asked
    run: RunContext
    sections: tuple[Section, ...]
    disclaimer: str
    audit: Audit
    review_run: int | None = None  # the workspace's run the review states are of

    @property
    def draft(self) -> str | None:
        """The DRAFT line every section carries while any item is not approved; None when none."""
        reviews = [r for s in self.sections for r in s.review]
        hint = review_hint(self.review_run)
        return draft_line(reviews, review_hint=hint) if reviews else f"{DRAFT_MARK}. {hint}"

    @property
    def llm_segments(self) -> int:
        """Segments whose persona the LLM wrote and the checks accepted."""
        return sum(s.persona.source == "llm" for s in self.sections)

    @property
    def fallbacks(self) -> tuple[Section, ...]:
        """Segments the LLM was asked about whose persona fell back to the rules."""
        return tuple(s for s in self.sections if fell_back(s.persona, s.segment))


def render_brief(brief: Brief, *, suffix: str) -> str:
    """The brief as Markdown (.md) or self-contained, escaped HTML (.html)."""
    return render(BRIEF_TEMPLATES[suffix], brief=brief, draft_mark=DRAFT_MARK)


def _sha256(path: Path) -> str | None:
    """A file's or folder's sha256 (`path_sha256`); None when there is neither."""
    return path_sha256(path) if path.exists() else None


def _model_sha256(run_dir: Path) -> str | None:
    """model.skops's sha256; a Spark run's, of its pipeline and manifest as the workspace keeps
    them (`spark_archive`); None when there is neither."""
    if (run_dir / "model.skops").is_file():  # a Spark run removes it: it is this run's
        return _sha256(run_dir / "model.skops")
    if (run_dir / SPARK_MANIFEST).is_file() and (run_dir / SPARK_MODEL_DIR).is_dir():
        return hashlib.sha256(spark_archive(run_dir)).hexdigest()
    return None


def read_run(path: Path) -> RunProfile:
    try:
        run = RunProfile.model_validate_json(path.read_bytes())
    except OSError as error:
        raise InputError(
            f"{path}: cannot be read ({error.strerror}); is it a segment run?"
        ) from error
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise InputError(f"{path}: not a segmentation profile ({where}: {first['msg']})") from error
    if any(s.title is None for s in run.segments):
        # Names of that version came from other rules: its personas would contradict them.
        raise InputError(
            f"{path}: written by an earlier version, without persona titles; run "
            "`segmenter segment` again to name the segments and write the brief"
        )
    return run


def run_audit(
    run_dir: Path,
    *,
    shelf: Shelf,
    model: str | None,
    tokens_in: int,
    tokens_out: int,
    price: Price | None = None,
) -> Audit:
    """What produced a brief or pack of the run in `run_dir`: the hashes of its files, the
    templates, shelf and vocabulary, the LLM and its tokens (priced when `price` is given)."""
    return Audit(
        profiles_sha256=_sha256(run_dir / "profiles.json") or "",
        assignments_sha256=_sha256(assignments_path(run_dir)) or "",
        segmentation_model_sha256=_model_sha256(run_dir),
        templates_sha256=templates_hash(),
        shelf_sha256=shelf.sha256,
        vocabulary_sha256=default_vocabulary().sha256,
        narratives_model=model,
        llm_tokens_in=tokens_in,
        llm_tokens_out=tokens_out,
        # Tokens are paid for whether or not their answers were accepted.
        llm_price=str(price) if price else None,
        llm_estimated_cost=round(price.cost(tokens_in, tokens_out), 8) if price else None,
        llm_cost_currency=price.currency if price else None,
    )


def write_brief(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    writer: PersonaWriter,
    shelf: Shelf,
    min_size: int = MIN_SEGMENT_SIZE,
    price: Price | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    carried: CarriedColumns | None = None,
    consent: str | None = None,
    review: ReviewLookup | None = None,
    review_run: int | None = None,
) -> Brief:
    """Write the brief to `out`, with brief.json and audiences/segment-<id>.csv beside it.

    With a `price`, the audit estimates what the LLM's tokens cost. `carried` columns of the
    customer file go into the audience files, and `consent` (one of them) keeps only consenting
    customers in the audiences of segments offered products that need it (narratives.audiences).
    `review` finds the decisions already made on the same words in the workspace's run
    `review_run`; without it every persona and product suggestion is a draft.
    """
    run_dir, out = Path(run_dir), Path(out)
    suffix = out.suffix.lower()
    if suffix not in BRIEF_TEMPLATES:
        raise InputError(f"{out}: the brief must be a .md or .html file")
    started = time.monotonic()
    profiles = run_dir / "profiles.json"
    context = build_context(read_run(profiles), min_size=min_size)
    assignments = read_assignments(assignments_path(run_dir))
    join_carried(assignments, carried, consent=consent)  # bad input refused before any LLM call
    written = writer.write(context)
    personas = {p.segment_id: p for p in written}
    reviews = reviews_of(written, review)
    credit = authorship(written, model=writer.label, endpoint=writer.endpoint)
    out.parent.mkdir(parents=True, exist_ok=True)
    tokens_in, tokens_out = sum(p.tokens_in for p in written), sum(p.tokens_out for p in written)
    priced = price if tokens_in or tokens_out else None
    audiences = audience_table(
        assignments, context, written, shelf=shelf, carried=carried, consent=consent
    )
    counts = write_audiences(audiences, out.parent / "audiences")
    brief = Brief(
        generated_at=clock(),
        generation_seconds=round(time.monotonic() - started, 2),
        narratives=credit.label,
        narratives_note=credit.note,
        run=context,
        sections=tuple(
            Section(
                segment=s,
                persona=personas[s.id],
                audience_file=f"audiences/segment-{s.id}.csv" if s.id in counts else None,
                audience_size=counts.get(s.id),
                audience_left_out=audiences.left_out.get(s.id, 0),
                sources=tuple(personas[s.id].footnoted()[1]),
                review=reviews.get(s.id, ()),
            )
            for s in context.segments
        ),
        disclaimer=shelf.disclaimer,
        audit=run_audit(
            run_dir,
            shelf=shelf,
            model=credit.model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            price=priced,
        ),
        review_run=review_run,
    )
    # Both rendered before either replaces an old file: no brief.json of one run beside the
    # brief of another, and never half a file (segmenter.files).
    write_all(
        {
            out.parent / "brief.json": brief.model_dump_json(indent=2).encode("utf-8"),
            out: render_brief(brief, suffix=suffix).encode("utf-8"),
        }
    )
    return brief
