"""How far a whole segmentation can be used, in a level and one plain sentence.

A run whose largest segment holds most of the book, or that leaves many customers unassigned,
does not split the customers into segments anyone can act on, however well its few small
segments score: it is never more than "low". Per-segment confidence is capped by this level.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from segmenter.results import RunProfile

__all__ = ["DOMINANT_SHARE", "UNASSIGNED_SHARE", "Verdict", "profile_verdict", "run_verdict"]

Level = Literal["high", "medium", "low"]
DOMINANT_SHARE = 0.6  # the largest segment holds most of the book: one group, not segments
UNASSIGNED_SHARE = 0.3  # this many left in no segment: the segments describe a minority
_LEANING_SHARE, _SOME_UNASSIGNED = 0.45, 0.1
# Bootstrap adjusted Rand index: below 0.6 refits disagree (the k rule's floor); below 0.8
# the segments reproduce only in part.
_UNSTABLE, _PARTLY_STABLE = 0.6, 0.8


class Verdict(BaseModel):
    """The level of a run, the reasons (flags) and the sentence that says what it means."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: Level
    usable: bool
    flags: tuple[str, ...]
    sentence: str
    reasons: tuple[str, ...] = ()  # why the level is not high, as clauses

    @property
    def headline(self) -> str:
        """The verdict as one clause, to follow a colon."""
        return "; ".join(self.reasons) or self.sentence[:1].lower() + self.sentence[1:].rstrip(".")


def run_verdict(
    *, largest_share: float, noise_share: float, stability_ari: float | None, k: int
) -> Verdict:
    """Judge a run from its size balance, unassigned share and bootstrap stability."""
    dominant = largest_share > DOMINANT_SHARE
    unassigned = noise_share > UNASSIGNED_SHARE
    if dominant or unassigned:
        others = {1: "no other", 2: "a small one"}.get(k, f"{k - 1} small ones")
        what = (
            f"one dominant group ({largest_share:.0%} of customers) and {others}"
            if dominant
            else f"{noise_share:.0%} of customers left unassigned"
        )
        headline = f"{what}: this method does not split these customers into usable segments"
        flags = tuple(f for f, hit in (("dominant", dominant), ("unassigned", unassigned)) if hit)
        return Verdict(
            level="low",
            usable=False,
            flags=flags,
            sentence=f"{headline[:1].upper()}{headline[1:]}. Read the segments as a sketch, "
            "not as a basis for campaigns.",
            reasons=(headline,),
        )
    checks = {
        "unstable": stability_ari is not None and stability_ari < _UNSTABLE,
        "partly_stable": stability_ari is not None and _UNSTABLE <= stability_ari < _PARTLY_STABLE,
        "leaning": largest_share > _LEANING_SHARE,
        "some_unassigned": noise_share > _SOME_UNASSIGNED,
    }
    flags = tuple(name for name, hit in checks.items() if hit)
    stable = "" if stability_ari is None else f" (bootstrap agreement {stability_ari:.2f})"
    if checks["unstable"]:
        return Verdict(
            level="low",
            usable=True,
            flags=flags,
            sentence=f"Refits on resampled customers give different segments{stable}: "
            "treat these segments as tentative, and try another k.",
            reasons=(f"refits on resampled customers give different segments{stable}",),
        )
    if flags:
        reasons = {
            "partly_stable": f"refits on resampled customers agree only in part{stable}",
            "leaning": f"the largest segment holds {largest_share:.0%} of customers",
            "some_unassigned": f"{noise_share:.0%} of customers are left unassigned",
        }
        said = tuple(reasons[f] for f in flags)
        return Verdict(
            level="medium",
            usable=True,
            flags=flags,
            sentence=f"Usable with care: {'; '.join(said)}.",
            reasons=said,
        )
    return Verdict(
        level="high",
        usable=True,
        flags=(),
        sentence=f"The segments are balanced in size and reproduce on resampled customers{stable}.",
    )


def profile_verdict(profile: RunProfile) -> Verdict:
    """The verdict of a finished run, from its profiles.json."""
    return run_verdict(
        largest_share=max((s.share for s in profile.segments if not s.is_noise), default=0.0),
        noise_share=profile.metrics.noise_share,
        stability_ari=profile.metrics.stability_ari,
        k=profile.k,
    )
