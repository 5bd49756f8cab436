"""Campaign packs of the hand-built run (`narratives_fixtures`), at a fixed time and audit."""

from __future__ import annotations

from datetime import UTC, datetime

from narratives.brief import Audit
from narratives.context import build_context
from narratives.pack import Pack, campaign_pack
from narratives.personas import Persona
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from segmenter.results import RunProfile
from testkit.narratives_fixtures import run_profile

__all__ = ["AUDIT", "IMAGES", "WHEN", "pack_of"]

WHEN = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)
AUDIT = Audit(
    profiles_sha256="1" * 64,
    assignments_sha256="2" * 64,
    segmentation_model_sha256=None,
    templates_sha256="3" * 64,
    shelf_sha256="4" * 64,
    narratives_model=None,
)
# Stand-ins for the charts in the HTML: the template's tests need no chart drawn.
IMAGES = {"apart": "data:image/png;base64,AAAA", "versus": "data:image/png;base64,BBBB"}


def pack_of(
    shelf: Shelf, segment: int, run: RunProfile | None = None, persona: Persona | None = None
) -> Pack:
    """The pack of one segment of the fixture run, with its rule-based persona by default."""
    run = run or run_profile()
    context = build_context(run)
    index = [s.id for s in context.segments].index(segment)
    persona = persona or RuleBasedWriter(shelf).write(context)[index]
    profile = next(s for s in run.segments if s.id == segment)
    return campaign_pack(
        context, profile, persona, shelf=shelf, audit=AUDIT, narratives="rule-based",
        generated_at=WHEN,
    )  # fmt: skip
