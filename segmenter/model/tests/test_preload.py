"""skops, imported ahead on a thread of its own, is ready when a model is saved."""

from __future__ import annotations

import subprocess
import sys

from testkit.paths import REPO

PRELOAD_THEN_CHECK = """
import sys, threading
from segmenter.model.fitted import preload_skops
before = "skops.io" in sys.modules
preload_skops()
for thread in threading.enumerate():
    if thread is not threading.main_thread():
        thread.join()
print(before, "skops.io" in sys.modules)
"""


def test_preload_imports_skops_on_another_thread() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PRELOAD_THEN_CHECK],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["False", "True"]
    assert done.stderr == ""  # nothing raised on the thread
