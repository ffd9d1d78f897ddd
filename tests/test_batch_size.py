"""Batch size (``derivations/batch_size.py``): Problem 5's covariance chain and temperature claim with their
wrong variants, and the slides' scaling of eta, N_mu and N_s with their wrong variants.
"""
import pytest
import sympy as sp

from derivations import batch_size
from proofs import E, Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught_at, variant_claims, variant_module


# ==============================================================================================================
# Batch size (Problem 5): the covariance chain, the temperature claim, and their wrong variants.

VARIANTS = variant_module("batch_size_variants")
CLAIMS = variant_claims(VARIANTS)


@pytest.fixture(scope="module")
def covariance():
    return check_claim(batch_size.covariance, seed=0)


def test_covariance_chain_proved_line_by_line(covariance):
    r = covariance
    assert r.verdict == "proved", r.message
    labels = [s.label for s in r.steps]
    assert labels[:7] == [f"line {k}" for k in range(1, 8)]
    assert all(s.verdict == "proved" for s in r.steps)
    assert r.steps[-1].rule == "conclusion"


def test_covariance_literal_line4_is_true_and_says_why(covariance):
    line4 = next(s for s in covariance.steps if s.label == "line 4")
    assert line4.verdict == "proved"
    assert r"$b \neq b'$ sum" in line4.why and "$1/B^2$" in line4.why
    assert any(r"$\sum_b (\hat{g}_b[i] - g[i])$" in n for n in covariance.notes)


def test_covariance_witness_agrees(covariance):
    (w,) = covariance.witnesses
    assert w.kind == "monte-carlo" and w.observed == "holds" and w.verdict == "agrees", w.detail
    assert w.detail.count("|z|") == 9                        # 3 entries at B = 1, 2, 4


def test_temperature_proved_and_witnessed():
    r = check_claim(batch_size.temperature, seed=0)
    assert r.verdict == "proved", r.message
    (w,) = r.witnesses
    assert w.observed == "holds" and w.verdict == "agrees", w.detail


def test_witness_is_deterministic():
    a = check_claim(batch_size.covariance, seed=3).witnesses[0].detail
    b = check_claim(batch_size.covariance, seed=3).witnesses[0].detail
    assert a == b


def test_all_variants_listed():
    assert set(VARIANTS.BROKEN_STEP) == set(CLAIMS)
    assert len(CLAIMS) >= 4


@pytest.mark.parametrize("cid", sorted(VARIANTS.BROKEN_STEP))
def test_variant_refuted_at_broken_step_and_flagged(cid):
    r = check_claim(CLAIMS[cid], seed=0)
    assert r.verdict == "refuted", r.message
    assert r.first_failing_step == VARIANTS.BROKEN_STEP[cid], r.message
    assert r.counterexample is not None
    assert r.result_verdict == "refuted"
    assert r.witnesses and all(w.observed == "fails" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert all(w.verdict == "agrees" for w in r.witnesses)


# ==============================================================================================================
# Scaling eta, N_mu and N_s with the batch size (slides "Scaling eta", "Scaling N_mu", "Scaling N_s"):
# catalog claims and wrong variants (user-style claims reusing the catalog's witnesses).
#
# Formerly tests/test_batch_scaling.py.

Eq = batch_size.Eq
SLIDES = batch_size.SLIDES
CATALOG = (batch_size.eta_two_steps, batch_size.eta_two_steps_general, batch_size.eta_B, batch_size.N_mu,
           batch_size.N_s)


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in CATALOG}


@pytest.mark.parametrize("cid", [c.id for c in CATALOG])
def test_catalog_claim_proved_and_witnessed(results, cid):
    r = results[cid]
    assert r.verdict == "proved", r.message
    assert all(s.verdict == "proved" for s in r.steps)
    assert r.witnesses and all(w.observed == "holds" and w.verdict == "agrees" for w in r.witnesses), \
        [w.detail for w in r.witnesses]


def test_eta_chain_follows_the_slide(results):
    r = results["batch_scaling.eta_two_steps"]
    assert [s.label for s in r.steps][:4] == ["line 1", "line 2 (~)", "line 3", "line 4 (B = 2)"]
    assert any(r"'$\approx$' line" in n for n in r.notes)


