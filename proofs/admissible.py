"""Admissible points: what a point must satisfy before it may be shown as a counterexample.

A step's *scope* is every premise it may rely on: its ``using`` facts, the definitions, and the
derivation's givens and assumptions recorded before it (an induction hypothesis only inside its
block). The substitution (:mod:`proofs.premises`) turns the premises it can into replacements;
everything in scope is also a *constraint* on points:

* an equation is solved, at each point, for one atom in which it is linear (so sampled points
  satisfy it: ``a + b = 1`` values ``b`` and solves for ``a``; ``sum_k y_k = 1`` at K = 3 solves for
  ``y[3]``);
* an inequality on one symbol against a number (``x > 0``, ``eta <= 1``) *refines* that symbol:
  it gets the matching SymPy assumption and bound, so the cascade, the side conditions and the
  sampler all use it;
* any other inequality (``alpha*lambda < 1``) is checked at the point (rejection).

Invariant (the one the product rests on): :meth:`Scope.violation` returns ``None`` only when the
point satisfies, exactly (rationals, or 50 digits for irrational values), every constraint of the
scope that shares an atom with it, and every atom's integrality, sign assumptions and bounds (open
or closed). A constraint that cannot be evaluated at the point is a violation ("could not be
checked"), never a pass. Constraints that share no atom with the point (directly or through other
constraints) are independent of it and are not evaluated: the author's premises are taken to be
consistent.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import sympy as sp
from sympy.tensor.indexed import Indexed

from sympy.core.function import AppliedUndef

from .sampling import SIMPLE_VALUES, Infeasible, PointSampler, Unevaluable, evaluate, free_atoms
from .timelimit import StageTimeout, time_limit

_INEQ = (sp.StrictGreaterThan, sp.GreaterThan, sp.StrictLessThan, sp.LessThan)


def _touch(expr) -> set:
    """Atoms and IndexedBase labels of ``expr``: two expressions sharing one may constrain each other."""
    out = set(free_atoms(expr))
    out |= {a.base.label for a in expr.atoms(Indexed)}
    return out


@dataclass
class Constraint:
    """One premise in scope, after the step's substitution: ``expr op 0`` with op in ``=``, ``>``, ``>=``, ``!=``."""

    label: str
    text: str
    expr: object
    op: str
    linear: tuple = None              # plain atoms the equation is linear in (computed once)
    only_if_valued: bool = False      # checked only where the point values every entry it names
    _atoms: tuple = None

    @property
    def atoms(self) -> tuple:
        if self._atoms is None:
            self._atoms = tuple(free_atoms(self.expr))
        return self._atoms

    def linear_atoms_any(self) -> tuple:
        """Plain atoms the expression is linear in, for any relation (sorted, for determinism)."""
        return tuple(a for a in self.atoms if not isinstance(a, Indexed) and _linear_coefficient(self.expr, a) is not None)

    def linear_atoms(self) -> tuple:
        if self.linear is None:
            self.linear = tuple(a for a in self.atoms if not isinstance(a, Indexed)
                                and _linear_coefficient(self.expr, a) is not None) if self.op == "=" else ()
        return self.linear

    def holds_at(self, value) -> bool:
        if self.op == "=":
            return _is_zero(value)
        if not value.is_real:
            return False
        return {"!=": value != 0, ">": value > 0, ">=": value >= 0}[self.op]


def _is_zero(v) -> bool:
    """Exactly zero (rationals) or below 1e-35 at 50 digits; an undefined value (nan, zoo) is not zero."""
    if v.is_Rational:
        return v == 0
    if v.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or v.is_finite is False:
        return False
    return bool(abs(sp.N(v, 50)) < sp.Float(10) ** -35)


def _linear_coefficient(expr, atom):
    """``(a, b)`` with ``expr = a*atom + b`` and ``a`` free of ``atom``; None when not linear."""
    a = sp.diff(expr, atom)
    if a.has(atom) or a == 0:
        return None
    b = sp.expand(expr - a * atom)
    if b.has(atom):
        return None
    return a, b


