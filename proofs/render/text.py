"""Plain-text reports: one line per claim, a summary line; ``show`` details; ``list``.

Pure functions of result dicts; colour (ANSI) only when the caller asks for it.
"""
from __future__ import annotations

from ..outcome import failure_reason, passed, witness_summary

GREEN, RED, YELLOW, BOLD, RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m"


def _paint(text: str, colour: str, color: bool) -> str:
    return f"{colour}{text}{RESET}" if color else text


def _colour_of(result: dict) -> str:
    if passed(result):
        return GREEN
    return YELLOW if result.get("verdict") == "unproved" else RED


def _time(result: dict) -> str:
    if result.get("cached"):
        return "cached"
    return f"{float(result.get('seconds') or 0):.2f}s"


def claim_line(result: dict, width: int = 0, *, color: bool = False) -> list:
    """The line for one claim, plus indented detail lines when it does not pass."""
    verdict = str(result.get("verdict"))
    exp = result.get("expected")
    shown = f"{verdict}, assuming" if result.get("assuming") else verdict
    head = f"{shown} [expected {exp}]" if exp != verdict else shown
    lines = [f"{str(result.get('id')).ljust(width)}  {_paint(head.ljust(28), _colour_of(result), color)}  "
             f"witness: {witness_summary(result).ljust(9)}  {_time(result)}".rstrip()]
    if result.get("assuming"):     # a verdict resting on unchecked assumptions says so on every line
        lines.append("    assuming (unchecked): " + "; ".join(map(str, result["assuming"])))
    reason = failure_reason(result)
    if reason:
        lines.append(f"    {reason}")
        msg = result.get("message") or ""
        if msg and msg not in reason:
            lines.append(f"    {msg}")
    if result.get("loud"):
        lines.append(_paint(f"!! {result['loud']}", RED + BOLD, color))
    return lines


def summary_line(summary: dict) -> str:
    by = summary.get("by_verdict") or {}
    verdicts = ", ".join(f"{n} {v}" for v, n in sorted(by.items(), key=lambda kv: str(kv[0]))) or "none"
    w = summary.get("witnesses") or {}
    n = summary.get("total", 0)
    parts = [f"{n} claim{'s' if n != 1 else ''}: {verdicts}",
             f"{summary.get('passed', 0)} passed, {summary.get('failed', 0)} failed",
             "witnesses: " + ", ".join(f"{w.get(k, 0)} {k}" for k in ("agrees", "disagrees", "error"))]
    if summary.get("cached"):
        parts.append(f"{summary['cached']} cached")
    errs = summary.get("errors") or []
    if errs:
        parts.append(f"{len(errs)} load error{'s' if len(errs) != 1 else ''}")
    parts.append(f"{float(summary.get('seconds') or 0):.2f}s")
    return " | ".join(parts)


def render_check(results: list, summary: dict, *, color: bool = False) -> str:
    """One line per claim (sorted by id), details under failures, then the summary line.

    Load errors are counted in the summary line; their one-line messages go to
    stderr (the CLI prints them), so they are not repeated here.
    """
    results = sorted(results, key=lambda r: str(r.get("id")))
    width = max((len(str(r.get("id"))) for r in results), default=0)
    out = []
    for r in results:
        out += claim_line(r, width, color=color)
    line = summary_line(summary)
    ok = summary.get("failed", 0) == 0 and not summary.get("errors") and summary.get("total", 0) > 0
    out.append(_paint(line, GREEN if ok else RED, color))
    return "\n".join(out) + "\n"


def render_list(metas: list, errors=()) -> str:
    metas = sorted(metas, key=lambda m: m["id"])
    w_id = max((len(m["id"]) for m in metas), default=0)
    w_exp = max((len(str(m.get("expected"))) for m in metas), default=0)
    out = []
    for m in metas:
        src = m.get("source") or {}
        out.append(f"{m['id'].ljust(w_id)}  {str(m.get('expected')).ljust(w_exp)}  {m.get('title', '')}  "
                   f"[{src.get('file', '')} {src.get('locator', '')}]".rstrip())
    for e in errors:
        out.append(f"load error: {e.get('text') if isinstance(e, dict) else e}")
    out.append(f"{len(metas)} claim{'s' if len(metas) != 1 else ''}")
    return "\n".join(out) + "\n"


