"""What every check needs to know about the derivation it belongs to.

A :class:`CheckContext` is built once per claim from its derivation and
passed to the cascade, the side-condition checker and the rules.
"""
from __future__ import annotations

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

    @classmethod
    def for_derivation(cls, d, *, seed: int = 0, stage_timeout: float = 5.0, label: str = "") -> "CheckContext":
        return cls(sampler=PointSampler(d.bounds, d.custom_sampler, seed, closed=d.closed),
                   stage_timeout=stage_timeout, bounds=dict(d.bounds), closed=dict(d.closed),
                   random_model=d._random, label=label)

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
