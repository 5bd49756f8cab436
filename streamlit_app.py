"""Card segmenter: the app. Widgets, cached calls into the packages, rendering; nothing else.

Reads top-down: cached calls, then one function per tab, then the page itself at the bottom.
Every slow call is cached on the SHA-256 of the data's bytes and the run's settings, and shows
a status box the first time it runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import altair as alt
import polars as pl
import streamlit as st

from narratives import (
    LLMSettings,
    Persona,
    RuleBasedWriter,
    RunContext,
    SegmentContext,
    Shelf,
    build_context,
    build_writer,
    load_shelf,
    settings_from_env,
)
from narratives.export import ExportFiles, export_files, zip_files
from narratives.personas import RULE_BASED, authorship
from narratives.preview import outgoing_requests
from narratives.tables import figures_table, segments_table
from narratives.templates import capitalize_first, plain_markdown
from segmenter.charts import data as chart_data
from segmenter.charts import figures as charts
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.cluster.selection import K_RANGE, stability_note
from segmenter.comparison import run_comparison
from segmenter.errors import InputError
from segmenter.explain.measures import label
from segmenter.explain.profiles import PROFILE_FEATURES
from segmenter.files import csv_bytes
from segmenter.ingest.quality import LoadedCustomers, clean_table
from segmenter.ingest.read import parse_table
from segmenter.model.fitted import SegmentModel, score
from segmenter.model.scoring import model_from_bytes, score_summary
from segmenter.pipeline import Segmentation, run_segmentation
from segmenter.results import RunProfile, SegmentProfile

SAMPLE = Path(__file__).resolve().parent / "data" / "sample_customers.csv"
MAX_UPLOAD_MB = st.get_option("server.maxUploadSize")
TABLE_TYPES = ["csv", "txt", "tsv", "parquet", "xlsx"]
K_OPTIONS: tuple[str | int, ...] = ("auto", *range(2, 11))
VERDICT_BOXES = {"high": st.success, "medium": st.info, "low": st.warning}
# The app opens on what the data supports: k chosen by weighing separation, stability and size
# over k=3-8 (a few seconds, once; then cached). K-Means k=4, the literature's choice, is the
# least stable k on the real file (bootstrap agreement 0.69 against 0.97 at k=3).
DEFAULT_K = "auto"
VIEWS = ("Data", "Segments", "Personas", "Explore", "Export", "Score")
CONFIDENCE_COLOURS = {"high": "green", "medium": "orange", "low": "red"}
# Export tab: (column title, [(button label, file name, MIME type), ...]) per column.
EXPORT_DOWNLOADS = (
    (
        "Campaign brief",
        [
            ("Brief (Markdown)", "brief.md", "text/markdown"),
            ("Brief (HTML)", "brief.html", "text/html"),
            ("brief.json", "brief.json", "application/json"),
        ],
    ),
    (
        "Segmentation",
        [
            ("Model (model.skops)", "model.skops", "application/octet-stream"),
            ("assignments.csv", "assignments.csv", "text/csv"),
            ("profiles.json", "profiles.json", "application/json"),
        ],
    ),
)


class RunKey(NamedTuple):
    """What a segmentation depends on: the data's hash and the sidebar's settings.

    A tuple, not a dataclass: every rerun defines the script's classes anew, and a key kept in
    session state must still compare equal to the same key made by a later run.
    """

    digest: str
    source: str
    algorithm: str
    k: int | None
    seed: int


@dataclasses.dataclass(frozen=True)
class LLMPersonas:
    """Personas of one run in this session; `id` tells generations apart.

    `label` is the model only when it wrote personas that passed the checks (`authorship`);
    `asked` is the writer asked (the model, or rule-based), which the brief credits the same way.
    """

    label: str
    note: str | None
    asked: str
    endpoint: str | None
    personas: list[Persona]
    id: str


# --- Cached calls into the packages ------------------------------------------------------------


@contextmanager
def progress(label: str) -> Iterator[Callable[[str], None]]:
    """A status box while slow work runs; made inside cached functions, so it replays cleanly."""
    slot = st.empty()
    box = slot.status(label)
    try:
        yield lambda step: box.update(label=f"{label}: {step}")
    finally:
        slot.empty()


@st.cache_data(show_spinner=False, max_entries=8)
def load(digest: str, name: str, _data: bytes) -> LoadedCustomers:
    with progress(f"Reading and checking {name}"):
        return clean_table(parse_table(_data, name=name))


@st.cache_data(show_spinner=False, max_entries=32)
def segment(key: RunKey, _frame: pl.DataFrame) -> Segmentation:
    with progress(f"Segmenting with {ALGORITHMS[key.algorithm].title}") as step:
        return run_segmentation(
            _frame,
            algorithm=key.algorithm,
            k=key.k,
            seed=key.seed,
            progress=step,
            source=key.source,
        )


@st.cache_data(show_spinner=False)
def shelf() -> Shelf:
    return load_shelf()


@st.cache_data(show_spinner=False, max_entries=32)
def rule_personas(key: RunKey, _context: RunContext) -> list[Persona]:
    return RuleBasedWriter(shelf()).write(_context)


@st.cache_data(show_spinner=False, max_entries=8)
def compare(
    digest: str, k: int | None, seed: int, _frame: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    with progress("Comparing all seven algorithms") as step:
        result = run_comparison(_frame, k=k, seed=seed, progress=step)
    return result.table(), result.agreement(), result.comparison.k


@st.cache_data(show_spinner="Summarising segments for the charts...", max_entries=16)
def quantiles(key: RunKey, _frame: pl.DataFrame, _run: Segmentation) -> pl.DataFrame:
    names = chart_data.segment_names(_run.profile)
    return chart_data.segment_quantiles(_frame, _run.labels, names)


@st.cache_data(show_spinner="Projecting customers on two components...", max_entries=16)
def pca(
    key: RunKey, _frame: pl.DataFrame, _run: Segmentation
) -> tuple[pl.DataFrame, tuple[float, float]]:
    names = chart_data.segment_names(_run.profile)
    return chart_data.pca_points(_run.model, _frame, _run.labels, names, seed=key.seed)


@st.cache_data(show_spinner="Writing the brief, audiences and model files...", max_entries=8)
def export(
    key: RunKey,
    generation: str,
    _run: Segmentation,
    _personas: list[Persona],
    _label: str,
    _endpoint: str | None,
) -> ExportFiles:
    return export_files(_run, _personas, narratives=_label, endpoint=_endpoint, shelf=shelf())


@st.cache_data(show_spinner="Reading the model...", max_entries=4)
def uploaded_model(digest: str, name: str, _data: bytes) -> SegmentModel:
    return model_from_bytes(_data, name=name)


@st.cache_data(show_spinner="Scoring customers...", max_entries=8)
def scored(customers: str, model: str, _frame: pl.DataFrame, _model: SegmentModel) -> pl.DataFrame:
    return score(_model, _frame)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def secret_key() -> str | None:
    """OPENAI_API_KEY from st.secrets, when the app has a secrets file."""
    try:
        return st.secrets.get("OPENAI_API_KEY")
    except FileNotFoundError:
        return None


# --- Tabs ---------------------------------------------------------------------------------------


def data_view(loaded: LoadedCustomers) -> None:
    report = loaded.report
    st.subheader(f"Data quality: {report.source}")
    read, kept, columns = st.columns(3)
    read.metric("Rows read", f"{report.rows_read:,}")
    kept.metric("Rows kept", f"{report.rows_kept:,}")
    columns.metric("Columns recognised", len(report.column_mapping))
    st.markdown("**Findings and what was done**")
    if report.findings:
        st.dataframe(report.findings_table(), hide_index=True)
    else:
        st.success("No problems found: nothing was changed.")
    with st.expander("Column mapping"):
        st.dataframe(
            [{"file column": k, "canonical column": v} for k, v in report.column_mapping.items()],
            hide_index=True,
        )
        if report.ignored_columns:
            st.write("Ignored columns: " + ", ".join(report.ignored_columns))
    if report.dropped:
        with st.expander(f"Dropped rows ({len(report.dropped):,})"):
            st.dataframe([row.model_dump() for row in report.dropped], hide_index=True)


def verdict_box(context: RunContext, key: RunKey) -> None:
    """The run's verdict in a coloured box, and a note when a neighbouring k is more stable."""
    verdict = context.verdict
    VERDICT_BOXES[verdict.level](
        f"Confidence in this segmentation: {verdict.level}. {verdict.sentence}"
    )
    # The automatic choice scored every k; when this session has it, a k set by hand is
    # measured against its neighbours.
    choice = st.session_state.get("k_choices", {}).get(key._replace(k=None))
    if key.k is not None and choice is not None and (note := stability_note(choice, key.k)):
        st.info(note)


