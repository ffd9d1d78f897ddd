"""Premises become substitutions: each given equation is solved for what it determines.

* a definition ``s := e`` substitutes ``s``;
* an equation ``atom = expr`` (atom a symbol, indexed entry or function
  application not occurring in ``expr``) substitutes ``atom``;
* otherwise the equation is solved for its ``solve_for`` symbols, or for the
  derivation's declared unknowns occurring in it; a linear solve records the
  non-zero determinant (coefficient) as a side condition.

Invariant: substitution never assumes a denominator is non-zero without
recording it as a condition for the caller to check.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.tensor.indexed import Indexed

from .timelimit import time_limit


class PremiseError(Exception):
    pass


@dataclass
class Substitution:
    mapping: dict = field(default_factory=dict)
    conditions: list = field(default_factory=list)     # expressions that must be != 0
    notes: list = field(default_factory=list)

    def apply(self, expr, rounds: int = 12):
        if not self.mapping:
            return expr
        for _ in range(rounds):
            new = expr.xreplace(self.mapping)
            if new == expr:
                return new
            expr = new
        return expr


def _is_atom(x) -> bool:
    return isinstance(x, (sp.Symbol, Indexed, AppliedUndef)) or (
        isinstance(x, sp.Function) and not x.args == ())


def _relations(rel):
    return rel if isinstance(rel, tuple) else (rel,)


def _solve_linear_one(e, t):
    """Solve a t + b = 0 for t when a is free of t; returns (solution, a) or None."""
    e = sp.expand(e)
    a = e.coeff(t, 1)
    if a == 0 or a.has(t) or (e - a * t).has(t):
        return None
    a = sp.factor(sp.together(a))
    return sp.cancel(sp.together(-(e - a * t) / a)), a


def _solve_triangular(eqs: list, targets: list):
    """Solve one equation at a time when each step is linear in a single remaining unknown."""
    sol, conds, remaining = {}, [], list(eqs)
    while remaining:
        for e in remaining:
            e2 = e.xreplace(sol)
            left = [t for t in targets if t not in sol and e2.has(t)]
            if len(left) == 1:
                got = _solve_linear_one(e2, left[0])
                if got is not None:
                    sol = {k: sp.cancel(v.xreplace({left[0]: got[0]})) for k, v in sol.items()}
                    sol[left[0]] = got[0]
                    if not got[1].is_number:
                        conds.append(got[1])
                    remaining.remove(e)
                    break
        else:
            return None
    if set(sol) != set(targets):
        return None
    return sol, conds


def _solve(eqs: list, targets: list, ctx) -> tuple[dict, list]:
    """Solve ``eqs`` (expressions = 0) for ``targets``; returns (solution, conditions)."""
    if len(eqs) == len(targets):                      # fast path: triangular, linear one at a time
        tri = _solve_triangular(eqs, targets)
        if tri is not None:
            return tri
    try:
        A, b = sp.linear_eq_to_matrix(eqs, targets)
        linear = True
    except (sp.PolynomialError, ValueError, TypeError):  # nonlinear in the targets
        linear = False
    if linear and A.shape[0] == A.shape[1]:
        det = sp.factor(A.det())
        if det == 0:
            raise PremiseError(f"cannot solve for {', '.join(map(str, targets))}: singular system")
        sol = A.LUsolve(b)
        return {t: sp.cancel(sp.together(v)) for t, v in zip(targets, sol)}, ([det] if not det.is_number else [])
    with time_limit(ctx.stage_timeout if ctx is not None else None):
        sols = sp.solve(eqs, targets, dict=True)
    if len(sols) != 1:
        raise PremiseError(f"solving for {', '.join(map(str, targets))} gives {len(sols)} solutions; "
                           "state the premise in solved form")
    return sols[0], []


def substitutions(facts, unknowns, ctx=None) -> Substitution:
    """Turn premise facts into one substitution (applied repeatedly to a fixed point)."""
    out = Substitution()
    pending_eqs, pending_targets = [], []
    unknowns = list(unknowns or [])
    for fact in facts:
        for rel in _relations(fact.relation):
            if not isinstance(rel, sp.Equality):
                out.notes.append(f"{fact.label}: {rel} is not an equation; not used as a substitution")
                continue
            lhs, rhs = rel.lhs, rel.rhs
            if fact.kind == "definition":
                out.mapping[lhs] = rhs
                continue
            targets = [t for t in fact.solve_for if rel.has(t)]
            if not targets:
                if _is_atom(lhs) and not rhs.has(lhs) and lhs not in out.mapping:
                    out.mapping[lhs] = rhs
                    continue
                targets = [u for u in unknowns if rel.has(u) and u not in out.mapping
                           and u not in pending_targets]
                if not targets and _is_atom(rhs) and not lhs.has(rhs) and rhs not in out.mapping:
                    out.mapping[rhs] = lhs
                    continue
                if not targets and any(rel.has(u) for u in pending_targets):
                    pending_eqs.append(lhs - rhs)        # another equation of the same system
                    continue
                if not targets:
                    out.notes.append(f"{fact.label}: not in solved form and names no unknown; not used")
                    continue
            pending_eqs.append(lhs - rhs)
            pending_targets.extend(t for t in targets if t not in pending_targets)
    if pending_eqs:
        eqs = [out.apply(e) for e in pending_eqs]
        sol, conds = _solve(eqs, pending_targets, ctx)
        out.conditions.extend(conds)
        for k, v in sol.items():
            out.mapping[k] = v
    return out
