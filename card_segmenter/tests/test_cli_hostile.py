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


def test_validate_streams_a_parquet_bomb_under_the_cell_limit(tmp_path: Path) -> None:
    # 20,000,000 copies of one customer, 18 columns in one row group of a 2 kB file: 360,000,000
    # cells, under the cell limit, but a 2.9 GB table. Read whole, validate passed 16.8 GB and
    # listed 19,999,999 dropped rows; in batches, it names the first 100 and counts the rest.
    values = {ID_COLUMN: "C1", **VALUES}
    path = write_parquet_bomb(tmp_path / "bomb.parquet", rows=20_000_000, values=values)
    done = run_measured(VALIDATE, str(path))
    assert (done.returncode, done.stderr) == (0, "")
    assert "Rows:      20,000,000 read, 20 kept\nNote:      read in 20 batches" in done.stdout
    assert "- 19,999,980 exact duplicate rows, dropped" in done.stdout
    assert done.stdout.endswith(
        "- row 12, customer C1: exact duplicate of an earlier row\n- ... and 19,999,970 more\n"
    )
    assert done.peak_mb < MAX_MB
    assert done.seconds < MAX_SECONDS


def test_validate_refuses_a_parquet_value_too_long_from_the_footer(tmp_path: Path) -> None:
    # One id of 100,000,000 characters in a file of a few kilobytes.
    path = tmp_path / "long.parquet"
    frame = toy_frame((1, 1, 1)).head(1)
    frame.with_columns(pl.lit("C" * 100_000_000).alias(ID_COLUMN)).write_parquet(path)
    assert path.stat().st_size < 1 << 20
    done = run_measured(VALIDATE, str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"error: {path}: column CUST_ID holds a value of more than 100,000 characters (1 value "
        "in 95 MB), more than allowed in one cell (set SEGMENTER_MAX_FIELD_CHARS higher to "
        "allow more)\n"
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


def test_limits_from_the_environment_reach_a_file_checked_in_batches(tmp_path: Path) -> None:
    # 30,000 customers make a table of about 4 MB: above a 1 MB budget, validate and segment
    # read the file in batches, where a value longer than the environment allows is refused.
    frame = toy_frame((10_000, 10_000, 10_000))
    long_id = "X" * 80
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit(long_id)).otherwise(pl.col(ID_COLUMN))
        .alias(ID_COLUMN)
    )  # fmt: skip
    path = tmp_path / "book.parquet"
    frame.write_parquet(path)
    env = {"SEGMENTER_MAX_TABLE_MB": "1", "SEGMENTER_MAX_FIELD_CHARS": "50"}
    for command in (["validate", str(path)], ["segment", str(path), "--out", str(tmp_path / "o")]):
        done = run_cli(*command, env=env)
        assert done.returncode == 2, done.stderr
        error = done.stderr.splitlines()[-1]  # after segment's progress lines
        assert error.startswith(f"error: {path}")
        assert "SEGMENTER_MAX_FIELD_CHARS" in error
    assert run_cli("validate", str(path), env={"SEGMENTER_MAX_TABLE_MB": "1"}).returncode == 0
