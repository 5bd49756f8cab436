"""`--map` and `--columns`: a user's own column names on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from testkit.segmenter_fixtures import run_cli, toy_frame

SPANISH = {"BALANCE": "SALDO", "PURCHASES": "COMPRAS", "TENURE": "ANTIGUEDAD"}


@pytest.fixture
def renamed(tmp_path: Path) -> Path:
    path = tmp_path / "clientes.csv"
    toy_frame((60, 40, 20)).rename(SPANISH).write_csv(path)
    return path


def test_unmapped_columns_are_refused_with_the_way_forward(renamed: Path) -> None:
    done = run_cli("validate", str(renamed))
    assert done.returncode == 2
    assert "missing 3 required column(s): BALANCE, PURCHASES, TENURE" in done.stderr
    # the file's likeliest columns, by name and values, as options to check and give
    offered = "--map 'SALDO=BALANCE' --map 'COMPRAS=PURCHASES' --map 'ANTIGUEDAD=TENURE'"
    assert offered in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_columns_file_and_map_options_make_it_usable(renamed: Path, tmp_path: Path) -> None:
    columns = tmp_path / "columns.toml"
    columns.write_text('[columns]\nSALDO = "BALANCE"\nCOMPRAS = "PURCHASES"\n', encoding="utf-8")
    done = run_cli(
        "validate", str(renamed), "--columns", str(columns), "--map", "ANTIGUEDAD=tenure"
    )
    assert done.returncode == 0, done.stderr
    assert "'SALDO' -> BALANCE (your map)" in done.stdout
    assert "'ANTIGUEDAD' -> TENURE (your map)" in done.stdout

    out = tmp_path / "run"
    mapped = run_cli(
        "segment", str(renamed), "--out", str(out), "--k", "3",
        "--columns", str(columns), "--map", "ANTIGUEDAD=TENURE",
    )  # fmt: skip
    assert mapped.returncode == 0, mapped.stderr
    original = tmp_path / "original.csv"
    toy_frame((60, 40, 20)).write_csv(original)
    plain = run_cli("segment", str(original), "--out", str(tmp_path / "plain"), "--k", "3")
    assert plain.returncode == 0, plain.stderr

    def sizes(run_dir: Path) -> list[int]:
        profile = json.loads((run_dir / "profiles.json").read_text(encoding="utf-8"))
        return [s["size"] for s in profile["segments"]]

    assert sizes(out) == sizes(tmp_path / "plain")
    assert pl.read_csv(out / "assignments.csv").equals(
        pl.read_csv(tmp_path / "plain" / "assignments.csv")
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--map", "SALDO"], "--map 'SALDO': write it as 'FILE COLUMN=CANONICAL_NAME'"),
        (["--map", "SALDO=SALARY"], "column map SALDO=SALARY: SALARY is not one of the product's"),
        (["--map", "SUELDO=BALANCE"], "column map SUELDO=BALANCE: the file has no column 'SUELDO'"),
    ],
    ids=["no-equals", "unknown-target", "unknown-column"],
)
def test_a_map_that_cannot_apply_is_refused_in_one_line(
    renamed: Path, option: list[str], message: str
) -> None:
    done = run_cli("validate", str(renamed), *option)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["validate", "segment"])
def test_the_columns_help_shows_the_table_name(command: str) -> None:
    # Rich reads "[columns]" as markup unless escaped, and printed "columns:  then".
    done = run_cli(command, "--help", env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert 'A TOML file mapping your columns: [columns] then "YOUR NAME" = "BALANCE".' in (
        done.stdout
    )
