"""Exercise 5 of week 5 (weight decay and early stopping): the induction (a), the limits (b), the erratum in the
first line of (c) (the result is right), the limits (d), and wrong variants."""
from fractions import Fraction as F

import pytest
import sympy as sp

import derivations.early_stopping as X
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

R = sp.Rational
CATALOG = [X.gd_closed_form, X.stopping_fractions, X.weight_decay_minimum, X.weight_decay_minimum_corrected,
           X.weight_decay_limits, X.same_as_early_stopping]


def _step(r, label):
    return next(s for s in r.steps if s.label == label)


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in CATALOG}


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witnesses(c, results):
    r = results[c.id]
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_induction_line_by_line(results):
    r = results["early_stopping.gd_closed_form"]
    labels = ["(16)", "root, line 1", "root, line 2"] + [f"induction, line {k}" for k in range(1, 5)]
    assert all(_step(r, lab).verdict == "proved" for lab in labels)


def test_weight_decay_first_line_drops_the_square(results):
    """(c): line 1 reads beta_i (w_i - w_i*) without the square; lines 2-4 and the result are right."""
    r = results["early_stopping.weight_decay_minimum"]
    assert r.verdict == "refuted" and r.first_failing_step == _step(r, "line 1").index
    assert r.result_verdict == "proved", r.message                # "result right, step wrong"
    assert "the result holds" in r.message and "only step 1 line 1 is wrong" in r.message
    assert _step(r, "line 3").verdict == "proved" and _step(r, "line 4").verdict == "proved"
    assert any("sum over $j$" in n or "sums over $j$" in n for n in r.notes)
    assert "line 1" in r.witnesses[0].detail and r.witnesses[0].observed == "fails"
    fix = results["early_stopping.weight_decay_minimum.corrected"]
    assert fix.verdict == "proved" and X.weight_decay_minimum_corrected.corrects == X.weight_decay_minimum.id


def test_minimiser_by_gradient_descent():
    B, lam, Ws = (F(3, 2), F(7)), F(2), (F(5, 3), F(-4))
    ws = X.gradient_descent(B, Ws, (F(0), F(0)), 1 / (B[1] + lam), 300, lam=lam)
    for i in range(2):
        assert abs(ws[-1][i] - B[i] * Ws[i] / (lam + B[i])) < F(1, 10 ** 25)


def test_stopping_fractions_by_running():
    N = 400
    ws = X.gradient_descent((F(1), F(20)), (F(0), F(0)), (F(1), F(1)), F(1, 5 * N), N)
    assert abs(float(ws[N][0]) - 0.8187) < 1e-3 and abs(float(ws[N][1]) - 0.0183) < 1e-3


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
SRC = Source(X.WEEK5, "Exercise 5, wrong variant")


@claim(id="variant.early_stopping.induction_sign", title="induction step with (1 + gamma beta) (flipped sign, "
       "propagates to (1 + gamma beta)^{n+1})", source=SRC, expected="refuted", witnesses=[(X._gd_run, "exact")])
def induction_sign(d):
    beta, gamma = d.symbols("beta_i gamma", positive=True)
    w, ws, w0, w1, wn, wn1 = d.symbols("w_i w_i* w_i(0) w_i(1) w_i(n) w_i(n+1)", real=True)
    n = d.symbol("n", integer=True, nonnegative=True)
    Ei = R(1, 2) * beta * (w - ws) ** 2
    g = d.chain(-sp.Derivative(Ei, w)).eq(-beta * (w - ws), label="(16)")
    root = d.chain(w1, using=[d.given(X.Eq(w1, w0 - gamma * beta * (w0 - ws)))]).eq(ws + (1 - gamma * beta) * (w0 - ws),
                                                                                     label="root")
    upd = d.given(X.Eq(wn1, wn - gamma * beta * (wn - ws)))
    hyp = d.assume(X.Eq(wn, ws + (1 + gamma * beta) ** n * (w0 - ws)))
    ind = (d.chain(wn1, using=[upd, hyp])
           .eq(ws + (1 + gamma * beta) ** n * (w0 - ws) - gamma * beta * ((1 + gamma * beta) ** n * (w0 - ws)),
               label="induction, line 2")
           .eq(ws + (1 + gamma * beta) * (1 + gamma * beta) ** n * (w0 - ws), rule="collect (slip)",
               label="induction, line 3")
           .eq(ws + (1 + gamma * beta) ** (n + 1) * (w0 - ws), label="induction, line 4"))
    stmt = (g.fact.relation, root.fact.relation, ind.fact.relation)
    d.step(stmt, rule="collect", using=[g.fact, root.fact, ind.fact])
    d.statement(stmt)


