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
from .sampling import Infeasible, Unevaluable, describe_point, evaluate
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
    for part, is_num in ((num, True), (den, False)):
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
            elif want == "nonnegative" and is_num and (cand.is_nonnegative or (exp.is_even and base.is_real)):
                signs.append(1)        # a numerator factor >= 0 keeps the product >= 0
            elif want == "nonnegative" and is_num and cand.is_nonpositive:
                signs.append(-1)
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


def decide_condition(expr, op: str, ctx, written=None) -> ConditionResult:
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
            if subs and _sign_of(sp.together(_reparametrised(expr, subs)), want) and _closed_ends_hold(expr, want, ctx):
                return ConditionResult(text, Verdict.PROVED.value, "by the assumptions, after reparametrising "
                                       + ", ".join(sorted(map(str, subs))))
            if _by_ranges(expr, want, ctx):
                return ConditionResult(text, Verdict.PROVED.value, "by the assumptions (interval enclosure of "
                                       "each factor)")
            used = _by_premises(expr, want, ctx)
            if used:
                return ConditionResult(text, Verdict.PROVED.value, "by " + ", ".join(used))
    except StageTimeout:
        return ConditionResult(text, Verdict.TIMEOUT.value, "sign decision timed out")
    except (TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        pass
    # 2. refutation at admissible points (completed to satisfy the premises in scope, then re-validated)
    scope = getattr(ctx, "scope", None)
    rejected = ""
    try:
        for pt in ctx.sampler.points(expr, ctx.n_points, salt="cond" + op):
            try:
                if scope is not None:
                    scope.complete(pt, expr)
                v = evaluate(expr, pt, ctx.sampler)
            except (Infeasible, ZeroDivisionError):
                continue
            if v is None or not v.is_number:
                continue
            bad = (v == 0) if op == "!=" else (v <= 0 if op == ">" else v < 0)
            if v.is_real and bool(bad):
                reason = scope.violation(pt, expr) if scope is not None else None
                if reason:
                    rejected = reason
                    continue
                point = scope.author_point(pt, written if written is not None else expr) if scope is not None \
                    else describe_point(pt)
                pts = ", ".join(f"{k}={val}" for k, val in point.items())
                res = ConditionResult(text, Verdict.REFUTED.value, f"fails at {pts} (value {v})")
                res.point, res.value = point, str(v)          # for the counterexample record
                return res
    except Unevaluable:
        pass
    why = "could not be decided from the assumptions"
    if rejected:
        why += f" (it fails only at points that break the premises: {rejected})"
    return ConditionResult(text, Verdict.UNPROVED.value, why)


def _reparametrised(expr, subs: dict):
    """``expr`` with the reparametrisation applied until no bounded symbol is left (a bound may name another
    bounded symbol: t in [1, T] becomes 1 + (T - 1)/(1 + r), then T = 1 + n)."""
    for _ in range(4):
        new = expr.xreplace(subs)
        if new == expr:
            break
        expr = new
    return expr


def _factors(expr) -> list:
    """(factor, exponent) pairs of ``expr`` after ``together`` and ``factor`` (numerator and denominator)."""
    num, den = sp.fraction(sp.together(expr))
    out = []
    for part in (sp.factor(num), sp.factor(den)):
        for f in (part.args if isinstance(part, sp.Mul) else (part,)):
            out.append(f.as_base_exp())
    return out


def _by_ranges(expr, want: str, ctx) -> bool:
    """Every factor's interval enclosure (bounds and assumptions) decides the sign (:mod:`proofs.intervals`)."""
    from .intervals import decides
    bounds, closed = getattr(ctx, "bounds", {}) or {}, getattr(ctx, "closed", {}) or {}
    if decides(expr, want, bounds, closed):
        return True
    if want != "nonzero":
        return False
    try:
        return all(b.is_number and b != 0 or decides(b, "nonzero", bounds, closed) for b, _ in _factors(expr))
    except (TypeError, ValueError, sp.PolynomialError):
        return False


def _premise_denominators(scope) -> list:
    """``(label, denominator)`` of every denominator written in an equation in scope: a premise holds only where
    it is defined, so its denominators are non-zero there (``mu_t = (1 - 1/N_mu) mu_{t-1} + g_t/N_mu`` gives
    ``N_mu != 0``). A denominator with a sum's index in it says nothing about a free symbol and is left out."""
    from .rules import written_denominators
    out = []
    for f in getattr(scope, "facts", None) or ():
        for rel in (f.relation if isinstance(f.relation, tuple) else (f.relation,)):
            if not isinstance(rel, sp.Equality):
                continue
            for side in (rel.lhs, rel.rhs):
                for den, bound in written_denominators(side):
                    if not den.is_number and not (den.free_symbols & set(bound)):
                        out.append((f"{f.label} (a denominator there)", den))
    return out


def _by_premises(expr, want: str, ctx) -> list:
    """Labels of the premises in scope that decide ``expr``: each factor is a number, has a decided sign,
    or is (up to a constant factor) an expression a premise states is positive / non-zero."""
    scope = getattr(ctx, "scope", None)
    if scope is None:
        return []
    if want == "nonzero":
        known = [(c.label, c.expr) for c in scope.constraints if c.op in (">", "!=")] + _premise_denominators(scope)
    else:                   # a sign: factors of known sign (positive premises, or >= 0 ones in a numerator)
        known = [(c.label, c.expr) for c in scope.constraints if c.op == ">"]
        known_nonneg = [(c.label, c.expr) for c in scope.constraints if c.op == ">="]
    if not known and want == "nonzero":
        return []
    used, sign = [], 1
    try:
        num, den = sp.fraction(sp.together(expr))
        for part, is_num in ((sp.factor(num), True), (sp.factor(den), False)):
            for f in (part.args if isinstance(part, sp.Mul) else (part,)):
                base, e = f.as_base_exp()
                if want == "nonzero":
                    if base.is_number and base != 0 or _sign_of(base, "nonzero"):
                        continue
                    hit = next((lab for lab, k in known if _proportional(base, k)), None)
                    if hit is None:
                        positives = [(lab, k) for lab, k in known if any(c.op == ">" and c.label == lab
                                                                         for c in scope.constraints)]
                        hit = _positive_sum(base, positives)
                    if hit is None:
                        return []
                    used.append(hit)
                    continue
                if f.is_number:
                    if f == 0:
                        return [] if want == "positive" else used
                    sign *= 1 if f > 0 else -1
                    continue
                if _sign_of(f, "positive"):
                    continue
                if e.is_even and _sign_of(base, "nonzero"):
                    continue
                if not is_num and (f.is_nonnegative or _sign_of(f, "nonnegative")):
                    continue    # a denominator >= 0 is > 0 wherever the expression is defined (its own obligation)
                hit = next((lab for lab, k in known if _same_sign(base, k)), None)
                if hit is None and want == "nonnegative" and is_num:
                    hit = next((lab for lab, k in known_nonneg if _same_sign(base, k)), None)
                if hit is None or not (e.is_Integer and e > 0 or e.is_positive):
                    return []
                used.append(hit)
    except (TypeError, ValueError, sp.PolynomialError):
        return []
    if want != "nonzero" and sign < 0:
        return []
    return list(dict.fromkeys(used)) or ([] if want == "nonzero" else [])


def _positive_sum(f, positives):
    """Labels (joined) when ``f`` or its square root is a sum of two or three premises stated positive
    (``||g|| - c > 0`` and ``c > 0`` give ``||g|| > 0``, hence ``g_1^2 + g_2^2 != 0``); None otherwise."""
    import itertools
    cands = [f]
    if f.is_nonnegative or _sign_of(f, "nonnegative"):
        cands.append(sp.sqrt(f))
    for g in cands:
        for n in (2, 3):
            for combo in itertools.combinations(positives, n):
                if sp.expand(g - sum(k for _, k in combo)) == 0:
                    return " and ".join(lab for lab, _ in combo)
    return None


def _same_sign(a, b) -> bool:
    """``a = c * b`` for a positive number c (so a > 0 when b > 0)."""
    if a.has(sp.Sum) or b.has(sp.Sum):
        from .sums import canonical_sums
        a, b = canonical_sums(a), canonical_sums(b)
    if sp.expand(a - b) == 0:
        return True
    try:
        r = sp.cancel(sp.together(a / b))
    except (TypeError, ValueError, sp.PolynomialError):
        return False
    return bool(r.is_number and r > 0)


def _proportional(a, b) -> bool:
    """``a = c * b**k`` for a non-zero number c and a positive integer k (so a != 0 when b != 0)."""
    if a.has(sp.Sum) or b.has(sp.Sum):           # the same sum with another index name is the same sum
        from .sums import canonical_sums
        a, b = canonical_sums(a), canonical_sums(b)
    if sp.expand(a - b) == 0 or sp.expand(a + b) == 0:
        return True
    try:
        r = sp.cancel(sp.together(a / b))
    except (TypeError, ValueError, sp.PolynomialError):
        return False
    if r.is_number and r != 0:
        return True
    base, e = a.as_base_exp()
    return bool(base != a and e.is_Integer and e > 0 and _proportional(base, b))


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
