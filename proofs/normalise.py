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
    if ctx is None or not expr.has(*_OPERATORS):
        return evaluate_operators(expr, ctx)
    cache = ctx.caches.setdefault("operators", {})   # a chain normalises each middle line twice
    if expr not in cache:
        cache[expr] = evaluate_operators(expr, ctx)
    return cache[expr]