def _counterexample(ce) -> str:
    if not ce:
        return ""
    point = ", ".join(f"{k}={v}" for k, v in (ce.get("point") or {}).items())
    return f"at {point}: {ce.get('lhs')} != {ce.get('rhs')} ({ce.get('arithmetic', '')})"


def render_show(result: dict, *, color: bool = False) -> str:
    """Everything about one claim: verdict, each step with rule, relation, residual or counterexample,
    side conditions, then the witnesses."""
    r = result
    src = r.get("source") or {}
    out = [_paint(f"{r.get('id')}: {r.get('title', '')}", BOLD, color),
           f"  source:    {src.get('file', '')} {src.get('locator', '')}".rstrip()]
    for a in r.get("also") or []:
        out.append(f"  also:      {a.get('file', '')} {a.get('locator', '')}".rstrip())
    for key in ("file", "statement", "reading", "corrects"):       # optional fields, shown when present
        if r.get(key):
            out.append(f"  {key + ':':<10} {r[key]}")
    head = str(r.get("verdict"))
    if r.get("expected") != r.get("verdict"):
        head += f" [expected {r.get('expected')}]"
    out.append("  verdict:   " + _paint(head, _colour_of(r), color) + ("  (cached)" if r.get("cached") else ""))
    for a in r.get("assuming") or []:
        out.append(f"  assuming:  {a}  (unchecked)")
    if r.get("result_verdict"):
        out.append(f"  stated result checked from the givens: {r['result_verdict']}")
    if r.get("message"):
        out.append(f"  message:   {r['message']}")
    if r.get("counterexample"):
        out.append(f"  counterexample: {_counterexample(r['counterexample'])}")
    if r.get("first_failing_step"):
        out.append(f"  first failing step: {r['first_failing_step']}")
    steps = r.get("steps") or []
    out.append(f"  steps ({len(steps)}):")
    for s in steps:
        label = f" {s['label']}" if s.get("label") else ""
        stage = f" via {s['stage']}" if s.get("stage") else ""
        out.append(f"    [{s.get('index')}]{label} " + _paint(str(s.get("verdict")), _step_colour(s), color)
                   + f"  rule: {s.get('rule', '')}{stage}")
        out.append(f"        {s.get('relation', '')}")
        if s.get("why"):
            out.append(f"        why: {s['why']}")
        if s.get("premises"):
            out.append(f"        using: {', '.join(map(str, s['premises']))}")
        if s.get("detail"):
            out.append(f"        {s['detail']}")
        if s.get("residual") not in (None, "", "0"):
            out.append(f"        residual: {s['residual']}")
        if s.get("counterexample"):
            out.append(f"        counterexample: {_counterexample(s['counterexample'])}")
        for c in s.get("conditions") or []:
            detail = f" ({c['detail']})" if c.get("detail") else ""
            out.append(f"        side condition {c.get('condition')}: {c.get('verdict')}{detail}")
    wits = r.get("witnesses") or []
    out.append(f"  witnesses ({len(wits)}):")
    for w in wits:
        bits = [f"    {w.get('kind')} {w.get('name')}: " + _paint(str(w.get("verdict")),
                                                                   GREEN if w.get("verdict") == "agrees" else RED, color)]
        if w.get("observed"):
            bits.append(f"observed {w['observed']}")
        if w.get("method"):
            bits.append(w["method"])
        if w.get("n") is not None:
            bits.append(f"n={w['n']}")
        if w.get("estimate") is not None:
            est = f"estimate {w['estimate']}" + (f" ± {w['se']}" if w.get("se") is not None else "")
            bits.append(est)
        if w.get("predicted") is not None:
            bits.append(f"predicted {w['predicted']}")
        out.append("  ".join(bits))
        if w.get("detail"):
            out.append(f"        {w['detail']}")
    if r.get("loud"):
        out.append(_paint(f"!! {r['loud']}", RED + BOLD, color))
    reason = failure_reason(r)
    out.append(("FAIL: " + reason) if reason else "PASS")
    return "\n".join(out) + "\n"


def _step_colour(step: dict) -> str:
    v = step.get("verdict")
    return GREEN if v == "proved" else YELLOW if v == "unproved" else RED
