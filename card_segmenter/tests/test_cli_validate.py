"""`segmenter validate`: the report on exit 0, one line on stderr and exit 2 when refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.segmenter_fixtures import run_cli


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "the file is empty", id="empty"),
        pytest.param(b"a,b\n1,2\n", "missing 17 required column(s)", id="wrong-columns"),
        pytest.param(bytes(range(256)) * 8, "looks like a binary file", id="binary"),
    ],
)
def test_refused_files_exit_2_with_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    done = run_cli("validate", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"error: {path}: ")
    assert message in done.stderr


def test_missing_file_exits_2() -> None:
    done = run_cli("validate", "no/such/file.csv")
    assert (done.returncode, done.stderr) == (2, "error: no/such/file.csv: no such file\n")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"")
    done = run_cli("--debug", "validate", str(path))
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def test_usage_errors_exit_2() -> None:
    assert run_cli("validate").returncode == 2
    assert run_cli("no-such-command").returncode == 2
