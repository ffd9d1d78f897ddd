"""JSON report: ``{"schema", "claims", "summary"}``, deterministic (sorted keys, claims by id).

Wall-clock seconds appear only in each claim's (and step's/witness's)
``seconds`` and in ``summary.seconds``.
"""
from __future__ import annotations

import json

from ..results import SCHEMA


def dumps(data) -> str:
    """Sorted, indented JSON; UTF-8 text, except that a result holding a lone surrogate (which UTF-8 cannot
    encode) is written with ``\\uXXXX`` escapes throughout, so the file can always be written and read back."""
    out = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        out = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=True) + "\n"
    return out


def render_check(results: list, summary: dict) -> str:
    claims = sorted(results, key=lambda r: str(r.get("id")))
    return dumps({"schema": SCHEMA, "claims": claims, "summary": summary})


def render_list(metas: list, errors=()) -> str:
    return dumps({"schema": SCHEMA, "claims": sorted(metas, key=lambda m: m["id"]),
                  "errors": [dict(e) for e in errors]})
