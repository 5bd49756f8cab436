"""Plain-language rules for segments from a shallow decision-tree surrogate, in original units."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.tree import DecisionTreeClassifier

from segmenter.explain.measures import NUMERIC_MEASURES, label
from segmenter.ingest.schema import FEATURE_COLUMNS
from segmenter.sampling import RULE_ROWS, Purpose, parallel_map, sample_rows

__all__ = ["RULE_FEATURES", "Condition", "segment_rules"]

RULE_FEATURES: tuple[str, ...] = (*FEATURE_COLUMNS, *NUMERIC_MEASURES)
MAX_DEPTH = 3  # three conditions at most: still a rule a marketer can read aloud
MIN_LEAF_SHARE = 0.01  # leaves under 1 % of the book (or 10 % of the segment) are noise
# A segment this small grows its rule tree on all its members; larger ones are well sampled.
MIN_RULE_MEMBERS = 1_000


@dataclass(frozen=True)
class Condition:
    """One comparison of a feature with a threshold, e.g. "cash-advance frequency > 0.25"."""

    feature: str
    above: bool  # True: value > threshold; False: value <= threshold
    threshold: float
    decimals: int  # digits after the point to print

    def text(self, *, non_negative: bool) -> str:
        value = f"{self.threshold:,.{self.decimals}f}"
        if "." in value:  # 5.0 reads as 5
            value = value.rstrip("0").rstrip(".")
        if self.threshold == 0 and non_negative and not self.above:
            return f"{label(self.feature)} = 0"
        return f"{label(self.feature)} {'>' if self.above else '<='} {value}"

    def mask(self, x: np.ndarray) -> np.ndarray:
        # A missing value (NaN) matches neither side: the stated rule is what gets measured.
        with np.errstate(invalid="ignore"):
            return x > self.threshold if self.above else x <= self.threshold


def segment_rules(
    data: pl.DataFrame, labels: np.ndarray, ids: list[int], *, seed: int
) -> dict[int, tuple[list[str], float | None]]:
    """Per segment id: the conditions of its best surrogate rule and the rule's precision."""
    x = data.select(RULE_FEATURES).cast(pl.Float64).fill_null(float("nan")).to_numpy()
    # Above RULE_ROWS rows the trees grow on a seeded sample (a depth-3 tree's splits are
    # settled long before); a small segment's tree also sees all its members, so it can still
    # earn a rule. Every rule is then judged on all rows.
    sampled = sample_rows(len(labels), RULE_ROWS, seed=seed, purpose=Purpose.RULES)

    def rule(sid: int) -> tuple[list[str], float | None]:
        target = labels == sid
        rows = sampled
        if sampled.size < len(labels) and np.sum(target) <= MIN_RULE_MEMBERS:
            rows = np.union1d(sampled, np.flatnonzero(target))
        grown = x if rows.size == len(labels) else x[rows]
        return _best_rule(x, target, _leaf_paths(grown, target[rows], seed=seed))

    # One tree per segment, each independent of the others: they grow side by side.
    return dict(zip(ids, parallel_map(rule, ids), strict=True))


def _leaf_paths(x: np.ndarray, target: np.ndarray, *, seed: int) -> list[list[Condition]]:
    """Fit a one-vs-rest tree and return the (rounded) conditions leading to each leaf."""
    tree = DecisionTreeClassifier(
        max_depth=MAX_DEPTH,
        # Balanced weights: a 5 % segment still gets leaves of its own.
        class_weight="balanced",
        min_samples_leaf=min(
            math.ceil(MIN_LEAF_SHARE * len(target)), math.ceil(0.1 * np.sum(target))
        ),
        random_state=seed,
    ).fit(x, target)
    t = tree.tree_
    paths: list[list[Condition]] = []

    def walk(node: int, path: list[Condition]) -> None:
        if t.children_left[node] == -1:
            paths.append(_simplify(path))
            return
        j, threshold = int(t.feature[node]), float(t.threshold[node])
        nice, decimals = _nice_threshold(x[:, j], threshold)
        for child, above in ((t.children_left[node], False), (t.children_right[node], True)):
            walk(int(child), [*path, Condition(RULE_FEATURES[j], above, nice, decimals)])

    walk(0, [])
    return paths


def _simplify(path: list[Condition]) -> list[Condition]:
    """Keep the tightest bound per feature and side ("x > 1 and x > 3" is "x > 3")."""
    tightest: dict[tuple[str, bool], Condition] = {}
    for c in path:
        key = (c.feature, c.above)
        old = tightest.get(key)
        if old is None or (c.threshold > old.threshold) == c.above:
            tightest[key] = c
    return list(tightest.values())


def _nice_threshold(column: np.ndarray, threshold: float) -> tuple[float, int]:
    """The roundest number splitting the column's known values exactly as `threshold` does."""
    known = column[~np.isnan(column)]
    below, above = known[known <= threshold], known[known > threshold]
    if not math.isfinite(threshold) or below.size == 0 or above.size == 0:
        return threshold, 2
    low, high = float(below.max()), float(above.min())
    exact, decimals = _roundest_between(low, high)
    if threshold == 0 or _significant_digits(exact, decimals) <= 2:
        return exact, decimals
    # Dense values leave no round number in the gap: two significant digits read better than
    # an exact 509.37; the few customers moving sides are counted in the rule's precision.
    power = math.floor(math.log10(abs(threshold))) - 1
    return round(threshold, -power) + 0.0, max(0, -power)


def _significant_digits(value: float, decimals: int) -> int:
    return len(f"{value:.{decimals}f}".replace("-", "").replace(".", "").strip("0")) or 1


def _roundest_between(low: float, high: float) -> tuple[float, int]:
    """The number in [low, high) with the fewest decimals, nearest the middle."""
    middle = (low + high) / 2
    top = math.ceil(math.log10(max(abs(low), abs(high), 1e-12))) + 1
    for power in range(top, -7, -1):
        step, decimals = 10.0**power, max(0, -power)
        # Of the two multiples of the step around the middle, the nearer one first.
        options = (math.floor(middle / step) * step, math.ceil(middle / step) * step)
        for candidate in sorted(options, key=lambda c: (abs(c - middle), c)):
            if low <= round(candidate, decimals) < high:
                return round(candidate, decimals), decimals
    return middle, 6


def _best_rule(
    x: np.ndarray, target: np.ndarray, leaves: list[list[Condition]]
) -> tuple[list[str], float | None]:
    """The leaf whose rule, as worded, best separates the segment (F1), and its precision."""
    best: tuple[float, float, int] | None = None
    chosen: tuple[list[str], float | None] = ([], None)
    for path in leaves:
        if not path:
            continue
        columns = [RULE_FEATURES.index(c.feature) for c in path]
        matched = np.logical_and.reduce(
            [c.mask(x[:, j]) for c, j in zip(path, columns, strict=True)]
        )
        hits = int(np.sum(matched & target))
        if hits == 0:
            continue
        precision = hits / int(np.sum(matched))
        recall = hits / int(np.sum(target))
        f1 = 2 * precision * recall / (precision + recall)
        # Ties: the more precise rule, then the shorter one; otherwise the first leaf stays.
        key = (round(f1, 9), round(precision, 9), -len(path))
        if best is None or key > best:
            best = key
            non_negative = [bool(np.nanmin(x[:, j]) >= 0) for j in columns]
            texts = [c.text(non_negative=nn) for c, nn in zip(path, non_negative, strict=True)]
            chosen = (texts, round(precision, 4))
    return chosen
