"""A bank's own vocabulary (`--vocabulary`, `SEGMENTER_VOCABULARY`): its names, titles and units
reach the segments and the brief; a broken one is refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from segmenter.explain.vocabulary import DEFAULT_VOCABULARY, default_vocabulary
from testkit.paths import SAMPLE
from testkit.segmenter_fixtures import run_cli


def own_vocabulary(folder: Path) -> Path:
    """The packaged vocabulary reworded: "Our ..." names and titles, amounts in euros."""
    text = DEFAULT_VOCABULARY.read_text(encoding="utf-8")
    text = text.replace('name = "', 'name = "Our ').replace('title = "The ', 'title = "Our ')
    path = folder / "words.toml"
    path.write_text(text.replace('currency = "$"', 'currency = "€"'), encoding="utf-8")
    return path


def test_segment_and_brief_speak_the_banks_own_words(tmp_path: Path) -> None:
    words = own_vocabulary(tmp_path)
    out = tmp_path / "run"
    done = run_cli(
        "--vocabulary", str(words), "segment", str(SAMPLE), "--k", "3", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    names = [s["name"] for s in json.loads((out / "profiles.json").read_text())["segments"]]
    packaged = {a.name for a in default_vocabulary().archetypes}
    assert all(name.startswith("Our ") for name in names), names
    assert not packaged & set(names)

    brief = tmp_path / "brief.md"  # the same words from the environment
    done = run_cli(
        "brief",
        str(out),
        "--out",
        str(brief),
        "--offline",
        env={"SEGMENTER_VOCABULARY": str(words)},
    )
    assert done.returncode == 0, done.stderr
    text = brief.read_text(encoding="utf-8")
    titles = {a.title for a in default_vocabulary().archetypes}
    assert "Our " in text
    assert not any(title in text for title in titles)
    assert "€" in text
    assert "$" not in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[units\n", "not valid TOML", id="syntax"),
        pytest.param("[units]\ncurrency = 1\n", "units.currency", id="wrong-type"),
    ],
)
def test_a_broken_vocabulary_is_one_line_and_nothing_is_written(
    tmp_path: Path, text: str, message: str
) -> None:
    words = tmp_path / "words.toml"
    words.write_text(text, encoding="utf-8")
    out = tmp_path / "run"
    done = run_cli("--vocabulary", str(words), "segment", str(SAMPLE), "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: vocabulary {words}: ")
    assert message in done.stderr
    assert not out.exists()
