"""The project's own exception types: messages are sentences about the user's data."""

from __future__ import annotations

__all__ = ["InputError", "SegmenterError"]


class SegmenterError(Exception):
    """Base class of every error the product raises on purpose."""


class InputError(SegmenterError, ValueError):
    """The input cannot be used; the message names the file, column and row where it can.

    The command line turns it into one line on stderr and exit code 2; the app into `st.error`.
    """
