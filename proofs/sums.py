"""Canonical forms for sums, so the cascade can compare them.

* bound summation indices are renamed by nesting depth (``Sum(g[k], (k, 1, m))``
  and ``Sum(g[i], (i, 1, m))`` become the same tree);
* a sum over an addition is split into sums, and factors free of the index are
  pulled out (linearity), so ``Sum(a) + Sum(b) - Sum(a + b)`` cancels in ``expand``.

Invariant: both rewrites preserve the value for every range.
"""
from __future__ import annotations

import sympy as sp


def _canonical_index(var, depth: int):
    return sp.Symbol(f"_i{depth}", integer=True)


def _linear(f, var):
    out = []
    for term in sp.Add.make_args(sp.expand(f)):
        const, dep = term.as_independent(var, as_Add=False)
        out.append((const, dep))
    return out


def canonical_sums(expr, depth: int = 0):
    if expr.is_Atom or not expr.has(sp.Sum):
        return expr
    if isinstance(expr, sp.Sum) and len(expr.limits) == 1:
        var, lo, hi = expr.limits[0]
        new = _canonical_index(var, depth)
        body = canonical_sums(expr.function.xreplace({var: new}), depth + 1)
        terms = []
        for const, dep in _linear(body, new):
            const = canonical_sums(const, depth)     # a sum pulled out of this one gets this depth's index
            terms.append(const * (dep * (hi - lo + 1) if not dep.has(new) else sp.Sum(dep, (new, lo, hi))))
        return sp.Add(*terms)
    args = tuple(canonical_sums(a, depth) for a in expr.args)
    return expr.func(*args) if args != expr.args else expr
