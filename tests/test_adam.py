"""RMSProp and Adam (``derivations/adam.py``): the slides' claims and the published-versus-simplified bias
correction, the batch size in RMSProp's second moment (SGD problems, Problem 4 (d)), Adam's constants for
another minibatch size (week 5, Exercise 2), and wrong variants caught by the engine and the witnesses.
"""
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import derivations.adam as A
from proofs import E, Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught, witness_context


# ==============================================================================================================
# RMSProp and Adam (SGD slides): catalog verdicts, the published-versus-simplified bias correction, and
# wrong variants caught by the engine and the witnesses.

SRC = Source(A.SLIDES, "wrong variant")
CATALOG = [A.second_moment, A.tracks_second_moment, A.published_recursion, A.published_unbiased,
           A.same_effect_late, A.same_effect_early]


@pytest.mark.parametrize("c", CATALOG, ids=lambda c: c.id)
def test_catalog_claim_verdict_and_witnesses(c):
    r = check_claim(c, seed=0)
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" and w.observed == "holds" for w in r.witnesses), \
        [w.detail for w in r.witnesses]
    assert not r.loud


def test_noise_dominates_is_not_checkable():
    assert check_claim(A.noise_dominates).verdict == "not checkable"


def test_rmsprop_witness_is_statistical():
    assert [w.kind for w in A.tracks_second_moment.witnesses] == ["monte-carlo"]
    r = check_claim(A.tracks_second_moment, seed=1)
    assert r.witnesses[0].n >= 500 and r.witnesses[0].se is not None


def test_published_and_simplified_counts():
    """Independent of the engine: impulse-response counts of both estimators."""
    N = 6
    for t in range(1, 30):
        pub = A.impulse_count(A.published_adam_mean, N, t)
        simp = A.impulse_count(A.simplified_adam_mean, N, t)
        assert simp == min(t, N)
        assert pub == N * (1 - (1 - Fraction(1, N)) ** t)
        assert 0 <= simp - pub <= N * (1 - Fraction(1, N)) ** t       # the counts agree up to N rho^t
    assert A.impulse_count(A.published_adam_mean, N, 1) == 1


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
@claim(id="variant.rmsprop.second_moment_sign", title="E ghat^2 = g^2 - sigma^2", source=SRC, expected="refuted",
       witnesses=[(A._second_moment_population, "exact")])
def second_moment_sign(d):
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    gh = d.random.scalar("ghat", mean=g, var=s2, real=True)
    (d.chain(E(gh ** 2))
     .eq(E((gh - g) ** 2) + 2 * g * E(gh) - g ** 2)
     .eq(g ** 2 - s2, rule="(slip: sign of the variance)"))
    d.statement(sp.Eq(E(gh ** 2), g ** 2 - s2))


@claim(id="variant.rmsprop.tracks_variance_only", title="s_inf = sigma^2 (the g^2 term dropped)", source=SRC,
       expected="refuted", witnesses=[(A._run_rmsprop, "monte-carlo")])
def tracks_variance_only(d):
    Ns = d.symbol("N_s", integer=True, positive=True)
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    gh = d.random.scalar("ghat", mean=g, var=s2, real=True)
    S = d.symbol("s_inf", real=True)
    d.unknowns(S)
    fp = d.given(sp.Eq(S, (1 - 1 / Ns) * S + E(gh ** 2) / Ns))
    d.step(sp.Eq(S, E(gh ** 2)), using=[fp])
    d.step(sp.Eq(S, s2), rule="(slip: E ghat^2 = sigma^2)")
    d.statement(sp.Eq(S, s2))


@claim(id="variant.adam.count_off_by_one", title="n_t = N (1 - beta1^(t-1))", source=SRC, expected="refuted",
       witnesses=[(A._published_iterates, "exact")])
def count_off_by_one(d):
    rho, N = A._rho_N(d)
    p = d.symbol("p", bounds=(0, 1))
    b1 = 1 - 1 / N
    mp, mt, g1, gt = d.symbols("m_{t-1} m_t ghat_1 ghat_t", real=True)
    mh1, mhp, mht = d.symbols("m^_1 m^_{t-1} m^_t", real=True)
    upd = d.given(sp.Eq(mt, b1 * mp + (1 - b1) * gt))
    cp = d.given(sp.Eq(mp, (1 - p) * mhp))
    ct = d.given(sp.Eq(mht, mt / (1 - b1 * p)))
    one = d.given(sp.Eq(mh1, g1))
    n = N * (1 - p)
    ch = (d.chain(mht, using=[ct])
          .eq((b1 * mp + gt / N) / (1 - b1 * p), using=[upd])
          .eq((b1 * (1 - p) * mhp + gt / N) / (1 - b1 * p), using=[cp])
          .eq((1 - 1 / n) * mhp + gt / n, rule="(slip: count N (1 - beta1^(t-1)))"))
    d.step((sp.Eq(mh1, g1), sp.Eq(mht, (1 - 1 / n) * mhp + gt / n)), using=[one, ch.fact])
    d.statement((sp.Eq(mh1, g1), sp.Eq(mht, (1 - 1 / n) * mhp + gt / n)))


