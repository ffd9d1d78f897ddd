"""Mutation testing of the built-in catalog (issue 8).

    python -m bench.mutate [-j N] [--claims PATTERN ...] [--limit N] [--seed N] [--json FILE] [--doc FILE]

For every catalog claim whose verdict is ``proved``, the script mutates the SymPy relation objects
(never the source text) of

* the **statement** (``d.statements`` after the claim's builder has run), and separately
* **one middle step** (``d.steps[k].relation``, k = the middle one of the checked steps; the step's own
  fact, which later steps may use, receives the same relation),

with these operators, each applied at every position where it applies:

``const+1`` / ``const*2`` / ``const^-1``  each numeric constant c becomes c + 1, 2c, 1/c
``sign``     each numeric constant, additive term and relation side negated; an inequality reversed
``swap``     each pair of free symbols (or indexed bases) of the same kind (class, assumptions, random or
             not) exchanged
``drop``     each additive term removed
``exp+1`` / ``exp-1``  each exponent e becomes e + 1, e - 1

(Constants inside ``Indexed`` indices are names, not values, and are left alone; so are bound
variables, a ``Limit``'s direction and a ``Derivative``'s order.) Mutants structurally equal to the
original or to an earlier mutant are dropped.

Each mutant is first classified by an **independent check** (:class:`Checker`; it never calls the
engine's cascade, premise solver or sampler). The relation's premises become a substitution (``atom =
expr`` substitutes the atom; equations naming the derivation's unknowns are solved with ``sympy.solve``;
anything else is a constraint that rejects the points where it fails). Premise sets are tried in order
until the *original* relation holds at enough points: for the statement, all givens, assumptions and
definitions, then the givens the derivation actually uses (through the steps' ``using``), then the direct
premises of the step that establishes the statement; for a step, its own ``using`` facts plus the
definitions (exactly what the engine may use), then the givens it rests on, then all givens. Random
points are drawn for the remaining symbols (exact rationals respecting assumptions, declared bounds and
the claim's own sampler; undefined functions become random smooth functions), expectations are computed
from the random model's declared moments on concrete finite samples, sums are expanded, derivatives,
``Subs``, ``Piecewise`` and limits are evaluated at the point (SymPy's ``doit``), and original and mutant
are compared to 40 digits (relative). A mutant that holds at every point where the original holds (at
least 3 of 24) is **equivalent** (still true); one that fails at such a point is **false**; when the
original cannot be reproduced at enough points, or the evaluation fails, it is **undecided** (reported,
never counted as false). Expectations the independent evaluator cannot take (a limit whose variable sits
inside an expectation, moments it does not know) fall back to the engine's expectation algebra
(``proofs.expectation.expect``), and the report counts the decisions that needed it.

Then the engine (``proofs.engine.check_claim``) runs on the mutated claim in a forked process with a
hard time limit. For statement mutants the claim's witnesses run on the mutated statement too; a witness
that observes ``fails`` **flags** the mutant.

The script writes ``docs/mutation.md`` (tables only, no timings, so a re-run at the same commit on an
unloaded machine regenerates it identically) and, with ``--json``, every mutant's record.
"""
from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import hashlib
import inspect
import json
import os
import random
import re
import subprocess
import sys
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational
from sympy.tensor.indexed import Indexed, IndexedBase

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "mutation.md"
DOC_TITLE = "# Mutation testing of the catalog"
ENGINE_TIMEOUT = 60.0        # hard limit per mutant for the engine (seconds, process killed)
CHECK_TIMEOUT = 30.0         # limit per mutant for the independent check
STAGE_TIMEOUT = 5.0          # the engine's own per-stage limit (its default)
N_POINTS = 24                # random points per independent check
MAX_PER_TARGET = 100         # the full run samples a target with more mutants than this evenly
MIN_POINTS = 3               # points where the original must hold for a decision
TOL_DIGITS = 40


# =============================================================================================
# Mutation operators (on SymPy relation objects)
# =============================================================================================
@dataclass
class Mutant:
    op: str                 # operator name (see module docstring)
    where: str              # "lhs", "rhs", "relation 2 rhs", "statement", ...
    desc: str               # what changed, e.g. "2 -> 3 in N**2 - 2*N"
    relation: object = None  # the mutated relation (or tuple of relations), same shape as the original

    def label(self) -> str:
        return f"{self.op} {self.where}: {self.desc}" if self.where else f"{self.op}: {self.desc}"


def _short(e, n: int = 60) -> str:
    s = sp.sstr(e)
    return s if len(s) <= n else s[: n - 3] + "..."


def _value_children(node, role: str = "expr"):
    """(arg index, child, role) of the positions that hold values (not bound variables, indices, flags)."""
    if role == "limits":                    # Tuple(var, lo, hi) of a Sum/Product
        return [(i, a, "expr") for i, a in enumerate(node.args) if i > 0]
    if role == "points":                    # Tuple of a Subs' points
        return [(i, a, "expr") for i, a in enumerate(node.args)]
    if isinstance(node, (sp.Symbol, sp.Number, Indexed, IndexedBase, sp.NumberSymbol)) or node.is_Atom:
        return []
    if isinstance(node, (sp.Sum, sp.Product, sp.Integral)):
        return [(0, node.args[0], "expr")] + [(i, a, "limits") for i, a in enumerate(node.args) if i > 0]
    if isinstance(node, sp.Limit):
        out = [(0, node.args[0], "expr")]
        if node.args[2].is_finite:
            out.append((2, node.args[2], "expr"))
        return out
    if isinstance(node, sp.Derivative):
        return [(0, node.args[0], "expr")]
    if isinstance(node, sp.Subs):
        return [(0, node.args[0], "expr"), (2, node.args[2], "points")]
    return [(i, a, "expr") for i, a in enumerate(node.args) if isinstance(a, sp.Basic)]


def _walk(node, path=(), role="expr", parent=None, index=None):
    """Pre-order (path, node, parent, index-in-parent, role) over value positions."""
    yield path, node, parent, index, role
    for i, child, crole in _value_children(node, role):
        yield from _walk(child, path + (i,), crole, node, i)


def _rebuild(node, args):
    if isinstance(node, Relational):
        return type(node)(*args, evaluate=False)
    return node.func(*args)


def _replace(root, path, new):
    if not path:
        return new
    args = list(root.args)
    args[path[0]] = _replace(args[path[0]], path[1:], new)
    return _rebuild(root, args)


def _bad(e) -> bool:
    return isinstance(e, sp.Basic) and (e.has(sp.nan) or e.has(sp.zoo))


def _relation_mutants(rel, where: str) -> list:
    """Mutants (position-wise operators) of one relation; ``where`` prefixes the location."""
    out = []
    if not isinstance(rel, Relational):
        return out
    sides = {0: "lhs", 1: "rhs"}

    def add(op, path, new, desc):
        try:
            m = _replace(rel, path, new)
        except Exception:  # noqa: BLE001 - a mutant SymPy cannot build is skipped
            return
        if _bad(m) and not _bad(rel):
            return
        side = sides.get(path[0], "") if path else ""
        out.append(Mutant(op, f"{where} {side}".strip(), desc, m))

    for path, node, parent, idx, role in _walk(rel):
        if not path:
            continue
        ctx = _short(parent) if parent is not None and parent is not rel else _short(node)
        # numeric constants (not exponents: see exp+-1; not the -1 of a negation: see sign)
        if isinstance(node, sp.Number) and node.is_finite:
            in_exponent = isinstance(parent, sp.Pow) and idx == 1
            minus_one = node == -1 and isinstance(parent, sp.Mul)
            if not in_exponent and not minus_one:
                add("const+1", path, node + 1, f"{node} -> {node + 1} in {ctx}")
                if node != 0:
                    add("const*2", path, 2 * node, f"{node} -> {2 * node} in {ctx}")
                if node not in (0, 1, -1):
                    add("const^-1", path, 1 / node, f"{node} -> {1 / node} in {ctx}")
            if node != 0 and not in_exponent:
                add("sign", path, -node, f"{node} -> {-node} in {ctx}")
        if isinstance(node, sp.Add):
            terms = list(node.args)
            for j, t in enumerate(terms):
                neg = terms[:j] + [-t] + terms[j + 1:]
                add("sign", path, sp.Add(*neg), f"term {_short(t, 40)} negated in {_short(node)}")
                add("drop", path, sp.Add(*(terms[:j] + terms[j + 1:])),
                    f"term {_short(t, 40)} dropped from {_short(node)}")
        if isinstance(node, sp.Pow):
            b, e = node.args
            for op, new_e in (("exp+1", e + 1), ("exp-1", e - 1)):
                add(op, path, sp.Pow(b, new_e), f"{_short(node, 40)} -> {_short(sp.Pow(b, new_e), 40)}")
    # relation-level: negate a side, reverse an inequality
    for i, side in ((0, "lhs"), (1, "rhs")):
        s = rel.args[i]
        if s != 0:
            try:
                m = type(rel)(*(list(rel.args[:i]) + [-s] + list(rel.args[i + 1:])), evaluate=False)
                out.append(Mutant("sign", f"{where} {side}".strip(), f"side {_short(s, 40)} negated", m))
            except Exception:  # noqa: BLE001
                pass
    flips = {sp.StrictLessThan: sp.StrictGreaterThan, sp.StrictGreaterThan: sp.StrictLessThan,
             sp.LessThan: sp.GreaterThan, sp.GreaterThan: sp.LessThan}
    if type(rel) in flips:
        out.append(Mutant("sign", where or "relation", f"{rel.rel_op} reversed",
                          flips[type(rel)](rel.lhs, rel.rhs, evaluate=False)))
    return out


def _kind(x, random_symbols) -> tuple:
    if isinstance(x, IndexedBase):
        return ("IndexedBase", tuple(sorted(x.assumptions0.items())), str(x.label) in random_symbols)
    return (type(x).__name__, tuple(sorted(x.assumptions0.items())), x in random_symbols)


def _swap_candidates(rels, random_symbols) -> list:
    syms, bases = set(), set()
    for r in rels:
        for s in r.free_symbols:
            if type(s) is sp.Symbol:
                syms.add(s)
        for ix in r.atoms(Indexed):
            bases.add(ix.base)
    labels = {b.label for b in bases}
    syms -= labels
    items = sorted(syms, key=sp.default_sort_key) + sorted(bases, key=lambda b: str(b.label))
    groups = defaultdict(list)
    for x in items:
        groups[_kind(x, random_symbols)].append(x)
    pairs = []
    for members in groups.values():
        pairs += list(combinations(members, 2))
    return pairs


