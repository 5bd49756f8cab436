"""What every page works on: the run's key, this run's inputs, and the cached calls.

Every slow call is cached on the SHA-256 of the data's bytes and the run's settings (`RunKey`),
and shows a status box the first time it runs. Data is cached with `st.cache_data` (a copy
per caller), the uploaded model with `st.cache_resource` (one shared, read-only object).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import polars as pl
import streamlit as st

from narratives import LLMSettings, Persona, RuleBasedWriter, RunContext, Shelf, load_shelf
from narratives.audiences import read_consent
from narratives.export import ExportFiles, export_files
from narratives.pack_files import PackDownload
from narratives.recording import record_export
from narratives.review import ReviewLookup
from narratives.shelf import DEFAULT_SHELF
from narratives.templates import plain_markdown, use_prompt_folder
from narratives.usage import Price
from segmenter.charts import data as chart_data
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.comparison import run_comparison
from segmenter.errors import InputError
from segmenter.explain.customer import book_spread
from segmenter.explain.vocabulary import use_vocabulary
from segmenter.ingest.candidates import ColumnChoices, column_choices
from segmenter.ingest.limits import limits_from_env
from segmenter.ingest.quality import CarriedColumns, LoadedCustomers, clean_table
from segmenter.ingest.read import parse_table
from segmenter.model.fitted import SegmentModel, score
from segmenter.model.moves import Move, move_to_segment
from segmenter.model.scoring import model_from_bytes
from segmenter.pipeline import Segmentation, run_segmentation
from segmenter.refresh.migration import Migration
from segmenter.refresh.previous import PreviousRun, recorded_previous
from segmenter.refresh.run import Refresh, refresh_run
from segmenter.workspace import (
    RunSummary,
    database_url_from_env,
    decisions,
    list_runs,
    open_workspace,
    review_stamp,
    run_for_profiles,
)
from segmenter.workspace.runs import profiles_sha256

if TYPE_CHECKING:
    from sqlalchemy import Engine

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_customers.csv"
_INPUTS = "inputs"  # session state: this run's Inputs, set by streamlit_app.py for the page
_KEY = "llm_key"  # session state: the API key typed in this session (never in a widget)
_COLUMNS = "column_maps"  # session state: header key -> the column map the user chose for it
_DRAFTS = "column_drafts"  # session state: header key -> a choice to make again (ColumnDraft)
# session state: the audience files' extra columns and consent column (AudienceChoice), chosen
# on the Export page and read by every page that writes an audience file. Not a widget's key:
# Streamlit drops those when the page changes.
_AUDIENCE = "audience_choice"
CARRY_WIDGET, CONSENT_WIDGET = "audience_carry", "audience_consent"  # the Export page's
ColumnMap = tuple[tuple[str, str], ...]  # (file column, product column) pairs: a cache key


class RunKey(NamedTuple):
    """What a segmentation depends on: the data's hash and the sidebar's settings.

    A tuple, not a dataclass: the caches hash it by value, and a key kept in session state must
    still compare equal to the same key made by a later run, even after Streamlit reloads this
    module on a code change (which makes its classes anew).
    """

    digest: str
    source: str
    algorithm: str
    k: int | None
    seed: int
    previous: int | None = None  # a recorded run whose segment ids and names this run keeps


class Refreshed(NamedTuple):
    """A run refreshed against a recorded one: the run with its ids and names, and what
    changed (segmenter.refresh)."""

    run: Segmentation
    refresh: Refresh
    moved: Migration


@dataclass(frozen=True)
class Inputs:
    """This run's customers, run key and LLM settings: made by the entry script, read by pages."""

    loaded: LoadedCustomers
    key: RunKey
    settings: LLMSettings
    header: str | None = None  # the file header's key, when the user chose its columns
    data: bytes = b""  # the customer file's bytes: its extra columns are read from them on demand


class ColumnDraft(NamedTuple):
    """A choice of columns to make again: as it was (product column -> file column), and why."""

    choice: dict[str, str]
    refusal: str | None  # the checks' refusal, or None when the user asked to change it


class AudienceChoice(NamedTuple):
    """The customer file's extra columns the audience files carry, in the order chosen, and
    the consent column that keeps only consenting customers where a segment's products need
    consent (narratives.audiences). A tuple, as RunKey, to survive a reload of this module."""

    carry: tuple[str, ...] = ()
    consent: str | None = None

    @property
    def keep(self) -> tuple[str, ...]:
        """The columns to read from the customer file: those carried, then the consent one."""
        return tuple(dict.fromkeys([*self.carry, *([self.consent] if self.consent else [])]))


