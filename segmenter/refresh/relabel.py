"""A new run renumbered and renamed after its match to the previous run, ready to be written.

The refreshed run is the new run with only identities changed: every customer keeps their
segment, every figure (sizes, shares, statistics, rules, metrics, confidences) stays; each
segment takes its final id (matching.SegmentMatch), matched segments take the previous name
and persona title, the others keep their own (made unique), and every reference to a segment
id follows it. Noise (-1, "Unassigned") is left as it is.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from segmenter.model.fitted import SegmentModel
from segmenter.pipeline import Segmentation
from segmenter.refresh.match import Matching
from segmenter.results import RunProfile, SegmentProfile

__all__ = ["relabel_run"]

NOISE = -1


def relabel_run(run: Segmentation, matching: Matching, previous: RunProfile) -> Segmentation:
    """The new `run` with the ids, names and titles of `matching` (made on this very run).

    What changes: `labels` (segment id -> final id); the model's `label_map` (raw label ->
    final id), `names` (final id -> name, ascending ids, noise last) and `centres` (rows in
    ascending final id: row r is the r-th smallest id, which is row = id whenever the ids are
    0..k-1); the profile's segments (id, name, title, contrast.other), listed by ascending id
    with noise last. Titles of matched segments come from `previous`. Ids keep their meaning
    rather than their order: they need not follow size, nor run 0..k-1.
    """
    fitted = sorted(s for s in run.model.names if s != NOISE)
    if sorted(m.segment for m in matching.segments) != fitted:
        raise ValueError(
            f"the matching is of segments {sorted(m.segment for m in matching.segments)}, "
            f"this run has {fitted}"
        )
    final = matching.final_ids()
    titles = _titles(run.profile, matching, previous)
    order = sorted(fitted, key=lambda s: final[s])
    names = {final[m.segment]: m.name for m in matching.segments}
    noise = {NOISE: run.model.names[NOISE]} if NOISE in run.model.names else {}
    model = SegmentModel(
        algorithm=run.model.algorithm,
        pipeline=run.model.pipeline,
        label_map={raw: final[sid] for raw, sid in run.model.label_map.items()},
        names={final[s]: names[final[s]] for s in order} | noise,
        centres=run.model.centres[[fitted.index(s) for s in order]],
    )
    segments = sorted(
        (_relabelled(s, final, names, titles) for s in run.profile.segments),
        key=lambda s: (s.is_noise, s.id),
    )
    lookup = np.array([final[s] for s in fitted], dtype=np.int64)
    position = np.searchsorted(np.array(fitted, dtype=np.int64), np.clip(run.labels, 0, None))
    labels = np.where(run.labels == NOISE, NOISE, lookup[np.clip(position, 0, len(fitted) - 1)])
    return replace(
        run,
        labels=labels.astype(run.labels.dtype),
        model=model,
        profile=run.profile.model_copy(update={"segments": segments}),
    )


def _titles(current: RunProfile, matching: Matching, previous: RunProfile) -> dict[int, str]:
    """Final id -> persona title: the previous one when matched, else its own, made unique."""
    before = {s.id: s.title or s.name for s in previous.segments}
    own = {s.id: s.title or s.name for s in current.segments}
    titles = {
        m.final_id: before.get(m.final_id, m.name)
        for m in matching.segments
        if m.status == "matched"
    }
    taken = set(titles.values())
    for m in matching.segments:
        if m.status == "matched":
            continue
        title = re.sub(rf"\bsegment {m.segment}\b", f"segment {m.final_id}", own[m.segment])
        titles[m.final_id] = title if title not in taken else f"{title}, segment {m.final_id}"
        taken.add(titles[m.final_id])
    return titles


def _relabelled(
    segment: SegmentProfile, final: dict[int, int], names: dict[int, str], titles: dict[int, str]
) -> SegmentProfile:
    """A segment's profile under its final id, name and title; noise as it is."""
    if segment.is_noise:
        return segment
    sid = final[segment.id]
    contrast = segment.contrast
    if contrast is not None:
        contrast = contrast.model_copy(update={"other": final[contrast.other]})
    return segment.model_copy(
        update={"id": sid, "name": names[sid], "title": titles[sid], "contrast": contrast}
    )