def mutants(relation, random_symbols=frozenset()) -> list:
    """All mutants of a relation or tuple of relations (same shape as the input), deduplicated, in a fixed order.

    ``random_symbols``: random scalar symbols and random family labels (str) of the claim's model, so that a
    random variable is only swapped with another random variable.
    """
    rels = relation if isinstance(relation, tuple) else (relation,)
    out = []
    for j, r in enumerate(rels):
        where = f"relation {j + 1}" if len(rels) > 1 else ""
        for m in _relation_mutants(r, where):
            if len(rels) > 1:
                m.relation = rels[:j] + (m.relation,) + rels[j + 1:]
            out.append(m)
    for a, b in _swap_candidates(rels, random_symbols):
        swapped = tuple(r.xreplace({a: b, b: a}) for r in rels)
        name = (lambda x: str(x.label) if isinstance(x, IndexedBase) else str(x))
        out.append(Mutant("swap", "statement" if len(rels) > 1 else "", f"{name(a)} <-> {name(b)}",
                          swapped if len(rels) > 1 else swapped[0]))
    seen = [relation]
    uniq = []
    for m in out:
        if any(_same(m.relation, s) for s in seen):
            continue
        seen.append(m.relation)
        uniq.append(m)
    return uniq


def _same(a, b) -> bool:
    try:
        return a == b
    except Exception:  # noqa: BLE001
        return False


# =============================================================================================
# The independent check: is a mutant still true?
# =============================================================================================
class Unevaluable(Exception):
    """The independent evaluator cannot give this expression a value."""


@dataclass
class Decision:
    status: str             # "false" | "equivalent" | "undecided"
    how: str                # how it was decided (or why not)
    point: dict | None = None   # a point where the mutant fails (false mutants)
    engine_expect: bool = False  # expectations taken with the engine's expect() (not independent)


def _stable(*parts) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:8], "big")


_EVAL_OPS = (sp.Sum, sp.Product, sp.Derivative, sp.Subs, sp.Limit, sp.Piecewise, sp.Min, sp.Max,
             sp.KroneckerDelta, sp.factorial, sp.Abs, sp.sign)


def _substitutable(x, unknowns) -> bool:
    if x in unknowns:
        return True
    return isinstance(x, (sp.Symbol, Indexed, AppliedUndef)) and not isinstance(x, sp.Dummy)


def _subst(e, mapping):
    """``xreplace`` that leaves each node's bound variables alone inside that node."""
    if e in mapping:
        return mapping[e]
    if not isinstance(e, sp.Basic) or e.is_Atom:
        return e
    bound = set()
    if isinstance(e, (sp.Sum, sp.Product, sp.Integral)):
        bound = {lim[0] for lim in e.limits}
    elif isinstance(e, sp.Limit):
        bound = {e.args[1]}
    elif isinstance(e, (sp.Subs, sp.Derivative)):
        bound = set(e.variables)
    inner = {k: v for k, v in mapping.items() if k not in bound} if bound & set(mapping) else mapping
    args = tuple(_subst(a, inner) for a in e.args)
    return e.func(*args) if args != e.args else e


def _bound_symbols(expr) -> set:
    out = set()
    for n in sp.preorder_traversal(expr):
        if isinstance(n, (sp.Sum, sp.Product, sp.Integral)):
            out |= {lim[0] for lim in n.limits}
        elif isinstance(n, sp.Limit):
            out.add(n.args[1])
        elif isinstance(n, sp.Subs):
            out |= set(n.variables)
        elif isinstance(n, sp.Derivative):
            out |= set(n.variables)
    return out


class _Premises:
    """One set of premises turned into substitutions (one per solution) and constraints."""

    def __init__(self, label: str, facts, unknowns, timeout: float):
        self.label = label
        self.notes: list = []
        self.alternatives, self.constraints = self._build(facts, list(unknowns), timeout)

    def _build(self, facts, unknowns_list, timeout):
        mapping, constraints, pending, targets = {}, [], [], []
        unknowns = set(unknowns_list)
        for f in facts:
            rels = f.relation if isinstance(f.relation, tuple) else (f.relation,)
            for rel in rels:
                if rel is sp.true or rel is True:
                    continue
                if not isinstance(rel, sp.Equality):
                    constraints.append(rel)
                    continue
                lhs, rhs = rel.lhs, rel.rhs
                if f.kind == "definition":
                    mapping[lhs] = rhs
                    if isinstance(lhs, Indexed) and 1 < len(lhs.indices) <= 3 and \
                            len(set(lhs.indices)) == len(lhs.indices) and all(i.is_Symbol for i in lhs.indices):
                        # a definition of an entry defines the family: Sigma^B[i, j] := ... gives Sigma^B[j, i] too
                        from itertools import permutations
                        for perm in permutations(lhs.indices):
                            key = lhs.base[perm]
                            if key not in mapping:
                                mapping[key] = rhs.xreplace(dict(zip(lhs.indices, perm)))
                    continue
                solve_for = [t for t in f.solve_for if rel.has(t)]
                if solve_for:
                    pending.append(lhs - rhs)
                    targets += [t for t in solve_for if t not in targets]
                    continue
                if _substitutable(lhs, unknowns) and not rhs.has(lhs) and lhs not in mapping:
                    mapping[lhs] = rhs
                    continue
                named = [u for u in unknowns_list if rel.has(u) and u not in mapping and u not in targets]
                if named:
                    pending.append(lhs - rhs)
                    targets += named
                    continue
                if _substitutable(rhs, unknowns) and not lhs.has(rhs) and rhs not in mapping:
                    mapping[rhs] = lhs
                    continue
                if any(rel.has(t) for t in targets):
                    pending.append(lhs - rhs)
                    continue
                constraints.append(rel)
        if not pending:
            return [mapping], constraints
        eqs = [Checker._apply(e, mapping) for e in pending]
        with _limit(timeout):
            sols = sp.solve(eqs, targets, dict=True)
        if not sols:
            raise Unevaluable(f"sympy.solve finds no solution of the premises for {', '.join(map(str, targets))}")
        if len(sols) > 1:
            self.notes.append(f"{len(sols)} solutions of the premises; each point uses the first admissible one")
        alternatives = []
        for s in sols:
            m = dict(mapping)
            m.update(s)
            alternatives.append(m)
        self.solved = [t for t in targets if isinstance(t, sp.Symbol)]
        return alternatives, constraints


