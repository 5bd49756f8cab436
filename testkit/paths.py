"""Where the tests find the repository's files and the real data, wherever a test lives."""

from __future__ import annotations

import ast
from pathlib import Path

__all__ = ["APP", "REAL_DATA", "REPO", "SAMPLE", "app_views"]

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "streamlit_app.py"
SAMPLE = REPO / "data" / "sample_customers.csv"
REAL_DATA = REPO.parent / "shared" / "data" / "CC_GENERAL.csv"


def app_views() -> tuple[str, ...]:
    """The app's views in navigation order: the entry script's VIEWS, read from its source
    (running it would start the app)."""
    for node in ast.parse(APP.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "VIEWS":
            views: tuple[str, ...] = ast.literal_eval(node.value)
            return views
    raise AssertionError(f"{APP.name} has no VIEWS")
