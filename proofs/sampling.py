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


def _stable_repr(expr) -> str:
    """``srepr`` without Dummy indices (they count globally, so a seed built on them would depend on what was
    checked before in the same process)."""
    import re
    return re.sub(r"dummy_index=\d+", "", sp.srepr(expr))[:2000]


def _values(point: dict) -> dict:
    """The atom -> value entries of a point (without the sampler's bookkeeping entries)."""
    return {k: v for k, v in point.items() if not isinstance(k, str)}


class Infeasible(Exception):
    """No admissible value exists for an atom at this point (e.g. an empty integer range)."""


# Values a person would pick first, in order: a counterexample is shown with the simplest ones that fail.
SIMPLE_VALUES = tuple(sp.Rational(v) for v in ("0", "1", "-1", "2", "1/2", "-2", "3", "1/3", "-1/2", "4",
                                                "2/3", "5", "3/2", "-3", "1/4", "3/4"))


def _integer_range(lo, hi, lo_in: bool, hi_in: bool):
    """The least and greatest integer in the interval (None for an unbounded end)."""
    first = None if not lo.is_finite else (sp.ceiling(lo) if lo_in else sp.floor(lo) + 1)
    last = None if not hi.is_finite else (sp.floor(hi) if hi_in else sp.ceiling(hi) - 1)
    return first, last


class PointSampler:
    """Draws admissible exact points. ``bounds``: symbol -> (lo, hi) open interval (ends may be symbolic:
    they are valued at the point first); ``closed``: symbol -> (lo included, hi included)."""

    def __init__(self, bounds: dict | None = None, custom=None, seed: int = 0, closed: dict | None = None):
        self.bounds = dict(bounds or {})
        self.closed = dict(closed or {})
        self.custom = custom
        self.seed = seed

    # -- one atom ---------------------------------------------------------------------------------
    def _bound_at(self, atom, point, rnd):
        """The atom's interval with its ends valued at ``point`` (their symbols get values first)."""
        lo, hi = self.bounds[atom]
        ends = []
        for e in (lo, hi):
            for a in sorted(e.free_symbols, key=sp.default_sort_key):
                if a not in point:
                    if a is atom:
                        raise Infeasible(f"{atom} is bounded by itself")
                    point[a] = self.value(a, rnd, point)
            e = e.xreplace(_values(point)) if e.free_symbols else e
            ends.append(e)
        return ends[0], ends[1]

    def admissible(self, atom, v, point=None) -> bool:
        """Does ``v`` respect the atom's assumptions and bounds (ends valued at ``point``)? Exact."""
        if v is None or not v.is_number or v.is_real is False or v.is_finite is False or v.has(sp.zoo, sp.nan):
            return False
        if (atom.is_integer and not v.is_integer) or (atom.is_positive and not v > 0) or \
                (atom.is_nonnegative and not v >= 0) or (atom.is_negative and not v < 0) or \
                (atom.is_nonpositive and not v <= 0) or (atom.is_nonzero and v == 0):
            return False
        if atom in self.bounds:
            lo, hi = self.bounds[atom]
            if point is not None:
                lo, hi = lo.xreplace(_values(point)), hi.xreplace(_values(point))
            lo_in, hi_in = self.closed.get(atom, (False, False))
            for end, inside, below in ((lo, lo_in, True), (hi, hi_in, False)):
                if not end.is_number or not end.is_finite:
                    if end.free_symbols:
                        return False
                    continue
                d = v - end if below else end - v
                if not (d > 0 or (inside and d == 0)):
                    return False
        return True

    def value(self, atom, rnd: random.Random, point: dict | None = None, simple: bool = False):
        """An admissible exact value for ``atom``; with ``simple`` a small one (0, 1, -1, 2, 1/2, ...)."""
        point = {} if point is None else point
        if atom in self.bounds:
            lo, hi = self._bound_at(atom, point, rnd)
            lo_in, hi_in = self.closed.get(atom, (False, False))
            if not (lo.is_number and hi.is_number):
                raise Infeasible(f"bounds of {atom} do not evaluate to numbers")
            if atom.is_integer:
                first, last = _integer_range(lo, hi, lo_in, hi_in)
                if first is not None and atom.is_positive:
                    first = max(first, sp.Integer(1))
                if first is not None and atom.is_nonnegative:
                    first = max(first, sp.Integer(0))
                if first is None:
                    first = last - 6 if last is not None else sp.Integer(-3)
                if last is None:
                    last = first + 6
                if first > last:
                    raise Infeasible(f"no integer {atom} in the interval ({lo}, {hi})")
                if simple:
                    return sp.Integer(first + (rnd.randint(0, min(2, int(last - first)))))
                return sp.Integer(rnd.randint(int(first), int(last)))
            if simple:
                for v in SIMPLE_VALUES[:rnd.randint(4, len(SIMPLE_VALUES))]:
                    if self.admissible(atom, v, point):
                        return v
            if (lo_in or hi_in) and rnd.random() < 0.3:          # a closed end is admissible: draw it
                return lo if (lo_in and (not hi_in or rnd.random() < 0.5)) else hi
            if lo.is_finite and hi.is_finite:
                if not hi > lo:
                    raise Infeasible(f"empty interval ({lo}, {hi}) for {atom}")
                q = rnd.choice((3, 4, 5, 7, 8, 9, 11))
                return lo + (hi - lo) * sp.Rational(rnd.randint(1, q - 1), q)
            if lo.is_finite:
                return lo + sp.Rational(rnd.randint(1, 9), rnd.choice(_SMALL_PRIMES_Q))
            if hi.is_finite:
                return hi - sp.Rational(rnd.randint(1, 9), rnd.choice(_SMALL_PRIMES_Q))
        if simple:
            order = list(SIMPLE_VALUES)
            k = rnd.randint(0, 3)
            for v in order[k:] + order[:k]:
                if self.admissible(atom, v, point):
                    return v
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

    # -- points -------------------------------------------------------------------------------------
    def points(self, expr, k: int = 6, salt: str = "") -> list[dict]:
        """``k`` point seeds for the free atoms of ``expr`` (values are drawn lazily by :func:`evaluate`).

        The first points draw simple values (0, 1, -1, 2, 1/2, ...); closed ends come early too.
        """
        rnd = random.Random(stable_seed(self.seed, salt, _stable_repr(expr)))
        out = []
        for i in range(k):
            pt = {}
            if 1 <= i < 3:    # closed ends are admissible and where inequalities usually break: try them early
                for sym, ends in self.closed.items():
                    if ends[i - 1] and expr.has(sym) and self.bounds[sym][i - 1].is_number:
                        pt[sym] = self.bounds[sym][i - 1]     # a symbolic end is drawn once its symbols have values
            if self.custom is not None:
                pt.update({sp.sympify(a): sp.nsimplify(v, rational=True) if isinstance(v, float) else sp.sympify(v)
                           for a, v in self.custom(rnd).items()})
            pt["__rnd__"] = random.Random(rnd.getrandbits(64))
            pt["__simple__"] = i < 2
            out.append(pt)
        return out


