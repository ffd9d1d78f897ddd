"""What every check needs to know about the derivation it belongs to.

A :class:`CheckContext` is built once per claim from its derivation and
passed to the cascade, the side-condition checker and the rules.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import sympy as sp

from .sampling import PointSampler


@dataclass
class CheckContext:
    sampler: PointSampler
    stage_timeout: float = 5.0
    n_points: int = 6
    bounds: dict = field(default_factory=dict)
    closed: dict = field(default_factory=dict)     # symbol -> (lo included, hi included)
    random_model: object = None
    label: str = ""                 # e.g. "claim X, step 3" for messages
    scope: object = None            # proofs.admissible.Scope of the step being checked (None: no premises)
    caches: dict = field(default_factory=dict, repr=False)   # per claim, shared by every step's copy

    @classmethod
    def for_derivation(cls, d, *, seed: int = 0, stage_timeout: float = 5.0, label: str = "") -> "CheckContext":
        return cls(sampler=PointSampler(d.bounds, d.custom_sampler, seed, closed=d.closed),
                   stage_timeout=stage_timeout, bounds=dict(d.bounds), closed=dict(d.closed),
                   random_model=d._random, label=label)

    def for_step(self, subst, facts) -> "CheckContext":
        """A copy for one step: the symbols its premises refine get their bounds, and its scope (every premise
        in scope as a constraint on points, :mod:`proofs.admissible`) travels with it."""
        from .admissible import build_scope
        step = copy.copy(self)
        if subst is not None and subst.bounds:
            step.bounds = {**self.bounds, **subst.bounds}
            step.closed = {**self.closed, **subst.closed}
            step.sampler = PointSampler(step.bounds, self.sampler.custom, self.sampler.seed, closed=step.closed)
        key = ("scope", id(subst), tuple(id(f) for f in facts))
        cache = self.caches.setdefault("scopes", {})
        if key not in cache:               # the links of a chain share premises: build their scope once
            cache[key] = (build_scope(facts, subst, step.sampler, step), subst, facts)   # (keep ids alive)
        step.scope = cache[key][0]
        return step

    def reparametrisation(self, expr) -> dict:
        """Substitutions that encode bounds SymPy cannot express as assumptions.

        lo < s < hi  ->  s = lo + (hi - lo)/(1 + r), r > 0;   integer s >= 1 -> s = 1 + n, n >= 0.
        """
        subs = {}
        for s in sorted(expr.free_symbols, key=sp.default_sort_key):
            if s in self.bounds:
                lo, hi = self.bounds[s]
                r = sp.Dummy(f"r_{s}", positive=True)
                if lo.is_finite and hi.is_finite:
                    subs[s] = lo + (hi - lo) / (1 + r)
                elif lo.is_finite:
                    subs[s] = lo + r
                else:
                    subs[s] = hi - r
            elif isinstance(s, sp.Symbol) and s.is_integer and s.is_positive:
                subs[s] = 1 + sp.Dummy(f"n_{s}", integer=True, nonnegative=True)
        return subs
