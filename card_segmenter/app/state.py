"""What every page works on: the run's key, this run's inputs, and the cached calls.

Every slow call is cached on the SHA-256 of the data's bytes and the run's settings (`RunKey`),
and shows a status box the first time it runs. Data is cached with `st.cache_data` (a copy
per caller), the uploaded model with `st.cache_resource` (one shared, read-only object).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import polars as pl
import streamlit as st

from narratives import LLMSettings, Persona, RuleBasedWriter, RunContext, Shelf, load_shelf
from narratives.export import ExportFiles, export_files
from segmenter.charts import data as chart_data
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.comparison import run_comparison
from segmenter.errors import InputError
from segmenter.ingest.quality import LoadedCustomers, clean_table
from segmenter.ingest.read import parse_table
from segmenter.model.fitted import SegmentModel, score
from segmenter.model.scoring import model_from_bytes
from segmenter.pipeline import Segmentation, run_segmentation

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample_customers.csv"
_INPUTS = "inputs"  # session state: this run's Inputs, set by streamlit_app.py for the page


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


@dataclass(frozen=True)
class Inputs:
    """This run's customers, run key and LLM settings: made by the entry script, read by pages."""

    loaded: LoadedCustomers
    key: RunKey
    settings: LLMSettings


def publish(inputs: Inputs) -> None:
    """Hand this run's inputs to the page about to run, in the session's own state."""
    st.session_state[_INPUTS] = inputs


def current() -> Inputs:
    """This run's inputs, as the entry script published them."""
    inputs: Inputs = st.session_state[_INPUTS]
    return inputs


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


def current_run(inputs: Inputs) -> Segmentation | None:
    """The cached run of the sidebar's settings; a refusal is shown, not raised."""
    try:
        run = segment(inputs.key, inputs.loaded.frame)
    except InputError as error:
        st.error(f"These customers cannot be segmented this way: {error}")
        return None
    if run.profile.k_selection is not None:  # kept to weigh a k set by hand later
        st.session_state.setdefault("k_choices", {})[inputs.key] = run.profile.k_selection
    return run


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


@st.cache_resource(show_spinner="Reading the model...", max_entries=4)
def uploaded_model(digest: str, name: str, _data: bytes) -> SegmentModel:
    return model_from_bytes(_data, name=name)


@st.cache_data(show_spinner="Scoring customers...", max_entries=8)
def scored(customers: str, model: str, _frame: pl.DataFrame, _model: SegmentModel) -> pl.DataFrame:
    return score(_model, _frame)