def run_summary(profile: RunProfile) -> None:
    title = ALGORITHMS[profile.algorithm].title
    how = "chosen automatically" if profile.k_selection else "set by hand"
    if not ALGORITHMS[profile.algorithm].uses_k:
        how = "found by the method"
    st.caption(
        f"{title}: {profile.k} segments of {profile.n_customers:,} customers (k {how}), "
        f"seed {profile.seed}."
    )
    if profile.k_selection:
        st.caption(profile.k_selection.explanation)
    if profile.fit_note:
        st.info(profile.fit_note)


def metrics_row(profile: RunProfile) -> None:
    m = profile.metrics
    cells = st.columns(5)
    cells[0].metric(
        "Silhouette",
        "—" if m.silhouette is None else f"{m.silhouette:.3f}",
        help="-1 to 1; higher is better separated. Around 0.2 on this data: "
        "a continuum, not blobs.",
    )
    cells[1].metric(
        "Calinski-Harabasz",
        "—" if m.calinski_harabasz is None else f"{m.calinski_harabasz:,.0f}",
        help="Higher is better.",
    )
    cells[2].metric(
        "Davies-Bouldin",
        "—" if m.davies_bouldin is None else f"{m.davies_bouldin:.2f}",
        help="Lower is better.",
    )
    cells[3].metric(
        "Stability (ARI)",
        "—" if m.stability_ari is None else f"{m.stability_ari:.2f}",
        help="Agreement with refits on bootstrap resamples: 1 is identical.",
    )
    cells[4].metric(
        "Unassigned", f"{m.noise_share:.1%}", help="Customers a density method left in no segment."
    )