def test_two_steps_nonquadratic_order_two(results):
    (w,) = results["batch_scaling.eta_two_steps_general"].witnesses
    assert "fitted order of |R(eta_1)|: 2.0" in w.detail or "fitted order of |R(eta_1)|: 1.99" in w.detail


def test_N_mu_uses_the_running_average_and_batch_results(results):
    r = results["batch_scaling.N_mu"]
    givens = {g["label"]: g["why"] for g in r.givens}
    assert "running_average.variance_limit" in givens["variance at batch size B"]
    assert "batch_size.covariance" in givens["variance at batch size B"]


def test_process_helpers():
    import numpy as np
    xs = (0.7, -1.3)
    p = batch_size.sgd_steps(0.4, xs, 0.0)
    assert p == 0.4
    # the per-example Hessian is the derivative of the per-example gradient
    h = 1e-6
    num = (batch_size.per_example_grad(0.4 + h, 0.7) - batch_size.per_example_grad(0.4 - h, 0.7)) / (2 * h)
    assert abs(num - batch_size.per_example_hess(0.4, 0.7)) < 1e-8
    assert np.isfinite(p)


# ---------------------------------------------------------------------------------------------
# Wrong variants
# ---------------------------------------------------------------------------------------------
@claim(id="variant.batch_scaling.remainder_sign", title="Scaling eta with the remainder's sign flipped",
       source=Source(SLIDES, 'slide "Scaling eta" (wrong variant)'), expected="refuted",
       witnesses=[(batch_size._two_steps_exact, "exact")],
       statement="Phi_{t+2} = Phi_t - 2 eta_1 ghat - eta_1^2 h_{t+1} G_t")
def remainder_sign(d):
    eta = d.symbol("eta_1", positive=True)
    P0, P1, P2 = d.symbols("Phi_t Phi_{t+1} Phi_{t+2}", real=True)
    h0, h1, b0, b1 = d.symbols("h_t h_{t+1} b_t b_{t+1}", real=True)
    gh = d.symbol("ghat", real=True)

    def G0(p):
        return h0 * p - b0

    def G1(p):
        return h1 * p - b1
    up1 = d.given(Eq(P1, P0 - eta * G0(P0)), label="step t")
    up2 = d.given(Eq(P2, P1 - eta * G1(P1)), label="step t+1")
    d.define(gh, (G0(P0) + G1(P0)) / 2)
    (d.chain(P2, using=[up2])
     .eq(P1 - eta * G1(P1), rule="the second update", label="line 1")
     .eq(P1 - eta * G1(P0) + eta * h1 * (P1 - P0), rule="gradient at Phi_t, remainder (sign slip)", label="line 2 (~)")
     .eq(P0 - eta * (G0(P0) + G1(P0)) - eta ** 2 * h1 * G0(P0), rule="the first update", using=[up1], label="line 3")
     .eq(P0 - 2 * eta * gh - eta ** 2 * h1 * G0(P0), rule="batch mean", label="line 4 (B = 2)"))
    d.statement(Eq(P2, P0 - 2 * eta * gh - eta ** 2 * h1 * G0(P0)))


@claim(id="variant.batch_scaling.N_mu_no_batch_variance",
       title="Scaling N_mu forgetting that a batch mean has variance sigma^2/B",
       source=Source(SLIDES, 'slide "Scaling N_mu" (wrong variant)'), expected="refuted",
       witnesses=[(batch_size._momentum_average_variance, "monte-carlo")], statement="V_B = B sigma^2 / (2 N_mu,1 - B)")
