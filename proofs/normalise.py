"""Bring a side of a relation to a form the cascade can compare.

Order: premise substitution, expectation algebra (``E``, ``Var``, ``Cov``),
then evaluation of unevaluated calculus objects (``Derivative``, ``Subs``,
``Limit``). Limits are taken after reparametrising bounded symbols, because
SymPy cannot know 0 < rho < 1 otherwise, and mapped back afterwards.

Invariant: normalisation never changes the value of an expression; it only
evaluates operators whose meaning is fixed.
"""
from __future__ import annotations

import sympy as sp
from sympy.tensor.indexed import Indexed

from .timelimit import time_limit


class NormaliseError(Exception):
    pass


def _has_expectation(expr) -> bool:
    try:
        from .expectation import E, Var, Cov
    except ImportError:  # pragma: no cover
        return False
    return bool(expr.atoms(E) or expr.atoms(Var) or expr.atoms(Cov))


def _limit(lim: sp.Limit, ctx):
    """The limit evaluated by SymPy (bounded symbols reparametrised first); left unevaluated where SymPy cannot
    decide it (``NotImplementedError: Result depends on the sign of ...``): nothing is proved from it then."""
    try:
        return _limit_value(lim, ctx)
    except NotImplementedError:
        return lim


def _limit_value(lim: sp.Limit, ctx):
    subs = ctx.reparametrisation(lim) if ctx is not None else {}
    subs = {k: v for k, v in subs.items() if ctx is not None and k in ctx.bounds}
    if not subs:
        return lim.doit(deep=False)      # deep=True would first try to evaluate every inner Sum
    inv = {}
    body = lim.subs(subs)
    val = body.doit(deep=False)
    for s, rep in subs.items():
        r = next(iter(rep.free_symbols))
        back = sp.solve(sp.Eq(s, rep), r)
        if len(back) == 1:
            inv[r] = back[0]
    return val.subs(inv) if inv else val          # no simplify: the cascade decides equality afterwards


_OPERATORS = (sp.Derivative, sp.Subs, sp.Limit)


def _bottom_up(expr, ctx):
    if expr.is_Atom or not expr.has(*_OPERATORS):
        return expr
    args = tuple(_bottom_up(a, ctx) for a in expr.args)
    node = expr.func(*args) if args != expr.args else expr
    if isinstance(node, sp.Limit):
        return _limit(node, ctx)
    if isinstance(node, (sp.Derivative, sp.Subs)):
        return node.doit()
    return node


def evaluate_operators(expr, ctx):
    """Evaluate Derivative / Subs / Limit nodes, innermost first (so Subs(Derivative(...)) works)."""
    if not expr.has(*_OPERATORS):
        return expr
    with time_limit(ctx.stage_timeout if ctx is not None else None):
        return _bottom_up(expr, ctx)


def normalise(expr, subst, ctx):
    expr = sp.sympify(expr)
    if subst is not None:
        expr = subst.apply(expr)
    if _has_expectation(expr):
        if ctx is None or ctx.random_model is None:
            raise NormaliseError("expectations used but no random variables declared (use d.random)")
        from .expectation import expect
        with time_limit(ctx.stage_timeout):
            expr = expect(expr, ctx.random_model)
        if subst is not None:          # the model's moments name the author's symbols: refine them too
            expr = subst.apply(expr)
    expr = symmetric_covariances(rebind_indices(expr), ctx)
    if ctx is None or not expr.has(*_OPERATORS):
        return evaluate_operators(expr, ctx)
    cache = ctx.caches.setdefault("operators", {})   # a chain normalises each middle line twice
    if expr not in cache:
        cache[expr] = evaluate_operators(expr, ctx)
    return cache[expr]


def _range_respects(v, lo, hi) -> bool:
    """Does every integer in [lo, hi] satisfy the sign assumptions of the index ``v``? (Provably; else False.)"""
    checks = []
    if v.is_positive:
        checks.append((lo - 1).is_nonnegative)
    elif v.is_nonnegative:
        checks.append(lo.is_nonnegative)
    if v.is_negative:
        checks.append((-hi - 1).is_nonnegative)
    elif v.is_nonpositive:
        checks.append((-hi).is_nonnegative)
    return all(c is True for c in checks)


def rebind_indices(expr):
    """Sums and products whose range leaves the sign assumptions of their index (``j`` declared positive, summed
    from -1) get an index of their own with only ``integer=True``: SymPy reads the index's assumptions, so
    ``Sum(KroneckerDelta(i, j) a[i], (i, 1, N))`` inside a sum over j from -1 became ``a[j]`` for j <= N only,
    silently dropping the condition 1 <= j (a true step was refuted; a false one could be proved)."""
    if not expr.has(sp.Sum, sp.Product):
        return expr

    def fix(node):
        lims, rep = [], {}
        for lim in node.limits:
            v = lim[0]
            if len(lim) == 3 and not _range_respects(v, lim[1], lim[2]):
                fresh = sp.Dummy(str(v), integer=True)
                rep[v] = fresh
                lims.append((fresh, lim[1], lim[2]))
            else:
                lims.append(lim)
        if not rep:
            return node
        return node.func(node.function.xreplace(rep), *lims)

    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), fix)


def symmetric_covariances(expr, ctx):
    """Entries of a declared covariance matrix in one index order: ``Sigma[l, i]`` becomes ``Sigma[i, l]`` (the
    order SymPy sorts them in), because ``d.random.family(..., cov=Sigma)`` declares Sigma a covariance, which is
    symmetric. Without it a swapped entry would be a free value, and a true step refuted at Sigma[0, 1] = -1,
    Sigma[1, 0] = 1."""
    model = getattr(ctx, "random_model", None) if ctx is not None else None
    if model is None or not expr.has(Indexed):
        return expr
    bases = {f.cov for f in getattr(model, "_families", {}).values() if f.vector and isinstance(f.cov, sp.IndexedBase)}
    if not bases:
        return expr
    rep = {}
    for a in expr.atoms(Indexed):
        n = len(a.indices)
        if a.base in bases and n % 2 == 0 and n:             # Sigma[i, j], or Sigma[i1, i2, j1, j2] of pairs
            first, second = a.indices[:n // 2], a.indices[n // 2:]
            if [sp.default_sort_key(x) for x in second] < [sp.default_sort_key(x) for x in first]:
                rep[a] = a.base[second + first]
    return expr.xreplace(rep) if rep else expr
