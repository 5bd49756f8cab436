"""Segment names and persona titles from the vocabulary's archetypes: unique, and always true.

A segment bears an archetype only when every condition of it holds for the segment. The best
fitting segment keeps an archetype; another segment that fits it takes its next archetype, and
when it has none left, both bear the archetype qualified by the measure that separates them
most ("Cash-advance revolvers, higher balance"). Segments that fit no archetype are named by
what sets them apart. Same profiles, same names.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from segmenter.explain.facts import stat_fact
from segmenter.explain.verdict import DOMINANT_SHARE
from segmenter.explain.vocabulary import Archetype, Signals, Vocabulary, default_vocabulary
from segmenter.results import Contrast, SegmentProfile

__all__ = ["DOMINANT_NAME", "NOISE_NAME", "assign_names", "fallback_names", "signals"]

NOISE_NAME = "Unassigned"  # the one label of customers a density method left in no segment
# A segment holding most of the book is measured against a small remainder: its effect sizes
# describe the others, so it bears no archetype.
DOMINANT_NAME = "Most of the book"


def signals(profile: SegmentProfile) -> Signals:
    """Effect sizes and purchase-type shares of a profile, as archetypes read them."""
    return Signals(
        effect_sizes={s.feature: s.effect_size for s in profile.stats},
        shares=dict(profile.purchase_type),
    )


def fallback_names(profile: SegmentProfile) -> list[str]:
    """Descriptive names from the top distinctions: "High X, low Y", best pairing first.

    Only distinctions a reader can see in the figures count (segmenter.explain.facts).
    """
    stats = {s.feature: s for s in profile.stats}
    plain = [d for d in profile.distinctions if d.feature in stats and stat_fact(stats[d.feature])]
    highs = [d.label for d in plain if d.direction == "high"]
    lows = [d.label for d in plain if d.direction == "low"]
    names = [f"High {h}, low {lo}" for h in highs for lo in lows]
    names += [f"High {h}" for h in highs] + [f"Low {lo}" for lo in lows]
    names += [f"High {a} and {b}" for i, a in enumerate(highs) for b in highs[i + 1 :]]
    names += [f"Low {a} and {b}" for i, a in enumerate(lows) for b in lows[i + 1 :]]
    return names or ["Typical customers"]


def assign_names(
    profiles: list[SegmentProfile], vocabulary: Vocabulary | None = None
) -> list[SegmentProfile]:
    """Every profile with a unique name and title, its archetype and, if shared, its contrast."""
    vocabulary = vocabulary or default_vocabulary()
    dominant = [p for p in profiles if not p.is_noise and p.share > DOMINANT_SHARE]
    segments = [p for p in profiles if not p.is_noise and p not in dominant]
    sig = {p.id: signals(p) for p in segments}
    # Best fits first; ties go to the larger segment (lower id), then to the earlier archetype.
    fits = sorted(
        (-a.score(sig[p.id]), p.id, r, a.id)
        for p in segments
        for r, a in enumerate(vocabulary.archetypes)
        if a.holds(sig[p.id])
    )
    owner: dict[int, str] = {}
    for _, sid, _, aid in fits:
        if sid not in owner and aid not in owner.values():
            owner[sid] = aid
    groups: dict[str, list[int]] = defaultdict(list)
    for sid, aid in owner.items():
        groups[aid].append(sid)
    for _, sid, _, aid in fits:  # no archetype left: share the best one it fits
        if sid not in owner:
            owner[sid] = aid
            groups[aid].append(sid)
    by_id = {p.id: p for p in segments}
    updates: dict[int, dict[str, object]] = {}
    for aid, members in groups.items():
        archetype = vocabulary.archetype(aid)
        assert archetype is not None
        updates |= _qualified(archetype, [by_id[m] for m in sorted(members)])
    taken = {str(u["name"]) for u in updates.values()} | {NOISE_NAME}
    for p in segments:  # by id: segments that fit no archetype get a descriptive name
        if p.id not in updates:
            free = [n for n in fallback_names(p) if n not in taken]
            name = free[0] if free else f"Segment {p.id}"
            taken.add(name)
            updates[p.id] = {"name": name, "title": name, "archetype": None, "contrast": None}
    for p in dominant:
        updates[p.id] = {"name": DOMINANT_NAME, "title": DOMINANT_NAME, "archetype": None}
    noise = {"name": NOISE_NAME, "title": NOISE_NAME, "archetype": None, "contrast": None}
    return [p.model_copy(update=noise if p.is_noise else updates[p.id]) for p in profiles]


def _qualified(archetype: Archetype, members: list[SegmentProfile]) -> dict[int, dict[str, object]]:
    """Names of the segments bearing one archetype; several are told apart by a measure."""
    if len(members) == 1:
        only = members[0].id
        return {
            only: {
                "name": archetype.name,
                "title": archetype.title,
                "archetype": archetype.id,
                "contrast": None,
            }
        }
    effects = {p.id: {s.feature: s.effect_size for s in p.stats} for p in members}
    labels = {s.feature: s.label for p in members for s in p.stats}
    result: dict[int, dict[str, object]] = {}
    used: set[str] = set()
    for p in members:
        others = [q for q in members if q.id != p.id]
        # The measure on which this segment differs most from the others bearing the archetype.
        ranked = sorted(
            (
                -abs(d - sum(effects[q.id].get(f, 0.0) for q in others) / len(others)),
                f,
                max(others, key=lambda q: (abs(d - effects[q.id].get(f, 0.0)), -q.id)).id,
            )
            for f, d in effects[p.id].items()
        )
        contrast: Contrast | None = None
        for _, feature, other in ranked:
            mine, theirs = effects[p.id][feature], effects[other].get(feature, 0.0)
            if mine == theirs:  # no difference: neither "higher" nor "lower" would be true
                continue
            qualifier = f"{'higher' if mine > theirs else 'lower'} {labels[feature]}"
            if qualifier not in used:
                direction: Literal["high", "low"] = "high" if mine > theirs else "low"
                contrast = Contrast(other=other, feature=feature, direction=direction)
                break
        else:  # no measure tells it apart that another member has not taken: the id does
            qualifier = f"segment {p.id}"
        used.add(qualifier)
        result[p.id] = {
            "name": f"{archetype.name}, {qualifier}",
            "title": f"{archetype.title}, {qualifier}",
            "archetype": archetype.id,
            "contrast": contrast,
        }
    return result