class Checker:
    """Decide mutants of one relation by evaluating them at random points satisfying the premises.

    ``premise_sets``: [(label, facts), ...] tried in order; the first under which the *original* relation
    holds at enough points is used (e.g. all givens, then only the givens the derivation uses, then the
    direct premises of the step that establishes the statement). Within a set, an equation ``atom = expr``
    (a symbol, a deterministic indexed entry, an undefined function's value, or a declared unknown)
    substitutes the atom; equations naming unknowns (or ``solve_for``) are solved with ``sympy.solve``;
    anything else (inequalities, equations between expectations, ...) is a *constraint* checked at each
    point, which rejects the points where it fails.
    """

    def __init__(self, d, premise_sets, key: str, *, tols=None, n_points: int = N_POINTS, timeout: float = 10.0):
        self.d = d
        model = d._random
        self.model = model
        self.random_symbols = set(model._scalars) if model is not None else set()
        self.random_bases = set(model._families) if model is not None else set()
        self.cov_bases = {str(f.cov.label) for f in model._families.values()
                          if f.vector and isinstance(f.cov, IndexedBase)} if model is not None else set()
        self.unknowns = list(d.unknown_symbols)
        self.key = key
        self.tols = dict(tols or {})      # relation -> tolerance (a "numeric" step: |lhs - rhs| <= tol)
        self.n_points = n_points
        self.timeout = timeout
        self.engine_expect_used = False
        self.two_point_used = False
        self.premise_sets = list(premise_sets)
        self.premises = None               # the _Premises in use
        self._points = None
        self._funcs: dict = {}

    @staticmethod
    def _apply(expr, mapping, rounds: int = 25):
        """Substitute to a fixed point; a variable bound by a Limit, Sum, Subs or Derivative is not substituted
        inside that node (lim_{Delta_t -> 0} stays a limit in Delta_t even where a given says Delta_t = k eta)."""
        if not mapping:
            return expr
        protect = bool(_bound_symbols(expr) & set(mapping))
        for _ in range(rounds):
            new = _subst(expr, mapping) if protect else expr.xreplace(mapping)
            if new == expr:
                return new
            expr = new
        return expr

    # -- points -----------------------------------------------------------------------------
    @staticmethod
    def _magnitude(rnd):
        """A positive rational spread over several orders of magnitude, often below 1 (edge cases live there)."""
        u = rnd.random()
        if u < 0.4:
            return sp.Rational(rnd.randint(1, 12), rnd.randint(1, 12))
        if u < 0.7:
            return sp.Rational(rnd.randint(1, 30), rnd.randint(1, 100))
        return sp.Rational(rnd.randint(1, 40000), rnd.randint(1000, 9999))

    def _draw(self, atom, seed):
        rnd = random.Random(_stable(seed, sp.srepr(atom)))
        bounds = self.d.bounds.get(atom)
        if bounds is not None:
            lo, hi = bounds
            lo_in, hi_in = self.d.closed.get(atom, (False, False))
            if (lo_in or hi_in) and rnd.random() < 0.15:
                return lo if (lo_in and (not hi_in or rnd.random() < 0.5)) else hi
            if lo.is_finite and hi.is_finite:
                return lo + (hi - lo) * sp.Rational(rnd.randint(1, 9999), 10000)
            mag = self._magnitude(rnd)
            return lo + mag if lo.is_finite else hi - mag
        if atom.is_integer:
            if atom.is_positive:
                return sp.Integer(rnd.randint(1, 5))
            if atom.is_nonnegative:
                return sp.Integer(rnd.randint(0, 5))
            if atom.is_negative:
                return sp.Integer(-rnd.randint(1, 5))
            v = rnd.randint(-4, 5)
            return sp.Integer(v if (v or not atom.is_nonzero) else 1)
        mag = self._magnitude(rnd)
        if atom.is_positive:
            return mag
        if atom.is_nonnegative:
            return sp.Integer(0) if rnd.random() < 0.1 else mag
        if atom.is_negative or atom.is_nonpositive:
            return -mag
        return mag if rnd.random() < 0.5 else -mag

    def _symmetric(self, atom):
        """A covariance entry cov[c1, c2] of a vector family is cov[c2, c1]: one value for both orders."""
        label = str(atom.base.label)
        if label not in self.cov_bases or len(atom.indices) % 2:
            return atom
        n = len(atom.indices) // 2
        c1, c2 = tuple(atom.indices[:n]), tuple(atom.indices[n:])
        key = lambda c: tuple(sp.default_sort_key(x) for x in c)  # noqa: E731
        return atom.base[c1 + c2] if key(c1) <= key(c2) else atom.base[c2 + c1]

    def _random_function(self, func, nargs: int, seed):
        """A random smooth function (cubic polynomial plus an exponential; every derivative is non-zero)."""
        key = (str(func), nargs, seed)
        if key not in self._funcs:
            rnd = random.Random(_stable(seed, "function", func, nargs))
            xs = sp.symbols(f"_x0:{nargs}", real=True)

            def c():
                return sp.Rational(rnd.randint(-30, 30), rnd.randint(7, 19))
            body = c() + sum(c() * x for x in xs)
            body += sum(c() * xs[i] * xs[j] for i in range(nargs) for j in range(i, nargs))
            body += sum(c() * x ** 3 for x in xs) / 7
            body += c() * sp.exp(sum(c() * x for x in xs) / 5)
            self._funcs[key] = sp.Lambda(xs, body)
        return self._funcs[key]

    def point(self, i: int, premises, alt: int = 0) -> dict:
        seed = _stable(self.key, "point", i)
        pt = {"__seed__": seed, "__map__": premises.alternatives[alt]}
        if self.d.custom_sampler is not None:
            rnd = random.Random(_stable(seed, "custom"))
            for a, v in self.d.custom_sampler(rnd).items():
                pt[sp.sympify(a)] = sp.nsimplify(v, rational=True) if isinstance(v, float) else sp.sympify(v)
        return pt

    # -- evaluation -------------------------------------------------------------------------
    def _free_atoms(self, e) -> list:
        """Deterministic atoms that need a value (symbols, indexed entries with free indices), sorted."""
        bound = _bound_symbols(e)
        out = set()
        for s in e.free_symbols:
            if isinstance(s, Indexed):
                if str(s.base.label) in self.random_bases:
                    continue
                if any(i.free_symbols & bound for i in s.indices):
                    continue
                out.add(s)
            elif isinstance(s, sp.Symbol) and s not in self.random_symbols:
                out.add(s)
        labels = {ix.base.label for ix in e.atoms(Indexed)}
        out = {s for s in out if s not in labels}
        return sorted(out, key=sp.default_sort_key)

    def _expand_sums(self, e):
        """Finite sums and products with numeric limits, in the ordinary sense (an empty range is empty)."""
        def rule(node):
            if isinstance(node, (sp.Sum, sp.Product)):
                if not all(lo.is_Integer and hi.is_Integer for _, lo, hi in node.limits):
                    if all(lo.is_number and hi.is_number and lo.is_finite and hi.is_finite
                           for _, lo, hi in node.limits):
                        raise Unevaluable("a sum with a non-integer limit")
                    return node
                terms = [node.function]
                for var, lo, hi in node.limits:
                    if int(hi) - int(lo) > 400:
                        raise Unevaluable(f"a sum over {int(hi) - int(lo) + 1} terms")
                    terms = [t.xreplace({var: sp.Integer(k)}) for t in terms for k in range(int(lo), int(hi) + 1)]
                return sp.Add(*terms) if isinstance(node, sp.Sum) else sp.Mul(*terms)
            return node
        return _bottom_up(e, rule)

    def _expectations(self, e, pt):
        """Evaluate E/Var/Cov nodes whose arguments are deterministic apart from random atoms."""
        E, Var, Cov = _expect_ops()

        def rule(node):
            if not isinstance(node, (E, Var, Cov)):
                return node
            if any(a.has(E, Var, Cov) for a in node.args) or any(self._free_atoms(a) for a in node.args):
                return node
            if isinstance(node, E):
                return self._mean(node.args[0], pt, node)
            if isinstance(node, Var):
                x = node.args[0]
                return self._mean(sp.expand(x ** 2), pt, node) - self._mean(x, pt, node) ** 2
            x, y = node.args
            return self._mean(sp.expand(x * y), pt, node) - self._mean(x, pt, node) * self._mean(y, pt, node)
        return _bottom_up(e, rule)

    def _random_atoms(self, e) -> list:
        out = [s for s in e.free_symbols if s in self.random_symbols]
        out += [ix for ix in e.atoms(Indexed) if str(ix.base.label) in self.random_bases]
        return sorted(set(out), key=sp.default_sort_key)

    def _mean(self, x, pt, node):
        """E[x] for a polynomial x in random atoms with numeric coefficients, from the declared moments:
        independent groups are the scalars and the samples (first index) of each family."""
        atoms = self._random_atoms(x)
        if not atoms:
            return x
        try:
            poly = sp.Poly(sp.expand(x), *atoms)
        except (sp.PolynomialError, sp.GeneratorsNeeded) as e:
            return self._engine_mean(node, pt, f"not a polynomial in the random variables ({_short(str(e), 60)})")
        total = sp.Integer(0)
        for monom, coeff in poly.terms():
            groups = defaultdict(list)
            for a, k in zip(atoms, monom):
                if k:
                    key = ("scalar", a) if isinstance(a, sp.Symbol) else ("family", str(a.base.label), a.indices[0])
                    groups[key].append((a, k))
            value = coeff
            for key, items in groups.items():
                m = self._moment(key, items, pt)
                if m is None:
                    return self._engine_mean(node, pt, f"a moment of {', '.join(f'{a}**{k}' for a, k in items)} "
                                             "that the model does not declare")
                value *= m
            total += value
        return self.value(total, pt)

    def _moment(self, key, items, pt):
        model = self.model
        if key[0] == "scalar":
            (a, k), = items
            info = model._scalars[a]
            if info.p is not None:
                return info.p
            if k == 1:
                return info.mean
            if k == 2:
                return info.var + info.mean ** 2
            got = dict(info.moments).get(k)
            return got if got is not None else self._two_point(info.mean, info.var, k, (a, pt["__seed__"]))
        fam = model._families[key[1]]
        degree = sum(k for _, k in items)
        if not fam.vector:
            (a, k), = items
            if k == 1:
                return fam.mean
            if k == 2:
                return fam.cov + fam.mean ** 2
            got = dict(fam.moments).get(k)
            return got if got is not None else self._two_point(fam.mean, fam.cov, k, (key, pt["__seed__"]))
        coords = []
        for a, k in items:
            coords += [tuple(a.indices[1:])] * k
        if degree == 1:
            return fam.mean_at(coords[0])
        if degree == 2:
            return fam.cov_at(coords[0], coords[1]) + fam.mean_at(coords[0]) * fam.mean_at(coords[1])
        return None

    def _two_point(self, mean, var, k: int, key):
        """E[X**k] of a random skewed two-point law with the declared mean and variance: the model leaves higher
        moments free, so a relation must hold for this law too (a relation that fails for it is false)."""
        rnd = random.Random(_stable("two-point", key))
        p = sp.Rational(rnd.choice((1, 2, 3, 4, 6, 7, 8, 9)), 10)
        za, zb = sp.sqrt((1 - p) / p), -sp.sqrt(p / (1 - p))
        self.two_point_used = True
        return sum(sp.binomial(k, j) * mean ** (k - j) * sp.sqrt(var) ** j * (p * za ** j + (1 - p) * zb ** j)
                   for j in range(k + 1))

    def _engine_mean(self, node, pt, why):
        """Fallback (not independent): the engine's expectation algebra on this node."""
        from proofs.expectation import UnsupportedExpectation, expect
        try:
            v = expect(node, self.model)
        except UnsupportedExpectation as e:
            raise Unevaluable(f"expectation: {why}; the engine's algebra: {_short(str(e), 90)}") from None
        self.engine_expect_used = True
        return self.value(v, pt)

    def _limits_of_expectations(self, e):
        """A limit whose variable sits inside an expectation (a Sum up to B, B -> oo): the expectation cannot
        be taken on a concrete sample, so (not independent) the engine's expectation algebra takes it."""
        E, Var, Cov = _expect_ops()
        from proofs.expectation import UnsupportedExpectation, expect

        def rule(node):
            if isinstance(node, sp.Limit) and node.args[0].has(E, Var, Cov):
                try:
                    body = expect(node.args[0], self.model)
                except UnsupportedExpectation as exc:
                    raise Unevaluable(f"a limit of an expectation; the engine's algebra: {_short(str(exc), 90)}") \
                        from None
                self.engine_expect_used = True
                return sp.Limit(body, *node.args[1:])
            return node
        return _bottom_up(e, rule)

    def _functions(self, e, pt):
        undef = sorted({a.func for a in e.atoms(AppliedUndef)}, key=str)
        for f in undef:
            nargs = {len(a.args) for a in e.atoms(AppliedUndef) if a.func == f}
            for n in sorted(nargs):
                lam = self._random_function(f, n, pt["__seed__"])
                e = e.replace(lambda x, f=f, n=n: isinstance(x, AppliedUndef) and x.func == f and len(x.args) == n,
                              lambda x, lam=lam: lam(*x.args))
        return e

    def value(self, expr, pt, mapped: bool = False):
        """The value of ``expr`` at point ``pt`` (extended in place): a SymPy number, oo/-oo, or None if undefined.

        Order: the premises' substitution; derivatives taken symbolically (so that a substituted unknown such
        as d phi/dt is replaced where the chain rule produces it; d/dx E[f] = E[df/dx]); undefined functions
        replaced by random smooth functions; then, repeatedly, values for the remaining atoms, finite sums,
        ``doit`` of limits, ``Subs``, ``Piecewise`` and the like, and expectations from the declared moments.
        """
        e = sp.sympify(expr)
        mapping = pt["__map__"]
        if not mapped:
            e = self._apply(e, mapping)
            if e.has(sp.Derivative):
                e = self._apply(_bottom_up(e, _doit_derivative), mapping)
            if self.model is not None and e.has(sp.Limit):
                e = self._limits_of_expectations(e)
        if e.atoms(AppliedUndef):
            e = self._functions(e, pt)
            if e.has(sp.Derivative):
                e = _bottom_up(e, _doit_derivative)
        for _ in range(12):
            atoms = self._free_atoms(e)
            plain = [a for a in atoms if not isinstance(a, Indexed)]
            for a in plain:
                if a not in pt:
                    pt[a] = self._draw(a, pt["__seed__"])
            e = e.xreplace({a: pt[a] for a in plain})
            for a in self._free_atoms(e):
                if isinstance(a, Indexed) and all(i.is_number for i in a.indices) and a not in pt:
                    canon = self._symmetric(a)
                    if canon not in pt:
                        pt[canon] = self._draw(canon, pt["__seed__"])
                    pt[a] = pt[canon]
            e = e.xreplace({a: pt[a] for a in self._free_atoms(e) if a in pt})
            e = self._expand_sums(e)
            if e.has(*_EVAL_OPS):
                e = e.doit()
            if self.model is not None:
                e = self._expectations(e, pt)
            if not self._free_atoms(e) and not e.has(*_expect_ops()):
                break
        if self._free_atoms(e):
            raise Unevaluable("no value for " + ", ".join(map(str, self._free_atoms(e)[:4])))
        if self._random_atoms(e):
            raise Unevaluable("a random variable outside E[...]")
        if e.has(sp.Limit) or e.has(sp.AccumBounds) or e.has(sp.Integral):
            raise Unevaluable("a limit that SymPy cannot take at this point")
        if e.has(sp.nan, sp.zoo):
            return None
        if e in (sp.oo, -sp.oo):
            return e
        if e.has(sp.oo, -sp.oo):
            return None
        return e

    def truth(self, rel, pt):
        """Does ``rel`` hold at ``pt``? True / False / None (undefined there)."""
        if rel is sp.true or rel is True:
            return True
        if rel is sp.false or rel is False:
            return False
        if isinstance(rel, tuple):
            vals = [self.truth(r, pt) for r in rel]
            if False in vals:
                return False
            return None if None in vals else True
        a = self.value(rel.lhs, pt)
        b = self.value(rel.rhs, pt)
        if a is None or b is None:
            return None
        if a.is_infinite or b.is_infinite:
            if isinstance(rel, sp.Equality):
                return a == b
            return bool(type(rel)(a, b)) if (a != b) else isinstance(rel, (sp.GreaterThan, sp.LessThan))
        diff = sp.N(a - b, TOL_DIGITS + 10)
        scale = max(abs(sp.N(a, TOL_DIGITS + 10)), abs(sp.N(b, TOL_DIGITS + 10)))      # relative comparison
        if not diff.is_number:
            raise Unevaluable(f"not a number: {_short(diff)}")
        tol = self.tols.get(rel)
        if tol is not None and isinstance(rel, sp.Equality):
            return bool(abs(diff) <= tol + sp.Float(10) ** (-TOL_DIGITS) * scale)
        zero = bool(abs(diff) <= sp.Float(10) ** (-TOL_DIGITS + 10) * scale)
        if isinstance(rel, sp.Equality):
            return zero
        if isinstance(rel, sp.Unequality):
            return not zero
        if diff.is_real is False:
            return None
        if zero:
            return isinstance(rel, (sp.GreaterThan, sp.LessThan))
        return bool(type(rel)(diff, 0))

    def _admissible(self, premises, pt) -> bool:
        """The premises' constraints hold at pt, and a solved unknown respects its assumptions."""
        for u in getattr(premises, "solved", ()):
            if len(premises.alternatives) < 2:
                break
            v = self.value(u, pt)
            if v is None:
                return False
            v = sp.N(v, 30)
            if (u.is_real and abs(sp.im(v)) > 1e-20) or (u.is_positive and not sp.re(v) > 0) or \
                    (u.is_nonnegative and not sp.re(v) >= 0):
                return False
        for c in premises.constraints:
            if self.truth(c, pt) is not True:
                return False
        return True

    def _points_for(self, premises, original):
        pts, tried, fails, undefined, rejected, errors = [], 0, 0, 0, 0, []
        for i in range(self.n_points * 3):
            if len(pts) >= self.n_points:
                break
            tried += 1
            status = None
            for alt in range(len(premises.alternatives)):
                pt = self.point(i, premises, alt)
                try:
                    with _limit(self.timeout):
                        if not self._admissible(premises, pt):
                            status = status or "rejected"
                            continue
                        t = self.truth(original, pt)
                except _Timeout:
                    errors.append("the evaluation timed out")
                    status = "error"
                    break
                except Unevaluable as e:
                    errors.append(str(e))
                    status = "error"
                    break
                except Exception as e:  # noqa: BLE001 - SymPy can raise anything at a point
                    errors.append(f"{type(e).__name__}: {_short(str(e), 80)}")
                    status = "error"
                    break
                if t is True:
                    status = "ok"
                    pts.append(pt)
                    break
                status = "fails" if t is False else "undefined"
            fails += status == "fails"
            undefined += status == "undefined"
            rejected += status == "rejected"
            if len(errors) >= 3 and not pts:
                break
        self.tried = (tried, fails, undefined, rejected, len(pts))
        if len(pts) >= MIN_POINTS and not fails:
            return pts, ""
        if fails:
            # the original is proved by the engine and holds on the premises: a point where it fails shows that
            # this substitution does not reproduce the premises (e.g. an induction whose earlier terms are left
            # free), and the points where it happens to hold may be degenerate (N = 1): not used
            return pts, (f"the original fails at {fails} of {tried} points drawn from the premises (the "
                         "substitution does not reproduce them)")
        if errors:
            return pts, f"the original cannot be evaluated: {Counter(errors).most_common(1)[0][0]}"
        if undefined:
            return pts, f"the original is undefined at {undefined} of {tried} points"
        return pts, f"only {len(pts)} of {tried} points satisfy the premises' constraints"

    def admissible_points(self, original) -> tuple:
        """Points satisfying the premises where the original holds, from the first premise set that gives
        enough of them; (points, reason when there are too few)."""
        if self._points is not None:
            return self._points
        reasons = []
        for label, facts in self.premise_sets:
            try:
                premises = _Premises(label, facts, self.unknowns, self.timeout)
            except _Timeout:
                reasons.append(f"{label}: solving the premises timed out")
                continue
            except Unevaluable as e:
                reasons.append(f"{label}: {e}")
                continue
            except Exception as e:  # noqa: BLE001
                reasons.append(f"{label}: solving the premises: {type(e).__name__}: {_short(str(e), 80)}")
                continue
            pts, reason = self._points_for(premises, original)
            if not reason:
                self.premises = premises
                self._points = (pts, "")
                return self._points
            reasons.append(f"{label}: {reason}")
        self._points = ([], "; ".join(reasons) or "no premise set")
        return self._points

    def classify(self, original, mutant) -> Decision:
        pts, reason = self.admissible_points(original)
        if reason:
            return Decision("undecided", reason)
        used = self.engine_expect_used
        self.engine_expect_used = self.two_point_used = False
        defined, errors = 0, []
        label = self.premises.label
        for pt in pts:
            try:
                with _limit(self.timeout):
                    t = self.truth(mutant, dict(pt))
            except _Timeout:
                errors.append("the evaluation timed out")
                continue
            except Unevaluable as e:
                errors.append(str(e))
                continue
            except Exception as e:  # noqa: BLE001
                errors.append(f"{type(e).__name__}: {_short(str(e), 80)}")
                continue
            if t is False:
                where = {str(k): _short(v, 30) for k, v in pt.items() if not str(k).startswith("__")}
                law = " (undeclared higher moments from a two-point law)" if self.two_point_used else ""
                return Decision("false", f"fails at a point satisfying {label}{law}", point=where,
                                engine_expect=used or self.engine_expect_used)
            if t is True:
                defined += 1
        if defined >= MIN_POINTS and not errors:
            law = " (undeclared higher moments from random two-point laws)" if self.two_point_used else ""
            return Decision("equivalent", f"holds at all {defined} points satisfying {label} (40 digits){law}",
                            engine_expect=used or self.engine_expect_used)
        if errors:
            return Decision("undecided", f"the mutant cannot be evaluated: {Counter(errors).most_common(1)[0][0]}")
        return Decision("undecided", f"the mutant is defined at only {defined} of {len(pts)} points")


