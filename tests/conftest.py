"""Shared fixtures: the real CC GENERAL file (skipped when absent, except under CI=true)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data" / "CC_GENERAL.csv"


@pytest.fixture(scope="session")
def real_data_path() -> Path:
    """Path of the real CC GENERAL file; skip without it, but fail under CI=true."""
    if not REAL_DATA.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the real data file is missing under CI: {REAL_DATA}")
        pytest.skip(f"real data not found at {REAL_DATA}")
    return REAL_DATA
