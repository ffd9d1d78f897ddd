"""The derivation builder ``d`` that a claim's ``build(d)`` function fills in.

A derivation is: symbols with assumptions, givens (premises stated by the
source, not checked), definitions (substitutions), ordered steps (each checked)
and the statement the steps must establish::

    N = d.symbol("N", integer=True, positive=True)
    V, s2 = d.symbols("V sigma_x^2", positive=True)
    d.unknowns(V)
    fp = d.given(sp.Eq(V, (1 - 1/N)**2*V + s2/N**2), why="the limit must satisfy")
    d.step(sp.Eq(V, (1 - 2/N + 1/N**2)*V + s2/N**2), rule="expand the square")
    ...
    d.statement(sp.Eq(V, s2/((2 - 1/N)*N)))

Invariants
----------
* Building never checks anything; it only records. All checking is in
  :mod:`proofs.engine`.
* A step's premises are explicit: ``using=`` facts, or by default the fact
  recorded just before it; definitions are premises of every step.
* Every recorded relation is a SymPy object; anything else is rejected here
  with a ``DerivationError`` naming the step.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import sympy as sp


def Eq(lhs, rhs):
    """An equation kept as written: ``sp.Eq(lhs, rhs, evaluate=False)``.

    SymPy otherwise tries to decide an equation when it is built (slow for sums, and
    it collapses to True/False where the assumptions decide it, losing both sides).
    """
    return sp.Eq(lhs, rhs, evaluate=False)


class DerivationError(Exception):
    """Bad input in a derivation (not a mathematical failure)."""


@dataclass
class Fact:
    """A relation available as a premise: a given, a definition, an assumption or a step's result."""

    label: str
    relation: Any                     # sympy relational (or tuple of them)
    kind: str                         # "given" | "definition" | "assumption" | "step"
    why: str = ""
    solve_for: tuple = ()
    step_index: int | None = None
    block: object = None              # the induction block it belongs to (in scope only inside it), or None
    for_all: tuple = ()               # integer symbols the premise holds for every value of (a recursion)


@dataclass
class Step:
    """One checked step: a relation, the rule that justifies it and its premises."""

    index: int
    relation: Any                     # sympy relational or tuple of relationals
    rule: str
    why: str
    label: str
    using: list
    line: int = 0
    options: dict = field(default_factory=dict)   # rule-specific (wrt=, tol=, ...)
    hypotheses: list = field(default_factory=list)  # givens and assumptions in scope when it was written


class Namespace(dict):
    """Symbols by name; attribute access for identifier-like names (``w.S.N``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no symbol named {name!r}; known: {', '.join(sorted(self))}") from None


def _ident(name: str) -> str:
    out = "".join(ch if ch.isalnum() else "_" for ch in name)
    while "__" in out:
        out = out.replace("__", "_")
    return out.strip("_") or "x"


def _caller_line() -> int:
    """Line in the author's file that recorded the current step (first frame outside this module)."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename == __file__:
        f = f.f_back
    return f.f_lineno if f is not None else 0


def _check_relation(rel, where: str, allow_true: bool = True):
    rels = rel if isinstance(rel, (list, tuple)) else (rel,)
    if not rels:
        raise DerivationError(f"{where}: empty relation list")
    for r in rels:
        if isinstance(r, str):
            raise DerivationError(f"{where}: got the string {r!r}; write a SymPy expression, not text "
                                  "(text is never evaluated)")
        if isinstance(r, (bool, sp.logic.boolalg.BooleanAtom)) and (r is False or r == sp.false or not allow_true):
            raise DerivationError(f"{where}: the relation evaluated to {r} when it was built (SymPy decided it "
                                  "from the assumptions); write sp.Eq(lhs, rhs, evaluate=False) to keep both sides")
        if isinstance(r, (bool, sp.logic.boolalg.BooleanAtom)):
            continue                      # a tautology in a step: harmless, proved structurally
        if not isinstance(r, sp.Basic):
            raise DerivationError(f"{where}: expected a SymPy relation such as sp.Eq(a, b), got {type(r).__name__}")
        if not isinstance(r, sp.core.relational.Relational):
            raise DerivationError(f"{where}: {r} is an expression, not a relation; write sp.Eq(lhs, rhs)")
    return tuple(rels) if isinstance(rel, (list, tuple)) else rel


