"""Card segmenter: the app. The sidebar's settings, the customers, then the page chosen.

Reads top-down: the sidebar, the customer file (cached on its SHA-256; its columns chosen in a
mapping step first when their names do not match), the run's key, then `st.navigation` over one
page script per view in `card_segmenter/app/pages/`. The pages read this run's inputs from
`card_segmenter.app.state`; all the work is in `segmenter` and `narratives`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from card_segmenter.app import columns, state
from card_segmenter.app.widgets import MAX_UPLOAD_MB, TABLE_TYPES
from narratives import LLMSettings, settings_from_env, settings_with_key
from narratives.config import llm_status
from narratives.templates import plain_markdown
from segmenter.cluster.algorithms import ALGORITHMS
from segmenter.cluster.selection import K_RANGE
from segmenter.errors import InputError
from segmenter.pipeline import parse_k

SAMPLE = state.SAMPLE  # the bundled synthetic customers, shown until a file is uploaded
PAGES = Path(__file__).resolve().parent / "card_segmenter" / "app" / "pages"
K_OPTIONS: tuple[str | int, ...] = ("auto", *range(2, 11))
# The app opens on what the data supports: k chosen by weighing separation, stability and size
# over k=3-8 (a few seconds, once; then cached). K-Means k=4, the literature's choice, is the
# least stable k on the real file (bootstrap agreement 0.69 against 0.97 at k=3).
DEFAULT_K = "auto"
VIEWS = (
    "Data", "Segments", "Personas", "Customer", "Explore", "Export", "Score", "Review", "History",
)  # fmt: skip
DEFAULT_VIEW = "Personas"

st.set_page_config(page_title="Card segmenter", page_icon=":material/credit_card:", layout="wide")
page = st.navigation(
    [
        st.Page(PAGES / f"{view.lower()}.py", title=view, default=view == DEFAULT_VIEW)
        for view in VIEWS
    ],
    position="top",
)
st.title("Card segmenter")
try:
    state.use_bank_files()  # the bank's own vocabulary, wording and shelf, when named
except InputError as error:
    st.error(f"The bank's settings cannot be used: {plain_markdown(str(error))}")
    st.stop()
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
    recorded = {run.id: run for run in state.refreshable_runs()}
    previous = (
        st.selectbox(
            "Keep the segment ids of",
            [None, *recorded],
            format_func=lambda r: "no earlier run" if r is None else state.run_label(recorded[r]),
            key="previous_run",
            help="A recorded run, e.g. last month's: segments that match it keep its ids and "
            "names, as `segmenter segment --previous RUN_ID` does. History shows where customers "
            "went and which columns drifted.",
        )
        if recorded
        else None
    )
    st.header("Narratives")
    typed_key = state.session_key()
    if typed_key is None:
        # The field is emptied as soon as a key is entered (`keep_key`): the key lives in
        # this session's state only, never in the page sent to the browser.
        st.text_input(
            "OpenAI API key",
            type="password",
            key="api_key",
            on_change=state.keep_key,
            help="Used for this session only: never stored, logged or shown. Without a key, "
            "personas are rule-based and nothing leaves this server.",
        )
    else:
        st.button(
            "Forget the API key",
            key="forget_key",
            on_click=state.forget_key,
            icon=":material/key_off:",
            help="A key is set for this session (not shown). Forget it to enter another.",
        )
    try:
        from_env = settings_from_env()
    except InputError as error:
        st.error(plain_markdown(str(error)))
        from_env = LLMSettings()
    settings = settings_with_key(from_env, typed=typed_key, secret=state.secret_key())
    st.caption(llm_status(settings))

if upload is not None:
    data, name, synthetic = upload.getvalue(), upload.name, False
else:
    data, name, synthetic = SAMPLE.read_bytes(), SAMPLE.name, True
digest = state.sha256(data)

try:
    # Columns that cannot all be matched by name are chosen in a step of their own first.
    loaded, run_digest, header = columns.customers(digest, name, data)
except InputError as error:
    st.error(f"This file cannot be used: {plain_markdown(str(error))}")
    st.stop()

if synthetic:
    st.info(
        "Showing the bundled **synthetic** sample (generated, not real customers). "
        "Upload your own file in the sidebar."
    )

key = state.RunKey(
    digest=run_digest,
    source=name,
    algorithm=algorithm,
    k=parse_k(str(k_choice)) if uses_k else None,  # "auto" -> None, as on the command line
    seed=seed,
    previous=previous,
)
state.publish(state.Inputs(loaded=loaded, key=key, settings=settings, header=header, data=data))
page.run()
