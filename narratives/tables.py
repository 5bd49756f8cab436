"""Tables people read beside the personas: figures formatted as the personas quote them."""

from __future__ import annotations

import polars as pl

from narratives.context import RunContext, SegmentContext
from narratives.templates import fmt

__all__ = ["figures_table", "segments_table"]


def figures_table(segment: SegmentContext) -> pl.DataFrame:
    """Every statistic of a segment beside the book's: the figures its persona's numbers come
    from, spelled as the persona spells them; the figures it quotes are marked."""
    quoted = {f.feature: f.stat for f in segment.facts}
    rows = [
        {
            "measure": f.label,
            "column": f.feature,
            "segment mean": fmt(f.mean, f.kind),
            "segment median": fmt(f.median, f.kind),
            "book mean": fmt(f.population_mean, f.kind),
            "book median": fmt(f.population_median, f.kind),
            "effect size": f"{f.effect_size:+.2f}",
            "quoted": f"{'high' if f.effect_size > 0 else 'low'}, {quoted[f.feature]}"
            if f.feature in quoted
            else "",
        }
        for f in segment.figures
    ]
    columns = ("measure", "column", "segment mean", "segment median", "book mean", "book median")
    schema = dict.fromkeys((*columns, "effect size", "quoted"), pl.String)
    return pl.DataFrame(rows, schema=schema)


def segments_table(context: RunContext) -> pl.DataFrame:
    """One row per segment: name, persona title, size and how far it can be trusted."""
    return pl.DataFrame(
        [
            {
                "id": s.id,
                "segment": s.name,
                "persona": s.title,
                "customers": f"{s.size:,}",
                "share": f"{s.share:.1%}",
                "silhouette": "—" if s.silhouette is None else f"{s.silhouette:.2f}",
                "stability": "—" if s.stability is None else f"{s.stability:.2f}",
                "confidence": s.confidence.level,
            }
            for s in context.segments
        ],
        schema={
            "id": pl.Int64,
            **dict.fromkeys(
                ("segment", "persona", "customers", "share", "silhouette", "stability"),
                pl.String,
            ),
            "confidence": pl.String,
        },
    )
