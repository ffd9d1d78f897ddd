"""JUnit XML: one ``<testsuite name="derivcheck">`` with one ``<testcase>`` per claim.

* ``classname`` is the claim's topic, or its module when it has none;
  ``name`` is the claim id; ``time`` its seconds.
* A claim that does not pass gets ``<failure message=...>``; verdict ``error``
  or ``timeout`` gets ``<error message=...>`` instead.
* A file that could not be loaded adds a ``<testcase classname="load">`` with
  an ``<error>``, so CI never reads a broken file as green.
* Always well-formed XML 1.0: every attribute and text goes through ``_clean`` (characters XML cannot
  carry, such as U+FFFE, U+FFFF, lone surrogates and control characters, become U+FFFD; huge texts are cut).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..outcome import failure_reason, is_failure_kind_error


def _classname(r: dict) -> str:
    if r.get("topic"):
        return str(r["topic"])
    f = str(r.get("file") or "")
    if f:
        stem = f.replace("\\", "/").rsplit("/", 1)[-1]
        return stem[:-3] if stem.endswith(".py") else stem
    return str(r.get("id", "")).split(".", 1)[0]


# characters XML 1.0 cannot carry (https://www.w3.org/TR/xml/#charsets): C0 controls other than tab, line feed
# and carriage return, lone surrogates, U+FFFE and U+FFFF
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_TEXT = 100_000   # characters of one attribute or element text (a 10 MB message is cut, with a note)


def _clean(text) -> str:
    """Any value as text XML 1.0 can carry: characters it cannot are replaced by U+FFFD, and a huge text is cut
    with a note."""
    s = str(text)
    if len(s) > MAX_TEXT:
        s = s[:MAX_TEXT] + f" [... {len(s) - MAX_TEXT:,} more characters not shown]"
    return _NOT_XML.sub("\ufffd", s)


def _seconds(v) -> str:
    try:
        x = float(v or 0)
    except (TypeError, ValueError):
        x = 0.0
    return f"{x:.3f}" if x == x and abs(x) != float("inf") else "0.000"


def render_check(results: list, summary: dict) -> str:
    results = sorted(results, key=lambda r: str(r.get("id")))
    errors = summary.get("errors") or []
    n_err = sum(1 for r in results if is_failure_kind_error(r)) + len(errors)
    n_fail = sum(1 for r in results if failure_reason(r) and not is_failure_kind_error(r))
    suite = ET.Element("testsuite", {
        "name": "derivcheck",
        "tests": str(len(results) + len(errors)),
        "failures": str(n_fail),
        "errors": str(n_err),
        "skipped": "0",
        "time": _seconds(summary.get("seconds")),
    })
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "seed", "value": _clean(summary.get("seed", ""))})
    for k, v in sorted((summary.get("versions") or {}).items(), key=lambda kv: str(kv[0])):
        ET.SubElement(props, "property", {"name": _clean(f"version.{k}"), "value": _clean(v)})
    for r in results:
        case = ET.SubElement(suite, "testcase", {
            "classname": _clean(_classname(r)),
            "name": _clean(r.get("id", "")),
            "time": _seconds(r.get("seconds")),
        })
        if r.get("file"):
            case.set("file", _clean(r["file"]))
        reason = failure_reason(r)
        if reason:
            tag = "error" if is_failure_kind_error(r) else "failure"
            el = ET.SubElement(case, tag, {"message": _clean(reason), "type": _clean(r.get("verdict"))})
            body = [r.get("message") or "", r.get("loud") or ""]
            el.text = _clean("\n".join(b for b in body if b))
        out = [f"verdict: {r.get('verdict')}{', assuming' if r.get('assuming') else ''} (expected {r.get('expected')})"]
        out += [f"assuming (unchecked): {a}" for a in r.get("assuming") or []]
        if r.get("cached"):
            out.append("cached: true")
        ET.SubElement(case, "system-out").text = _clean("\n".join(out))
    for e in errors:
        case = ET.SubElement(suite, "testcase", {"classname": "load", "name": _clean(e.get("file", "")),
                                                 "time": "0.000"})
        ET.SubElement(case, "error", {"message": _clean(e.get("text") or e.get("message", "")),
                                      "type": "load error"})
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
