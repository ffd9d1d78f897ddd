"""Canonical forms and closed forms for finite sums, so the cascade can compare them.

Two entry points:

``canonical_sums(expr)`` (used by the premise rewriting)
    * bound summation indices are renamed by nesting depth (``Sum(g[k], (k, 1, m))``
      and ``Sum(g[i], (i, 1, m))`` become the same tree);
    * a sum over an addition is split into sums, and factors free of the index are
      pulled out (linearity), so ``Sum(a) + Sum(b) - Sum(a + b)`` cancels in ``expand``.

``normalise_sums(expr, ctx=None) -> (expr, conditions)`` (used by the equality cascade)
    Everything ``canonical_sums`` does, and in addition, for sums whose limits are integers:

    * **closed forms** of polynomial and polynomial-times-geometric summands
      (``sum_{i=lo}^{hi} P(i) r^i = F(hi + 1) - F(lo)`` with ``F(i) = Q(i) r^i`` the
      antidifference, ``Q(i + 1) r - Q(i) = P(i)``; Faulhaber's formulas when there is no
      geometric factor). A geometric closed form divides by ``r - 1``: it is *not* assumed
      that ``r != 1``; the numerator of ``r - 1`` is returned as a condition instead.
      The closed form also needs ``b != 0`` for each base ``b`` of the geometric factor ``b^(a i)``
      (returned as a condition unless SymPy knows it), except when ``a`` is a positive integer;
    * **exponent splitting**: ``b^(t - i) = b^t b^(-i)``, so ``b^t`` leaves the sum (needs
      ``b != 0``, returned as a condition unless SymPy knows it);
    * **index shifts**: a summand is shifted so that its first indexed entry / function
      argument of the form ``+-i + c`` has integer offset 0
      (``Sum(g[i + 1], (i, 0, t - 1))`` becomes ``Sum(g[i], (i, 1, t))``);
    * **range alignment**: sums of the same summand whose lower limits differ by integers,
      and whose upper limits differ by integers, are rewritten over one common range plus
      explicitly written terms (peeling first / last terms; telescoping follows from a
      shift and an alignment); a range of known integer length (``(i, t, t)``,
      ``(i, 1, 3)``) is written out.

    Sums whose limits are not known to be integers get only the renaming and linearity. Not done:
    exchanging the order of a double sum, reflecting an index (``i -> n - i``), closed forms of
    other summands (harmonic, binomial, ...).

    ``conditions`` lists expressions that must be non-zero for the rewrite to hold; the
    engine records each as a side condition ``expr != 0`` and decides it under the
    assumptions. The rewrites needing no condition are tried first: when they alone
    reduce ``expr`` to 0, no condition is returned.

Invariant (every rewrite): the value is preserved for **every** integer range, including
empty and reversed ones, in Karr's convention used by ``Sum.doit()`` and the numeric stage:
``Sum(f, (i, a, b)) = -Sum(f, (i, b + 1, a - 1))`` when ``b < a - 1``. Everything below relies on
``Sum(f, (i, a, b)) + Sum(f, (i, b + 1, c)) = Sum(f, (i, a, c))`` for all integers a, b, c, on
``Sum(f(i), (i, a, b)) = Sum(f(i - d), (i, a + d, b + d))`` for every integer d, and on
``Sum(F(i + 1) - F(i), (i, a, b)) = F(b + 1) - F(a)``, all of which hold in that convention.
Provided every returned condition is non-zero, the rewritten expression has the value of the
original wherever the original is defined. Nothing here calls ``Sum.doit`` on a symbolic range or
uses SymPy's ``Piecewise`` results.
"""
from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.tensor.indexed import Indexed

from .timelimit import StageTimeout, time_limit

MAX_TERMS = 24             # at most this many terms are written out for one peel / one short range
DEFAULT_SECONDS = 5.0      # the bound on normalise_sums when no context gives one
QUICK_SECONDS = 0.15       # the bound on the "does it already vanish?" check between passes


def _canonical_index(var, depth: int):
    return sp.Symbol(f"_i{depth}", integer=True)