def _doit_derivative(n):
    if not isinstance(n, sp.Derivative):
        return n
    E, Var, Cov = _expect_ops()
    if n.expr.has(E, Var, Cov):
        out = n.expr
        for v, k in n.variable_count:
            for _ in range(int(k)):
                out = _diff_expectations(out, v)
        return out
    return _bottom_up(n.doit(), _subs_form)


def _diff_expectations(expr, v):
    """d/dv of an expression containing E[...] (differentiation under the expectation: dE[X]/dv = E[dX/dv])."""
    E, Var, Cov = _expect_ops()
    expr = expr.replace(lambda x: isinstance(x, Var), lambda x: E(x.args[0] ** 2) - E(x.args[0]) ** 2)
    expr = expr.replace(lambda x: isinstance(x, Cov),
                        lambda x: E(x.args[0] * x.args[1]) - E(x.args[0]) * E(x.args[1]))
    nodes = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, E) and node.has(v) and not any(node in m.args[0].atoms(E) for m in nodes):
            nodes.append(node)
    dummies = {node: sp.Dummy(f"e{i}") for i, node in enumerate(nodes)}
    F = expr.xreplace(dummies)
    out = sp.diff(F, v)
    for node, e in dummies.items():
        out += sp.diff(F, e) * E(_diff_expectations(node.args[0], v))
    return out.xreplace({e: node for node, e in dummies.items()})


def _subs_form(n):
    """d F(phi(t)) / d phi(t) -> Subs(d F(xi) / d xi, xi, phi(t)), so that phi may become a concrete function."""
    if not isinstance(n, sp.Derivative) or all(isinstance(v, (sp.Symbol, Indexed)) for v in n.variables):
        return n
    expr, counts, points, dummies = n.expr, [], [], []
    for v, k in n.variable_count:
        if isinstance(v, (sp.Symbol, Indexed)):
            counts.append((v, k))
            continue
        xi = sp.Dummy("xi")
        expr = expr.subs(v, xi)
        counts.append((xi, k))
        dummies.append(xi)
        points.append(v)
    return sp.Subs(sp.Derivative(expr, *counts), tuple(dummies), tuple(points))


def _expect_ops():
    from proofs.expectation import E, Cov, Var
    return (E, Var, Cov)


