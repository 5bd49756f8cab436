"""LLM answers on disk, keyed by a hash of the request (context, templates, model): never a key."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from segmenter.files import write_text

__all__ = ["AnswerCache", "request_key"]


def request_key(payload: dict[str, Any]) -> str:
    """SHA-256 of a request payload in canonical JSON (no headers, so never the API key)."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class AnswerCache:
    """One JSON file per accepted answer: {"key", "model", "content"}."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> str | None:
        """The cached answer text, or None when absent or unreadable."""
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        content = entry.get("content") if isinstance(entry, dict) else None
        return content if isinstance(content, str) else None

    def put(self, key: str, *, model: str, content: str) -> None:
        """Store an answer atomically, so concurrent writers never leave half a file."""
        entry = {"key": key, "model": model, "content": content}
        write_text(self._path(key), json.dumps(entry, ensure_ascii=False, indent=1))
