"""Every app test runs without the developer's own LLM settings."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def no_llm_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own key or server must not leak into the tests."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "AZURE_OPENAI_", "SEGMENTER_LLM")):
            monkeypatch.delenv(name, raising=False)
