r"""Expectation algebra for independent and iid random variables, by hand.

Authors write ``E(X)``, ``Var(X)``, ``Cov(X, Y)`` inside ordinary SymPy
expressions and declare the random variables in a :class:`RandomModel`;
:func:`expect` replaces every such operator by its value. ``sympy.stats`` is
deliberately not used: nothing is integrated, every value comes from the
moments declared in the model, so a call takes milliseconds.

What is random
--------------
* A *scalar* declared with :meth:`RandomModel.scalar` (mean, variance, optional
  higher raw moments) or :meth:`RandomModel.bernoulli` (``E[x**k] = p``).
* An *atom of an iid family* declared with :meth:`RandomModel.family`: an
  ``Indexed`` object ``base[s]`` (scalar family) or ``base[s, i, ...]`` (vector
  family) whose base is registered. The first index ``s`` is the *sample
  index*, the remaining ones are coordinates.

Everything else is deterministic (symbols, ``Indexed`` of unregistered bases,
``KroneckerDelta``, deterministic ``Sum``\ s, ...).

What independence means
-----------------------
Every declared scalar is its own independence group. Each sample of a family
(one value of the sample index) is its own group: ``ghat[s, .]`` and
``ghat[t, .]`` are independent iid copies when ``s != t``. Different families
and scalars are mutually independent. Whether two sample indices coincide is
decided exactly: sample indices bound by the same ``Sum`` range are
enumerated over set partitions (same block = same sample); two free sample
indices ``s, t`` are equal, distinct (``s - t`` a non-zero number) or
undecided, in which case the answer carries ``KroneckerDelta(s, t)``.

Which moments are supported
---------------------------
Per group: scalar ``E[x] = mean``, ``E[x**2] = var + mean**2``; Bernoulli
``E[x**k] = p`` (``k >= 1``); family sample ``E[a_i] = mean[i]``,
``E[a_i a_j] = cov[i, j] + mean[i] mean[j]`` (scalar family: ``var + mean**2``).
A moment of order >= 3 is only known if declared with ``moments={k: ...}``
(scalars and scalar families); otherwise :class:`UnsupportedExpectation` is
raised, as it is for non-polynomial functions of random variables
(``exp(x)``, ``1/x``, ``Abs(x)``), sample indices that are expressions of
summation indices (``ghat[b + 1]``), more than six summation indices on one
sample range, or summation ranges that overlap without being identical.

Sums with symbolic limits
-------------------------
``Sum(summand, (b, lo, hi))`` may contain random atoms; products and powers of
sums are merged into one multi-index sum over fresh dummies. Summation indices
used as sample indices of the same family (and indices tied by
``KroneckerDelta``) with an identical range form a *component*; the sum over a
component is split over set partitions of its indices. Within a partition
blocks are distinct samples, ``KroneckerDelta`` between blocks is 0. The
number of tuples realising a partition with ``p`` blocks is the falling
factorial ``n (n-1) ... (n-p+1)`` (``n = hi - lo + 1``) when the summand does
not depend on the block indices; otherwise the sum over distinct tuples is
written by Moebius inversion on the partition lattice in terms of
unrestricted ``Sum``\ s (``sum_{i != j} f(i) g(j) = (sum f)(sum g) - sum f g``).
Ranges are assumed non-empty or empty in the ordinary sense (``hi >= lo - 1``).

Invariants
----------
* :func:`expect` only rewrites ``E``/``Var``/``Cov`` nodes (and a ``Sum`` whose
  summand contained one, which is part of the same expectation by
  linearity); the rest of the expression is returned untouched.
* Results are exact: expansion, cancellation and alpha-renaming of bound
  summation indices only; no ``simplify``.
* Bound indices of generated sums are renamed to the summation indices the
  author used for the same range (alphabetically first that does not clash),
  so equal sums are structurally equal and cancel.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import product as cartesian

import sympy as sp
from sympy import Add, Dummy, Function, Indexed, IndexedBase, KroneckerDelta, Mul, S, Sum, Symbol
from sympy.core.sorting import default_sort_key

__all__ = ["E", "Var", "Cov", "RandomModel", "expect", "UnsupportedExpectation"]

MAX_PARTITIONED_INDICES = 6   # Bell(6) = 203 partitions; beyond that we refuse


class UnsupportedExpectation(Exception):
    """The expectation cannot be computed from what the model declares."""


# ---------------------------------------------------------------------------------------------
# Operators
# ---------------------------------------------------------------------------------------------
def _power(latex: str, exp) -> str:
    """SymPy's printer passes ``exp`` when the operator is raised to a power (``E[x]^2``)."""
    return latex if exp is None else r"\left(%s\right)^{%s}" % (latex, exp)


