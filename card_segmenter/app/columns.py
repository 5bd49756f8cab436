"""The column-mapping step: the user says which of a file's columns hold what the product needs.

Shown when an upload's column names cannot all be matched. Widgets only: what is missing and
the candidates come from `segmenter.ingest.candidates`, the choice goes through the normal
checks (`clean_table(raw, columns=...)`), and it is kept for files with the same header for the
session (`state.keep_column_map`). Every text from the file is escaped or sits in a widget's
options, which are not Markdown.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import streamlit as st

from card_segmenter.app import state
from narratives.templates import plain_markdown
from segmenter.errors import InputError
from segmenter.explain.measures import LABELS
from segmenter.ingest.candidates import ColumnChoices, chosen_columns
from segmenter.ingest.quality import LoadedCustomers
from segmenter.ingest.schema import FEATURE_COLUMNS

_PER_ROW = 3  # select boxes side by side


class Customers(NamedTuple):
    """An upload's customers, what its runs are cached on, and its header's key if mapped."""

    loaded: LoadedCustomers
    digest: str  # the data's, or with the user's column map the digest of both
    header: str | None  # the header's key when the user chose its columns


def customers(digest: str, name: str, data: bytes) -> Customers:
    """The file's customers; when its columns must be chosen first, the step is drawn and the
    run stops. A refusal that is not about the columns is raised as an InputError."""
    found = state.load_or_ask(digest, name, data)
    if isinstance(found, LoadedCustomers):
        return Customers(found, digest, None)
    columns = state.column_map(found.key)
    if columns is not None:
        pairs = tuple(columns.items())
        try:
            loaded = state.load_or_ask(digest, name, data, pairs)
        except InputError as error:  # the checks refuse what was chosen: choose again
            state.redo_column_map(found.key, refusal=str(error))
        else:
            if isinstance(loaded, LoadedCustomers):
                return Customers(loaded, state.run_digest(digest, pairs), found.key)
            state.redo_column_map(found.key)
    ask(found, name)
    st.stop()


def remembered(digest: str, name: str, data: bytes) -> LoadedCustomers:
    """The file's customers, its columns mapped as this session mapped its header before; an
    InputError saying how to map them when it did not (for pages with uploads of their own)."""
    found = state.load_or_ask(digest, name, data)
    if isinstance(found, LoadedCustomers):
        return found
    columns = state.column_map(found.key)
    loaded = state.load_or_ask(digest, name, data, tuple(columns.items())) if columns else None
    if isinstance(loaded, LoadedCustomers):
        return loaded
    raise InputError(
        f"{name}: its columns are not the product's ({', '.join(found.missing[:3])}"
        f"{' and more' if len(found.missing) > 3 else ''} not found by name). Upload it once "
        "in the sidebar to choose its columns: the choice is then used here too"
    )


def ask(choices: ColumnChoices, name: str) -> None:
    """One select box per missing column, the likeliest columns first, and a button."""
    draft = state.column_draft(choices.key)
    st.subheader("Which of your columns hold what?")
    st.markdown(
        f"**{plain_markdown(name)}**: {len(choices.missing)} of the {len(FEATURE_COLUMNS)} "
        "columns the segments need are not under names the product knows. For each one, "
        "choose the column of your file that holds it; the likeliest come first. The choice "
        "is kept for files with the same columns during this session."
    )
    if draft is not None and draft.refusal:
        st.error(f"These columns cannot be used: {plain_markdown(draft.refusal)}")
    wanted = (*choices.missing, *choices.optional)
    cells = st.columns(_PER_ROW)
    for index, column in enumerate(wanted):
        options: list[str | None] = [None, *choices.options(column)]
        before = draft.choice.get(column) if draft is not None else None
        optional = column in choices.optional
        cells[index % _PER_ROW].selectbox(
            f"{plain_markdown(column)}: {LABELS.get(column, 'customer id (optional)')}",
            options,
            index=options.index(before) if before in options else 0,
            format_func=partial(_option, choices, optional=optional),
            key=f"column_{column}",
        )
    st.button(
        "Use these columns",
        type="primary",
        key="use_columns",
        on_click=_use,
        args=(choices,),
        icon=":material/check:",
    )


def _option(choices: ColumnChoices, column: str | None, *, optional: bool) -> str:
    """A column's name and a couple of its values, as plain text (options are not Markdown)."""
    if column is None:
        return "none: number the rows as ids" if optional else "choose a column"
    examples = ", ".join(choices.examples.get(column, ()))
    return f"{column}  (e.g. {examples})" if examples else column


def _use(choices: ColumnChoices) -> None:
    """Keep the columns chosen, or the choice and why it cannot be a map (a blank, a repeat)."""
    picked = {
        column: st.session_state.get(f"column_{column}")
        for column in (*choices.missing, *choices.optional)
    }
    try:
        columns = chosen_columns(picked, required=choices.missing)
    except InputError as error:
        choice = {k: v for k, v in picked.items() if v}
        state.draft_column_map(choices.key, choice, refusal=str(error))
        return
    state.keep_column_map(choices.key, columns)
