"""Checking one claim: build its derivation, check every step, the conclusion, then its witnesses.

``check_claim`` never raises for a problem inside a claim: a builder that
fails, a malformed step, a witness that raises all become verdict ``error``
(or a witness ``error``) with a one-line message naming file, claim and step.

Claim verdict
-------------
* the steps' verdicts plus the conclusion (the statement follows from the last
  step), combined in order: the first refuted step decides (*first failing
  step*); otherwise error/timeout, then unproved, then proved;
* when a step fails, the statement is also checked directly from the givens
  (``result_verdict``), so "the result is right but step k is wrong" is
  reported as exactly that.
"""
from __future__ import annotations

import sys
import time
import traceback

from .context import CheckContext
from .derivation import Derivation, DerivationError
from .latex import to_latex, to_text
from .render import count
from .results import ClaimResult, StepResult, WitnessResult
from .rules import check_conclusion, check_step
from .verdicts import Verdict, combine_steps, witness_verdict


def _where(claim) -> str:
    return f"{claim.file or '<memory>'}:{claim.line}" if claim.line else (claim.file or "<memory>")


def _error_line(claim, exc: BaseException, prefix: str) -> str:
    """One line: file:line: claim id, prefix: ExcType: message (line from the author's file if found)."""
    line = claim.line
    tb = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    build_file = getattr(getattr(claim.build, "__code__", None), "co_filename", None)
    for fr in reversed(tb):
        if fr.filename in (claim.file, build_file):
            line = fr.lineno
            break
    msg = str(exc).splitlines()[0] if str(exc) else ""
    kind = "" if isinstance(exc, DerivationError) else f"{type(exc).__name__}: "
    if isinstance(exc, DerivationError) and msg.startswith(prefix.strip().rstrip(":")):
        prefix = ""
    return f"{claim.file or '<memory>'}:{line}: {claim.id}: {prefix}{kind}{msg}"


def _base(claim) -> dict:
    return dict(id=claim.id, title=claim.title, topic=claim.topic, source=claim.source.to_dict(),
                also=[s.to_dict() for s in claim.also], statement=claim.statement, expected=claim.expected.value,
                corrects=claim.corrects, reading=claim.reading, file=claim.file)


def check_claim(claim, *, seed: int = 0, stage_timeout: float = 5.0, debug: bool = False) -> ClaimResult:
    t0 = time.perf_counter()
    # SymPy's global cache can hand one claim an object built for another: Subs(e, M, n) compares equal
    # for symbols n of the same name with different assumptions (SymPy 1.14), so a claim's n >= 0 leaked
    # into the next claim's n >= 1. Each claim starts from an empty cache (a verdict never depends on
    # what was checked before it).
    from sympy.core.cache import clear_cache
    clear_cache()
    base = _base(claim)
    if claim.not_checkable:
        # nothing symbolic to check; a witness may still run the process and observe the statement
        # (evidence, never a proof): it agrees when it observes the statement hold
        result = ClaimResult(**base, statement_latex="", verdict=Verdict.NOT_CHECKABLE.value,
                             message=f"not checkable: {claim.not_checkable}")
        _run_witnesses(claim, Derivation(claim), result, seed, debug)
        result.seconds = time.perf_counter() - t0
        return result
    d = Derivation(claim)
    try:
        claim.build(d)
    except Exception as e:  # noqa: BLE001 - any failure of the author's code is reported, not raised
        if debug:
            traceback.print_exc(file=sys.stderr)
        msg = _error_line(claim, e, f"step {len(d.steps) + 1}: ")
        return ClaimResult(**base, statement_latex="", verdict=Verdict.ERROR.value, message=msg,
                           seconds=time.perf_counter() - t0)
    if not d.steps:
        return ClaimResult(**base, statement_latex="", verdict=Verdict.ERROR.value,
                           message=f"{_where(claim)}: {claim.id}: the claim has no steps",
                           seconds=time.perf_counter() - t0)
    if not d.statements:
        return ClaimResult(**base, statement_latex="", verdict=Verdict.ERROR.value,
                           message=f"{_where(claim)}: {claim.id}: no statement (call d.statement(...))",
                           seconds=time.perf_counter() - t0)

    ctx = CheckContext.for_derivation(d, seed=seed, stage_timeout=stage_timeout, label=claim.id)
    steps: list[StepResult] = []
    for step in d.steps:
        steps.append(_safe_step(lambda: check_step(step, d, ctx), claim, step.index, step, debug))
    last = d.statement_by or d._last_fact
    concl_index = len(d.steps) + 1
    steps.append(_safe_step(lambda: check_conclusion(d, last, ctx, concl_index), claim, concl_index, None, debug))

    verdict = combine_steps([Verdict(s.verdict) for s in steps])
    first = next((s for s in steps if s.verdict == Verdict.REFUTED.value), None)
    result = ClaimResult(**base, statement_latex=to_latex(d.statement_relation()), verdict=verdict.value,
                         message="", steps=steps)
    result.givens = [dict(label=f.label, kind=f.kind, relation=to_text(f.relation), latex=to_latex(f.relation),
                          why=f.why) for f in d.facts if f.kind in ("given", "definition", "assumption")]
    result.notes = list(d.notes)
    if first is not None:
        result.first_failing_step = first.index
        result.counterexample = first.counterexample
        if first.rule != "conclusion":
            result.result_verdict = _direct(d, ctx, concl_index + 1, claim, debug, before=first.index).verdict
    if verdict in (Verdict.PROVED, Verdict.UNPROVED):
        result.assuming = _assuming(d)
    result.message = _message(result, steps)
    _run_witnesses(claim, d, result, seed, debug)
    result.seconds = time.perf_counter() - t0
    return result


