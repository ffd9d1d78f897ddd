"""The user-style corpus (issue 8, "Verdicts a user can bet on"): tests/corpus/*.py.

Each corpus file is a new user's first write-up of well-known results that are not in the course handouts
(no solve_for= hints, premises as they come, d.assume for inequalities, bounded integer indices, symbolic sums,
divisions that are safe only under the assumptions, chains reusing earlier facts, induction), each with a numeric
witness that runs the process, and a wrong variant per result with one planted slip carried into the statement.

* a true claim must be ``proved`` with every witness agreeing;
* a wrong claim must be ``refuted`` first at the planted step (by label), with a counterexample that satisfies
  every given, assumption and bound that can be evaluated there (re-validated here, independently of the engine),
  and every witness must observe its statement fail.

The corpus is checked by the CLI in a subprocess (``cli.py check tests/corpus -j 1``). Cases that fail on the
current engine are strict xfails: they turn into failures (XPASS) once the defect is fixed; then drop the mark.

Current engine (HEAD d625aa3), case -> verdict -> defect (codes below; "-" passes today):

    true claim (corpus.)                    verdict     defect
    adam.corrected_unbiased                 unproved    D4
    adam.first_moment_mean.induction        error       D1
    averaging.polyak_quadratic              unproved    D5
    clipping.clipped_norm                   refuted     D3a, D3b
    ema.variance_finite_t.indexed           refuted     D10
    ema.variance_finite_t.induction         error       D1
    linreg.least_squares                    unproved    D7, D3b
    momentum.heavy_ball_two_step            refuted     D2, D3a
    schedules.warmup_at_most_peak           unproved    D8
    sgd.stationary_variance_quadratic       refuted     D9, D3a, D3b
    softmax.ce_gradient_3                   refuted     D2
    softmax.ce_gradient_K                   refuted     D8, D2
    weight_decay.ridge_minimum              unproved    D3b
    15 others (activations x2, adam.first_moment_mean, dropout, ema.variance_finite_t, init x2, layernorm x2,
    linreg.gradient, momentum.nesterov_lookahead, schedules x3, weight_decay.sgd_l2_step)   proved   -

    wrong variant (corpus.)                                  verdict, first failing step   defect
    adam.first_moment_mean.induction.wrong_exponent          error                         D1
    ema.variance_finite_t.induction.wrong_exponent           error                         D1
    ema.variance_finite_t.indexed.wrong_exponent             refuted at true base case     D10
    linreg.least_squares.wrong_dropped_square                unproved                      D7
    momentum.heavy_ball_two_step.wrong_sign                  refuted at true step 1        D2, D3a
    schedules.cosine_symmetry.wrong_cos_identity             refuted at planted, bad point D3a
    sgd.stationary_variance_quadratic.wrong_square           refuted at true step 3        D9, D3a
    softmax.ce_gradient_3.wrong_sign                         refuted at planted, bad point D11
    softmax.ce_gradient_K.wrong_double_count                 refuted at planted, bad point D11
    weight_decay.ridge_minimum.wrong_sign                    refuted at planted, bad point D3a
    weight_decay.sgd_l2_step.wrong_sign                      unproved                      D6
    17 others                                                refuted at planted            -

Status after the engine work of issue 8 (this table describes the engine before it): every case passes. D10 is met by
stating the recursion with d.given(..., for_all=t), which says it holds for every t; without it V[t] = ... is
read as a statement about the t at hand only, and a refutation names the premise and suggests for_all=.

D1  first-class induction (d.induction) does not exist yet: the builder raises, verdict error.
D2  a given not in solved form that names no declared unknown (t_1 + t_2 + t_3 = 1, Sum_k t_k = 1,
    w_{t-1} - w_{t-2} = -eta v_{t-1}) is dropped ("not used"); steps needing it are refuted at points violating it.
D3  inequality assumptions (d.assume: c > 0, ||g|| > c, lambda >= 0, eta h < 2, mu > 0, eta_min < eta_max,
    Sum x_i^2 > 0) are ignored: (a) counterexample points violate them; (b) side conditions, Min(.) and signs
    that follow from them stay undischarged.
D4  1 - beta**t != 0 is not discharged for 0 < beta < 1 and integer t >= 1.
D5  Sum(rho**t, (t, 0, T - 1)) is a Piecewise on Eq(rho, 1); the bound 0 < rho < 1 does not select the branch.
D6  an undefined function (d.function: L(w), Derivative(L(w), w)) makes the numeric stage skip: a false step is
    unproved instead of refuted.
D7  an unknown inside a Sum is not solved for (Sum_i (w x_i - y_i) x_i / n = 0: "solving for w gives 0 solutions").
D8  an integer index bounded by a symbol (bounds=(1, K), closed=True): the sampler uses the symbolic end as the
    value (j = K), so t[K] and t[1] get independent values at K = 1; the bound is not used by sign decisions.
D9  E/Var nodes of premises are substituted and solved as opaque atoms before the expectation algebra: V solved
    from Var(w_{t+1}) = Var(w_t) contradicts Var(w_t) = V of the random model (false refutation).
D10 a given stated for general t (V[t] = beta^2 V[t-1] + ...) is not instantiated at t = 1 in a base-case step:
    V[1] stays a free atom (false erratum: "the stated result holds but this step is wrong").
D11 the counterexample search for a step ignores the givens that step does not use (t_1 + t_2 + t_3 = 61/15).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sympy as sp
from sympy.tensor.indexed import Indexed

from proofs.derivation import Derivation
from proofs.loader import load, user_files

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).parent / "corpus"
INDUCTION = "issue 8: first-class induction"

# true claim id -> xfail reason (None: passes on the current engine)
TRUE = {
    "corpus.activations.sigmoid_derivative": None,
    "corpus.activations.tanh_derivative": None,
    "corpus.adam.corrected_unbiased": None,
    "corpus.adam.first_moment_mean": None,
    "corpus.adam.first_moment_mean.induction": None,
    "corpus.averaging.polyak_quadratic": None,
    "corpus.clipping.clipped_norm": None,
    "corpus.dropout.inverted_moments": None,
    "corpus.ema.variance_finite_t": None,
    "corpus.ema.variance_finite_t.indexed": None,
    "corpus.ema.variance_finite_t.induction": None,
    "corpus.init.lecun_preserves_variance": None,
    "corpus.init.preactivation_variance": None,
    "corpus.layernorm.backward_2": None,
    "corpus.layernorm.standardised_unit_variance": None,
    "corpus.linreg.gradient": None,
    "corpus.linreg.least_squares": None,
    "corpus.momentum.heavy_ball_two_step": None,
    "corpus.momentum.nesterov_lookahead": None,
    "corpus.schedules.cosine_endpoints": None,
    "corpus.schedules.cosine_symmetry": None,
    "corpus.schedules.warmup_at_most_peak": None,
    "corpus.schedules.warmup_total": None,
    "corpus.sgd.stationary_variance_quadratic": None,
    "corpus.softmax.ce_gradient_3": None,
    "corpus.softmax.ce_gradient_K": None,
    "corpus.weight_decay.ridge_minimum": None,
    "corpus.weight_decay.sgd_l2_step": None,
}
# wrong claim id -> (label of the planted step, xfail reason or None)
WRONG = {
    "corpus.activations.sigmoid_derivative.wrong_dropped_square": ("chain rule", None),
    "corpus.activations.tanh_derivative.wrong_constant": ("difference of squares", None),
    "corpus.adam.corrected_unbiased.wrong_exponent": ("pull out", None),
    "corpus.adam.first_moment_mean.induction.wrong_exponent": ("collect", None),
    "corpus.adam.first_moment_mean.wrong_dropped_weight": ("linearity", None),
    "corpus.averaging.polyak_quadratic.wrong_extra_term": ("geometric sum", None),
    "corpus.clipping.clipped_norm.wrong_square": ("factor the scale", None),
    "corpus.dropout.inverted_moments.wrong_unsquared": ("pull out the constant", None),
    "corpus.ema.variance_finite_t.indexed.wrong_exponent": ("collect", None),
    "corpus.ema.variance_finite_t.induction.wrong_exponent": ("collect", None),
    "corpus.ema.variance_finite_t.wrong_unsquared_weight": ("base case variance", None),
    "corpus.init.lecun_preserves_variance.wrong_extra_n": ("insert sigma_w^2", None),
    "corpus.init.preactivation_variance.wrong_mean_dropped": ("Var(w x)", None),
    "corpus.layernorm.backward_2.wrong_mean_term": ("product rule", None),
    "corpus.layernorm.standardised_unit_variance.wrong_unsquared": ("scale out", None),
    "corpus.linreg.gradient.wrong_factor": ("term derivative", None),
    "corpus.linreg.least_squares.wrong_dropped_square": ("split the sum", None),
    "corpus.momentum.heavy_ball_two_step.wrong_sign": ("insert v_{t-1}", None),
    "corpus.momentum.nesterov_lookahead.wrong_sign": ("insert v_t", None),
    "corpus.schedules.cosine_endpoints.wrong_cos_pi": ("cos(pi)", None),
    "corpus.schedules.cosine_symmetry.wrong_cos_identity": ("cos(pi - x)", None),
    "corpus.schedules.warmup_at_most_peak.wrong_lower_bound": ("lower bound", None),
    "corpus.schedules.warmup_total.wrong_off_by_one": ("arithmetic sum", None),
    "corpus.sgd.stationary_variance_quadratic.wrong_square": ("collect V", None),
    "corpus.softmax.ce_gradient_3.wrong_sign": ("differentiate", None),
    "corpus.softmax.ce_gradient_K.wrong_double_count": ("split", None),
    "corpus.weight_decay.ridge_minimum.wrong_sign": ("collect w", None),
    "corpus.weight_decay.sgd_l2_step.wrong_sign": ("expand", None),
}


def _corpus_claims() -> dict:
    """Every claim of tests/corpus, loaded the way the CLI loads a user's folder."""
    out = {}
    for sf in user_files(str(CORPUS)):
        for c in load(sf).claims:
            assert c.id not in out, f"duplicate claim id {c.id}"
            out[c.id] = c
    return out


