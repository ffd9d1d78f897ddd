"""Rules: how a step's relation is checked against its premises.

Every rule receives the step, the premise substitution and the check context,
and returns decisions (one per relation of the step) plus side conditions.
The default rule covers what most derivations do (algebra, substitution,
expectation algebra, limits and derivatives written as unevaluated SymPy
objects): the step holds if, after substituting its premises and
normalising, each relation is an identity. Rule *names* given by authors
("expand the square", "linearity of expectation") are justifications shown in
reports; only the names registered here change *what* is checked.

Registered rules: the default, ``numeric`` (a number stated to a given
precision), ``match coefficients`` (an identity in the ``wrt`` variables is
equivalent to the stated coefficient equations), ``assumption`` (not
checked; recorded as unproved premise of the source).
"""
from __future__ import annotations

import time

import sympy as sp

from .conditions import decide_condition, denominators
from .equivalence import Decision, decide_equal
from .latex import to_latex, to_sides, to_text
from .normalise import NormaliseError, normalise
from .premises import PremiseError, Substitution, substitutions
from .results import ConditionResult, Counterexample, StepResult
from .timelimit import StageTimeout
from .verdicts import Verdict, combine_steps

RULES: dict = {}


def rule(name: str):
    def deco(fn):
        RULES[name] = fn
        return fn
    return deco


def _relations(rel):
    return rel if isinstance(rel, tuple) else (rel,)


def decide_relation(rel, subst, ctx, salt="") -> tuple[Decision, list]:
    """Decide one relation after substitution and normalisation; returns (decision, denominators)."""
    if rel is sp.true or rel is True:
        return Decision(Verdict.PROVED, "structural", "true"), []
    if rel is sp.false or rel is False:
        return Decision(Verdict.REFUTED, "structural", "false",
                        counterexample=Counterexample(point={}, lhs="False", rhs="True")), []
    lhs = normalise(rel.lhs, subst, ctx)
    rhs = normalise(rel.rhs, subst, ctx)
    dens = denominators(lhs) + denominators(rhs)
    if isinstance(rel, sp.Equality):
        dec = decide_equal(lhs, rhs, ctx, salt, written=rel)
        return dec, dens + dec.conditions
    ops = {sp.StrictGreaterThan: (lhs - rhs, ">"), sp.GreaterThan: (lhs - rhs, ">="),
           sp.StrictLessThan: (rhs - lhs, ">"), sp.LessThan: (rhs - lhs, ">=")}
    if type(rel) in ops:
        expr, op = ops[type(rel)]
        c = decide_condition(sp.together(expr), op, ctx, written=rel)
        v = Verdict(c.verdict)
        cex = None
        if v is Verdict.REFUTED:
            cex = Counterexample(point=getattr(c, "point", {}), lhs=f"{sp.sstr(expr)} = {getattr(c, 'value', '?')}",
                                 rhs=f"{sp.sstr(expr)} {op} 0, i.e. {to_text(rel)}", relation="violates")
        return Decision(v, "sign", c.detail, counterexample=cex), dens
    raise NormaliseError(f"unsupported relation type {type(rel).__name__}")


@rule("default")
def _default(step, subst, d, ctx):
    decisions, dens = [], []
    for i, rel in enumerate(_relations(step.relation)):
        dec, ds = decide_relation(rel, subst, ctx, salt=f"{step.index}.{i}")
        decisions.append(dec)
        dens += ds
    return decisions, dens


@rule("numeric")
def _numeric(step, subst, d, ctx):
    rel = step.relation
    tol = sp.sympify(step.options.get("tol", 0))
    value = normalise(rel.lhs, subst, ctx)
    claimed = sp.sympify(rel.rhs)
    if value.free_symbols:
        raise NormaliseError(f"numeric step does not evaluate to a number: {value}")
    err = sp.Abs(value - claimed)
    if err.is_Rational or err.is_number:
        exact = err.is_Rational
        ok = bool(err <= tol) if exact else bool(sp.N(err - tol, 50) <= 0)
        detail = (f"|{sp.N(value, 12)} - {claimed}| = {sp.N(err, 6)} "
                  f"{'<=' if ok else '>'} tolerance {tol} ({'exact' if exact else '50-digit'})")
        if ok:
            return [Decision(Verdict.PROVED, "numeric-exact", detail)], []
        return [Decision(Verdict.REFUTED, "numeric-exact", detail,
                         counterexample=Counterexample(point={}, lhs=str(sp.N(value, 20)), rhs=f"{claimed} +- {tol}",
                                                       arithmetic="exact rational" if exact else "50-digit"))], []
    raise NormaliseError(f"cannot evaluate {value}")


