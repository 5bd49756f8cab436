"""The public Python API: its names, that they work, and the README's notebook session."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

import narratives
import segmenter
from testkit.paths import REPO, SAMPLE

# Changing this set changes the interface users depend on: do it on purpose, with the README.
PUBLIC = {
    "ComparisonRun",
    "DataQualityReport",
    "Finding",
    "InputError",
    "KChoice",
    "LoadedCustomers",
    "Metrics",
    "RunProfile",
    "SegmentModel",
    "SegmentProfile",
    "SegmenterError",
    "Segmentation",
    "compare",
    "load_customers",
    "load_model",
    "save",
    "score",
    "segment",
}
NARRATIVES_PUBLIC = {
    "AnswerRejected",
    "Brief",
    "LLMSettings",
    "OpenAIWriter",
    "Persona",
    "PersonaDraft",
    "PersonaWriter",
    "Product",
    "RuleBasedWriter",
    "RunContext",
    "SegmentContext",
    "Shelf",
    "build_context",
    "build_writer",
    "check_answer",
    "load_shelf",
    "make_client",
    "render_brief",
    "settings_from_env",
    "settings_with_key",
    "write_brief",
}


def test_the_public_names_are_exactly_the_interface() -> None:
    assert set(segmenter.__all__) == PUBLIC
    assert set(narratives.__all__) == NARRATIVES_PUBLIC


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_name_resolves_and_is_documented(name: str) -> None:
    value = getattr(segmenter, name)
    assert value.__doc__, f"segmenter.{name} has no docstring"
    assert name in dir(segmenter)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'segmentation'"):
        _ = segmenter.segmentation  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, segmenter; "
        "print(sorted(m for m in ('polars', 'sklearn', 'skops', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_segment_score_save_and_load_round_trip(tmp_path: Path) -> None:
    customers = segmenter.load_customers(SAMPLE)
    assert isinstance(customers, segmenter.LoadedCustomers)
    run = segmenter.segment(customers, k=3, seed=0)
    assert isinstance(run, segmenter.Segmentation)
    assert run.profile.k == 3
    assert sum(s.size for s in run.profile.segments) == customers.frame.height
    # A frame works as well as the loaded customers, and gives the same segments.
    again = segmenter.segment(customers.frame, k=3, seed=0)
    assert [s.name for s in again.profile.segments] == [s.name for s in run.profile.segments]

    scores = segmenter.score(run, customers)
    assert scores["segment"].to_list() == run.labels.tolist()

    segmenter.save(run, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {
        "assignments.csv",
        "book.json",
        "profiles.json",
        "model.skops",
    }
    model = segmenter.load_model(tmp_path / "model.skops")
    assert segmenter.score(model, customers.frame).equals(scores)


def test_compare_ranks_the_algorithms(tmp_path: Path) -> None:
    customers = segmenter.load_customers(SAMPLE)
    small = customers.frame.head(600)
    comparison = segmenter.compare(small, k=3, seed=0)
    table = comparison.table()
    assert table.height == 7
    assert table.filter(pl.col("algorithm") == "kmeans")["k"].item() == 3
    segmenter.save(comparison, tmp_path)
    assert pl.read_csv(tmp_path / "comparison.csv").height == 7


def test_bad_input_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("CUST_ID,SOMETHING\nC1,2\n", encoding="utf-8")
    with pytest.raises(segmenter.InputError, match=r"customers\.csv"):
        segmenter.load_customers(path)


def readme_snippet() -> str:
    """The Python block of the README's "Python API" section, exactly as a reader copies it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the Python API section holds one Python block"
    return blocks[0]


@pytest.mark.real_data
def test_the_readme_notebook_session_runs_on_the_real_file(
    real_data_path: Path, tmp_path: Path
) -> None:
    # Run from a folder where "../shared/data/CC_GENERAL.csv" is the real file, as from the
    # repository, and with the repository's packages importable.
    workdir = tmp_path / "work"
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "CC_GENERAL.csv").symlink_to(real_data_path)
    workdir.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", readme_snippet()],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Rows:      8,950 read, 8,950 kept" in done.stdout
    assert "k=3 was chosen from 3-8" in done.stdout
    sizes = re.findall(r"^(\d) (.+) ([\d,]+) ([\d.]+%)$", done.stdout, flags=re.M)
    assert [int(size.replace(",", "")) for _, _, size, _ in sizes] == [3184, 2894, 2872]
    brief = (workdir / "out" / "kmeans" / "brief.md").read_text(encoding="utf-8")
    assert all(name in brief for _, name, _, _ in sizes)
    assert (workdir / "out" / "kmeans" / "model.skops").is_file()