class E(Function):
    """Unevaluated expectation ``E[X]``; evaluated by :func:`expect`."""

    nargs = 1

    def _latex(self, printer, exp=None):
        return _power(r"\mathbb{E}\left[%s\right]" % printer._print(self.args[0]), exp)


class Var(Function):
    """Unevaluated variance ``Var[X] = E[(X - E X)^2]``."""

    nargs = 1

    def _latex(self, printer, exp=None):
        return _power(r"\operatorname{Var}\left[%s\right]" % printer._print(self.args[0]), exp)


class Cov(Function):
    """Unevaluated covariance ``Cov[X, Y] = E[(X - E X)(Y - E Y)]``."""

    nargs = 2

    def _latex(self, printer, exp=None):
        return _power(r"\operatorname{Cov}\left[%s, %s\right]" % (printer._print(self.args[0]),
                                                                  printer._print(self.args[1])), exp)


_OPERATORS = (E, Var, Cov)


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Scalar:
    symbol: Symbol
    mean: sp.Expr
    var: sp.Expr | None          # None for a Bernoulli (moments come from p)
    p: sp.Expr | None = None     # Bernoulli parameter
    moments: tuple = ()          # ((k, E[x**k]), ...) for k >= 3

    def raw_moment(self, k: int) -> sp.Expr:
        """``E[x**k]`` for ``k >= 1``."""
        if self.p is not None:
            return self.p
        if k == 1:
            return self.mean
        if k == 2:
            return self.var + self.mean ** 2
        return _declared_moment(dict(self.moments), k, str(self.symbol))


@dataclass(frozen=True)
class _Family:
    base: IndexedBase
    mean: sp.Expr                # IndexedBase (per coordinate) or Expr (same for all coordinates)
    cov: sp.Expr                 # IndexedBase of 2*ncoord indices, or the variance (scalar family)
    vector: bool
    moments: tuple = ()          # scalar family only: ((k, E[a**k]), ...)

    def mean_at(self, coords: tuple) -> sp.Expr:
        return self.mean[coords] if isinstance(self.mean, IndexedBase) else self.mean

    def cov_at(self, c1: tuple, c2: tuple) -> sp.Expr:
        return self.cov[c1 + c2] if self.vector else self.cov


def _declared_moment(moments: dict, k: int, name: str) -> sp.Expr:
    if k in moments:
        return sp.sympify(moments[k])
    raise UnsupportedExpectation(
        f"E[{name}**{k}] needs the order-{k} moment of {name}, which the model does not declare "
        f"(only mean and variance are known); declare it with moments={{{k}: ...}} if it is known")


