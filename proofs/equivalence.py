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

from dataclasses import dataclass, field

import sympy as sp

from .results import Counterexample
from .admissible import shrink_candidates
from .sampling import Infeasible, Unevaluable, describe_point, evaluate
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
    conditions: list = field(default_factory=list)     # must be != 0 for PROVED (from sum rewriting)


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


def find_counterexample(lhs, rhs, ctx, salt: str = "", written=None) -> tuple[Counterexample | None, int, str]:
    """Search admissible exact points where lhs != rhs.

    Every point is completed so it satisfies the equations in the step's scope, and a point where the
    sides differ is re-validated against everything in scope (:meth:`proofs.admissible.Scope.violation`)
    before it is reported; then it is shrunk to simpler values that still fail and still validate.
    Returns (counterexample or None, number of points where both sides were defined and agreed, note;
    the note says why differing points were rejected when all were).
    """
    expr = sp.Add(lhs, -rhs, evaluate=False)
    agreed, rejected, rescued = 0, "", 0
    functions = _functions_valuable(expr, ctx)
    if written is not None:
        # a point where a denominator *as written* vanishes is no counterexample, even when normalising
        # cancelled it (sum_n (1 - 1/N)^(-n) evaluates to an expression defined at N = 0)
        import copy as _copy

        from .rules import written_denominators
        rels = written if isinstance(written, tuple) else (written,)
        dens = [d for r in rels if isinstance(r, sp.core.relational.Relational)
                for side in (r.lhs, r.rhs) for d, _ in written_denominators(side)]
        # a sum or product as written runs over lo..hi with hi >= lo - 1 (an empty range at most): SymPy's
        # convention for hi < lo - 1 (a "negative" sum) is nothing an author means by sum_{i=1}^{N-2}
        ranges = [lim[2] - lim[1] + 1 for r in rels if isinstance(r, sp.core.relational.Relational)
                  for side in (r.lhs, r.rhs) for e in side.atoms(sp.Sum, sp.Product) for lim in e.limits
                  if len(lim) == 3 and not (lim[2] - lim[1]).is_number]
        if dens or ranges:
            ctx = _copy.copy(ctx)
            ctx.written_dens = tuple(dict.fromkeys(dens))
            ctx.written_ranges = tuple(dict.fromkeys(ranges))
    # pass 1: free points (cheap; most true steps end here). A difference is only a candidate until it
    # validates; pass 2 (only then) completes each point so it satisfies the premises in scope.
    for constrained in (False, True):
        if constrained and (ctx.scope is None or not rejected):
            break
        defined, agreed = 0, 0
        try:
            for pt in ctx.sampler.points(expr, (3 if constrained else 1) * ctx.n_points, salt):
                if defined >= ctx.n_points:
                    break
                pt["__functions__"] = functions
                if ctx.scope is not None and ctx.scope.subst is not None and ctx.scope.subst.templates:
                    pt["__rewrite__"] = ctx.scope.subst.apply
                got = _differ_at(lhs, rhs, expr, pt, ctx, constrained)
                if got is None:
                    continue
                defined += 1
                if got is True:
                    agreed += 1
                    continue
                reason = ctx.scope.violation(pt, expr) if ctx.scope is not None else None
                if reason and constrained and rescued < RESCUES:
                    # simpler values may satisfy what this point breaks (t = 1, where a hypothesis meets the
                    # base case): shrinking keeps only points that differ *and* validate
                    rescued += 1
                    small, small_got = _shrink(lhs, rhs, expr, pt, got, ctx, integers_first=True)
                    if small is not pt:
                        pt, got, reason = small, small_got, None
                if reason:
                    rejected = reason
                    continue
                pt, (a, b, arith) = _shrink(lhs, rhs, expr, pt, got, ctx)
                pt = _replay(lhs, rhs, expr, pt, ctx) or pt
                point = ctx.scope.author_point(pt, written) if ctx.scope is not None else describe_point(pt)
                return Counterexample(point=point, lhs=_num_str(a), rhs=_num_str(b), arithmetic=arith), agreed, ""
        except Unevaluable as e:
            return None, agreed, f"numeric stage skipped ({e})"
    note = f"the sides differ only at points that break the premises ({rejected})" if rejected else ""
    return None, agreed, note


