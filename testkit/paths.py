"""Where the tests find the repository's files and the real data, wherever a test lives."""

from __future__ import annotations

from pathlib import Path

__all__ = ["APP", "REAL_DATA", "REPO", "SAMPLE"]

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "streamlit_app.py"
SAMPLE = REPO / "data" / "sample_customers.csv"
REAL_DATA = REPO.parent / "shared" / "data" / "CC_GENERAL.csv"
