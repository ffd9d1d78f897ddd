"""Premises become substitutions: each given equation is solved for what it determines.

* a definition ``s := e`` substitutes ``s``;
* an equation ``atom = expr`` (atom a symbol, indexed entry or function
  application not occurring in ``expr``) substitutes ``atom``;
* otherwise the equation is solved for its ``solve_for`` symbols, or for the
  derivation's declared unknowns occurring in it; a linear solve records the
  non-zero determinant (coefficient) as a side condition;
* an equation that names no unknown is solved for an atom in which it is
  linear (``a + b = 1`` gives ``b = 1 - a``), the coefficient again a side
  condition; failing that, an equation ``expression = value`` whose left side is a
  sum or product is a *rewrite* (``sum_k y_k`` becomes 1 wherever it occurs);
* a one-sided inequality on a symbol against a number (``x > 0``) *refines* the
  symbol: it is replaced by a symbol of the same name with the matching
  assumption (positive, nonnegative, negative, nonpositive, nonzero) and bound.

A premise none of these can use is still a constraint on counterexample points
(:mod:`proofs.admissible`); the step's message names it.

Invariant: substitution never assumes a denominator is non-zero without
recording it as a condition for the caller to check.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.tensor.indexed import Indexed

from .timelimit import time_limit


class PremiseError(Exception):
    pass


@dataclass
class Substitution:
    mapping: dict = field(default_factory=dict)
    conditions: list = field(default_factory=list)     # expressions that must be != 0
    notes: list = field(default_factory=list)
    rewrites: dict = field(default_factory=dict)       # canonical sum/product -> value
    templates: list = field(default_factory=list)      # (lhs, rhs, variables, bounds) of for_all premises
    bounds: dict = field(default_factory=dict)         # refined symbol -> (lo, hi), from inequality premises
    closed: dict = field(default_factory=dict)         # refined symbol -> (lo included, hi included)

    def apply(self, expr, rounds: int = 12):
        if not self.mapping and not self.rewrites and not self.templates:
            return expr
        for _ in range(rounds):
            new = _replace_free(expr, self.mapping) if self.mapping else expr
            if self.templates:             # entries the mapping values (v[0] = 0) are never unrolled further
                new = _instantiate(new, self.templates, self.mapping)
            if self.rewrites and new.has(sp.Sum, sp.Product):
                new = _rewrite(new, self.rewrites)
            if new == expr:
                return new
            expr = new
        return expr


_BINDERS = (sp.Limit, sp.Sum, sp.Product, sp.Integral)


def _bound(node) -> set:
    if isinstance(node, sp.Limit):
        return {node.args[1]}
    return {lim[0] for lim in node.limits}


def _replace_free(expr, mapping: dict):
    """``expr.xreplace(mapping)`` that leaves bound variables alone: in ``Limit(eta Delta_t, Delta_t, 0)`` a premise
    ``Delta_t = k eta`` is not put in for the limit's own variable (that would turn the limit of a varying quantity
    into the limit of a constant); likewise a sum's or integral's index. The limit point and the sum's ends are
    free and are replaced."""
    if not expr.has(*_BINDERS):
        return expr.xreplace(mapping)
    if not any(_bound(n) & mapping.keys() for n in expr.atoms(*_BINDERS)):
        return expr.xreplace(mapping)

    def walk(e):
        if e in mapping:
            return mapping[e]
        if not e.args:
            return e
        if isinstance(e, _BINDERS):
            inner = {k: v for k, v in mapping.items() if k not in _bound(e)}
            if isinstance(e, sp.Limit):
                body, var, point, direction = e.args
                return sp.Limit(_replace_free(body, inner), var, walk(point), str(direction))
            lims = [(lim[0],) + tuple(walk(x) for x in lim[1:]) for lim in e.limits]
            return e.func(_replace_free(e.function, inner), *lims)
        args = tuple(walk(a) for a in e.args)
        return e.func(*args) if args != e.args else e
    return walk(expr)


def _acyclic(out: Substitution, atom, value) -> bool:
    """May ``atom -> value`` join the mapping? Not when the mapping already leads back to ``atom`` from
    ``value`` (x -> -w - 3 and then w -> x**2 - ...: a point would give x one value and show another)."""
    v = out.apply(value)
    if v.has(atom):
        return False
    a = out.apply(atom)      # the atom is already rewritten (a template, another mapping): E(...) -> Sigma^B[i, j]
    return a == atom or not (v == a or v.has(a))   # after Sigma^B[i, j] -> E(...) would only undo it


def _instantiate(expr, templates, mapping=None):
    """Replace each entry ``V[k]`` that matches the left side ``V[f(t)]`` of a for_all premise at an admissible
    value of ``t`` (integer, in its range) by the right side at that value (not an entry ``mapping`` values)."""
    entries = [a for a in expr.atoms(Indexed) if not mapping or a not in mapping]
    if not entries:
        return expr
    rep = {}
    for a in entries:
        for lhs, rhs, names, bounds, symbolic in templates:
            if a.base != lhs.base or len(a.indices) != len(lhs.indices) or a == lhs:
                continue
            sol = _match_indices(lhs.indices, a.indices, names, bounds, symbolic)
            if sol is not None:
                rep[a] = rhs.xreplace(sol)
                break
    return expr.xreplace(rep) if rep else expr


def _match_indices(pattern, target, names, bounds, symbolic=False):
    """Values of ``names`` making each pattern index equal the target's, if they are integers in range
    (``symbolic``: a definition, which also applies at symbolic indices, Sigma[j, i] from Sigma[i, j])."""
    sol = {}
    for p, t in zip(pattern, target):
        free = [v for v in names if p.has(v)]
        if not free:
            if sp.expand(p - t) != 0:
                return None
            continue
        if len(free) > 1:
            return None
        got = _solve_linear_one(p - t, free[0])
        if got is None or not got[1].is_number:
            return None
        v, val = free[0], got[0]
        if not val.is_number and not symbolic:  # only concrete entries (V[1]); V[t - 1] is the author's to derive
            return None
        if val.is_number:
            if not val.is_integer or (v.is_positive and not val > 0) or (v.is_nonnegative and not val >= 0):
                return None
            if v in bounds:
                lo, hi = bounds[v]
                if (lo.is_number and val < lo) or (hi.is_number and val > hi):
                    return None
        if v in sol and sp.expand(sol[v] - val) != 0:
            return None
        sol[v] = val
    return sol


def _rewrite(expr, rewrites: dict):
    from .sums import canonical_sums
    c = canonical_sums(expr)
    new = c.xreplace(rewrites)
    return new if new != c else expr


def _linear_in_sums(e):
    """Sums split over their terms with factors free of the index pulled out (so an unknown written inside
    a sum, sum_i (w x_i - y_i) x_i, becomes a coefficient: w sum_i x_i^2 - sum_i x_i y_i)."""
    if not e.has(sp.Sum):
        return e
    from .sums import canonical_sums
    return canonical_sums(e)


def _moments_evaluated(rel, ctx):
    """A premise with its expectations, variances and covariances evaluated by the derivation's random model
    (``Var(w_{t+1}) = Var(w_t)`` becomes the equation in V it states), so it is solved for what it
    determines rather than for an unevaluated moment. Unchanged when there is nothing to evaluate."""
    model = getattr(ctx, "random_model", None)
    if model is None or not isinstance(rel, sp.core.relational.Relational):
        return rel
    from .normalise import _has_expectation
    if not (_has_expectation(rel.lhs) and _has_expectation(rel.rhs)):
        return rel                        # moment = value is a substitution for the moment, as written
    from .expectation import expect
    try:
        with time_limit(getattr(ctx, "stage_timeout", None)):
            lhs, rhs = expect(rel.lhs, model), expect(rel.rhs, model)
    except Exception:  # noqa: BLE001 - an unsupported moment: keep the premise as written
        return rel
    return rel.func(lhs, rhs, evaluate=False)


def _linear_atoms(expr, skip=()):
    """Atoms (symbols, entries, function values) in which ``expr`` is linear with a coefficient free of
    them, in a fixed order, lazily; integers are left out (solving for one would lose its integrality), and
    so are the atoms in ``skip``."""
    bound = None
    for a in sorted(expr.free_symbols | expr.atoms(AppliedUndef), key=sp.default_sort_key, reverse=True):
        if a in skip or not _is_atom(a) or getattr(a, "is_integer", False):
            continue
        if isinstance(a, Indexed):
            bound = _bound_symbols(expr) if bound is None else bound
            if any(a.has(b) for b in bound):
                continue
        if _is_linear_in(expr, a):
            yield a


def _is_linear_in(expr, a) -> bool:
    """``expr`` is ``c a + r`` with ``c != 0`` and neither ``c`` nor ``r`` mentioning ``a``."""
    coeff = sp.diff(expr, a)
    return coeff != 0 and not coeff.has(a) and not sp.expand(expr - coeff * a).has(a)


def _linear_power(expr, skip=()):
    """A power ``x**k`` (``x`` a symbol, ``k`` an integer >= 2) that ``expr`` is linear in and that is the only
    way ``expr`` mentions ``x``: ``a**2 + b**2 - 1`` gives ``b**2`` (so a premise a^2 + b^2 = 1 rewrites b^2 as
    1 - a^2 wherever b^2 appears as written; a point still has to satisfy the premise itself), else None."""
    for pw in sorted(expr.atoms(sp.Pow), key=sp.default_sort_key, reverse=True):
        x, k = pw.base, pw.exp
        if pw in skip or not isinstance(x, sp.Symbol) or getattr(x, "is_integer", False) or \
                not (k.is_Integer and k >= 2):
            continue
        t = sp.Dummy("t")
        rest = expr.xreplace({pw: t})
        if rest.has(x):
            continue
        if _is_linear_in(rest, t):
            return pw
    return None


def _bound_symbols(expr) -> set:
    return {lim[0] for node in sp.preorder_traversal(expr) if isinstance(node, (sp.Sum, sp.Product))
            for lim in node.limits}


def refine(rel, bounds: dict):
    """``(symbol, refined symbol, (lo, hi), (lo in, hi in))`` for ``x > c``, ``x >= c``, ``x < c``, ``x <= c``,
    ``x != 0`` (either side), ``c`` a number; None otherwise."""
    if isinstance(rel, sp.Unequality):
        x, c = (rel.lhs, rel.rhs) if isinstance(rel.lhs, sp.Symbol) else (rel.rhs, rel.lhs)
        if isinstance(x, sp.Symbol) and c == 0 and not isinstance(x, sp.Dummy):
            return x, _with(x, nonzero=True), None, None
        return None
    if not isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan, sp.StrictLessThan, sp.LessThan)):
        return None
    big, small = (rel.lhs, rel.rhs) if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)) else (rel.rhs, rel.lhs)
    strict = isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan))
    if isinstance(big, sp.Symbol) and small.is_number and small.is_finite and small.is_real:
        x, lo, hi, lo_in, hi_in = big, small, sp.oo, not strict, False
    elif isinstance(small, sp.Symbol) and big.is_number and big.is_finite and big.is_real:
        x, lo, hi, lo_in, hi_in = small, -sp.oo, big, False, not strict
    else:
        return None
    if isinstance(x, sp.Dummy) or x.is_real is False:
        return None
    if x.is_integer:          # an integer keeps its name (premises and unknowns refer to it); a bound suffices
        old_lo, old_hi = bounds.get(x, (-sp.oo, sp.oo))
        lo = lo if old_lo.free_symbols or lo >= old_lo else old_lo
        hi = hi if old_hi.free_symbols or hi <= old_hi else old_hi
        return x, x, (lo, hi), (bool(lo_in), bool(hi_in))
    old_lo, old_hi = bounds.get(x, (-sp.oo, sp.oo))
    lo, hi = (lo if old_lo.free_symbols or lo >= old_lo else old_lo), (hi if old_hi.free_symbols or hi <= old_hi else old_hi)
    return x, _refined(x, lo, hi, lo_in, hi_in), (lo, hi), (bool(lo_in), bool(hi_in))


def _refined(x, lo, hi, lo_in, hi_in):
    """``x`` with the sign assumptions the interval from ``lo`` to ``hi`` (ends included as flagged) gives."""
    assume = {}
    if lo.is_number and (lo > 0 or (lo == 0 and not lo_in)):
        assume["positive"] = True
    elif lo.is_number and lo >= 0:
        assume["nonnegative"] = True
    if hi.is_number and (hi < 0 or (hi == 0 and not hi_in)):
        assume["negative"] = True
    elif hi.is_number and hi <= 0:
        assume["nonpositive"] = True
    return _with(x, real=True, **assume)


def _with(x, **assume):
    """A symbol of the same name with ``assume`` added to its assumptions (or ``x`` when nothing is new)."""
    base = {k: v for k, v in x.assumptions0.items() if v is not None}
    merged = dict(base)
    for k, v in assume.items():
        merged[k] = v
    if merged == base:
        return x
    try:
        return sp.Symbol(x.name, **{k: v for k, v in merged.items() if k in _KEEP})
    except Exception:  # noqa: BLE001 - contradictory assumptions: keep the symbol as it is
        return x


_KEEP = ("real", "integer", "positive", "negative", "nonnegative", "nonpositive", "nonzero", "commutative",
         "rational", "finite", "extended_real")


def _is_atom(x) -> bool:
    return isinstance(x, (sp.Symbol, Indexed, AppliedUndef)) or (
        isinstance(x, sp.Function) and not x.args == ())


def _relations(rel):
    return rel if isinstance(rel, tuple) else (rel,)


def _solve_linear_one(e, t):
    """Solve a t + b = 0 for t when a is free of t; returns (solution, a) or None."""
    e = sp.expand(e)
    a = e.coeff(t, 1)
    if a == 0 or a.has(t) or (e - a * t).has(t):
        return None
    a = sp.factor(sp.together(a))
    return sp.cancel(sp.together(-(e - a * t) / a)), a


def _solve_triangular(eqs: list, targets: list):
    """Solve one equation at a time when each step is linear in a single remaining unknown."""
    sol, conds, remaining = {}, [], list(eqs)
    while remaining:
        for e in remaining:
            e2 = e.xreplace(sol)
            left = [t for t in targets if t not in sol and e2.has(t)]
            if len(left) == 1:
                got = _solve_linear_one(e2, left[0])
                if got is not None:
                    sol = {k: sp.cancel(v.xreplace({left[0]: got[0]})) for k, v in sol.items()}
                    sol[left[0]] = got[0]
                    if not got[1].is_number:
                        conds.append(got[1])
                    remaining.remove(e)
                    break
        else:
            return None
    if set(sol) != set(targets):
        return None
    return sol, conds


def _solve(eqs: list, targets: list, ctx) -> tuple[dict, list]:
    """Solve ``eqs`` (expressions = 0) for ``targets``; returns (solution, conditions)."""
    if len(eqs) == len(targets):                      # fast path: triangular, linear one at a time
        tri = _solve_triangular(eqs, targets)
        if tri is not None:
            return tri
    try:
        A, b = sp.linear_eq_to_matrix(eqs, targets)
        linear = True
    except (sp.PolynomialError, ValueError, TypeError):  # nonlinear in the targets
        linear = False
    if linear and A.shape[0] == A.shape[1]:
        det = sp.factor(A.det())
        if det == 0:
            raise PremiseError(f"cannot solve for {', '.join(map(str, targets))}: singular system")
        sol = A.LUsolve(b)
        return {t: sp.cancel(sp.together(v)) for t, v in zip(targets, sol)}, ([det] if not det.is_number else [])
    with time_limit(ctx.stage_timeout if ctx is not None else None):
        sols = sp.solve(eqs, targets, dict=True)
    if len(sols) != 1:
        raise PremiseError(f"solving for {', '.join(map(str, targets))} gives {len(sols)} solutions; "
                           "state the premise in solved form")
    return sols[0], []


def substitutions(facts, unknowns, ctx=None) -> Substitution:
    """Turn premise facts into one substitution (applied repeatedly to a fixed point). Definitions, givens and
    assumptions come before the results of steps (a step's ``Limit(n_t, N, oo) = t`` must not turn ``t`` into a
    limit before the given ``n_t = ...`` is in the mapping)."""
    out = Substitution()
    pending_eqs, pending_targets, deferred = [], [], []
    unknowns = list(unknowns or [])
    order = {"definition": 0, "given": 1, "assumption": 2}
    facts = sorted(facts, key=lambda f: order.get(f.kind, 3))
    for fact in facts:
        for rel in _relations(fact.relation):
            if fact.kind != "definition" and unknowns and not any(rel.has(u) for u in unknowns):
                # moment = moment naming no unknown: its evaluated form may be the equation for one (Var(w_{t+1})
                # = Var(w_t) is V = (1 - eta h)^2 V + eta^2 sigma^2 when the model says Var(w_t) = V)
                ev = _moments_evaluated(rel, ctx)
                if any(ev.has(u) for u in unknowns):
                    rel = ev
            if not isinstance(rel, sp.Equality):
                got = refine(rel, {**(getattr(ctx, 'bounds', None) or {}), **out.bounds}) if isinstance(rel, sp.core.relational.Relational) else None
                if got is not None and (got[0] in out.mapping or got[0] in out.bounds):
                    _refine_again(out, rel, got[0], ctx)      # 0 < beta and beta < 1: both bounds count
                    continue
                if got is not None and got[0] not in out.mapping:
                    x, new, bnd, closed = got
                    if new is not x:
                        out.mapping[x] = new
                    if bnd is not None:
                        out.bounds[new] = bnd
                        if any(closed):
                            out.closed[new] = closed
                continue
            lhs, rhs = rel.lhs, rel.rhs
            if fact.kind == "definition":
                out.mapping[lhs] = rhs
                if isinstance(lhs, Indexed) and any(i.free_symbols for i in lhs.indices):
                    # a definition of an entry defines the family: Sigma[i, j] := ... also gives Sigma[j, i]
                    names = tuple(sorted(set().union(*(i.free_symbols for i in lhs.indices)), key=sp.default_sort_key))
                    out.templates.append((lhs, rhs, names, dict(getattr(ctx, "bounds", None) or {}), True))
                continue
            if getattr(fact, "for_all", ()) and isinstance(lhs, Indexed):
                out.templates.append((lhs, rhs, tuple(fact.for_all), dict(getattr(ctx, "bounds", None) or {}), False))
            targets = [t for t in fact.solve_for if rel.has(t)]
            if not targets:
                if _is_atom(lhs) and not rhs.has(lhs) and lhs not in out.mapping and _acyclic(out, lhs, rhs):
                    out.mapping[lhs] = rhs
                    continue
                targets = [u for u in unknowns if rel.has(u) and u not in out.mapping
                           and u not in pending_targets]
                if not targets and _is_atom(rhs) and not lhs.has(rhs) and rhs not in out.mapping and \
                        _acyclic(out, rhs, lhs):
                    out.mapping[rhs] = lhs
                    continue
                if not targets and any(rel.has(u) for u in pending_targets):
                    pending_eqs.append(lhs - rhs)        # another equation of the same system
                    continue
                if not targets:
                    deferred.append((fact, lhs, rhs))     # after every premise in solved form is in the mapping
                    continue
            pending_eqs.append(lhs - rhs)
            pending_targets.extend(t for t in targets if t not in pending_targets)
    if pending_eqs:
        eqs = [_linear_in_sums(e) for e in (out.apply(e) for e in pending_eqs)]
        eqs = [e for e in eqs if e != 0 and sp.expand(e) != 0]
        pending_targets = [t for t in pending_targets if any(e.has(t) for e in eqs)]
    if pending_eqs and eqs and pending_targets:
        sol, conds = _solve(eqs, pending_targets, ctx)
        out.conditions.extend(conds)
        for k, v in sol.items():
            out.mapping[k] = v
    for fact, lhs, rhs in deferred:
        _solve_deferred(out, fact, lhs, rhs)
    return out


def _refine_again(out: Substitution, rel, x, ctx) -> None:
    """A second inequality on a symbol an earlier one already refined (``beta < 1`` after ``0 < beta``): the
    intervals are intersected (at a shared end, included only if both include it) and the refined symbol gets
    the assumptions of the intersection. Integers keep their name; only their bounds change."""
    prev = out.mapping.get(x, x)
    if not (isinstance(prev, sp.Symbol) and prev.name == x.name):
        return
    alone = refine(rel, {})                  # this relation's own interval, not merged with anything
    if alone is None or alone[2] is None:
        return
    (lo2, hi2), (lo2_in, hi2_in) = alone[2], alone[3]
    (lo1, hi1), (lo1_in, hi1_in) = out.bounds.get(prev, (-sp.oo, sp.oo)), out.closed.get(prev, (False, False))
    if not all(v.is_number for v in (lo1, hi1, lo2, hi2)):
        return
    lo, lo_in = (lo2, lo2_in) if lo2 > lo1 else (lo1, lo1_in) if lo1 > lo2 else (lo1, lo1_in and lo2_in)
    hi, hi_in = (hi2, hi2_in) if hi2 < hi1 else (hi1, hi1_in) if hi1 < hi2 else (hi1, hi1_in and hi2_in)
    new = prev if prev.is_integer else _refined(prev, lo, hi, lo_in, hi_in)
    if new is not prev:
        for k, v in list(out.mapping.items()):
            if v is prev:
                out.mapping[k] = new
        out.bounds.pop(prev, None)
        out.closed.pop(prev, None)
    out.bounds[new] = (lo, hi)
    if lo_in or hi_in:
        out.closed[new] = (bool(lo_in), bool(hi_in))
    else:
        out.closed.pop(new, None)


def _solve_deferred(out: Substitution, fact, lhs, rhs) -> None:
    """A premise not in solved form that names no unknown: solved for an atom it is linear in (a + b = 1 gives
    a -> 1 - b), after the premises in solved form; a sum set equal to a value becomes a rewrite; otherwise it
    stays a constraint on points (noted)."""
    diff = out.apply(lhs - rhs)
    first = next(_linear_atoms(diff, skip=out.mapping), None)
    if first is None:
        first = _linear_power(diff, out.mapping)
    if first is not None:
        got = _solve_linear_one(diff, first)
        if got is not None and _acyclic(out, first, got[0]):
            out.mapping[first] = got[0]
            if not got[1].is_number:
                out.conditions.append(got[1])
            return
    if isinstance(lhs, (sp.Sum, sp.Product)) and not rhs.has(sp.Sum, sp.Product):
        from .sums import canonical_sums
        out.rewrites[canonical_sums(lhs)] = rhs
        return
    out.notes.append(f"{fact.label} could not be used as a substitution (not in solved form, "
                     "names no unknown); points are checked against it")