def _defined_as_written(ctx, pt) -> bool:
    """False when a denominator of the step as written is 0 at ``pt``, or a written sum's range has negative length.

    The written step names its symbols before premises refined them (``x`` may be ``x > 1``'s refined ``x`` in the
    point), so values are matched by name, and nothing is drawn: an expression with a symbol the point does not
    value is not judged (the point is never extended here)."""
    by_name = {k.name: v for k, v in pt.items() if isinstance(k, sp.Symbol) and not isinstance(k, sp.Dummy)}

    def at(e):
        subs = {}
        for a in e.free_symbols:
            if a.name not in by_name:
                return None
            subs[a] = by_name[a.name]
        v = e.xreplace(subs)
        return v if v.is_number else None

    for den in getattr(ctx, "written_dens", ()):
        v = at(den)
        if v is not None and v == 0:
            return False
    for length in getattr(ctx, "written_ranges", ()):
        v = at(length)
        if v is not None and v.is_real and v < 0:
            return False
    return True


def _functions_valuable(expr, ctx) -> bool:
    """May the point give values to undefined-function applications (``L(1/2)``, ``L'(1/2)``)? Only when no
    premise in scope names the same function: a premise would tie those values together (it is checked
    through placeholders of its own, which could not see the point's values)."""
    from sympy.core.function import AppliedUndef
    names = {a.func for a in expr.atoms(AppliedUndef)}
    if not names:
        return False
    if ctx.scope is None:
        return True
    for f in ctx.scope.facts:
        rels = f.relation if isinstance(f.relation, tuple) else (f.relation,)
        if any(isinstance(r, sp.Basic) and {a.func for a in r.atoms(AppliedUndef)} & names for r in rels):
            return False
    return True


def _differ_at(lhs, rhs, expr, pt, ctx, constrained: bool = True):
    """True when both sides agree at ``pt``; (a, b, arithmetic) when they differ; None when undefined there."""
    try:
        if constrained and ctx.scope is not None:
            ctx.scope.complete(pt, expr)
        a = evaluate(lhs, pt, ctx.sampler)
        b = evaluate(rhs, pt, ctx.sampler)
        if getattr(ctx, "written_dens", ()) or getattr(ctx, "written_ranges", ()):
            if not _defined_as_written(ctx, pt):
                return None
    except (ZeroDivisionError, Infeasible):
        return None
    except (TypeError, ValueError) as e:         # SymPy could not compare or evaluate: no point here
        if "Unevaluable" in type(e).__name__:
            raise
        return None
    if a is None or b is None or not (a.is_number and b.is_number):
        return None
    try:
        differ, arith = numbers_differ(a, b)
    except (TypeError, ValueError):
        return None
    return (a, b, arith) if differ else True


class _Replay:
    """A sampler that hands out the values of a given point (and draws nothing new): replaying a
    counterexample through it records only the atoms the relation actually needs."""

    def __init__(self, sampler, values):
        self._sampler, self._values = sampler, values

    def value(self, atom, rnd=None, point=None, simple=False):
        if atom not in self._values:
            raise Infeasible(f"{atom} was not part of the counterexample")
        return self._values[atom]

    def __getattr__(self, name):
        return getattr(self._sampler, name)


def _replay(lhs, rhs, expr, pt, ctx):
    """The counterexample with only the atoms its evaluation needs (after shrinking, values of atoms
    that dropped out, e.g. alpha[2] once N = 1, would be noise); None when the replay does not reproduce it."""
    import copy as _copy
    values = {k: v for k, v in pt.items() if not isinstance(k, str)}
    replay_ctx = _copy.copy(ctx)
    replay_ctx.sampler = _Replay(ctx.sampler, values)
    fresh = {"__rnd__": pt.get("__rnd__"), "__simple__": True}
    for flag in ("__functions__", "__rewrite__"):
        if flag in pt:
            fresh[flag] = pt[flag]
    try:
        got = _differ_at(lhs, rhs, expr, fresh, replay_ctx, constrained=False)
    except Unevaluable:
        return None
    if got is None or got is True:
        return None
    if ctx.scope is not None and ctx.scope.violation(fresh, expr):
        return None
    fresh["__dependent__"] = pt.get("__dependent__", set())
    return fresh


SHRINK_TRIES = 48
RESCUES = 2            # rejected points (per step) that shrinking may turn into admissible ones


