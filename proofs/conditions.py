"""Side conditions and inequalities: ``expr != 0``, ``expr > 0``, ``expr >= 0`` under the assumptions.

Treated as explicit obligations, the way Lean's ``field_simp`` treats
denominators: a division or cancellation records its denominator, and the
condition is checked, never silently assumed.

Decision procedure (each part exact):
1. SymPy's assumption system on the expression, then on its factors after
   ``together``/``factor``;
2. the same after reparametrising bounded symbols (0 < rho < 1 becomes
   rho = 1/(1 + r), r > 0; an integer N >= 1 becomes N = 1 + n, n >= 0);
3. only if neither proves it: search admissible exact points for a violation
   (refutes, with the point).
"""
from __future__ import annotations

import sympy as sp

from .results import ConditionResult
from .sampling import Unevaluable, describe_point, evaluate
from .timelimit import StageTimeout, time_limit
from .verdicts import Verdict

_OPS = {"!=": "nonzero", ">": "positive", ">=": "nonnegative"}


def _sign_of(expr, want: str) -> bool | None:
    """True if ``expr`` is provably ``want`` (nonzero / positive / nonnegative), else None."""
    def prop(e):
        return getattr(e, f"is_{want}")

    if prop(expr):
        return True
    e = sp.together(expr)
    num, den = sp.fraction(e)
    num, den = sp.factor(num), sp.factor(den)
    signs = []
    for part in (num, den):
        factors = part.args if isinstance(part, sp.Mul) else (part,)
        for f in factors:
            base, exp = f.as_base_exp()
            cand = sp.expand(f)
            if cand.is_positive:
                signs.append(1)
            elif cand.is_negative:
                signs.append(-1)
            elif exp.is_even and (sp.expand(base).is_nonzero):
                signs.append(1)
            elif want == "nonzero" and cand.is_nonzero:
                signs.append(0)        # nonzero of unknown sign
            else:
                return None
    if want == "nonzero":
        return True
    if 0 in signs:
        return None
    prod = 1
    for s in signs:
        prod *= s
    return True if prod > 0 else None


def _closed_ends_hold(expr, want: str, ctx, depth: int = 0) -> bool:
    """The sign also holds at every closed end of a bounded symbol in ``expr`` (checked exactly)."""
    for s, (lo_in, hi_in) in getattr(ctx, "closed", {}).items():
        if not expr.has(s):
            continue
        lo, hi = ctx.bounds[s]
        for end, included in ((lo, lo_in), (hi, hi_in)):
            if not included:
                continue
            at_end = sp.together(expr.subs(s, end))
            if at_end.is_number:
                ok = {"nonzero": at_end != 0, "positive": at_end > 0, "nonnegative": at_end >= 0}[want]
            else:
                ok = depth < 4 and bool(_sign_of(at_end, want)) and _closed_ends_hold(at_end, want, ctx, depth + 1)
            if not ok:
                return False
    return True


def decide_condition(expr, op: str, ctx) -> ConditionResult:
    """Decide ``expr op 0`` for op in ``!=``, ``>``, ``>=``."""
    want = _OPS[op]
    text = f"{sp.sstr(expr)} {op} 0"
    # 1. exact sign reasoning, plain then reparametrised (a proved condition has no violating point);
    #    a closed end of an interval is checked separately, exactly, after the open interval
    try:
        with time_limit(ctx.stage_timeout):
            if _sign_of(expr, want) and _closed_ends_hold(expr, want, ctx):
                return ConditionResult(text, Verdict.PROVED.value, "by the assumptions")
            subs = ctx.reparametrisation(expr)
            if subs and _sign_of(sp.together(expr.subs(subs)), want) and _closed_ends_hold(expr, want, ctx):
                return ConditionResult(text, Verdict.PROVED.value, "by the assumptions, after reparametrising "
                                       + ", ".join(sorted(map(str, subs))))
    except StageTimeout:
        return ConditionResult(text, Verdict.TIMEOUT.value, "sign decision timed out")
    except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        pass
    # 2. refutation at admissible points
    try:
        for pt in ctx.sampler.points(expr, ctx.n_points, salt="cond" + op):
            v = evaluate(expr, pt, ctx.sampler)
            if v is None or not v.is_number:
                continue
            bad = (v == 0) if op == "!=" else (v <= 0 if op == ">" else v < 0)
            if v.is_real and bool(bad):
                point = describe_point(pt)
                pts = ", ".join(f"{k}={val}" for k, val in point.items())
                res = ConditionResult(text, Verdict.REFUTED.value, f"fails at {pts} (value {v})")
                res.point, res.value = point, str(v)          # for the counterexample record
                return res
    except Unevaluable:
        pass
    return ConditionResult(text, Verdict.UNPROVED.value, "could not be decided from the assumptions")


def denominators(expr) -> list:
    """Non-constant denominators of ``expr`` (each becomes a ``!= 0`` obligation)."""
    out = []
    for p in sp.preorder_traversal(expr):
        if isinstance(p, sp.Pow) and p.exp.is_negative and not p.base.is_number:
            out.append(p.base)
    uniq = []
    for d in out:
        if d not in uniq:
            uniq.append(d)
    return sorted(uniq, key=sp.default_sort_key)
