"""skops, imported ahead on a thread of its own, is ready when a model is saved."""

from __future__ import annotations

from testkit.segmenter_fixtures import run_python

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
    done = run_python("-c", PRELOAD_THEN_CHECK, check=True)
    assert done.stdout.split() == ["False", "True"]
    assert done.stderr == ""  # nothing raised on the thread
