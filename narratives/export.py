"""Everything a marketer takes away from a run, as in-memory files, and one ZIP of them all.

The files are written by the same functions as the command line (`write_segmentation`, then
`write_brief`), so an export from the app is byte-for-byte what `segmenter segment` and
`segmenter brief` would write, personas included.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from narratives.brief import render_brief, write_brief
from narratives.context import RunContext
from narratives.personas import Persona
from narratives.review import ReviewLookup
from narratives.shelf import Shelf
from narratives.usage import Price
from segmenter.ingest.quality import CarriedColumns
from segmenter.pipeline import Segmentation, write_segmentation

__all__ = ["Audience", "ExportFiles", "FixedPersonas", "export_files", "zip_files"]

BRIEF_MD, BRIEF_HTML, BRIEF_JSON = "brief.md", "brief.html", "brief.json"
MODEL, ASSIGNMENTS, PROFILES = "model.skops", "assignments.csv", "profiles.json"


class FixedPersonas:
    """A persona writer that hands back personas already written (e.g. by the LLM, earlier)."""

    def __init__(
        self, personas: Sequence[Persona], *, label: str, endpoint: str | None = None
    ) -> None:
        self._personas = list(personas)
        self._label = label
        self._endpoint = endpoint

    @property
    def label(self) -> str:
        return self._label

    @property
    def endpoint(self) -> str | None:
        return self._endpoint

    def write(self, context: RunContext) -> list[Persona]:
        """The stored personas; they must be those of this context's segments."""
        wanted = [s.id for s in context.segments]
        if [p.segment_id for p in self._personas] != wanted:
            raise ValueError(f"personas are for segments {wanted}, not of this run")
        return self._personas


@dataclass(frozen=True)
class Audience:
    """One segment's customer list in the export: where it is, whose it is, how many it holds."""

    segment_id: int
    segment_name: str
    path: str  # inside the export, e.g. "audiences/segment-0.csv"
    customers: int  # as written, not counted from the lines: a quoted id may hold a newline
    left_out: int = 0  # customers left out for want of marketing consent

    @property
    def file_name(self) -> str:
        """The list's file name, e.g. "segment-0.csv"."""
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ExportFiles:
    """Files by their path inside the export (e.g. "audiences/segment-0.csv") -> content.

    `audiences` describes the customer lists among them, in segment order.
    """

    files: dict[str, bytes]
    audiences: tuple[Audience, ...] = ()
    draft: str | None = None  # the brief's "DRAFT: not approved. ..." line; None: all approved

    def __getitem__(self, path: str) -> bytes:
        return self.files[path]


def export_files(
    run: Segmentation,
    personas: Sequence[Persona],
    *,
    narratives: str,
    shelf: Shelf,
    endpoint: str | None = None,
    price: Price | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    carried: CarriedColumns | None = None,
    consent: str | None = None,
    review: ReviewLookup | None = None,
    review_run: int | None = None,
) -> ExportFiles:
    """The run's files, the brief (Markdown, HTML, JSON) and the audience lists, in memory.

    `carried` and `consent` as for `write_brief`: extra columns of the customer file in the
    audience lists, and a consent column that keeps only consenting customers where needed.
    `review` and `review_run` give the brief its review states, as for `write_brief`.
    """
    with tempfile.TemporaryDirectory(prefix="segmenter-export-") as tmp:
        root = Path(tmp)
        write_segmentation(run, root)
        writer = FixedPersonas(personas, label=narratives, endpoint=endpoint)
        brief = write_brief(
            root,
            root / BRIEF_MD,
            writer=writer,
            shelf=shelf,
            price=price,
            clock=clock,
            carried=carried,
            consent=consent,
            review=review,
            review_run=review_run,
        )
        (root / BRIEF_HTML).write_text(render_brief(brief, suffix=".html"), encoding="utf-8")
        paths = sorted(p for p in root.rglob("*") if p.is_file())
        files = {p.relative_to(root).as_posix(): p.read_bytes() for p in paths}
    audiences = tuple(
        Audience(
            segment_id=s.segment.id,
            segment_name=s.segment.name,
            path=s.audience_file,
            customers=s.audience_size,
            left_out=s.audience_left_out,
        )
        for s in brief.sections
        if s.audience_file is not None and s.audience_size is not None
    )
    return ExportFiles(files, audiences, brief.draft)


def zip_files(files: ExportFiles, *, folder: str = "campaign") -> bytes:
    """One ZIP of every file, under `folder/`, with fixed timestamps (same files, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(files.files.items()):
            info = zipfile.ZipInfo(f"{folder}/{path}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()
