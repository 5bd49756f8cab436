"""Outputs: written atomically (an error mid-write keeps the old file) and safe in spreadsheets."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import polars as pl
import pytest

from card_segmenter.cli import main
from narratives.brief import write_brief
from narratives.cache import AnswerCache
from narratives.rules import RuleBasedWriter
from narratives.shelf import load_shelf
from segmenter import files
from segmenter.comparison import run_comparison, write_comparison
from segmenter.files import (
    atomic_write,
    csv_bytes,
    neutralise,
    neutralise_text,
    write_all,
    write_bytes,
    write_csv,
)
from segmenter.ingest.read import load_customers
from segmenter.pipeline import run_segmentation, write_segmentation
from testkit.narratives_fixtures import run_profile, write_run_dir
from testkit.segmenter_fixtures import toy_frame

DANGEROUS = ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']
# Fullwidth and small forms, and the minus sign: what some spreadsheets normalise to a formula.
DANGEROUS += ["\uff1d1+1", "\uff0b1", "\uff0d1+2", "\uff20SUM(A1)", "\ufe661", "\u22121"]
SPLIT_GRAPH = "ignore:Graph is not fully connected:UserWarning"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        *[pytest.param(t, "'" + t, id=repr(t)) for t in DANGEROUS],
        pytest.param("C10001", "C10001", id="plain"),
        pytest.param("'=1", "'=1", id="already-quoted"),
        pytest.param(" =1", " =1", id="space-first"),
        pytest.param("", "", id="empty"),
        pytest.param("a=b", "a=b", id="inner-equals"),
    ],
)
def test_a_cell_that_starts_a_formula_gets_a_quote(text: str, written: str) -> None:
    assert neutralise_text(text) == written
    assert neutralise_text(neutralise_text(text)) == written  # idempotent


def test_only_text_cells_change_numbers_stay_numbers() -> None:
    frame = pl.DataFrame(
        {"customer_id": ["=cmd", "-5", "C1"], "segment": [-1, 0, 1], "score": [-0.5, 1.0, None]}
    )
    table = list(csv.reader(io.StringIO(csv_bytes(frame).decode())))
    assert table == [
        ["customer_id", "segment", "score"],
        ["'=cmd", "-1", "-0.5"],
        ["'-5", "0", "1.0"],
        ["C1", "1", ""],
    ]
    assert neutralise(frame.rename({"score": "=score"})).columns[2] == "'=score"


def cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def assert_spreadsheet_safe(path: Path) -> None:
    """No cell of a written CSV starts a formula, unless it is a plain number."""
    for cell in cells(path):
        if cell.startswith(files.FORMULA_PREFIXES):
            float(cell)  # a negative number in a numeric column is a number, nothing else is


@pytest.fixture(scope="module")
def hostile_frame() -> pl.DataFrame:
    frame = toy_frame((30, 20, 10))
    ids = [f"{p}{i}" for i, p in zip(range(60), DANGEROUS * 9, strict=False)]
    return frame.with_columns(pl.Series("CUST_ID", ids))


@pytest.mark.filterwarnings(SPLIT_GRAPH)
def test_every_csv_the_product_writes_is_spreadsheet_safe(
    hostile_frame: pl.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "customers.csv"
    hostile_frame.write_csv(source)
    run = tmp_path / "run"

    def cli(*args: str | Path) -> None:
        with pytest.raises(SystemExit) as done:
            main([str(a) for a in args])
        assert done.value.code in (None, 0)

    cli("segment", source, "--out", run, "--k", "3")
    cli("score", run / "model.skops", source, "--out", tmp_path / "scored.csv")
    cli("brief", run, "--out", tmp_path / "brief" / "brief.md", "--offline")
    write_comparison(run_comparison(hostile_frame, k=3, n_bootstraps=1), tmp_path / "compare")

    written = [
        run / "assignments.csv",
        tmp_path / "compare" / "comparison.csv",
        tmp_path / "compare" / "agreement.csv",
        *sorted((tmp_path / "brief" / "audiences").glob("*.csv")),
    ]
    assert len(written) == 6
    for path in written:
        assert_spreadsheet_safe(path)
    ids = pl.read_csv(run / "assignments.csv", infer_schema=False)["customer_id"].to_list()
    kept = load_customers(source).frame["CUST_ID"]  # ids are stripped of spaces and tabs
    assert ids == [neutralise_text(i) for i in kept]
    assert "'=1+10" in ids
    audiences = [i for p in written[3:] for i in pl.read_csv(p, infer_schema=False)["customer_id"]]
    assert sorted(audiences) == sorted(ids)  # quoted once, not twice


def test_scored_csv_is_spreadsheet_safe(hostile_frame: pl.DataFrame, tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    hostile_frame.write_csv(source)
    run = run_segmentation(hostile_frame, k=3, n_bootstraps=1)
    write_segmentation(run, tmp_path)
    with pytest.raises(SystemExit):
        main(
            ["score", str(tmp_path / "model.skops"), str(source), "--out", str(tmp_path / "s.csv")]
        )
    assert_spreadsheet_safe(tmp_path / "s.csv")


class Boom(RuntimeError):
    pass


def test_an_error_mid_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def half_write() -> None:
        with atomic_write(target) as out:
            out.write(b"new, but only half")
            raise Boom

    with pytest.raises(Boom):
        half_write()
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_a_failed_rename_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        write_bytes(target, b"new\n")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_permissions_of_a_replaced_file_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    write_csv(pl.DataFrame({"a": [1]}), target)
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "new.csv"
    write_bytes(fresh, b"x")
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_write_all_prepares_every_file_before_replacing_any(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("old a")
    (tmp_path / "b").write_text("old b")

    class Exploding(dict[Path, bytes]):
        def items(self):  # type: ignore[no-untyped-def,override]
            yield tmp_path / "a", b"new a"
            raise Boom

    with pytest.raises(Boom):
        write_all(Exploding())
    assert [(tmp_path / n).read_text() for n in "ab"] == ["old a", "old b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_a_segment_run_that_fails_mid_write_keeps_the_previous_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = toy_frame((30, 20, 10))
    first = run_segmentation(frame, k=3, n_bootstraps=1)
    write_segmentation(first, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    second = run_segmentation(frame, k=2, n_bootstraps=1)

    def broken(model: object) -> bytes:
        raise Boom("disk full while serialising the model")

    monkeypatch.setattr("segmenter.pipeline.model_bytes", broken)
    with pytest.raises(Boom):
        write_segmentation(second, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_brief_that_fails_mid_write_keeps_the_previous_brief(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shelf = load_shelf()
    run_dir = write_run_dir(tmp_path / "run")
    out = tmp_path / "out" / "brief.md"
    write_brief(run_dir, out, writer=RuleBasedWriter(shelf), shelf=shelf)
    before = {p: p.read_bytes() for p in out.parent.rglob("*") if p.is_file()}

    def broken(*args: object, **kwargs: object) -> str:
        raise Boom("template failed")

    monkeypatch.setattr("narratives.brief.render_brief", broken)
    with pytest.raises(Boom):
        write_brief(run_dir, out, writer=RuleBasedWriter(shelf), shelf=shelf)
    after = {p: p.read_bytes() for p in out.parent.rglob("*") if p.is_file()}
    assert after == before


def test_audience_lists_of_an_earlier_run_are_replaced_not_mixed(tmp_path: Path) -> None:
    shelf = load_shelf()
    out = tmp_path / "out" / "brief.md"
    stale = out.parent / "audiences" / "segment-9.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("customer_id\nOLD\n")
    write_brief(write_run_dir(tmp_path / "run"), out, writer=RuleBasedWriter(shelf), shelf=shelf)
    names = sorted(p.name for p in stale.parent.iterdir())
    assert names == [f"segment-{s.id}.csv" for s in run_profile().segments]


def test_cache_entries_are_written_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = AnswerCache(tmp_path)
    cache.put("k", model="m", content="old")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        cache.put("k", model="m", content="new")
    assert cache.get("k") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.json"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_interrupted_sample_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    from segmenter.synthetic import generate as synthetic

    target = tmp_path / f"customers{suffix}"
    synthetic.write_customers(target, rows=100, seed=1)
    before = target.read_bytes()

    real_chunks = synthetic.iter_customer_chunks

    def broken(rows: int, *, seed: int):  # type: ignore[no-untyped-def]
        yield from real_chunks(10, seed=seed)
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C half-way

    monkeypatch.setattr(synthetic, "iter_customer_chunks", broken)
    with pytest.raises(KeyboardInterrupt):
        synthetic.write_customers(target, rows=1_000, seed=2)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