def segments_view(key: RunKey, run: Segmentation, frame: pl.DataFrame) -> None:
    profile = run.profile
    run_summary(profile)
    metrics_row(profile)
    context = build_context(profile)
    verdict_box(context, key)
    st.dataframe(segments_table(context), hide_index=True)
    described = [s for s in context.segments if s.figures]
    if described:
        chosen = st.selectbox(
            "Figures of segment",
            [s.id for s in described],
            format_func=lambda sid: next(f"{s.id}: {s.name}" for s in described if s.id == sid),
            key="figures_segment",
            help="Where every number of the personas comes from: the segment's statistics "
            "beside the whole book's. Effect size: the standardised difference from the rest "
            "of the book (on log1p for money and counts). 'quoted' marks the figures a persona "
            "states, and the statistic it quotes.",
        )
        segment = next(s for s in described if s.id == chosen)
        st.dataframe(figures_table(segment), hide_index=True)

    st.subheader("Choosing k")
    choice = profile.k_selection
    if choice is None and ALGORITHMS[key.algorithm].uses_k:
        st.caption(
            f"k was set by hand. Score every k from {K_RANGE[0]} to {K_RANGE[1]} "
            "to see what the automatic choice would be."
        )
        if st.toggle(
            f"Score k = {K_RANGE[0]}-{K_RANGE[1]} for {ALGORITHMS[key.algorithm].title}",
            key="score_k",
        ):
            choice = segment(key._replace(k=None), frame).profile.k_selection
    elif choice is None:
        st.caption(
            f"{ALGORITHMS[key.algorithm].title} finds its own number of segments: "
            "there is no k to choose."
        )
    if choice is not None:
        st.success(choice.explanation)
        st.altair_chart(charts.k_choice_chart(chart_data.k_scores(choice)), width="content")
        with st.expander("Scores of every candidate k"):
            st.dataframe([c.model_dump() for c in choice.candidates], hide_index=True)

    st.subheader("Algorithms compared")
    k_label = "the automatically chosen k" if key.k is None else f"k={key.k}"
    st.caption(
        f"Fits all seven algorithms at {k_label} with bootstrap stability: slow (about half "
        "a minute on the sample), so it runs on demand and is then cached."
    )
    requested = (key.digest, key.k, key.seed)
    if st.button("Compare all seven algorithms", key="compare"):
        st.session_state["compared"] = requested
    if st.session_state.get("compared") == requested:
        table, agreement, k = compare(key.digest, key.k, key.seed, frame)
        st.dataframe(table, hide_index=True)
        st.altair_chart(charts.comparison_chart(table, k=k), width="content")
        with st.expander("Agreement between algorithms (adjusted Rand index)"):
            st.dataframe(agreement, hide_index=True)