class RandomModel:
    """The random variables of a derivation and the moments known about them."""

    def __init__(self):
        self._scalars: dict = {}     # Symbol -> _Scalar
        self._families: dict = {}    # base label (str) -> _Family

    # -- declarations ---------------------------------------------------------------------------
    def scalar(self, name, mean, var, *, moments=None, **assumptions) -> Symbol:
        """Declare an independent scalar random variable; returns its Symbol.

        ``moments`` optionally maps an order ``k >= 3`` to ``E[x**k]``.
        """
        sym = self._new_symbol(name, assumptions)
        self._scalars[sym] = _Scalar(sym, sp.sympify(mean), sp.sympify(var), None, _moment_items(moments))
        return sym

    def bernoulli(self, name, p, **assumptions) -> Symbol:
        """Declare an independent Bernoulli(p) variable (values 0, 1): ``E[x**k] = p``."""
        sym = self._new_symbol(name, assumptions)
        p = sp.sympify(p)
        self._scalars[sym] = _Scalar(sym, p, p * (1 - p), p)
        return sym

    def family(self, base, mean, cov, *, moments=None) -> IndexedBase:
        """Declare an iid family with atoms ``base[s]`` / ``base[s, i, ...]``.

        Vector family: ``mean`` an IndexedBase (or an Expr common to all
        coordinates) and ``cov`` an IndexedBase taking both coordinate tuples.
        Scalar family: ``mean`` and ``cov`` (the variance) are Exprs; ``moments``
        optionally maps an order ``k >= 3`` to ``E[a**k]``.
        """
        base = IndexedBase(base) if isinstance(base, str) else base
        if not isinstance(base, IndexedBase):
            raise TypeError(f"family base must be an IndexedBase, got {base!r}")
        key = str(base.label)
        if key in self._families or any(str(s) == key for s in self._scalars):
            raise ValueError(f"random variable {key!r} declared twice")
        mean = mean if isinstance(mean, IndexedBase) else sp.sympify(mean)
        cov = cov if isinstance(cov, IndexedBase) else sp.sympify(cov)
        vector = isinstance(mean, IndexedBase) or isinstance(cov, IndexedBase)
        if vector and not isinstance(cov, IndexedBase):
            raise ValueError(f"vector family {key}: cov must be an IndexedBase (cov[i, j])")
        if vector and moments:
            raise ValueError(f"vector family {key}: higher moments are not supported")
        self._families[key] = _Family(base, mean, cov, vector, _moment_items(moments))
        return base

    def _new_symbol(self, name, assumptions) -> Symbol:
        sym = name if isinstance(name, Symbol) else Symbol(str(name), **assumptions)
        if sym in self._scalars or str(sym) in self._families:
            raise ValueError(f"random variable {sym} declared twice")
        return sym

    # -- queries ----------------------------------------------------------------------------------
    def scalar_info(self, sym) -> _Scalar | None:
        return self._scalars.get(sym)

    def family_of(self, atom) -> _Family | None:
        """The family an ``Indexed`` atom belongs to (None if deterministic)."""
        if isinstance(atom, Indexed):
            return self._families.get(str(atom.base.label))
        return None

    def is_atom(self, expr) -> bool:
        """True for a declared scalar symbol or an atom of a declared family."""
        return expr in self._scalars or self.family_of(expr) is not None

    def is_random(self, expr) -> bool:
        """True if ``expr`` contains a random atom."""
        if expr.free_symbols & self._scalars.keys():
            return True
        return any(self.family_of(ix) is not None for ix in expr.atoms(Indexed))


def _moment_items(moments) -> tuple:
    if not moments:
        return ()
    items = tuple(sorted((int(k), sp.sympify(v)) for k, v in dict(moments).items()))
    if any(k < 3 for k, _ in items):
        raise ValueError("moments= declares orders >= 3 only (mean and variance are given separately)")
    return items


# ---------------------------------------------------------------------------------------------
# Terms: sum over `limits` of a polynomial in random atoms with deterministic coefficients
# ---------------------------------------------------------------------------------------------
_ONE = frozenset()   # the empty monomial


@dataclass
class _Term:
    """``Sum(sum_m coeff_m * m, *limits)``; limits in SymPy order (innermost first),
    each ``(Dummy, lo, hi)``; monomials are frozensets of ``(atom, power)``."""

    limits: tuple
    poly: dict


def _mono_mul(m1: frozenset, m2: frozenset) -> frozenset:
    if not m1:
        return m2
    if not m2:
        return m1
    powers = dict(m1)
    for atom, k in m2:
        powers[atom] = powers.get(atom, 0) + k
    return frozenset(powers.items())


def _poly_mul(p: dict, q: dict) -> dict:
    out: dict = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            m = _mono_mul(m1, m2)
            out[m] = out.get(m, S.Zero) + c1 * c2
    return out


def _poly_add_into(out: dict, p: dict) -> None:
    for m, c in p.items():
        out[m] = out.get(m, S.Zero) + c


def _merge_plain(terms: list) -> list:
    """Merge all terms without limits into one (keeps the list short)."""
    plain = [t for t in terms if not t.limits]
    if len(plain) <= 1:
        return terms
    poly: dict = {}
    for t in plain:
        _poly_add_into(poly, t.poly)
    return [_Term((), poly)] + [t for t in terms if t.limits]


