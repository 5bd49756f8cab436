"""Altair charts of a segmentation, as plain functions over profiles and aggregated tables.

Every chart is built from aggregates (or a sample of at most `chart_data.MAX_POINTS` rows) and
can be exported to PNG or SVG offline with vl-convert.
"""

from __future__ import annotations

import io
import math

import altair as alt
import polars as pl

from segmenter.charts.axes import axis_title, log_ticks, spelled, value_axis
from segmenter.charts.data import K_METRICS, effect_table, segment_names
from segmenter.cluster.titles import TITLES
from segmenter.explain.formats import KINDS, METRICS, metric_text
from segmenter.explain.measures import SKEWED_MEASURES, kind_of
from segmenter.results import FeatureStat, RunProfile, SegmentProfile

__all__ = [
    "comparison_chart",
    "distribution_chart",
    "effect_bars",
    "effect_domain",
    "k_choice_chart",
    "pca_chart",
    "profile_heatmap",
    "profiles_compared",
    "segment_colours",
    "segment_sizes",
    "to_png",
    "to_svg",
]

# Tableau 10 without its grey, which is kept for customers in no segment.
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f")  # fmt: skip
_NOISE_COLOUR = "#bab0ac"
_HIGH, _LOW = "#2f6f9f", "#d1603d"  # effect above / below the book
_PLAIN_SIDES = ("higher than other customers", "lower than other customers")
_EFFECT_SCALE = alt.Scale(scheme="redblue", domain=[-1.5, 1.5], clamp=True)  # d of 1.5 is huge
_LABEL_LIMIT = 260  # pixels; segment and feature names are long, and cut names read badly
_EFFECT_TOOLTIP = [
    alt.Tooltip("name:N", title="Segment"),
    alt.Tooltip("label:N", title="Measure"),
    alt.Tooltip("effect_size:Q", format="+.2f", title="Effect size"),
]
_COMPARED = {  # score: how to read it, under its name
    "silhouette": "higher is better",
    "stability_ari": "higher is better",
    "davies_bouldin": "lower is better",
    "noise_share": "customers in no segment",
}
_PERCENTILES = {"p05": "5th percentile", "p25": "25th percentile", "p50": "Median",
                "p75": "75th percentile", "p95": "95th percentile"}  # fmt: skip


def _axis(**options: object) -> alt.Axis:
    return alt.Axis(labelLimit=_LABEL_LIMIT, **options)  # type: ignore[arg-type]


def _legend(**options: object) -> alt.Legend:
    return alt.Legend(labelLimit=_LABEL_LIMIT, **options)  # type: ignore[arg-type]


def segment_colours(profile: RunProfile) -> alt.Scale:
    """One colour per segment name, the same in every chart; noise in grey."""
    names = segment_names(profile)
    colours = [
        _NOISE_COLOUR if sid < 0 else _PALETTE[i % len(_PALETTE)] for i, sid in enumerate(names)
    ]
    return alt.Scale(domain=list(names.values()), range=colours)


def _order(profile: RunProfile) -> list[str]:
    return list(segment_names(profile).values())


