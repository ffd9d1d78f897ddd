"""Numeric witnesses: run the process a claim is about and say whether the statement holds.

A witness is a function ``fn(w)`` given a :class:`WitnessContext`. It runs the
optimiser, the running average, the layer or the sampler (never the formula
under test), and reports what it measured through one of:

* ``w.exact(values)``      – exact values (rationals) of the statement's symbols;
  the statement must hold exactly.
* ``w.estimate(values, se, n=...)`` – Monte Carlo estimates with standard errors;
  a z-test at the witness's share of the catalog's false-alarm budget.
* ``w.close(values, err)`` – deterministic floating-point values with an error
  bound (e.g. a Richardson estimate); holds if the residual is within k * bound.
* ``w.observe(holds, detail)`` – the witness decided itself (e.g. an explicit pair
  of batches, a permutation of units).
* ``w.figure(title, ...)`` – records a figure of what it ran (data only, see
  :mod:`proofs.figure`); it never affects the observation.

Each returns an :class:`Observation`; a witness returns one or a list of them.

NaN is evidence of nothing: a NaN, an infinity or a complex number among the
values, standard errors, error bounds, the residual or the predicted value, or a
``holds`` that is not True or False, raises :class:`proofs.stats.NoEvidence`
(the engine reports a witness ``error`` naming the quantity). A comparison with
NaN is false, so without the check a NaN would read as "the statement fails"
and confirm a refuted claim.

Invariants: observations are computed without knowing the symbolic verdict;
random streams come from ``w.rng``, seeded from (claim id, seed, witness name)
with SHA-256, so reruns are identical; every statistical comparison states its
sample size and estimate +- SE.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import sympy as sp

from .latex import to_latex, to_text
from .sampling import free_atoms
from .stats import NoEvidence, finite_real, finite_samples

_NOT_FINITE = (sp.nan, sp.zoo, sp.oo, -sp.oo)


@dataclass
class Observation:
    holds: bool
    detail: str
    method: str = ""
    n: int | None = None
    estimate: str | None = None
    se: str | None = None
    predicted: str | None = None
    # one row per compared quantity (w.estimate): quantity, quantity_latex, n, estimate, se, predicted, z,
    # limit (the |z| allowed), holds -- the same numbers as ``detail``, for a table
    rows: list = field(default_factory=list)

    def __post_init__(self):
        self.holds = real_bool(self.holds)


def real_bool(holds) -> bool:
    """``holds`` as a bool: True/False, numpy's bool or SymPy's true/false; anything else (NaN, a number, an
    undecided relation, None) raises :class:`NoEvidence`."""
    if isinstance(holds, (bool, np.bool_)):
        return bool(holds)
    if holds is sp.true or holds is sp.false:
        return bool(holds)
    shown = repr(holds) if isinstance(holds, float) else str(holds)
    raise NoEvidence(f"the observation's holds is {shown[:60]} ({type(holds).__name__}), not True or False: "
                     "evidence of nothing")


def check_observations(obs) -> list:
    """What a witness returned, as a list of observations whose ``holds`` are real bools (the engine's check).

    Raises TypeError when it is not an Observation or a list of them, :class:`NoEvidence` when a ``holds`` was
    set to something other than True or False after the observation was made."""
    obs_list = list(obs) if isinstance(obs, (list, tuple)) else [obs]
    if not obs_list or not all(isinstance(o, Observation) for o in obs_list):
        raise TypeError("a witness must return an Observation (w.exact / w.estimate / w.close / "
                        "w.observe) or a list of them")
    for o in obs_list:
        if type(o.holds) is not bool:
            o.holds = real_bool(o.holds)
    return obs_list


def nodes_as_symbols(rel, kind, prefix: str):
    """Replace each outermost node of type ``kind`` (``E``, ``Var``, ``sp.Limit``, ...) of a relation (or tuple of
    them) by a fresh symbol ``<prefix>_1``, ``<prefix>_2``, ... (the same node, the same symbol), so a witness can
    put what it measured in its place. Returns (relation, {symbol: node}) in order of appearance."""
    nodes = {}

    def walk(e):
        if isinstance(e, kind):
            nodes.setdefault(e, sp.Symbol(f"{prefix}_{len(nodes) + 1}"))
            return
        for a in e.args:
            walk(a)

    rels = rel if isinstance(rel, tuple) else (rel,)
    for r in rels:
        walk(r)
    out = tuple(r.xreplace(nodes) for r in rels)
    return (out if isinstance(rel, tuple) else out[0]), {s: node for node, s in nodes.items()}


def expectations_as_symbols(rel):
    """Replace each outermost ``E(...)`` of a relation (or tuple of them) by a fresh symbol, so a witness
    can put its measured expectation in its place. Returns (relation, {symbol: E-node}) in order of appearance."""
    from .expectation import E
    return nodes_as_symbols(rel, E, "E")


def expectation_values(rel, outcomes, at: dict | None = None):
    """Exact expectations of what the statement writes inside ``E(...)``, from the process's outcomes.

    ``outcomes`` is ``[(probability, {random symbol: value}), ...]`` (an enumeration of the process; the
    probabilities sum to 1). Each outermost ``E(X)`` of ``rel`` becomes a symbol whose value is the average of
    ``X`` itself over the outcomes (``at`` gives the other symbols X names, N or t), so a statement that changes
    what is inside ``E`` changes what is compared: the witness checks the whole relation, not a mean measured
    for what the statement is supposed to say. Returns (relation with symbols, {symbol: exact value}).

    >>> from proofs.expectation import E
    >>> x, c = sp.symbols("x c")
    >>> rel, vals = expectation_values(sp.Eq(E(x**2), c), [(Fraction(1, 2), {x: 1}), (Fraction(1, 2), {x: 3})])
    >>> rel, vals
    (Eq(E_1, c), {E_1: 5})
    """
    out, nodes = expectations_as_symbols(rel)
    fixed = {sp.sympify(k): _exact(v, f"the value of {k}") for k, v in (at or {}).items()}
    vals = {}
    for sym, node in nodes.items():
        inner = _by_name(sp.sympify(node.args[0]), fixed)
        total = sp.Integer(0)
        for prob, scenario in outcomes:
            v = _by_name(inner, {sp.sympify(k): _exact(x, f"the outcome's {k}") for k, x in scenario.items()})
            v = v.doit() if v.has(sp.Sum, sp.Product) else v
            if free_atoms(v):
                raise ValueError(f"the outcomes give no value for {', '.join(map(str, free_atoms(v)))} in {node}")
            _number(v, f"{node.args[0]} at an outcome")
            total += _exact(prob, "an outcome's probability") * v
        vals[sym] = sp.nsimplify(total) if not total.is_Rational else total
    return out, vals


def _by_name(expr, values: dict):
    """``expr`` with ``values`` put in, a key also standing for a symbol of the same name written with other
    assumptions (``Symbol("mu^_t")`` in a statement, ``d.symbol("mu^_t", real=True)`` in the witness)."""
    names = {str(k): v for k, v in values.items() if isinstance(k, sp.Symbol)}
    extra = {a: names[str(a)] for a in expr.free_symbols if a not in values and str(a) in names}
    return expr.xreplace({**values, **extra})


def expectation_estimates(rel, samples: dict, at: dict | None = None):
    """Monte Carlo counterpart of :func:`expectation_values`: ``samples`` maps each random symbol to a numpy
    array (one entry per independent run). Each outermost ``E(X)`` becomes a symbol estimated by the sample mean
    of ``X`` evaluated on the runs, with its standard error. Returns (relation, {symbol: mean}, {symbol: SE}, n)."""
    out, nodes = expectations_as_symbols(rel)
    fixed = {sp.sympify(k): _exact(v, f"the value of {k}") for k, v in (at or {}).items()}
    keys = [sp.sympify(k) for k in samples]
    arrays = [finite_samples(samples[k], f"the samples of {k}") for k in samples]
    n = len(arrays[0]) if arrays else 0
    means, ses = {}, {}
    for sym, node in nodes.items():
        inner = _by_name(sp.sympify(node.args[0]), fixed)
        inner = inner.xreplace({a: k for a in inner.free_symbols for k in keys if a != k and str(a) == str(k)})
        missing = set(free_atoms(inner)) - set(keys)
        if missing:
            raise ValueError(f"the samples give no value for {', '.join(map(str, missing))} in {node}")
        f = sp.lambdify(keys, inner, modules="numpy")
        with np.errstate(all="ignore"):
            vals = np.broadcast_to(finite_samples(f(*arrays), f"the values of {node.args[0]} over the runs"), (n,))
        means[sym] = float(vals.mean())
        ses[sym] = float(vals.std(ddof=1) / np.sqrt(n)) if n > 1 else float("inf")
    return out, means, ses, n


def _exact(v, what: str = "a value"):
    """``v`` as an exact SymPy value (a float as its exact binary value); NaN, an infinity or a complex number
    raises :class:`NoEvidence` naming ``what`` (``sp.Rational(float("nan"))`` would be 0)."""
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    if isinstance(v, (float, np.floating, complex, np.complexfloating)):
        return sp.Rational(finite_real(v, what))            # the exact binary value
    e = sp.sympify(v)
    return _number(e, what) if isinstance(e, sp.Expr) and e.is_number else e


def _number(e, what: str):
    """``e`` unchanged when it is a finite real number (or not a number at all); :class:`NoEvidence` otherwise."""
    if isinstance(e, sp.Expr) and e.is_number and (e.has(*_NOT_FINITE) or e.is_extended_real is False):
        finite_real(e, what)
    return e


def _row(quantity: str, latex: str, n, estimate: str, se: str, predicted: str, z: float, limit: float) -> dict:
    """One compared quantity of :meth:`WitnessContext.estimate`, as :attr:`Observation.rows` holds it."""
    return {"quantity": quantity, "quantity_latex": latex, "n": n, "estimate": estimate, "se": se,
            "predicted": predicted, "z": f"{z:.2f}", "limit": f"{limit:.2f}", "holds": bool(z <= limit)}


def _fmt(x: float) -> str:
    return f"{x:.6g}"


_NON_NUMBERS = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity", "zoo", "oo", "-oo"}


def _shown_number(x, what: str) -> None:
    """:class:`NoEvidence` when a number shown with an observation (or a comma-separated string of them) is NaN,
    infinite or complex; other text passes."""
    if x is None:
        return
    if isinstance(x, str):
        for part in x.split(","):
            if part.strip().lower() in _NON_NUMBERS:
                raise NoEvidence(f"{what} is {x!r}: NaN or infinity is evidence of nothing")
        return
    if isinstance(x, (int, float, complex, Fraction, np.number, np.ndarray, sp.Basic)):
        finite_real(x, what)


class WitnessContext:
    def __init__(self, claim, derivation, *, seed: int = 0, name: str = "witness"):
        from .stats import WITNESS_ALPHA, z_two_sided
        self.claim = claim
        self.d = derivation
        self.S = derivation.S
        self._seed = seed
        self.name = name
        self._rng_args = (claim.id if claim is not None else "anonymous", seed, name)
        self._rng = None
        self.stochastic = False          # set when the witness reads w.rng or w.seed (it depends on the seed)
        self.alpha = WITNESS_ALPHA
        self._z = z_two_sided
        self.figures: list = []

    @property
    def rng(self):
        """The witness's random stream, seeded from (claim id, seed, witness name); reading it marks the witness
        stochastic (``python -m bench.witness_seeds`` runs those over many seeds)."""
        self.stochastic = True
        if self._rng is None:
            from .stats import rng_for
            cid, seed, name = self._rng_args
            self._rng = rng_for(cid, seed, salt=name)
        return self._rng

    @property
    def seed(self) -> int:
        self.stochastic = True
        return self._seed

    # -- figures (see proofs.figure) -----------------------------------------------------
    def figure(self, title: str, **options):
        """Record a figure of what this witness ran; a report draws it. Returns the figure to add lines to."""
        from .figure import Figure
        fig = Figure(title, **options)
        self.figures.append(fig)
        return fig

    # -- what is being tested ------------------------------------------------------------
    @property
    def statement(self):
        return self.d.statement_relation()

    def _relations(self, relation=None):
        rel = self.statement if relation is None else relation
        return rel if isinstance(rel, tuple) else (rel,)

    def random(self, name: str):
        """The claim's random scalar called ``name`` (``d.random.scalar("ghat", ...)``): random symbols are not in
        ``S``, which holds the claim's ordinary symbols."""
        for sym in self.d._random._scalars:
            if str(sym) == name:
                return sym
        raise AttributeError(f"no random scalar named {name!r}; known: "
                             + ", ".join(sorted(map(str, self.d._random._scalars))))

    def fact(self, label: str):
        """The relation of a given, definition or step of the claim, by its label (e.g. "(29)")."""
        return self.d.fact(label).relation

    def value(self, expr, at: dict):
        """Exact value of an expression of the claim (e.g. the statement's right side) at ``at``."""
        e = sp.sympify(expr).xreplace({k: _exact(v) for k, v in at.items()})
        return e.doit() if e.has(sp.Sum, sp.Product) else e

    # -- observations --------------------------------------------------------------------
    def exact(self, values: dict, *, relation=None, method: str = "exact computation", n: int | None = None
              ) -> Observation:
        pt = {k: _exact(v, f"the value of {k}") for k, v in values.items()}
        fails = []
        for rel in self._relations(relation):
            lhs = sp.sympify(rel.lhs).xreplace(pt)
            rhs = sp.sympify(rel.rhs).xreplace(pt)
            lhs = lhs.doit() if lhs.has(sp.Sum, sp.Product) else lhs
            rhs = rhs.doit() if rhs.has(sp.Sum, sp.Product) else rhs
            _number(lhs, f"the left side of {to_text(rel)}")
            _number(rhs, f"the right side of {to_text(rel)}")
            diff = sp.nsimplify(sp.simplify(lhs - rhs)) if not (lhs - rhs).is_Rational else lhs - rhs
            missing = free_atoms(diff)
            if missing:
                raise ValueError(f"witness gave no value for {', '.join(map(str, missing))}")
            if diff != 0 and not (diff.is_number and abs(sp.N(diff, 50)) < sp.Float("1e-40")):
                fails.append(f"{to_text(rel)}: {lhs} != {rhs}")
        pts = ", ".join(f"{k}={v}" for k, v in pt.items())
        if fails:
            return Observation(False, f"fails at {pts}: " + "; ".join(fails), method, n)
        return Observation(True, f"holds exactly at {pts}", method, n)

    @staticmethod
    def _keys_at(mapping: dict, at: dict, what: str) -> dict:
        """Measured symbols with the ``at`` values substituted into their indices (S[i] -> S[1]), each value a
        finite float (:class:`NoEvidence` naming ``what`` and the symbol otherwise)."""
        pt = {k: _exact(v, f"the value of {k}") for k, v in at.items()}
        return {sp.sympify(k).xreplace(pt): finite_real(v, f"{what} {k}") for k, v in mapping.items()}

    def _residual(self, rel, at: dict):
        pt = {k: _exact(v, f"the value of {k}") for k, v in at.items()}
        f = (sp.sympify(rel.lhs) - sp.sympify(rel.rhs)).xreplace(pt)
        return f.doit() if f.has(sp.Sum, sp.Product) else f

    def estimate(self, values: dict, se: dict, *, at: dict | None = None, relation=None, n: int,
                 method: str = "Monte Carlo", share: int = 1) -> Observation:
        """z-test of the statement at the measured values; ``share`` splits alpha across comparisons."""
        at = at or {}
        values = self._keys_at(values, at, "the estimate of")
        se = self._keys_at(se, at, "the standard error of")
        alpha = self.alpha / max(1, share)
        zmax = self._z(alpha)
        parts, ok = [], True
        preds, ests, ses, rows = [], [], [], []
        for rel in self._relations(relation):
            f = self._residual(rel, at)
            syms = [s for s in values if f.has(s)]
            if not syms:
                continue
            missing = [a for a in free_atoms(f) if a not in values]
            if missing:
                raise ValueError(f"witness gave no value for {', '.join(map(str, missing))}")
            point = {s: float(values[s]) for s in syms}
            at_point = {s: sp.Float(v, 30) for s, v in point.items()}
            r = finite_real(sp.N(f.xreplace(at_point)), f"the residual of {to_text(rel)} at the estimates")
            var = 0.0
            grads = {}
            for s in syms:
                if s not in se:
                    raise ValueError(f"witness gave no standard error for {s}")
                g = finite_real(sp.N(sp.diff(f, s).xreplace(at_point)), f"the slope of the residual in {s}")
                grads[s] = g
                var += (g * se[s]) ** 2
            sd = finite_real(math.sqrt(var), "the residual's standard error")
            z = abs(r) / sd if sd > 0 else (0.0 if r == 0 else math.inf)
            ok = ok and z <= zmax
            if len(syms) == 1 and grads[syms[0]] != 0:
                s = syms[0]
                pred = finite_real(point[s] - r / grads[s], f"the predicted value of {s}")
                preds.append(_fmt(pred)); ests.append(_fmt(point[s])); ses.append(_fmt(float(se[s])))
                parts.append(f"{s}: estimate {_fmt(point[s])} +- {_fmt(float(se[s]))} (n={n}), "
                             f"predicted {_fmt(pred)}, |z|={z:.2f} {'<=' if z <= zmax else '>'} {zmax:.2f}")
                rows.append(_row(to_text(s), to_latex(s), n, _fmt(point[s]), _fmt(float(se[s])), _fmt(pred), z, zmax))
            else:
                parts.append(f"residual of {to_text(rel)}: {_fmt(r)} +- {_fmt(sd)} (n={n}), |z|={z:.2f} "
                             f"{'<=' if z <= zmax else '>'} {zmax:.2f}")
                diff = sp.Add(rel.lhs, -rel.rhs, evaluate=False)
                rows.append(_row(f"residual of {to_text(rel)}", to_latex(diff), n, _fmt(r), _fmt(sd), "0", z, zmax))
        if not parts:
            raise ValueError("the measured symbols do not occur in the statement")
        return Observation(ok, "; ".join(parts) + f" (alpha={alpha:.1e})", method, n,
                           estimate=", ".join(ests) or None, se=", ".join(ses) or None,
                           predicted=", ".join(preds) or None, rows=rows)

    def close(self, values: dict, err: dict, *, at: dict | None = None, relation=None, k: float = 10.0,
              floor: float = 1e-12, n: int | None = None, method: str = "floating point") -> Observation:
        """Deterministic floating-point check: |residual| <= k * propagated error bound + floor."""
        at = at or {}
        values = self._keys_at(values, at, "the value of")
        err = self._keys_at(err, at, "the error bound of")
        parts, ok = [], True
        for rel in self._relations(relation):
            f = self._residual(rel, at)
            syms = [s for s in values if f.has(s)]
            if not syms:
                continue
            missing = [a for a in free_atoms(f) if a not in values]
            if missing:
                raise ValueError(f"witness gave no value for {', '.join(map(str, missing))}")
            point = {s: sp.Float(values[s], 30) for s in syms}
            r = finite_real(sp.N(f.xreplace(point)), f"the residual of {to_text(rel)} at the values")
            if any(s not in err for s in syms):
                raise ValueError(f"witness gave no error bound for {', '.join(str(s) for s in syms if s not in err)}")
            bound = finite_real(sum(abs(finite_real(sp.N(sp.diff(f, s).xreplace(point)),
                                                    f"the slope of the residual in {s}")) * err[s] for s in syms),
                                "the propagated error bound")
            good = abs(r) <= k * bound + floor
            ok = ok and good
            parts.append(f"|residual| {abs(r):.3g} {'<=' if good else '>'} {k:g} x {bound:.3g} + {floor:.1g}")
        if not parts:
            raise ValueError("the measured symbols do not occur in the statement")
        return Observation(ok, "; ".join(parts), method, n)

    def observe(self, holds: bool, detail: str, *, method: str = "direct", n: int | None = None,
                estimate=None, se=None, predicted=None) -> Observation:
        """The witness decided itself; ``holds`` must be True or False (numpy's and SymPy's too), and a numeric
        ``estimate``/``se``/``predicted`` must be finite and real."""
        for what, x in (("estimate", estimate), ("standard error", se), ("predicted value", predicted)):
            _shown_number(x, f"the observation's {what}")
        return Observation(real_bool(holds), detail, method, n,
                           None if estimate is None else str(estimate), None if se is None else str(se),
                           None if predicted is None else str(predicted))