def _check_expr(e, where: str):
    if isinstance(e, str):
        raise DerivationError(f"{where}: got the string {e!r}; write a SymPy expression (text is never evaluated)")
    if isinstance(e, (int, float)):
        return sp.sympify(e)
    if not isinstance(e, sp.Basic):
        raise DerivationError(f"{where}: expected a SymPy expression, got {type(e).__name__}")
    if isinstance(e, (sp.core.relational.Relational, sp.logic.boolalg.BooleanFunction, sp.logic.boolalg.BooleanAtom)):
        raise DerivationError(f"{where}: got the relation {sp.sstr(e)[:120]}; an expression is expected here "
                              f"(a relation between expressions is a step or a given)")
    return e


class Chain:
    """A calc chain ``start = e1 = e2 = ...``; each link is a checked step."""

    def __init__(self, d: "Derivation", start, using):
        self._d = d
        self.start = _check_expr(start, f"step {len(d.steps) + 1} (chain start)")
        self.current = self.start
        self.using = using
        self.fact: Fact | None = None

    def eq(self, expr, rule: str = "algebra", why: str = "", label: str = "", using=None, **options) -> "Chain":
        d = self._d
        expr = _check_expr(expr, f"step {len(d.steps) + 1}")
        prem = list(self.using or [])
        if using is not None:
            prem += list(using) if isinstance(using, (list, tuple)) else [using]
        step = d._add_step(sp.Eq(self.current, expr, evaluate=False), rule, why, label, prem, options,
                           chain_link=True)
        self.current = expr
        self.fact = Fact(label=label or f"step {step.index}", relation=sp.Eq(self.start, expr, evaluate=False),
                         kind="step", why=why, step_index=step.index, block=d._blocks[-1] if d._blocks else None)
        d.facts.append(self.fact)
        d._last_fact = self.fact
        return self


def _mentions(rel, sym) -> bool:
    rels = rel if isinstance(rel, tuple) else (rel,)
    return any(isinstance(r, sp.Basic) and r.has(sym) for r in rels)


def _at(rel, sym, value):
    rels = rel if isinstance(rel, tuple) else (rel,)
    out = tuple(r.xreplace({sym: value}) if isinstance(r, sp.Basic) else r for r in rels)
    return out if isinstance(rel, tuple) else out[0]


class Induction:
    """``with d.induction(P, on=t, base=1) as ind:`` proves ``P`` for every integer ``t >= base``.

    Inside the block, ``ind.hypothesis`` is the fact ``P(t - 1)`` (``P`` with ``t -> t - 1``) and
    ``t >= base + 1`` holds; both are in scope only inside the block (a fact derived inside it cannot
    be used outside: it rests on the hypothesis). The block's steps must establish ``P(t)``.
    On leaving the block two checked obligations are added:

    * **base case** ``P(base)``, from the givens, assumptions and earlier steps in scope (write the
      steps that show it before the block, or let the engine check it directly);
    * **inductive step** ``P(t)``, from the block's last fact (with the hypothesis in scope);

    and the fact ``P`` (for every ``t >= base``) becomes the last fact, usable by later steps and the
    statement. The claim is proved only if both obligations are.
    """

    def __init__(self, d: "Derivation", formula, on, base, label: str = ""):
        self.d = d
        self.formula = _check_relation(formula, "induction formula")
        if isinstance(self.formula, tuple):
            raise DerivationError("induction formula: give one relation P(t)")
        if not isinstance(on, sp.Symbol) or not on.is_integer:
            raise DerivationError(f"induction on {on!r}: declare it with d.symbol(name, integer=True)")
        self.on = on
        self.base = sp.sympify(base)
        if not self.base.is_integer:
            raise DerivationError(f"induction on {on}: the base case must be an integer, got {base!r}")
        self.label = label or f"induction on {on}"
        self.hypothesis: Fact | None = None
        self.fact: Fact | None = None
        self._start = 0

    def __enter__(self) -> "Induction":
        d = self.d
        self._outer = d.hypotheses() + [f for f in d.facts if f.kind == "step" and f.block is None]
        d._blocks.append(self)
        prev = self.formula.xreplace({self.on: self.on - 1})
        self.range = Fact(label=f"{self.on} >= {self.base + 1} (inductive step)", relation=sp.Ge(self.on, self.base + 1),
                          kind="hypothesis", why="the range of the inductive step", block=self)
        from .latex import to_text
        self.hypothesis = Fact(label=f"induction hypothesis: {to_text(prev)}", relation=prev, kind="hypothesis",
                               why=f"P({self.on} - 1), in scope only in the inductive step", block=self)
        d.facts += [self.range, self.hypothesis]
        d._last_fact = self.hypothesis
        self._start = len(d.steps)
        return self

    def __exit__(self, exc_type, exc, tb):
        d = self.d
        if exc_type is not None:
            if self in d._blocks:
                d._blocks.remove(self)
            return False
        last = d._last_fact
        inner = d.hypotheses()                     # the hypothesis and range are still in scope here
        d._blocks.remove(self)
        if len(d.steps) == self._start:
            raise DerivationError(f"{self.label}: the inductive step has no steps (write the steps that derive "
                                  f"P({self.on}) from ind.hypothesis inside the block)")
        line = _caller_line()
        base_rel = self.formula.xreplace({self.on: self.base})
        in_range = not ((self.on.is_positive and not self.base > 0) or (self.on.is_nonnegative and not self.base >= 0))
        # a premise naming t holds for t in t's declared range only: taken at the base only if it lies there
        at_base = [Fact(label=f"{f.label} at {self.on} = {self.base}", relation=_at(f.relation, self.on, self.base),
                        kind=f.kind, why=f.why) for f in self._outer
                   if in_range and f.kind in ("given", "assumption") and _mentions(f.relation, self.on)]
        base = Step(index=len(d.steps) + 1, relation=base_rel, rule="base case",
                    why=f"P({self.base}): from the givens (those naming {self.on} taken at {self.on} = {self.base}) "
                        "and the steps before the induction", label="base case",
                    using=at_base + list(self._outer), line=line,
                    hypotheses=at_base + [f for f in self._outer if f.kind != "step"])
        d.steps.append(base)
        step = Step(index=len(d.steps) + 1, relation=self.formula, rule="inductive step",
                    why=f"P({self.on}) from the block's last step, under the hypothesis P({self.on} - 1)",
                    label="inductive step", using=[last, self.hypothesis], line=line, hypotheses=inner)
        d.steps.append(step)
        self.fact = Fact(label=self.label, relation=self.formula, kind="step",
                         why=f"by induction on {self.on} from {self.on} = {self.base}", step_index=step.index)
        self.fact.induction = (self.on, self.base)
        d.facts.append(self.fact)
        d._last_fact = self.fact
        return False