def llm_controls(context: RunContext, settings: LLMSettings, key: RunKey) -> None:
    asked = st.session_state.get("llm_personas", {}).get(key)
    with st.container(horizontal=True, vertical_alignment="center"):
        regenerate = st.button(
            f"Regenerate personas with {settings.model}",
            key="regenerate",
            type="primary",
            disabled=not settings.enabled,
            help="Sends one request per segment: see the payload first."
            if settings.enabled
            else "Needs an API key: enter one in the sidebar.",
        )
        # Only when the model wrote some of the personas shown: else they are rule-based.
        written = asked is not None and asked.label != RULE_BASED
        back = written and st.button("Back to rule-based personas", key="use_rules")
        show = st.toggle("Show the outgoing LLM payload", key="show_payload")
    if show:
        st.caption(
            "Exactly what would be sent: one request per segment large enough to describe, "
            "aggregates only. The API key is never part of it."
        )
        st.json(outgoing_requests(context, settings=settings, shelf=shelf()), expanded=1)
    if back:
        del st.session_state["llm_personas"][key]
        st.rerun()
    if regenerate:
        with st.status(f"Asking {settings.model} for personas...") as box:
            writer = build_writer(settings, shelf=shelf())
            personas = writer.write(context)
            credit = authorship(personas, model=writer.label, endpoint=writer.endpoint)
            box.update(label=f"{settings.model} answered", state="complete")
        st.session_state.setdefault("llm_personas", {})[key] = LLMPersonas(
            label=credit.label,
            note=credit.note,
            asked=writer.label,
            endpoint=writer.endpoint,
            personas=personas,
            id=uuid.uuid4().hex,
        )
        st.rerun()  # redraw the controls for what was written (the way back to rule-based)


def personas_for(key: RunKey, context: RunContext) -> LLMPersonas:
    """The LLM's personas of this run if this session asked for them, else the rule-based ones."""
    asked = st.session_state.get("llm_personas", {}).get(key)
    return asked or LLMPersonas(
        label=RULE_BASED,
        note=None,
        asked=RULE_BASED,
        endpoint=None,
        personas=rule_personas(key, context),
        id="rules",
    )