def _assuming(d) -> list:
    """The unchecked assumptions a verdict rests on (``d.assume`` facts), as ``relation (why)`` lines:
    those a step uses, and inequalities (they refine symbols in every step after them)."""
    from .rules import _has_inequality
    used = []
    for st in d.steps:
        for f in list(st.using) + list(st.hypotheses):
            if f.kind != "assumption" or any(f is g for g in used):
                continue
            if any(f is u for u in st.using) or _has_inequality(f):
                used.append(f)
    return [to_text(f.relation) + (f" ({f.why})" if f.why else "") for f in used]


def _direct(d, ctx, index, claim, debug, before=None) -> StepResult:
    """The statement checked from the givens, assumptions and definitions, and the facts of the steps
    before ``before`` (the first failing step): "the result holds; step k is wrong" is reported only when
    the statement follows without the wrong step."""
    from .derivation import Step
    from .premises import PremiseError, substitutions
    givens = [f for f in d.facts if f.kind in ("given", "assumption") and f.block is None]
    earlier = [f for f in d.facts if f.kind == "step" and f.block is None and f.step_index is not None
               and before is not None and f.step_index < before]
    step = Step(index=index, relation=d.statement_relation(), rule="directly from the givens", why="", label="direct",
                using=givens + earlier, hypotheses=givens)
    stmt = d.statement_relation()
    rels = stmt if isinstance(stmt, tuple) else (stmt,)
    try:
        subst = substitutions(givens + list(d.definitions), d.unknown_symbols, ctx)
        open_ = [u for u in d.unknown_symbols if u not in subst.mapping and any(r.has(u) for r in rels)]
    except PremiseError as e:
        open_ = [str(e)]
    if open_:      # the givens do not determine the statement's unknowns: no direct verdict
        return StepResult(index=index, rule=step.rule, why="", relation=to_text(stmt), latex="",
                          verdict=Verdict.UNPROVED.value, stage="premises",
                          detail="the givens do not determine " + ", ".join(map(str, open_)))
    return _safe_step(lambda: check_step(step, d, ctx), claim, index, step, debug)


def _safe_step(fn, claim, index, step, debug) -> StepResult:
    t0 = time.perf_counter()
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        if debug:
            traceback.print_exc(file=sys.stderr)
        line_claim = claim
        if step is not None and step.line:
            class _C:  # file/line of the step for the message
                id, file, line, build = claim.id, claim.file, step.line, claim.build
            line_claim = _C
        return StepResult(index=index, rule=getattr(step, "rule", "conclusion"), why=getattr(step, "why", ""),
                          relation=to_text(step.relation) if step is not None else "", latex="",
                          verdict=Verdict.ERROR.value, detail=_error_line(line_claim, e, f"step {index}: "),
                          stage="error", seconds=time.perf_counter() - t0)