def _shrink(lhs, rhs, expr, pt, got, ctx, integers_first: bool = False):
    """Replace values by simpler ones (0, 1, -1, 2, 1/2, ...) while the sides still differ and the point still
    validates; dependent atoms (solved from premises) are recomputed each time. Deterministic. With
    ``integers_first`` integer symbols (indices, where premises meet base cases) are shrunk before the rest."""
    import random as _random
    free = [k for k in pt if not isinstance(k, str) and k not in pt.get("__dependent__", set())]
    free.sort(key=lambda k: (not (integers_first and k.is_integer and k.is_Symbol), sp.default_sort_key(k)))
    tries = 0
    for atom in free:
        cands = shrink_candidates(pt[atom])
        if integers_first and atom.is_integer:     # a rescue: any small index, not only simpler ones
            cands = [sp.Integer(k) for k in range(7) if k != pt[atom]] + [c for c in cands if not 0 <= c <= 6]
        for cand in cands:
            if tries >= SHRINK_TRIES:
                return pt, got
            tries += 1
            trial = {k: v for k, v in pt.items() if not isinstance(k, str) and k not in pt.get("__dependent__", set())}
            trial[atom] = cand
            if ctx.sampler is not None and not ctx.sampler.admissible(atom, cand, trial):
                continue
            trial["__rnd__"] = _random.Random(tries)
            trial["__simple__"] = True
            for flag in ("__functions__", "__rewrite__"):
                if flag in pt:
                    trial[flag] = pt[flag]
            try:
                res = _differ_at(lhs, rhs, expr, trial, ctx)
            except Unevaluable:
                continue
            if res is None or res is True:
                continue
            if ctx.scope is not None and ctx.scope.violation(trial, expr):
                continue
            pt, got = trial, res
            break
    return pt, got


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


def _reparametrised(diff, ctx) -> str | None:
    """The symbolic stages on ``diff`` with each bounded symbol written as an exact bijection of a parameter onto
    its interval, so 0 there is 0 on the interval: lo < s as s = lo + r (r > 0), lo <= s as s = lo + r (r >= 0),
    likewise below hi, and lo < s < hi as s = lo + (hi - lo)/(1 + r), r > 0 (|x - 1| = x - 1 under x > 2 or
    x >= 1). A finite interval with a closed end is left alone (no such map keeps SymPy's assumptions simple)."""
    subs = {}
    try:
        for s in sorted(diff.free_symbols, key=sp.default_sort_key):
            if s not in ctx.bounds:
                continue
            lo, hi = ctx.bounds[s]
            lo_in, hi_in = getattr(ctx, "closed", {}).get(s, (False, False))
            if lo.is_finite and hi.is_finite:
                if lo_in or hi_in:
                    continue
                subs[s] = lo + (hi - lo) / (1 + sp.Dummy(f"r_{s}", positive=True))
            elif lo.is_finite:
                subs[s] = lo + sp.Dummy(f"r_{s}", **({"nonnegative": True} if lo_in else {"positive": True}))
            elif hi.is_finite:
                subs[s] = hi - sp.Dummy(f"r_{s}", **({"nonnegative": True} if hi_in else {"positive": True}))
    except (TypeError, ValueError, AttributeError):
        return None
    if not subs:
        return None
    stage, _, _ = reduce_to_zero(diff.xreplace(subs), ctx)
    return stage


def reduce_to_zero(diff, ctx) -> tuple[str | None, str | None, list]:
    """Try the symbolic stages on ``diff``. Returns (stage that reached 0, shortest residual, timed-out stages)."""
    if diff == 0:
        return "structural", None, []
    residual = None
    timed_out = []
    cheap = getattr(ctx, "cheap", False)     # a caller that only asks "does this prove?" may skip the costly stages
    for name, fn in _SYMBOLIC_STAGES:
        if cheap and name == "simplify":
            continue
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
    if cheap:
        return None, (str(residual) if residual is not None else str(diff)), timed_out
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


_UNDEFINED = (sp.oo, -sp.oo, sp.zoo, sp.nan)


def undefined_part(expr):
    """An infinite or undefined value inside ``expr`` (oo, zoo, nan, AccumBounds), or None."""
    if not expr.has(*_UNDEFINED, sp.AccumBounds):
        return None

    def walk(e):
        if e in _UNDEFINED or isinstance(e, sp.AccumBounds):
            return e
        if isinstance(e, sp.Limit):            # the point a limit is taken at may be oo
            return walk(e.args[0])
        if isinstance(e, (sp.Sum, sp.Product, sp.Integral)):   # so may the range of a sum
            return walk(e.function)
        for a in e.args:
            got = walk(a)
            if got is not None:
                return got
        return None
    return walk(expr)


