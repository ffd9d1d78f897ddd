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
    subs = {k: v for k, v in subs.items() if k in ctx.bounds}
    if not subs:
        return lim.doit()
    inv = {}
    body = lim.subs(subs)
    val = body.doit()
    for s, rep in subs.items():
        r = next(iter(rep.free_symbols))
        back = sp.solve(sp.Eq(s, rep), r)
        if len(back) == 1:
            inv[r] = back[0]
    return sp.simplify(val.subs(inv)) if inv else val


def evaluate_operators(expr, ctx):
    """Evaluate Derivative / Subs / Limit nodes, innermost first."""
    targets = [a for a in sp.preorder_traversal(expr) if isinstance(a, (sp.Derivative, sp.Subs, sp.Limit))]
    if not targets:
        return expr
    with time_limit(ctx.stage_timeout if ctx is not None else None):
        for node in reversed(targets):
            if not expr.has(node):
                continue
            val = _limit(node, ctx) if isinstance(node, sp.Limit) else node.doit()
            expr = expr.xreplace({node: val})
    return expr


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
    return evaluate_operators(expr, ctx)