def persona_card(
    segment: SegmentContext, profile: SegmentProfile, persona: Persona, label: str
) -> None:
    cited, notes = persona.footnoted()
    with st.container(border=True, key=f"persona-{segment.id}"):
        st.markdown(f"#### {plain_markdown(persona.persona_name)}")
        st.caption(f"Segment {segment.id}: {plain_markdown(segment.name)}")
        with st.container(horizontal=True):
            st.badge(f"{segment.size:,} customers · {segment.share:.1%}", color="gray")
            flags = (
                ", ".join(f.replace("_", " ") for f in segment.confidence.flags)
                or "large, stable and well separated"
            )
            st.badge(
                f"{segment.confidence.level} confidence",
                color=CONFIDENCE_COLOURS[segment.confidence.level],
                help=flags,
            )
            source = label if persona.source == "llm" else RULE_BASED
            st.badge(f"Narratives: {source}", color="violet" if persona.source == "llm" else "blue")
        st.markdown(plain_markdown(cited["summary"][0].text))
        if persona.fallback_reason and persona.source == "rule-based" and not segment.coarse:
            st.caption(f"Rule-based here: {persona.fallback_reason}.")
        if profile.stats:
            st.markdown("**What sets it apart**")
            st.altair_chart(charts.effect_bars(profile), width="stretch")
        if segment.rules:
            precision = (
                f" ({segment.rule_precision:.0%} of customers matching them are in this segment)"
                if segment.rule_precision is not None
                else ""
            )
            st.markdown(
                f"**Rules**{precision}\n"
                + "\n".join(f"- {plain_markdown(rule)}" for rule in segment.rules)
            )
        if persona.products:
            st.markdown("**Suggested products**")
            for product, rationale in zip(persona.products, cited["products"], strict=True):
                st.markdown(f"- **{product.name}**: {plain_markdown(rationale.text)}")
                st.caption(product.risk_notes)
        with st.expander("Traits, needs, channels and messages"):
            for title, lines in (
                ("Traits", [c.text for c in cited["traits"]]),
                ("Needs", [c.text for c in cited["needs"]]),
                ("Channels", persona.channels),
                ("Messages", persona.messages),
            ):
                if lines:
                    items = "\n".join(f"- {plain_markdown(line)}" for line in lines)
                    st.markdown(f"**{title}**\n{items}")
        if notes:
            with st.expander(f"Where the figures come from ({len(notes)})"):
                st.markdown(
                    "\n".join(f"{i}. {plain_markdown(note)}" for i, note in enumerate(notes, 1))
                )


def personas_view(key: RunKey, run: Segmentation, settings: LLMSettings) -> None:
    profile = run.profile
    run_summary(profile)
    context = build_context(profile)
    verdict_box(context, key)
    llm_controls(context, settings, key)
    shown = personas_for(key, context)
    if shown.note:
        st.warning(f"Narratives: {shown.label}. {capitalize_first(shown.note)}.")
    by_id = {s.id: s for s in profile.segments}
    columns = st.columns(2)
    for i, (segment, persona) in enumerate(zip(context.segments, shown.personas, strict=True)):
        with columns[i % 2]:
            persona_card(segment, by_id[segment.id], persona, shown.label)
    st.caption(shelf().disclaimer)


def chart_with_downloads(chart: alt.TopLevelMixin, *, name: str, width: str = "stretch") -> None:
    st.altair_chart(chart, width=width)
    with st.container(horizontal=True):
        st.download_button(
            "PNG",
            data=lambda: charts.to_png(chart),
            file_name=f"{name}.png",
            mime="image/png",
            key=f"png-{name}",
            on_click="ignore",
            icon=":material/download:",
        )
        st.download_button(
            "SVG",
            data=lambda: charts.to_svg(chart),
            file_name=f"{name}.svg",
            mime="image/svg+xml",
            key=f"svg-{name}",
            on_click="ignore",
            icon=":material/download:",
        )


def explore_view(key: RunKey, run: Segmentation, frame: pl.DataFrame) -> None:
    profile = run.profile
    run_summary(profile)
    points, variance = pca(key, frame, run)
    sizes, segment_map = st.columns([2, 3], gap="large")
    with sizes:
        chart_with_downloads(charts.segment_sizes(profile), name="segment-sizes")
    with segment_map:
        chart_with_downloads(charts.pca_chart(points, variance, profile), name="segment-map")
    st.divider()
    chart_with_downloads(charts.profile_heatmap(profile), name="profile-heatmap")
    st.divider()
    chart_with_downloads(charts.profiles_compared(profile), name="profiles-compared")
    st.divider()
    feature = st.selectbox(
        "Distribution of",
        PROFILE_FEATURES,
        format_func=lambda f: label(f).capitalize(),
        key="feature",
    )
    chart_with_downloads(
        charts.distribution_chart(quantiles(key, frame, run), feature, profile),
        name=f"distribution-{feature.lower()}",
    )


