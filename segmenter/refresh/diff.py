"""What changed in the segments and personas from the previous run, in plain sentences."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from segmenter.refresh.match import Fate, Matching, SegmentMatch, Status
from segmenter.results import Distinction, RunProfile, SegmentProfile

__all__ = ["RunDiff", "SegmentChange", "persona_diff"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SegmentChange(_Frozen):
    """One segment of the refreshed run against what it was (nothing, if it is new)."""

    id: int  # its id in the refreshed run
    name: str
    status: Status
    previous: list[int]  # see SegmentMatch.previous
    size: int
    share: float
    previous_size: int | None  # of its matched or parent segment
    previous_share: float | None
    fitted_name: str  # what the new figures name it; differs from `name` when a name is kept
    title: str | None  # the persona title the new figures give it
    previous_title: str | None
    appeared: list[str]  # matched: distinctions it has now and had not, e.g. "high cash advance"
    disappeared: list[str]
    sentences: list[str]


class RunDiff(_Frozen):
    """Every segment of the refreshed run, and every previous segment that is no more."""

    segments: list[SegmentChange]  # by id
    gone: list[str]  # sentences on previous segments retired, merged away or split
    sentences: list[str]  # all of it, segments first


def persona_diff(previous: RunProfile, current: RunProfile, matching: Matching) -> RunDiff:
    """Compare the `previous` run with the `current` one as fitted (before `relabel_run`)."""
    ids = sorted(s.id for s in current.segments if not s.is_noise)
    if ids != sorted(m.segment for m in matching.segments):
        raise ValueError("the matching is not of this run's segments: pass it as fitted")
    before = {s.id: s for s in previous.segments}
    now = {s.id: s for s in current.segments}
    changes = [
        _change(m, now[m.segment], before)
        for m in sorted(matching.segments, key=lambda m: m.final_id)
    ]
    gone = [_gone(f.segment, f.status, f.successors, before) for f in matching.previous]
    gone_text = [g for g in gone if g]
    return RunDiff(
        segments=changes,
        gone=gone_text,
        sentences=[s for c in changes for s in c.sentences] + gone_text,
    )


def _change(
    match: SegmentMatch, segment: SegmentProfile, before: dict[int, SegmentProfile]
) -> SegmentChange:
    was = before.get(match.previous[0]) if match.previous else None
    same = match.status == "matched" and was is not None
    appeared, disappeared = _distinctions(segment, was) if same and was else ([], [])
    head = f"Segment {match.final_id}, {match.name}"
    size = f"{segment.size:,} customers ({segment.share:.1%})"
    sentences = []
    if match.status == "matched" and was is not None:
        sentences.append(f"{head}: {was.size:,} customers ({was.share:.1%}) last run, {size} now.")
        if match.fitted_name != match.name:
            sentences.append(
                f"Its figures would now name it {match.fitted_name!r}; it keeps its name."
            )
    elif match.status == "split" and was is not None:
        sentences.append(
            f"{head}, split from segment {was.id} ({was.name}): {size}, "
            f"{match.share_from or 0:.0%} of them from there."
        )
    elif match.status == "merged":
        sentences.append(f"{head}, merging segments {_and(match.previous, before)}: {size}.")
    else:
        sentences.append(f"{head} is new: {size}.")
    if match.status == "matched" and len(match.previous) > 1:
        sentences.append(f"It took in most of segment {_and(match.previous[1:], before)}.")
    if same and was and was.title and segment.title and was.title != segment.title:
        sentences.append(f"Its persona would now read {segment.title!r} (was {was.title!r}).")
    if appeared:
        sentences.append(f"Newly sets it apart: {', '.join(appeared)}.")
    if disappeared:
        sentences.append(f"No longer sets it apart: {', '.join(disappeared)}.")
    return SegmentChange(
        id=match.final_id,
        name=match.name,
        status=match.status,
        previous=match.previous,
        size=segment.size,
        share=segment.share,
        previous_size=None if was is None else was.size,
        previous_share=None if was is None else was.share,
        fitted_name=match.fitted_name,
        title=segment.title,
        previous_title=None if was is None else was.title,
        appeared=appeared,
        disappeared=disappeared,
        sentences=sentences,
    )


def _distinctions(now: SegmentProfile, was: SegmentProfile) -> tuple[list[str], list[str]]:
    """Distinctions gained and lost, as "high cash advance"; a reversed one is in both."""
    mine, theirs = _phrases(now.distinctions), _phrases(was.distinctions)
    return [p for p in mine if p not in theirs], [p for p in theirs if p not in mine]


def _phrases(distinctions: list[Distinction]) -> list[str]:
    return [f"{d.direction} {d.label}" for d in distinctions]


def _gone(
    segment: int, status: Fate, successors: list[int], before: dict[int, SegmentProfile]
) -> str:
    was = before.get(segment)
    head = f"Segment {segment}, {was.name if was else 'unknown'}"
    size = f" ({was.size:,} customers last run)" if was else ""
    if status == "retired":
        return f"{head}{size} is retired: no segment now holds most of its customers."
    if status == "merged":
        return f"{head}{size} merged into segment {successors[0]}."
    if status == "split":
        return f"{head}{size} split into segments {_and(successors, {})}."
    return ""


def _and(ids: list[int], before: dict[int, SegmentProfile]) -> str:
    named = [f"{i} ({before[i].name})" if i in before else str(i) for i in ids]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
