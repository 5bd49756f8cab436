"""Hand-built segment runs on the CC GENERAL scale, for the narratives tests.

Book-wide means are the size-weighted means of the segments, so the figures agree with each other;
book medians and standard deviations are those of the real file. Names and persona titles come
from the vocabulary, as `segmenter segment` gives them (segmenter.explain.naming.assign_names).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from narratives.context import SegmentContext
from narratives.shelf import Shelf
from narratives.templates import fmt
from segmenter.explain.measures import label
from segmenter.explain.naming import assign_names
from segmenter.results import Distinction, FeatureStat, Metrics, RunProfile, SegmentProfile

__all__ = ["NAMES", "SIZES", "TITLES", "customer_ids", "noisy_run", "run_profile", "write_run_dir"]

# feature: (book median, book standard deviation, median/mean ratio inside a segment)
BOOK = {
    "BALANCE": (873.4, 2081.5, 0.6),
    "BALANCE_FREQUENCY": (1.0, 0.237, 1.0),
    "PURCHASES": (361.3, 2136.6, 0.5),
    "ONEOFF_PURCHASES": (38.0, 1659.9, 0.4),
    "INSTALLMENTS_PURCHASES": (89.0, 904.3, 0.5),
    "CASH_ADVANCE": (0.0, 2097.2, 0.5),
    "PURCHASES_FREQUENCY": (0.5, 0.401, 1.0),
    "ONEOFF_PURCHASES_FREQUENCY": (0.083, 0.298, 0.9),
    "PURCHASES_INSTALLMENTS_FREQUENCY": (0.167, 0.397, 1.0),
    "CASH_ADVANCE_FREQUENCY": (0.0, 0.2, 0.8),
    "CASH_ADVANCE_TRX": (0.0, 6.82, 0.6),
    "PURCHASES_TRX": (7.0, 24.86, 0.7),
    "CREDIT_LIMIT": (3000.0, 3638.8, 0.8),
    "PAYMENTS": (856.9, 2895.1, 0.6),
    "MINIMUM_PAYMENTS": (312.3, 2330.6, 0.5),
    "PRC_FULL_PAYMENT": (0.0, 0.292, 0.5),
    "TENURE": (12.0, 1.34, 1.0),
    "MONTHLY_PURCHASES": (31.0, 180.0, 0.5),
    "MONTHLY_CASH_ADVANCE": (0.0, 193.0, 0.5),
    "LIMIT_USAGE": (0.3, 0.39, 0.9),
    "PAYMENTS_TO_MINIMUM": (2.2, 118.0, 0.4),
}
# Segment means, in segment order: instalment buyers, cash-advance revolvers, non-purchasing
# holders, full-paying transactors, and a tiny group of big-ticket spenders.
MEANS = {
    "BALANCE": (900, 3050, 720, 1900, 5200),
    "BALANCE_FREQUENCY": (0.93, 0.96, 0.72, 0.94, 0.99),
    "PURCHASES": (820, 240, 85, 3350, 6100),
    "ONEOFF_PURCHASES": (260, 160, 60, 2250, 4300),
    "INSTALLMENTS_PURCHASES": (560, 80, 25, 1100, 1800),
    "CASH_ADVANCE": (280, 2480, 420, 380, 3900),
    "PURCHASES_FREQUENCY": (0.79, 0.18, 0.07, 0.93, 0.88),
    "ONEOFF_PURCHASES_FREQUENCY": (0.12, 0.07, 0.03, 0.68, 0.71),
    "PURCHASES_INSTALLMENTS_FREQUENCY": (0.72, 0.10, 0.04, 0.71, 0.63),
    "CASH_ADVANCE_FREQUENCY": (0.05, 0.41, 0.08, 0.06, 0.37),
    "CASH_ADVANCE_TRX": (1.0, 9.6, 1.3, 1.4, 11.2),
    "PURCHASES_TRX": (15.8, 2.7, 1.1, 46.5, 58.0),
    "CREDIT_LIMIT": (3700, 5050, 3100, 7350, 12800),
    "PAYMENTS": (1150, 2650, 880, 3300, 9400),
    "MINIMUM_PAYMENTS": (560, 1480, 510, 720, 2100),
    "PRC_FULL_PAYMENT": (0.22, 0.03, 0.07, 0.41, 0.18),
    "TENURE": (11.6, 11.4, 11.3, 11.8, 12.0),
    "MONTHLY_PURCHASES": (71, 21, 8, 285, 508),
    "MONTHLY_CASH_ADVANCE": (25, 221, 38, 32, 325),
    "LIMIT_USAGE": (0.27, 0.68, 0.29, 0.26, 0.41),
    "PAYMENTS_TO_MINIMUM": (11.2, 3.1, 6.4, 18.5, 7.9),
}
# What assign_names gives these segments (segmenter/vocabulary.toml): one archetype each.
NAMES = (
    "Instalment buyers",
    "Cash-advance revolvers",
    "Non-purchasing holders",
    "Full-paying transactors",
    "Big-ticket spenders",
)
TITLES = (
    "The Budget Planner",
    "The Stretched Borrower",
    "The Quiet Cardholder",
    "The Disciplined Payer",
    "The Big-Ticket Spender",
)
SIZES = (3120, 2410, 1980, 1402, 38)
N = sum(SIZES)  # 8,950 as in the real file
RULES = (
    ("instalment purchases frequency > 0.50", "cash-advance frequency < 0.10"),
    ("cash-advance frequency > 0.25", "full-payment rate < 0.10"),
    ("purchases frequency < 0.15", "cash-advance frequency < 0.15"),
    ("purchases frequency > 0.80", "one-off purchases frequency > 0.40"),
    ("credit limit > 10,000", "purchases > 4,000"),
)
PURCHASE_MIX = (
    {"instalment": 0.58, "both": 0.31, "none": 0.07, "one_off": 0.04},
    {"none": 0.55, "one_off": 0.18, "both": 0.15, "instalment": 0.12},
    {"none": 0.71, "one_off": 0.13, "instalment": 0.11, "both": 0.05},
    {"both": 0.86, "one_off": 0.11, "instalment": 0.03, "none": 0.0},
    {"both": 0.82, "one_off": 0.18, "instalment": 0.0, "none": 0.0},
)
SILHOUETTE = (0.24, 0.21, 0.31, 0.12, 0.09)
STABILITY = (0.88, 0.83, 0.58, 0.71, 0.41)
RULE_PRECISION = (0.81, 0.77, 0.69, 0.74, 0.52)


def _stats(index: int) -> list[FeatureStat]:
    stats = []
    for feature, means in MEANS.items():
        book_median, sd, skew = BOOK[feature]
        book_mean = sum(m * s for m, s in zip(means, SIZES, strict=True)) / N
        mean = float(means[index])
        stats.append(
            FeatureStat(
                feature=feature,
                label=label(feature),
                mean=mean,
                median=round(mean * skew, 3),
                population_mean=round(book_mean, 3),
                population_median=book_median,
                lift=round(mean / book_mean, 3),
                effect_size=round((mean - book_mean) / sd, 3),
            )
        )
    return stats


def _segment(index: int) -> SegmentProfile:
    stats = _stats(index)
    strongest = sorted(stats, key=lambda s: -abs(s.effect_size))[:5]
    return SegmentProfile(
        id=index,
        name="?",  # named by run_profile, as the segmenter names them
        size=SIZES[index],
        share=round(SIZES[index] / N, 4),
        stats=stats,
        distinctions=[
            Distinction(
                feature=s.feature,
                label=s.label,
                direction="high" if s.effect_size > 0 else "low",
                effect_size=s.effect_size,
            )
            for s in strongest
        ],
        rules=list(RULES[index]),
        rule_precision=RULE_PRECISION[index],
        purchase_type=PURCHASE_MIX[index],
        silhouette=SILHOUETTE[index],
        stability=STABILITY[index],
    )


def run_profile() -> RunProfile:
    """K-Means at k=5 on 8,950 customers: four usable segments and one of 38 customers."""
    return RunProfile(
        algorithm="kmeans",
        k=5,
        seed=42,
        n_customers=N,
        metrics=Metrics(
            silhouette=0.217, calinski_harabasz=1602.4, davies_bouldin=1.49, stability_ari=0.84
        ),
        segments=assign_names([_segment(i) for i in range(5)]),
    )


def noisy_run() -> RunProfile:
    """The same book where a density method left the 38 outliers unassigned (noise, id -1)."""
    run = run_profile()
    noise = run.segments[4].model_copy(update={"id": -1, "is_noise": True})
    return run.model_copy(
        update={
            "algorithm": "hdbscan",
            "k": 4,
            "metrics": run.metrics.model_copy(update={"noise_share": round(38 / N, 4)}),
            "segments": assign_names([*run.segments[:4], noise]),
        }
    )


def customer_ids() -> list[str]:
    """CC GENERAL-style ids, one per customer of the fixture run."""
    return [f"C{10001 + i}" for i in range(N)]


def write_run_dir(directory: Path, run: RunProfile | None = None) -> Path:
    """A segment run directory: profiles.json and assignments.csv, as `segmenter segment` writes."""
    run = run or run_profile()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "profiles.json").write_text(run.model_dump_json(indent=2), encoding="utf-8")
    ids = iter(customer_ids())
    with (directory / "assignments.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "segment", "segment_name"])
        for segment in run.segments:
            for _ in range(segment.size):
                writer.writerow([next(ids), segment.id, segment.name])
    return directory


def persona_answer(segment: SegmentContext, shelf: Shelf, *, summary: str) -> dict[str, Any]:
    """An LLM answer that passes every check: it cites the segment's strongest figure."""
    f = segment.key_figures[0]
    figure = f"{f.label} averages {fmt(f.mean, f.kind)} against {fmt(f.population_mean, f.kind)}"
    return {
        "summary": f"{summary}: {figure} for the book.",
        "traits": [figure],
        "needs": ["Clear, fair costs"],
        "products": [
            {"product": m.product.id, "rationale": f"Fits because {figure}."}
            for m in shelf.match(segment)[:2]
        ],
        "channels": ["Mobile app"],
        "messages": ["A fair offer, clearly explained."],
    }


def segment_1_answer(**texts: Any) -> dict[str, Any]:
    """An answer for segment 1 of `run_profile` that passes every check, with `texts` in place."""
    base = {
        "summary": "They rely on cash advances.",
        "traits": ["Frequent cash advances"],
        "needs": ["Help bringing the balance down"],
        "products": [{"product": "financial-coaching", "rationale": "They carry high balances."}],
        "channels": ["In-app"],
        "messages": ["Money coaching: a plan for your balance."],
    }
    return {**base, **texts}