def _bottom_up(e, rule):
    if not isinstance(e, sp.Basic) or e.is_Atom:
        return rule(e) if isinstance(e, sp.Basic) else e
    args = tuple(_bottom_up(a, rule) if isinstance(a, sp.Basic) else a for a in e.args)
    node = e.func(*args) if args != e.args else e
    return rule(node)


class _Timeout(Exception):
    pass


def _limit(seconds):
    """A SIGALRM time limit (raises _Timeout); proofs.timelimit's, with our own exception type."""
    from proofs.timelimit import StageTimeout, time_limit

    class _Ctx:
        def __enter__(self):
            self.cm = time_limit(seconds)
            self.cm.__enter__()

        def __exit__(self, typ, val, tb):
            try:
                self.cm.__exit__(typ, val, tb)
            finally:
                pass
            if typ is not None and issubclass(typ, StageTimeout):
                raise _Timeout(str(val))
            return False
    return _Ctx()


# =============================================================================================
# Targets: the statement and one middle step of a built derivation
# =============================================================================================
SKIP_RULES = ("assumption", "match coefficients")


def middle_step(d):
    """The middle one of the steps the engine checks by value (not assumptions, not 'match coefficients')."""
    steps = [s for s in d.steps if s.rule not in SKIP_RULES
             and not all(r is sp.true or r is True for r in (s.relation if isinstance(s.relation, tuple)
                                                                else (s.relation,)))]
    return steps[(len(steps) - 1) // 2] if steps else None


def random_names(d) -> set:
    if d._random is None:
        return set()
    return set(d._random._scalars) | set(d._random._families)


def target_relation(d, target: str):
    if target == "statement":
        return d.statement_relation()
    step = d.steps[int(target.split()[1]) - 1]
    return step.relation


def target_mutants(d, target: str) -> list:
    return mutants(target_relation(d, target), random_names(d))


def apply_mutant(d, target: str, mutant: Mutant) -> None:
    """Put the mutated relation into the built derivation ``d`` (after the builder has run)."""
    rel = mutant.relation
    if target == "statement":
        d.statements = rel if isinstance(rel, tuple) else (rel,)
        return
    step = d.steps[int(target.split()[1]) - 1]
    old = step.relation
    step.relation = rel
    for f in d.facts:
        if f.kind != "step" or f.step_index != step.index:
            continue
        if f.relation is old:                           # d.step(...): the fact is the step's relation
            f.relation = rel
        elif (isinstance(old, sp.Equality) and isinstance(rel, sp.Equality) and isinstance(f.relation, sp.Equality)
              and rel.lhs == old.lhs and f.relation.rhs == old.rhs):
            f.relation = sp.Eq(f.relation.lhs, rel.rhs, evaluate=False)   # a chain link: start = new right side


def _closure(d, facts) -> list:
    """The givens, assumptions and definitions the facts rest on (through the steps' ``using``)."""
    out, seen, todo = [], set(), list(facts)
    while todo:
        f = todo.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        if f.kind == "step":
            if f.step_index is not None:
                todo += list(d.steps[f.step_index - 1].using)
        else:
            out.append(f)
    order = {id(f): i for i, f in enumerate(d.facts)}
    return sorted(out, key=lambda f: order.get(id(f), 0))


def _statement_sources(d) -> list:
    """The facts the engine's conclusion reads the statement from (as ``rules.check_conclusion`` matches them)."""
    steps = [f for f in d.facts if f.kind == "step"]
    out = []
    for r in d.statements:
        f = next((f for f in reversed(steps)
                  if any(_same_rel(r, x) for x in (f.relation if isinstance(f.relation, tuple) else (f.relation,)))),
                 None)
        f = f or d.statement_by or d._last_fact
        if f is not None and all(f is not g for g in out):
            out.append(f)
    return out


def _same_rel(a, b) -> bool:
    if a == b:
        return True
    return (isinstance(a, sp.Equality) and isinstance(b, sp.Equality)
            and ((a.lhs == b.lhs and a.rhs == b.rhs) or (a.lhs == b.rhs and a.rhs == b.lhs)))


def premise_sets(d, target: str) -> list:
    """Premise sets for the independent check, tried in order (see :class:`Checker`)."""
    defs = list(d.definitions)
    givens = [f for f in d.facts if f.kind in ("given", "assumption", "definition")]
    if target == "statement":
        sources = _statement_sources(d)
        used = _closure(d, sources)
        direct = []
        for f in sources:
            if f.kind == "step" and f.step_index is not None:
                direct += [u for u in d.steps[f.step_index - 1].using if all(u is not g for g in direct)]
            elif all(f is not g for g in direct):
                direct.append(f)
        sets = [("all givens", givens), ("the givens the derivation uses", used + defs),
                ("the premises of the step that establishes the statement", direct + defs)]
    else:
        step = d.steps[int(target.split()[1]) - 1]
        own = list(step.using) + [f for f in defs if all(f is not u for u in step.using)]
        sets = [("the step's premises", own), ("the givens the step rests on", _closure(d, step.using) + defs),
                ("all givens", givens)]
    out, seen = [], []
    for label, facts in sets:
        key = [id(f) for f in facts]
        if key in seen:
            continue
        seen.append(key)
        out.append((label, facts))
    return out


def tolerances(d, target: str) -> dict:
    """Relations of "numeric" steps hold to their tolerance, not exactly."""
    tols = {}
    for s in d.steps:
        if s.rule == "numeric":
            tols[s.relation] = sp.sympify(s.options.get("tol", 0))
    return tols


def make_checker(d, claim_id: str, target: str) -> Checker:
    return Checker(d, premise_sets(d, target), f"{claim_id}|{target}", tols=tolerances(d, target))


def classify(checker: Checker, original, mutant) -> Decision:
    """Classify one mutant; a tolerance of the original relation carries over to its mutant at the same position."""
    o = original if isinstance(original, tuple) else (original,)
    m = mutant if isinstance(mutant, tuple) else (mutant,)
    for a, b in zip(o, m):
        if a in checker.tols and b not in checker.tols:
            checker.tols[b] = checker.tols[a]
    return checker.classify(original, mutant)


# =============================================================================================
# Forked jobs with hard time limits
# =============================================================================================
@dataclass
class Job:
    key: tuple
    fn: object              # fn(send) runs in the child; send(obj) passes a message to the parent
    timeout: float
    messages: list = field(default_factory=list)
    end: str = ""           # "exit" | "timeout" | "died"


def _child(fn, conn) -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)                      # witnesses and SymPy may print; keep the parent's output clean
        sys.stdout = open(os.devnull, "w")
    except OSError:  # pragma: no cover
        pass
    try:
        fn(conn.send)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        try:
            conn.send(("crash", f"{type(exc).__name__}: {_short(str(exc), 200)}", traceback.format_exc()[-2000:]))
        except Exception:  # noqa: BLE001
            pass
    finally:
        try:
            conn.close()
        finally:
            os._exit(0)


def run_jobs(jobs, n_jobs: int, on_done=None) -> list:
    """Run every job in its own forked process, at most ``n_jobs`` at once; kill a job at its timeout."""
    import multiprocessing
    from collections import deque
    from multiprocessing.connection import wait
    ctx = multiprocessing.get_context("fork")
    pending = deque(jobs)
    running: dict = {}

    def drain(conn, job):
        while True:
            try:
                if not conn.poll():
                    return
                job.messages.append(conn.recv())
            except (EOFError, OSError):
                return

    def stop(proc):
        if proc.is_alive():
            proc.kill()
        proc.join(5)

    try:
        while pending or running:
            while pending and len(running) < max(1, n_jobs):
                job = pending.popleft()
                recv, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(job.fn, send), daemon=True)
                proc.start()
                send.close()
                running[recv] = (job, proc, time.monotonic() + job.timeout)
            soonest = min(v[2] for v in running.values())
            wait(list(running) + [v[1].sentinel for v in running.values()],
                 timeout=max(0.0, min(1.0, soonest - time.monotonic())))
            for conn in list(running):
                job, proc, deadline = running[conn]
                drain(conn, job)
                if not proc.is_alive():
                    proc.join(5)
                    drain(conn, job)
                    job.end = "exit" if proc.exitcode == 0 else "died"
                elif time.monotonic() >= deadline:
                    stop(proc)
                    drain(conn, job)
                    job.end = "timeout"
                else:
                    continue
                conn.close()
                del running[conn]
                if on_done is not None:
                    on_done(job)
    finally:
        for conn, (job, proc, _) in list(running.items()):
            stop(proc)
            conn.close()
    return jobs


# =============================================================================================
# The jobs: baseline, independent classification, engine
# =============================================================================================
def _matches(cid: str, pattern: str) -> bool:
    """A glob (``running_average.*``), an exact id, or a prefix ending at a dot (``momentum`` = ``momentum.*``)."""
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(cid, pattern)
    return cid == pattern or cid.startswith(pattern.rstrip(".") + ".")


def load_claims(patterns=()) -> list:
    from proofs.loader import catalog_files, load
    claims = sorted((c for sf in catalog_files() for c in load(sf).claims), key=lambda c: c.id)
    if patterns:
        claims = [c for c in claims if any(_matches(c.id, p) for p in patterns)]
    return claims


def _baseline_job(claim, seed):
    def fn(send):
        from proofs.engine import check_claim
        r = check_claim(claim, seed=seed, stage_timeout=STAGE_TIMEOUT)
        send(("baseline", r.verdict, _short(r.message, 300),
              [(w.name, w.observed, w.verdict) for w in r.witnesses]))
    return fn


def _build(claim):
    from proofs.derivation import Derivation
    d = Derivation(claim)
    claim.build(d)
    return d


def _class_job(claim, target, indices, labels, check_timeout):
    def fn(send):
        d = _build(claim)
        muts = target_mutants(d, target)
        original = target_relation(d, target)
        checker = make_checker(d, claim.id, target)
        try:
            with _limit(max(90.0, 3 * check_timeout)):
                checker.admissible_points(original)
        except _Timeout:
            checker._points = ([], "finding points that satisfy the premises timed out")
        for i in indices:
            m = muts[i]
            if m.label() != labels[i]:
                send(("class", i, dict(status="undecided", how="the mutant enumeration differs in the worker")))
                continue
            try:
                with _limit(check_timeout):
                    dec = classify(checker, original, m.relation)
            except _Timeout:
                dec = Decision("undecided", f"the independent check timed out ({check_timeout:g} s)")
            except Exception as e:  # noqa: BLE001
                dec = Decision("undecided", f"the independent check failed: {type(e).__name__}: {_short(str(e), 100)}")
            premises = checker.premises.label if checker.premises is not None else ""
            send(("class", i, dict(status=dec.status, how=dec.how, point=dec.point, engine_expect=dec.engine_expect,
                                   premises=premises)))
    return fn