def segment_sizes(profile: RunProfile) -> alt.LayerChart:
    """Customers per segment, with each segment's share of the book."""
    data = pl.DataFrame(
        {
            "name": [s.name for s in profile.segments],
            "size": [s.size for s in profile.segments],
            "share": [s.share for s in profile.segments],
        }
    )
    base = alt.Chart(data).encode(
        y=alt.Y("name:N", sort=_order(profile), title=None, axis=_axis()),
        x=alt.X("size:Q", title="Customers", axis=alt.Axis(format=",d", tickMinStep=1)),
        tooltip=[
            alt.Tooltip("name:N", title="Segment"),
            alt.Tooltip("size:Q", format=",", title="Customers"),
            alt.Tooltip("share:Q", format=".1%", title="Share of the book"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color("name:N", scale=segment_colours(profile), legend=None)
    )
    text = base.mark_text(align="left", dx=4).encode(text=alt.Text("share:Q", format=".0%"))
    return (bars + text).properties(title="Segment sizes", height=alt.Step(32))


def effect_bars(
    segment: SegmentProfile,
    *,
    top: int = 5,
    domain: tuple[float, float] | None = None,
    plain: bool = False,
) -> alt.Chart:
    """What sets one segment apart: its strongest effect sizes against the rest of the book.

    `domain` is the x axis's range; give every segment of a run `effect_domain(profile)`, so
    their bars can be compared across cards. `plain` words the chart for readers who are not
    analysts (a campaign pack): "higher/lower than other customers" in a legend, no scale.
    """
    strongest = _strongest(segment, top)
    sides = _PLAIN_SIDES if plain else ("above the book", "below the book")
    data = pl.DataFrame(
        {
            "label": [s.label[:1].upper() + s.label[1:] if plain else s.label for s in strongest],
            "effect_size": [s.effect_size for s in strongest],
            "side": [sides[0] if s.effect_size > 0 else sides[1] for s in strongest],
        },
        schema={"label": pl.String, "effect_size": pl.Float64, "side": pl.String},
    )
    colour = alt.Scale(domain=list(sides), range=[_HIGH, _LOW])
    scale = alt.Scale(domain=list(domain or _symmetric(strongest)))
    x = alt.X(
        "effect_size:Q",
        title=["Effect size against", "the rest of the book"],  # fits a card's column
        scale=scale,
    )
    legend = None
    if plain:  # the bars' length and side, without the statistic behind them
        x = alt.X(
            "effect_size:Q",
            title="A longer bar: a bigger difference from other customers",
            scale=scale,
            axis=alt.Axis(labels=False, ticks=False, grid=False),
        )
        legend = alt.Legend(title=None, orient="bottom")
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("label:N", sort=None, title=None, axis=_axis()),
            color=alt.Color("side:N", scale=colour, legend=legend),
            # One segment: no segment name to show; a plain chart is printed, not hovered.
            tooltip=alt.Undefined if plain else _EFFECT_TOOLTIP[1:],
        )
        .properties(height=alt.Step(22))
    )


def effect_domain(profile: RunProfile, *, top: int = 5) -> tuple[float, float]:
    """One x range for the effect bars of every segment of a run (see `effect_bars`)."""
    return _symmetric([s for segment in profile.segments for s in _strongest(segment, top)])


def _strongest(segment: SegmentProfile, top: int) -> list[FeatureStat]:
    return sorted(segment.stats, key=lambda s: -abs(s.effect_size))[:top]


def _symmetric(stats: list[FeatureStat]) -> tuple[float, float]:
    # Symmetric around 0, so "above" and "below" read alike; at least +-1 ("large" is 0.8).
    reach = math.ceil(max([1.0, *(abs(s.effect_size) for s in stats)]))
    return (-reach, reach)


def profile_heatmap(profile: RunProfile) -> alt.LayerChart:
    """Segments by features, coloured by standardised effect size against the rest of the book."""
    data = effect_table(profile)
    features = data.unique("feature", maintain_order=True).get_column("label").to_list()
    base = alt.Chart(data).encode(
        x=alt.X(
            "name:N",
            sort=_order(profile),
            title=None,
            axis=_axis(orient="top", labelAngle=0, labelOverlap=False),
        ),
        y=alt.Y("label:N", sort=features, title=None, axis=_axis()),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("effect_size:Q", scale=_EFFECT_SCALE, title="Effect size"),
        tooltip=[*_EFFECT_TOOLTIP, alt.Tooltip("mean_text:N", title="Segment mean"),
                 alt.Tooltip("population_mean_text:N", title="Book mean")],
    )  # fmt: skip
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("effect_size:Q", format="+.1f"),
        color=alt.condition("abs(datum.effect_size) > 1", alt.value("white"), alt.value("black")),
    )
    return (cells + text).properties(
        title="Profile heatmap: how each segment differs from the rest of the book",
        width=alt.Step(140),  # a column wide enough for its segment's name, in a PNG too
        height=alt.Step(20),
    )


