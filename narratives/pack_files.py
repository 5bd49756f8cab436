"""Campaign packs as files: `segmenter brief RUN_DIR --segment ID --out pack.pdf|pack.html`,
and the app's downloads of the same from a run in memory.

Beside the pack goes `<name>-audience.csv` (pack.pdf -> pack-audience.csv): the group's
customers as `narratives.audiences` writes a segment's CRM audience, so the packs of two
segments in one folder keep their own lists. The app's files are written by the same function
from the run's files in a temporary folder: what `segmenter brief --segment` writes, audit
hashes included.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from narratives.audiences import (
    assignments_path,
    audience_table,
    join_carried,
    read_assignments,
)
from narratives.brief import read_run, run_audit
from narratives.context import MIN_SEGMENT_SIZE, build_context
from narratives.export import FixedPersonas
from narratives.pack import Pack, campaign_pack, pack_html, segment_of
from narratives.pack_text import PackAudience
from narratives.personas import Persona, PersonaWriter, authorship
from narratives.review import ReviewLookup, review_hint, reviews_of
from narratives.shelf import Shelf
from segmenter.errors import InputError
from segmenter.files import csv_bytes, write_all
from segmenter.ingest.quality import CarriedColumns
from segmenter.pipeline import Segmentation, write_segmentation

__all__ = [
    "PACK_SUFFIXES",
    "PackDownload",
    "PackFile",
    "audience_path",
    "pack_file",
    "pack_file_name",
    "write_pack",
]

PACK_SUFFIXES = (".pdf", ".html")
PackFile = Literal["pdf", "html", "csv"]  # the pack as PDF or HTML, or its audience file


def audience_path(out: Path) -> Path:
    """Where a pack's audience file goes: beside it, named after it (pack.pdf ->
    pack-audience.csv), so the packs of two segments in one folder keep their own lists."""
    return out.with_name(f"{out.stem}-audience.csv")


def write_pack(
    run_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    segment: int,
    writer: PersonaWriter,
    shelf: Shelf,
    min_size: int = MIN_SEGMENT_SIZE,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    carried: CarriedColumns | None = None,
    consent: str | None = None,
    review: ReviewLookup | None = None,
    review_run: int | None = None,
) -> Pack:
    """Write the campaign pack of one segment to `out` (.pdf or .html) and its audience file
    beside it (`audience_path`); only that segment's persona is asked for.

    `carried` and `consent` shape the audience file as they do the brief's
    (narratives.audiences.audience_table). `review` finds the decisions already made on the
    persona's words in the workspace's run `review_run` (narratives.review); without it the
    pack is a draft.
    """
    from narratives.pack_pdf import pack_pdf  # fpdf2 takes a second to import: PDFs only

    run_dir, out = Path(run_dir), Path(out)
    if out.suffix.lower() not in PACK_SUFFIXES:
        raise InputError(f"{out}: a campaign pack is a .pdf or an .html file")
    profiles = run_dir / "profiles.json"
    run = read_run(profiles)
    context = build_context(run, min_size=min_size)
    chosen = segment_of(context, segment)
    frame = read_assignments(assignments_path(run_dir))
    join_carried(frame, carried, consent=consent)  # bad input refused before any LLM call
    (persona,) = writer.write(context.model_copy(update={"segments": (chosen,)}))
    credit = authorship([persona], model=writer.label, endpoint=writer.endpoint)
    reviews = reviews_of([persona], review)
    audiences = audience_table(
        frame, context, [persona], shelf=shelf, carried=carried, consent=consent,
        segments=[chosen.id],
    )  # fmt: skip
    listed = audiences.segment(chosen.id)
    audit = run_audit(
        run_dir,
        shelf=shelf,
        model=credit.model,
        tokens_in=persona.tokens_in,
        tokens_out=persona.tokens_out,
    )
    pack = campaign_pack(
        context,
        next(s for s in run.segments if s.id == chosen.id),
        persona,
        shelf=shelf,
        audit=audit,
        narratives=credit.label,
        note=credit.note,
        generated_at=clock(),
        audience=PackAudience(
            file=audience_path(out).name,
            customers=listed.height,
            left_out=audiences.left_out.get(chosen.id, 0),
            consent=consent if chosen.id in audiences.left_out else None,
        ),
        review=reviews.get(chosen.id, ()),
        review_hint=review_hint(review_run),
    )
    content = pack_pdf(pack) if out.suffix.lower() == ".pdf" else pack_html(pack).encode("utf-8")
    write_all({out: content, audience_path(out): csv_bytes(listed)})  # both, or neither
    return pack


def pack_file_name(segment_id: int, kind: PackFile) -> str:
    """The download's file name: campaign-pack-segment-0.pdf, ...-segment-0-audience.csv."""
    name = Path(f"campaign-pack-segment-{segment_id}.{'html' if kind == 'html' else 'pdf'}")
    return (audience_path(name) if kind == "csv" else name).name


@dataclass(frozen=True)
class PackDownload:
    """A pack file made for a download, and the pack it was made from (for the record)."""

    content: bytes
    pack: Pack


def pack_file(
    run: Segmentation,
    persona: Persona,
    kind: PackFile,
    *,
    narratives: str,
    shelf: Shelf,
    endpoint: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    carried: CarriedColumns | None = None,
    consent: str | None = None,
    review: ReviewLookup | None = None,
    review_run: int | None = None,
) -> PackDownload:
    """The campaign pack of `persona`'s segment (PDF or HTML), or its audience file (CSV).

    `narratives` is the writer that was asked for the persona (a model, or rule-based), which
    the pack credits only where it wrote the persona. `carried`, `consent`, `review` and
    `review_run` as for `write_pack`: the pack and its audience file agree.
    """
    writer = FixedPersonas([persona], label=narratives, endpoint=endpoint)
    with tempfile.TemporaryDirectory(prefix="segmenter-pack-") as tmp:
        root = Path(tmp)
        write_segmentation(run, root)
        out = root / pack_file_name(persona.segment_id, "html" if kind == "csv" else kind)
        pack = write_pack(
            root, out, segment=persona.segment_id, writer=writer, shelf=shelf, clock=clock,
            carried=carried, consent=consent, review=review, review_run=review_run,
        )  # fmt: skip
        return PackDownload((audience_path(out) if kind == "csv" else out).read_bytes(), pack)