def export_view(key: RunKey, run: Segmentation, settings: LLMSettings) -> None:
    context = build_context(run.profile)
    shown = personas_for(key, context)
    files = export(key, shown.id, run, shown.personas, shown.asked, shown.endpoint)
    run_summary(run.profile)
    verdict_box(context, key)
    st.caption(
        f"Narratives: {shown.label}{f' ({shown.note})' if shown.note else ''}. The files are "
        "exactly what `segmenter segment` and `segmenter brief` write."
    )
    st.download_button(
        "Everything, as one ZIP",
        data=lambda: zip_files(files),
        file_name="campaign.zip",
        mime="application/zip",
        key="download_zip",
        type="primary",
        on_click="ignore",
        icon=":material/folder_zip:",
    )
    for column, (title, downloads) in zip(st.columns(2), EXPORT_DOWNLOADS, strict=True):
        with column:
            st.markdown(f"**{title}**")
            for label, name, mime in downloads:
                st.download_button(
                    label,
                    data=files[name],
                    file_name=name,
                    mime=mime,
                    key=f"download_{name.replace('.', '_')}",
                    on_click="ignore",
                )
    st.markdown("**Audience lists** (customer ids per segment, for the campaign tools)")
    names = chart_data.segment_names(run.profile)
    with st.container(horizontal=True):
        for file_name, content in files.audiences.items():
            sid = int(file_name.removeprefix("segment-").removesuffix(".csv"))
            customers = content.count(b"\n") - 1  # one id a line, under a header
            st.download_button(
                f"{names[sid]} ({customers:,})",
                data=content,
                file_name=file_name,
                mime="text/csv",
                key=f"download_audience_{sid}",
                on_click="ignore",
            )
    with st.expander("Preview the brief"):
        st.markdown(files["brief.md"].decode("utf-8"))


