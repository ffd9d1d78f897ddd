"""Claims as authors write them: a source, an id, a builder function, witnesses.

A derivation module under ``derivations/`` (or a user's own file) defines claims
with the :func:`claim` decorator::

    @claim(id="running_average.variance_limit",
           title="Limit variance of the running average",
           source=Source("000_e701d70adf034ba3.txt", "Problem 1 (a)"),
           statement="sigma^2 = sigma_x^2 / ((2 - 1/N) N)")
    def variance_limit(d):
        ...                       # symbols, givens, steps, statement

    @variance_limit.witness("monte-carlo")
    def _simulate(w):
        ...                       # run the process, report what it measured

Invariants: a :class:`Claim` is immutable once loaded apart from its witness
list; building it (calling ``build(d)``) is cheap and side-effect free; all
checking happens in :mod:`proofs.engine`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from .verdicts import Verdict

_ID_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class Source:
    """Where a claim is stated: a file of ``shared/seeds`` (or a paper) and a locator."""

    file: str
    locator: str

    def to_dict(self) -> dict:
        return {"file": self.file, "locator": self.locator}


@dataclass
class WitnessSpec:
    """A numeric witness: a function ``fn(w)`` that runs the process the claim is about."""

    fn: Callable
    kind: str          # "exact", "monte-carlo", "finite-difference", "simulation", ...
    name: str
    statistical: bool  # counts against the catalog's false-alarm budget


STATISTICAL_KINDS = ("monte-carlo",)


@dataclass
class Claim:
    id: str
    title: str
    source: Source
    build: Callable
    expected: Verdict = Verdict.PROVED
    statement: str = ""               # the source's words, verbatim where possible
    topic: str = ""
    also: tuple = ()                  # further Sources stating the same result
    corrects: str | None = None       # id of the refuted source claim this one corrects
    reading: str = ""                 # precise form of an approximate statement
    not_checkable: str = ""           # reason, when there is nothing to compute
    witnesses: list = field(default_factory=list)
    file: str = ""                    # set by the loader
    line: int = 0

    def witness(self, kind: str = "simulation", name: str | None = None):
        """Decorator: register ``fn(w)`` as a numeric witness of this claim."""

        def deco(fn: Callable) -> Callable:
            self.add_witness(fn, kind=kind, name=name)
            return fn

        return deco

    def add_witness(self, fn: Callable, kind: str = "simulation", name: str | None = None) -> None:
        self.witnesses.append(WitnessSpec(fn=fn, kind=kind, name=name or fn.__name__.strip("_") or kind,
                                          statistical=kind in STATISTICAL_KINDS))

    def sources(self) -> list:
        return [self.source, *self.also]


def claim(*, id: str, title: str, source: Source, expected: str | Verdict = "proved",
          statement: str = "", topic: str = "", also=(), corrects: str | None = None,
          reading: str = "", not_checkable: str = "", witnesses=()):
    """Decorator turning a builder ``build(d)`` into a :class:`Claim`.

    ``witnesses`` may list functions (or ``(fn, kind)`` pairs) shared with other
    claims, e.g. a wrong variant reusing the catalog's simulation.
    """
    if not isinstance(id, str) or not _ID_RE.match(id):
        raise ValueError(f"claim id {id!r} must be letters, digits, '_', '.', '-'")
    if not isinstance(source, Source):
        raise TypeError(f"claim {id}: source must be a Source(file, locator)")
    exp = Verdict(expected)

    def deco(build: Callable) -> Claim:
        code = getattr(build, "__code__", None)
        c = Claim(id=id, title=title, source=source, build=build, expected=exp, statement=statement,
                  topic=topic, also=tuple(also), corrects=corrects, reading=reading,
                  not_checkable=not_checkable, line=code.co_firstlineno if code else 0)
        for w in witnesses:
            if isinstance(w, tuple):
                c.add_witness(w[0], kind=w[1])
            else:
                c.add_witness(w, kind=getattr(w, "witness_kind", "simulation"))
        return c

    return deco


def witness_kind(kind: str):
    """Mark a shared witness function with its kind (used by ``claim(witnesses=[...])``)."""

    def deco(fn):
        fn.witness_kind = kind
        return fn

    return deco