# ----------------------------------------------------------------------------------------------
# canonical_sums: renaming and linearity only (kept as it was; the premise rewriting keys on it)
# ----------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _outer(node: sp.Sum):
    """``(body, (var, lo, hi))`` for the outermost limit: ``Sum(f, l1, ..., lk)`` is ``Sum(body, lk)``
    with ``body = Sum(f, l1, ..., l(k-1))`` (SymPy lists the innermost limit first, and writes
    ``Sum(Sum(f, l1), l2)`` as ``Sum(f, l1, l2)``)."""
    body = node.function if len(node.limits) == 1 else sp.Sum(node.function, *node.limits[:-1])
    return body, tuple(node.limits[-1])


def _well_formed(node: sp.Sum) -> bool:
    """Every limit is ``(var, lo, hi)`` and no inner sum rebinds an outer index (no shadowing)."""
    if any(len(lim) != 3 for lim in node.limits):
        return False
    names = [lim[0] for lim in node.limits]
    if len(set(names)) != len(names):
        return False
    for inner in node.function.atoms(sp.Sum):
        if any(lim[0] in names for lim in inner.limits):
            return False
    return True


def _rename(expr, depth: int):
    """Rename every bound index by its nesting depth (``_i<depth>``); a multi-limit sum counts as nested
    sums, its last (outermost) limit at ``depth``.

    Each index goes through a fresh dummy first, so no renaming can capture a free occurrence.
    """
    if expr.is_Atom or not expr.has(sp.Sum):
        return expr
    if isinstance(expr, sp.Sum):
        if not _well_formed(expr):
            return expr
        body, (var, lo, hi) = _outer(expr)
        lo, hi = _rename(lo, depth), _rename(hi, depth)
        tmp = sp.Dummy("i", integer=True)
        new = _canonical_index(var, depth)
        body = _rename(body.xreplace({var: tmp}), depth + 1).xreplace({tmp: new})
        return sp.Sum(body, (new, lo, hi))
    args = tuple(_rename(a, depth) for a in expr.args)
    return expr.func(*args) if args != expr.args else expr


def _linear_in(expr, var):
    """``(alpha, beta)`` with ``expr = alpha var + beta``, both free of ``var``; None otherwise."""
    expr = sp.expand(expr, power_exp=False)
    alpha, beta = sp.S.Zero, sp.S.Zero
    for term in sp.Add.make_args(expr):
        if not term.has(var):
            beta += term
            continue
        c, dep = term.as_independent(var, as_Add=False)
        if dep != var:
            return None
        alpha += c
    return alpha, beta


def _offset(arg, var):
    """An argument ``a var + c`` with ``a`` = +-1: returns ``(a, symbolic part of c, integer part of c)``."""
    lin = _linear_in(arg, var)
    if lin is None or lin[0] not in (1, -1):
        return None
    a, c = lin
    num, rest = c.as_coeff_Add()
    if not num.is_Integer:
        num, rest = sp.S.Zero, c
    return int(a), rest, int(num)


def _shift_candidates(opaque, var) -> list:
    """Offsets of the index in indexed entries and undefined-function arguments (not inside inner sums)."""
    out = []

    def walk(e):
        if isinstance(e, sp.Sum) or not e.has(var):
            return
        if isinstance(e, (Indexed, AppliedUndef)):
            for arg in (e.indices if isinstance(e, Indexed) else e.args):
                got = _offset(arg, var)
                if got is not None:
                    out.append(got)
        for a in e.args:
            walk(a)

    walk(opaque)
    return out


def _canonical_shift(opaque, var) -> int:
    """The shift ``d`` (summand f(i) becomes f(i - d)) that gives the anchor entry integer offset 0.

    The anchor is the candidate ``a i + s + n`` least by (a = -1, s) and then by n. Shifting the
    summand adds ``-a d`` to n for every candidate with the same a, so the anchor is the same entry
    for every shift of one summand: summands that are shifts of each other get the same canonical form.
    """
    cands = _shift_candidates(opaque, var)
    if not cands:
        return 0
    a, _, n = min(cands, key=lambda c: (c[0] == -1, sp.default_sort_key(c[1]), c[2]))
    return a * n