def distribution_chart(
    quantiles: pl.DataFrame, feature: str, profile: RunProfile
) -> alt.LayerChart:
    """One feature by segment from aggregated quantiles: 5-95 % whisker, 25-75 % box, median.

    Money, counts and ratios, zero-heavy and right-skewed, go on a log-like (symlog) axis with
    round ticks ("$0, $100, $1k, $10k"); shares and tenure on a linear one.
    """
    data = quantiles.filter(pl.col("feature") == feature)
    label = data.get_column("label")[0] if data.height else feature
    kind = kind_of(feature)
    scale, axis = alt.Scale(zero=False), value_axis(kind)
    if feature in SKEWED_MEASURES and kind != "share":
        values = data.select(pl.concat_list(*_PERCENTILES).explode()).to_series()
        low = float(values.filter(values > 0).min() or 1.0)  # type: ignore[arg-type]
        ticks = log_ticks(low, float(values.max() or 1.0))  # type: ignore[arg-type]
        scale = alt.Scale(type="symlog", domain=[0, ticks[-1]], nice=False)
        axis = value_axis(kind, values=ticks)
    text = {f"{c}_text": c for c in _PERCENTILES}
    base = spelled(alt.Chart(data), text, KINDS.get(kind, KINDS["ratio"])).encode(
        y=alt.Y("name:N", sort=_order(profile), title=None, axis=_axis()),
        color=alt.Color("name:N", scale=segment_colours(profile), legend=None),
        tooltip=[
            alt.Tooltip("name:N", title="Segment"),
            *(alt.Tooltip(f"{c}_text:N", title=title) for c, title in _PERCENTILES.items()),
            alt.Tooltip("n:Q", format=",", title="Customers"),
        ],
    )
    whisker = base.mark_rule().encode(
        x=alt.X("p05:Q", scale=scale, axis=axis, title=axis_title(label, kind)), x2="p95:Q"
    )
    box = base.mark_bar(size=16, opacity=0.6).encode(x="p25:Q", x2="p75:Q")
    median = base.mark_tick(size=22, thickness=3, color="black").encode(x="p50:Q")
    return (whisker + box + median).properties(
        title=f"{axis_title(label, kind)} by segment (5th, 25th, 50th, 75th, 95th percentile)",
        height=alt.Step(34),
    )


def pca_chart(
    points: pl.DataFrame, variance: tuple[float, float], profile: RunProfile
) -> alt.Chart:
    """A 2-D principal-component map of a sample of customers, coloured by segment."""
    return (
        alt.Chart(points)
        .mark_circle(size=14, opacity=0.55)
        .encode(
            x=alt.X("pc1:Q", title=f"Component 1 ({variance[0]:.0%} of variance)"),
            y=alt.Y("pc2:Q", title=f"Component 2 ({variance[1]:.0%} of variance)"),
            color=alt.Color(
                "name:N", scale=segment_colours(profile), title="Segment", legend=_legend()
            ),
            tooltip=[alt.Tooltip("name:N", title="Segment")],
        )
        .properties(title=f"Segment map: a sample of {points.height:,} customers", height=420)
    )


def profiles_compared(profile: RunProfile, *, features: int = 10) -> alt.LayerChart:
    """Parallel coordinates: each segment's effect size on the features that vary most."""
    data = effect_table(profile)
    spread = (
        data.group_by("label", maintain_order=True)
        .agg(pl.col("effect_size").abs().max().alias("spread"))
        .sort("spread", descending=True, maintain_order=True)
        .head(features)
    )
    order = spread.get_column("label").to_list()
    data = data.filter(pl.col("label").is_in(order))
    base = alt.Chart(data).encode(
        x=alt.X("label:N", sort=order, title=None, axis=_axis(labelAngle=-25, labelOverlap=False)),
        y=alt.Y("effect_size:Q", title="Effect size against the rest of the book"),
        color=alt.Color(
            "name:N", scale=segment_colours(profile), title="Segment", legend=_legend()
        ),
        detail="name:N",
        tooltip=_EFFECT_TOOLTIP,
    )
    zero = alt.Chart(pl.DataFrame({"y": [0.0]})).mark_rule(color="grey").encode(y="y:Q")
    return (zero + base.mark_line() + base.mark_point(filled=True, size=40)).properties(
        title="Segment profiles compared", width=alt.Step(64), height=360
    )


