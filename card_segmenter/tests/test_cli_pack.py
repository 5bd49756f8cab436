"""`segmenter brief RUN_DIR --segment ID --out pack.pdf|pack.html`: one segment's campaign pack
and its audience file; a segment that is not there, or a wrong suffix, exits 2 with one line.

The program itself runs once (a PDF); the other cases call its `main` in this process, which
spares each the interpreter's start-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.narratives_fixtures import SIZES, noisy_run, write_run_dir
from testkit.segmenter_fixtures import cli_code, run_cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run whose density method left 38 customers in no segment (-1)."""
    return write_run_dir(tmp_path_factory.mktemp("run"), noisy_run())


def _run(*args: str | Path) -> int:
    return cli_code("brief", *args, "--offline")


def test_the_program_writes_a_pdf_pack_and_its_audience(tmp_path: Path, run_dir: Path) -> None:
    out = tmp_path / "pack.pdf"
    done = run_cli("brief", str(run_dir), "--segment", "1", "--out", str(out), "--offline")
    assert done.returncode == 0, done.stderr
    audience = tmp_path / "pack-audience.csv"
    assert done.stdout == (
        "Narratives: rule-based\nDRAFT: not approved. 4 of 4 personas and product suggestions "
        "are not approved: do not use this text with customers until they are. Only a run "
        "recorded in the workspace can be reviewed: `segmenter segment` records every run it "
        "makes, and the app's Review page records the run on screen.\n"
        f"wrote {out} and {audience}\n"
        "not recorded in the workspace: its run is not there (segment the file again to record "
        "the run)\n"
    )
    assert out.read_bytes().startswith(b"%PDF-")
    assert len(audience.read_text(encoding="utf-8").splitlines()) == 1 + SIZES[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack-audience.csv", "pack.pdf"]


def test_an_html_pack_and_its_audience(
    tmp_path: Path, run_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack.html"
    assert _run(run_dir, "--segment", "2", "--out", out) == 0
    assert f"wrote {out} and {tmp_path / 'pack-audience.csv'}\n" in capsys.readouterr().out
    assert "<h1>The Quiet Cardholder</h1>" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("segment", "out", "message"),
    [
        pytest.param("0", "pack.md", "pack.md: a campaign pack is a .pdf or an .html file",
                     id="suffix"),
        pytest.param("9", "pack.pdf", "this run has no segment 9: its segments are 0, 1, 2, 3",
                     id="unknown"),
        pytest.param("-1", "pack.pdf", "segment -1 holds the customers that fit no segment",
                     id="noise"),
    ],
)  # fmt: skip
def test_refusals_exit_2_with_one_line(
    tmp_path: Path,
    run_dir: Path,
    capsys: pytest.CaptureFixture[str],
    segment: str,
    out: str,
    message: str,
) -> None:
    assert _run(run_dir, "--segment", segment, "--out", tmp_path / out) == 2
    said = capsys.readouterr().err
    assert said.count("\n") == 1
    assert said.startswith("error: ")
    assert message in said
    assert not list(tmp_path.iterdir())
