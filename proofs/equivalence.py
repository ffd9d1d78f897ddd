"""The equivalence cascade: is ``lhs = rhs`` an identity under the assumptions?

Stages, cheapest first, each bounded in time (STACK's AlgEquiv works this way):

1. ``structural``  – the same tree (then ``expand`` and ``cancel``, each bounded to
   0.15 s, which can only prove: on large expressions they are cheaper than
   evaluating points).
2. ``numeric``     – exact evaluation at admissible rational points. Used only
   to *refute*; a difference there is the counterexample (confirmed exactly, or
   to 50 digits when the values are irrational).
3. ``expand``, ``cancel``, ``factor`` – polynomial / rational normal forms of lhs - rhs.
4. ``simplify``    – ``sympy.simplify(lhs - rhs)``.
5. ``equals``      – ``Expr.equals``; only its ``True`` is used (it comes from
   exact reasoning); its ``False`` is not trusted without a counterexample.

Invariants: PROVED only from stages 1 and 3-5 (exact reductions to 0);
REFUTED only with a confirmed counterexample; otherwise UNPROVED (or TIMEOUT
when every symbolic stage ran out of time).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .results import Counterexample
from .sampling import Unevaluable, describe_point, evaluate
from .timelimit import StageTimeout, time_limit
from .verdicts import Verdict

DIGITS = 50
QUICK_EXPAND_SECONDS = 0.15


@dataclass
class Decision:
    verdict: Verdict
    stage: str
    detail: str
    residual: str | None = None
    counterexample: Counterexample | None = None


def numbers_differ(a, b) -> tuple[bool, str]:
    """Exactly (rationals) or to 50 digits: do two SymPy numbers differ? Returns (differ, arithmetic)."""
    if a.is_Rational and b.is_Rational:
        return a != b, "exact rational"
    diff = sp.N(a - b, DIGITS)
    scale = max(1, abs(sp.N(a, DIGITS)), abs(sp.N(b, DIGITS)))
    if diff.is_real is False and diff.is_number:                      # complex values
        mag = abs(diff)
    else:
        mag = abs(diff)
    return bool(mag > sp.Float(10) ** (-(DIGITS - 15)) * scale), f"{DIGITS}-digit"


def find_counterexample(lhs, rhs, ctx, salt: str = "") -> tuple[Counterexample | None, int, str]:
    """Search admissible exact points where lhs != rhs.

    Returns (counterexample or None, number of points where both sides were
    defined and agreed, note).
    """
    expr = sp.Add(lhs, -rhs, evaluate=False)
    agreed = 0
    try:
        for pt in ctx.sampler.points(expr, ctx.n_points, salt):
            try:
                a = evaluate(lhs, pt, ctx.sampler)
                b = evaluate(rhs, pt, ctx.sampler)
            except ZeroDivisionError:
                continue
            if a is None or b is None:
                continue
            differ, arith = numbers_differ(a, b)
            if differ:
                return Counterexample(point=describe_point(pt), lhs=_num_str(a), rhs=_num_str(b),
                                      arithmetic=arith), agreed, ""
            agreed += 1
    except Unevaluable as e:
        return None, agreed, f"numeric stage skipped ({e})"
    return None, agreed, ""


def _num_str(v) -> str:
    if v.is_Rational:
        return str(v)
    return f"{v} = {sp.N(v, 20)}"


_SYMBOLIC_STAGES = (
    ("expand", lambda d: sp.expand(d)),
    ("cancel", lambda d: sp.cancel(sp.together(d))),
    ("factor", lambda d: sp.factor(d)),
    ("simplify", lambda d: sp.simplify(d)),
)


def reduce_to_zero(diff, ctx) -> tuple[str | None, str | None, list]:
    """Try the symbolic stages on ``diff``. Returns (stage that reached 0, shortest residual, timed-out stages)."""
    if diff == 0:
        return "structural", None, []
    residual = None
    timed_out = []
    for name, fn in _SYMBOLIC_STAGES:
        try:
            with time_limit(ctx.stage_timeout):
                r = fn(diff)
        except StageTimeout:
            timed_out.append(name)
            continue
        except (sp.PolynomialError, NotImplementedError, TypeError, ValueError, RecursionError):
            continue
        if r == 0:
            return name, None, timed_out
        if residual is None or sp.count_ops(r) < sp.count_ops(residual):
            residual = r
    try:
        with time_limit(ctx.stage_timeout):
            eq = diff.equals(0)
        if eq is True:
            return "equals", None, timed_out
    except StageTimeout:
        timed_out.append("equals")
    except Exception:  # noqa: BLE001 - equals() can raise from deep inside SymPy; it only ever proves
        pass
    return None, (str(residual) if residual is not None else str(diff)), timed_out


def decide_equal(lhs, rhs, ctx, salt: str = "") -> Decision:
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if lhs == rhs:
        return Decision(Verdict.PROVED, "structural", "both sides are the same expression")
    diff = sp.Add(lhs, -rhs)
    if diff.has(sp.Sum):
        from .sums import canonical_sums
        try:
            with time_limit(ctx.stage_timeout):
                diff = canonical_sums(diff)
        except StageTimeout:
            pass
    # a quick exact stage first: on large expressions one bounded expand is cheaper than the points,
    # and it can only prove (never hide a counterexample)
    if QUICK_EXPAND_SECONDS > 0:
        try:
            with time_limit(min(QUICK_EXPAND_SECONDS, ctx.stage_timeout)):
                if diff == 0 or sp.expand(diff) == 0:
                    return Decision(Verdict.PROVED, "expand", "lhs - rhs reduces to 0 by expand")
        except StageTimeout:
            pass
        try:
            with time_limit(min(QUICK_EXPAND_SECONDS, ctx.stage_timeout)):
                if not diff.has(sp.Sum) and sp.cancel(sp.together(diff)) == 0:
                    return Decision(Verdict.PROVED, "cancel", "lhs - rhs reduces to 0 by cancel")
        except StageTimeout:
            pass
    cex, agreed, note = find_counterexample(lhs, rhs, ctx, salt)
    if cex is not None:
        return Decision(Verdict.REFUTED, "numeric", f"fails {cex.describe()} ({cex.arithmetic})",
                        residual=None, counterexample=cex)
    stage, residual, timed_out = reduce_to_zero(diff, ctx)
    if stage:
        return Decision(Verdict.PROVED, stage, f"lhs - rhs reduces to 0 by {stage}")
    agree = f"agrees at {agreed} exact rational points" if agreed else (note or "no admissible point evaluated")
    if timed_out and len(timed_out) == len(_SYMBOLIC_STAGES) + 1:
        return Decision(Verdict.TIMEOUT, "timeout", f"every symbolic stage timed out; {agree}", residual)
    extra = f" (timed out: {', '.join(timed_out)})" if timed_out else ""
    return Decision(Verdict.UNPROVED, "none", f"no exact reduction to 0{extra}; {agree}", residual)
