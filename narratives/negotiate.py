"""What an OpenAI-compatible server accepts, learned from its refusals during one run.

Hosted APIs take `response_format: json_schema` with `strict`, `temperature` and `seed`; older
vLLM and LM Studio builds, Azure with an older api-version and reasoning models refuse one of
them with a 400. Each refusal steps down once, for the rest of the run: `json_schema` ->
`json_object` -> the schema written into the prompt; a refused sampling parameter is left out.
Small local models wrap their JSON in a fenced block whatever was asked: `json_text` finds it.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Literal

import openai

__all__ = ["FORMATS", "NEGOTIABLE", "Accepts", "json_text"]

Format = Literal["json_schema", "json_object", "prompt"]
FORMATS: tuple[Format, ...] = ("json_schema", "json_object", "prompt")
_OPTIONAL = ("temperature", "seed", "top_p")
NEGOTIABLE = len(_OPTIONAL) + len(FORMATS) - 1  # the most steps down a run can take
_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "structured output")
_FENCED = re.compile(r"```(?:json|JSON)?\s*(\{.*?\})\s*```", re.DOTALL)


class Accepts:
    """The request shape one endpoint and model accept; shared by the run's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.format: Format = "json_schema"
        self.dropped: set[str] = set()

    def shape(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request as this server takes it; the schema goes into the prompt when it must."""
        with self._lock:
            fmt, dropped = self.format, set(self.dropped)
        payload = {k: v for k, v in request.items() if k not in dropped}
        if fmt == "json_schema":
            return payload
        schema = request["response_format"]["json_schema"]["schema"]
        messages = [dict(m) for m in request["messages"]]
        messages[-1]["content"] += (
            "\n\nAnswer with one JSON object only, no other text, following this JSON schema:\n"
            + json.dumps(schema, separators=(",", ":"))
        )
        payload["messages"] = messages
        if fmt == "json_object":
            payload["response_format"] = {"type": "json_object"}
        else:
            payload.pop("response_format", None)
        return payload

    def learn(self, error: openai.BadRequestError, sent: dict[str, Any]) -> bool:
        """After a 400 to `sent`: True when the next request will differ (this refusal, or
        another thread's, was learnt), False when there is nothing left to leave out."""
        text = _error_text(error)
        with self._lock:
            for name in _OPTIONAL:
                if name in text and name in sent:
                    self.dropped.add(name)
            if any(word in text for word in _FORMAT_WORDS) and _format_of(sent) == self.format:
                if self.format == "prompt":
                    return False
                self.format = FORMATS[FORMATS.index(self.format) + 1]
        return _format_of(sent) != self.format or any(name in sent for name in self.dropped)


def _format_of(sent: dict[str, Any]) -> Format:
    kind = sent.get("response_format", {}).get("type")
    return "json_schema" if kind == "json_schema" else "json_object" if kind else "prompt"


def _error_text(error: openai.BadRequestError) -> str:
    """The server's words about the refusal, lower case (read here, never shown or logged)."""
    body = error.body if isinstance(error.body, dict | str) else ""
    return f"{error.message} {json.dumps(body) if isinstance(body, dict) else body}".lower()


def json_text(content: str) -> str:
    """The JSON object in an answer: as it is, inside a fenced block, or between outer braces."""
    stripped = content.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        return stripped
    if fenced := _FENCED.search(stripped):
        return fenced.group(1)
    start, end = stripped.find("{"), stripped.rfind("}")
    return stripped[start : end + 1] if 0 <= start < end else stripped