@dataclass
class Scope:
    """The premises in scope of one step, as a substitution plus constraints on points."""

    sampler: PointSampler | None = None
    subst: object = None
    notes: list = field(default_factory=list)      # premises that could not be turned into constraints
    facts: list = field(default_factory=list)      # the facts in scope (constraints are built from them lazily)
    ctx: object = None
    _constraints: list = None

    @property
    def constraints(self) -> list:
        """The constraints, built on first use: most steps are decided without ever needing a point."""
        if self._constraints is None:
            self._constraints = []
            _fill(self, self.facts, self.ctx)
        return self._constraints

    # -- building a point -----------------------------------------------------------------------
    def _connected(self, expr) -> list:
        """The equation and inequality constraints connected to ``expr`` through shared atoms (memoised)."""
        memo = self.__dict__.setdefault("_memo", {})
        if expr not in memo:
            memo[expr] = self._connect(expr)
        return memo[expr]

    def _connect(self, expr) -> list:
        reach = _touch(expr)
        todo, out = list(self.constraints), []
        changed = True
        while changed:
            changed = False
            for c in list(todo):
                t = _touch(c.expr)
                if t & reach or not t:
                    reach |= t
                    out.append(c)
                    todo.remove(c)
                    changed = True
        return [c for c in self.constraints if c in out]

    def complete(self, point: dict, expr) -> None:
        """Give values to the atoms of the constraints connected to ``expr`` so the point satisfies their
        equations: each equation gets its own *dependent* atom (one not yet valued, preferring atoms absent
        from ``expr``, free of sign assumptions and bounds, and named by few constraints); every other atom
        is drawn; then the equations are solved for the dependents (one at a time where triangular, else as
        a linear system). An entry revealed only on evaluation (y[3] of sum_k y_k at K = 3) is solved for
        when no plain atom is available. Raises :class:`Infeasible` when a solved value is not admissible
        or a constraint cannot be evaluated; the caller then skips the point."""
        rnd = point.get("__rnd__") or random.Random(0)
        simple = bool(point.get("__simple__"))
        dependents = point.setdefault("__dependent__", set())
        in_expr = set(free_atoms(expr))
        connected = self._connected(expr)
        eqs = [c for c in connected if c.op == "=" and not c.only_if_valued]
        ineqs = [c for c in connected if c.op in (">", ">=")]
        if ineqs:
            self._repair_inequalities(point, ineqs, eqs, rnd, simple)
        if not eqs:
            return
        shared = {}
        for c in eqs:
            for a in c.atoms:
                shared[a] = shared.get(a, 0) + 1
        cands = {}
        for c in eqs:
            cs = [a for a in c.linear_atoms() if a not in point]
            cs.sort(key=lambda a: (bool(a.is_integer) and abs(sp.diff(c.expr, a)) != 1, bool(a.is_integer),
                                   a in in_expr, self._restricted(a), shared.get(a, 0), sp.default_sort_key(a)))
            free = [a for a in cs if a not in in_expr and not self._restricted(a) and not a.is_integer]
            if not free and c.expr.has(Indexed):
                cs = []           # solve for an entry it names (S[T - 1] at T = 3) rather than move the step's eta_0
            cands[id(c)] = cs
        chosen = _matching(eqs, cands)
        deps = set(chosen.values())
        for c in eqs:                                   # draw every other plain atom
            for a in c.atoms:
                if not isinstance(a, Indexed) and a not in point and a not in deps:
                    point[a] = self.sampler.value(a, rnd, point, simple)
        residuals = []
        for c in eqs:
            e = c.expr.xreplace({a: v for a, v in point.items() if not isinstance(a, str)})
            if e.has(sp.Sum, sp.Product, sp.KroneckerDelta, sp.Piecewise):
                try:
                    e = e.doit()
                except (TypeError, ValueError, NotImplementedError) as exc:
                    raise Infeasible(f"{c.label} cannot be evaluated: {exc}") from None
            left = [a for a in free_atoms(e) if a not in point and a not in deps]
            if id(c) not in chosen:                     # entries revealed by evaluation: solve for the last one
                lin = [a for a in reversed(left) if not a.is_integer and _linear_coefficient(e, a) is not None]
                if lin:
                    chosen[id(c)] = lin[0]
                    deps.add(lin[0])
            for a in left:                              # entries revealed by evaluation get values
                if a not in deps:
                    point[a] = self.sampler.value(a, rnd, point, simple)
            e = e.xreplace({a: point[a] for a in left if a in point})
            residuals.append(e)
        residuals = [r for r in residuals if not (r.is_number and _is_zero(r))]
        unknowns = [a for a in deps if a not in point]
        for a in list(unknowns):              # a dependent no remaining equation needs: drawn like any atom
            if not any(r.has(a) for r in residuals):
                point[a] = self.sampler.value(a, rnd, point, simple)
                unknowns.remove(a)
        if not unknowns:
            return
        unknowns.sort(key=sp.default_sort_key)
        self._solve_system([r for r in residuals if any(r.has(u) for u in unknowns)], unknowns, point, rnd, simple)
        dependents.update(a for a in deps if a in point)

    def _solve_system(self, system, unknowns, point, rnd, simple) -> None:
        """Solve the residual equations for the unknowns at the point: one at a time where an equation has a
        single unknown (in which it is linear), else as a linear system; an unknown that no step can
        solve is drawn instead. Raises :class:`Infeasible` when a solved value is not admissible."""
        unknowns, remaining = list(unknowns), list(system)
        while unknowns:
            known = {u: point[u] for u in list(point) if not isinstance(u, str)}
            progress = False
            for r in list(remaining):
                r2 = r.xreplace(known)
                us = [u for u in unknowns if r2.has(u)]
                if not us:
                    remaining.remove(r)
                    continue
                if len(us) == 1:
                    ab = _linear_coefficient(r2, us[0])
                    if ab is not None and ab[0].is_number and ab[0] != 0 and not ab[1].free_symbols:
                        self._assign(point, us[0], -ab[1] / ab[0])
                        unknowns.remove(us[0])
                        remaining.remove(r)
                        progress = True
                        break
            if progress:
                continue
            subs = [r.xreplace(known) for r in remaining]
            try:
                sol = sp.linsolve(subs, unknowns) if subs else sp.EmptySet
            except (ValueError, TypeError, NotImplementedError, sp.PolynomialError):
                sol = None                    # not linear in the unknowns
            if sol:
                values = list(next(iter(sol)))
                free = sorted(set().union(*(v.free_symbols for v in values)) & set(unknowns), key=sp.default_sort_key)
                params = {a: self.sampler.value(a, rnd, point, simple) for a in free}
                for a, v in zip(list(unknowns), values):
                    self._assign(point, a, params.get(a, v.xreplace(params)))
                return
            if sol is not None and subs:
                raise Infeasible("the premises have no solution at this point")
            # stuck (an equation non-linear in the unknowns): draw the unknown that multiplies others most often
            def tangled(u):
                return sum(1 for r in subs if any(sp.diff(r, u).has(v) for v in unknowns if v is not u))
            a = max(unknowns, key=lambda u: (tangled(u), sp.default_sort_key(u)))
            unknowns.remove(a)
            point[a] = self.sampler.value(a, rnd, point, simple)

    def _assign(self, point, atom, v) -> None:
        if not v.is_Rational:
            v = sp.nsimplify(v) if v.is_number else v
        if v.free_symbols or not self.sampler.admissible(atom, v, point):
            raise Infeasible(f"solving the premises gives {atom} = {v}, which is not admissible")
        point[atom] = v

    def _repair_inequalities(self, point, ineqs, eqs, rnd, simple) -> None:
        """Draw the atoms of the inequality premises (``eta_min < eta_max``) and, where one is violated and
        linear in an atom no equation needs, move that atom just inside (boundary + 1 or a half-way point),
        keeping it admissible. The point is validated exactly afterwards in any case."""
        eq_atoms = set().union(*(set(c.atoms) for c in eqs)) if eqs else set()
        for c in ineqs:
            for a in c.atoms:
                if not isinstance(a, Indexed) and a not in point:
                    point[a] = self.sampler.value(a, rnd, point, simple)
        for c in ineqs:
            vals = {a: v for a, v in point.items() if not isinstance(a, str)}
            try:
                now = c.expr.xreplace(vals)
                if not now.is_number or c.holds_at(now):
                    continue
            except (TypeError, ValueError):
                continue
            for a in c.linear_atoms_any():
                if a in eq_atoms or isinstance(a, Indexed):
                    continue
                rest = {k: v for k, v in vals.items() if k != a}
                ab = _linear_coefficient(c.expr.xreplace(rest), a)
                if ab is None or not ab[0].is_number or ab[0] == 0 or ab[1].free_symbols:
                    continue
                edge = -ab[1] / ab[0]
                for step in (1, sp.Rational(1, 2), sp.Rational(1, 10)):
                    v = edge + step if ab[0] > 0 else edge - step
                    if self.sampler.admissible(a, v, {**point, a: v}) and c.holds_at(c.expr.xreplace({**rest, a: v})):
                        point[a] = v
                        break
                if point[a] != vals[a]:
                    break

    def _restricted(self, atom) -> bool:
        return bool(atom.is_positive or atom.is_negative or atom.is_nonnegative or atom.is_nonpositive
                    or atom.is_nonzero or atom in self.sampler.bounds)

    def violation(self, point: dict, expr) -> str | None:
        """Why ``point`` is not admissible for a relation over ``expr``; None when it is (see module doc)."""
        for atom, v in list(point.items()):
            if isinstance(atom, str) or isinstance(atom, sp.Dummy):
                continue
            if self.sampler is not None and not self.sampler.admissible(atom, v, point):
                return f"{atom} = {v} breaks its assumptions or bounds"
        bad = self._power_violation(point)
        if bad:
            return bad
        for c in self._connected(expr):
            probe = dict(point)
            probe.pop("__rewrite__", None)    # a premise is checked as written at the point (not unrolled further)
            try:
                v = evaluate(c.expr, probe, self.sampler)
            except (Unevaluable, Infeasible, ZeroDivisionError, TypeError, ValueError) as e:
                return f"{c.label} could not be checked at the point ({e})"
            new = [k for k in probe if k not in point and not isinstance(k, str)]
            if new and c.only_if_valued:
                continue              # entries the point does not value: the substitution already satisfied them
            if new:
                return f"{c.label} involves {', '.join(map(str, new))}, not determined at the point"
            try:
                ok = v is not None and c.holds_at(v)
            except (TypeError, ValueError):
                ok = False
            if not ok:
                return f"the point breaks {c.label}: {c.text}"
        return self._entries_violation(point)

    def _power_violation(self, point: dict) -> str | None:
        """A premise solved for an even power (``b**2 -> 1 - a**2``, :func:`proofs.premises._linear_power`)
        gives a real ``b`` only where that value is >= 0 (and > 0 for a nonzero ``b``)."""
        mapping = getattr(self.subst, "mapping", None) or {}
        for key, value in mapping.items():
            if not (isinstance(key, sp.Pow) and isinstance(key.base, sp.Symbol) and key.exp.is_even):
                continue
            probe = dict(point)
            probe.pop("__rewrite__", None)
            try:
                v = evaluate(value, probe, self.sampler)
            except (Unevaluable, Infeasible, ZeroDivisionError, TypeError, ValueError) as e:
                return f"{key} = {value} could not be checked at the point ({e})"
            v = sp.sympify(v) if not isinstance(v, sp.Basic) else v
            if not v.is_real or v.is_negative or (v.is_zero and key.base.is_nonzero):
                return f"{key} = {v} at the point, so {key.base} is not real (or breaks its assumptions)"
        return None

    # -- the premises as written, at the entries a point values ------------------------------------------
    def _written(self) -> list:
        """(label, lhs - rhs as written, for_all template or None) of every equation in scope that names
        an entry (memoised). Definitions are included: they hold by construction, so they only propagate."""
        if "_written_memo" not in self.__dict__:
            out = []
            for f in self.facts:
                rels = f.relation if isinstance(f.relation, tuple) else (f.relation,)
                for rel in rels:
                    if not isinstance(rel, sp.Equality) or not rel.has(Indexed) or rel.atoms(AppliedUndef) or \
                            rel.has(sp.Derivative, sp.Integral, sp.Limit, sp.Subs):
                        continue                  # values are put in by xreplace: no bound differentiation variables
                    if f.kind == "definition" and not isinstance(rel.lhs, Indexed):
                        continue                  # a defined symbol is substituted everywhere: nothing to propagate
                    tpl = None
                    if getattr(f, "for_all", ()) and isinstance(rel.lhs, Indexed):
                        # the recursion's range is the declared one (the substitution's template keeps it), not
                        # the refinement an induction block makes (t >= 2 inside the block of base 1)
                        declared = [b for lhs, _, names, b, _ in getattr(self.subst, "templates", None) or ()
                                    if lhs == rel.lhs and names == tuple(f.for_all)]
                        tpl = (tuple(f.for_all), declared[0] if declared else {})
                    elif f.kind == "definition" and isinstance(rel.lhs, Indexed) and \
                            any(i.free_symbols for i in rel.lhs.indices):
                        continue                  # a family definition: substituted wherever it applies
                    out.append((f.label, rel.lhs - rel.rhs, tpl))
            self.__dict__["_written_memo"] = out
        return self.__dict__["_written_memo"]

    def _entries_violation(self, point: dict) -> str | None:
        """Entries valued by the point (``v[0] = 1``) must fit the premises *as written*, not only their
        normalised forms (where ``v[0]`` may have been rewritten by a recursion before ``v[0] = v_0`` was
        applied): each equation naming entries is taken at the point's values (a ``for_all`` recursion at
        every index that names a known entry); one with a single unknown entry, linear in it, determines it
        (so ``v[0] = v_0`` and ``v[2] = c + v[1]/2`` together fix ``v[1]``); one with all its entries known
        must hold exactly. Bounded (a few rounds, a few hundred instances); anything not numeric is skipped."""
        rels = self._written()
        if not rels:
            return None
        vals = {k: v for k, v in point.items() if not isinstance(k, (str, sp.Dummy))}
        known = {k: v for k, v in vals.items() if isinstance(k, Indexed)}
        if not known:
            return None
        plain = {k: v for k, v in vals.items() if not isinstance(k, Indexed)}
        from .premises import _match_indices
        seen, budget = set(), 300
        for _ in range(8):
            changed = False
            instances = []
            for label, diff, tpl in rels:
                if tpl is None:
                    instances.append((label, diff))
                    continue
                names, bounds = tpl
                pats = [a for a in diff.atoms(Indexed) if any(i.has(*names) for i in a.indices)]
                for e in list(known):
                    for p in pats:
                        if p.base != e.base or len(p.indices) != len(e.indices):
                            continue
                        sol = _match_indices(p.indices, e.indices, names, bounds)
                        if sol is not None and all(n in sol for n in names):
                            at = ", ".join(f"{n} = {v}" for n, v in sol.items())
                            instances.append((f"{label} at {at}", diff.xreplace(sol)))
            for label, inst in instances:
                key = (label, inst)
                if key in seen:
                    continue
                if budget <= 0:
                    return None
                budget -= 1
                try:
                    e = inst.xreplace(plain)
                    e = e.xreplace({a: known[a] for a in e.atoms(Indexed) if a in known})
                except (TypeError, ValueError):
                    continue
                if e.has(sp.Sum, sp.Product, sp.KroneckerDelta):
                    try:
                        e = e.doit()
                    except Exception:  # noqa: BLE001 - not numeric here: skipped
                        continue
                    e = e.xreplace({a: known[a] for a in e.atoms(Indexed) if a in known})
                unknown = e.atoms(Indexed)
                if e.free_symbols - set().union(*(a.free_symbols for a in unknown)) if unknown else e.free_symbols:
                    continue                      # a symbol the point does not value: not decidable here
                if not unknown:
                    seen.add(key)
                    try:
                        breaks = bool(e.is_number and e.is_finite and not _is_zero(e))
                    except Exception as exc:  # noqa: BLE001 - SymPy/mpmath failing to evaluate: not admissible
                        return (f"the point could not be checked against {label} as written "
                                f"({type(exc).__name__} while evaluating it)")
                    if breaks:
                        return f"the point breaks {label} as written ({_entries_text(known, inst)})"
                    continue
                if len(unknown) != 1:
                    continue
                (u,) = unknown
                if any(not i.is_number for i in u.indices):
                    continue
                lin = _linear_coefficient(e, u)
                if lin is None or not lin[0].is_number or _is_zero(lin[0]):
                    continue
                seen.add(key)
                known[u] = -lin[1] / lin[0]
                changed = True
            if not changed:
                break
        return None

    # -- showing a point --------------------------------------------------------------------------
    def author_point(self, point: dict, written) -> dict:
        """The point in the author's variables: every atom of the relation as written, with the values the
        premises give substituted atoms, plus the free values; sorted by name; numbers only."""
        vals = {k: v for k, v in point.items() if not isinstance(k, str) and not isinstance(k, sp.Dummy)}
        if self.subst is not None and written is not None:
            for a in free_atoms(written):
                if a in vals or a not in self.subst.mapping:
                    continue
                value = self.subst.apply(a)
                if value.has(sp.Limit, sp.Derivative, sp.Integral) or \
                        any(_is_moment(n) for n in sp.preorder_traversal(value)):
                    continue              # an operator as written, not normalised: no value to show cheaply
                probe = dict(point)
                try:
                    with time_limit(0.5):
                        v = evaluate(value, probe, self.sampler)
                except (Unevaluable, Infeasible, ZeroDivisionError, TypeError, ValueError, StageTimeout):
                    continue
                if v is not None and v.is_number and not [k for k in probe if k not in point]:
                    vals[a] = v
        out = {}
        for k, v in sorted(vals.items(), key=lambda kv: str(kv[0])):     # the order JSON (sort_keys) keeps
            if v.is_number:
                out[str(k)] = str(v)
        return out