def _resolve_piecewise(expr, ctx):
    """Each Piecewise replaced by its first branch whose condition the assumptions (and the premises in scope)
    prove, each Min/Max of two by the side they prove smaller/larger; None when some distinction stays open."""
    from .conditions import decide_condition
    undecided = False

    def holds(cond, mark=True):
        nonlocal undecided
        if cond is sp.true:
            return True
        if cond is sp.false:
            return False
        ops = {sp.GreaterThan: ">=", sp.StrictGreaterThan: ">", sp.LessThan: ">=", sp.StrictLessThan: ">"}
        if type(cond) in ops:
            big_minus_small = cond.lhs - cond.rhs if isinstance(cond, (sp.GreaterThan, sp.StrictGreaterThan)) \
                else cond.rhs - cond.lhs
            r = decide_condition(big_minus_small, ops[type(cond)], ctx)
            if r.verdict == "proved":
                return True
        if mark:
            undecided = True
        return None

    def walk(e):
        if isinstance(e, (sp.Min, sp.Max)) and len(e.args) == 2:
            a, b = (walk(x) for x in e.args)
            small, big = (a, b) if holds(sp.GreaterThan(b, a), False) else (
                (b, a) if holds(sp.GreaterThan(a, b), False) else (None, None))
            if small is None:
                nonlocal undecided
                undecided = True
                return e
            return small if isinstance(e, sp.Min) else big
        if isinstance(e, sp.Piecewise):
            for branch, cond in e.args:
                h = holds(cond)
                if h:
                    return walk(branch)
                if h is None:
                    return e
            return e
        if not e.args:
            return e
        return e.func(*[walk(a) for a in e.args])

    try:
        with time_limit(ctx.stage_timeout):
            out = walk(expr)
    except StageTimeout:
        return None
    return None if undecided or out.has(sp.Piecewise) else out


MAX_CASES = 12


def _by_cases(diff, ctx) -> str:
    """Proof by exhaustion over bounded integer symbols with numeric bounds (at most MAX_CASES cases in
    all): every case must reduce to 0 exactly. Returns a description, or "" when not applicable."""
    from .sampling import _integer_range
    bounds, closed = getattr(ctx, "bounds", {}) or {}, getattr(ctx, "closed", {}) or {}
    ranges = []
    for s in sorted(diff.free_symbols, key=sp.default_sort_key):
        if not (isinstance(s, sp.Symbol) and s.is_integer and s in bounds):
            continue
        lo, hi = bounds[s]
        if not (lo.is_number and hi.is_number and lo.is_finite and hi.is_finite):
            continue
        first, last = _integer_range(lo, hi, *closed.get(s, (False, False)))
        if s.is_positive:
            first = max(first, sp.Integer(1))
        if s.is_nonnegative:
            first = max(first, sp.Integer(0))
        ranges.append((s, [sp.Integer(v) for v in range(int(first), int(last) + 1)]))
    if not ranges:
        return ""
    import itertools
    combos = list(itertools.product(*(vals for _, vals in ranges)))
    if not combos or len(combos) > MAX_CASES:
        return ""
    for combo in combos:
        case = diff.xreplace(dict(zip((s for s, _ in ranges), combo)))
        try:
            with time_limit(ctx.stage_timeout):
                case = case.doit() if case.has(sp.Sum, sp.Product, sp.KroneckerDelta, sp.Piecewise) else case
                ok = case == 0 or sp.expand(case) == 0 or sp.simplify(case) == 0
        except (StageTimeout, TypeError, ValueError, NotImplementedError):
            return ""
        if not ok:
            return ""
    names = ", ".join(f"{s} in {{{', '.join(map(str, vals))}}}" for s, vals in ranges)
    return names