def N_mu_no_batch_variance(d):
    B = d.symbol("B", positive=True)
    N1 = d.symbol("N_mu1", bounds=(B, sp.oo))
    NB = d.symbol("N_muB", positive=True)
    s2 = d.symbol("sigma^2", positive=True)
    VB, V1 = d.symbols("V_B V_1", positive=True)
    lim = d.given(Eq(VB, (s2 / B) / ((2 - 1 / NB) * NB)), label="variance at batch size B")
    lim1 = d.given(Eq(V1, s2 / ((2 - 1 / N1) * N1)), label="variance at B = 1")
    rule = d.given(Eq(NB, N1 / B), label="N_mu,B = N_mu,1 / B")
    (d.chain(VB, using=[lim, rule])
     .eq(s2 / (2 * NB - 1), rule="(2 - 1/N) N = 2N - 1 (dropped the 1/B)", label="V_B")
     .eq(B * s2 / (2 * N1 - B), rule="N_mu,B = N_mu,1/B", label="V_B under the rule"))
    ratio = (B * s2 / (2 * N1 - B)) / (s2 / ((2 - 1 / N1) * N1))
    d.chain(sp.Limit(ratio, N1, sp.oo), using=[]).eq(B, rule="limit", label="ratio -> B")
    stmt = (Eq(VB, B * s2 / (2 * N1 - B)), Eq(sp.Limit(VB / V1, N1, sp.oo), B))
    d.step(stmt, rule="collect", using=[lim, lim1, rule], label="collect")
    d.statement(stmt)


@claim(id="variant.batch_scaling.N_s_batch_means_unbiased",
       title="Squared batch means claimed to estimate g^2 + sigma^2",
       source=Source(SLIDES, 'slide "Scaling N_s" (wrong variant)'), expected="refuted",
       witnesses=[(batch_size._rmsprop_semantics, "monte-carlo")], statement="E ghat_B^2 = g^2 + sigma^2")
def N_s_batch_means_unbiased(d):
    B = d.symbol("B", integer=True, positive=True)
    b = d.symbol("b", integer=True, positive=True)
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    x = d.indexed("x")
    d.random.family(x, g, s2)
    mean = sp.Sum(x[b], (b, 1, B)) / B
    sq = sp.Sum(x[b] ** 2, (b, 1, B)) / B
    e1 = d.chain(E(sq), using=[]).eq(g ** 2 + s2, rule="linearity", label="elements")
    e2 = d.chain(E(mean ** 2), using=[]).eq(g ** 2 + s2, rule="expand the square (cross terms taken as sigma^2 too)",
                                            label="batch means")
    stmt = (Eq(E(sq), g ** 2 + s2), Eq(E(mean ** 2), g ** 2 + s2))
    d.step(stmt, rule="collect", using=[e1.fact, e2.fact], label="collect")
    d.statement(stmt)


SCALING_VARIANTS = {
    "variant.batch_scaling.remainder_sign": (remainder_sign, "line 2 (~)"),
    "variant.batch_scaling.N_mu_no_batch_variance": (N_mu_no_batch_variance, "V_B"),
    "variant.batch_scaling.N_s_batch_means_unbiased": (N_s_batch_means_unbiased, "batch means"),
}


@pytest.mark.parametrize("cid", sorted(SCALING_VARIANTS))
def test_scaling_variant_refuted_at_broken_step_and_flagged(cid):
    c, label = SCALING_VARIANTS[cid]
    r = check_claim(c, seed=0)
    assert_caught_at(r, label)
    assert r.result_verdict == "refuted", r.message


def test_engine_premise_does_not_rewrite_limit_variable():
    """Fixed (proofs.premises._replace_free): a premise x = f(y) is not put in for the variable of Limit(h(x), x, oo)
    (xreplace did not respect the binding; batch_scaling.N_mu states its rule as N_mu,B = N_mu,1/B because of it)."""
    @claim(id="test.limit_binding", title="t", source=Source("x", "y"))
    def c(d):
        N1, NB, B = d.symbols("N1 NB B", positive=True)
        rule = d.given(Eq(N1, B * NB))
        rel = Eq(sp.Limit((2 * N1 - 1) / (2 * N1 - B), N1, sp.oo), 1)
        d.step(rel, using=[rule])
        d.statement(rel)
    assert check_claim(c).verdict == "proved"


def test_engine_symbolic_bound_with_integer_end():
    """A bound with a symbolic end (N1 in (B, oo)) whose end is itself reparametrised (issue 8: repeated)."""
    @claim(id="test.symbolic_bound", title="t", source=Source("x", "y"))
    def c(d):
        B = d.symbol("B", integer=True, positive=True)
        N1 = d.symbol("N1", bounds=(B, sp.oo))
        V = d.symbol("V", positive=True)
        rel = Eq(V / (2 * N1 - B), V / (2 * N1 - B))
        d.step(rel, using=[])
        d.statement(rel)
    assert check_claim(c).verdict == "proved"