def _terms_mul(a: list, b: list) -> list:
    return _merge_plain([_Term(x.limits + y.limits, _poly_mul(x.poly, y.poly)) for x in a for y in b])


def _show(expr) -> str:
    """Text of ``expr`` with internal dummies shown under their original names (for messages)."""
    expr = sp.sympify(expr)
    return str(expr.xreplace({d: Symbol(d.name) for d in expr.atoms(Dummy)}))


def _fresh_dummy(v) -> Dummy:
    return Dummy(v.name, **v.assumptions0)


def _rename(term: _Term, mapping: dict) -> _Term:
    """Apply an index renaming to limits, atoms and coefficients of a term."""
    limits = tuple((mapping.get(v, v), lo.xreplace(mapping), hi.xreplace(mapping)) for v, lo, hi in term.limits)
    poly: dict = {}
    for m, c in term.poly.items():
        mono = _ONE
        for atom, k in m:
            mono = _mono_mul(mono, frozenset({(atom.xreplace(mapping), k)}))
        poly[mono] = poly.get(mono, S.Zero) + c.xreplace(mapping)
    return _Term(limits, poly)


def _fresh_copy(term: _Term) -> _Term:
    return _rename(term, {v: _fresh_dummy(v) for v, _, _ in term.limits}) if term.limits else term


class _Expander:
    """Turns an expression into a list of :class:`_Term` (linearity, sums, powers)."""

    def __init__(self, model: RandomModel):
        self.model = model
        self._random: dict = {}

    def is_random(self, expr) -> bool:
        r = self._random.get(expr)
        if r is None:
            r = self._random[expr] = self.model.is_random(expr)
        return r

    def terms(self, expr) -> list:
        if not self.is_random(expr):
            return [_Term((), {_ONE: expr})]
        if self.model.is_atom(expr):
            self._check_atom(expr)
            return [_Term((), {frozenset({(expr, 1)}): S.One})]
        if expr.is_Add:
            return _merge_plain([t for a in expr.args for t in self.terms(a)])
        if expr.is_Mul:
            acc = [_Term((), {_ONE: S.One})]
            for a in expr.args:
                acc = _terms_mul(acc, self.terms(a))
            return acc
        if expr.is_Pow:
            return self._power(expr)
        if isinstance(expr, Sum):
            return self._sum(expr)
        if isinstance(expr, _OPERATORS):
            raise UnsupportedExpectation(f"unevaluated {expr.func.__name__} inside an expectation: {_show(expr)}")
        raise UnsupportedExpectation(
            f"E[...] of {type(expr).__name__} of a random variable ({_show(expr)}) is not supported: "
            "only polynomials in the random variables (with sums) are")

    def _check_atom(self, atom) -> None:
        fam = self.model.family_of(atom)
        if fam is None:
            return
        n = len(atom.indices)
        if fam.vector and n < 2:
            raise UnsupportedExpectation(f"{_show(atom)}: atoms of vector family {fam.base} need base[sample, coord, ...]")
        if not fam.vector and n != 1:
            raise UnsupportedExpectation(f"{_show(atom)}: atoms of scalar family {fam.base} take one (sample) index")
        if any(self.is_random(ix) for ix in atom.indices):
            raise UnsupportedExpectation(f"{_show(atom)}: random index")

    def _power(self, expr) -> list:
        base, k = expr.args
        if not (k.is_Integer and k > 0):
            raise UnsupportedExpectation(
                f"E[...] of {_show(expr)}: only positive integer powers of random variables are supported")
        k = int(k)
        if self.model.is_atom(base):
            self._check_atom(base)
            return [_Term((), {frozenset({(base, k)}): S.One})]
        base_terms = self.terms(base)
        acc = base_terms
        for _ in range(k - 1):
            acc = _terms_mul(acc, [_fresh_copy(t) for t in base_terms])
        return acc

    def _sum(self, expr: Sum) -> list:
        mapping, limits = {}, []
        for lim in expr.limits:
            if len(lim) != 3:
                raise UnsupportedExpectation(f"{_show(expr)}: summation limits must be (index, lower, upper)")
            v, lo, hi = lim
            if self.is_random(lo) or self.is_random(hi):
                raise UnsupportedExpectation(f"{_show(expr)}: random summation limits")
            mapping[v] = _fresh_dummy(v)
            limits.append((v, lo, hi))
        limits = tuple((mapping[v], lo.xreplace(mapping), hi.xreplace(mapping)) for v, lo, hi in limits)
        summand = expr.function.xreplace(mapping)
        return [_Term(t.limits + limits, t.poly) for t in self.terms(summand)]


