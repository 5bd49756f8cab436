"""Deterministic, unique, human names for segments, from rules over their profiles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from segmenter.results import SegmentProfile

__all__ = ["NAME_RULES", "NOISE_NAME", "NameRule", "assign_names", "fallback_names"]

NOISE_NAME = "Unassigned (noise)"


class _Signals:
    """Effect sizes and purchase-type shares of one profile, with 0 for anything unknown."""

    def __init__(self, profile: SegmentProfile) -> None:
        self._d = {s.feature: s.effect_size for s in profile.stats}
        self._types = profile.purchase_type

    def d(self, feature: str) -> float:
        return self._d.get(feature, 0.0)

    def share(self, purchase_type: str) -> float:
        return self._types.get(purchase_type, 0.0)


@dataclass(frozen=True)
class NameRule:
    """A name and how well a profile fits it: a score > 0 is a match, higher is a better fit."""

    name: str
    score: Callable[[_Signals], float]


def _when(condition: bool, score: float) -> float:
    return score if condition else 0.0


def _inactivity(s: _Signals) -> float:
    return -min(s.d("PURCHASES_FREQUENCY"), s.d("BALANCE_FREQUENCY"))


# Effect sizes are standardised (log1p for money and counts): 0.5 is a medium difference.
# Order matters only to break exact ties: the earlier rule wins.
NAME_RULES: tuple[NameRule, ...] = (
    NameRule(
        "Cash-advance revolvers",
        lambda s: _when(
            s.d("CASH_ADVANCE_FREQUENCY") >= 0.5
            and s.d("CASH_ADVANCE") >= 0.5
            and s.d("PURCHASES_FREQUENCY") < 0.3,
            min(s.d("CASH_ADVANCE_FREQUENCY"), s.d("CASH_ADVANCE")),
        ),
    ),
    NameRule(
        "Heavy card and cash users",
        lambda s: _when(
            s.d("CASH_ADVANCE_FREQUENCY") >= 0.5
            and s.d("CASH_ADVANCE") >= 0.5
            and s.d("PURCHASES_FREQUENCY") >= 0.3,
            min(s.d("CASH_ADVANCE_FREQUENCY"), s.d("CASH_ADVANCE"), s.d("PURCHASES_FREQUENCY")),
        ),
    ),
    NameRule(
        "High-limit full payers",
        lambda s: _when(
            s.d("CREDIT_LIMIT") >= 0.5 and s.d("PRC_FULL_PAYMENT") >= 0.5,
            min(s.d("CREDIT_LIMIT"), s.d("PRC_FULL_PAYMENT")),
        ),
    ),
    NameRule(
        "Full-paying transactors",
        lambda s: _when(
            s.d("PRC_FULL_PAYMENT") >= 0.5
            and s.d("PURCHASES_FREQUENCY") >= 0.3
            and s.d("CASH_ADVANCE") <= 0,
            min(s.d("PRC_FULL_PAYMENT"), s.d("PURCHASES_FREQUENCY")),
        ),
    ),
    NameRule(
        "Big-ticket spenders",
        lambda s: _when(
            s.d("ONEOFF_PURCHASES") >= 0.8 and s.d("PURCHASES") >= 0.5,
            min(s.d("ONEOFF_PURCHASES"), s.d("PURCHASES")),
        ),
    ),
    NameRule(
        "Instalment buyers",
        lambda s: _when(
            s.d("PURCHASES_INSTALLMENTS_FREQUENCY") >= 0.5 and s.share("instalment") >= 0.4,
            s.d("PURCHASES_INSTALLMENTS_FREQUENCY") - max(0.0, s.d("ONEOFF_PURCHASES_FREQUENCY")),
        ),
    ),
    NameRule(
        "All-round active spenders",
        lambda s: _when(
            s.d("PURCHASES_FREQUENCY") >= 0.5 and s.share("both") >= 0.5,
            min(s.d("ONEOFF_PURCHASES_FREQUENCY"), s.d("PURCHASES_INSTALLMENTS_FREQUENCY")),
        ),
    ),
    NameRule(
        "One-off shoppers",
        lambda s: _when(
            s.share("one_off") >= 0.5 and s.d("PURCHASES_INSTALLMENTS_FREQUENCY") <= -0.3,
            -s.d("PURCHASES_INSTALLMENTS_FREQUENCY"),
        ),
    ),
    NameRule(
        "Non-purchasing holders",
        # Frequent cash advances instead of purchases make a revolver, not an idle card.
        lambda s: _when(
            s.share("none") >= 0.5
            and s.d("PURCHASES_FREQUENCY") <= -0.5
            and s.d("CASH_ADVANCE_FREQUENCY") < 0.5,
            -s.d("PURCHASES_FREQUENCY"),
        ),
    ),
    NameRule(
        "Dormant low-balance holders",
        # Inactive: the balance is rarely updated or the card rarely used for purchases.
        lambda s: _when(
            s.d("BALANCE") <= -0.5 and _inactivity(s) >= 0.3 and s.d("CASH_ADVANCE") <= 0.2,
            min(-s.d("BALANCE"), _inactivity(s)),
        ),
    ),
    NameRule(
        "Dormant balance carriers",
        lambda s: _when(
            s.d("PURCHASES_FREQUENCY") <= -0.5
            and s.d("CASH_ADVANCE_FREQUENCY") <= 0.2
            and s.d("BALANCE") >= -0.2,
            -s.d("PURCHASES_FREQUENCY"),
        ),
    ),
    NameRule(
        "Revolving minimum payers",
        lambda s: _when(
            s.d("LIMIT_USAGE") >= 0.5 and s.d("PAYMENTS_TO_MINIMUM") <= -0.5,
            min(s.d("LIMIT_USAGE"), -s.d("PAYMENTS_TO_MINIMUM")),
        ),
    ),
    NameRule("Newer accounts", lambda s: _when(s.d("TENURE") <= -1.0, -s.d("TENURE"))),
)


def fallback_names(profile: SegmentProfile) -> list[str]:
    """Descriptive names from the top distinctions: "High X, low Y", best pairing first."""
    highs = [d.label for d in profile.distinctions if d.direction == "high"]
    lows = [d.label for d in profile.distinctions if d.direction == "low"]
    names = [f"High {h}, low {lo}" for h in highs for lo in lows]
    names += [f"High {h}" for h in highs] + [f"Low {lo}" for lo in lows]
    names += [f"High {a} and {b}" for i, a in enumerate(highs) for b in highs[i + 1 :]]
    names += [f"Low {a} and {b}" for i, a in enumerate(lows) for b in lows[i + 1 :]]
    return names or ["Typical customers"]


def assign_names(profiles: list[SegmentProfile]) -> list[SegmentProfile]:
    """Give every profile a unique name (noise: NOISE_NAME). Same profiles, same names."""
    segments = [p for p in profiles if not p.is_noise]
    # Best fits first: the segment matching a rule best keeps its name, the other tries its
    # next rule; ties go to the larger segment (lower id), then to the earlier rule.
    fits = sorted(
        (-rule.score(_Signals(p)), p.id, r, rule.name)
        for p in segments
        for r, rule in enumerate(NAME_RULES)
        if rule.score(_Signals(p)) > 0
    )
    names: dict[int, str] = {}
    taken = {NOISE_NAME}
    for _, sid, _, name in fits:
        if sid not in names and name not in taken:
            names[sid] = name
            taken.add(name)
    for p in segments:  # by id: unmatched segments get a descriptive name
        if p.id not in names:
            free = [n for n in fallback_names(p) if n not in taken]
            names[p.id] = free[0] if free else f"Segment {p.id}"
            taken.add(names[p.id])
    return [
        p.model_copy(update={"name": NOISE_NAME if p.is_noise else names[p.id]}) for p in profiles
    ]