def audience_choice(inputs: Inputs) -> AudienceChoice:
    """The audience choice made on the Export page, as far as this run's file has the columns
    (a file without them has no choice; Streamlit's widgets drop the missing options too)."""
    kept: AudienceChoice = AudienceChoice(*st.session_state.get(_AUDIENCE, ()))
    extras = set(inputs.loaded.report.ignored_columns)
    return AudienceChoice(
        tuple(c for c in kept.carry if c in extras),
        kept.consent if kept.consent in extras else None,
    )


def keep_audience_choice() -> None:
    """Copy the Export page's audience widgets into the choice every page reads (on_change)."""
    st.session_state[_AUDIENCE] = AudienceChoice(
        tuple(st.session_state.get(CARRY_WIDGET, ())), st.session_state.get(CONSENT_WIDGET)
    )


def chosen_columns(inputs: Inputs, choice: AudienceChoice) -> CarriedColumns | None:
    """The customer file's columns `choice` keeps, read once per file and choice (None when it
    keeps none); an InputError when its consent column is not yes/no."""
    if not choice.keep:
        return None
    return carried(
        inputs.key.digest,
        inputs.key.source,
        inputs.data,
        tuple(inputs.loaded.report.user_mapping.items()),
        choice.keep,
        choice.consent,
    )


def publish(inputs: Inputs) -> None:
    """Hand this run's inputs to the page about to run, in the session's own state."""
    st.session_state[_INPUTS] = inputs


def current() -> Inputs:
    """This run's inputs, as the entry script published them."""
    inputs: Inputs = st.session_state[_INPUTS]
    return inputs


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def keep_key() -> None:
    """Move a key typed in the sidebar out of its field into this session's state.

    A callback, run before the page is drawn: the field is drawn again empty, so the key is
    never part of the page's HTML.
    """
    typed = str(st.session_state.get("api_key", "")).strip()
    st.session_state["api_key"] = ""
    if typed:
        st.session_state[_KEY] = typed


def forget_key() -> None:
    st.session_state.pop(_KEY, None)


def session_key() -> str | None:
    """The key typed in this session, if any."""
    key: str | None = st.session_state.get(_KEY)
    return key


def column_map(header: str) -> dict[str, str] | None:
    """The columns the user chose in this session for files with this header, if any."""
    found: dict[str, str] | None = st.session_state.get(_COLUMNS, {}).get(header)
    return found


def keep_column_map(header: str, columns: dict[str, str]) -> None:
    """Remember a column map for files with this header, for the rest of the session."""
    st.session_state.setdefault(_COLUMNS, {})[header] = columns
    st.session_state.get(_DRAFTS, {}).pop(header, None)


def redo_column_map(header: str, *, refusal: str | None = None) -> None:
    """Forget the column map of this header, keeping it as the draft of the next choice."""
    columns = st.session_state.get(_COLUMNS, {}).pop(header, None) or {}
    draft_column_map(header, {v: k for k, v in columns.items()}, refusal=refusal)


def draft_column_map(header: str, choice: dict[str, str], *, refusal: str | None) -> None:
    st.session_state.setdefault(_DRAFTS, {})[header] = ColumnDraft(choice, refusal)


def column_draft(header: str) -> ColumnDraft | None:
    draft: ColumnDraft | None = st.session_state.get(_DRAFTS, {}).get(header)
    return draft


def run_digest(digest: str, columns: ColumnMap) -> str:
    """The data's digest, or with a column map the digest of both: what a run is cached on."""
    return sha256(f"{digest}\n{json.dumps(columns)}".encode()) if columns else digest


def secret_key() -> str | None:
    """OPENAI_API_KEY from st.secrets, when the app has a secrets file."""
    try:
        key: str | None = st.secrets.get("OPENAI_API_KEY")
    except FileNotFoundError:
        return None
    return key


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
def load_or_ask(
    digest: str, name: str, _data: bytes, columns: ColumnMap = ()
) -> LoadedCustomers | ColumnChoices:
    """The customers, or, when the file's columns cannot all be matched by name but could be
    chosen among its other columns, what to ask for."""
    with progress(f"Reading and checking {name}"):
        raw = parse_table(_data, name=name, limits=limits_from_env())
        choices = column_choices(raw.frame, given=dict(columns), source=name)
        if choices.missing and choices.can_be_mapped:
            return choices
        return clean_table(raw, columns=dict(columns) or None)  # refuses too few columns