# ---------------------------------------------------------------------------------------------
# Set partitions, Moebius function, counting
# ---------------------------------------------------------------------------------------------
def _set_partitions(items: list):
    """All set partitions of ``items``; each block keeps the input order (block[0] earliest)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for p in _set_partitions(rest):
        yield [[first]] + p
        for k in range(len(p)):
            yield p[:k] + [[first] + p[k]] + p[k + 1:]


def _moebius(partition: list) -> int:
    """Moebius function mu(0, pi) of the partition lattice."""
    out = 1
    for block in partition:
        n = len(block)
        out *= (-1) ** (n - 1) * sp.factorial(n - 1)
    return int(out)


def _falling(n, p: int):
    out = S.One
    for q in range(p):
        out *= n - q
    return out


# ---------------------------------------------------------------------------------------------
# Moments of one monomial
# ---------------------------------------------------------------------------------------------
_DISTINCT, _EQUAL, _UNKNOWN = "distinct", "equal", "unknown"


def _relation(a, b, distinct: set) -> str:
    """Whether two sample indices are certainly distinct, certainly equal, or undecided."""
    if frozenset((a, b)) in distinct:
        return _DISTINCT
    d = KroneckerDelta(a, b)
    if d == 0:
        return _DISTINCT
    if d == 1:
        return _EQUAL
    return _UNKNOWN


def _coincidence_patterns(values: list, distinct: set):
    """Yield ``(weight, partition)`` over the possible coincidences of sample indices.

    ``weight`` is the indicator (in KroneckerDeltas) that the values coincide
    exactly as the partition says; impossible partitions are skipped.
    """
    rel = {}
    for x in range(len(values)):
        for y in range(x + 1, len(values)):
            rel[x, y] = rel[y, x] = _relation(values[x], values[y], distinct)
    for part in _set_partitions(list(range(len(values)))):
        if any(rel[x, y] == _DISTINCT for block in part for x in block for y in block if x < y):
            continue
        if any(rel[x, y] == _EQUAL for A in part for B in part if A is not B for x in A for y in B):
            continue
        weight = S.One
        for block in part:
            for x, y in zip(block, block[1:]):
                weight *= KroneckerDelta(values[x], values[y])
        for ia, A in enumerate(part):
            for B in part[ia + 1:]:
                if not any(rel[x, y] == _DISTINCT for x in A for y in B):
                    weight *= 1 - KroneckerDelta(values[A[0]], values[B[0]])
        yield weight, part


def _sample_moment(fam: _Family, atoms: list) -> sp.Expr:
    """E of a product of atoms of ONE sample: ``atoms`` = [(coords, power)]."""
    degree = sum(k for _, k in atoms)
    if degree == 0:
        return S.One
    if degree == 1:
        return fam.mean_at(atoms[0][0])
    if degree == 2:
        # covariance is symmetric; read it with the coordinates in SymPy's sort order
        c1, c2 = sorted((c for c, k in atoms for _ in range(k)), key=default_sort_key)
        return fam.cov_at(c1, c2) + fam.mean_at(c1) * fam.mean_at(c2)
    if fam.vector:
        raise UnsupportedExpectation(
            f"a product of {degree} coordinates of one sample of {fam.base} needs a moment of order {degree}; "
            "only mean and covariance of vector families are known")
    return _declared_moment(dict(fam.moments), degree, str(fam.base))


def _family_moment(fam: _Family, atoms: list, distinct: set) -> sp.Expr:
    """E of a product of atoms of one family: ``atoms`` = [(sample, coords, power)]."""
    values = sorted({s for s, _, _ in atoms}, key=default_sort_key)
    if len(values) == 1:
        return _sample_moment(fam, [(c, k) for _, c, k in atoms])
    total = S.Zero
    for weight, part in _coincidence_patterns(values, distinct):
        value = weight
        for block in part:
            samples = {values[x] for x in block}
            value *= _sample_moment(fam, [(c, k) for s, c, k in atoms if s in samples])
        total += value
    return total


def _monomial_moment(model: RandomModel, mono: frozenset, distinct: set) -> sp.Expr:
    """E of one monomial, by independence of its groups."""
    out = S.One
    by_family = defaultdict(list)
    for atom, k in mono:
        info = model.scalar_info(atom)
        if info is not None:
            out *= info.raw_moment(k)
        else:
            fam = model.family_of(atom)
            by_family[str(fam.base.label)].append((atom.indices[0], tuple(atom.indices[1:]), k))
    for key in sorted(by_family):
        fam = model._families[key]
        out *= _family_moment(fam, by_family[key], distinct)
    return out


# ---------------------------------------------------------------------------------------------
# Evaluating one term
# ---------------------------------------------------------------------------------------------
class _UnionFind:
    def __init__(self, items):
        self.parent = {x: x for x in items}

    def find(self, x):
        while self.parent[x] is not x:
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra is not rb:
            self.parent[rb] = ra

    def groups(self, order):
        out = defaultdict(list)
        for x in order:
            out[self.find(x)].append(x)
        return list(out.values())


def _components(term: _Term, model: RandomModel) -> list:
    """Summation indices whose coincidences matter, grouped into components (size >= 2).

    Linked: indices used as sample indices of the same family (they must share
    one range free of other indices), and indices tied by a KroneckerDelta
    with the same such range.
    """
    order = [v for v, _, _ in term.limits]
    index_set = set(order)
    rng = {v: (lo, hi) for v, lo, hi in term.limits}
    free_range = {v: not ((lo.free_symbols | hi.free_symbols) & index_set) for v, (lo, hi) in rng.items()}
    uf = _UnionFind(order)
    used_by = defaultdict(list)
    for mono, coeff in term.poly.items():
        for atom, _ in mono:
            fam = model.family_of(atom)
            if fam is None:
                continue
            s = atom.indices[0]
            if s in index_set:
                used_by[str(fam.base.label)].append(s)
            elif s.free_symbols & index_set:
                raise UnsupportedExpectation(
                    f"sample index {_show(s)} of {_show(atom)} is an expression of a summation index; "
                    "use the summation index itself as the sample index")
        for kd in coeff.atoms(KroneckerDelta):
            a, b = kd.args[:2]
            if a in index_set and b in index_set and rng[a] == rng[b] and free_range[a] and free_range[b]:
                uf.union(a, b)
    for fam, idx in used_by.items():
        idx = list(dict.fromkeys(idx))
        for a in idx[1:]:
            if not (free_range[a] and free_range[idx[0]]):
                raise UnsupportedExpectation(
                    f"sample indices of {fam} are summed over ranges depending on other summation indices "
                    f"({_show(rng[a])}, {_show(rng[idx[0]])}); triangular sums are not supported")
            if rng[a] != rng[idx[0]]:
                raise UnsupportedExpectation(
                    f"sample indices of {fam} are summed over different ranges {_show(rng[a])} and "
                    f"{_show(rng[idx[0]])}; only identical ranges are supported")
            uf.union(idx[0], a)
    comps = [g for g in uf.groups(order) if len(g) >= 2]
    for g in comps:
        if len(g) > MAX_PARTITIONED_INDICES:
            raise UnsupportedExpectation(
                f"{len(g)} summation indices over one sample range (at most {MAX_PARTITIONED_INDICES} supported)")
    return comps


def _zero_cross_deltas(expr, distinct: set):
    """KroneckerDelta between indices known to be distinct -> 0."""
    if not distinct:
        return expr
    hits = {kd: S.Zero for kd in expr.atoms(KroneckerDelta) if frozenset(kd.args[:2]) in distinct}
    return expr.xreplace(hits) if hits else expr


def _partition_value(term: _Term, model: RandomModel, sub: dict, distinct: set) -> sp.Expr:
    """E of the summand once indices are identified by ``sub`` (blocks pairwise distinct)."""
    h = S.Zero
    for mono, coeff in _rename(_Term((), term.poly), sub).poly.items():
        coeff = _zero_cross_deltas(coeff, distinct)
        if coeff == 0:
            continue
        h += coeff * _monomial_moment(model, mono, distinct)
    return sp.expand(h)


def _sum_over_distinct(h, blocks_by_comp: list, other_limits: list) -> sp.Expr:
    """Sum ``h`` over block indices pairwise distinct within each component.

    ``blocks_by_comp``: list of ``(reps, lo, hi)``. Uses the falling factorial
    when ``h`` does not depend on a component's indices, Moebius inversion
    otherwise.
    """
    pieces = [(h, [])]
    for reps, lo, hi in blocks_by_comp:
        nxt = []
        for expr, lims in pieces:
            if not (expr.free_symbols & set(reps)):
                nxt.append((expr * _falling(hi - lo + 1, len(reps)), lims))
                continue
            for sigma in _set_partitions(list(reps)):
                sub = {r: block[0] for block in sigma for r in block}
                nxt.append((_moebius(sigma) * expr.xreplace(sub), lims + [(b[0], lo, hi) for b in sigma]))
        pieces = nxt
    return Add(*[_build_sum(expr, other_limits + lims) for expr, lims in pieces])


def _eval_term(term: _Term, model: RandomModel) -> sp.Expr:
    """E of one term: partition the linked summation indices, then sum."""
    comps = _components(term, model)
    partitioned = {v for g in comps for v in g}
    rng = {v: (lo, hi) for v, lo, hi in term.limits}
    total = S.Zero
    for combo in cartesian(*[list(_set_partitions(g)) for g in comps]):
        sub, distinct, blocks_by_comp = {}, set(), []
        for part in combo:
            reps = [block[0] for block in part]
            for block in part:
                for v in block:
                    sub[v] = block[0]
            distinct |= {frozenset((a, b)) for a in reps for b in reps if a is not b}
            blocks_by_comp.append((reps, *rng[reps[0]]))
        h = _partition_value(term, model, sub, distinct)
        if h == 0:
            continue
        other = [(v, lo.xreplace(sub), hi.xreplace(sub)) for v, lo, hi in term.limits if v not in partitioned]
        total += _sum_over_distinct(h, blocks_by_comp, other)
    return total


# ---------------------------------------------------------------------------------------------
# Building and naming output sums
# ---------------------------------------------------------------------------------------------
def _build_sum(expr, limits: list) -> sp.Expr:
    """``Sum(expr, *limits)`` split into products of independent single sums."""
    if not limits:
        return expr
    return Add(*[_build_sum_monomial(t, limits) for t in Add.make_args(sp.expand(expr))])


def _build_sum_monomial(t, limits: list) -> sp.Expr:
    index_set = {v for v, _, _ in limits}
    factors = Mul.make_args(t)
    outside = [f for f in factors if not (f.free_symbols & index_set)]
    inside = [f for f in factors if f.free_symbols & index_set]
    dependent = any((lo.free_symbols | hi.free_symbols) & index_set for _, lo, hi in limits)
    if dependent:
        return Mul(*outside) * Sum(Mul(*inside), *limits)
    uf = _UnionFind([v for v, _, _ in limits])
    for f in inside:
        vs = [v for v, _, _ in limits if v in f.free_symbols]
        for v in vs[1:]:
            uf.union(vs[0], v)
    out = Mul(*outside)
    rng = {v: (lo, hi) for v, lo, hi in limits}
    for group in uf.groups([v for v, _, _ in limits]):
        body = [f for f in inside if f.free_symbols & set(group)]
        if not body:
            lo, hi = rng[group[0]]
            out *= hi - lo + 1
            continue
        out *= Sum(Mul(*body), *[(v, *rng[v]) for v in group])
    return out


def _collect_names(expr) -> dict:
    """Summation indices the author used, by range: {(lo, hi): [symbols sorted by name]}."""
    names = defaultdict(set)
    for s in expr.atoms(Sum):
        for lim in s.limits:
            if len(lim) == 3 and not isinstance(lim[0], Dummy):
                names[(lim[1], lim[2])].add(lim[0])
    return {k: sorted(v, key=lambda x: (x.name, default_sort_key(x))) for k, v in names.items()}


def _pick_name(d: Dummy, lo, hi, taken: set, names: dict) -> Symbol:
    for cand in names.get((lo, hi), []):
        if cand not in taken:
            return cand
    base = Symbol(d.name, **d.assumptions0)
    k = 1
    cand = base
    while cand in taken:
        cand = Symbol(f"{d.name}_{k}", **d.assumptions0)
        k += 1
    return cand


def _canonical_names(expr, names: dict, avoid: set):
    """Rename Dummy-bound summation indices to the author's names (alpha-renaming only)."""
    if not expr.args:
        return expr
    if isinstance(expr, Sum):
        body = _canonical_names(expr.function, names, avoid)
        limits = [tuple(lim) for lim in expr.limits]
        for k, (d, lo, hi) in enumerate(limits):
            if not isinstance(d, Dummy):
                continue
            taken = set(avoid) | body.atoms(Symbol)
            for v, a, b in limits:
                taken |= {v} | a.atoms(Symbol) | b.atoms(Symbol)
            new = _pick_name(d, lo, hi, taken, names)
            body = body.xreplace({d: new})
            limits = [(new if v == d else v, a.xreplace({d: new}), b.xreplace({d: new})) for v, a, b in limits]
        return Sum(body, *limits)
    new_args = [_canonical_names(a, names, avoid) for a in expr.args]
    if all(a is b for a, b in zip(new_args, expr.args)):
        return expr
    return expr.func(*new_args)