VARIANTS = [(second_moment_sign, 2), (tracks_variance_only, 2), (count_off_by_one, 3)]


@pytest.mark.parametrize("v,step", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_wrong_variant_refuted_and_flagged(v, step):
    assert_caught(check_claim(v, seed=0), step)


def test_engine_decides_one_minus_power_nonzero():
    """1 - rho^t != 0 for 0 < rho < 1 and a symbolic integer t >= 1 (interval enclosure; issue 8, defect 6)."""
    @claim(id="test.one_minus_power", title="t", source=SRC)
    def c(d):
        rho = d.symbol("rho", bounds=(0, 1))
        t = d.symbol("t", integer=True, positive=True)
        mm, mh, g = d.symbols("m mh g", real=True)
        corr = d.given(sp.Eq(mh, mm / (1 - rho ** t)))
        d.step(sp.Eq(mh + g, mm / (1 - rho ** t) + g), using=[corr])
        d.statement(sp.Eq(mh + g, mm / (1 - rho ** t) + g))
    assert check_claim(c).verdict == "proved"


# ------------------------------------------------------------------------------------------------
# sigma[i] >> g[i] (not checkable): its witness trains logistic regression and measures both
# ------------------------------------------------------------------------------------------------


def test_noise_dominates_witness_trains_a_model_and_agrees():
    r = check_claim(A.noise_dominates, seed=0)
    assert r.verdict == "not checkable" and not r.loud
    (w,) = r.witnesses
    assert w.name == "gradient_noise" and w.kind == "simulation" and not A.noise_dominates.witnesses[0].statistical
    assert w.verdict == "agrees" and w.observed == "holds", w.detail
    assert "NOT converged" not in w.detail and w.n == 400 and float(w.estimate) >= 10
    assert w.figures


def test_per_example_gradients_are_the_gradient_of_the_training_loss():
    """The measured g is the gradient of the loss that GD minimises (central differences)."""
    X, y = A.logistic_data(np.random.default_rng(3), n=50)
    losses, g, _ = A.train_logistic(X, y, 0)
    w0, h = np.zeros(X.shape[1]), 1e-6

    def loss(w):
        z = X @ w
        return np.mean(np.logaddexp(0.0, z) - y * z)
    fd = [(loss(w0 + h * e) - loss(w0 - h * e)) / (2 * h) for e in np.eye(X.shape[1])]
    assert np.allclose(g[0], fd, atol=1e-8) and np.isclose(losses[0], np.log(2))


@pytest.mark.parametrize("kwargs", [dict(near=1.0), dict(steps=3)], ids=["from the start", "stopped after 3 steps"])
def test_noise_dominates_witness_fails_far_from_the_minimum(kwargs):
    """Measured from the start of training (w = 0), or on a model stopped after 3 GD steps, the mean gradient
    is not dominated by the noise: some coordinate has sigma[i] / |g[i]| < 10."""
    o = A.noise_ratio_observation(witness_context(A.noise_dominates, "gradient_noise"), **kwargs)
    assert not o.holds, o.detail
    assert float(o.estimate) < 10


@claim(id="variant.rmsprop.noise_dominates_early", title="sigma[i] >> g[i] from the first step of training",
       source=SRC, expected="not checkable", not_checkable="a variant whose witness measures from step 0")
def noise_dominates_early(d):
    pass


noise_dominates_early.add_witness(lambda w: A.noise_ratio_observation(w, near=1.0), kind="simulation",
                                  name="from_the_start")


def test_noise_dominates_witness_disagrees_loudly_far_from_the_minimum():
    r = check_claim(noise_dominates_early, seed=0)
    assert r.verdict == "not checkable"
    assert [w.verdict for w in r.witnesses] == ["disagrees"] and r.witnesses[0].observed == "fails"
    assert r.loud


# ==============================================================================================================
# Problem 4 (d) of the SGD problems: E[ghat^2] = g^2 + sigma^2/B and RMSProp's s_t under batch scaling.
#
# Formerly tests/test_adaptive.py.

BATCH_CATALOG = [A.batch_mean_square, A.rmsprop_batch_scaling]


@pytest.fixture(scope="module")
def batch_results():
    return {c.id: check_claim(c, seed=0) for c in BATCH_CATALOG}


@pytest.mark.parametrize("c", BATCH_CATALOG, ids=[c.id for c in BATCH_CATALOG])
def test_batch_catalog_verdict_and_witnesses(c, batch_results):
    r = batch_results[c.id]
    assert r.verdict == c.expected.value == "proved", r.message
    assert r.witnesses and all(w.kind == "monte-carlo" and w.observed == "holds" and w.verdict == "agrees"
                               for w in r.witnesses), [w.detail for w in r.witnesses]
    assert [s.file for s in c.also] == ["001_6f3b02b455961dc3.txt"]


def test_every_reading_of_the_rmsprop_statement_is_a_checked_step(batch_results):
    r = batch_results["adaptive.rmsprop_batch_scaling"]
    labels = {s.label: s for s in r.steps}
    for label in ("E s_inf(B)", "E s_inf(B+1)", "reduced as the batch size increases",
                  "large batches: the mean squared", "rather than the second moment"):
        assert labels[label].verdict == "proved", labels[label].detail
    assert labels["reduced as the batch size increases"].stage == "sign"


def test_rmsprop_witness_tests_all_four_relations(batch_results):
    """Every relation of the statement is evaluated at B = 1 and B = 2 (the limits at B = 2^20)."""
    (w,) = batch_results["adaptive.rmsprop_batch_scaling"].witnesses
    parts = w.detail.split(" | ")
    assert len(parts) == 8
    assert parts[0].startswith("E s_inf(B): estimate") and parts[4].startswith("E s_inf(B): estimate")
    assert "significantly < 0" in parts[1] and "significantly < 0" in parts[5]
    assert "E s_inf(B=1048576)" in parts[2] and "E ghat_1^2" in parts[3]


def test_exact_population_moments():
    g, s2, _ = A.population_moments()
    assert (g, s2) == (A.Fraction(3, 2), 4)          # g != 1: g, g^2, g^3 differ
    e2, _ = A.batch_square_moments(4)
    assert e2 == g ** 2 + s2 / 4


def test_second_moment_variant_is_refuted_and_flagged():
    """Reading s_t as an estimate of the per-example second moment g^2 + sigma^2 at any B is wrong for B > 1."""
    @claim(id="variant.adaptive.second_moment", title="E ghat^2 = g^2 + sigma^2", source=Source("test", "-"),
           expected="refuted", witnesses=[(A.batch_mean_square_witness, "monte-carlo")])
    def v(d):
        m = A.Batch(d)
        ghat = m.batch_gradient()
        d.chain(E(ghat ** 2)).eq(m.g ** 2 + m.s2, rule="the second moment", label="wrong")
        d.statement(sp.Eq(E(ghat ** 2), m.g ** 2 + m.s2))
    r = check_claim(v, seed=0)
    assert r.verdict == "refuted" and r.first_failing_step == 1 and r.counterexample is not None
    assert r.counterexample.point["B"] != "1"
    (w,) = r.witnesses
    assert w.observed == "fails" and w.verdict == "agrees"
    parts = w.detail.split(" | ")
    assert " <= " in parts[0] and " > " in parts[1] and " > " in parts[2]   # right at B = 1 only


def test_increasing_variant_is_refuted():
    """Comparing with batch size B - 1 instead of B + 1 flips the monotonicity: refuted at that step."""
    @claim(id="variant.adaptive.increase", title="wrong", source=Source("test", "-"), expected="refuted")
    def v(d):
        A.rmsprop_build(d, next_size=sp.Symbol("B", integer=True, positive=True) + 2)
    r = check_claim(v, seed=0)
    assert r.verdict == "refuted"
    assert next(s for s in r.steps if s.index == r.first_failing_step).label == "E s_inf(B+1)"


# ==============================================================================================================
# Exercise 2 of week 5 (ADAM and minibatches): catalog verdicts, the processes behind the numbers, and wrong
# variants (user-style claims defined here, reusing the catalog's witnesses).
#
# Formerly tests/test_adam_minibatch.py.

R = sp.Rational
MINIBATCH_CATALOG = [A.rho1_rescaling, A.rho2_w3_batch2, A.rho2_w3_batch4, A.rho2_w1, A.no_scaling]


def _step(r, label):
    return next(s for s in r.steps if s.label == label)


@pytest.fixture(scope="module")
def minibatch_results():
    return {c.id: check_claim(c, seed=0) for c in MINIBATCH_CATALOG}


@pytest.mark.parametrize("c", MINIBATCH_CATALOG, ids=[c.id for c in MINIBATCH_CATALOG])
def test_minibatch_catalog_verdict_and_witnesses(c, minibatch_results):
    r = minibatch_results[c.id]
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_rho1_chain_line_by_line(minibatch_results):
    r = minibatch_results["adam_minibatch.rho1_rescaling"]
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


def test_no_scaling_ratios(minibatch_results):
    r = minibatch_results["adam_minibatch.no_scaling"]
    assert _step(r, "w_3: r(4)/r(1)").verdict == "proved"
    assert "0.985" in r.witnesses[0].detail


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
MINIBATCH_SRC = Source(A.WEEK5, "Exercise 2, wrong variant")


@claim(id="variant.adam_minibatch.rho1_ratio_inverted", title="1 - rho_{1,512} = (1 - rho_{1,128})/4 (the batch "
       "ratio inverted; propagates to rho_1 = 0.9975)", source=MINIBATCH_SRC, expected="refuted",
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
       "(propagates to r = 0.4050)", source=MINIBATCH_SRC, expected="refuted",
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


MINIBATCH_VARIANTS = [(rho1_ratio_inverted, "line 4"), (batch2_weights, "line 2")]


@pytest.mark.parametrize("v, label", MINIBATCH_VARIANTS, ids=[v.id for v, _ in MINIBATCH_VARIANTS])
def test_variant_refuted_at_the_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    assert_caught(r, _step(r, label).index)