@rule("match coefficients")
def _match_coefficients(step, subst, d, ctx):
    """Premises: two equations with the same left side; ``wrt``: the free variables.

    The stated equations must be equivalent to "every coefficient of the
    difference of the right sides vanishes": each direction is checked by
    solving one system for the derivation's unknowns and substituting into the other.
    """
    wrt = list(step.options.get("wrt", ()))
    if len(step.using) != 2 or not wrt:
        raise NormaliseError("'match coefficients' needs using=[eq1, eq2] and wrt=[variables]")
    a, b = (f.relation for f in step.using)
    diff = sp.expand((a.rhs - a.lhs) - (b.rhs - b.lhs))
    coeffs = [c for c in sp.Poly(diff, *wrt).coeffs()]
    stated = [r.lhs - r.rhs for r in _relations(step.relation)]
    unknowns = [u for u in d.unknown_symbols if any(s.has(u) for s in stated)]
    if not unknowns:
        raise NormaliseError("'match coefficients' needs d.unknowns(...) naming the coefficients solved for")
    from .premises import _solve
    decisions = []
    sol, conds = _solve(stated, unknowns, ctx)
    for c in coeffs:
        decisions.append(decide_equal(sp.cancel(c.xreplace(sol)), 0, ctx, salt="coef"))
    csol, conds2 = _solve(coeffs, unknowns, ctx) if len(coeffs) >= len(unknowns) else ({}, [])
    if csol:
        for s in stated:
            decisions.append(decide_equal(sp.cancel(s.xreplace(csol)), 0, ctx, salt="stated"))
    from_sums = [c for dec in decisions for c in getattr(dec, "conditions", [])]   # e.g. a ratio != 1
    return decisions, list(conds) + list(conds2) + from_sums


def _dedupe(facts):
    out = []
    for f in facts:
        if all(f is not g for g in out):
            out.append(f)
    return out


#: Exceptions raised from inside SymPy/mpmath while a (well-formed) step is decided: the step is unproved, with
#: the exception named, never an ``error`` of the author's file (e.g. ``int >> mpf`` in mpmath's evalf, or
#: ``InconsistentAssumptions`` from a substitution).
SYMPY_FAILURES = (TypeError, ValueError, AttributeError, NotImplementedError, RecursionError, ZeroDivisionError,
                  IndexError, KeyError)


def check_step(step, d, ctx) -> StepResult:
    """Check one step; never raises for mathematical or authoring problems in the step."""
    t0 = time.perf_counter()
    premises = _dedupe(list(step.using) + list(d.definitions))
    base = dict(index=step.index, rule=step.rule, why=step.why, relation=to_text(step.relation),
                latex=to_latex(step.relation), sides=to_sides(step.relation), label=step.label,
                premises=[f.label for f in step.using])
    if step.rule == "assumption":
        return StepResult(**base, verdict=Verdict.UNPROVED.value, stage="assumption",
                          detail="an assumption of the source, not checked", seconds=time.perf_counter() - t0)
    hypotheses = _dedupe(premises + list(getattr(step, "hypotheses", None) or []))
    refining = [f for f in hypotheses if all(f is not p for p in premises) and _has_inequality(f)]
    try:
        subst = _substitutions_cached(premises + refining, d, ctx)
        ctx = ctx.for_step(subst, hypotheses)
    except (PremiseError, StageTimeout) as e:
        return StepResult(**base, verdict=Verdict.UNPROVED.value, stage="premises", detail=f"premises: {e}",
                          seconds=time.perf_counter() - t0)
    handler = RULES.get(step.rule, RULES["default"])
    try:
        decisions, cond_exprs = handler(step, subst, d, ctx)
        cond_exprs = list(cond_exprs) + written_conditions(step.relation, subst, ctx)
    except StageTimeout as e:
        return StepResult(**base, verdict=Verdict.TIMEOUT.value, stage="timeout", detail=str(e),
                          seconds=time.perf_counter() - t0)
    except (NormaliseError, PremiseError) as e:
        return StepResult(**base, verdict=Verdict.UNPROVED.value, stage="normalise", detail=str(e),
                          seconds=time.perf_counter() - t0)
    except Exception as e:  # noqa: BLE001 - an unsupported construct must not stop the claim
        name = type(e).__name__
        if name == "UnsupportedExpectation":
            return StepResult(**base, verdict=Verdict.UNPROVED.value, stage="expectation", detail=str(e),
                              seconds=time.perf_counter() - t0)
        if isinstance(e, SYMPY_FAILURES):    # the author's step is built; deciding it failed inside SymPy
            msg = " ".join(str(e).split())[:200]
            return StepResult(**base, verdict=Verdict.UNPROVED.value, stage="sympy",
                              detail=f"not decided: SymPy failed while checking this step ({name}: {msg})",
                              seconds=time.perf_counter() - t0)
        raise
    verdict = combine_steps([x.verdict for x in decisions])
    first = next((x for x in decisions if x.verdict is verdict), decisions[0])
    if first.counterexample is not None:
        _add_solved_unknowns(first.counterexample, subst, d)
    conditions = _conditions(list(subst.conditions) + list(cond_exprs), ctx)
    detail = first.detail if len(decisions) == 1 else "; ".join(
        f"[{i + 1}] {x.verdict.value}: {x.detail}" for i, x in enumerate(decisions))
    if verdict is Verdict.PROVED:
        open_ = [c for c in conditions if c.verdict != Verdict.PROVED.value]
        if open_:
            verdict = Verdict.UNPROVED
            detail += "; side condition not discharged: " + "; ".join(f"{c.condition} ({c.verdict}: {c.detail})"
                                                                     for c in open_)
    if subst.notes and verdict is not Verdict.PROVED:
        detail += "; " + "; ".join(subst.notes)
    if verdict is Verdict.REFUTED and first.counterexample is not None:
        detail += _recursion_hint(first.counterexample, step)
    return StepResult(**base, verdict=verdict.value, detail=detail, stage=first.stage, residual=first.residual,
                      counterexample=first.counterexample, conditions=conditions,
                      seconds=time.perf_counter() - t0)