CLAIMS = _corpus_claims()
_RESULTS: dict = {}


def result(cid: str) -> dict:
    """The CLI's JSON result of a corpus claim. The whole corpus is checked once, by ``cli.py check tests/corpus``
    in a subprocess (one worker per file, claims in file order, as a user runs it): a claim's counterexample
    depends on what SymPy has cached before it, so checking in this process would tie the verdicts to test order."""
    if not _RESULTS:
        with tempfile.TemporaryDirectory(prefix="derivcheck-corpus-") as tmp:
            out = Path(tmp) / "results.json"
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", NO_COLOR="1")
            proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", str(CORPUS), "--no-cache", "-j", "1",
                                   "--format", "json", "-o", str(out)], cwd=tmp, env=env, capture_output=True,
                                  text=True, timeout=900, stdin=subprocess.DEVNULL)
            assert proc.returncode in (0, 1), proc.stdout + proc.stderr      # 2: a corpus file did not load
            _RESULTS.update({c["id"]: c for c in json.loads(out.read_text())["claims"]})
    return _RESULTS[cid]


# ------------------------------------------------------------------------------------------------
# Independent re-validation of a counterexample point against the derivation's premises
# ------------------------------------------------------------------------------------------------
_FROM_PREMISES = " (from the premises)"