def _message(result: ClaimResult, steps) -> str:
    v = result.verdict
    assuming = ("; assuming (unchecked): " + "; ".join(result.assuming)) if result.assuming else ""
    if v == Verdict.PROVED.value:
        if result.assuming:
            return f"proved, assuming: {'; '.join(result.assuming)}"
        return f"proved: {count(len(steps) - 1, 'step')} and the conclusion reduce exactly"
    bad = next((s for s in steps if s.verdict == v), None)
    where = "the conclusion" if bad is not None and bad.rule == "conclusion" else (
        f"step {bad.index}" + (f" {bad.label}" if bad and bad.label and bad.label != f'step {bad.index}' else "")
        if bad is not None else "a step")
    if v == Verdict.REFUTED.value:
        msg = f"refuted at {where}: {bad.counterexample.describe() if bad.counterexample else bad.detail}"
        if result.result_verdict == Verdict.PROVED.value:
            msg += f"; the result holds (proved from the givens without it): only {where} is wrong"
        elif result.result_verdict == Verdict.REFUTED.value:
            msg += "; the stated result is false as well"
        elif bad is not None and bad.rule != "conclusion":
            msg += f"; whether the stated result holds was not decided (only {where} is shown wrong)"
        return msg
    if v == Verdict.ERROR.value:
        return bad.detail if bad is not None else "error"
    return f"{v} at {where}: {bad.detail if bad is not None else ''}{assuming}"


def _run_witnesses(claim, d, result: ClaimResult, seed: int, debug: bool) -> None:
    from .verdicts import statement_truth
    from .witness import WitnessContext, check_observations
    cv = Verdict(result.verdict)
    concl = bool(result.steps) and result.first_failing_step == len(result.steps)
    truth = statement_truth(cv, result.result_verdict, refuted_at_conclusion=concl)
    for spec in claim.witnesses:
        t0 = time.perf_counter()
        try:
            w = WitnessContext(claim, d, seed=seed, name=spec.name)
            obs_list = check_observations(spec.fn(w))     # each holds a real bool, else a witness error
            holds = all(o.holds for o in obs_list)
            o0 = obs_list[0]
            detail = " | ".join(o.detail for o in obs_list)
            wv = witness_verdict(cv, holds, truth)
            result.witnesses.append(WitnessResult(
                kind=spec.kind, name=spec.name, verdict=wv.value, observed="holds" if holds else "fails",
                detail=detail, method=o0.method, n=o0.n, estimate=o0.estimate, se=o0.se, predicted=o0.predicted,
                seconds=time.perf_counter() - t0, figures=[f.to_dict() for f in w.figures],
                rows=[row for o in obs_list for row in o.rows] if all(o.rows for o in obs_list) else []))
        except Exception as e:  # noqa: BLE001 - a witness that raises is reported, never fatal
            if debug:
                traceback.print_exc(file=sys.stderr)
            fake = type("C", (), dict(id=claim.id, file=claim.file, line=claim.line, build=spec.fn))
            result.witnesses.append(WitnessResult(
                kind=spec.kind, name=spec.name, verdict="error", observed=None,
                detail=_error_line(fake, e, f"witness {spec.name}: "), seconds=time.perf_counter() - t0))
    disagree = [w for w in result.witnesses if w.verdict == "disagrees"]
    if disagree:
        result.loud = (f"symbolic verdict '{result.verdict}' but witness {disagree[0].name} observed the statement "
                       f"{disagree[0].observed}: {disagree[0].detail}")


def warm_up() -> None:
    """Exercise SymPy's one-time machinery (assumptions, polys domains, solving, numpy's RNG)
    in the parent before workers fork, so each forked check does not pay it again.

    It checks a small throw-away derivation; nothing it computes is reported or cached.
    """
    import sympy as sp

    from .model import Source, claim

    @claim(id="_warm_up", title="warm-up", source=Source("-", "-"))
    def _w(d):
        N = d.symbol("N", integer=True, positive=True)
        rho = d.symbol("rho", bounds=(0, 1))
        s2, V = d.symbols("s2 V", positive=True)
        d.unknowns(V)
        d.given(sp.Eq(V, (1 - 1 / N) ** 2 * V + s2 / N ** 2))
        d.step(sp.Eq(0, (-2 / N + 1 / N ** 2) * V + s2 / N ** 2))
        d.step(sp.Eq(V, s2 / ((2 - 1 / N) * N)), rule="solve")
        d.chain(sp.Limit(rho ** N, N, sp.oo)).eq(0)
        d.statement(sp.Eq(sp.Limit(rho ** N, N, sp.oo), 0))

    @_w.witness("monte-carlo")
    def _numbers(w):
        w.rng.exponential(1.0, 16)
        return w.observe(True, "warm-up")

    check_claim(_w, seed=0)