def _entries_text(known: dict, inst) -> str:
    named = sorted((a for a in known if a in inst.atoms(Indexed)), key=sp.default_sort_key)
    return ", ".join(f"{a} = {known[a]}" for a in named) or sp.sstr(inst)


def _matching(eqs, cands) -> dict:
    """A maximum matching of equations to distinct dependent atoms (Kuhn's augmenting paths), each
    equation trying its candidates in order of preference. Returns id(equation) -> atom."""
    owner: dict = {}                       # atom -> id(equation)

    def augment(cid, seen) -> bool:
        for a in cands[cid]:
            if a in seen:
                continue
            seen.add(a)
            if a not in owner or augment(owner[a], seen):
                owner[a] = cid
                return True
        return False

    for c in eqs:
        augment(id(c), set())
    return {cid: a for a, cid in owner.items()}


def _opaque(expr, placeholders: dict):
    """Replace each undefined-function value (``L(eta)``, and a derivative or limit of one) by a real
    placeholder symbol, the same for the same subexpression: in a constraint it is an unknown number,
    which the point completion can solve for (``L(eta) = E[loss]`` then values ``L(eta)``)."""
    from sympy.core.function import AppliedUndef
    if not expr.atoms(AppliedUndef) and not any(_is_moment(a) for a in sp.preorder_traversal(expr)):
        return expr

    def walk(e):
        if isinstance(e, AppliedUndef) or (isinstance(e, (sp.Derivative, sp.Subs, sp.Limit, sp.Integral))
                                           and e.atoms(AppliedUndef)) or _is_moment(e):
            if e not in placeholders:
                placeholders[e] = sp.Dummy(f"[{sp.sstr(e)[:40]}]", real=True)
            return placeholders[e]
        if not e.args:
            return e
        return e.func(*[walk(a) for a in e.args])
    return walk(expr)


