"""Plain-text reports: one line per claim, a summary line; ``show`` details; ``list``.

Pure functions of result dicts; colour (ANSI) only when the caller asks for it, and nothing is said by colour
alone (an erratum reads ``refuted (erratum, as expected)`` in plain text too).
"""
from __future__ import annotations

from ..outcome import INCOMPLETE, failure_reason, is_erratum, passed, witness_summary
from . import count
from .plain import plain

GREEN, RED, YELLOW, BOLD, RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m"
NO_WITNESS = "no witness: nothing ran the process this claim is about; only the symbolic check speaks for it"


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


def verdict_head(result: dict) -> str:
    """The verdict as a reader needs it: ``proved, assuming``, ``refuted (erratum, as expected)``,
    ``proved [expected refuted]``."""
    verdict, exp = str(result.get("verdict")), result.get("expected")
    shown = f"{verdict}, assuming" if result.get("assuming") else verdict
    if exp != verdict:
        return f"{shown} [expected {exp}]"
    return f"{shown} (erratum, as expected)" if is_erratum(result) else shown


def lacks_witness(result: dict) -> bool:
    """A checked claim (not an error or timeout) with no numeric witness at all."""
    return not result.get("witnesses") and result.get("verdict") not in INCOMPLETE


def claim_line(result: dict, width: int = 0, *, color: bool = False) -> list:
    """The line for one claim, plus indented detail lines when it does not pass or has no witness."""
    lines = [f"{str(result.get('id')).ljust(width)}  {_paint(verdict_head(result).ljust(30), _colour_of(result), color)}"
             f"  witness: {witness_summary(result).ljust(9)}  {_time(result)}".rstrip()]
    if result.get("assuming"):     # a verdict resting on unchecked assumptions says so on every line
        lines.append("    assuming (unchecked): " + "; ".join(map(str, result["assuming"])))
    if lacks_witness(result):
        lines.append(_paint(f"    {NO_WITNESS}", YELLOW, color))
    reason = failure_reason(result)
    refuted = refutation(result)
    if reason:
        lines.append(f"    {reason}")
        msg = result.get("message") or ""
        if refuted:
            lines.append(f"    refuted at {refuted[0]}: {refuted[1]}")
            lines += [f"    {refuted[2]}"] if refuted[2] else []
        elif msg and msg not in reason:
            lines.append(f"    {msg}")
    if result.get("loud"):
        lines.append(_paint(f"!! {result['loud']}", RED + BOLD, color))
    return lines


def summary_line(summary: dict) -> str:
    by = summary.get("by_verdict") or {}
    verdicts = ", ".join(f"{n} {v}" for v, n in sorted(by.items(), key=lambda kv: str(kv[0]))) or "none"
    w = summary.get("witnesses") or {}
    n = summary.get("total", 0)
    parts = [f"{count(n, 'claim')}: {verdicts}",
             f"{summary.get('passed', 0)} passed, {summary.get('failed', 0)} failed",
             "witnesses: " + ", ".join(f"{w.get(k, 0)} {k}" for k in ("agrees", "disagrees", "error"))]
    if summary.get("cached"):
        parts.append(f"{summary['cached']} cached")
    errs = summary.get("errors") or []
    if errs:
        parts.append(count(len(errs), "load error"))
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
        out.append(f"{m['id'].ljust(w_id)}  {str(m.get('expected')).ljust(w_exp)}  {plain(m.get('title', ''))}  "
                   f"[{src.get('file', '')} {src.get('locator', '')}]".rstrip())
    for e in errors:
        out.append(f"load error: {e.get('text') if isinstance(e, dict) else e}")
    out.append(count(len(metas), "claim"))
    return "\n".join(out) + "\n"


def counterexample_text(ce) -> str:
    """A counterexample on one line, its point sorted by name: ``at a=1, b=1: 4 != 2 (exact rational)``.

    An inequality's counterexample reads as the inequality failing, ``at a=2: b < g_i fails (a*beta_i = 0,
    not > 0)``, never as two sides joined by ``=`` and ``!=``.
    """
    if not ce:
        return ""
    point = ", ".join(f"{k}={v}" for k, v in sorted((ce.get("point") or {}).items()))
    where = f"at {point}: " if point else ""
    arithmetic = f" ({ce['arithmetic']})" if ce.get("arithmetic") else ""
    if ce.get("relation") == "violates":
        return where + _violated(str(ce.get("lhs")), str(ce.get("rhs"))) + arithmetic
    return f"{where}{ce.get('lhs')} != {ce.get('rhs')}{arithmetic}"


