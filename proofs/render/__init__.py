"""Renderers: pure functions of the result dicts (``ClaimResult.to_dict()``) and the summary dict.

``render_check(fmt, results, summary, color=False)`` returns the report text
for ``fmt`` in :data:`FORMATS`; nothing here imports SymPy or the engine, so
saved or cached results render without re-checking.
"""
from __future__ import annotations

import os

FORMATS = ("text", "json", "junit", "markdown")


def use_color(stream) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set to a non-empty value (https://no-color.org:
    an empty ``NO_COLOR=`` does not turn colour off)."""
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def count(n: int, noun: str, plural: str = "") -> str:
    """``1 step``, ``2 steps``, ``0 steps``: a number and its noun, singular only for exactly one."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def render_check(fmt: str, results: list, summary: dict, *, color: bool = False) -> str:
    if fmt == "text":
        from . import text
        return text.render_check(results, summary, color=color)
    if fmt == "json":
        from . import json_format
        return json_format.render_check(results, summary)
    if fmt == "junit":
        from . import junit
        return junit.render_check(results, summary)
    if fmt == "markdown":
        from . import markdown
        return markdown.render_check(results, summary)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
