"""The edge: LLM settings read from the environment in one function; the writer built from them."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from narratives.cache import AnswerCache
from narratives.llm import OpenAIWriter, make_client
from narratives.personas import PersonaWriter
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from segmenter.errors import InputError

__all__ = ["DEFAULT_BUDGET_S", "DEFAULT_MODEL", "LLMSettings", "build_writer", "settings_from_env"]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BUDGET_S = 60.0
REQUEST_TIMEOUT_S = 20.0
MAX_RETRIES = 2


@dataclass(frozen=True)
class LLMSettings:
    """Where and how to ask for personas; no key means rule-based narratives."""

    api_key: str | None = field(default=None, repr=False)  # never printed or logged
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    budget_s: float = DEFAULT_BUDGET_S

    @property
    def enabled(self) -> bool:
        """True when an API key is set."""
        return bool(self.api_key)


def settings_from_env(environ: Mapping[str, str] | None = None) -> LLMSettings:
    """Read OPENAI_API_KEY, OPENAI_BASE_URL, SEGMENTER_LLM_MODEL, SEGMENTER_LLM_BUDGET_SECONDS."""
    env = os.environ if environ is None else environ
    raw_budget = env.get("SEGMENTER_LLM_BUDGET_SECONDS", "").strip()
    try:
        budget = float(raw_budget) if raw_budget else DEFAULT_BUDGET_S
    except ValueError:
        budget = math.nan
    if not (math.isfinite(budget) and budget > 0):
        raise InputError(
            f"SEGMENTER_LLM_BUDGET_SECONDS must be a positive number of seconds, not {raw_budget!r}"
        )
    return LLMSettings(
        api_key=env.get("OPENAI_API_KEY", "").strip() or None,
        base_url=env.get("OPENAI_BASE_URL", "").strip() or None,
        model=env.get("SEGMENTER_LLM_MODEL", "").strip() or DEFAULT_MODEL,
        budget_s=budget,
    )


def build_writer(
    settings: LLMSettings, *, shelf: Shelf, offline: bool = False, cache_dir: Path | None = None
) -> PersonaWriter:
    """The rule-based writer offline or without a key, else the OpenAI writer falling back to it."""
    rules = RuleBasedWriter(shelf)
    if offline or settings.api_key is None:
        return rules
    timeout = min(REQUEST_TIMEOUT_S, settings.budget_s)
    client = make_client(
        api_key=settings.api_key,
        base_url=settings.base_url,
        timeout=timeout,
        max_retries=MAX_RETRIES,
    )
    return OpenAIWriter(
        client,
        model=settings.model,
        fallback=rules,
        budget_s=settings.budget_s,
        request_timeout_s=timeout,
        max_retries=MAX_RETRIES,
        cache=AnswerCache(cache_dir) if cache_dir is not None else None,
    )
