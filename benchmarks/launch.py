"""Run a command to completion; print its exit code, wall seconds and the peak memory of its
whole process tree in KiB.

    python -m benchmarks.launch [--timeout SECONDS] COMMAND [ARGS...]

A small launcher between the benchmark and the measured command. Linux carries a process's
peak RSS across fork and exec, so a command started straight from the (large) benchmark
process would report at least the benchmark's size; started from this fresh small
interpreter, it reports its own.

Some commands are more than one process: `--engine spark` starts a Java virtual machine
beside the Python driver, and `wait4`'s peak RSS is the largest single process, not their sum.
So the tree's resident memory (the command and every descendant, from /proc) is also summed
every `SAMPLE_SECONDS`, and the peak is the larger of the two. For one process, `wait4`'s
figure is exact and at least the sampled one; for a tree, the sampled sum may miss a peak
shorter than the interval, and pages shared between its processes count once per process.

With --timeout, a command still running after SECONDS is stopped with its whole tree, and
the exit code printed is `timeout`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.2
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Child:
    seconds: float
    peak_mib: float
    finished: bool = True  # False: stopped at the timeout


def run_child(command: list[str], *, timeout: float | None = None) -> Child:
    """Run a command to completion through this launcher: its wall time and its own peak."""
    here = str(Path(__file__).resolve().parents[1])  # where `benchmarks` is imported from
    paths = os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH"))))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.launch",
         *(["--timeout", str(timeout)] if timeout else []), *command],
        capture_output=True, text=True, check=True, env=os.environ | {"PYTHONPATH": paths},
    )  # fmt: skip
    code, seconds, kib = done.stdout.split()
    if code == "timeout":
        return Child(float(seconds), int(kib) / 1024, finished=False)
    if int(code) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return Child(float(seconds), int(kib) / 1024)


def _parents() -> dict[int, list[int]]:
    """Every live process's children, by parent pid."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()  # the name may hold spaces
        except OSError:  # gone meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants now, in KiB."""
    children, total, todo = _parents(), 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_KIB
        except OSError:
            pass
        todo.extend(children.get(pid, ()))
    return total


def main() -> None:
    command, timeout = sys.argv[1:], None
    if command[:1] == ["--timeout"]:
        timeout, command = float(command[1]), command[2:]
    started = time.perf_counter()
    # A session of its own: stopped at the timeout, the whole tree goes (a JVM too).
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    sampled = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_SECONDS):
            sampled[0] = max(sampled[0], tree_rss_kib(child.pid))

    def stop() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timer = threading.Timer(timeout, stop) if timeout else None
    if timer:
        timer.start()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    stopped = timer is not None and not timer.is_alive() and seconds >= (timeout or 0)
    if timer:
        timer.cancel()
    stop()  # what the command left running (a Java process outliving its driver)
    done.set()
    sampler.join()
    peak = max(sampled[0], usage.ru_maxrss)  # Linux reports ru_maxrss in KiB
    print("timeout" if stopped else os.waitstatus_to_exitcode(status), seconds, peak)


if __name__ == "__main__":
    main()