def evaluate(expr, point: dict, sampler: PointSampler):
    """Exact value of ``expr`` at ``point`` (extended in place with any atoms it needed).

    Returns a SymPy number, or ``None`` where the expression is undefined there
    (a zero denominator: "undefined", as in MathCheck). Raises :class:`Unevaluable`
    for undefined functions.
    """
    rnd = point.get("__rnd__") or random.Random(0)
    simple = bool(point.get("__simple__"))
    if expr.atoms(AppliedUndef):
        if not point.get("__functions__"):
            raise Unevaluable("contains undefined functions: " + ", ".join(sorted(map(str, expr.atoms(AppliedUndef)))))
        expr = _function_values(expr, point, sampler, rnd, simple)
    e = expr
    for _ in range(6):                         # symbols, then atoms revealed by doit (x[1], x[2], ...)
        # plain symbols first: x[j] must become x[7] (when j = 7) before it gets a value of its own
        symbols = [a for a in free_atoms(e) if not isinstance(a, Indexed)]
        for a in symbols:
            if a not in point:
                point[a] = sampler.value(a, rnd, point, simple)
        e = e.xreplace({a: point[a] for a in symbols})
        rewrite = point.get("__rewrite__")
        if rewrite is not None and symbols:     # entries that became concrete (mu[t - 1] at t = 2 is mu[1]):
            e = rewrite(e)                      # the premises' substitution applies to them too (for_all=)
        for a in free_atoms(e):
            if isinstance(a, Indexed) and a not in point:
                point[a] = sampler.value(a, rnd, point, simple)
        e = e.xreplace({a: point[a] for a in free_atoms(e) if a in point})
        if e.has(sp.Sum, sp.Product, sp.KroneckerDelta, sp.Piecewise, sp.Derivative, sp.Limit, sp.Max, sp.Min):
            for node in e.atoms(sp.Sum, sp.Product):
                for lim in node.limits:
                    for end in lim[1:]:
                        if end.is_number and end.is_finite is not False and not end.is_integer:
                            raise Unevaluable(f"the sum over {lim[0]} has the non-integer limit {end}")
            try:
                e = e.doit()
            except (TypeError, ValueError, NotImplementedError, RecursionError) as exc:    # e.g. a limit N - 1/2
                raise Unevaluable(f"cannot evaluate {sp.sstr(e)[:80]}: {exc}") from None
        if not free_atoms(e):
            break
    if free_atoms(e):
        raise Unevaluable("could not give values to " + ", ".join(map(str, free_atoms(e))))
    if e.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return e


