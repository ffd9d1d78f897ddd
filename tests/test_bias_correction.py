"""Bias correction of running averages (SGD slides; Problem 3 of 000, Problem 2 of 001): catalog verdicts,
the exact processes behind the witnesses, and wrong variants caught by the engine and the witnesses."""
from fractions import Fraction

import pytest
import sympy as sp

from derivations import bias_correction as m
from proofs import E, Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

SRC = Source(m.SLIDES, "wrong variant")
CATALOG = [m.first_mean, m.expected_running_average, m.early_bias, m.one_over_t_average, m.min_constant_input,
           m.min_unbiased, m.min_equals_average]


@pytest.mark.parametrize("c", CATALOG, ids=lambda c: c.id)
def test_catalog_claim_verdict_and_witnesses(c):
    r = check_claim(c, seed=0)
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" and w.observed == "holds" for w in r.witnesses), \
        [w.detail for w in r.witnesses]
    assert not r.loud


def test_handout_problem_cited_from_both_problem_sets():
    files = {s.file for s in m.min_constant_input.sources()}
    assert files == {m.SGD_PROBLEMS, m.SGD_PROBLEMS_2}


def test_enumeration_is_the_process():
    """Independent of the engine: exact expectations by enumeration agree with iterating E mu_t."""
    N = 5
    Em = m.exact_expectations(lambda t: Fraction(1, N), 4)
    mu, e = m.law_mean(), Fraction(0)
    for t in range(1, 5):
        e = (1 - Fraction(1, N)) * e + mu / N
        assert Em[t] == e
    assert m.exact_expectations(lambda t: Fraction(1, min(t, 3)), 6)[1:] == [mu] * 6


def test_min_update_bridges_the_two_regimes():
    xs = [Fraction(k) for k in (4, -2, 7, 1, 0, 3, 9, -5)]
    N = 4
    mins = m.run_average(xs, lambda t: Fraction(1, min(N, t)))
    assert all(mins[t] == sum(xs[:t]) / t for t in range(1, N + 1))          # plain average up to N
    running = m.run_average(xs[N:], lambda t: Fraction(1, N), mu0=mins[N])   # then the 1/N running average
    assert mins[N:] == running


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
@claim(id="variant.bias_correction.first_mean_unbiased", title="E mu^_1 = mu (the 1/N dropped)", source=SRC,
       expected="refuted", witnesses=[(m._expectation_witness([1]), "exact")])
def first_mean_unbiased(d):
    N = d.symbol("N", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    x1 = d.random.scalar("x_1", mean=mu, var=s2, real=True)
    m0, m1 = d.symbols("mu^_0 mu^_1", real=True)
    start = d.given(sp.Eq(m0, 0))
    upd = d.given(sp.Eq(m1, (1 - 1 / N) * m0 + x1 / N))
    (d.chain(E(m1), using=[upd, start])
     .eq(E((1 - 1 / N) * 0 + x1 / N))
     .eq(mu, rule="linearity (slip: 1/N dropped)"))
    d.statement(sp.Eq(E(m1), mu))


@claim(id="variant.bias_correction.expected_exponent", title="E mu^_t = (1 - (1 - 1/N)^(t+1)) mu", source=SRC,
       expected="refuted", witnesses=[(m._expectation_witness([1, 2, 5, 8]), "exact")])
def expected_exponent(d):
    rho = d.symbol("rho", bounds=(0, 1))
    N = d.symbol("N", positive=True)
    d.define(N, 1 / (1 - rho))
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    Mprev, m_t = d.symbols("M_{t-1} mu^_t", real=True)
    r = 1 - 1 / N
    upd = d.given(sp.Eq(m_t, r * Mprev + mu / N))
    hyp = d.assume(sp.Eq(Mprev, (1 - r ** (t - 1)) * mu))
    (d.chain(m_t, using=[upd])
     .eq(r * Mprev + mu / N)
     .eq(r * (1 - r ** (t - 1)) * mu + mu / N, using=[hyp])
     .eq((1 - r ** (t + 1)) * mu, rule="collect (slip: exponent t + 1)"))
    d.statement(sp.Eq(E(sp.Symbol("mu^_t")), (1 - r ** (t + 1)) * mu))


@claim(id="variant.bias_correction.one_over_t_shift", title="mu^_t = S_t / (t + 1)", source=SRC,
       expected="refuted", witnesses=[(m._one_over_t_iterates, "exact")])
def one_over_t_shift(d):
    u = d.symbol("u", integer=True, positive=True)
    mu_, mu1, xu1, Su, Su1 = d.symbols("mu^_u mu^_{u+1} x_{u+1} S_u S_{u+1}", real=True)
    upd = d.given(sp.Eq(mu1, (1 - 1 / (u + 1)) * mu_ + xu1 / (u + 1)))
    srec = d.given(sp.Eq(Su1, Su + xu1))
    hyp = d.assume(sp.Eq(mu_, Su / u))
    (d.chain(mu1, using=[upd])
     .eq((1 - 1 / (u + 1)) * Su / u + xu1 / (u + 1), using=[hyp])
     .eq((Su + xu1) / (u + 2), rule="(slip: divide by u + 2)")
     .eq(Su1 / (u + 2), using=[srec]))
    d.statement(sp.Eq(mu1, Su1 / (u + 2)))


VARIANTS = [(first_mean_unbiased, 2), (expected_exponent, 3), (one_over_t_shift, 2)]


@pytest.mark.parametrize("v,step", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_wrong_variant_refuted_and_flagged(v, step):
    assert_caught(check_claim(v, seed=0), step)
