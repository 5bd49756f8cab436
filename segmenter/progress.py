"""How long work reports its steps: a callable taking one line, and the one that stays silent."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress", "quiet"]

Progress = Callable[[str], None]


def quiet(message: str) -> None:
    """Progress that reports nothing: the default of every function that takes one."""
    return None
