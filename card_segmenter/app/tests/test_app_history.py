"""The History page under AppTest: runs recorded by the command line, a refresh's matches, its
migration heatmap and drift bars; without a workspace, one sentence and the app keeps going."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from testkit.paths import APP
from testkit.segmenter_fixtures import cli_code, record_spark_run, toy_frame


def _run(*args: str | Path) -> None:
    assert cli_code(*args) == 0


def history_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["k"] = 3
    at.switch_page("card_segmenter/app/pages/history.py")
    return at.run()


def test_a_refresh_shows_its_matches_migration_and_drift(
    workspace_folder: Path, tmp_path: Path
) -> None:
    november, december = tmp_path / "november.csv", tmp_path / "december.csv"
    toy_frame((60, 40, 20), seed=0).write_csv(november)
    later = toy_frame((60, 40, 20), seed=1).with_columns(pl.col("CASH_ADVANCE") * 4)
    later.write_csv(december)
    _run("segment", november, "--out", tmp_path / "m1", "--k", "3")
    _run("segment", december, "--out", tmp_path / "m2", "--k", "3", "--previous", tmp_path / "m1")

    at = history_page()
    assert not at.exception
    runs = at.dataframe[0].value
    assert "When (UTC)" in runs.columns
    assert list(runs["Run"]) == [2, 1]
    assert list(runs["Refresh of"]) == ["run 1", ""]
    assert at.selectbox(key="history_refresh").value == 2
    said = [re.sub(r"\\(.)", r"\1", str(m.value)) for m in at.markdown]  # as on screen
    assert any("120 customers in both runs" in s for s in said)
    assert sum("kept from last run" in s for s in said) == 3
    assert any(s.startswith("Drift: Cash advance") for s in said)
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert len(charts) == 2  # the migration heatmap and the drift bars


def test_without_a_workspace_the_page_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGMENTER_DATABASE_URL", "postgresql+psycopg://seg:pw@127.0.0.1:9/seg")
    at = history_page()
    assert not at.exception
    (info,) = [str(i.value) for i in at.info if "No history to show" in str(i.value)]
    assert "cannot be reached" in info
    assert "pw@" not in info


def test_the_run_on_screen_keeps_a_recorded_runs_ids_and_is_recorded_as_its_refresh(
    workspace_folder: Path, tmp_path: Path
) -> None:
    from card_segmenter.app.state import SAMPLE

    last_month = tmp_path / "last-month.csv"  # the sample, as it was a month ago
    pl.read_csv(SAMPLE).with_columns(pl.col("CASH_ADVANCE") * 0.8).write_csv(last_month)
    _run("segment", last_month, "--out", tmp_path / "m1", "--k", "3")
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.session_state["k"] = 3
    at.session_state["previous_run"] = 1  # the sidebar's "Keep the segment ids of"
    at.switch_page("card_segmenter/app/pages/history.py")
    at.run()
    assert not at.exception
    said = [re.sub(r"\\(.)", r"\1", str(m.value)) for m in at.markdown]
    assert str(at.subheader[0].value) == "The run on screen, matched to run 1"
    assert sum("kept from last run" in s for s in said) == 3  # the same customers: all kept
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts  # where customers went

    at.switch_page("card_segmenter/app/pages/review.py")
    at.run()
    at.button(key="review_record").click().run()
    assert not at.exception
    recorded = [re.sub(r"\\(.)", r"\1", str(s.value)) for s in at.success]
    assert recorded == ["Recorded as run 2 (a refresh of run 1), with its personas to review."]
    at.switch_page("card_segmenter/app/pages/history.py")
    at.run()
    runs = at.dataframe[0].value
    assert list(runs["Refresh of"]) == ["run 1", ""]


def test_a_spark_run_is_listed_as_one_and_not_offered_to_keep_ids_of(
    workspace_folder: Path, tmp_path: Path
) -> None:
    toy_frame((60, 40, 20), seed=0).write_csv(tmp_path / "toy.csv")
    _run("segment", tmp_path / "toy.csv", "--out", tmp_path / "m1", "--k", "3")  # run 1: local
    assert record_spark_run(tmp_path / "spark", source_name=str(tmp_path / "book")) == 2

    at = history_page()
    assert not at.exception
    runs = at.dataframe[0].value
    assert list(runs["Run"]) == [2, 1]
    assert list(runs["Method"]) == ["kmeans k=3 on Spark", "kmeans k=3"]
    day = runs["When (UTC)"][1][:10]
    # A Spark run's model is applied by Spark: the run on screen cannot keep its ids.
    assert at.selectbox(key="previous_run").options == [
        "no earlier run",
        f"Run 1: toy.csv, kmeans k=3, {day}",
    ]
