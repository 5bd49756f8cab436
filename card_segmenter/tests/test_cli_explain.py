"""`segmenter explain`: a customer's segment and the moves to others, from a real saved run."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from segmenter.ingest.read import load_customers
from segmenter.model.fitted import load_model, save_model
from segmenter.model.moves import MOVE_NOTE, NoMove, move_to_segment
from segmenter.pipeline import run_segmentation
from testkit.segmenter_fixtures import apart_in_what_cannot_change, spark_run_dir, toy_frame
from testkit.segmenter_fixtures import cli_code as _run


@pytest.fixture(scope="module")
def real_run(real_data_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    assert _run("segment", real_data_path, "--out", out, "--k", "4", "--seed", "0") == 0
    return out


@pytest.mark.real_data
def test_explain_says_where_the_customer_is_and_how_to_reach_each_other_segment(
    real_run: Path, real_data_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = real_run / "model.skops"
    code = _run("explain", model, real_data_path, "--customer", "C10002")
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("C10002 is in segment ")
    assert "confidence 0." in out[0]
    moves = [line for line in out if line.startswith("To segment ")]
    assert len(moves) == 3  # every segment of four but its own
    for i, line in enumerate(out):  # a move is followed by where the model places them
        if line.startswith("To segment ") and "No change the customer can make" not in line:
            target = line.removeprefix("To segment ").split(",")[0]
            placed = f"  With these figures the model places them in segment {target},"
            assert out[i + 1].startswith(placed)
    assert out[-1] == MOVE_NOTE


@pytest.mark.real_data
def test_explain_to_one_segment(
    real_run: Path, real_data_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = load_model(real_run / "model.skops")
    row = load_customers(real_data_path).frame[:1]
    current = int(saved.segments(row)[0])
    reachable = []
    for target in (s for s in sorted(saved.names) if s >= 0 and s != current):
        with contextlib.suppress(NoMove):
            reachable.append(move_to_segment(saved, row, target).target)
    target = reachable[0]
    code = _run(
        "explain", real_run / "model.skops", real_data_path, "--customer", " c10001 ",
        "--to", str(target),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("To segment ") == 1
    assert f"To segment {target}, {saved.names[target]}: " in out


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("customer", "to", "said"),
    [
        ("NOBODY", "1", "error: No customer NOBODY in "),
        ("C10002", "9", "error: no segment 9 in this model; its segments are 0 ("),
        ("C10002", "-1", "error: unassigned customers (-1) are not a segment to move to"),
    ],
)
def test_explain_refuses_bad_input_with_one_line(
    real_run: Path,
    real_data_path: Path,
    capsys: pytest.CaptureFixture[str],
    customer: str,
    to: str,
    said: str,
) -> None:
    code = _run(
        "explain", real_run / "model.skops", real_data_path, "--customer", customer, "--to", to
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(said)
    assert err.count("\n") == 1


@pytest.mark.real_data
def test_explain_refuses_the_customers_own_segment(
    real_run: Path, real_data_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = load_model(real_run / "model.skops")
    row = load_customers(real_data_path).frame[1:2]
    current = int(saved.segments(row)[0])
    code = _run(
        "explain", real_run / "model.skops", real_data_path, "--customer", "C10002",
        "--to", str(current),
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"error: customer C10002 is already in segment {current}, {saved.names[current]}: "
        "choose another segment to move to\n"
    )


# --- without the real file ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "given", ["model.skops", "", "spark_model.json"], ids=["skops", "folder", "manifest"]
)
def test_explain_refuses_a_spark_run_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], given: str
) -> None:
    frame = toy_frame()
    run_dir = spark_run_dir(tmp_path / "run", run_segmentation(frame, k=3, seed=0, n_bootstraps=2))
    frame.write_csv(tmp_path / "book.csv")
    model = run_dir / given
    code = _run("explain", model, tmp_path / "book.csv", "--customer", "T00001", "--to", "1")
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {model}: moves need the single-machine model (model.skops), and a Spark run "
        "has none; segment the file without --engine spark to get one\n"
    )


def test_explain_to_a_segment_no_move_reaches_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = apart_in_what_cannot_change()  # nothing the customer can change moves them
    run = run_segmentation(frame, algorithm="kmeans", k=2, seed=0, n_bootstraps=2)
    save_model(run.model, tmp_path / "model.skops")
    frame.write_csv(tmp_path / "book.csv")
    target = 1 - int(run.labels[0])
    code = _run(
        "explain", tmp_path / "model.skops", tmp_path / "book.csv", "--customer", "C0",
        "--to", str(target),
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: No change the customer can make (paying in full more often, ")
    assert "credit limit and tenure, which the customer cannot change" in err
    assert err.count("\n") == 1