def _antidifference_coeffs(deg: int, r):
    """Coefficients q_0..q_m of Q with ``Q(i + 1) r - Q(i) = i**deg``.

    r == 1: Q has degree deg + 1 and Q(0) = 0 (Faulhaber). Otherwise Q has degree deg and every
    coefficient is a polynomial in r divided by a power of (r - 1).
    """
    if r == 1:
        q = [sp.S.Zero] * (deg + 2)
        for m in range(deg, -1, -1):          # coefficient of i**m in Q(i + 1) - Q(i)
            p = 1 if m == deg else 0
            acc = sum((q[k] * sp.binomial(k, m) for k in range(m + 2, deg + 2)), sp.S.Zero)
            q[m + 1] = sp.Rational(1, m + 1) * (p - acc)
        return q
    q = [sp.S.Zero] * (deg + 1)
    for m in range(deg, -1, -1):              # coefficient of i**m in r Q(i + 1) - Q(i)
        p = 1 if m == deg else 0
        acc = sum((q[k] * sp.binomial(k, m) for k in range(m + 1, deg + 1)), sp.S.Zero)
        q[m] = sp.cancel((p - r * acc) / (r - 1))
    return q


def _range_length(lo, hi):
    """``hi - lo + 1`` if it is an integer of modest size, else None."""
    n = hi - lo + 1
    if n.is_Integer and abs(int(n)) <= MAX_TERMS:
        return int(n)
    return None


def _karr_terms(f, var, lo, n: int):
    """``Sum(f, (var, lo, lo + n - 1))`` written out, for any integer n (Karr: n < 0 is minus the
    sum over lo + n .. lo - 1)."""
    if n >= 0:
        return sp.Add(*[f.xreplace({var: lo + k}) for k in range(n)])
    return -sp.Add(*[f.xreplace({var: lo + n + k}) for k in range(-n)])


