"""Admissible exact points: rational values for the free symbols of an expression.

Used to *refute* (never to prove): a relation that fails at an admissible
exact point is false, and the point is the counterexample.

Invariants
----------
* Values respect each atom's SymPy assumptions (integer, positive,
  nonnegative, nonzero) and the derivation's declared bounds (lo < s < hi, or
  closed ends, which are then drawn now and again).
* Values are exact ``Rational``; the same (seed, expression) gives the same points.
* Atoms that cannot be given a number (undefined functions) make the
  expression *unevaluable*; the caller then skips the numeric stage.
"""
from __future__ import annotations

import hashlib
import random

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.tensor.indexed import Indexed

_SMALL_PRIMES_Q = (1, 2, 3, 5, 7, 11)


class Unevaluable(Exception):
    pass


def stable_seed(*parts) -> int:
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big")


def _label_symbols(expr) -> set:
    return {a.base.label for a in expr.atoms(Indexed)}


def _bound_symbols(expr) -> set:
    bound = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Sum, sp.Product)):
            bound |= {lim[0] for lim in node.limits}
    return bound


def free_atoms(expr) -> list:
    """Symbols and Indexed atoms a value must be given for, sorted.

    IndexedBase labels are excluded, and so are entries such as ``g[k]`` whose
    index is bound by an enclosing ``Sum`` (they get values only once the sum
    is expanded for a concrete range).
    """
    labels = _label_symbols(expr)
    bound = _bound_symbols(expr)
    atoms = [a for a in expr.free_symbols if a not in labels
             and not (isinstance(a, Indexed) and any(i.free_symbols & bound for i in a.indices))]
    return sorted(atoms, key=sp.default_sort_key)


class PointSampler:
    """Draws admissible exact points. ``bounds``: symbol -> (lo, hi) open interval."""

    def __init__(self, bounds: dict | None = None, custom=None, seed: int = 0, closed: dict | None = None):
        self.bounds = dict(bounds or {})
        self.closed = dict(closed or {})
        self.custom = custom
        self.seed = seed

    def value(self, atom, rnd: random.Random):
        if atom in self.bounds:
            lo, hi = self.bounds[atom]
            lo_in, hi_in = self.closed.get(atom, (False, False))
            if (lo_in or hi_in) and rnd.random() < 0.3:          # a closed end is admissible: draw it
                return lo if (lo_in and (not hi_in or rnd.random() < 0.5)) else hi
            q = rnd.choice((3, 4, 5, 7, 8, 9, 11))
            p = rnd.randint(1, q - 1)
            if lo.is_finite and hi.is_finite:
                return lo + (hi - lo) * sp.Rational(p, q)
            if lo.is_finite:
                return lo + sp.Rational(rnd.randint(1, 9), rnd.choice(_SMALL_PRIMES_Q))
            return hi - sp.Rational(rnd.randint(1, 9), rnd.choice(_SMALL_PRIMES_Q))
        if atom.is_integer:
            if atom.is_positive:
                return sp.Integer(rnd.randint(1, 7))
            if atom.is_nonnegative:
                return sp.Integer(rnd.randint(0, 6))
            if atom.is_negative:
                return sp.Integer(-rnd.randint(1, 7))
            v = rnd.randint(-5, 5)
            return sp.Integer(v if (v or not atom.is_nonzero) else 1)
        mag = sp.Rational(rnd.randint(1, 13), rnd.choice(_SMALL_PRIMES_Q))
        if atom.is_positive:
            return mag
        if atom.is_nonnegative:
            return sp.Integer(0) if rnd.random() < 0.25 else mag     # the boundary is admissible
        if atom.is_negative or atom.is_nonpositive:
            return -mag
        return mag if rnd.random() < 0.6 else -mag

    def points(self, expr, k: int = 6, salt: str = "") -> list[dict]:
        """``k`` points for the free atoms of ``expr`` (more atoms may appear on evaluation)."""
        rnd = random.Random(stable_seed(self.seed, salt, sp.srepr(expr)[:2000]))
        out = []
        for i in range(k):
            pt = {}
            if i < 2:         # closed ends are admissible and where inequalities usually break: try them first
                for sym, ends in self.closed.items():
                    if ends[i] and expr.has(sym):
                        pt[sym] = self.bounds[sym][i]
            if self.custom is not None:
                pt.update({sp.sympify(a): sp.nsimplify(v, rational=True) if isinstance(v, float) else sp.sympify(v)
                           for a, v in self.custom(rnd).items()})
            pt["__rnd__"] = random.Random(rnd.getrandbits(64))
            out.append(pt)
        return out


def evaluate(expr, point: dict, sampler: PointSampler):
    """Exact value of ``expr`` at ``point`` (extended in place with any atoms it needed).

    Returns a SymPy number, or ``None`` where the expression is undefined there
    (a zero denominator: "undefined", as in MathCheck). Raises :class:`Unevaluable`
    for undefined functions.
    """
    rnd = point.get("__rnd__") or random.Random(0)
    if expr.atoms(AppliedUndef):
        raise Unevaluable("contains undefined functions: " + ", ".join(sorted(map(str, expr.atoms(AppliedUndef)))))
    e = expr
    for _ in range(6):                         # symbols, then atoms revealed by doit (x[1], x[2], ...)
        # plain symbols first: x[j] must become x[7] (when j = 7) before it gets a value of its own
        symbols = [a for a in free_atoms(e) if not isinstance(a, Indexed)]
        for a in symbols:
            if a not in point:
                point[a] = sampler.value(a, rnd)
        e = e.xreplace({a: point[a] for a in symbols})
        for a in free_atoms(e):
            if isinstance(a, Indexed) and a not in point:
                point[a] = sampler.value(a, rnd)
        e = e.xreplace({a: point[a] for a in free_atoms(e) if a in point})
        if e.has(sp.Sum, sp.Product, sp.KroneckerDelta, sp.Piecewise, sp.Derivative, sp.Limit, sp.Max, sp.Min):
            e = e.doit()
        if not free_atoms(e):
            break
    if free_atoms(e):
        raise Unevaluable("could not give values to " + ", ".join(map(str, free_atoms(e))))
    if e.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return e


def describe_point(point: dict) -> dict:
    return {str(k): str(v) for k, v in sorted(((k, v) for k, v in point.items() if k != "__rnd__"),
                                                 key=lambda kv: str(kv[0]))}