@st.cache_data(show_spinner=False, max_entries=32)
def segment(key: RunKey, _frame: pl.DataFrame) -> Segmentation:
    if key.previous is not None:
        return refreshed(key, _frame).run
    with progress(f"Segmenting with {ALGORITHMS[key.algorithm].title}") as step:
        return run_segmentation(
            _frame,
            algorithm=key.algorithm,
            k=key.k,
            seed=key.seed,
            progress=step,
            source=key.source,
        )


@st.cache_resource(show_spinner="Reading the recorded run...", max_entries=4)
def _previous(url: str, run_id: int) -> PreviousRun:
    """A recorded run, as a refresh needs it (shared: a recorded run never changes)."""
    return recorded_previous(_open_workspace(url), str(run_id))


@st.cache_data(show_spinner=False, max_entries=16)
def refreshed(key: RunKey, _frame: pl.DataFrame) -> Refreshed:
    """The run of `key` without its previous run, matched to that recorded run: its ids and
    names kept where segments match (the app's `segment --previous RUN_ID`)."""
    assert key.previous is not None
    run = segment(key._replace(previous=None), _frame)
    previous = _previous(database_url_from_env(), key.previous)
    with progress(f"Matching the segments to run {key.previous}"):
        return Refreshed(*refresh_run(run, _frame, previous))


def current_run(inputs: Inputs) -> Segmentation | None:
    """The cached run of the sidebar's settings; a refusal is shown, not raised."""
    try:
        run = segment(inputs.key, inputs.loaded.frame)
    except InputError as error:
        st.error(f"These customers cannot be segmented this way: {plain_markdown(str(error))}")
        return None
    if run.profile.k_selection is not None:  # kept to weigh a k set by hand later
        st.session_state.setdefault("k_choices", {})[inputs.key] = run.profile.k_selection
    return run


@st.cache_resource(show_spinner=False)
def _open_workspace(url: str) -> Engine:
    """The workspace, opened (and migrated) once per server; a failure is not cached."""
    return open_workspace(url)


def workspace() -> Engine | str:
    """The workspace database, or the sentence saying why there is none: the pages that need it
    say so, and every other page works as before."""
    try:
        return _open_workspace(database_url_from_env())
    except InputError as error:
        return str(error)


def refreshable_runs(limit: int = 50) -> list[RunSummary]:
    """The runs recorded in the workspace whose ids a run on screen can keep, newest first:
    those fitted on one machine (a Spark run's model is applied by Spark); none without a
    workspace."""
    engine = workspace()
    runs = [] if isinstance(engine, str) else list_runs(engine, limit=limit)
    return [run for run in runs if run.engine == "local"]


def run_method(run: RunSummary) -> str:
    """ "kmeans k=4", "kmeans k=4 on Spark": how a recorded run was fitted."""
    return f"{run.algorithm} k={run.k}" + (" on Spark" if run.engine == "spark" else "")


def run_label(run: RunSummary) -> str:
    """ "Run 3: november.csv, kmeans k=4, 2026-11-30" (plain text: a select box's option)."""
    name = Path(run.source_name.rstrip("/")).name  # a Spark run's book may be a folder
    return f"Run {run.id}: {name}, {run_method(run)}, {run.created_at:%Y-%m-%d}"


class Reviewed(NamedTuple):
    """Where this session's run stands in review: its recorded run, and a look-up of the
    decisions on its words for the exports (none: not recorded, every text a draft)."""

    run_id: int | None = None
    lookup: ReviewLookup | None = None
    stamp: int = 0  # moves at each decision: part of a cached export's key
    stats_sha256: str = ""  # the run's profiles.json, which its exports were written from

    @property
    def key(self) -> tuple[int | None, int]:
        return self.run_id, self.stamp


def reviewed(run: Segmentation) -> Reviewed:
    """The review states the exports of `run` carry, from the workspace when it has the run."""
    engine = workspace()
    if isinstance(engine, str):
        return Reviewed()
    digest = profiles_sha256(run.profile)
    found = run_for_profiles(engine, digest)
    if found is None:
        return Reviewed()
    run_id = found.id
    return Reviewed(
        run_id,
        lambda items: decisions(engine, run_id, ((i.item_key, i.text) for i in items)),
        review_stamp(engine, run_id),
        digest,
    )