def _parse_point(point: dict) -> tuple[dict, list]:
    """name -> exact Rational; values that are not numbers are reported (never sympified)."""
    values, problems = {}, []
    for name, text in point.items():
        base = name[: -len(_FROM_PREMISES)] if name.endswith(_FROM_PREMISES) else name
        try:
            values[base] = sp.Rational(str(text))
        except (TypeError, ValueError):
            problems.append(f"{name} = {text!r} is not a number")
    return values, problems


def _at_point(expr, values: dict):
    """Insert the point by atom name, expanding sums (and deltas, Min, ...) once their limits are numbers."""
    for _ in range(8):
        labels = {a.base.label for a in expr.atoms(Indexed)}
        sub = {a: values[str(a)] for a in expr.free_symbols
               if isinstance(a, sp.Symbol) and a not in labels and str(a) in values}
        sub.update({a: values[str(a)] for a in expr.atoms(Indexed) if str(a) in values})
        new = expr.xreplace(sub) if sub else expr
        if new.has(sp.Sum, sp.Product, sp.KroneckerDelta, sp.Piecewise, sp.Min, sp.Max, sp.Derivative, sp.Subs):
            new = new.doit()
        if new == expr:
            break
        expr = new
    return expr


def _holds(rel) -> bool | None:
    """Truth of a relation between numbers (exact where rational, else 50 digits); None if not numeric."""
    lhs, rhs = sp.sympify(rel.lhs), sp.sympify(rel.rhs)
    diff = lhs - rhs
    if diff.free_symbols or not diff.is_number:
        return None
    if not diff.is_Rational:
        val = sp.N(diff, 50)
        if not val.is_real:
            return None
        diff = sp.Rational(0) if abs(val) < sp.Float("1e-40") else val
    if isinstance(rel, sp.Equality):
        return diff == 0
    if isinstance(rel, sp.StrictGreaterThan):
        return bool(diff > 0)
    if isinstance(rel, sp.GreaterThan):
        return bool(diff >= 0)
    if isinstance(rel, sp.StrictLessThan):
        return bool(diff < 0)
    if isinstance(rel, sp.LessThan):
        return bool(diff <= 0)
    return None