@claim(id="variant.early_stopping.shrink_factor", title="completing the square with beta_i/lambda instead of "
       "beta_i/(beta_i + lambda) (propagates to w_i = beta_i w_i*/lambda)", source=SRC, expected="refuted",
       witnesses=[(X.weight_decay_witness, "exact")])
def shrink_factor(d):
    B, lam, W, Ws, Et, c = X._l2_symbols(d)
    E = R(1, 2) * B[0] * (W[0] - Ws[0]) ** 2 + R(1, 2) * B[1] * (W[1] - Ws[1]) ** 2
    defE = d.given(X.Eq(Et, E + lam / 2 * (W[0] ** 2 + W[1] ** 2)))
    d.define(c, R(1, 2) * X._sum2(lambda i: B[i] * lam * Ws[i] ** 2 / (B[i] + lam)))
    ch = (d.chain(Et, using=[defE])
          .eq(R(1, 2) * X._sum2(lambda i: B[i] * (W[i] - Ws[i]) ** 2 + lam * W[i] ** 2), label="line 1")
          .eq(R(1, 2) * X._sum2(lambda i: (B[i] + lam) * W[i] ** 2 - 2 * B[i] * W[i] * Ws[i] + B[i] * Ws[i] ** 2),
              label="line 2")
          .eq(R(1, 2) * X._sum2(lambda i: (B[i] + lam) * (W[i] ** 2 - 2 * B[i] / lam * W[i] * Ws[i]
                                                         + B[i] / (B[i] + lam) * Ws[i] ** 2)),
              rule="factor out (slip)", label="line 3")
          .eq(R(1, 2) * X._sum2(lambda i: (B[i] + lam) * (W[i] - B[i] / lam * Ws[i]) ** 2) + c, label="line 4"))
    hat = [B[i] * Ws[i] / lam for i in (0, 1)]
    stmt = tuple(X.Eq(sp.Subs(sp.Derivative(Et, W[i]), W[i], hat[i]), 0) for i in (0, 1))
    d.step(stmt, rule="hence", using=[ch.fact], label="minimum")
    d.statement(stmt)


@claim(id="variant.early_stopping.stop_fraction", title="remaining fraction exp(-1/4) at n_stop = 1/(5 gamma beta_1) "
       "(changed constant)", source=SRC, expected="refuted", witnesses=[(X._stopping_run, "exact")])
def stop_fraction(d):
    b1, gamma = d.symbols("beta_1 gamma", positive=True)
    b2 = d.symbol("beta_2", positive=True)
    ratio = d.given(X.Eq(b2, 20 * b1))
    nstop = 1 / (5 * gamma * b1)
    l1 = d.chain(sp.Limit((1 - b1 * gamma) ** nstop, gamma, 0, "+")).eq(sp.exp(-R(1, 4)), label="i = 1")
    l2 = d.chain(sp.Limit((1 - b2 * gamma) ** nstop, gamma, 0, "+"), using=[ratio]).eq(sp.exp(-4), label="i = 2")
    stmt = (l1.fact.relation, l2.fact.relation)
    d.step(stmt, rule="collect", using=[l1.fact, l2.fact, ratio])
    d.statement(stmt)


VARIANTS = [(induction_sign, "induction, line 3"), (shrink_factor, "line 3"), (stop_fraction, "i = 1")]


@pytest.mark.parametrize("v, label", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_variant_refuted_at_the_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    assert_caught(r, _step(r, label).index)
