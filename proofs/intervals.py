"""Interval enclosures: a sound range for an expression from its symbols' bounds and assumptions.

Used by side conditions when SymPy's assumptions cannot decide a sign: with 0 < beta < 1 and an
integer t >= 1, ``beta**t`` lies in (0, 1), so ``1 - beta**t`` lies in (0, 1) and is non-zero.

>>> import sympy as sp
>>> b = sp.Symbol("b", positive=True); t = sp.Symbol("t", integer=True, positive=True)
>>> enclosure(1 - b**t, {b: (sp.Integer(0), sp.Integer(1))}, {})
Range(lo=0, hi=1, lo_open=True, hi_open=True)

Invariant: every value the expression takes at an admissible point lies in the returned range
(ends included only when not ``*_open``); ``None`` means "no enclosure", never a guess.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

oo = sp.oo


@dataclass(frozen=True)
class Range:
    lo: object
    hi: object
    lo_open: bool
    hi_open: bool

    def excludes_zero(self) -> bool:
        return bool(self.lo > 0 or (self.lo == 0 and self.lo_open) or self.hi < 0 or (self.hi == 0 and self.hi_open))

    def positive(self) -> bool:
        return bool(self.lo > 0 or (self.lo == 0 and self.lo_open))

    def nonnegative(self) -> bool:
        return bool(self.lo >= 0)


def _point(v) -> Range:
    return Range(v, v, False, False)


def _symbol_range(s, bounds, closed) -> Range | None:
    lo, hi, lo_open, hi_open = -oo, oo, True, True
    if s in bounds:
        blo, bhi = bounds[s]
        if blo.is_number and bhi.is_number:
            lo_in, hi_in = closed.get(s, (False, False))
            lo, hi, lo_open, hi_open = blo, bhi, not lo_in, not hi_in
    if s.is_positive and (lo < 0 or (lo == 0 and not lo_open)):
        lo, lo_open = sp.Integer(0), True
    if s.is_nonnegative and lo < 0:
        lo, lo_open = sp.Integer(0), False
    if s.is_negative and (hi > 0 or (hi == 0 and not hi_open)):
        hi, hi_open = sp.Integer(0), True
    if s.is_integer and s.is_positive and lo < 1:
        lo, lo_open = sp.Integer(1), False
    if s.is_real is not True and s not in bounds:
        return None
    return Range(lo, hi, lo_open, hi_open)


def _add(a: Range, b: Range) -> Range:
    return Range(a.lo + b.lo, a.hi + b.hi, a.lo_open or b.lo_open, a.hi_open or b.hi_open)


def _mul(a: Range, b: Range) -> Range | None:
    cands = []
    for x, xo in ((a.lo, a.lo_open), (a.hi, a.hi_open)):
        for y, yo in ((b.lo, b.lo_open), (b.hi, b.hi_open)):
            if x == 0 and y in (oo, -oo):        # the hull of the other corners covers it; 0 is reached iff x = 0 is
                cands.append((sp.Integer(0), xo))
            elif y == 0 and x in (oo, -oo):
                cands.append((sp.Integer(0), yo))
            else:
                cands.append((x * y, xo or yo))
    lo = min(c[0] for c in cands)
    hi = max(c[0] for c in cands)
    lo_open = all(o for v, o in cands if v == lo)
    hi_open = all(o for v, o in cands if v == hi)
    return Range(lo, hi, lo_open, hi_open)


def _pow(base: Range, e, bounds, closed) -> Range | None:
    if e.is_Integer:
        n = int(e)
        if n > 0 and base.lo >= 0:
            return Range(base.lo ** n, base.hi ** n if base.hi != oo else oo, base.lo_open, base.hi_open)
        if n > 0 and n % 2 == 0 and base.hi <= 0:
            return Range(base.hi ** n, base.lo ** n if base.lo != -oo else oo, base.hi_open, base.lo_open)
        if n > 0 and n % 2 == 0:
            hi = max(base.lo ** n, base.hi ** n)
            return Range(sp.Integer(0), hi, False, False)
        if n < 0 and base.positive():
            inv = Range(1 / base.hi if base.hi != oo else sp.Integer(0), 1 / base.lo if base.lo != 0 else oo,
                        base.hi_open, base.lo_open if base.lo != 0 else True)
            return _pow(inv, -e, bounds, closed)
        return None
    er = enclosure(e, bounds, closed)
    if er is None or not base.nonnegative():
        return None
    if base.positive() and er.positive():        # x**e with x > 0, e > 0: monotone in x
        if base.hi <= 1:                           # (0, 1]**(0, oo) = (0, 1]
            return Range(sp.Integer(0), sp.Integer(1), True, base.hi_open or base.hi < 1)
        if base.lo >= 1:
            return Range(sp.Integer(1), oo, base.lo_open or base.lo > 1, True)
        return Range(sp.Integer(0), oo, True, True)
    if base.positive():
        return Range(sp.Integer(0), oo, True, True)
    return None


def enclosure(expr, bounds: dict, closed: dict | None = None) -> Range | None:
    """A range containing every value of ``expr`` (see module doc); None when none is found."""
    closed = closed or {}
    if expr.is_number:
        if expr.is_real and expr.is_finite:
            return _point(sp.nsimplify(expr) if expr.is_Rational else expr)
        return None
    if isinstance(expr, sp.Symbol):
        return _symbol_range(expr, bounds, closed)
    if isinstance(expr, sp.Add):
        acc = None
        for a in expr.args:
            r = enclosure(a, bounds, closed)
            if r is None:
                return None
            acc = r if acc is None else _add(acc, r)
        return acc
    if isinstance(expr, sp.Mul):
        acc = None
        for a in expr.args:
            r = enclosure(a, bounds, closed)
            if r is None:
                return None
            acc = r if acc is None else _mul(acc, r)
            if acc is None:
                return None
        return acc
    if isinstance(expr, sp.Pow):
        base = enclosure(expr.base, bounds, closed)
        return None if base is None else _pow(base, expr.exp, bounds, closed)
    if isinstance(expr, sp.exp):
        r = enclosure(expr.args[0], bounds, closed)
        if r is None:
            return None
        return Range(sp.exp(r.lo) if r.lo != -oo else sp.Integer(0), sp.exp(r.hi) if r.hi != oo else oo,
                     r.lo_open, r.hi_open)
    return None


def decides(expr, want: str, bounds: dict, closed: dict | None = None) -> bool:
    """True when the enclosure proves ``expr`` nonzero / positive / nonnegative."""
    try:
        r = enclosure(expr, bounds, closed)
    except (TypeError, ValueError):
        return False
    if r is None:
        return False
    return {"nonzero": r.excludes_zero, "positive": r.positive, "nonnegative": r.nonnegative}[want]()