def _violated(lhs: str, rhs: str) -> str:
    """An inequality's counterexample, recorded (``proofs.rules``) as lhs ``expr = value`` and rhs ``expr op 0,
    i.e. relation``: ``relation fails (expr = value, not op 0)``; any other shape as ``lhs violates rhs``."""
    expr, _, value = lhs.rpartition(" = ")
    condition, said, relation = rhs.partition(", i.e. ")
    op = condition[len(expr):].split()
    if not (expr and said and condition.startswith(expr) and len(op) == 2 and op[1] == "0"):
        return f"{lhs} violates {rhs}"
    return f"{relation} fails ({value} is not {op[0]} 0)" if expr == value else \
        f"{relation} fails ({expr} = {value}, not {op[0]} 0)"


def step_name(step: dict) -> str:
    """``step 11 (34), equality 2``, ``step 3``, or ``the conclusion``."""
    if step.get("rule") == "conclusion":
        return "the conclusion"
    label = step.get("label") or ""
    index = step.get("index")
    return f"step {index}" + (f" {label}" if label and label != f"step {index}" else "")


def outcome_line(result: dict) -> str:
    """The last line of ``show``: ``refuted, as expected (erratum)``, ``proved, as expected`` or ``FAIL: why``."""
    reason = failure_reason(result)
    if reason:
        return f"FAIL: {reason}"
    return f"{result.get('verdict')}, as expected" + (" (erratum)" if is_erratum(result) else "")


RESULT_VERDICT = {"proved": "the stated result holds without {where} (proved from the givens): only {where} is "
                            "wrong",
                  "refuted": "the stated result is false as well (refuted from the givens)"}
UNDECIDED = "whether the stated result holds was not decided from the givens (only {where} is shown wrong)"


def _field(key: str, value) -> str:
    return f"  {key + ':':<10} {value}"


def _show_header(r: dict, color: bool) -> list:
    src = r.get("source") or {}
    out = [_paint(f"{r.get('id')}: {plain(r.get('title', ''))}", BOLD, color),
           _field("source", f"{src.get('file', '')} {src.get('locator', '')}".rstrip())]
    out += [_field("also", f"{a.get('file', '')} {a.get('locator', '')}".rstrip()) for a in r.get("also") or []]
    out += [_field(key, plain(r[key]) if key != "file" else r[key]) for key in ("file", "statement", "reading")
            if r.get(key)]
    if r.get("corrects"):
        out.append(_field("corrects", f"{r['corrects']} (the erratum this claim corrects)"))
    if is_erratum(r):
        fixes = ", ".join(r.get("corrected_by") or []) or "no corrected claim among the files searched"
        out.append(_field("erratum", "the source's result, recorded as false (expected: refuted)"))
        out.append(_field("corrected by", fixes))
    return out


PREMISE_KINDS = (("given", "givens"), ("definition", "definitions"), ("assumption", "assumptions (unchecked)"))


def _show_premises(r: dict) -> list:
    """The givens, definitions and assumptions the claim states, each with its label and why."""
    out = []
    for kind, heading in PREMISE_KINDS:
        facts = [g for g in r.get("givens") or [] if g.get("kind") == kind]
        if facts:
            out.append(f"  {heading} ({len(facts)}):")
        for g in facts:
            out.append(f"    {plain(g['label']) + ': ' if g.get('label') else ''}{g.get('relation', '')}")
            if g.get("why"):
                out.append(f"        why: {plain(g['why'])}")
    return out


def refutation(result: dict) -> tuple | None:
    """For a refuted claim with a counterexample: (where it fails, the counterexample as text, what that means
    for the stated result, or ""); None otherwise. Renderers print this instead of the engine's message, which
    holds the same counterexample in the engine's order and wording."""
    if result.get("verdict") != "refuted" or not result.get("counterexample"):
        return None
    failing = next((s for s in result.get("steps") or [] if s.get("index") == result.get("first_failing_step")),
                   None)
    where = step_name(failing) if failing is not None else "a step"
    verdict = result.get("result_verdict")
    said = RESULT_VERDICT.get(verdict, UNDECIDED).format(where=where) if verdict else ""
    return where, counterexample_text(result["counterexample"]), said


