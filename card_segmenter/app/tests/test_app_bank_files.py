"""The app speaks the bank's own words and offers its own shelf, named in the environment as for
the command line (`SEGMENTER_VOCABULARY`, `SEGMENTER_SHELF`); a broken file is said at the top."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from card_segmenter.app import state
from card_segmenter.app.tests.test_app import app, everything_shown, persona_names
from card_segmenter.tests.test_cli_vocabulary import own_vocabulary
from narratives.shelf import DEFAULT_SHELF
from narratives.templates import use_prompt_folder
from segmenter.explain.vocabulary import use_vocabulary


@pytest.fixture(autouse=True)
def packaged_words_after() -> Iterator[None]:
    """Runs cached under the packaged words are not this test's, nor this test's the next's."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()
    use_vocabulary(None)
    use_prompt_folder(None)
    state._applied.clear()


def own_shelf(folder: Path) -> Path:
    """The packaged shelf with the consolidation loan renamed."""
    text = DEFAULT_SHELF.read_text(encoding="utf-8")
    path = folder / "shelf.toml"
    path.write_text(text.replace("Debt Consolidation Loan", "Our Fair Loan"), encoding="utf-8")
    return path


def test_the_banks_vocabulary_and_shelf_reach_the_personas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGMENTER_VOCABULARY", str(own_vocabulary(tmp_path)))
    monkeypatch.setenv("SEGMENTER_SHELF", str(own_shelf(tmp_path)))
    at = app().run()
    assert not at.exception
    assert not at.error
    names = persona_names(at)
    assert names
    assert all(name.startswith("Our ") for name in names), names
    text = everything_shown(at)
    assert "Our Fair Loan" in text
    assert "Debt Consolidation Loan" not in text


def test_a_broken_shelf_is_said_at_the_top_and_the_app_stops_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "shelf.toml"
    broken.write_text("[[products]]\nid = 1\n", encoding="utf-8")
    monkeypatch.setenv("SEGMENTER_SHELF", str(broken))
    at: AppTest = app().run()
    assert not at.exception
    assert [e.value for e in at.error]
    assert "The bank's settings cannot be used" in at.error[0].value
    assert "product shelf" in at.error[0].value
    assert "Field required" in at.error[0].value
    assert not persona_names(at)