def score_view(key: RunKey, run: Segmentation | None) -> None:
    st.caption(
        "Give new customers a segment with a saved model: the segment, how confident the "
        "assignment is, and the runner-up segment."
    )
    customers_file = st.file_uploader(
        f"New customers (CSV, Parquet or Excel, up to {MAX_UPLOAD_MB} MB)",
        type=TABLE_TYPES,
        key="score_upload",
    )
    model_file = st.file_uploader(
        "Saved model (model.skops from the Export tab or `segmenter segment`)",
        type=["skops"],
        key="model_upload",
    )
    if model_file is not None:
        model_data = model_file.getvalue()
        model_id = sha256(model_data)
        model = uploaded_model(model_id, model_file.name, model_data)
        st.caption(f"Model: {model_file.name} ({model.algorithm}, {len(model.names)} segments).")
    elif run is not None:
        model, model_id = run.model, repr(key)
        st.caption(
            "No model uploaded: using the current run's model "
            f"({ALGORITHMS[key.algorithm].title}, k={run.profile.k})."
        )
    else:
        st.info("Upload a saved model.")
        return
    if customers_file is not None:
        data, name = customers_file.getvalue(), customers_file.name
    elif st.toggle("Try it on the bundled synthetic sample", key="score_sample"):
        data, name = SAMPLE.read_bytes(), SAMPLE.name
    else:
        st.info(
            "Upload a customer file with the same columns as the data the model was trained on."
        )
        return
    digest = sha256(data)
    loaded = load(digest, name, data)
    report = loaded.report
    with st.expander(
        f"{name}: {report.rows_kept:,} of {report.rows_read:,} rows kept, "
        f"{len(report.findings)} data-quality finding(s)"
    ):
        st.dataframe(report.findings_table(), hide_index=True)
    result = scored(digest, model_id, loaded.frame, model)
    st.dataframe(
        score_summary(result),
        hide_index=True,
        column_config={
            "share": st.column_config.NumberColumn(format="percent"),
            "median_confidence": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    st.dataframe(result.head(1_000), hide_index=True)
    st.download_button(
        "Download the scored customers (CSV)",
        data=csv_bytes(result),  # spreadsheet-safe, as every CSV the product writes
        file_name="scores.csv",
        mime="text/csv",
        key="download_scores",
        type="primary",
        on_click="ignore",
    )


# --- The page -----------------------------------------------------------------------------------

st.set_page_config(page_title="Card segmenter", page_icon=":material/credit_card:", layout="wide")
st.title("Card segmenter")
st.caption(
    "Credit-card customer segments, personas for advisors, and campaign files for marketers."
)

with st.sidebar:
    st.header("Data")
    upload = st.file_uploader(
        f"Customer file: CSV, Parquet or Excel, up to {MAX_UPLOAD_MB} MB",
        type=TABLE_TYPES,
        key="upload",
    )
    st.header("Segments")
    algorithm = st.selectbox(
        "Algorithm",
        list(ALGORITHMS),
        format_func=lambda name: ALGORITHMS[name].title,
        key="algorithm",
    )
    uses_k = ALGORITHMS[algorithm].uses_k
    k_choice = st.selectbox(
        "Number of segments (k)",
        K_OPTIONS,
        index=K_OPTIONS.index(DEFAULT_K),
        format_func=lambda k: (
            f"auto (best of {K_RANGE[0]}-{K_RANGE[1]})" if k == "auto" else str(k)
        ),
        key="k",
        disabled=not uses_k,
        help="auto weighs silhouette, Calinski-Harabasz, Davies-Bouldin and bootstrap "
        "stability over k=3-8 and says why, in a sentence."
        if uses_k
        else f"{ALGORITHMS[algorithm].title} finds its own number of segments.",
    )
    seed = int(
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="seed")
    )
    st.header("Narratives")
    api_key = st.text_input(
        "OpenAI API key",
        type="password",
        key="api_key",
        help="Used for this session only: never stored, logged or shown. Without a key, "
        "personas are rule-based and nothing leaves this server.",
    )
    try:
        settings = settings_from_env()
    except InputError as error:
        st.error(str(error))
        settings = LLMSettings()
    settings = dataclasses.replace(
        settings, api_key=api_key.strip() or settings.api_key or secret_key()
    )
    where = f" at {settings.base_url}" if settings.base_url else ""
    st.caption(
        f"Model: {settings.model}{where}. "
        + (
            "A key is set: personas can be regenerated with the LLM."
            if settings.enabled
            else "No key: rule-based personas."
        )
    )

if upload is not None:
    data, name, synthetic = upload.getvalue(), upload.name, False
else:
    data, name, synthetic = SAMPLE.read_bytes(), SAMPLE.name, True
digest = sha256(data)

try:
    loaded = load(digest, name, data)
except InputError as error:
    st.error(f"This file cannot be used: {error}")
    st.stop()

if synthetic:
    st.info(
        "Showing the bundled **synthetic** sample (generated, not real customers). "
        "Upload your own file in the sidebar."
    )

key = RunKey(
    digest=digest,
    source=name,
    algorithm=algorithm,
    k=None if k_choice == "auto" or not uses_k else int(k_choice),
    seed=seed,
)


def current_run() -> Segmentation | None:
    """The cached run of the sidebar's settings; a refusal is shown, not raised."""
    try:
        run = segment(key, loaded.frame)
        if run.profile.k_selection is not None:  # kept to weigh a k set by hand later
            st.session_state.setdefault("k_choices", {})[key] = run.profile.k_selection
        return run
    except InputError as error:
        st.error(f"These customers cannot be segmented this way: {error}")
        return None


tabs = dict(
    zip(VIEWS, st.tabs(VIEWS, default="Personas", key="view", on_change="rerun"), strict=True)
)
if tabs["Data"].open:
    with tabs["Data"]:
        data_view(loaded)
if tabs["Segments"].open:
    with tabs["Segments"]:
        if run := current_run():
            segments_view(key, run, loaded.frame)
if tabs["Personas"].open:
    with tabs["Personas"]:
        if run := current_run():
            personas_view(key, run, settings)
if tabs["Explore"].open:
    with tabs["Explore"]:
        if run := current_run():
            explore_view(key, run, loaded.frame)
if tabs["Export"].open:
    with tabs["Export"]:
        if run := current_run():
            export_view(key, run, settings)
if tabs["Score"].open:
    with tabs["Score"]:
        try:
            score_view(key, current_run())
        except InputError as error:
            st.error(f"Cannot score: {error}")