def _recursion_hint(cex, step) -> str:
    """When the point values an entry V[1] freely while a premise gives V[t] for a symbolic t only, say how to
    state that the premise holds for every t (the engine does not guess it: V[t] = 5 may be about one t)."""
    from sympy.tensor.indexed import Indexed
    hints = []
    for f in list(step.using) + list(getattr(step, "hypotheses", [])):
        if getattr(f, "for_all", ()) or f.kind not in ("given", "assumption"):
            continue
        for r in _relations(f.relation):
            lhs = getattr(r, "lhs", None)
            if isinstance(lhs, Indexed) and any(i.free_symbols for i in lhs.indices):
                base = str(lhs.base)
                if any(k.startswith(base + "[") for k in cex.point) and f.label not in hints:
                    hints.append(f.label)
    if not hints:
        return ""
    return (f" (entries were given free values; if {', '.join(hints)} holds for every index, state it with "
            "d.given(..., for_all=t))")


def _has_inequality(fact) -> bool:
    return any(isinstance(r, (sp.StrictGreaterThan, sp.GreaterThan, sp.StrictLessThan, sp.LessThan, sp.Unequality))
               for r in _relations(fact.relation))


_BINDERS = (sp.Limit, sp.Sum, sp.Product, sp.Integral, sp.Derivative, sp.Subs)


def written_denominators(expr, bound=frozenset()) -> list:
    """``(denominator, bound variables)`` pairs of ``expr`` as written (before any substitution or
    normalisation), except denominators that involve a variable bound by an enclosing limit, sum,
    product, integral, derivative or Subs (a limit needs its denominator non-zero only near its point)."""
    out = []
    if isinstance(expr, _BINDERS):
        names = set()
        if isinstance(expr, sp.Limit):
            names = {expr.args[1]}
        elif isinstance(expr, (sp.Sum, sp.Product, sp.Integral)):
            names = {lim[0] for lim in expr.limits}
        elif isinstance(expr, sp.Derivative):
            names = {v for v, _ in expr.variable_count}
        elif isinstance(expr, sp.Subs):
            names = set(expr.variables)
        bound = bound | names
    if isinstance(expr, sp.Pow) and expr.exp.is_negative and not expr.base.is_number \
            and not (expr.base.free_symbols & bound):
        out.append((expr.base, frozenset(bound)))
    for a in getattr(expr, "args", ()):
        if isinstance(a, sp.Basic):
            out += written_denominators(a, bound)
    return out


