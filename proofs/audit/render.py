"""Audit results as text, JSON, JUnit XML and Markdown: pure functions of the results' dict form.

Text shows the author's own line (``file:line``) with a mark, how it holds or the residual and the
counterexample beneath the first wrong line of each display. Nothing here is ever compiled by TeX; the
Markdown puts re-rendered maths (from the parsed form) in ``$...$``, never the author's text.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ..render import markdown

MARKS = {"proved": "✓", "refuted": "✗", "unproved": "?", "not checked": "·", "error": "!", "timeout": "⏱"}
ORDER = ("proved", "refuted", "unproved", "not checked", "error", "timeout")


def _one(text, limit: int = 300) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[:limit - 1] + "…"


def _point(cex: dict | None) -> str:
    if not cex:
        return ""
    pt = ", ".join(f"{k} = {v}" for k, v in (cex.get("point") or {}).items())
    sides = f"; left = {cex.get('lhs')}, right = {cex.get('rhs')}" if cex.get("lhs") or cex.get("rhs") else ""
    return f"at {pt}{sides}" if pt else sides.lstrip("; ")


def _count(n: int, noun: str) -> str:
    """``1 pair``, ``2 pairs``."""
    return f"{n} {noun}{'s' * (n != 1)}"


def summary_line(s: dict) -> str:
    """``54 pairs in 1 document: 9 proved, 5 refuted, ...`` for a :func:`summary`."""
    return f"{_count(s['pairs'], 'pair')} in {_count(s['documents'], 'document')}: {counts_text(s['counts']) or 'none'}"


def counts_text(counts: dict) -> str:
    return ", ".join(f"{counts.get(v, 0)} {v}" for v in ORDER if counts.get(v, 0))


def render_text(results: list[dict]) -> str:
    out = []
    for r in results:
        if r.get("error"):
            out.append(f"{r['file']}: error: {_one(r['error'])}")
            continue
        for prob in r.get("problems", []):
            out.append(f"{_one(prob)}")
        firsts = set()
        for p in r["pairs"]:
            if p.get("first_failing"):
                firsts.add((p["display_line"], p["line"], p["left"], p["right"]))
        for p in r["pairs"]:
            mark = MARKS.get(p["verdict"], "?")
            written = _one(p.get("written", ""), 100)
            how = f" ({p['how']})" if p.get("how") and p["verdict"] in ("proved", "not checked") else ""
            out.append(f"{p['file'] if p.get('cell') is None else p['file'] + ':cell ' + str(p['cell'])}:"
                       f"{p['line']}: {mark} {p['verdict']}{how}: {written}")
            if p["verdict"] == "refuted":
                if p.get("left") or p.get("right"):
                    out.append(f"    {_one(p['left'], 150)}  {p['relation']}  {_one(p['right'], 150)}")
                if p.get("residual"):
                    out.append(f"    residual: {_one(p['residual'], 200)}")
                if p.get("counterexample"):
                    out.append(f"    counterexample: {_one(_point(p['counterexample']), 300)}")
                if p.get("how"):
                    out.append(f"    {_one(p['how'], 200)}")
            elif p["verdict"] in ("unproved", "error", "timeout") and p.get("detail"):
                out.append(f"    {_one(p['detail'], 240)}")
            if p["verdict"] == "proved" and p.get("assuming"):
                out.append(f"    assuming {', '.join(p['assuming'])}")
        c = r.get("counts", {})
        out.append(f"{r['file']}: {r.get('rows_parsed', 0)}/{r.get('rows', 0)} lines read, "
                   f"{_count(len(r['pairs']), 'pair')}: {counts_text(c) or 'none'} ({r.get('seconds', 0):.2f}s)")
    return "\n".join(out) + "\n"


def summary(results: list[dict]) -> dict:
    total = {v: 0 for v in ORDER}
    for r in results:
        for k, v in r.get("counts", {}).items():
            total[k] = total.get(k, 0) + v
    return dict(documents=len(results), errors=sum(1 for r in results if r.get("error")), counts=total,
                pairs=sum(total.values()))


def render_json(results: list[dict]) -> str:
    return json.dumps({"format": "derivcheck-audit/1", "summary": summary(results), "documents": results},
                      indent=1, ensure_ascii=False, default=str) + "\n"


def render_junit(results: list[dict]) -> str:
    from ..render.junit import _clean
    s = summary(results)
    suite = ET.Element("testsuite", name="derivcheck-audit", tests=str(s["pairs"] + s["errors"]),
                       failures=str(s["counts"]["refuted"]),
                       errors=str(s["counts"]["error"] + s["counts"]["timeout"] + s["errors"]))
    for r in results:
        if r.get("error"):
            tc = ET.SubElement(suite, "testcase", classname=_clean(r["file"]), name="read")
            ET.SubElement(tc, "error", message=_clean(_one(r["error"])))
        for p in r.get("pairs", []):
            tc = ET.SubElement(suite, "testcase", classname=_clean(r["file"]), name=_clean(f"line {p['line']}"),
                               time=f"{float(p.get('seconds') or 0):.3f}")
            if p["verdict"] == "refuted":
                ET.SubElement(tc, "failure", message=_clean(_one(
                    f"refuted: {p['left']} {p['relation']} {p['right']}; {_point(p.get('counterexample'))}")))
            elif p["verdict"] in ("error", "timeout"):
                ET.SubElement(tc, "error", message=_clean(_one(f"{p['verdict']}: {p.get('detail', '')}")))
            elif p["verdict"] in ("unproved", "not checked"):
                ET.SubElement(tc, "skipped", message=_clean(_one(f"{p['verdict']}: {p.get('detail', '')}")))
    return ET.tostring(suite, encoding="unicode") + "\n"


def _math(latex: str) -> str:
    """Re-rendered LaTeX (ours, from the parsed form) as ``$...$``; nothing for no LaTeX."""
    return markdown.math(latex) if latex else ""


def render_markdown(results: list[dict]) -> str:
    s = summary(results)
    out = ["## derivcheck audit", "", "| file | lines read | " + " | ".join(ORDER) + " |",
           "|---|---|" + "---|" * len(ORDER)]
    for r in results:
        c = r.get("counts", {})
        out.append(f"| {markdown.text(r['file'])} | {r.get('rows_parsed', 0)}/{r.get('rows', 0)} | "
                   + " | ".join(str(c.get(v, 0)) for v in ORDER) + " |")
    out.append("")
    for r in results:
        for p in r.get("pairs", []):
            if p["verdict"] in ("refuted", "error", "timeout"):
                out.append(f"- **{markdown.text(p['file'])}:{p['line']}** {p['verdict']}: "
                           f"{_math(p.get('left_latex'))} {markdown.text(p.get('relation', ''))} "
                           f"{_math(p.get('right_latex'))} "
                           f"{markdown.text(_one(_point(p.get('counterexample')) or p.get('detail', ''), 300))}")
    out.append("")
    out.append(summary_line(s))
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit, "markdown": render_markdown}