def mutated_claim(claim, target: str, index: int, label: str, witnesses: bool):
    """A copy of ``claim`` whose builder puts mutant ``index`` of ``target`` into the derivation after building."""
    original_build = claim.build

    def build(d):
        original_build(d)
        muts = target_mutants(d, target)
        if index >= len(muts) or muts[index].label() != label:
            raise RuntimeError(f"mutant {index} of {target} is not {label!r} in this build")
        apply_mutant(d, target, muts[index])

    return dataclasses.replace(claim, build=build, witnesses=list(claim.witnesses) if witnesses else [])


def _engine_job(claim, target, index, label, seed):
    def fn(send):
        from proofs.engine import check_claim
        c = mutated_claim(claim, target, index, label, witnesses=(target == "statement"))
        r = check_claim(c, seed=seed, stage_timeout=STAGE_TIMEOUT)
        if r.steps:
            if target == "statement":
                st = r.steps[-1]
            else:
                k = int(target.split()[1])
                st = next((s for s in r.steps if s.index == k), r.steps[-1])
            step = dict(verdict=st.verdict, detail=_short(st.detail, 400), stage=st.stage,
                        counterexample=dataclasses.asdict(st.counterexample) if st.counterexample is not None
                        else None)
        else:
            step = dict(verdict=r.verdict, detail=_short(r.message, 400), stage="", counterexample=None)
        send(("engine", dict(verdict=r.verdict, message=_short(r.message, 400), step=step,
                             first_failing_step=r.first_failing_step,
                             witnesses=[dict(name=w.name, kind=w.kind, observed=w.observed, verdict=w.verdict,
                                             detail=_short(w.detail, 300)) for w in r.witnesses])))
    return fn


# =============================================================================================
# The run
# =============================================================================================
OUTCOMES = ("refuted", "unproved", "proved", "error", "timeout")


def spread(n: int, limit: int | None) -> list:
    """Indices 0..n-1, or ``limit`` of them evenly spread (first and last included): deterministic."""
    if limit is None or limit >= n:
        return list(range(n))
    if limit <= 0:
        return []
    if limit == 1:
        return [0]
    return sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})


@dataclass
class Target:
    claim: str
    target: str                     # "statement" | "step k"
    step_label: str = ""
    original: str = ""
    total: int = 0                  # mutants enumerated
    indices: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    ops: list = field(default_factory=list)
    changed: list = field(default_factory=list)    # per mutant: ["2:lhs", "1:relation", ...] (see changed_parts)


def changed_parts(original, mutant) -> list:
    """Which parts a mutant changes: "k:lhs", "k:rhs" or "k:relation" (the relation's type) of relation k (1-based)."""
    o = original if isinstance(original, tuple) else (original,)
    m = mutant if isinstance(mutant, tuple) else (mutant,)
    out = []
    for k, (a, b) in enumerate(zip(o, m), 1):
        if a == b:
            continue
        if type(a) is not type(b):
            out.append(f"{k}:relation")
        if getattr(a, "lhs", None) != getattr(b, "lhs", None):
            out.append(f"{k}:lhs")
        if getattr(a, "rhs", None) != getattr(b, "rhs", None):
            out.append(f"{k}:rhs")
    return out


def plan_targets(claim) -> list:
    d = _build(claim)
    out = []
    step = middle_step(d)
    names = ["statement"] + ([f"step {step.index}"] if step is not None else [])
    for name in names:
        muts = target_mutants(d, name)
        original = target_relation(d, name)
        t = Target(claim.id, name, original=_short(original, 200), total=len(muts),
                   labels=[m.label() for m in muts], texts=[_short(m.relation, 300) for m in muts],
                   ops=[m.op for m in muts], changed=[changed_parts(original, m.relation) for m in muts])
        if name != "statement":
            t.step_label = step.label or step.rule
        out.append(t)
    return out


def engine_outcome(rec: dict) -> str:
    eng = rec.get("engine")
    if eng is None:
        return "error"
    if eng.get("timeout"):
        return "timeout"
    v = eng["step"]["verdict"] if rec["target"] != "statement" else eng["verdict"]
    return v if v in OUTCOMES else "error"


def _warm_up() -> None:
    """Import and exercise the engine in the parent so that every forked job starts warm (as the CLI's runner)."""
    import gc

    import proofs.engine  # noqa: F401
    import proofs.expectation  # noqa: F401
    try:
        proofs.engine.warm_up()
    except Exception:  # noqa: BLE001 - an optimisation only
        pass
    gc.collect()
    gc.freeze()


def run(args) -> dict:
    t_start = time.monotonic()
    claims = load_claims(args.claims)
    by_id = {c.id: c for c in claims}
    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if not args.quiet else (lambda *a: None)
    _warm_up()
    log(f"mutate: baseline of {len(claims)} claims (-j {args.jobs})")
    base_jobs = [Job(("baseline", c.id), _baseline_job(c, args.seed), args.engine_timeout * 2) for c in claims]
    run_jobs(base_jobs, args.jobs)
    baseline = {}
    for j in base_jobs:
        msg = next((m for m in j.messages if m[0] == "baseline"), None)
        baseline[j.key[1]] = dict(verdict=msg[1], message=msg[2]) if msg else dict(verdict=j.end or "error",
                                                                                     message="")
    proved = [c for c in claims if baseline[c.id]["verdict"] == "proved"]
    log(f"mutate: {len(proved)} proved claims; enumerating mutants")
    targets = []
    for c in proved:
        for t in plan_targets(c):
            caps = [n for n in (args.limit, args.max_per_target or None) if n is not None]
            t.indices = spread(t.total, min(caps) if caps else None)
            if args.mutant:
                kind = "statement" if t.target == "statement" else "step"
                t.indices = sorted({int(m.split(":")[1]) for m in args.mutant if m.split(":")[0] == kind}
                                   & set(range(t.total)))
            targets.append(t)
    records = {}
    jobs = []
    for t in targets:
        c = by_id[t.claim]
        for i in t.indices:
            records[(t.claim, t.target, i)] = dict(claim=t.claim, target=t.target, index=i, op=t.ops[i],
                                                   label=t.labels[i], mutant=t.texts[i], original=t.original,
                                                   changed=t.changed[i])
        if t.indices:
            jobs.append(Job(("class", t.claim, t.target), _class_job(c, t.target, t.indices, t.labels,
                                                                      args.check_timeout),
                            max(90.0, 3 * args.check_timeout) + args.check_timeout * (len(t.indices) + 1) + 30))
    for t in targets:
        c = by_id[t.claim]
        for i in t.indices:
            jobs.append(Job(("engine", t.claim, t.target, i), _engine_job(c, t.target, i, t.labels[i], args.seed),
                            args.engine_timeout))
    n_mut = len(records)
    log(f"mutate: {n_mut} mutants of {len(targets)} targets; {len(jobs)} jobs")
    done = [0]

    def on_done(job):
        done[0] += 1
        kind = job.key[0]
        crash = next((m for m in job.messages if m[0] == "crash"), None)
        if kind == "class":
            got = set()
            for m in job.messages:
                if m[0] == "class":
                    records[(job.key[1], job.key[2], m[1])]["check"] = m[2]
                    got.add(m[1])
            for key, rec in records.items():
                if key[:2] == job.key[1:] and key[2] not in got:
                    why = ("the independent check was killed at its time limit" if job.end == "timeout" else
                           f"the independent check crashed: {crash[1]}" if crash else "the independent check died")
                    rec["check"] = dict(status="undecided", how=why, point=None, engine_expect=False, premises="")
        else:
            rec = records[job.key[1:]]
            msg = next((m for m in job.messages if m[0] == "engine"), None)
            if msg is not None:
                rec["engine"] = msg[1]
            elif job.end == "timeout":
                rec["engine"] = dict(timeout=True, verdict="timeout", message=f"killed after {args.engine_timeout:g} s",
                                     step=dict(verdict="timeout", detail="", stage="", counterexample=None),
                                     witnesses=[])
            else:
                detail = crash[1] if crash else f"worker {job.end}"
                rec["engine"] = dict(verdict="error", message=detail, witnesses=[],
                                     step=dict(verdict="error", detail=detail, stage="", counterexample=None))
        if done[0] % 50 == 0 or done[0] == len(jobs):
            el = time.monotonic() - t_start
            log(f"mutate: {done[0]}/{len(jobs)} jobs done, {el / 60:.1f} min")

    run_jobs(jobs, args.jobs, on_done)
    recs = [records[k] for k in sorted(records, key=lambda k: (k[0], k[1] != "statement", k[2]))]
    for r in recs:
        r["outcome"] = engine_outcome(r)
    return dict(meta=meta(args, time.monotonic() - t_start), baseline=baseline,
                targets=[dataclasses.asdict(t) for t in targets], records=recs)


def meta(args, seconds) -> dict:
    def git(*a):
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()
        except Exception:  # noqa: BLE001
            return ""
    commit = git("rev-parse", "--short=12", "HEAD")
    dirty = git("status", "--porcelain", "--", "proofs", "derivations")
    return dict(commit=commit, dirty=bool(dirty), sympy=sp.__version__, seed=args.seed, limit=args.limit,
                max_per_target=args.max_per_target, mutant=list(getattr(args, "mutant", []) or []),
                claims=list(args.claims or []), engine_timeout=args.engine_timeout, check_timeout=args.check_timeout,
                stage_timeout=STAGE_TIMEOUT, n_points=N_POINTS, seconds=round(seconds, 1), jobs=args.jobs)


# =============================================================================================
# Summary and docs/mutation.md
# =============================================================================================
def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def flagged(rec) -> str:
    """For a statement mutant: "fails" if some witness observed the statement fail, else "error" if some
    witness raised, else "holds" (the mutant survived every witness); "none" without witnesses."""
    ws = (rec.get("engine") or {}).get("witnesses") or []
    if not ws:
        return "none"
    if any(w["observed"] == "fails" for w in ws):
        return "fails"
    if any(w["verdict"] == "error" or w["observed"] is None for w in ws):
        return "error"
    return "holds"