def written_conditions(relation, subst, ctx) -> list:
    """Side conditions collected from the step *as written*: each denominator, with the premises then
    substituted into it (so ``a/(1 - beta)`` needs ``1 - beta != 0`` even when a premise cancels it)."""
    out = []
    rels = [r for r in _relations(relation) if isinstance(r, sp.core.relational.Relational)]
    # a step stating several relations: its own solved equations (q' = ...) hold wherever the step does
    own = {r.lhs: r.rhs for r in rels if isinstance(r, sp.Equality) and isinstance(r.lhs, sp.Symbol)
           and not r.rhs.has(r.lhs)} if len(rels) > 1 else {}
    for rel in rels:
        for den, bound in written_denominators(rel.lhs) + written_denominators(rel.rhs):
            if own:
                den = den.xreplace({k: v for k, v in own.items() if not rel.lhs == k})
            try:
                e = normalise(den, subst, ctx)
            except Exception:  # noqa: BLE001 - a denominator that cannot be normalised is decided as written
                e = den
            if not e.is_number and e not in out and not (e.free_symbols & bound):
                out.append(e)
    return out


def _substitutions_cached(premises, d, ctx) -> Substitution:
    """The links of a chain share their premises: solve them once per claim (the result is read-only)."""
    cache = ctx.caches.setdefault("substitutions", {})
    key = (tuple(id(f) for f in premises), tuple(d.unknown_symbols))
    if key not in cache:
        cache[key] = substitutions(premises, d.unknown_symbols, ctx)
    return cache[key]


def _add_solved_unknowns(cex, subst, d) -> None:
    """Show, at the counterexample's point, the values the premises give the unknowns."""
    for u in d.unknown_symbols:
        if u not in subst.mapping or str(u) in cex.point:
            continue
        expr = subst.apply(subst.mapping[u])
        names = {str(a): a for a in expr.free_symbols}
        if not set(names) <= set(cex.point):
            continue
        try:
            val = expr.xreplace({a: sp.Rational(cex.point[n]) for n, a in names.items()})
        except (TypeError, ValueError):
            continue
        if val.is_number:
            cex.point[f"{u} (from the premises)"] = str(sp.nsimplify(val) if val.is_Rational else val)


def _conditions(exprs, ctx) -> list[ConditionResult]:
    out, seen = [], set()
    cache = ctx.caches.setdefault("conditions", {})
    for e in exprs:
        key = (id(getattr(ctx, "scope", None)), sp.srepr(e))
        if key in seen or e.is_number:
            continue
        seen.add(key)
        if key not in cache:
            cache[key] = decide_condition(e, "!=", ctx)
        out.append(cache[key])
    return out


def check_conclusion(d, last_fact, ctx, index: int) -> StepResult:
    """The pseudo-step "conclusion": the steps establish the statement.

    Each relation of the statement is either one of the (checked) steps' relations, or must
    follow from the last fact (or ``by``). A relation established earlier in the derivation is
    never re-checked against the last fact alone (that could produce a point violating the givens).
    """
    from .derivation import Step
    stmt = d.statement_relation()
    rels = stmt if isinstance(stmt, tuple) else (stmt,)
    steps = [f for f in d.facts if f.kind == "step" and f.block is None]   # never a fact resting on a hypothesis
    matched, remaining = [], []
    for r in rels:
        f = next((f for f in reversed(steps) if any(_same_relation(r, x) for x in _relations(f.relation))), None)
        (matched if f is not None else remaining).append((r, f))
    why = "the steps establish the statement"
    if not remaining:
        labels = ", ".join(dict.fromkeys(f.label for _, f in matched))
        return StepResult(index=index, rule="conclusion", why=why, relation=to_text(stmt), latex=to_latex(stmt),
                          sides=to_sides(stmt), verdict=Verdict.PROVED.value, stage="structural",
                          detail=f"the statement is {labels}",
                          label="conclusion", premises=[f.label for _, f in matched])
    rest = tuple(r for r, _ in remaining)
    # the statement follows from the last fact *together with the givens* (dropping them would treat a
    # quantity the givens define, x_t = c r^t, as a free constant)
    hyps = [f for f in d.facts if f.kind in ("given", "assumption") and f.block is None]
    using = ([last_fact] if last_fact is not None else []) + hyps
    step = Step(index=index, relation=rest if len(rest) > 1 else rest[0], rule="conclusion", why=why,
                label="conclusion", using=using, hypotheses=hyps)
    result = check_step(step, d, ctx)
    result.relation, result.latex, result.sides = to_text(stmt), to_latex(stmt), to_sides(stmt)
    if matched:
        result.detail = ("; ".join(f"{to_text(r)} is {f.label}" for r, f in matched) + "; " + result.detail)
    return result


def _same_relation(a, b) -> bool:
    if a == b:
        return True
    if isinstance(a, sp.Equality) and isinstance(b, sp.Equality):
        return (a.lhs == b.lhs and a.rhs == b.rhs) or (a.lhs == b.rhs and a.rhs == b.lhs)
    return False