def handed_out(reviewed: Reviewed, download: PackDownload, *, file_name: str) -> bytes:
    """A pack file's bytes, as a download button asks for them when clicked; the hand-out is
    recorded in the workspace as an export of the run when the run is recorded there."""
    engine = workspace()
    if reviewed.run_id is not None and not isinstance(engine, str):
        record_export(
            engine, reviewed.run_id, download.pack, kind=Path(file_name).suffix.lstrip("."),
            file_name=file_name, content=download.content, stats_sha256=reviewed.stats_sha256,
            actor=st.session_state.get("reviewer", "").strip() or "app",
        )  # fmt: skip
    return download.content


# The bank's own words and shelf, named in the environment as for the command line.
BANK_FILES = ("SEGMENTER_VOCABULARY", "SEGMENTER_PROMPTS", "SEGMENTER_SHELF")
_applied: dict[str, str | None] = {}  # what use_bank_files last put to use in this process


def use_bank_files() -> None:
    """Put the vocabulary, wording and shelf named in the environment to use (read at start
    and again only when a setting changes); an InputError naming a file that cannot be."""
    named = {name: os.environ.get(name) or None for name in BANK_FILES}
    if named == _applied:
        return
    vocabulary, prompts, _ = (Path(v) if v else None for v in named.values())
    use_vocabulary(vocabulary)
    use_prompt_folder(prompts)
    shelf()  # read and checked now: a broken shelf is said once, at the top
    _applied.clear()
    _applied.update(named)


def shelf() -> Shelf:
    """The bank's shelf (`SEGMENTER_SHELF`), else the packaged example."""
    return _shelf(os.environ.get("SEGMENTER_SHELF") or None)


@st.cache_data(show_spinner=False)
def _shelf(path: str | None) -> Shelf:
    return load_shelf(Path(path) if path else DEFAULT_SHELF)


@st.cache_data(show_spinner=False, max_entries=32)
def rule_personas(key: RunKey, _context: RunContext) -> list[Persona]:
    return RuleBasedWriter(shelf()).write(_context)


@st.cache_data(show_spinner=False, max_entries=8)
def spread(digest: str, _frame: pl.DataFrame) -> dict[str, float | None]:
    """The book's standard deviation of every profile feature (customer lookups)."""
    return book_spread(_frame)


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


@st.cache_data(show_spinner=False, max_entries=8)
def carried(
    digest: str,
    name: str,
    _data: bytes,
    columns: ColumnMap,
    keep: tuple[str, ...],
    consent: str | None,
) -> CarriedColumns | None:
    """Extra columns of the customer file, read as its customers were (the same column map);
    an InputError when the consent column among them is not yes/no."""
    with progress(f"Reading {len(keep)} more column(s) of {name}"):
        raw = parse_table(_data, name=name, limits=limits_from_env())
        found = clean_table(raw, columns=dict(columns) or None, keep=keep).carried
    if found is not None and consent is not None:
        read_consent(found, consent)
    return found


@st.cache_data(show_spinner="Writing the brief, audiences and model files...", max_entries=8)
def export(
    key: RunKey,
    generation: str,
    _run: Segmentation,
    _personas: list[Persona],
    _label: str,
    _endpoint: str | None,
    price: Price | None,
    keep: tuple[str, ...] = (),  # what `_carried` holds: with `consent`, part of the cache key
    consent: str | None = None,
    _carried: CarriedColumns | None = None,
    review: tuple[int | None, int] = (None, 0),  # Reviewed.key: the run in review, its stamp
    _lookup: ReviewLookup | None = None,
) -> ExportFiles:
    return export_files(
        _run,
        _personas,
        narratives=_label,
        endpoint=_endpoint,
        shelf=shelf(),
        price=price,
        carried=_carried,
        consent=consent,
        review=_lookup,
        review_run=review[0],
    )


@st.cache_resource(show_spinner="Reading the model...", max_entries=4)
def uploaded_model(digest: str, name: str, _data: bytes) -> SegmentModel:
    return model_from_bytes(_data, name=name)


@st.cache_data(show_spinner="Looking for the smallest move...", max_entries=64)
def move(
    key: RunKey, customer: tuple[object, ...], target: int, _model: SegmentModel, _row: pl.DataFrame
) -> Move | str:
    """The smallest move of one customer (a canonical row, its values the cache key) to a
    target segment, or the sentence saying why there is none; searched once per choice."""
    try:
        return move_to_segment(_model, _row, target)
    except InputError as error:
        return str(error)


@st.cache_data(show_spinner="Scoring customers...", max_entries=8)
def scored(customers: str, model: str, _frame: pl.DataFrame, _model: SegmentModel) -> pl.DataFrame:
    return score(_model, _frame)
