"""The command line starts at once: `--help` loads none of the data or modelling libraries."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from testkit.paths import REPO

# Each of these takes from a tenth of a second (polars) to a second (scikit-learn) to import.
HEAVY = ("numpy", "polars", "pandas", "pyarrow", "scipy", "sklearn", "skops", "openai")
# `segmenter --help` takes about 0.2 s on an idle 2-core machine; an eager import of
# scikit-learn adds a second. The bound leaves room for a busy shared machine.
HELP_SECONDS = 1.0

HELP_THEN_LIST = f"""
import json, sys
from card_segmenter.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_help_loads_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP_THEN_LIST],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=60,
    )
    assert "segment" in done.stdout  # the help was printed
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_help_is_quick() -> None:
    def seconds() -> float:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "card_segmenter", "--help"],
            capture_output=True,
            cwd=REPO,
            check=True,
            timeout=60,
        )
        return time.perf_counter() - started

    best = min(seconds() for _ in range(3))
    assert best < HELP_SECONDS, f"`segmenter --help` took {best:.2f} s at best of 3"