def _premises(d: Derivation) -> list:
    """(label, relation) for every given and assumption, the declared bounds and the symbols' own assumptions."""
    out = []
    for f in d.facts:
        if f.kind in ("given", "assumption"):
            for rel in (f.relation if isinstance(f.relation, tuple) else (f.relation,)):
                out.append((f.label, rel))
    for s, (lo, hi) in d.bounds.items():
        lo_in, hi_in = d.closed.get(s, (False, False))
        if lo.is_finite is not False:
            out.append((f"bound of {s}", (s >= lo) if lo_in else (s > lo)))
        if hi.is_finite is not False:
            out.append((f"bound of {s}", (s <= hi) if hi_in else (s < hi)))
    return out


def _symbols_of(d: Derivation) -> dict:
    """Every plain symbol the derivation mentions, by name (for checking integer/positive assumptions)."""
    syms = {}
    exprs = [f.relation for f in d.facts] + [s.relation for s in d.steps] + list(d.statements)
    for e in exprs:
        for r in (e if isinstance(e, tuple) else (e,)):
            for a in sp.sympify(r).free_symbols:
                if isinstance(a, sp.Symbol):
                    syms.setdefault(str(a), a)
    for v in d.S.values():
        if isinstance(v, sp.Symbol):
            syms.setdefault(str(v), v)
    return syms


def premises_violated(claim, point: dict) -> list[str]:
    """Which premises of ``claim`` the counterexample ``point`` violates (those that can be evaluated there).

    The point is parsed with ``sp.Rational(str)`` only. Definitions are inserted first, expectations are
    taken with the claim's own random model, then the point's values (and the values the engine says the
    premises give the unknowns) are put in by name.
    """
    d = Derivation(claim)
    claim.build(d)
    values, problems = _parse_point(point)
    defs = {f.relation.lhs: f.relation.rhs for f in d.definitions}

    def prepare(e):
        e = sp.sympify(e)
        for _ in range(6):
            new = e.xreplace(defs)
            if new == e:
                break
            e = new
        if d._random is not None:
            from proofs.expectation import Cov, E, Var, expect
            if e.atoms(E) or e.atoms(Var) or e.atoms(Cov):
                e = expect(e, d._random)
        return _at_point(e, values)

    for label, rel in _premises(d):
        try:
            ev = rel.func(prepare(rel.lhs), prepare(rel.rhs), evaluate=False)
        except Exception as exc:  # noqa: BLE001 - a premise we cannot evaluate is skipped, not failed
            del exc
            continue
        if _holds(ev) is False:
            problems.append(f"{label}: {rel} fails at the point ({ev.lhs} vs {ev.rhs})")
    syms = _symbols_of(d)
    for name, v in values.items():
        s = syms.get(name)
        if s is None:
            continue
        for prop, ok in (("integer", v.is_integer), ("positive", v > 0), ("nonnegative", v >= 0),
                         ("negative", v < 0), ("nonzero", v != 0)):
            if getattr(s, f"is_{prop}") and not ok:
                problems.append(f"{name} = {v} but {name} is declared {prop}")
    return problems


