"""The internal error of the spec reader: a message and where it points; the public entry points turn it
into ``SpecError`` with the file name."""
from __future__ import annotations

from typing import Any


class Problem(Exception):
    """A mistake in a spec at ``line:col`` (both 1-based; None when the whole file is meant)."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.message = " ".join(str(message).split())  # always one line
        self.line = line
        self.col = col
        self.placed = False  # the message already says which block instance it happened in


def at(node: Any, message: str) -> Problem:
    """A ``Problem`` located at a YAML value (anything with ``line`` and ``col``)."""
    return Problem(message, node.line, node.col)


def quote(text: str, limit: int = 80) -> str:
    """``text`` quoted for a message, on one line, shortened past ``limit`` characters."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[:limit - 3] + "..."
    return repr(flat)