def summarise(data) -> dict:
    recs = data["records"]
    s = {}
    for scope in ("statement", "step", "all"):
        rs = [r for r in recs if scope == "all" or (r["target"] == "statement") == (scope == "statement")]
        row = dict(mutants=len(rs))
        for st in ("false", "equivalent", "undecided"):
            sub = [r for r in rs if r["check"]["status"] == st]
            row[st] = len(sub)
            row[st + "_by"] = Counter(r["outcome"] for r in sub)
        s[scope] = row
    tg = data["targets"]
    s["enumerated"] = {"statement": sum(t["total"] for t in tg if t["target"] == "statement"),
                       "step": sum(t["total"] for t in tg if t["target"] != "statement")}
    s["enumerated"]["all"] = s["enumerated"]["statement"] + s["enumerated"]["step"]
    fs = [r for r in recs if r["target"] == "statement" and r["check"]["status"] == "false"]
    s["witness"] = Counter(flagged(r) for r in fs)
    s["witness_total"] = len(fs)
    return s


def _cell(counter: Counter, n: int) -> str:
    return f"{n}: " + "/".join(str(counter.get(o, 0)) for o in OUTCOMES) if n else "-"


# reasons why a claim's witnesses cannot see a statement mutant; keyed by claim id (curated after reading
# the witnesses, see the report), else found from the witness's source text by _auto_reason
def _by_label(*rules, default=None):
    """A curated reason chosen by the first regular expression matching the mutant's label."""
    def pick(rec):
        for pattern, reason in rules:
            if re.search(pattern, rec["label"]):
                return reason
        return default if default is not None else _auto_reason(rec)
    return pick


# claim id -> reason (a function of the record); only the mutants a rule names, the rest by _auto_reason. Written
# after reading the witness and the mutant; a rewritten witness makes its entries stale (delete them then).
_SYMMETRIC = ("still true: the statement holds for every pair of indices, and a covariance matrix is symmetric, so "
              "swapping its two free indices gives the same statement; the independent check treats Sigma[i, j] and "
              "Sigma[j, i] as unrelated numbers and calls it false (the witness evaluates it and finds it holds)")
SURVIVOR_REASONS: dict = {
    "batch_size.covariance": _by_label((r"swap: i <-> j", _SYMMETRIC)),
    "batch_size.temperature": _by_label((r"swap: i <-> j", (
        "false only relative to the givens as written, true of the process: the givens state Sigma^B[i, j] = "
        "Sigma^1[i, j]/B for the entry (i, j) and never that these covariance matrices are symmetric (the engine "
        "refutes the mutant at Sigma^B[1, 0] = 0, a point the givens allow); the process's covariances are "
        "symmetric, so a witness that measures them finds the swapped statement true"))),
    "temperature.weighted_sum_covariance.corrected": _by_label((r"swap: k <-> l", _SYMMETRIC)),
}


def _witness_sources(claim_id, cache={}):
    if claim_id not in cache:
        srcs = []
        for c in load_claims([claim_id]):
            if c.id == claim_id:
                for w in c.witnesses:
                    try:
                        srcs.append(inspect.getsource(w.fn))
                    except (OSError, TypeError):
                        srcs.append("")
        cache[claim_id] = "\n".join(srcs)
    return cache[claim_id]


def survivor_reason(rec) -> str:
    if rec["claim"] in SURVIVOR_REASONS:
        reason = SURVIVOR_REASONS[rec["claim"]]
        return reason(rec) if callable(reason) else reason
    return _auto_reason(rec)


def _calls(src: str, name: str) -> list:
    """The argument text of each call ``name(...)`` in ``src`` (balanced parentheses)."""
    out = []
    for m in re.finditer(re.escape(name) + r"\(", src):
        depth, i = 1, m.end()
        while i < len(src) and depth:
            depth += {"(": 1, ")": -1}.get(src[i], 0)
            i += 1
        out.append(src[m.end():i - 1])
    return out


def _auto_reason(rec) -> str:
    """A first guess from the witness's source text (curated reasons in SURVIVOR_REASONS take precedence)."""
    src = _witness_sources(rec["claim"])
    changed = rec.get("changed") or []
    sides = {c.split(":")[1] for c in changed}
    rels = {int(c.split(":")[0]) for c in changed}
    if "statement" not in src:
        return "the witness does not read the statement (it checks a fixed property of the process)"
    if "expectations_as_symbols" in src:
        return "the witness reads E(...) via expectations_as_symbols and compares measured values"
    reads = set(re.findall(r"(?<!relation)\.(lhs|rhs)\b", src))
    whole = any("relation=" not in args for f in ("w.exact", "w.estimate", "w.close") for args in _calls(src, f))
    if not whole and sides == {"lhs"} and reads == {"rhs"}:
        return "the witness reads only the right sides of the statement (.rhs); the mutant changes only a left side"
    if not whole and sides == {"rhs"} and reads == {"lhs"}:
        return "the witness reads only the left sides of the statement (.lhs); the mutant changes only a right side"
    if rels and re.search(r"statement\[\d", src) and not re.search(r"statement\[[a-z_]\w*\]", src):
        idx = {int(i) + 1 for i in re.findall(r"statement\[(\d+)", src)}
        if not rels & idx:
            return f"the witness reads only relation(s) {', '.join(map(str, sorted(idx)))} of the statement"
    return "not classified (see the mutant and the witness)"


