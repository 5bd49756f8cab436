"""The workspace's own errors: sentences for the user, InputErrors so the edges turn them into
exit code 2 on the command line and `st.error` in the app."""

from __future__ import annotations

from segmenter.errors import InputError

__all__ = ["ReviewConflict", "UnknownRecord", "WorkspaceUnavailable"]


class WorkspaceUnavailable(InputError):
    """The workspace database cannot be reached, opened or migrated; the message names it
    (never with its password) and says why in one sentence."""


class UnknownRecord(InputError):
    """A run, document or review item that the workspace does not hold."""


class ReviewConflict(InputError):
    """A decision on a review item made from a stale version: someone decided it meanwhile."""