def _is_moment(e) -> bool:
    """An expectation, variance or covariance the expectation algebra left unevaluated."""
    return type(e).__name__ in ("E", "Var", "Cov") and type(e).__module__.endswith("expectation")


def _probe(expr):
    """``expr`` at one fixed point of small primes (None when it cannot be evaluated there)."""
    from sympy.core.function import AppliedUndef
    if expr.has(sp.Sum, sp.Product, sp.Limit, sp.Derivative, sp.Integral) or expr.atoms(AppliedUndef):
        return None
    atoms = sorted(free_atoms(expr), key=sp.default_sort_key)
    primes = (sp.Rational(3, 7), sp.Rational(5, 11), sp.Rational(7, 13), sp.Rational(11, 17), sp.Rational(13, 19))
    try:
        v = expr.xreplace({a: primes[i % len(primes)] + i // len(primes) for i, a in enumerate(atoms)})
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v if v.is_number and v.is_finite else None


def _vanishes(diff, ctx) -> bool:
    """``diff`` is identically 0 by a cheap, time-bounded exact reduction."""
    from .timelimit import StageTimeout, time_limit
    if diff == 0:
        return True
    probe = _probe(diff)
    if probe is not None and not _is_zero(probe):
        return False                      # non-zero at a point: cheaper than any normal form
    try:
        with time_limit(min(0.5, getattr(ctx, "stage_timeout", 0.5) or 0.5)):
            if not diff.has(sp.Sum, sp.Product):
                return sp.expand(diff) == 0 or sp.cancel(sp.together(diff)) == 0
            from .sums import canonical_sums
            return sp.expand(canonical_sums(diff)) == 0
    except (StageTimeout, TypeError, ValueError, NotImplementedError, sp.PolynomialError):
        return False


def shrink_candidates(v):
    """Simpler values to try in place of ``v``, simplest first (only ones strictly simpler)."""
    def size(x):
        return (int(abs(x.p)) + int(x.q), bool(x < 0)) if x.is_Rational else (10 ** 9, False)
    return [c for c in SIMPLE_VALUES if size(c) < size(v)]


def build_scope(facts, subst, sampler: PointSampler, ctx) -> Scope:
    """The scope of a step: its facts (the step's premises and the derivation's hypotheses), the
    substitution and the sampler; the constraints (every fact after ``subst``) are built on first use."""
    return Scope(sampler=sampler, subst=subst, facts=list(facts), ctx=ctx)


def _fill(scope: Scope, facts, ctx) -> None:
    from .normalise import normalise
    subst = scope.subst
    seen = set()
    placeholders: dict = {}
    for f in facts:
        if f.kind == "definition":        # always substituted: satisfied by construction
            continue
        rels = f.relation if isinstance(f.relation, tuple) else (f.relation,)
        for rel in rels:
            if not isinstance(rel, sp.core.relational.Relational):
                continue
            key = (f.label, rel)
            if key in seen:
                continue
            seen.add(key)
            try:
                lhs, rhs = normalise(rel.lhs, subst, ctx), normalise(rel.rhs, subst, ctx)
            except Exception as e:  # noqa: BLE001 - unusable premise: say so
                # it still constrains every atom it names: a point touching them cannot be validated
                scope.notes.append(f"{f.label} cannot be evaluated ({type(e).__name__})")
                scope._constraints.append(Constraint(f.label, sp.sstr(rel), sp.Add(rel.lhs, -rel.rhs), "="))
                continue
            text = sp.sstr(rel)
            lhs, rhs = _opaque(lhs, placeholders), _opaque(rhs, placeholders)
            if isinstance(rel, sp.Equality):
                diff = lhs - rhs
                if _vanishes(diff, ctx):
                    # used as a substitution: satisfied by construction -- except that an entry mu[0] it
                    # replaced can reappear once a symbolic index is valued (mu[t - 1] at t = 1): then the
                    # premise as written must hold at the point too
                    if rel.has(Indexed):
                        raw = _opaque(rel.lhs - rel.rhs, placeholders)
                        if raw != 0:
                            scope._constraints.append(Constraint(f.label, text, raw, "=", only_if_valued=True))
                    continue
                scope._constraints.append(Constraint(f.label, text, diff, "="))
            elif isinstance(rel, sp.Unequality):
                scope._constraints.append(Constraint(f.label, text, lhs - rhs, "!="))
            elif isinstance(rel, _INEQ):
                big, small = (lhs, rhs) if isinstance(rel, (sp.StrictGreaterThan, sp.GreaterThan)) else (rhs, lhs)
                op = ">" if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)) else ">="
                scope._constraints.append(Constraint(f.label, text, big - small, op))