class Derivation:
    """Collects what a claim's builder declares. See module docstring."""

    def __init__(self, claim=None):
        self.claim = claim
        self.S = Namespace()
        self.bounds: dict = {}          # symbol -> (lo, hi): lo < s < hi
        self.closed: dict = {}          # symbol -> (lo included, hi included), for closed ends
        self.unknown_symbols: list = []
        self.facts: list[Fact] = []
        self.definitions: list[Fact] = []
        self.steps: list[Step] = []
        self.statements: tuple = ()
        self.statement_by: Fact | None = None
        self.notes: list[str] = []
        self.custom_sampler = None
        self._random = None
        self._last_fact: Fact | None = None
        self._blocks: list = []           # open induction blocks, innermost last

    # -- symbols -------------------------------------------------------------------------
    def _register(self, sym, name: str | None = None):
        name = name or str(sym)
        self.S[name] = sym
        ident = _ident(name)
        self.S.setdefault(ident, sym)
        return sym

    def symbols(self, names: str, **assumptions):
        """Like ``sympy.symbols``; registers each symbol in ``d.S`` (and ``w.S`` for witnesses)."""
        out = sp.symbols(names, **assumptions)
        for s in (out if isinstance(out, tuple) else (out,)):
            self._register(s)
        return out

    def symbol(self, name: str, *, bounds: tuple | None = None, closed=False, latex: str | None = None,
               **assumptions):
        """One symbol. ``bounds=(lo, hi)`` declares an open interval lo < s < hi (e.g. 0 < rho < 1);
        ``closed=True`` (or a pair of booleans) makes the interval closed at both ends (or one end).
        ``latex``: how reports print it (``d.symbol("Sigma_DeltaPhi", latex=r"\\Sigma_{\\Delta\\Phi}")``); without
        it the name is read as written (:mod:`proofs.symbol_latex`: ``theta^{t+1}``, ``mu~_t``, ``w_1^(74)``).

        SymPy cannot bound a symbol to an interval, so the engine reparametrises
        (rho = lo + (hi - lo)/(1 + r), r > 0) where it needs the bound, and the
        sampler draws points inside it.
        """
        if bounds is not None:
            lo, hi = (sp.sympify(b) for b in bounds)
            lo_closed, hi_closed = (closed, closed) if isinstance(closed, bool) else tuple(closed)
            if lo.is_finite and "negative" not in assumptions and (lo > 0 or (lo == 0 and not lo_closed)):
                assumptions.setdefault("positive", True)
            elif lo.is_finite and lo >= 0 and "negative" not in assumptions:
                assumptions.setdefault("nonnegative", True)
            assumptions.setdefault("real", True)
        s = sp.Symbol(name, **assumptions)
        if latex is not None:
            from .latex import register_name
            register_name(name, latex)
        if bounds is not None:
            self.bounds[s] = (lo, hi)
            if lo_closed or hi_closed:
                self.closed[s] = (bool(lo_closed) and lo.is_finite, bool(hi_closed) and hi.is_finite)
        return self._register(s)

    def indexed(self, name: str, *, latex: str | None = None, **assumptions):
        """An ``IndexedBase`` (vectors, per-sample families, matrices with symbolic size); ``latex`` as for
        :meth:`symbol` (an entry of a subscripted name prints in brackets: ``\\Sigma_{\\Delta\\Phi}[k,l]``)."""
        base = sp.IndexedBase(name, **assumptions)
        if latex is not None:
            from .latex import register_name
            register_name(name, latex)
        self.S[name] = base
        self.S.setdefault(_ident(name), base)
        return base

    def function(self, name: str, **assumptions):
        f = sp.Function(name, **assumptions)
        self.S[name] = f
        return f

    def unknowns(self, *syms):
        """Symbols the givens determine (solved for when a given is used as a premise)."""
        for s in syms:
            self.unknown_symbols.extend(s if isinstance(s, (list, tuple)) else [s])

    @property
    def random(self):
        """The :class:`proofs.expectation.RandomModel` of this derivation (created on first use)."""
        if self._random is None:
            from .expectation import RandomModel
            self._random = RandomModel()
        return self._random

    def sampler(self, fn):
        """Register ``fn(rng) -> {symbol: exact value}`` drawing admissible points
        (e.g. Gram entries computed from concrete vectors). Usable as a decorator."""
        self.custom_sampler = fn
        return fn

    def note(self, text: str):
        self.notes.append(str(text))

    # -- premises ------------------------------------------------------------------------
    def _fact(self, relation, kind, why, label, solve_for=()):
        sf = tuple(solve_for) if isinstance(solve_for, (list, tuple)) else ((solve_for,) if solve_for is not None else ())
        f = Fact(label=label or f"{kind} {len(self.facts) + 1}", relation=relation, kind=kind, why=why, solve_for=sf,
                 block=self._blocks[-1] if self._blocks else None)
        self.facts.append(f)
        self._last_fact = f
        return f

    def given(self, relation, why: str = "", label: str = "", solve_for=None, for_all=None) -> Fact:
        """A premise stated by the source (not checked). ``solve_for`` names the symbol(s)
        to solve it for when it is used; by default an equation ``atom = expr`` substitutes atom.

        ``for_all=t`` (an integer symbol, or a tuple) says the premise holds for *every* value of ``t`` in
        its declared range, as a recursion ``V[t] = b V[t-1] + c`` does: it then also applies to the
        entries ``V[1]``, ``V[t + 1]``, ... a step names. Without it, ``V[t] = ...`` is about the ``t`` at hand only.
        """
        relation = _check_relation(relation, f"given {len(self.facts) + 1}")
        f = self._fact(relation, "given", why, label, solve_for)
        if for_all is not None:
            names = tuple(for_all) if isinstance(for_all, (list, tuple)) else (for_all,)
            for v in names:
                if not isinstance(v, sp.Symbol) or not v.is_integer:
                    raise DerivationError(f"given {f.label}: for_all= takes integer symbols, got {v!r}")
            f.for_all = names
        return f

    def assume(self, relation, why: str = "", label: str = "") -> Fact:
        """An assumption the source makes (e.g. convergence); recorded and shown, usable as premise."""
        relation = _check_relation(relation, f"assumption {len(self.facts) + 1}")
        return self._fact(relation, "assumption", why, label)

    def define(self, symbol, expr, why: str = "", label: str = "") -> Fact:
        """A definition ``symbol := expr``; substituted in every step."""
        expr = _check_expr(expr, f"definition of {symbol}")
        f = self._fact(sp.Eq(symbol, expr, evaluate=False), "definition", why, label or f"def {symbol}", (symbol,))
        self.definitions.append(f)
        return f

    # -- steps ---------------------------------------------------------------------------
    def _add_step(self, relation, rule, why, label, using, options, chain_link=False) -> Step:
        index = len(self.steps) + 1
        if not isinstance(rule, str):
            raise DerivationError(f"step {index}: rule must be a string naming the rule, got {rule!r}")
        for u in using:
            if not isinstance(u, Fact):
                raise DerivationError(f"step {index}: 'using' must list facts returned by d.given/d.step/..., "
                                      f"got {type(u).__name__}")
        for u in using:
            if u.block is not None and u.block not in self._blocks:
                raise DerivationError(f"step {index}: {u.label} is only in scope inside its induction block "
                                      f"(it holds under the induction hypothesis)")
        step = Step(index=index, relation=relation, rule=rule, why=why, label=label, using=list(using),
                    line=_caller_line(), options=dict(options), hypotheses=self.hypotheses())
        self.steps.append(step)
        return step

    def step(self, relation, rule: str = "algebra", using=None, why: str = "", label: str = "", solve_for=None,
             **options) -> Fact:
        """A checked step: ``relation`` must follow from its premises by ``rule``.

        Premises: ``using`` (a fact or list of facts), else the fact recorded just
        before; definitions always. ``solve_for`` names what later steps solve
        this step's equation for when they use it. Options by rule: ``wrt=[...]`` for
        "match coefficients"; ``tol=`` for "numeric".
        """
        relation = _check_relation(relation, f"step {len(self.steps) + 1}")
        if using is None:
            prem = [self._last_fact] if self._last_fact is not None else []
        else:
            prem = list(using) if isinstance(using, (list, tuple)) else [using]
        s = self._add_step(relation, rule, why, label, prem, options)
        sf = () if solve_for is None else (tuple(solve_for) if isinstance(solve_for, (list, tuple)) else (solve_for,))
        f = Fact(label=label or f"step {s.index}", relation=relation, kind="step", why=why, step_index=s.index,
                 solve_for=sf, block=self._blocks[-1] if self._blocks else None)
        self.facts.append(f)
        self._last_fact = f
        return f

    def induction(self, formula, on, base=0, label: str = "") -> Induction:
        """Induction on the integer ``on`` from ``base`` (a context manager; see :class:`Induction`)::

            P = Eq(V[t], s2 * (1 - b) * (1 - b**(2*t)) / (1 + b))
            with d.induction(P, on=t, base=1) as ind:
                d.chain(V[t], using=[rec]).eq(..., using=[ind.hypothesis]).eq(...)
            d.statement(P)
        """
        return Induction(self, formula, on, base, label)

    def chain(self, start, using=None) -> Chain:
        """Start a calc chain ``start = ...``; add links with ``.eq(expr, rule=..., why=...)``."""
        prem = None if using is None else (list(using) if isinstance(using, (list, tuple)) else [using])
        return Chain(self, start, prem)

    def approx(self, expr, value, *, tol=None, why: str = "", label: str = "") -> Fact:
        """A numeric statement ``expr ~ value``. Without ``tol`` the tolerance is half a unit
        in the last decimal place the source wrote (``value`` as a string, e.g. "0.366")."""
        expr = _check_expr(expr, f"step {len(self.steps) + 1}")
        if isinstance(value, str):
            text = value.strip()
            if not all(ch.isdigit() or ch in "+-.eE" for ch in text):
                raise DerivationError(f"step {len(self.steps) + 1}: {value!r} is not a decimal number")
            val = sp.Rational(text)
            if tol is None:
                decimals = len(text.split(".", 1)[1]) if "." in text else 0
                tol = sp.Rational(1, 2 * 10 ** decimals)
        else:
            val = sp.nsimplify(value, rational=True) if isinstance(value, float) else sp.sympify(value)
            if tol is None:
                tol = 0
        rel = sp.Eq(expr, val, evaluate=False)
        return self.step(rel, rule="numeric", using=[], why=why, label=label, tol=sp.sympify(tol))

    def statement(self, relation, by: Fact | None = None):
        """The claim as the source states it; the engine checks the steps establish it."""
        relation = _check_relation(relation, "statement", allow_true=False)
        self.statements = relation if isinstance(relation, tuple) else (relation,)
        self.statement_by = by

    def fact(self, label: str) -> Fact:
        """A recorded fact by label (the last one with that label)."""
        for f in reversed(self.facts):
            if f.label == label:
                return f
        raise KeyError(f"no fact labelled {label!r}; labels: {', '.join(f.label for f in self.facts)}")

    # -- used by the engine --------------------------------------------------------------
    def hypotheses(self) -> list:
        """The givens and assumptions in scope now (an induction hypothesis only inside its block)."""
        return [f for f in self.facts if f.kind in ("given", "assumption", "hypothesis")
                and (f.block is None or f.block in self._blocks)]

    def statement_relation(self):
        return self.statements[0] if len(self.statements) == 1 else self.statements
