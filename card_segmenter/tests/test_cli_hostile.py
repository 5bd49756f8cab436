"""The command line on hostile files: one line and exit 2 within bounded memory; limits from
the environment; a Parquet file too large for memory checked and segmented in batches."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from card_segmenter.cli import main
from segmenter.ingest.schema import FEATURE_COLUMNS, ID_COLUMN
from segmenter.results import RunProfile
from testkit.hostile_files import VALUES, run_measured, write_parquet_bomb, write_xlsx_bomb
from testkit.segmenter_fixtures import run_cli, toy_frame

VALIDATE = "from card_segmenter.cli import main\nmain(['validate', sys.argv[1]])"
MAX_MB, MAX_SECONDS = 2048, 60


def test_validate_refuses_a_workbook_bomb_in_one_line(tmp_path: Path) -> None:
    path = write_xlsx_bomb(tmp_path / "bomb.xlsx", rows=1221 * 4096, dimension="A1:R5001217")
    done = run_measured(VALIDATE, str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"error: {path}: its first sheet declares the range A1:R5001217")
    assert done.stderr.count("\n") == 1
    assert done.peak_mb < MAX_MB
    assert done.seconds < MAX_SECONDS


def test_validate_reads_a_parquet_bomb_in_batches(tmp_path: Path) -> None:
    # 25,000,000 rows in one row group of a 2 kB file; read whole, about 5 GB. In batches, the
    # first one already shows the file cannot be used.
    values = VALUES | {"BALANCE": "unknown"}
    path = write_parquet_bomb(tmp_path / "bomb.parquet", rows=25_000_000, values=values)
    done = run_measured(VALIDATE, str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"error: {path}: column BALANCE: 1,048,576 of 1,048,576 values are not numbers, "
        "e.g. row 2: 'unknown'\n"
    )
    assert done.peak_mb < MAX_MB
    assert done.seconds < MAX_SECONDS


def long_id_csv(tmp_path: Path) -> Path:
    frame = toy_frame((10, 10, 10))
    ids = ["C" * 200_000, *frame[ID_COLUMN].to_list()[1:]]
    path = tmp_path / "in.csv"
    frame.with_columns(pl.Series(ID_COLUMN, ids)).write_csv(path)
    return path


def test_a_limit_is_raised_from_the_environment(tmp_path: Path) -> None:
    path = long_id_csv(tmp_path)
    refused = run_cli("validate", str(path))
    assert (refused.returncode, refused.stderr) == (
        2,
        f"error: {path}: row 2 has a value of 200,000 characters, more than the 100,000 allowed "
        "in one cell (set SEGMENTER_MAX_FIELD_CHARS higher to allow more)\n",
    )
    allowed = run_cli("validate", str(path), env={"SEGMENTER_MAX_FIELD_CHARS": "200000"})
    assert allowed.returncode == 0, allowed.stderr
    assert "Rows:      30 read, 30 kept" in allowed.stdout
    wrong = run_cli("validate", str(path), env={"SEGMENTER_MAX_FIELD_CHARS": "lots"})
    assert (wrong.returncode, wrong.stderr) == (
        2,
        "error: SEGMENTER_MAX_FIELD_CHARS must be a positive whole number, not 'lots'\n",
    )


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "customers.parquet"
    toy_frame((30, 20, 10)).write_parquet(path, row_group_size=25)
    return path


def test_a_parquet_file_over_the_cell_limit_is_validated_in_batches(
    parquet: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEGMENTER_MAX_CELLS", str(60 * (1 + len(FEATURE_COLUMNS)) - 1))
    with pytest.raises(SystemExit) as done:
        main(["validate", str(parquet)])
    assert done.value.code in (0, None)
    report = capsys.readouterr().out
    assert "Rows:      60 read, 60 kept" in report
    assert "Note:      read in 1 batch, each checked on its own" in report


@pytest.mark.filterwarnings("ignore:Graph is not fully connected:UserWarning")
def test_a_parquet_file_over_the_cell_limit_is_segmented_in_batches(
    parquet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGMENTER_MAX_CELLS", "100")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as done:
        main(["segment", str(parquet), "--out", str(out), "--k", "3"])
    assert done.value.code in (0, None)
    profile = RunProfile.model_validate_json((out / "profiles.json").read_text())
    assert (profile.fit_note or "").startswith("Streamed")
    assert profile.n_customers == 60