def _show_verdict(r: dict, color: bool) -> list:
    """The verdict; for a refuted claim where it fails, the counterexample (the only time it is printed in full)
    and whether the stated result holds without the failing step."""
    refuted = refutation(r)
    head = verdict_head(r)
    if refuted:
        head = head.replace("refuted", f"refuted at {refuted[0]}", 1)
    out = [_field("verdict", _paint(head, _colour_of(r), color) + ("  (cached)" if r.get("cached") else ""))]
    out += [_field("assuming", f"{a}  (unchecked)") for a in r.get("assuming") or []]
    if refuted:
        out.append(_field("counterexample", refuted[1]))
        out += [f"  {refuted[2]}"] if refuted[2] else []
    elif r.get("message"):
        out.append(_field("message", r["message"]))
    return out


def _show_step(s: dict, claim_cex, color: bool) -> list:
    """One step: its verdict and the engine stage that decided it, then the author's rule, the relation, why,
    the facts it uses (each once), and how it was decided."""
    label = f" {plain(s['label'])}:" if s.get("label") else ""
    stage = f"  (engine stage: {s['stage']})" if s.get("stage") else ""
    out = [f"    [{s.get('index')}]{label} " + _paint(str(s.get("verdict")), _step_colour(s), color) + stage]
    if s.get("rule") and s.get("rule") != "conclusion":
        out.append(f"        rule: {plain(s['rule'])}")
    out.append(f"        {s.get('relation', '')}")
    if s.get("why"):
        out.append(f"        why: {plain(s['why'])}")
    if s.get("premises"):
        out.append(f"        using: {', '.join(dict.fromkeys(plain(p) for p in s['premises']))}")
    cex = s.get("counterexample")
    detail = _without_point(str(s.get("detail") or ""), cex)
    if detail and not (cex and detail.startswith("fails at ")):     # the counterexample line below says it
        out.append(f"        {detail}")
    if s.get("residual") not in (None, "", "0"):
        out.append(f"        residual: {s['residual']}")
    if cex:
        out.append("        counterexample: " + ("the one above" if cex == claim_cex else counterexample_text(cex)))
    for c in s.get("conditions") or []:
        detail = f" ({c['detail']})" if c.get("detail") else ""
        out.append(f"        side condition {c.get('condition')}: {c.get('verdict')}{detail}")
    return out


def _without_point(detail: str, cex) -> str:
    """A step's detail with its counterexample's point (printed on its own line) named, not repeated:
    ``[2] refuted: fails at x=1/2, y=1 (value 0)`` becomes ``[2] refuted: fails at the counterexample (value 0)``."""
    point = (cex or {}).get("point") or {}
    for items in (point.items(), sorted(point.items())):
        text = ", ".join(f"{k}={v}" for k, v in items)
        if text:
            detail = detail.replace(f"fails at {text}", "fails at the counterexample")
    return detail


def _show_witness(w: dict, color: bool) -> list:
    bits = [f"    {w.get('kind')} {w.get('name')}: " + _paint(str(w.get("verdict")),
                                                               GREEN if w.get("verdict") == "agrees" else RED, color)]
    if w.get("observed"):
        bits.append(f"observed {w['observed']}")
    if w.get("method"):
        bits.append(w["method"])
    if w.get("n") is not None:
        bits.append(f"n={w['n']}")
    if w.get("estimate") is not None:
        bits.append(f"estimate {w['estimate']}" + (f" ± {w['se']}" if w.get("se") is not None else ""))
    if w.get("predicted") is not None:
        bits.append(f"predicted {w['predicted']}")
    return ["  ".join(bits)] + ([f"        {w['detail']}"] if w.get("detail") else [])


def render_show(result: dict, *, color: bool = False) -> str:
    """Everything about one claim: where it comes from, its givens, definitions and assumptions, the verdict
    (with the counterexample once, for a refuted claim), each step, the witnesses, and the outcome as words.

    ``result`` is a result dict, optionally with ``corrected_by`` (ids of the claims correcting it)."""
    r = result
    steps = r.get("steps") or []
    out = _show_header(r, color) + _show_premises(r) + _show_verdict(r, color)
    out.append(f"  steps ({len(steps)}):")
    cex = r.get("counterexample") if r.get("verdict") == "refuted" else None
    for s in steps:
        out += _show_step(s, cex, color)
    wits = r.get("witnesses") or []
    out.append(f"  witnesses ({len(wits)}):")
    for w in wits:
        out += _show_witness(w, color)
    if lacks_witness(r):
        out.append(_paint(f"    {NO_WITNESS}", YELLOW, color))
    if r.get("loud"):
        out.append(_paint(f"!! {r['loud']}", RED + BOLD, color))
    out.append(outcome_line(r))
    return "\n".join(out) + "\n"


def _step_colour(step: dict) -> str:
    v = step.get("verdict")
    return GREEN if v == "proved" else YELLOW if v == "unproved" else RED
