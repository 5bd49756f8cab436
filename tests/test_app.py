"""The app opens on the bundled synthetic sample and shows its quality report."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def test_app_opens_on_the_synthetic_sample() -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert any("synthetic" in info.value for info in at.info)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert int(metrics["Rows kept"].replace(",", "")) > 8000
    assert not at.error
