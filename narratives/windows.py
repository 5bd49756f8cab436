"""The time each segment's LLM request gets within a run's budget, and the retries that fit.

A segment's window is set when it gets a place to run: what is left of the budget over the
rounds still needed at the run's concurrency, so time that fast segments leave passes on to
later ones. Within its window the `openai` client may retry (timeouts, 429, 5xx) only as often
as every attempt, run to its timeout, and the client's pauses between attempts still fit.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["MIN_ANSWER_S", "Attempts", "Schedule", "attempts", "pauses", "window"]

# The least time an answer is given when that much is left: a model writing a persona needs
# seconds to tens of seconds, and an answer cut short is wasted whole. On a slow server the
# segments after it would be cut short the same way, so a window never goes below this.
MIN_ANSWER_S = 20.0


def pauses(retries: int) -> float:
    """The most the `openai` client pauses before `retries` retries: 0.5·2^n s, at most 8 s each
    (its jitter only shortens them; a server's Retry-After is its own)."""
    return sum(min(0.5 * 2**n, 8.0) for n in range(retries))


def window(remaining: float, rounds: int) -> float:
    """A segment's time: its share of what is left (over the rounds still needed, this one
    included), but never less than MIN_ANSWER_S or more than what is left."""
    if remaining <= 0:
        return 0.0
    return max(remaining / max(1, rounds), min(remaining, MIN_ANSWER_S))


class Attempts(NamedTuple):
    """The timeout of each attempt at a request, and how many retries the client may make."""

    timeout: float
    retries: int


def attempts(span: float, *, max_retries: int, cap: float | None = None) -> Attempts:
    """The most retries (up to `max_retries`) that fit in `span` with every attempt given at
    least MIN_ANSWER_S (or `cap`, or `span`, when shorter); attempts are capped at `cap`."""
    limit = math.inf if cap is None else cap
    needed = min(span, MIN_ANSWER_S, limit)
    for retries in range(max_retries, 0, -1):
        timeout = min((span - pauses(retries)) / (retries + 1), limit)
        if timeout >= needed:
            return Attempts(timeout, retries)
    return Attempts(min(span, limit), 0)


class Schedule:
    """The windows of one run's segments, set as each starts (shared by the requests' threads)."""

    def __init__(
        self,
        deadline: float,
        *,
        segments: int,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.deadline = deadline
        self.concurrency = max(1, concurrency)
        self.clock = clock
        self._unstarted = segments
        self._lock = threading.Lock()

    def start(self) -> float:
        """The time by which the segment starting now must be answered."""
        with self._lock:
            rounds = math.ceil(max(1, self._unstarted) / self.concurrency)
            self._unstarted -= 1
        now = self.clock()
        return now + window(self.deadline - now, rounds)
