"""GitHub-flavoured Markdown for CI pages and pull requests: claims per source, verdict counts, witnesses, the
errata found, then every claim that is not as expected (statement, first failing step, counterexample, witnesses).

Deterministic (sorted, no timings), so the README's catalog table can be regenerated and compared byte for
byte.

Invariants, for any text the results hold (see tests/test_render_markdown.py, which parses the output with
markdown-it-py and its dollar-math plugin):

* maths is the LaTeX derivcheck itself wrote (``statement_latex``, a step's ``latex``), in ``$...$`` or a
  ``$$`` block, and the ``$...$`` spans an author wrote in a title, statement, reading, rule or why (as the
  report typesets them); each span parses back to exactly that LaTeX (``|`` escaped as ``\\|`` inside a table
  cell, where GFM unescapes it before the maths is read);
* every other text (the rest of those fields, witness details, messages, counterexamples) is escaped so that
  nothing in it becomes emphasis, a link, HTML, strikethrough, maths or a table column;
* a table row always has the columns of its header.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

from ..outcome import failure_reason
from . import count
from .text import counterexample_text, step_name

VERDICTS = ("proved", "refuted", "unproved", "not checkable", "error", "timeout")
DETAIL_LIMIT = 600          # characters of a witness detail or message shown in a section

# Markdown's inline markup, escaped only where it can act, so plain text stays readable: '_' where it can open or
# close emphasis (not inside a word: 000_e701.txt), '<' where it can open HTML or an autolink (not in '<='),
# ']' where it can close a link's text ('](')
_MARKUP = re.compile(r"[\\`*$|~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|<(?=[A-Za-z/!?])|\](?=\()")


# an author's inline maths: $...$ on one line, not opening or closing on a space (GitHub's rule)
_AUTHOR_MATH = re.compile(r"(?<!\\)\$(?=\S)([^$]*?\S)\$")


def text(value, limit: int = 0, *, maths: bool = False, in_table: bool = False) -> str:
    """Any text as Markdown that renders as exactly that text, on one line (cut at ``limit`` with '…').

    ``maths=True`` for a field an author writes (title, statement, reading, rule, why): its ``$...$`` spans are
    maths (:func:`math`, escaped for a table cell with ``in_table``), the rest text; an unpaired ``$`` is text."""
    s = " ".join(str(value).split())
    if limit and len(s) > limit:
        s = s[:limit - 1] + "…"
    out, at = [], 0
    for m in _AUTHOR_MATH.finditer(s) if maths else ():
        out += [_escape(s[at:m.start()]), math(m.group(1), in_table=in_table)]
        at = m.end()
    return "".join(out + [_escape(s[at:])])


def _escape(s: str) -> str:
    return _MARKUP.sub(lambda m: "\\" + m.group(0), s)


def line(value, limit: int = 0, *, maths: bool = False) -> str:
    """Text that begins a line or a list item: as :func:`text`, and never read as a heading, block quote, list
    item or rule (``# x``, ``> x``, ``- x``, ``2. x`` keep their first character as written)."""
    s = text(value, limit, maths=maths)
    number = re.match(r"\d{1,9}(?=[.)](?:\s|$))", s)
    if number:
        return s[:number.end()] + "\\" + s[number.end():]
    return "\\" + s if s[:1] in ("#", ">", "+", "-", "=") else s


def code(value) -> str:
    """A code span holding ``value`` (one line); the fence is longer than any run of backticks inside it."""
    s = " ".join(str(value).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _latex(latex: str) -> str:
    """LaTeX on one line, safe between dollar signs (no bare ``$``; no trailing backslash to escape the
    closing one)."""
    s = " ".join(str(latex).split()).replace("$", r"\$")
    return s + "{}" if s.endswith("\\") else s


def math(latex: str, *, in_table: bool = False) -> str:
    """Inline maths ``$...$``; in a table cell every ``|`` is escaped (GFM splits cells before maths is read)."""
    s = _latex(latex)
    return "$" + (s.replace("|", "\\|") if in_table else s) + "$"


def display_math(latex: str) -> list:
    """A ``$$`` block, as lines."""
    return ["$$", _latex(latex), "$$"]


def cell(value) -> str:
    """Text for a table cell (``|`` escaped along with the other markup)."""
    return text(value)


def render_check(results: list, summary: dict | None = None) -> str:
    lines = _source_table(results)
    wit = Counter(w["verdict"] for r in results for w in r.get("witnesses", []))
    lines += ["", f"Witnesses: {wit['agrees']} agree, {wit['disagrees']} disagree, {wit['error']} error; "
              f"{sum(1 for r in results if r['verdict'] == r['expected'])} of {len(results)} verdicts as expected."]
    resting = sorted((r for r in results if r.get("assuming")), key=lambda r: r["id"])
    if resting:
        rest = "rests" if len(resting) == 1 else "rest"
        lines += ["", f"{count(len(resting), 'verdict')} {rest} on unchecked assumptions (`proved, assuming: ...`):",
                  ""]
        lines += [f"- {code(r['id'])} {r['verdict']}, assuming: " + text("; ".join(r["assuming"]), maths=True)
                  for r in resting]
    lines += _errata_table(results)
    lines += _load_errors((summary or {}).get("errors") or [])
    lines += _not_as_expected(results)
    return "\n".join(lines) + "\n"


def _source_table(results: list) -> list:
    by_source = defaultdict(Counter)
    for r in results:
        by_source[r["source"]["file"]][r["verdict"]] += 1
        for also in r.get("also", []):
            by_source[also["file"]]["also cited"] += 1
    cols = [v for v in VERDICTS if any(c[v] for c in by_source.values())]
    lines = ["| source | claims | " + " | ".join(cols) + " | also cited |",
             "| --- | ---: | " + " | ".join("---:" for _ in cols) + " | ---: |"]
    total = Counter()
    for src in sorted(by_source):
        c = by_source[src]
        n = sum(c[v] for v in VERDICTS)
        total.update(c)
        lines.append(f"| {cell(src)} | {n} | " + " | ".join(str(c[v]) for v in cols) + f" | {c['also cited']} |")
    lines.append(f"| **all** | **{sum(total[v] for v in VERDICTS)}** | "
                 + " | ".join(f"**{total[v]}**" for v in cols) + f" | {total['also cited']} |")
    return lines


def corrected_by(results: list) -> dict:
    """Erratum id -> sorted ids of the claims among ``results`` that correct it (their ``corrects``)."""
    fixes = defaultdict(list)
    for r in results:
        if r.get("corrects"):
            fixes[r["corrects"]].append(r["id"])
    return {k: sorted(v) for k, v in fixes.items()}


def _errata_table(results: list) -> list:
    errata = [r for r in results if r["verdict"] == "refuted" and r["expected"] == "refuted"]
    if not errata:
        return []
    fixes_of = corrected_by(results)
    lines = ["", "| erratum | where | first failing step | corrected by |", "| --- | --- | --- | --- |"]
    for r in sorted(errata, key=lambda r: r["id"]):
        step = _step(r, r.get("first_failing_step"))
        where = f"{r['source']['file']}, {r['source']['locator']}"
        failing = "—" if step is None else (
            f"{step['index']}" + (f" {step['label']}" if step.get("label") and not step['label'].startswith("step ")
                                  else "") + (f" ({step['rule']})" if step.get("rule") else ""))
        fixes = ", ".join(code(i) for i in fixes_of.get(r["id"], [])) or "—"
        lines.append(f"| {code(r['id'])} | {cell(where)} | {text(failing, maths=True, in_table=True)} | {fixes} |")
    return lines


def _step(result: dict, index) -> dict | None:
    return next((s for s in result.get("steps") or [] if s.get("index") == index), None)


def _load_errors(errors: list) -> list:
    if not errors:
        return []
    lines = ["", f"### Files that could not be loaded ({len(errors)})", ""]
    return lines + [f"- {line(e.get('text') or e.get('message') or e.get('file', ''), DETAIL_LIMIT)}" for e in errors]


def _not_as_expected(results: list) -> list:
    """A table of the claims that do not pass, then a section for each."""
    failing = sorted((r for r in results if failure_reason(r)), key=lambda r: str(r.get("id")))
    if not failing:
        return []
    lines = ["", f"### Not as expected ({len(failing)})", "", "| claim | verdict | expected | statement |",
             "| --- | --- | --- | --- |"]
    for r in failing:
        stated = math(r["statement_latex"], in_table=True) if r.get("statement_latex") else \
            text(r.get("statement", ""), maths=True, in_table=True)
        lines.append(f"| {code(r['id'])} | {cell(r.get('verdict'))} | {cell(r.get('expected'))} | {stated} |")
    for r in failing:
        lines += _claim_section(r)
    return lines


def _claim_section(r: dict) -> list:
    """Statement, why the claim does not pass, its first failing step, the counterexample and the witnesses."""
    src = r.get("source") or {}
    lines = ["", f"#### {code(r['id'])}: {text(r.get('verdict'))}, expected {text(r.get('expected'))}", "",
             line(f"{r.get('title', '')} ({src.get('file', '')}, {src.get('locator', '')})", maths=True), "",
             f"**Does not pass:** {text(failure_reason(r), DETAIL_LIMIT)}", ""]
    if r.get("statement_latex"):
        lines += ["**Statement:**", ""] + display_math(r["statement_latex"]) + [""]
    elif r.get("statement"):
        lines += [f"**Statement:** {text(r['statement'], DETAIL_LIMIT, maths=True)}", ""]
    step = _first_bad_step(r)
    if step is not None:
        rule = f" (rule: {text(step['rule'], maths=True)})" if step.get("rule") and step["rule"] != "conclusion" else ""
        lines += [f"**First failing step:** {text(step_name(step))}: {text(step.get('verdict'))}{rule}", ""]
        lines += (display_math(step["latex"]) if step.get("latex") else [code(step.get("relation", ""))]) + [""]
        if step.get("detail") and not step.get("counterexample"):
            lines += [line(step["detail"], DETAIL_LIMIT), ""]
    elif r.get("message"):
        lines += [line(r["message"], DETAIL_LIMIT), ""]
    cex = r.get("counterexample") or (step or {}).get("counterexample")
    if cex:
        lines += [f"**Counterexample:** {code(counterexample_text(cex))}", ""]
    lines += _witness_lines(r)
    if r.get("loud"):
        lines += ["", f"**{text(r['loud'], DETAIL_LIMIT)}**"]
    return lines


def _first_bad_step(r: dict) -> dict | None:
    """The first failing step (refuted), else the first step that is not proved."""
    step = _step(r, r.get("first_failing_step"))
    return step or next((s for s in r.get("steps") or [] if s.get("verdict") != "proved"), None)


def _witness_lines(r: dict) -> list:
    wits = r.get("witnesses") or []
    if not wits:
        return ["**Witnesses:** none (nothing ran the process this claim is about)"]
    lines = ["**Witnesses:**", ""]
    for w in wits:
        observed = f" (observed: the statement {w['observed']})" if w.get("observed") else ""
        detail = f": {text(w['detail'], DETAIL_LIMIT)}" if w.get("detail") else ""
        lines.append(f"- {line(w.get('kind'))} {code(w.get('name'))} {text(w.get('verdict'))}{observed}{detail}")
    return lines
