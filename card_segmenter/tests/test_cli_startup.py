"""The command line starts at once: `--help` loads none of the data or modelling libraries."""

from __future__ import annotations

import json
import time

from testkit.segmenter_fixtures import run_python

# Each of these takes from a tenth of a second (polars) to a second (scikit-learn) to import.
HEAVY = ("numpy", "polars", "pandas", "pyarrow", "scipy", "sklearn", "skops", "openai")
# `segmenter --help` takes about 0.2 s on an idle 2-core machine, importing scikit-learn about
# 1 s: measured against that import in the same run (the machines are shared and noisy), help
# must take well under half of it.
HELP_SHARE_OF_SKLEARN = 0.5

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
    done = run_python("-c", HELP_THEN_LIST, check=True)
    assert "segment" in done.stdout  # the help was printed
    assert json.loads(done.stdout.splitlines()[-1]) == []


def best_of_three(*args: str) -> float:
    def seconds() -> float:
        started = time.perf_counter()
        run_python(*args, check=True)
        return time.perf_counter() - started

    return min(seconds() for _ in range(3))


def test_help_is_quick() -> None:
    sklearn = best_of_three("-c", "import sklearn.cluster")
    best = best_of_three("-m", "card_segmenter", "--help")
    assert best < HELP_SHARE_OF_SKLEARN * sklearn, (
        f"`segmenter --help` took {best:.2f} s at best of 3, importing scikit-learn {sklearn:.2f} s"
    )
