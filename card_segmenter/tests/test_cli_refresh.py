"""`segmenter segment --previous`: a monthly refresh on the real file keeps segment ids and
names, writes the migration matrix and the drift, and refuses what it cannot refresh."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from segmenter.refresh.run import REFRESH_FILES
from testkit.segmenter_fixtures import cli_code as _run

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def months(real_data_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Last month's run of the real file, and this month's copy: 5% of customers left, 450
    joined, and a quarter took more cash advances."""
    root = tmp_path_factory.mktemp("months")
    assert _run("segment", real_data_path, "--out", root / "m1", "--k", "4") == 0
    book = pl.read_csv(real_data_path, infer_schema_length=None)
    rng = np.random.default_rng(1)
    book = book.filter(pl.Series(rng.random(book.height) > 0.05))
    more = pl.Series(rng.random(book.height) < 0.25)
    book = book.with_columns(
        pl.when(more).then(pl.col("CASH_ADVANCE") * 3 + 500).otherwise(pl.col("CASH_ADVANCE")),
        pl.when(more)
        .then((pl.col("CASH_ADVANCE_FREQUENCY") + 0.3).clip(0, 1))
        .otherwise(pl.col("CASH_ADVANCE_FREQUENCY")),
    )
    joined = book.sample(450, seed=2).with_columns(
        pl.format("NEW{}", pl.int_range(pl.len())).alias("CUST_ID")
    )
    month2 = root / "month2.csv"
    pl.concat([book, joined]).write_csv(month2)
    return root / "m1", month2


def test_a_refresh_keeps_ids_and_names_and_says_what_moved(
    months: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m1, month2 = months
    capsys.readouterr()
    assert _run("segment", month2, "--out", tmp_path, "--k", "4", "--previous", m1) == 0
    out = capsys.readouterr().out
    assert "8,510 customers in both runs" in out
    before = json.loads((m1 / "profiles.json").read_text())["segments"]
    after = json.loads((tmp_path / "profiles.json").read_text())["segments"]
    assert [(s["id"], s["name"]) for s in after] == [(s["id"], s["name"]) for s in before]
    for segment in after:
        assert f"segment {segment['id']} {segment['name']}: kept from last run" in out
    matrix = pl.read_csv(tmp_path / "migration.csv")
    assert matrix["customers"].sum() == 8_510  # the customers present in both months
    staying = matrix.filter(pl.col("from_segment") == pl.col("to_segment"))
    assert (staying["share_of_from"] > 0.9).all()
    drift = pl.read_csv(tmp_path / "drift.csv")
    flagged = set(drift.filter(pl.col("level") != "stable")["feature"])
    assert {"CASH_ADVANCE", "CASH_ADVANCE_FREQUENCY"} <= flagged
    assert "TENURE" not in flagged
    assert "Drift: Cash advance shifted" in out
    refresh = json.loads((tmp_path / "refresh.json").read_text())
    assert refresh["highest_id"] == 3
    assert {m["status"] for m in refresh["matching"]["segments"]} == {"matched"}

    # The same folder written again without --previous: no refresh files of another run stay.
    assert _run("segment", month2, "--out", tmp_path, "--k", "4") == 0
    assert not any((tmp_path / name).exists() for name in REFRESH_FILES)
    assert (tmp_path / "book.json").is_file()


def test_a_refresh_on_a_reshuffled_copy_maps_every_segment_to_itself(
    months: tuple[Path, Path], real_data_path: Path, tmp_path: Path
) -> None:
    m1, _ = months
    shuffled = tmp_path / "shuffled.csv"
    pl.read_csv(real_data_path, infer_schema_length=None).sample(
        fraction=1.0, shuffle=True, seed=5
    ).write_csv(shuffled)
    assert _run("segment", shuffled, "--out", tmp_path / "m2", "--k", "4", "--previous", m1) == 0
    refresh = json.loads((tmp_path / "m2" / "refresh.json").read_text())
    matched = [(m["segment"], m["final_id"], m["status"]) for m in refresh["matching"]["segments"]]
    assert matched == [(s, s, "matched") for s in range(4)]
    matrix = pl.read_csv(tmp_path / "m2" / "migration.csv")
    diagonal = matrix.filter(pl.col("from_segment") == pl.col("to_segment"))["customers"].sum()
    assert diagonal / matrix["customers"].sum() > 0.999


@pytest.mark.parametrize(
    ("previous", "said"),
    [
        ("missing", "error: --previous {p}: no such run folder"),
        ("empty", "error: --previous {p}: no model.skops; is it a run folder?"),
        (
            "spark",
            "error: --previous {p}: a run fitted on Spark, and a refresh is made on one machine "
            "against a model fitted there; refresh against a run segmented without --engine spark",
        ),
    ],
)
def test_a_previous_run_that_cannot_be_read_is_one_line(
    real_data_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    previous: str,
    said: str,
) -> None:
    folder = tmp_path / previous
    if previous != "missing":
        folder.mkdir()
    if previous == "spark":  # what `segment --engine spark` writes beside its pipeline
        (folder / "spark_model.json").write_text("{}")
    code = _run("segment", real_data_path, "--out", tmp_path / "out", "--previous", folder)
    err = capsys.readouterr().err
    assert code == 2
    assert err == said.format(p=folder) + (
        "\n" if previous != "missing" else " (one `segmenter segment` wrote)\n"
    )
    assert not (tmp_path / "out").exists()  # refused before any work


def test_a_refresh_of_the_latest_recorded_run_matches_the_refresh_of_its_folder(
    months: tuple[Path, Path],
    real_data_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    m1, month2 = months
    monkeypatch.setenv("SEGMENTER_WORKSPACE", str(tmp_path / "workspace"))
    assert _run("segment", real_data_path, "--out", tmp_path / "m1", "--k", "4") == 0
    # The same run as the folder's (same file, settings and seed): the same refresh follows.
    assert (tmp_path / "m1" / "profiles.json").read_bytes() == (m1 / "profiles.json").read_bytes()
    capsys.readouterr()
    code = _run("segment", month2, "--out", tmp_path / "m2", "--k", "4", "--previous", "latest")
    assert code == 0
    out = capsys.readouterr().out
    assert "Refreshed against run 1: 8,510 customers in both runs" in out
    assert "recorded as run 2 (a refresh of run 1)" in out
    assert "Drift: Cash advance shifted" in out
    assert (
        _run("segment", month2, "--out", tmp_path / "by-folder", "--k", "4", "--previous", m1) == 0
    )
    for name in ("profiles.json", "migration.csv", "drift.csv"):
        assert (tmp_path / "m2" / name).read_bytes() == (tmp_path / "by-folder" / name).read_bytes()
    by_run = json.loads((tmp_path / "m2" / "refresh.json").read_text())
    by_folder = json.loads((tmp_path / "by-folder" / "refresh.json").read_text())
    assert by_run.pop("previous") == "run 1"
    assert by_folder.pop("previous") == str(m1)
    assert by_run == by_folder
