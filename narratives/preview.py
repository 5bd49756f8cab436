"""The exact requests an LLM run would send, for people to read before anything is sent."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from narratives.config import LLMSettings, build_writer
from narratives.context import RunContext
from narratives.llm import OpenAIWriter
from narratives.shelf import Shelf

__all__ = ["outgoing_requests"]

# Building the writer needs some key; the preview never sends anything, so any text does.
_PREVIEW_KEY = "not-sent"


def outgoing_requests(
    context: RunContext, *, settings: LLMSettings, shelf: Shelf
) -> dict[int, dict[str, Any]]:
    """Segment id -> the chat-completions payload the LLM writer would send for it.

    Segments too small to describe, and customers left unassigned, are never sent.
    The payloads hold aggregates only, and never the API key (it travels in a header).
    """
    writer = build_writer(replace(settings, api_key=settings.api_key or _PREVIEW_KEY), shelf=shelf)
    if not isinstance(writer, OpenAIWriter):  # build_writer always gives it when keyed
        raise TypeError(f"expected the LLM writer, got {type(writer).__name__}")
    return {s.id: writer.request(s, context) for s in context.segments if not s.coarse}
