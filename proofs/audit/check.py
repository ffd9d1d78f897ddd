r"""Checking each pair of lines with the engine: the same cascade, side conditions and admissible points
as a derivation written in Python.

For every pair ``left rel right`` a one-step derivation is built: the declared assumptions (``assume``),
the facts in scope as givens (tagged or labelled rows before it, or exactly those a ``given``
declaration names), and the step itself. Then, cheapest reading first:

1. **identity** -- the step with no premises (the facts still constrain counterexample points);
2. **using facts** -- the step with the facts in scope as premises; the facts it needed are named
   (each fact dropped in turn while the step stays proved);
3. **implied by the previous line** -- when the pair mentions a declared unknown: the equation
   ``start = right`` given the previous equation (``start = left`` in the same chain, or the last
   equation before it that mentions the unknown), solved for the unknown.

A first pair whose left side is a lone name (``y_t = ...``) that no fact in scope mentions defines that
name: it is *not checked* and is a premise for the rest of its display (``check`` makes it checked).
``\approx``, ``\ll``, ``\gg``, ``\propto`` and ``\to`` are not checked (no precise form declared).

Invariants: ``proved`` only from the engine's exact reduction with every side condition discharged;
``refuted`` only with the engine's counterexample, which satisfies every fact and assumption in scope
(:mod:`proofs.admissible`); anything else is ``unproved`` with the engine's reason.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.tensor.indexed import Indexed

from ..timelimit import StageTimeout, time_limit
from .chains import Gap, Pair, read_chains
from .declarations import DeclarationError, DeclarationState, DisplayOptions
from .results import AuditResult, PairResult
from .source import Declaration, Display, Heading

NOT_CHECKED = {"approx": "\\approx with no declared precise form (an order of error or a limit)",
               "ll": "\\ll is not a precise relation", "gg": "\\gg is not a precise relation",
               "propto": "\\propto (up to a constant) is not checked", "to": "\\to (a limit statement) is not checked",
               "equiv": "\\equiv is read as a definition, not checked"}
_OPS = {"=": sp.Eq, "<": sp.StrictLessThan, ">": sp.StrictGreaterThan, "<=": sp.LessThan, ">=": sp.GreaterThan,
        "!=": sp.Ne}


@dataclass
class AuditFact:
    label: str                 # "(33a)", "eq:update", "given at line 12"
    relation: object           # a SymPy relation, or a tuple of them
    line: int


@dataclass
class Settings:
    stage_timeout: float = 2.0
    pair_timeout: float = 20.0
    seed: int = 0
    debug: bool = False


@dataclass
class _DocState:
    decl: DeclarationState = field(default_factory=DeclarationState)
    facts: list = field(default_factory=list)          # AuditFact, document order
    previous_equation: object = None                   # last equation mentioning an unknown: (Eq, line)
    pending: list = field(default_factory=list)        # display-scope declarations for the next display
    counter: int = 0                                   # pairs seen so far in the document
    mine: object = None                                # index -> whether this worker checks and reports that pair
    before_pair: object = None
    carry: list | None = None                          # the last chain of the display before
    options: DisplayOptions = field(default_factory=DisplayOptions)   # of the display being checked
    notation: object = None                                           # of the display being checked
    shared: dict = field(default_factory=dict)         # the engine's caches, shared by the document's lines
    # definitions (name = ... opening a chain) of earlier displays: in scope until the name is defined again or
    # a heading ends the section (a reader carries m_t from one display to the next, not to the next problem)
    definitions: list = field(default_factory=list)


def _expr(e):
    """A SymPy object; a Python number becomes one. A string is refused (text is parsed, never sympified)."""
    if isinstance(e, str):
        raise TypeError("a string where a parsed expression was expected")
    return sp.Integer(e) if isinstance(e, int) else (sp.Rational(e) if isinstance(e, float) else e)


def relation_of(op: str, lhs, rhs):
    return _OPS[op](_expr(lhs), _expr(rhs), evaluate=False)


def _is_name(e) -> bool:
    return isinstance(e, (sp.Symbol, Indexed, AppliedUndef))


def _atoms(e) -> set:
    """The names an expression mentions: symbols, indexed entries (``x[t]``, not its base ``x`` as well) and
    applications ``f(x)``."""
    try:
        idx = e.atoms(Indexed)
        labels = {i.base.label for i in idx}
        return set(idx) | set(e.atoms(AppliedUndef)) | {a for a in e.atoms(sp.Symbol) if a not in labels}
    except AttributeError:
        return set()


def _mentions(fact: AuditFact, name) -> bool:
    rels = fact.relation if isinstance(fact.relation, tuple) else (fact.relation,)
    return any(name in _atoms(r.lhs) | _atoms(r.rhs) for r in rels)


def _has_expectation(e) -> bool:
    from ..expectation import Cov, E, Var
    return bool(getattr(e, "has", lambda *a: False)(E, Var, Cov))


def _unknown_symbols(unknowns) -> dict:
    """Declared unknowns -> {expression as written: symbol to solve for}. ``\\sigma^2`` (a power of a
    symbol) is solved for as one symbol named ``\\sigma^{2}``."""
    out = {}
    for u in unknowns:
        if isinstance(u, (sp.Symbol, Indexed, AppliedUndef)):
            out[u] = u
        elif isinstance(u, sp.Pow) and isinstance(u.base, sp.Symbol) and u.exp.is_Integer:
            out[u] = sp.Symbol(f"{u.base.name}^{{{u.exp}}}", real=True)
    return out


def _solve_form(e, umap: dict):
    e = _expr(e)
    return e.xreplace({k: v for k, v in umap.items() if k != v}) if umap else e


class PairChecker:
    """Builds the one-step derivation for a pair and runs the engine on it."""

    def __init__(self, settings: Settings, premises, facts: list, unknowns: dict, definitions: list,
                 quick: bool = False, shared: dict | None = None):
        self.settings = settings
        self.shared = {} if shared is None else shared
        self.quick = quick          # a statement: only a proof changes its verdict
        self.approx = None          # what \approx means here (declarations.approx_form), or None
        self.premises = premises
        self.facts = facts
        self.unknowns = unknowns
        self.definitions = definitions

    def _opaque(self, rel, defined: dict):
        r"""``\partial E/\partial w`` of a bare name ``E`` that no premise defines in terms of ``w`` is a
        quantity of its own (the author's E depends on w; SymPy's symbol E does not, and would make it 0)."""
        def walk(e):
            reps = {}
            for dv in e.atoms(sp.Derivative):
                if isinstance(dv.expr, AppliedUndef) and not any(v in dv.expr.free_symbols for v, _ in dv.variable_count):
                    # grad_Phi loss(Phi_t, x_t, y_t): the gradient at Phi_t, not a derivative of a constant
                    reps[dv] = sp.Symbol(f"\\nabla {dv.expr}/{' '.join(str(v) for v, _ in dv.variable_count)}",
                                         real=True)
                    continue
                if isinstance(dv.expr, sp.Symbol) and all(v != dv.expr for v, _ in dv.variable_count) and \
                        not all(v in defined.get(dv.expr, set()) for v, _ in dv.variable_count):
                    wrt = " ".join(f"\\partial {v}" + (f"^{n}" if n != 1 else "") for v, n in dv.variable_count)
                    reps[dv] = sp.Symbol(f"\\partial {dv.expr}/{wrt}", real=True)
            return e.xreplace(reps) if reps else e
        if isinstance(rel, tuple):
            return tuple(walk(r) for r in rel)
        return walk(rel) if isinstance(rel, sp.Basic) else rel

    def _derivation(self, relation, using_facts: list, extra_givens=(), solve_for=(), rule="algebra", options=None):
        from ..derivation import Derivation
        in_scope = list(self.facts) + list(self.definitions) + list(extra_givens)
        defined = {}                 # names a premise in scope defines: their derivatives are computed
        for f in in_scope:
            rel = f.relation if not isinstance(f.relation, tuple) else f.relation[0]
            if isinstance(rel, sp.Equality):
                defined.setdefault(rel.lhs, set()).update(rel.rhs.free_symbols)
        # a derivative of a name a premise in scope defines is the derivative of its definition, even in the
        # identity reading (SymPy's symbol y_i does not depend on b_i; the author's y_i does): that premise is then
        # one the step uses
        relation, needed = self._differentiate_definitions(relation, in_scope)
        using_facts = list(using_facts) + [f for f in needed if all(f is not u for u in using_facts)]
        relation = self._opaque(relation, defined)
        d = Derivation()
        for op, lhs, rhs in self.premises.assumptions:
            rel = relation_of(op, _solve_form(lhs, self.unknowns), _solve_form(rhs, self.unknowns))
            self._reuse(d, ("assume", sp.srepr(rel)), lambda: d.assume(rel, label="assumption"))
        if solve_for:
            d.unknowns(*solve_for)
        made = {}
        for f in list(self.facts) + list(self.definitions) + list(extra_givens):
            rel = f.relation
            rel = self._opaque(rel, defined)
            rel = tuple(_solve_form(r, self.unknowns) for r in rel) if isinstance(rel, tuple) else \
                _solve_form(rel, self.unknowns)
            key = ("given", f.label, sp.srepr(rel), tuple(map(sp.srepr, solve_for)))
            made[id(f)] = self._reuse(d, key, lambda: d.given(rel, label=f.label, solve_for=list(solve_for) or None))
        use = [made[id(f)] for f in using_facts]
        rel = _solve_form(relation, self.unknowns)
        self._declare_random(d, [rel] + [f.relation for f in list(self.facts) + list(extra_givens)])
        d.step(rel, using=use, rule=rule, **(options or {}))
        return d

    @staticmethod
    def _differentiate_definitions(relation, facts):
        defs = {}
        for f in facts:
            rel = f.relation if not isinstance(f.relation, tuple) else None
            if isinstance(rel, sp.Equality) and _is_name(rel.lhs) and not rel.rhs.has(rel.lhs):
                defs.setdefault(rel.lhs, (rel.rhs, f))
        if not defs or not isinstance(relation, sp.Basic):
            return relation, []
        used, reps = [], {}
        for dv in relation.atoms(sp.Derivative):
            if dv.expr in defs:
                rhs, f = defs[dv.expr]
                reps[dv] = sp.Derivative(rhs, *dv.variable_count)
                used.append(f)
        return (relation.xreplace(reps) if reps else relation), used

    def _reuse(self, d, key, make):
        """The same premise as the same :class:`proofs.derivation.Fact` object in every run of a document, so the
        engine's per-claim caches (the premises' substitution, the admissible scope) are shared by all of its
        lines (``self.shared``: the document's cache). Invariant: equal keys are equal relations, labels and
        ``solve_for``."""
        facts = self.shared.setdefault("facts", {})
        if key in facts and not self.premises.random:
            fact = facts[key]
            d.facts.append(fact)
            d._last_fact = fact
            return fact
        fact = facts[key] = make()
        return fact

    def _declare_random(self, d, relations) -> None:
        """``random x, y``: each symbol of that name is an independent scalar with mean ``E[x]`` and
        variance ``Var[x]`` (symbols, so E[x] on both sides of a line agree)."""
        if not self.premises.random:
            return
        names = set(self.premises.random)
        seen = {}
        for rel in relations:
            for r in (rel if isinstance(rel, tuple) else (rel,)):
                for a in r.free_symbols:
                    if a.name in names:
                        seen.setdefault(a, None)
        for sym in sorted(seen, key=lambda a: a.name):
            d.random.scalar(sym, mean=sp.Symbol(f"E[{sym.name}]", real=True),
                            var=sp.Symbol(f"Var[{sym.name}]", nonnegative=True))

    def run(self, relation, using_facts: list, extra_givens=(), solve_for=(), quick: bool = False,
            rule: str = "algebra", cheap: bool = False, prove_only: bool = False, **options):
        """The engine's verdict on ``relation`` with ``using_facts`` as premises. ``quick``: only whether it is
        proved matters (a counterexample search at one point instead of six); ``prove_only``: no counterexample
        search at all (a run whose refutation would change nothing)."""
        from ..context import CheckContext
        from ..rules import check_step
        d = self._derivation(relation, using_facts, extra_givens, solve_for, rule, options)
        ctx = CheckContext.for_derivation(d, seed=self.settings.seed, stage_timeout=self.settings.stage_timeout,
                                          label="audit")
        if not self.premises.random:    # with random variables the expectation model differs per line: no sharing
            ctx.caches = self.shared.setdefault("engine", {})
        if quick or self.quick:
            ctx.n_points = 1
        if prove_only:
            ctx.n_points = 0
        ctx.cheap = cheap or self.quick   # minimising the facts: expand/cancel/factor only (a missed proof keeps a fact)
        return check_step(d.steps[-1], d, ctx)


def _cex_dict(cex) -> dict | None:
    if cex is None:
        return None
    return {"point": dict(cex.point), "lhs": cex.lhs, "rhs": cex.rhs,
            "arithmetic": getattr(cex, "arithmetic", "")}


def _fact_labels(facts, limit: int = 6) -> str:
    labels = [f.label for f in facts]
    more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
    return ", ".join(labels[:limit]) + more


def check_pair(pair: Pair, checker: PairChecker, previous=None) -> dict:
    """The verdict of one pair as fields of :class:`PairResult` (verdict, how, detail, residual, ...).

    ``previous``: ``(equation, line)`` the pair may be implied by when it mentions an unknown."""
    from ..latex import to_text
    rel_op = pair.rel
    form = checker.approx if rel_op == "approx" else None
    if form is not None:
        return _approximately(pair, form, checker.settings, checker.premises)
    if rel_op in NOT_CHECKED:
        return dict(verdict="not checked", how="", detail=NOT_CHECKED[rel_op])
    relation = relation_of(rel_op, pair.left, pair.right)
    if _has_expectation(pair.left) or _has_expectation(pair.right):
        if not checker.premises.random:
            return dict(verdict="unproved", how="",
                        detail="an expectation of expressions with no declared random variables "
                               "(declare them: `derivcheck: random x, y`)")
    if any(isinstance(e, sp.MatrixBase) for e in (pair.left, pair.right)):
        return _by_entries(pair, checker, previous)
    pair.left, pair.right, pair.start = _expr(pair.left), _expr(pair.right), _expr(pair.start)
    decimals = _written_decimals(pair)
    if rel_op == "=" and decimals is not None:
        facts = list(checker.facts) + list(checker.definitions)
        tol = sp.Rational(1, 2 * 10 ** decimals)
        res = checker.run(sp.Eq(pair.left, pair.right, evaluate=False), facts, rule="numeric", tol=tol)
        if res.verdict in ("proved", "refuted"):
            used = _needed_numeric(checker, pair, facts, tol) if res.verdict == "proved" and facts else []
            how = f"to the {decimals} decimal{'s' * (decimals > 1)} written" + (
                f", using {_fact_labels(used)}" if used else "")
            return _fields(res, how, used)
    const = [c for c in (pair.left.free_symbols | pair.right.free_symbols)
             if c.name in checker.premises.constants]
    if const and rel_op == "=":
        return _with_constant(pair, checker, const[0])
    mentions = bool(checker.unknowns) and rel_op == "=" and any(
        pair.left.has(u) or pair.right.has(u) for u in checker.unknowns)
    facts = list(checker.facts) + list(checker.definitions)
    if mentions or not facts:
        first = checker.run(relation, [])
        if first.verdict == "proved":
            return _fields(first, "identity", [])
        return _implied(pair, checker, previous, first) if mentions else _fields(first, "", [])
    # facts in scope: check with them first (they constrain a counterexample either way, and a line that
    # needs them is common); a side that is a lone name the facts mention is what they are solved for
    targets = [e for e in (pair.left, pair.right) if _is_name(e) and any(_mentions(f, e) for f in facts)]
    if checker.quick:
        # a statement: only a proof would matter. One run searches for a counterexample (the detail says
        # where the facts hold and it does not); solving the facts for its names only tries to prove it
        second = checker.run(relation, facts)
        solved = checker.run(relation, facts, solve_for=targets, prove_only=True) \
            if targets and second.verdict != "proved" else None
        second, targets = (solved, targets) if solved is not None and solved.verdict == "proved" else (second, [])
    else:
        second = checker.run(relation, facts, solve_for=targets)
        if second.verdict != "proved" and targets:
            plain = checker.run(relation, facts)
            second = plain if plain.verdict in ("proved", "refuted") else second
            targets = [] if plain.verdict == "proved" else targets
    if second.verdict != "proved" and checker.quick:
        first = checker.run(relation, [], prove_only=True)
        if first.verdict == "proved":
            how, used = _with_forced(checker, relation, "identity", [])
            return _fields(first, how, used)
        return _fields(second, "with " + _fact_labels(facts), [])
    if second.verdict == "proved":
        used = _needed(checker, relation, facts, targets)
        if not used:
            return _fields(checker.run(relation, []), *_with_forced(checker, relation, "identity", []))
        return _fields(checker.run(relation, used, solve_for=targets) if used != facts else second,
                       *_with_forced(checker, relation, "using " + _fact_labels(used), used))
    if second.verdict == "refuted":
        return _fields(second, "with " + _fact_labels(facts) + " in scope", [])
    # the facts' substitution may hide an identity: only a proof counts here (the check with the facts already
    # searched the same admissible points), and the cheap stages find what such a substitution hides
    first = checker.run(relation, [], prove_only=True, cheap=True)
    if first.verdict == "proved":
        return _fields(first, *_with_forced(checker, relation, "identity", []))
    return _fields(second, "with " + _fact_labels(facts), [])


def _unit_interval(premises, expr) -> dict:
    """``{rho: 1/(1 + r)}`` (r a positive dummy) for each symbol of ``expr`` the assumptions put in (0, 1)."""
    lo, hi = set(), set()
    for op, a, b in premises.assumptions:
        if op == "<" and a == 0 and isinstance(b, sp.Symbol):
            lo.add(b.name)
        if op == "<" and b == 1 and isinstance(a, sp.Symbol):
            hi.add(a.name)
    return {s_: 1 / (1 + sp.Dummy(f"r_{s_.name}", positive=True)) for s_ in expr.free_symbols
            if isinstance(s_, sp.Symbol) and s_.name in (lo & hi)}


def _by_entries(pair: Pair, checker: PairChecker, previous) -> dict:
    """Vectors ``(a, b) = (c, d)``: each entry is a pair of its own; the first entry that fails decides."""
    left, right = pair.left, pair.right
    if not (isinstance(left, sp.MatrixBase) and isinstance(right, sp.MatrixBase)) or left.shape != right.shape:
        return dict(verdict="unproved", how="", detail="a vector compared with a number, or vectors of different "
                                                       "lengths")
    if pair.rel not in ("=", "approx"):
        return dict(verdict="not checked", how="", detail=f"{pair.rel} between vectors is not checked")
    start = pair.start if isinstance(pair.start, sp.MatrixBase) and pair.start.shape == left.shape else None
    results = []
    for k in range(left.shape[0]):
        entry = replace(pair, left=left[k], right=right[k], start=start[k] if start is not None else left[k])
        results.append(check_pair(entry, checker, previous))
    for verdict in ("refuted", "error", "timeout", "unproved", "not checked"):
        bad = [(k, r) for k, r in enumerate(results) if r["verdict"] == verdict]
        if bad:
            k, r = bad[0]
            return dict(r, detail=f"entry {k + 1} of {left.shape[0]}: {r.get('detail', '')}",
                        how=f"entry {k + 1}" + (f", {r['how']}" if r.get("how") else ""))
    hows = sorted({r.get("how", "") for r in results} - {""})
    return dict(results[0], how=f"entry by entry" + (f" ({'; '.join(hows)})" if hows else ""), detail="")


def _approximately(pair: Pair, form: tuple, settings, premises) -> dict:
    r"""``left pprox right`` in the declared precise sense: ``lim (left - right) = 0`` as var -> point, or
    ``(left - right)/order`` bounded (a finite limit). Proved or refuted only from SymPy's exact limit."""
    from ..latex import to_text
    text, var, point, order = form
    diff = _expr(pair.left) - _expr(pair.right)
    expr = diff / order if order is not None else diff
    try:
        with time_limit(settings.stage_timeout):
            # SymPy cannot bound a symbol to (0, 1): rho = 1/(1 + r) with r > 0 where the assumptions say 0 < rho < 1
            expr = expr.doit()
            expr = expr.xreplace(_unit_interval(premises, expr))
            # the limit variable as a plain real (SymPy takes few limits over integer symbols); matched by name,
            # since declarations may have given the document's symbol assumptions the declaration's did not have
            v = sp.Dummy(var.name, real=True, positive=True if point == sp.oo else None)
            expr = expr.xreplace({a: v for a in expr.free_symbols if a.name == var.name})
            lim = sp.limit(expr, v, point)
    except StageTimeout:
        return dict(verdict="timeout", how=f"approx {text}", detail="the limit was not computed in time")
    except Exception as e:  # noqa: BLE001 - SymPy cannot take this limit: nothing decided
        return dict(verdict="unproved", how=f"approx {text}", detail=f"SymPy could not take the limit "
                                                                     f"({type(e).__name__})")
    shown = f"lim {to_text(expr)} as {var} -> {to_text(point)} = {to_text(lim)}"
    if isinstance(lim, sp.Limit) or lim.has(sp.nan) or not lim.is_number:
        return dict(verdict="unproved", how=f"approx {text}", detail=f"not decided: {shown}")
    if order is None:
        ok, bad = lim == 0, lim != 0
    else:
        ok, bad = bool(lim.is_finite), lim in (sp.oo, -sp.oo, sp.zoo)
    if ok:
        return dict(verdict="proved", how=f"approx {text}", detail=shown, residual="", counterexample=None, using=[])
    if bad:
        return dict(verdict="refuted", how=f"approx {text}", detail=shown, residual=to_text(diff),
                    counterexample={"point": {}, "lhs": f"the limit is {to_text(lim)}", "rhs": "0" if order is None
                                    else "finite", "arithmetic": "exact (SymPy's limit)"}, using=[])
    return dict(verdict="unproved", how=f"approx {text}", detail=f"not decided: {shown}")


_DECIMAL = re.compile(r"(?<![\w.])(\d+)\.(\d+)(?![\w.])")


def _written_decimals(pair: Pair) -> int | None:
    """When the right side is a number written as a decimal in the row (``= 0.99``), its number of decimals: the
    author rounded, and the line holds if the left side is within half a unit in that last place."""
    right = pair.right
    if not (isinstance(right, sp.Rational) and not right.is_Integer):
        return None
    for m in _DECIMAL.finditer(pair.row.text):
        if sp.Rational(f"{m.group(1)}.{m.group(2)}") == abs(right):
            return len(m.group(2))
    return None


def _needed_numeric(checker: PairChecker, pair: Pair, facts: list, tol) -> list:
    keep = list(facts)
    for f in list(facts):
        trial = [g for g in keep if g is not f]
        if checker.run(sp.Eq(pair.left, pair.right, evaluate=False), trial, quick=True, rule="numeric",
                       tol=tol).verdict == "proved":
            keep = trial
    return keep


def _with_constant(pair: Pair, checker: PairChecker, c) -> dict:
    """``left = right`` with a constant ``c`` declared independent of some variables: solve for ``c`` and check
    that the solution is free of them (each derivative an identity 0; a point where one is not is the
    counterexample)."""
    from ..latex import to_text
    diff = sp.expand(pair.left - pair.right)
    coeff = diff.coeff(c)
    if coeff == 0 or coeff.has(c) or not coeff.is_number:
        return dict(verdict="unproved", how="", detail=f"{c} does not enter linearly with a numeric coefficient")
    value = sp.simplify(-(diff - coeff * c) / coeff)
    wrt = checker.premises.constants[c.name]
    for v in wrt:
        d = sp.Derivative(value, v).doit()
        res = checker.run(sp.Eq(d, 0, evaluate=False), [])
        if res.verdict != "proved":
            out = _fields(res, f"{c} would have to be {to_text(value)}, which depends on {to_text(v)}", [])
            return out
    return dict(verdict="proved", how=f"with {c} = {to_text(value)}, independent of "
                + ", ".join(to_text(v) for v in wrt), detail="", residual="", counterexample=None, using=[])


def _implied(pair: Pair, checker: PairChecker, previous, identity) -> dict:
    """An equation in a declared unknown: implied by the previous equation (``start = left`` in the
    same chain, else the last equation before it that mentions the unknown)."""
    from ..latex import to_text
    if pair.position > 1 and pair.exact_start:
        prev = (sp.Eq(pair.start, pair.left, evaluate=False), pair.left_row.where.line if pair.left_row else 0)
        target = sp.Eq(pair.start, pair.right, evaluate=False)
    elif previous is not None:
        prev, target = previous, sp.Eq(pair.left, pair.right, evaluate=False)
    else:
        names = ", ".join(sorted(str(u) for u in checker.unknowns if pair.left.has(u) or pair.right.has(u)))
        return dict(verdict="not checked", how="first equation",
                    detail=f"the first equation in the unknown {names}: later lines are checked against it")
    fact = AuditFact(label=f"line {prev[1]}", relation=prev[0], line=prev[1])
    res = checker.run(target, [fact], extra_givens=[fact], solve_for=list(checker.unknowns.values()))
    if res.verdict == "proved":
        return _fields(res, f"implied by line {prev[1]}", [fact])
    if res.verdict == "refuted":
        return _fields(res, f"{to_text(target)} does not follow from line {prev[1]}", [fact])
    return _fields(res, f"not shown to follow from line {prev[1]}", [fact])


def _needed(checker: PairChecker, relation, facts: list, targets=()) -> list:
    """Drop facts one at a time while the step stays proved (at most 8 facts are tried)."""
    if len(facts) > 8:
        return facts
    keep = list(facts)
    atoms = _atoms(relation.lhs) | _atoms(relation.rhs) if isinstance(relation, sp.core.relational.Relational) \
        else set()
    direct = [f for f in facts if _fact_atoms(f) & atoms]
    if 0 < len(direct) < len(facts) and checker.run(relation, direct, solve_for=targets, prove_only=True,
                                                     cheap=True).verdict == "proved":
        keep = direct                   # the facts that mention the line's own names usually suffice
    for f in list(keep):
        trial = [g for g in keep if g is not f]
        if checker.run(relation, trial, solve_for=targets, prove_only=True, cheap=True).verdict == "proved":
            keep = trial
    return keep


def _with_forced(checker: PairChecker, relation, how: str, used: list) -> tuple:
    """Add the premises a derivative of a defined name always uses (:meth:`PairChecker._differentiate_definitions`)
    to the facts named, so "identity" is never claimed for a line that needed a definition."""
    _, forced = checker._differentiate_definitions(
        relation, list(checker.facts) + list(checker.definitions))
    extra = [f for f in forced if all(f is not u for u in used)]
    if not extra:
        return how, used
    used = list(used) + extra
    return "using " + _fact_labels(used), used


def _fields(step, how: str, used: list) -> dict:
    detail = step.detail or ""
    return dict(verdict=step.verdict, how=how, detail=detail, residual=step.residual or "",
                counterexample=_cex_dict(step.counterexample), using=[f.label for f in used])


# ------------------------------------------------------------------------------------------------
# documents
# ------------------------------------------------------------------------------------------------
def audit_document(doc, settings: Settings | None = None, *, on_pair=None, before_pair=None,
                   mine=None) -> AuditResult:
    """Audit every display of ``doc`` (a :class:`proofs.audit.documents.Document`) in order.

    ``mine(index)``: whether this worker checks and reports the pair at that 1-based index (the others are
    read, so their facts and definitions count, but not checked). ``before_pair(line, index)`` is called before a
    pair is checked."""
    settings = settings or Settings()
    t0 = time.perf_counter()
    out = AuditResult(file=doc.path, kind=doc.kind, problems=list(doc.problems))
    st = _DocState(mine=mine or (lambda index: True), before_pair=before_pair)
    for item in doc.items:
        if isinstance(item, Heading):
            st.definitions.clear()
        elif isinstance(item, Declaration):
            _declare(item, st, out)
        elif isinstance(item, Display):
            opts_decls, st.pending = st.pending, []
            try:
                opts = st.decl.for_display(opts_decls)
            except DeclarationError as e:
                out.problems.append(f"{opts_decls[0].where}: {e}")
                opts = DisplayOptions()
            for r in _audit_display(item, st, opts, settings, out):
                st.counter += 1
                r.index = st.counter
                if not st.mine(st.counter):
                    continue
                out.pairs.append(r)
                if on_pair is not None:
                    on_pair(r)
    out.seconds = time.perf_counter() - t0
    return out


def _declare(decl: Declaration, st: _DocState, out: AuditResult) -> None:
    if decl.scope == "display" or decl.keyword in ("skip", "check", "given"):
        st.pending.append(decl)
        return
    try:
        st.decl.apply(decl)
    except DeclarationError as e:
        out.problems.append(f"{decl.where}: derivcheck: {decl.keyword}: {e}")
        return
    if decl.keyword == "fact":
        text, rels = st.decl.premises.facts[-1]
        st.facts.append(_declared_fact(text, rels, decl.where.line))


def _declared_fact(text: str, rels: list, line: int) -> AuditFact:
    rel = tuple(relation_of(op, a, b) for op, a, b in rels)
    return AuditFact(label=f"fact {text}", relation=rel[0] if len(rel) == 1 else rel, line=line)


def _parse_rows(display: Display, notation, out: AuditResult):
    from .parse import ParseError, parse_row
    rows = []
    for src in display.rows:
        out.rows += 1
        text = src.text
        for written, meant in notation.readings:
            text = text.replace(written, meant)
        try:
            with time_limit(5.0):
                row = parse_row(text, notation)
            out.rows_parsed += 1
            rows.append((src, row, ""))
        except ParseError as e:
            col = f", column {e.column}" if getattr(e, "column", None) else ""
            rows.append((src, None, f"cannot read this line{col}: {e}"))
        except StageTimeout:
            rows.append((src, None, "reading this line took longer than 5 s"))
        except RecursionError:
            rows.append((src, None, "cannot read this line: nested too deeply"))
    return rows


def _result(pair_or_gap, display: Display, **fields) -> PairResult:
    from ..latex import to_latex, to_text
    row = pair_or_gap.row
    base = dict(file=row.where.file, line=row.where.line, cell=row.where.cell, display_line=display.where.line,
                written=row.text.strip(), tag=row.tag)
    if isinstance(pair_or_gap, Pair):
        p = pair_or_gap
        base.update(relation=p.rel, left=_safe(to_text, p.left), right=_safe(to_text, p.right),
                    left_latex=_safe(to_latex, p.left), right_latex=_safe(to_latex, p.right))
    base.update(fields)
    return PairResult(**base)


def _safe(fn, e) -> str:
    try:
        return fn(e)
    except Exception:  # noqa: BLE001 - a printer failure must not lose the verdict
        return str(e)


def _audit_display(display: Display, st: _DocState, opts: DisplayOptions, settings: Settings, out: AuditResult):
    out.displays += 1
    notation = st.decl.notation
    if opts.readings:
        notation = replace(notation, readings=tuple(notation.readings) + tuple(opts.readings))
    st.notation = notation
    rows = _parse_rows(display, notation, out)
    starts_with_relation = bool(rows) and rows[0][1] is not None and rows[0][1].continues
    reading = read_chains(rows, carry=st.carry if starts_with_relation else None)
    st.carry = reading.last_chain(rows)
    if opts.skip:
        for p in reading.pairs:
            yield _result(p, display, verdict="not checked", detail="skipped by a `derivcheck: skip` declaration")
        return
    st.options = opts
    facts = _facts_in_scope(st, opts, out, display)
    umap = _unknown_symbols(st.decl.premises.unknowns)
    definitions: list = list(st.definitions)
    last_chain = -1
    for p in reading.pairs:
        if isinstance(p, Gap):
            yield _result(p, display, verdict=p.verdict, detail=p.reason)
            continue
        t0 = time.perf_counter()
        pair_atoms = _atoms(p.left) | _atoms(p.right)
        # a definition is a premise only of the lines that mention the name it defines
        relevant = [f for f in definitions if _defined_name(f) in pair_atoms]
        checker = PairChecker(settings, st.decl.premises, _connected(facts, pair_atoms), umap, relevant,
                              shared=st.shared)
        role = _role(p, facts, umap, opts) if not _has_vector((p.left, p.right)) else (
            "definition" if p.position == 1 and _is_name(p.left) else "claim")
        checker.quick = role == "statement"
        checker.approx = opts.approx or st.decl.premises.approx
        if any(asymptotic(r.text, st.decl.notation) for r in (p.row, p.left_row) if r is not None):
            yield _result(p, display, verdict="not checked", detail="o(...) / O(...) asymptotic notation is not "
                          "read (declare `function o` if o is a function)")
            _remember(st, p, umap)
            continue
        if role == "definition" and _has_vector((p.left, p.right)):
            yield _result(p, display, verdict="not checked", how="definition",
                          detail=f"defines the vector {_safe(_text, p.left)}", seconds=time.perf_counter() - t0)
            continue
        if role == "definition":
            definition = AuditFact(label=f"line {p.row.where.line}", relation=sp.Eq(p.left, p.right, evaluate=False),
                                   line=p.row.where.line)
            # a name defined again means what it is defined as now; a tagged definition is a fact already, in
            # scope for the whole document under its tag
            tagged = p.row.tag is not None or p.row.label is not None
            for scope in (definitions,) if tagged else (definitions, st.definitions):
                scope[:] = [f for f in scope if _defined_name(f) != p.left] + [definition]
            yield _result(p, display, verdict="not checked", how="definition",
                          detail=f"defines {_safe(_text, p.left)} (no fact in scope mentions it)",
                          seconds=time.perf_counter() - t0)
            _remember(st, p, umap)
            continue
        previous = st.previous_equation if p.chain != last_chain or p.position == 1 or not p.exact_start else None
        try:
            if not st.mine(st.counter + 1):       # another worker's pair: only its reading matters here
                fields = dict(verdict="not checked", detail="checked by another worker")
            else:
                if st.before_pair is not None:
                    st.before_pair(p.row.where.line, st.counter + 1)
                with time_limit(settings.pair_timeout):
                    fields = check_pair(p, checker, previous)
        except StageTimeout:
            fields = dict(verdict="timeout", detail=f"not decided within {settings.pair_timeout:g} s")
        except Exception as e:  # noqa: BLE001 - one pair's failure must not stop the document
            from ..rules import SYMPY_FAILURES
            msg = f"{type(e).__name__}: {' '.join(str(e).split())[:160]}"
            fields = dict(verdict="unproved", detail=f"not decided: SymPy failed while checking this line ({msg})") \
                if isinstance(e, SYMPY_FAILURES) else dict(verdict="error", detail=f"internal error while checking ({msg})")
        fields["assuming"] = list(st.decl.premises.assumption_text)
        if (role == "statement" and fields.get("verdict") in ("refuted", "unproved")
                and not fields.get("how", "").startswith(("implied", "first"))):
            fields = _statement(fields)
        if fields.get("verdict") == "refuted" and st.mine(st.counter + 1):
            fields = _robust(p, fields, st, settings, facts, umap, relevant, previous)
        yield _result(p, display, seconds=time.perf_counter() - t0, **fields)
        last_chain = p.chain
        _remember(st, p, umap)
    _record_facts(display, rows, st)
    _record_values(reading, st)


_INEQUALITIES = ("<", ">", "<=", ">=", "!=")


def _name_like(e) -> bool:
    r"""A name, a power or negation of one, or a derivative of one: ``y_t``, ``\sigma_s^2``, ``-\partial E/\partial w``."""
    if _is_name(e):
        return True
    if isinstance(e, sp.Pow) and e.exp.is_number:
        return _name_like(e.base)
    if isinstance(e, sp.Derivative):
        return _name_like(e.expr)
    if isinstance(e, sp.Mul) and len(e.args) == 2 and e.args[0] == -1:
        return _name_like(e.args[1])
    return False


def _role(p: Pair, facts: list, umap: dict, opts: DisplayOptions) -> str:
    r"""How a pair is read: ``claim`` (a step: refuted when it fails), ``statement`` (the first relation of a
    chain about a name, or a condition: proved when it follows, otherwise not checked, never refuted) or
    ``definition`` (introduces a name; a premise for the lines that mention it).

    Only relations a reader cannot take for a derivation step are lenient: the first relation of a chain
    whose left side is a name (``y_t = ...``, ``\sigma_s^2 = ...``), an inequality that opens a chain (a
    condition such as ``\eta_t > 0``) and a range ``0 \le x \le 1``. ``check`` (or facts named by
    ``given``) makes every relation a claim; a continuation link is always a claim."""
    if opts.check_definitions:
        return "claim"
    if p.rel == "=" and _defines(p, facts, umap) and (p.position == 1 or isinstance(p.left, (sp.Symbol, Indexed))):
        return "definition"                        # also mid-chain: mu_0 = s_0 = 0 initialises both
    if opts.restricted:
        return "claim"
    one_row = p.right_index == p.position          # the chain started in this row: a row of conditions
    if p.rel in _INEQUALITIES and (p.position == 1 or one_row):
        return "statement"
    if p.position != 1:
        return "claim"
    if any(p.left.has(u) or p.right.has(u) for u in umap):
        return "claim"                             # an equation in a declared unknown
    if _name_like(p.left):
        return "statement"
    if not (_atoms(p.left) & _atoms(p.right)) and not (p.left.is_number or p.right.is_number):
        return "statement"                         # a relation between different quantities (a rule, a choice)
    if p.rel == "=" and (p.left.is_number or p.right.is_number) and \
            not _connected(facts, _atoms(p.left) | _atoms(p.right)):
        return "statement"                         # a value stated for names nothing in scope gives a value
    return "claim"


def _fact_atoms(f: AuditFact) -> set:
    rels = f.relation if isinstance(f.relation, tuple) else (f.relation,)
    out = set()
    for r in rels:
        out |= _atoms(r.lhs) | _atoms(r.rhs)
    return {a for a in out if not (isinstance(a, sp.Symbol) and a.is_integer)}


def _connected(facts: list, atoms: set) -> list:
    """The facts that share an atom with the pair, directly or through other such facts (the others constrain
    nothing the pair mentions and cannot prove it); integer index symbols alone do not connect."""
    reach = {a for a in atoms if not (isinstance(a, sp.Symbol) and a.is_integer)}
    chosen, rest = [], list(facts)
    grew = True
    while grew:
        grew = False
        for f in list(rest):
            fa = _fact_atoms(f)
            if fa & reach:
                chosen.append(f)
                rest.remove(f)
                reach |= fa
                grew = True
    return [f for f in facts if any(f is c for c in chosen)]


def _defined_name(f: AuditFact):
    rel = f.relation if not isinstance(f.relation, tuple) else f.relation[0]
    return rel.lhs


def _statement(fields: dict) -> dict:
    """The first relation of a chain that does not follow from the facts in scope: in prose it may as well
    be a new statement (an equation imposed, a new given) as a claimed consequence, so it is not reported as
    refuted unless the display is declared ``check`` (or names its facts with ``given``)."""
    why = "does not follow from the facts in scope" if fields["verdict"] == "refuted" else \
        "is not shown to follow from the facts in scope"
    cex = fields.get("counterexample")
    pt = ", ".join(f"{k} = {v}" for k, v in ((cex or {}).get("point") or {}).items())
    return dict(fields, verdict="not checked", how="a statement",
                detail=f"a statement: it {why}" + (f" (they all hold at {pt}, where it does not)" if pt else "")
                       + "; declare `derivcheck: check` for this display to have it checked as a consequence")


_OPERATORS = frozenset(r"""\frac \dfrac \tfrac \sqrt \exp \log \ln \min \max \sin \cos \tan \tanh \sinh
\cosh \left \right \bigl \bigr \Bigl \Bigr \big \Big \bigg \Bigg \lim \sum \prod \cdot \times \text
\mathrm \operatorname \mathbb \Var \Cov \quad \qquad \partial \nabla \det \operatorname""".split())
# Greek letters that name scalars (rates, decays, coefficients) in this field: "\eta (a + b)" is a product
_SCALARS = frozenset(r"\alpha \beta \gamma \eta \lambda \mu \nu \kappa \epsilon \varepsilon \tau".split())
_CALL = re.compile(r"(\\[A-Za-z]+(?:\{[^{}]*\})?|(?<![\\A-Za-z])[A-Za-z])(?:'+)?((?:_\{[^{}]*\}|_[A-Za-z0-9]|"
                   r"\^\{[^{}]*\}|\^[A-Za-z0-9*])*)\s*(?:\\left)?\(")


def call_like(text: str, notation) -> list:
    return [shown for shown, _ in call_names(text, notation)]


def call_names(text: str, notation) -> list:
    r"""Names written directly before a parenthesis that the grammar read as a product because they are not
    declared functions (``m(n+1)``, ``\Phi(t)``, ``o(\varepsilon)``): the reading is a guess, so a
    refutation that rests on it is not reported (see :func:`_audit_display`)."""
    from .parse import canonical_name
    out = []
    for m in _CALL.finditer(text):
        head = m.group(1)
        if head.split("{")[0] in _OPERATORS or head in ("E", "P") or head in _SCALARS:
            continue
        try:
            name = canonical_name(head + (m.group(2) or ""))
        except Exception:  # noqa: BLE001 - not a name the grammar reads: no guess to report
            continue
        if name in notation.functions:
            continue
        out.append((text[m.start():m.end()] + "...)", name))
    return out


_ASYMPTOTIC = re.compile(r"(?<![\\A-Za-z])[oO]\s*(?:\\left)?\(")
_BARE_E = re.compile(r"(?<![\\A-Za-z{])E\s+(?=[\\A-Za-z(])")
_DIFFERENTIAL = re.compile(r"(?<![\\A-Za-z])d(?:\\[A-Za-z]+|[A-Za-z])")
_DERIVATIVE_FRACTION = re.compile(r"\\[dt]?frac\s*\{\s*(?:d|\\mathrm\{d\}|\\partial)[^{}]*\}\s*\{[^{}]*\}")


def _other_readings(text: str, notation) -> list:
    """Notations the grammar reads one way that an author may well mean another: a refutation never
    rests on them."""
    out = []
    if _BARE_E.search(text) and "E" not in notation.functions:
        out.append("E followed by a term (read as a symbol E times it, not as an expectation)")
    m = _DIFFERENTIAL.search(_DERIVATIVE_FRACTION.sub(" ", text))
    if m:
        out.append(f"{m.group(0)} (read as a product d times a name, not as a differential)")
    return out


def asymptotic(text: str, notation) -> bool:
    """``o(...)`` / ``O(...)``: little-o and big-O notation, which the checker does not read."""
    return bool(_ASYMPTOTIC.search(text)) and not {"o", "O"} & set(notation.functions)


def _robust(p: Pair, fields: dict, st: _DocState, settings, facts, umap, definitions, previous) -> dict:
    """A refutation that rests on reading ``m(n+1)`` as a product is checked again reading each such name as a
    function; if it no longer fails, the reading was a guess the verdict cannot rest on: unproved, with the
    declaration that decides it."""
    from .parse import ParseError, parse_row
    rows = [p.row] + ([p.left_row] if p.left_row is not None and p.left_row is not p.row else [])
    base = st.notation or st.decl.notation
    others = [o for r in rows for o in _other_readings(r.text, base)]
    if others:
        return dict(fields, verdict="unproved", how="", counterexample=None,
                    detail=f"refuted only under one reading of {'; '.join(dict.fromkeys(others))}: "
                           f"say which is meant with a declaration (`derivcheck: reading ... as ...`)")
    guesses = [g for r in rows for g in call_names(r.text, base)]
    if not guesses:
        return fields
    names = frozenset(n for _, n in guesses)
    notation = replace(base, functions=base.functions | names)
    try:
        right = parse_row(_read_as(p.row.text, notation), notation).items[p.right_index][1]
        left_row = p.left_row or p.row
        left = parse_row(_read_as(left_row.text, notation), notation).items[p.left_index][1]
        alt = replace(p, left=left, right=right, start=left if p.position == 1 else p.start)
        role = _role(alt, facts, umap, st.options)
        if role == "definition":
            again = {"verdict": "not checked"}
        else:
            with time_limit(settings.pair_timeout):
                again = check_pair(alt, PairChecker(settings, st.decl.premises, facts, umap, definitions), previous)
            if role == "statement" and again.get("verdict") == "refuted":
                again = {"verdict": "not checked"}
    except Exception:  # noqa: BLE001 - the other reading could not be checked: the refutation still rests on a guess
        again = {"verdict": "unproved"}
    if again.get("verdict") == "refuted":
        return fields
    shown = ", ".join(dict.fromkeys(g for g, _ in guesses))
    return dict(fields, verdict="unproved", how="", counterexample=None,
                detail=f"refuted only if {shown} is a product; read as a function it is "
                       f"{again.get('verdict')} -- declare which (`derivcheck: function NAME`)")


def _read_as(text: str, notation) -> str:
    for written, meant in notation.readings:
        text = text.replace(written, meant)
    return text


def _text(e) -> str:
    from ..latex import to_text
    return to_text(e)


def _defines(p: Pair, facts: list, umap: dict) -> bool:
    left = p.left
    if not _is_name(left) or left in umap or any(left == v for v in umap.values()):
        return False
    if left in _atoms(p.right):
        return False
    return not any(_mentions(f, left) for f in facts)


def _remember(st: _DocState, p: Pair, umap: dict) -> None:
    """The last equation mentioning an unknown, for the next pair that may be implied by it."""
    if p.rel != "=" or not umap:
        return
    eq = sp.Eq(p.start if p.exact_start else p.left, p.right, evaluate=False)
    if any(eq.has(u) for u in umap):
        st.previous_equation = (eq, p.row.where.line)


def _facts_in_scope(st: _DocState, opts: DisplayOptions, out: AuditResult, display: Display) -> list:
    extra = [_declared_fact(text, rels, display.where.line) for text, rels in opts.facts]
    if not opts.restricted:
        # tagged and labelled facts only: an untagged definition stays in its display (slides overload names:
        # L(eta) and L(Phi) are different functions written alike)
        return list(st.facts) + extra
    chosen = []
    for ref in opts.given_refs:
        found = [f for f in st.facts if f.label in (f"({ref})", ref)]
        if not found:
            out.problems.append(f"{display.where}: derivcheck: given ({ref}): no tagged or labelled line "
                                f"({ref}) before this display")
        chosen.extend(found[-1:])
    for text, rels in opts.given_relations:
        rel = tuple(relation_of(op, a, b) for op, a, b in rels)
        chosen.append(AuditFact(label=f"given {text}", relation=rel[0] if len(rel) == 1 else rel,
                                line=display.where.line))
    return chosen + extra


def _has_vector(rel) -> bool:
    rels = rel if isinstance(rel, tuple) else (rel,)
    return any(isinstance(r, sp.Basic) and r.has(sp.MatrixBase) or any(isinstance(a, sp.MatrixBase) for a in
               getattr(r, "args", ())) for r in rels)


def _record_values(reading, st: _DocState) -> None:
    r"""A chain that gives a name a number (``\langle g_1 \rangle = \frac{1}{100} \sum ... = 1``) makes that value a
    fact for the displays after it, as a tag would: later lines compute with it (a value, unlike a formula, is
    rarely a name reused with another meaning)."""
    for chain in reading.chains:
        if len(chain) < 2 or not _is_name(chain[0][1]) or any(c[0] != "=" for c in chain[1:]):
            continue
        last = chain[-1][1]
        if getattr(last, "is_number", False) and last.is_real:
            line = chain[-1][2].where.line
            st.facts = [f for f in st.facts if not (f.label.startswith("line ") and _defined_name(f) == chain[0][1])]
            st.facts.append(AuditFact(label=f"line {line}", relation=sp.Eq(chain[0][1], last, evaluate=False), line=line))


def _record_facts(display: Display, rows, st: _DocState) -> None:
    """Tagged or labelled rows become facts for later displays: the relations of the row's chain."""
    chain_start = None
    for src, row, _ in rows:
        if row is None:
            chain_start = None
            continue
        items = list(row.items)
        if not row.continues:
            chain_start = items[0][1] if items and items[0][0] is None else None
        if not (src.tag or src.label) or chain_start is None:
            continue
        rels = []
        prev = chain_start if row.continues else None
        for op, expr in items:
            if op is None:
                prev = expr
                continue
            if op in _OPS and prev is not None:
                rels.append(relation_of(op, chain_start if op == "=" else prev, expr))
            prev = expr
        if not rels:
            continue
        rel = rels[-1] if all(isinstance(r, sp.Equality) for r in rels) else tuple(rels)
        if _has_vector(rel):
            continue                    # vectors are checked entry by entry, never premises of the engine
        for name in (f"({src.tag})" if src.tag else None, src.label):
            if name:
                st.facts.append(AuditFact(label=name, relation=rel, line=src.where.line))