def k_choice_chart(scores: pl.DataFrame) -> alt.FacetChart:
    """Silhouette, Calinski-Harabasz, Davies-Bouldin and stability by k; the chosen k marked."""
    base = alt.Chart().encode(
        x=alt.X("k:O", title="k (number of segments)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
    )
    line = base.mark_line(color=_PALETTE[0])
    points = base.mark_point(filled=True).encode(
        color=alt.Color(
            "chosen:N",
            scale=alt.Scale(domain=[True, False], range=[_PALETTE[1], _PALETTE[0]]),
            legend=alt.Legend(title="Chosen k", labelExpr="datum.value ? 'chosen' : 'other'"),
        ),
        size=alt.condition("datum.chosen", alt.value(140), alt.value(40)),
        tooltip=[
            alt.Tooltip("k:O", title="k"),
            alt.Tooltip("title:N", title="Score"),
            alt.Tooltip("text:N", title="Value"),
            alt.Tooltip("candidate:N", title="Candidate"),
        ],
    )
    return (
        alt.layer(line, points, data=scores)
        .properties(width=300, height=140)
        .facet(facet=alt.Facet("title:N", sort=list(K_METRICS.values()), title=None), columns=2)
        .resolve_scale(y="independent")
    )


def comparison_chart(table: pl.DataFrame, *, k: int) -> alt.HConcatChart:
    """Every algorithm at one k: silhouette, stability, Davies-Bouldin and noise share.

    Rows read "algorithm (k found)": density methods find their own number of segments. One
    panel per score, side by side, each with its own axis: the noise share in percent.
    """
    table = table.with_columns(
        algorithm=pl.format(
            "{} (k={})", pl.col("algorithm").replace(TITLES), pl.col("k").cast(pl.Int64)
        )
    )
    order = table.get_column("algorithm").to_list()
    long = table.unpivot(on=list(_COMPARED), index="algorithm", variable_name="metric")
    long = long.drop_nulls("value")
    spelled_values = [metric_text(m, v) for m, v in zip(long["metric"], long["value"], strict=True)]
    long = long.with_columns(text=pl.Series(spelled_values, dtype=pl.String))
    panels = [
        alt.Chart(long)
        .transform_filter(alt.datum.metric == metric)
        .mark_bar(color=_PALETTE[0])
        .encode(
            y=alt.Y(
                "algorithm:N",
                sort=order,
                scale=alt.Scale(domain=order),  # every panel's rows line up with the first's
                title=None,
                axis=_axis() if i == 0 else None,
            ),
            x=alt.X(
                "value:Q", title=None, axis=alt.Axis(labelExpr=METRICS[metric].spelling.compact())
            ),
            tooltip=[
                alt.Tooltip("algorithm:N", title="Algorithm"),
                alt.Tooltip("text:N", title=METRICS[metric].label),
            ],
        )
        .properties(
            title=alt.Title(METRICS[metric].label, subtitle=reading, fontSize=12, anchor="start"),
            width=160,
            height=alt.Step(20),
        )
        for i, (metric, reading) in enumerate(_COMPARED.items())
    ]
    return alt.hconcat(*panels, spacing=12).properties(title=f"Algorithms compared at k={k}")


def to_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """The chart as a PNG image (vl-convert: no browser, no network)."""
    buffer = io.BytesIO()
    chart.save(buffer, format="png", scale_factor=scale)
    return buffer.getvalue()


def to_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document (vl-convert: no browser, no network)."""
    buffer = io.StringIO()
    chart.save(buffer, format="svg")
    return buffer.getvalue()