def render(data) -> str:
    meta_, recs = data["meta"], data["records"]
    s = summarise(data)
    L = []
    add = L.append
    add(DOC_TITLE)
    add("")
    cap = meta_.get("max_per_target")
    add("Generated by `python -m bench.mutate" + (f" --limit {meta_['limit']}" if meta_["limit"] else "")
        + (f" --max-per-target {cap}" if cap != MAX_PER_TARGET else "")
        + (" --claims " + " ".join(meta_["claims"]) if meta_["claims"] else "")
        + (" --mutant " + " ".join(meta_["mutant"]) if meta_.get("mutant") else "")
        + "` (issue 8); do not edit by hand. "
        "The script writes this file; re-run it after engine changes.")
    add("")
    add(f"Engine commit `{meta_['commit']}`" + (" with uncommitted changes in proofs/ or derivations/" if meta_["dirty"]
                                              else "") +
        f", SymPy {meta_['sympy']}, seed {meta_['seed']}; engine stage timeout {meta_['stage_timeout']:g} s, hard "
        f"limit {meta_['engine_timeout']:g} s per mutant, independent check {meta_['check_timeout']:g} s per mutant "
        f"at {meta_['n_points']} points. Timeouts depend on the machine's load; everything else regenerates "
        "identically.")
    add("")
    if meta_.get("max_per_target") or meta_.get("limit"):
        cap = min(n for n in (meta_.get("max_per_target"), meta_.get("limit")) if n)
        add(f"At most {cap} mutants per target (statement or middle step), spread evenly over its enumeration "
            f"(`--max-per-target {cap}`); *mutants enumerated* counts them all.")
        add("")
    if meta_.get("updated"):
        add("Merged run (`--update`): these claims were re-run on the same engine after a fix to the independent "
            "check (a definition of an entry, `Sigma^B[i, j] := ...`, also applies at permuted indices): "
            + ", ".join(f"`{c}`" for c in meta_["updated"]) + ".")
        add("")
    add("How it works (details in the docstring of `bench/mutate.py`): every claim the engine proves gets its "
        "**statement** and, separately, its **middle step** mutated as SymPy objects: each numeric constant c -> "
        "c + 1, 2c, 1/c; each sign (constant, additive term, side; inequalities reversed); each pair of same-kind "
        "symbols swapped; each additive term dropped; each exponent e -> e + 1, e - 1. An **independent check** "
        "(random points satisfying the premises, 40-digit evaluation, expectations from the declared moments; "
        "never the engine's cascade) sorts the mutants into *false*, *equivalent* (still true) and *undecided*. "
        "The engine then checks each mutated claim; for statement mutants the claim's witnesses run on the mutated "
        "statement.")
    add("")
    add("## Totals")
    add("")
    add("| | statement | middle step | all |")
    add("| --- | ---: | ---: | ---: |")
    n_claims = len({r["claim"] for r in recs})
    add(f"| proved claims mutated | {n_claims} | {len({r['claim'] for r in recs if r['target'] != 'statement'})} "
        f"| {n_claims} |")
    add("| mutants enumerated | " + " | ".join(str(s["enumerated"][k]) for k in ("statement", "step", "all")) + " |")
    add("| mutants tested | " + " | ".join(str(s[k]["mutants"]) for k in ("statement", "step", "all")) + " |")
    add("| equivalent (still true, discarded) | " + " | ".join(str(s[k]["equivalent"]) for k in
                                                             ("statement", "step", "all")) + " |")
    add("| undecided (not counted as false) | " + " | ".join(str(s[k]["undecided"]) for k in
                                                           ("statement", "step", "all")) + " |")
    add("| **false mutants** | " + " | ".join(f"**{s[k]['false']}**" for k in ("statement", "step", "all")) + " |")
    for o in OUTCOMES:
        bold = "**" if o == "proved" else ""
        add(f"| false: {bold}{o}{bold} | " + " | ".join(
            f"{s[k]['false_by'].get(o, 0)} ({_pct(s[k]['false_by'].get(o, 0), s[k]['false'])})"
            for k in ("statement", "step", "all")) + " |")
    for o in OUTCOMES:
        add(f"| equivalent: {o} | " + " | ".join(str(s[k]["equivalent_by"].get(o, 0)) for k in
                                                 ("statement", "step", "all")) + " |")
    for o in OUTCOMES:
        add(f"| undecided: {o} | " + " | ".join(str(s[k]["undecided_by"].get(o, 0)) for k in
                                                ("statement", "step", "all")) + " |")
    w = s["witness"]
    add(f"| false statement mutants flagged by a witness | {w.get('fails', 0)} of {s['witness_total']} "
        f"({_pct(w.get('fails', 0), s['witness_total'])}) | | |")
    add(f"| ... survived every witness / a witness raised | {w.get('holds', 0)} / {w.get('error', 0)} | | |")
    add("")
    add("*false: proved* is a soundness bug (a false relation proved); *equivalent: refuted* is a false "
        "refutation (a true relation refuted). Targets: false mutants proved 0; witnesses flag >= 99%.")
    add("")
    # -- proved false mutants ----------------------------------------------------------------------
    bad = [r for r in recs if r["check"]["status"] == "false" and r["outcome"] == "proved"]
    add(f"## False mutants proved ({len(bad)})")
    add("")
    if not bad:
        add("None.")
    for r in bad:
        add(f"* `{r['claim']}`, {r['target']}, mutant {r['index']} (`{r['label']}`): `{r['mutant']}`  ")
        add(f"  reproduce: `python -m bench.mutate --claims {r['claim']} --mutant "
            f"{'statement' if r['target'] == 'statement' else 'step'}:{r['index']} --no-doc --json out.json`  ")
        add(f"  independent check: {r['check']['how']} at {_point(r['check'].get('point'))}  ")
        add(f"  engine: {r['engine']['step']['detail']}")
    add("")
    tr = [r for r in recs if r["check"]["status"] == "equivalent" and r["outcome"] == "refuted"]
    add(f"## True (equivalent) mutants refuted ({len(tr)})")
    add("")
    if not tr:
        add("None.")
    for r in tr:
        add(f"* `{r['claim']}`, {r['target']}, mutant {r['index']} (`{r['label']}`): `{r['mutant']}`  ")
        add(f"  reproduce: `python -m bench.mutate --claims {r['claim']} --mutant "
            f"{'statement' if r['target'] == 'statement' else 'step'}:{r['index']} --no-doc --json out.json`  ")
        add(f"  independent check: {r['check']['how']}  ")
        add(f"  engine: {r['engine']['step']['detail']}")
    add("")
    # -- witness survivors -------------------------------------------------------------------------
    surv = [r for r in recs if r["target"] == "statement" and r["check"]["status"] == "false"
            and flagged(r) != "fails"]
    add(f"## Statement mutants no witness flagged ({len(surv)})")
    add("")
    add("False statement mutants for which no witness observed the statement fail, grouped by why. Reasons come "
        "from reading each witness (`SURVIVOR_REASONS` in `bench/mutate.py`, matched by claim and mutant) or, for "
        "the rest, from the witness's source text (which sides and relations of `w.statement` it reads). A witness "
        "that raises on the mutated statement is an error, not an observation, and is listed here too.")
    add("")
    groups = defaultdict(list)
    for r in surv:
        f = flagged(r)
        reason = (_witness_error(r) if f == "error" else
                  ("no witness ran: the mutated claim's check was stopped at its time limit before the witnesses"
                   if r["outcome"] == "timeout" else "the claim has no witness") if f == "none" else survivor_reason(r))
        groups[reason].append(r)
    for reason in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        rs = groups[reason]
        add(f"* **{reason}** ({len(rs)}):")
        for r in rs:
            add(f"  * `{r['claim']}` `{r['label']}`: `{r['mutant']}`")
    if not surv:
        add("None.")
    add("")
    # -- per claim ---------------------------------------------------------------------------------
    add("## Per claim")
    add("")
    add("Cells: false mutants `n: refuted/unproved/proved/error/timeout`; `eq` equivalent, `und` undecided; "
        "witnesses: false statement mutants flagged / false statement mutants.")
    add("")
    add("| claim | statement false | eq | und | witnesses | step | step false | eq | und |")
    add("| --- | --- | ---: | ---: | ---: | --- | --- | ---: | ---: |")
    for cid in sorted({r["claim"] for r in recs}):
        rs = [r for r in recs if r["claim"] == cid]
        st = [r for r in rs if r["target"] == "statement"]
        sk = [r for r in rs if r["target"] != "statement"]
        row = [f"`{cid}`"]
        for part in (st, sk):
            f = [r for r in part if r["check"]["status"] == "false"]
            cells = [_cell(Counter(r["outcome"] for r in f), len(f)),
                     str(sum(r["check"]["status"] == "equivalent" for r in part)),
                     str(sum(r["check"]["status"] == "undecided" for r in part))]
            if part is st:
                cells.append(f"{sum(flagged(r) == 'fails' for r in f)}/{len(f)}" if f else "-")
            else:
                cells.insert(0, sk[0]["target"] if sk else "-")
            row += cells
        add("| " + " | ".join(row) + " |")
    add("")
    # -- operators ---------------------------------------------------------------------------------
    add("## By operator (false mutants)")
    add("")
    add("| operator | false | refuted | unproved | proved | error | timeout | statement: flagged by a witness |")
    add("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for op in sorted({r["op"] for r in recs}):
        f = [r for r in recs if r["op"] == op and r["check"]["status"] == "false"]
        c = Counter(r["outcome"] for r in f)
        fs = [r for r in f if r["target"] == "statement"]
        add(f"| {op} | {len(f)} | " + " | ".join(str(c.get(o, 0)) for o in OUTCOMES) +
            f" | {sum(flagged(r) == 'fails' for r in fs)}/{len(fs)} |")
    add("")
    # -- equivalent and undecided ------------------------------------------------------------------
    eq = [r for r in recs if r["check"]["status"] == "equivalent"]
    add(f"## Equivalent mutants ({len(eq)})")
    add("")
    add("Decided by evaluating original and mutant at the same random points (those satisfying the premise set "
        "named, where the original holds); a mutant that holds at all of them is still true.")
    add("")
    how = Counter(re.sub(r"all \d+ points", "all N points", r["check"]["how"]) +
                  (" (expectations via the engine's algebra)" if r["check"].get("engine_expect") else "") for r in eq)
    for h, n in sorted(how.items(), key=lambda kv: (-kv[1], kv[0])):
        add(f"* {n}: {h}")
    _details(add, eq)
    und = [r for r in recs if r["check"]["status"] == "undecided"]
    add(f"## Undecided mutants ({len(und)})")
    add("")
    add("The independent check could not decide these (reported, not counted as false or true):")
    add("")
    how = Counter(_reason_key(r["check"]["how"]) for r in und)
    for h, n in sorted(how.items(), key=lambda kv: (-kv[1], kv[0])):
        add(f"* {n}: {h}")
    _details(add, und)
    eng = [r for r in recs if r["check"]["status"] == "false" and r["check"].get("engine_expect")]
    add(f"False mutants whose check needed the engine's expectation algebra (not fully independent): {len(eng)}.")
    add("")
    return "\n".join(L) + "\n"


def _witness_error(rec) -> str:
    w = next((wi for wi in rec["engine"]["witnesses"] if wi["observed"] is None), None)
    if w is None:
        return "a witness raised on the mutated statement"
    m = re.search(r"(\w+(?:Error|Exception))\b", w["detail"])
    return f"witness {w['name']} raised {m.group(1) if m else 'an error'} on the mutated statement (not an observation)"


def _reason_key(how: str) -> str:
    how = re.sub(r"\d+ of \d+", "k of n", how)
    return _short(how, 220)


def _details(add, recs) -> None:
    if not recs:
        add("")
        return
    add("")
    add("<details><summary>list</summary>")
    add("")
    for r in recs:
        add(f"* `{r['claim']}` {r['target']} `{r['label']}` -> engine {r['outcome']}")
    add("")
    add("</details>")
    add("")


def _point(p) -> str:
    if not p:
        return "-"
    return ", ".join(f"{k}={v}" for k, v in list(p.items())[:8]) + (", ..." if len(p) > 8 else "")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.mutate", description=__doc__.split("\n\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=2, help="parallel workers (default 2)")
    ap.add_argument("--claims", nargs="*", default=[], metavar="PATTERN",
                    help="only these claims: ids, globs (running_average.*) or prefixes (momentum)")
    ap.add_argument("--limit", type=int, default=None, metavar="N",
                    help="at most N mutants per target (statement / step), evenly spread over the enumeration "
                         "(the fast subset)")
    ap.add_argument("--max-per-target", type=int, default=MAX_PER_TARGET, metavar="N",
                    help=f"cap for the full run: a target with more mutants is sampled evenly (default "
                         f"{MAX_PER_TARGET}; 0 = no cap)")
    ap.add_argument("--mutant", nargs="*", default=[], metavar="TARGET:INDEX",
                    help="only these mutants, e.g. statement:3 step:7 (step = the middle step; indices as in the "
                         "report); use with --claims to reproduce one mutant")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine-timeout", type=float, default=ENGINE_TIMEOUT)
    ap.add_argument("--check-timeout", type=float, default=CHECK_TIMEOUT)
    ap.add_argument("--json", metavar="FILE", help="also write every mutant's record as JSON")
    ap.add_argument("--doc", metavar="FILE", default=str(DOC), help=f"the markdown report (default {DOC})")
    ap.add_argument("--no-doc", action="store_true", help="do not write the markdown report")
    ap.add_argument("--update", metavar="FILE", help="merge into a saved --json run: the claims of this run "
                    "replace theirs in FILE (the written JSON and report are the merged run)")
    ap.add_argument("--from-json", metavar="FILE", help="re-render the report from a saved --json file")
    ap.add_argument("-q", "--quiet", action="store_true")
    return ap.parse_args(argv)


def merged(old: dict, new: dict) -> dict:
    """``old`` with every claim of ``new`` replaced by its records from ``new`` (baseline, targets, records): a
    re-run of some claims after a change that touches only them (the seconds add up; the meta is ``new``'s)."""
    claims = {t["claim"] for t in new["targets"]} | set(new["baseline"])
    out = dict(meta=dict(new["meta"], seconds=old["meta"]["seconds"] + new["meta"]["seconds"],
                         updated=sorted(claims)),
               baseline={**old["baseline"], **new["baseline"]},
               targets=[t for t in old["targets"] if t["claim"] not in claims] + new["targets"],
               records=[r for r in old["records"] if r["claim"] not in claims] + new["records"])
    out["records"].sort(key=lambda r: (r["claim"], r["target"] != "statement", r["index"]))
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
    else:
        data = run(args)
    if args.update:
        data = merged(json.loads(Path(args.update).read_text()), data)
    if args.json and not args.from_json:
        Path(args.json).write_text(json.dumps(data, indent=1, sort_keys=True, default=str))
    text = render(data)
    if not args.no_doc:
        Path(args.doc).write_text(text)
    s = summarise(data)
    a = s["all"]
    print(f"{a['mutants']} mutants: {a['false']} false, {a['equivalent']} equivalent, {a['undecided']} undecided; "
          f"false: " + ", ".join(f"{o} {a['false_by'].get(o, 0)}" for o in OUTCOMES)
          + f"; equivalent refuted {a['equivalent_by'].get('refuted', 0)}; witnesses flagged "
          f"{s['witness'].get('fails', 0)}/{s['witness_total']}; {data['meta']['seconds'] / 60:.1f} min")
    return 1 if a["false_by"].get("proved", 0) else 0


if __name__ == "__main__":
    sys.exit(main())
