"""The edge: LLM settings read from the environment in one function; the writer built from them."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from narratives.cache import AnswerCache
from narratives.llm import DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, OpenAIWriter, make_client
from narratives.personas import PersonaWriter
from narratives.rules import RuleBasedWriter
from narratives.shelf import Shelf
from narratives.usage import Price, parse_price
from segmenter.errors import InputError

__all__ = [
    "DEFAULT_BUDGET_S",
    "DEFAULT_MODEL",
    "LLMSettings",
    "build_writer",
    "llm_status",
    "settings_from_env",
    "settings_with_key",
]

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BUDGET_S = 60.0
MAX_RETRIES = 2
NO_KEY = "no-key"  # sent to a local server that needs none: the client requires some value


@dataclass(frozen=True)
class LLMSettings:
    """Where and how to ask for personas; with no endpoint, narratives are rule-based.

    An endpoint is configured by a key (OpenAI), a base URL alone (a local server: Ollama,
    vLLM, LM Studio, llama.cpp), or Azure OpenAI's endpoint, key and api-version (`model` is
    then the deployment's name). `off` forces rule-based narratives whatever is set.
    """

    api_key: str | None = field(default=None, repr=False)  # never printed or logged
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    budget_s: float = DEFAULT_BUDGET_S
    concurrency: int = DEFAULT_CONCURRENCY
    azure_endpoint: str | None = None
    api_version: str | None = None
    off: bool = False
    price: Price | None = None  # per million tokens: turns the tokens used into a cost

    @property
    def enabled(self) -> bool:
        """True when an endpoint is configured and the LLM is not switched off."""
        return not self.off and bool(self.api_key or self.base_url or self.azure_endpoint)

    @property
    def host(self) -> str:
        """The endpoint's host, to say where personas are asked (never the key)."""
        url = self.azure_endpoint or self.base_url or DEFAULT_BASE_URL
        return urlsplit(url).hostname or url


def _positive(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    raw = env.get(name, "").strip()
    try:
        value = (int(raw) if whole else float(raw)) if raw else default
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        kind = "whole number" if whole else "number of seconds"
        raise InputError(f"{name} must be a positive {kind}, not {raw!r}")
    return value


def settings_from_env(environ: Mapping[str, str] | None = None) -> LLMSettings:
    """The LLM settings from the environment, the one place they are read.

    OPENAI_API_KEY, OPENAI_BASE_URL, SEGMENTER_LLM_MODEL, SEGMENTER_LLM_BUDGET_SECONDS,
    SEGMENTER_LLM_CONCURRENCY, SEGMENTER_LLM_PRICE ("IN/OUT [CURRENCY]" per million tokens),
    SEGMENTER_LLM=off; for Azure OpenAI: AZURE_OPENAI_ENDPOINT,
    AZURE_OPENAI_API_KEY, OPENAI_API_VERSION and AZURE_OPENAI_DEPLOYMENT (or the model name).
    """
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        return env.get(name, "").strip() or None

    switch = (get("SEGMENTER_LLM") or "on").lower()
    if switch not in {"on", "off"}:
        raise InputError(f"SEGMENTER_LLM must be 'on' or 'off', not {switch!r}")
    azure = get("AZURE_OPENAI_ENDPOINT")
    model = get("AZURE_OPENAI_DEPLOYMENT") if azure else None
    if azure:
        needed = ["AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION"]
        if missing := [name for name in needed if not get(name)] + (
            [] if model or get("SEGMENTER_LLM_MODEL") else ["AZURE_OPENAI_DEPLOYMENT"]
        ):
            raise InputError(f"AZURE_OPENAI_ENDPOINT is set, but not {', '.join(missing)}")
    return LLMSettings(
        api_key=get("AZURE_OPENAI_API_KEY") if azure else get("OPENAI_API_KEY"),
        base_url=None if azure else get("OPENAI_BASE_URL"),
        model=model or get("SEGMENTER_LLM_MODEL") or DEFAULT_MODEL,
        budget_s=_positive(env, "SEGMENTER_LLM_BUDGET_SECONDS", DEFAULT_BUDGET_S),
        concurrency=int(
            _positive(env, "SEGMENTER_LLM_CONCURRENCY", DEFAULT_CONCURRENCY, whole=True)
        ),
        azure_endpoint=azure,
        api_version=get("OPENAI_API_VERSION") if azure else None,
        off=switch == "off",
        price=parse_price(price) if (price := get("SEGMENTER_LLM_PRICE")) else None,
    )


def settings_with_key(
    settings: LLMSettings, *, typed: str | None = None, secret: str | None = None
) -> LLMSettings:
    """The settings with the key to use: one typed in, else the environment's, else a secret.

    `typed` is what the app's key field holds for this session, `secret` the app's
    OPENAI_API_KEY from Streamlit secrets; blank values count as none.
    """
    key = (typed or "").strip() or settings.api_key or (secret or "").strip() or None
    return dataclasses.replace(settings, api_key=key)


def llm_status(settings: LLMSettings) -> str:
    """One sentence on where personas would be asked: the model and host, never the key."""
    if settings.off:
        return "The LLM is switched off (SEGMENTER_LLM=off): rule-based personas."
    if not settings.enabled:
        return (
            "No LLM endpoint configured: rule-based personas, and nothing leaves this server. "
            "Enter a key, or set OPENAI_BASE_URL for a local server."
        )
    return f"Model: {settings.model} at {settings.host}. Personas can be regenerated with it."


def build_writer(
    settings: LLMSettings,
    *,
    shelf: Shelf,
    offline: bool = False,
    cache_dir: Path | None = None,
    reuse: bool = True,
) -> PersonaWriter:
    """The rule-based writer offline or with no endpoint, else the OpenAI writer falling back.

    With `cache_dir`, accepted answers are kept there and reused unless `reuse` is False.
    """
    rules = RuleBasedWriter(shelf)
    if offline or not settings.enabled:
        return rules
    client = make_client(
        api_key=settings.api_key or NO_KEY,
        base_url=settings.base_url,
        azure_endpoint=settings.azure_endpoint,
        api_version=settings.api_version,
        timeout=settings.budget_s,
        max_retries=MAX_RETRIES,
    )
    return OpenAIWriter(
        client,
        model=settings.model,
        fallback=rules,
        budget_s=settings.budget_s,
        max_retries=MAX_RETRIES,
        concurrency=settings.concurrency,
        cache=AnswerCache(cache_dir) if cache_dir is not None else None,
        reuse=reuse,
    )