# ------------------------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------------------------
def _params(table: dict):
    out = []
    for cid, value in sorted(table.items()):
        reason = value[1] if isinstance(value, tuple) else value
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(cid, marks=marks, id=cid))
    return out


def test_corpus_is_complete():
    """Every corpus claim is classified; every true claim has at least one wrong variant; at least 15 true results
    (not counting the first-class-induction rewrites)."""
    assert set(CLAIMS) == set(TRUE) | set(WRONG)
    assert all(CLAIMS[c].expected.value == "proved" for c in TRUE)
    assert all(CLAIMS[c].expected.value == "refuted" for c in WRONG)
    for t in TRUE:
        assert any(w.startswith(t + ".wrong_") for w in WRONG), f"{t} has no wrong variant"
    assert len([t for t in TRUE if not t.endswith(".induction")]) >= 15
    assert all(CLAIMS[c].witnesses for c in CLAIMS)


@pytest.mark.parametrize("cid", _params(TRUE))
def test_true_claim_proved_and_witnessed(cid):
    r = result(cid)
    assert r["verdict"] == "proved", r["message"]
    assert r["witnesses"] and all(w["verdict"] == "agrees" for w in r["witnesses"]), \
        [w["detail"] for w in r["witnesses"]]


@pytest.mark.parametrize("cid", _params(WRONG))
def test_wrong_claim_refuted_at_the_planted_step(cid):
    planted = WRONG[cid][0]
    r = result(cid)
    assert r["verdict"] == "refuted", r["message"]
    failing = r["steps"][r["first_failing_step"] - 1]
    assert failing["label"] == planted, f"first failing step {failing['index']} {failing['label']!r}: {r['message']}"
    cex = r["counterexample"]
    assert cex is not None and cex["point"], r["message"]
    violated = premises_violated(CLAIMS[cid], cex["point"])
    assert not violated, f"counterexample {cex['point']} violates: {violated}"
    assert r["witnesses"] and all(w["observed"] == "fails" and w["verdict"] == "agrees" for w in r["witnesses"]), \
        [w["detail"] for w in r["witnesses"]]


def test_revalidation_flags_bad_points():
    """The re-validation itself (no engine): it accepts a point inside the premises and names each violation."""
    soft = CLAIMS["corpus.softmax.ce_gradient_3.wrong_sign"]
    assert premises_violated(soft, {"t_1": "1/2", "t_2": "1/4", "t_3": "1/4", "z_1": "0"}) == []
    assert any("sum t = 1" in v for v in premises_violated(soft, {"t_1": "1", "t_2": "1", "t_3": "1"}))
    assert any("nonnegative" in v for v in premises_violated(soft, {"t_1": "-1", "t_2": "1", "t_3": "1"}))
    ksum = CLAIMS["corpus.softmax.ce_gradient_K.wrong_double_count"]
    assert premises_violated(ksum, {"K": "2", "j": "2", "t[1]": "1/3", "t[2]": "2/3", "y[1]": "1/2", "y[2]": "1/2"}) == []
    bad = premises_violated(ksum, {"K": "2", "j": "K", "t[1]": "1", "t[2]": "1"})
    assert any("not a number" in v for v in bad) and any("sum t = 1" in v for v in bad)
    assert any("bound of j" in v for v in premises_violated(ksum, {"K": "2", "j": "3"}))
    ridge = CLAIMS["corpus.weight_decay.ridge_minimum.wrong_sign"]
    assert any("lambda >= 0" in v for v in premises_violated(ridge, {"lambda": "-1/2", "h": "1", "c": "1"}))
    clip = CLAIMS["corpus.clipping.clipped_norm"]
    assert premises_violated(clip, {"c": "1", "g_1": "3", "g_2": "4"}) == []
    assert len(premises_violated(clip, {"c": "6", "g_1": "3", "g_2": "4"})) == 1        # ||g|| = 5 < c
    sgd = CLAIMS["corpus.sgd.stationary_variance_quadratic"]
    assert any("eta*h < 2" in v for v in premises_violated(sgd, {"eta": "6", "h": "13/3", "V": "1", "sigma^2": "1"}))