def _function_values(expr, point, sampler, rnd, simple):
    """Values for an undefined function at the point: ``L(1/2)``, ``L'(1/2)``, ``d^2L/dw^2(1/2)`` are unknown
    numbers, drawn like symbols and shared by every occurrence with the same arguments (keys are canonical:
    the value at a point, the derivative order per argument). Any finite set of values and derivatives at
    distinct points is attained by some smooth function, so a point found this way is a real counterexample.
    Limits, integrals, and arguments that are not plain symbols under a derivative, raise :class:`Unevaluable`."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Limit, sp.Integral)) and node.atoms(AppliedUndef):
            raise Unevaluable(f"an undefined function inside {type(node).__name__}")

    def key(fn, args, orders):
        vals = []
        for a in args:
            for s_ in sorted(a.free_symbols, key=sp.default_sort_key):
                if s_ not in point:
                    point[s_] = sampler.value(s_, rnd, point, simple)
            v = a.xreplace({k: val for k, val in point.items() if not isinstance(k, str)})
            v = v.xreplace({k: val for k, val in point.items() if not isinstance(k, str)})
            if v.free_symbols or not v.is_number:
                raise Unevaluable(f"the argument {a} of {fn} has no value")
            vals.append(v)
        if len(args) == 1 and orders:
            n = orders[0][1]
            mark = "'" * n if n <= 3 else f"^({n})"
        else:
            mark = "".join(f"_d{i + 1}" + (f"^{n}" if n > 1 else "") for i, n in orders)
        name = f"{fn}{mark}({', '.join(map(str, vals))})"
        sym = sp.Symbol(name, real=True)
        if sym not in point:
            point[sym] = sampler.value(sym, rnd, point, simple)
        return sym

    def walk(e):
        if isinstance(e, AppliedUndef):       # inner applications first: sigma(2 sigma(1)) is keyed by its value
            return key(e.func.__name__, tuple(walk(a) for a in e.args), ())
        if isinstance(e, sp.Derivative) and isinstance(e.expr, AppliedUndef):
            f = e.expr
            orders = []
            for v, n in e.variable_count:
                if v not in f.args or not isinstance(v, sp.Symbol):
                    raise Unevaluable(f"cannot value {e} (derivative by a non-argument)")
                orders.append((f.args.index(v), int(n)))
            merged = {}
            for i, n in orders:
                merged[i] = merged.get(i, 0) + n
            return key(f.func.__name__, f.args, tuple(sorted(merged.items())))
        if isinstance(e, sp.Subs) and e.expr.atoms(AppliedUndef):
            inner = e.expr
            rep = dict(zip(e.variables, e.point))
            if isinstance(inner, sp.Derivative) and isinstance(inner.expr, AppliedUndef):
                f = inner.expr
                orders = {}
                for v, n in inner.variable_count:
                    if v not in f.args:
                        raise Unevaluable(f"cannot value {e}")
                    i = f.args.index(v)
                    orders[i] = orders.get(i, 0) + int(n)
                return key(f.func.__name__, tuple(a.xreplace(rep) for a in f.args), tuple(sorted(orders.items())))
            if isinstance(inner, AppliedUndef):
                return key(inner.func.__name__, tuple(a.xreplace(rep) for a in inner.args), ())
            raise Unevaluable(f"cannot value {e}")
        if not e.args or not e.atoms(AppliedUndef):
            return e
        return e.func(*[walk(a) for a in e.args])

    out = walk(expr)
    if out.atoms(AppliedUndef):
        raise Unevaluable("contains undefined functions: " + ", ".join(sorted(map(str, out.atoms(AppliedUndef)))))
    return out


def describe_point(point: dict) -> dict:
    """Name -> exact value, sorted by name; bookkeeping entries and dummies are left out."""
    return {str(k): str(v) for k, v in sorted(((k, v) for k, v in point.items()
                                                  if not isinstance(k, str) and not isinstance(k, sp.Dummy)),
                                                 key=lambda kv: str(kv[0]))}