# ----------------------------------------------------------------------------------------------
# the normaliser
# ----------------------------------------------------------------------------------------------
class _Normaliser:
    """One pass over an expression. ``conditional``: rewrites needing a condition are allowed (and
    their conditions recorded); otherwise only rewrites that hold without one are made."""

    def __init__(self, conditional: bool):
        self.conditional = conditional
        self.conditions: list = []
        self.refused = False           # a rewrite was not made for want of a condition

    def nonzero(self, e) -> bool:
        """May the rewrite use ``e != 0``? Known non-zero: yes; otherwise recorded as a condition
        (conditional pass) or refused (unconditional pass)."""
        if e.is_nonzero:
            return True
        if e.is_number:
            return False if e.is_zero or e.is_zero is None else True
        if not self.conditional:
            self.refused = True
            return False
        if e not in self.conditions and -e not in self.conditions:
            self.conditions.append(e)
        return True

    # -- traversal --------------------------------------------------------------------------------
    def expr(self, e, depth: int):
        """Normalise every sum in ``e``; sums at this level get index ``_i<depth>``."""
        if e.is_Atom or not e.has(sp.Sum):
            return e
        e = self._nodes(e, depth)
        for _ in range(3):                     # peeled terms may hold sums to align in turn
            new = self._align(e, depth)
            if new == e:
                break
            e = new
        return e

    def _nodes(self, e, depth):
        if e.is_Atom or not e.has(sp.Sum):
            return e
        if isinstance(e, sp.Sum):
            return self.sum(e, depth)
        args = tuple(self._nodes(a, depth) for a in e.args)
        return e.func(*args) if args != e.args else e

    # -- one sum ----------------------------------------------------------------------------------
    def sum(self, node: sp.Sum, depth: int):
        if not _well_formed(node):
            return node
        body, (var, lo, hi) = _outer(node)
        lo, hi = self.expr(lo, depth), self.expr(hi, depth)
        i = sp.Dummy("i", integer=True)
        body = self.expr(body.xreplace({var: i}), depth + 1)
        integral = bool(lo.is_integer) and bool(hi.is_integer)
        out = []
        for term in sp.Add.make_args(sp.expand(body, power_exp=False)):
            out.append(self._term(term, i, lo, hi, depth, integral))
        return sp.Add(*out)

    def _term(self, term, i, lo, hi, depth, integral: bool):
        """``Sum(term, (i, lo, hi))`` for one additive term of the summand."""
        coeff, dep = term.as_independent(i, as_Add=False)
        coeff = _rename(coeff, depth)          # a sum pulled out of this one gets this depth's index
        if not dep.has(i):
            return coeff * dep * (hi - lo + 1)
        if not integral:                       # only linearity and renaming for non-integer limits
            return coeff * self._make(dep, i, lo, hi, depth)
        deg, exps, opaque = 0, [], []
        for f in sp.Mul.make_args(dep):
            if f == i:
                deg += 1
            elif f.is_Pow and f.base == i and f.exp.is_Integer and f.exp > 0:
                deg += int(f.exp)
            elif (f.is_Pow and not f.base.has(i)) or isinstance(f, sp.exp):
                base, ex = (sp.E, f.args[0]) if isinstance(f, sp.exp) else (f.base, f.exp)
                lin = _linear_in(ex, i)
                if lin is None or lin[0] == 0:
                    opaque.append(f)
                    continue
                alpha, beta = lin
                if beta != 0:                  # b^(alpha i + beta) = b^beta b^(alpha i) needs b != 0
                    if not self.nonzero(base):
                        opaque.append(f)
                        continue
                    coeff *= sp.Pow(base, beta)
                exps.append((base, alpha))
            else:
                opaque.append(f)
        opaque = sp.Mul(*opaque)
        if opaque == 1:
            closed = self._closed_form(deg, exps, i, lo, hi)
            if closed is not None:
                return coeff * closed
        return coeff * self._shifted(deg, exps, opaque, i, lo, hi, depth)

    def _kernel(self, exps, i):
        return sp.Mul(*[sp.Pow(b, a * i) for b, a in exps])

    def _closed_form(self, deg, exps, i, lo, hi):
        """``Sum(i**deg prod b**(a i), (i, lo, hi))`` as ``F(hi + 1) - F(lo)``; None if a condition is refused."""
        r = sp.Mul(*[sp.Pow(b, a) for b, a in exps]) if exps else sp.S.One
        if r != 1:
            # E(i + 1) = r E(i) needs b != 0, except for a positive integer a (b = 0: the summand is defined
            # only for i >= 0, where 0^(a (i + 1)) = 0 = 0^a 0^(a i), and so are E(lo) and E(hi + 1))
            if not all(b is sp.E or (a.is_integer and a.is_positive) or self.nonzero(b) for b, a in exps):
                return None
            if not self.nonzero(sp.numer(sp.together(r - 1))):
                return None
        elif exps:
            return None
        q = _antidifference_coeffs(deg, r)
        kernel = self._kernel(exps, i)

        def F(x):
            return sp.Add(*[c * x ** k for k, c in enumerate(q) if c != 0]) * kernel.xreplace({i: x})

        return F(hi + 1) - F(lo)

    def _shifted(self, deg, exps, opaque, i, lo, hi, depth):
        """The term with an opaque factor, shifted to its canonical offset and split into monomials."""
        d = 0
        if not any(isinstance(a, sp.Sum) and a.has(i) for a in sp.preorder_traversal(opaque)):
            d = _canonical_shift(opaque, i)
        coeff = sp.S.One
        if d and exps:                          # b^(a (i - d)) = b^(-a d) b^(a i) needs b != 0
            if not all(b is sp.E or self.nonzero(b) for b, _ in exps):
                d = 0
            else:
                coeff = sp.Mul(*[sp.Pow(b, -a * d) for b, a in exps])
        if d:
            opaque = opaque.xreplace({i: i - d})
            lo, hi = lo + d, hi + d
        kernel = self._kernel(exps, i) * opaque
        poly = sp.expand((i - d) ** deg) if d else i ** deg
        out = []
        for mono in sp.Add.make_args(poly):
            c, m = mono.as_independent(i, as_Add=False)
            out.append(c * self._make(m * kernel, i, lo, hi, depth))
        return coeff * sp.Add(*out)

    @staticmethod
    def _make(body, i, lo, hi, depth):
        new = _canonical_index(None, depth)
        return sp.Sum(body.xreplace({i: new}), (new, lo, hi))

    # -- range alignment --------------------------------------------------------------------------
    def _align(self, e, depth):
        """Rewrite the sums of this level over common ranges (see the module docstring)."""
        idx = _canonical_index(None, depth)
        sums: list = []

        def collect(x):
            if isinstance(x, sp.Sum):
                var, lo, hi = x.limits[-1] if len(x.limits[-1]) == 3 else (None, None, None)
                if var == idx and lo.is_integer and hi.is_integer and x not in sums:
                    sums.append(x)
                return
            for a in x.args:
                collect(a)

        collect(e)
        if not sums:
            return e
        groups: dict = {}
        for s in sums:
            groups.setdefault(_outer(s)[0], []).append(s)
        rep = {}
        for body, members in groups.items():
            lows = _classes([s.limits[-1][1] for s in members], max)
            highs = _classes([s.limits[-1][2] for s in members], min)
            for s in members:
                _, lo, hi = s.limits[-1]
                n = _range_length(lo, hi)
                if n is not None:
                    rep[s] = _rename(_karr_terms(body, idx, lo, n), depth)
                    continue
                L, U = lows[lo], highs[hi]
                if (L, U) == (lo, hi):
                    continue
                head = _karr_terms(body, idx, lo, int(L - lo))                  # Sum(lo .. L - 1)
                tail = _karr_terms(body, idx, U + 1, int(hi - U))               # Sum(U + 1 .. hi)
                rep[s] = sp.Sum(body, (idx, L, U)) + _rename(head + tail, depth)
        return e.xreplace(rep) if rep else e