# ---------------------------------------------------------------------------------------------
# Evaluation of the operators
# ---------------------------------------------------------------------------------------------
class _Evaluator:
    def __init__(self, model: RandomModel, names: dict):
        self.model = model
        self.names = names
        self.expander = _Expander(model)

    def finish(self, value):
        value = sp.expand(value)
        avoid = {s for s in value.free_symbols if not isinstance(s, Dummy)}
        return _canonical_names(value, self.names, avoid)

    def mean(self, arg):
        """E[arg]."""
        if not self.expander.is_random(arg):
            return arg
        total = Add(*[_eval_term(t, self.model) for t in self.expander.terms(arg)])
        return self.finish(total)

    def variance(self, arg):
        if not self.expander.is_random(arg):
            return S.Zero
        return self.mean((arg - self.mean(arg)) ** 2)

    def covariance(self, x, y):
        if not (self.expander.is_random(x) and self.expander.is_random(y)):
            return S.Zero
        return self.mean((x - self.mean(x)) * (y - self.mean(y)))

    def operator(self, node):
        if isinstance(node, E):
            return self.mean(node.args[0])
        if isinstance(node, Var):
            return self.variance(node.args[0])
        return self.covariance(*node.args)

    def sum_of_expectations(self, node: Sum):
        """A Sum whose summand held an E: finish it as part of the expectation
        (coinciding indices via KroneckerDelta, constant factors out)."""
        if self.expander.is_random(node.function) or any(len(lim) != 3 for lim in node.limits):
            return node
        (term,) = self.expander._sum(node)   # a deterministic summand gives exactly one term
        return self.finish(_eval_term(term, self.model))

    def walk(self, expr):
        """Evaluate operators innermost first."""
        if not expr.args or not expr.has(*_OPERATORS):
            return expr
        new = expr.func(*[self.walk(a) for a in expr.args])
        if isinstance(new, _OPERATORS):
            return self.operator(new)
        if isinstance(new, Sum) and isinstance(expr, Sum) and expr.function.has(*_OPERATORS):
            return self.sum_of_expectations(new)
        return new


def expect(expr, model: RandomModel):
    """Evaluate every ``E``, ``Var``, ``Cov`` in ``expr`` (nested allowed).

    The rest of ``expr`` is returned untouched; an expression without these
    operators is returned as is. Raises :class:`UnsupportedExpectation` when a
    needed moment or construct is not known to the model.
    """
    expr = sp.sympify(expr)
    if not expr.has(*_OPERATORS):
        return expr
    return _Evaluator(model, _collect_names(expr)).walk(expr)