def decide_equal(lhs, rhs, ctx, salt: str = "", written=None) -> Decision:
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    bad = undefined_part(lhs) or undefined_part(rhs)
    if bad is not None and lhs == rhs and lhs in (sp.oo, -sp.oo) and written is not None \
            and lhs in (getattr(written, "lhs", None), getattr(written, "rhs", None)):
        # a divergence written as such (sum_t eta_t = oo), the other side evaluated exactly to that infinity
        return Decision(Verdict.PROVED, "structural", f"the other side evaluates exactly to {lhs}, as written")
    if bad is not None:      # infinite or undefined values prove nothing (oo*sign(a) = oo*sign(a) is no identity)
        return Decision(Verdict.UNPROVED, "undefined", f"a side evaluates to an infinite or undefined value ({bad}); "
                        f"nothing is proved from it: lhs = {sp.sstr(lhs)[:120]}, rhs = {sp.sstr(rhs)[:120]}")
    if lhs == rhs:
        return Decision(Verdict.PROVED, "structural", "both sides are the same expression")
    diff = sp.Add(lhs, -rhs)
    sum_conditions = []
    if diff.has(sp.Sum):
        from .sums import normalise_sums
        try:
            with time_limit(ctx.stage_timeout):
                diff, sum_conditions = normalise_sums(diff, ctx)
        except StageTimeout:
            pass
    # a quick exact stage first: on large expressions one bounded expand is cheaper than the points,
    # and it can only prove (never hide a counterexample)
    if QUICK_EXPAND_SECONDS > 0:
        try:
            with time_limit(min(QUICK_EXPAND_SECONDS, ctx.stage_timeout)):
                if diff == 0 or sp.expand(diff) == 0:
                    return Decision(Verdict.PROVED, "expand", "lhs - rhs reduces to 0 by expand", conditions=sum_conditions)
        except StageTimeout:
            pass
        try:
            with time_limit(min(QUICK_EXPAND_SECONDS, ctx.stage_timeout)):
                if not diff.has(sp.Sum) and sp.cancel(sp.together(diff)) == 0:
                    return Decision(Verdict.PROVED, "cancel", "lhs - rhs reduces to 0 by cancel", conditions=sum_conditions)
        except StageTimeout:
            pass
    cex, agreed, note = find_counterexample(lhs, rhs, ctx, salt, written)
    if cex is not None:
        return Decision(Verdict.REFUTED, "numeric", f"fails {cex.describe()} ({cex.arithmetic})",
                        residual=None, counterexample=cex)
    stage, residual, timed_out = reduce_to_zero(diff, ctx)
    if stage:
        return Decision(Verdict.PROVED, stage, f"lhs - rhs reduces to 0 by {stage}", conditions=sum_conditions)
    evaluated = diff
    if diff.has(sp.Sum, sp.Product) and diff.has(sp.KroneckerDelta, sp.Piecewise):
        try:                    # a delta inside a sum evaluates to a case distinction on the index range
            with time_limit(ctx.stage_timeout):
                evaluated = diff.doit()
        except (StageTimeout, TypeError, ValueError, NotImplementedError):
            evaluated = diff
    if evaluated.has(sp.Piecewise, sp.Min, sp.Max):
        resolved = _resolve_piecewise(evaluated, ctx)
        if resolved is not None:
            stage, residual, timed_out = reduce_to_zero(resolved, ctx)
            if stage:
                return Decision(Verdict.PROVED, stage, f"lhs - rhs reduces to 0 by {stage} once each case "
                                "distinction is decided by the assumptions", conditions=sum_conditions)
    if diff.has(sp.Abs, sp.sign, sp.Piecewise, sp.Min, sp.Max, sp.Heaviside) or \
            any(not p.exp.is_integer for p in diff.atoms(sp.Pow)):
        stage = _reparametrised(diff, ctx)
        if stage:
            return Decision(Verdict.PROVED, stage, f"lhs - rhs reduces to 0 by {stage} once the bounded symbols are "
                            "reparametrised (lo < s < hi as s = lo + (hi - lo)/(1 + r), r > 0)",
                            conditions=sum_conditions)
    cases = _by_cases(diff, ctx)
    if cases:
        return Decision(Verdict.PROVED, "cases", f"lhs - rhs reduces to 0 in every case: {cases}",
                        conditions=sum_conditions)
    agree = f"agrees at {agreed} exact rational points" if agreed else (note or "no admissible point evaluated")
    if timed_out and len(timed_out) == len(_SYMBOLIC_STAGES) + 1:
        return Decision(Verdict.TIMEOUT, "timeout", f"every symbolic stage timed out; {agree}", residual)
    extra = f" (timed out: {', '.join(timed_out)})" if timed_out else ""
    return Decision(Verdict.UNPROVED, "none", f"no exact reduction to 0{extra}; {agree}", residual)