def _classes(limits: list, pick) -> dict:
    """Group limits that differ by (modest) integers; map each to its class's ``pick`` (max / min)."""
    reps: list = []                  # [(representative, [members])]
    for x in dict.fromkeys(limits):
        for r, members in reps:
            d = x - r
            if d.is_Integer and abs(int(d)) <= MAX_TERMS:
                members.append(x)
                break
        else:
            reps.append((x, [x]))
    out = {}
    for r, members in reps:
        best = pick(members, key=lambda x: int(x - r))
        for x in members:
            out[x] = best
    return out


def _vanishes(expr) -> bool:
    """A quick, bounded check that ``expr`` is already 0 (expand; cancel when no sum is left)."""
    if expr == 0:
        return True
    try:
        with time_limit(QUICK_SECONDS):
            if sp.expand(expr) == 0:
                return True
        if not expr.has(sp.Sum):
            with time_limit(QUICK_SECONDS):
                return sp.cancel(sp.together(expr)) == 0
    except (StageTimeout, sp.PolynomialError, NotImplementedError, TypeError, ValueError):
        pass
    return False


def normalise_sums(expr, ctx=None) -> tuple:
    """``(rewritten expr, conditions)``: the value is preserved wherever every condition is non-zero.

    First only the rewrites that need no condition are made; if they reduce ``expr`` to 0, or no
    rewrite was refused for want of a condition, that result is returned with no condition. Otherwise the conditional rewrites are made too (geometric
    closed forms need ``r - 1 != 0``, exponent splitting needs ``b != 0``). The whole call is bounded
    by ``ctx.stage_timeout`` (or DEFAULT_SECONDS) and raises ``StageTimeout`` when the first pass
    runs out; the conditional pass running out returns the first pass's result.
    """
    expr = sp.sympify(expr)
    if not expr.has(sp.Sum):
        return expr, []
    seconds = getattr(ctx, "stage_timeout", None) or DEFAULT_SECONDS
    with time_limit(seconds):
        first = _Normaliser(conditional=False)
        plain = first.expr(expr, 0)
        if not first.refused or _vanishes(plain):      # nothing refused: the second pass would repeat the first
            return plain, []
        try:
            with time_limit(seconds):
                n = _Normaliser(conditional=True)
                out = n.expr(expr, 0)
        except StageTimeout:
            return plain, []
        if not n.conditions:
            return out, []
        return out, list(n.conditions)
