"""The benchmark's launcher: the peak memory of a command's whole process tree, and a command
stopped at its timeout with everything it started."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmarks.launch import run_child

# A parent holding 150 MiB that starts a child holding 300 MiB, both alive together for a
# second: the tree's peak is their sum, more than either process's own.
HOLD = "b = bytearray({mib} << 20); import time; time.sleep({seconds})"
TREE = (
    f"import subprocess, sys; a = bytearray(150 << 20); "
    f"subprocess.run([sys.executable, '-c', {HOLD.format(mib=300, seconds=1.5)!r}], check=True)"
)


def test_the_peak_is_the_whole_tree_s() -> None:
    alone = run_child([sys.executable, "-c", HOLD.format(mib=300, seconds=0.5)])
    tree = run_child([sys.executable, "-c", TREE])
    assert tree.finished
    assert 300 < alone.peak_mib < 400
    assert tree.peak_mib > alone.peak_mib + 120  # the parent's 150 MiB on top


def test_a_command_past_its_timeout_is_stopped_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild-lived"
    late = f"import pathlib, time; time.sleep(3); pathlib.Path({str(marker)!r}).touch()"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {late!r}])"
    stopped = run_child([sys.executable, "-c", parent], timeout=1.0)
    assert not stopped.finished
    assert 1.0 <= stopped.seconds < 3
    time.sleep(3.5)
    assert not marker.exists()  # the grandchild went with its parent
