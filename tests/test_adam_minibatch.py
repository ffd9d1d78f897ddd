"""Exercise 2 of week 5 (ADAM and minibatches): catalog verdicts, the processes behind the numbers, and wrong
variants (user-style claims defined here, reusing the catalog's witnesses)."""
import pytest
import sympy as sp

import derivations.adam_minibatch as A
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

R = sp.Rational
CATALOG = [A.rho1_rescaling, A.rho2_w3_batch2, A.rho2_w3_batch4, A.rho2_w1, A.no_scaling]


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


def test_rho1_chain_line_by_line(results):
    r = results["adam_minibatch.rho1_rescaling"]
    assert [s.label for s in r.steps[:5]] == ["n", "line 3", "line 4", "line 5", "example"]
    assert all(s.verdict == "proved" for s in r.steps)


def test_minibatch_means_from_the_series():
    assert A.minibatch_means(3, 2, 2) == [R(11, 20), R(-9, 20)]
    assert A.minibatch_means(3, 4, 3) == [R(1, 20)] * 3
    assert A.minibatch_means(1, 2, 3) == [1, 1, 1] and A.minibatch_means(1, 4, 2) == [1, 1]


def test_batch2_phase_average_is_exact():
    """Over a whole period the stationary r averages to (a^2 + b^2)/2 = 0.2525 for every rho (the limit
    rho -> 1 of each phase); the phases differ by O(1 - rho)."""
    rho = 0.9
    grads = A.minibatch_means(3, 2, 400, exact=False)
    r_even = A.squared_gradient_average(rho, grads[:399])
    r_odd = A.squared_gradient_average(rho, grads[:400])
    assert abs((r_even + r_odd) / 2 - 0.2525) < 1e-12
    assert abs(r_even - r_odd) > 1e-3


def test_no_scaling_ratios(results):
    r = results["adam_minibatch.no_scaling"]
    assert _step(r, "w_3: r(4)/r(1)").verdict == "proved"
    assert "0.985" in r.witnesses[0].detail


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
SRC = Source(A.WEEK5, "Exercise 2, wrong variant")


@claim(id="variant.adam_minibatch.rho1_ratio_inverted", title="1 - rho_{1,512} = (1 - rho_{1,128})/4 (the batch "
       "ratio inverted; propagates to rho_1 = 0.9975)", source=SRC, expected="refuted",
       witnesses=[(A._same_window, "simulation")])
def rho1_ratio_inverted(d):
    n = d.symbol("n", positive=True)
    r128 = d.symbol("rho_{1,128}", bounds=(R(3, 4), 1))
    r512 = d.symbol("rho_{1,512}", real=True)
    d.unknowns(r512)
    m128 = d.given(A.Eq(n, 128 / (1 - r128)))
    m512 = d.given(A.Eq(n, 512 / (1 - r512)))
    d.step(A.Eq(1 - r512, (1 - r128) / 4), rule="cross-multiply (slip)", using=[m128, m512], label="line 4")
    f5 = d.step(A.Eq(r512, (3 + r128) / 4), rule="solve", label="line 5")
    ex = d.chain(sp.Subs((3 + r128) / 4, r128, R(99, 100))).eq(R(399, 400), label="example")
    stmt = (A.Eq(r512, (3 + r128) / 4), A.Eq(sp.Subs((3 + r128) / 4, r128, R(99, 100)), R(399, 400)))
    d.step(stmt, rule="collect", using=[f5, ex.fact])
    d.statement(stmt)


@claim(id="variant.adam_minibatch.batch2_weights", title="w_3, batch 2: the odd-k weight taken as 1 instead of 1/2 "
       "(propagates to r = 0.4050)", source=SRC, expected="refuted",
       witnesses=[(lambda w: A.squared_average_limit_witness(w, 3, 2), "simulation")])
def batch2_weights(d):
    rho = d.symbol("rho", bounds=(0, 1))
    r = d.symbol("r_oo", positive=True)
    a2, b2 = A._sq(A._half(R(11, 10), 0)), A._sq(A._half(-R(9, 10), 0))
    f = d.given(A.Eq(r, a2 / (1 + rho) + b2 * rho / (1 + rho)))
    lim = (d.chain(sp.Limit(r, rho, 1, "-"), using=[f])
           .eq(a2 * 1 + b2 * R(1, 2), rule="(slip)", label="line 2")
           .eq(R(4050, 10000), rule="arithmetic", label="line 3"))
    d.statement(lim.fact.relation, by=lim.fact)


VARIANTS = [(rho1_ratio_inverted, "line 4"), (batch2_weights, "line 2")]


@pytest.mark.parametrize("v, label", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_variant_refuted_at_the_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    assert_caught(r, _step(r, label).index)
