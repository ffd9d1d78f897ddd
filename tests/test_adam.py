"""RMSProp and Adam (SGD slides): catalog verdicts, the published-versus-simplified bias correction, and
wrong variants caught by the engine and the witnesses."""
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from derivations import adam as m
from proofs import E, Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught, witness_context

SRC = Source(m.SLIDES, "wrong variant")
CATALOG = [m.second_moment, m.tracks_second_moment, m.published_recursion, m.published_unbiased,
           m.same_effect_late, m.same_effect_early]


@pytest.mark.parametrize("c", CATALOG, ids=lambda c: c.id)
def test_catalog_claim_verdict_and_witnesses(c):
    r = check_claim(c, seed=0)
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" and w.observed == "holds" for w in r.witnesses), \
        [w.detail for w in r.witnesses]
    assert not r.loud


def test_noise_dominates_is_not_checkable():
    assert check_claim(m.noise_dominates).verdict == "not checkable"


def test_rmsprop_witness_is_statistical():
    assert [w.kind for w in m.tracks_second_moment.witnesses] == ["monte-carlo"]
    r = check_claim(m.tracks_second_moment, seed=1)
    assert r.witnesses[0].n >= 500 and r.witnesses[0].se is not None


def test_published_and_simplified_counts():
    """Independent of the engine: impulse-response counts of both estimators."""
    N = 6
    for t in range(1, 30):
        pub = m.impulse_count(m.published_adam_mean, N, t)
        simp = m.impulse_count(m.simplified_adam_mean, N, t)
        assert simp == min(t, N)
        assert pub == N * (1 - (1 - Fraction(1, N)) ** t)
        assert 0 <= simp - pub <= N * (1 - Fraction(1, N)) ** t       # the counts agree up to N rho^t
    assert m.impulse_count(m.published_adam_mean, N, 1) == 1


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
@claim(id="variant.rmsprop.second_moment_sign", title="E ghat^2 = g^2 - sigma^2", source=SRC, expected="refuted",
       witnesses=[(m._second_moment_population, "exact")])
def second_moment_sign(d):
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    gh = d.random.scalar("ghat", mean=g, var=s2, real=True)
    (d.chain(E(gh ** 2))
     .eq(E((gh - g) ** 2) + 2 * g * E(gh) - g ** 2)
     .eq(g ** 2 - s2, rule="(slip: sign of the variance)"))
    d.statement(sp.Eq(E(gh ** 2), g ** 2 - s2))


@claim(id="variant.rmsprop.tracks_variance_only", title="s_inf = sigma^2 (the g^2 term dropped)", source=SRC,
       expected="refuted", witnesses=[(m._run_rmsprop, "monte-carlo")])
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
       witnesses=[(m._published_iterates, "exact")])
def count_off_by_one(d):
    rho, N = m._rho_N(d)
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
    r = check_claim(m.noise_dominates, seed=0)
    assert r.verdict == "not checkable" and not r.loud
    (w,) = r.witnesses
    assert w.name == "gradient_noise" and w.kind == "simulation" and not m.noise_dominates.witnesses[0].statistical
    assert w.verdict == "agrees" and w.observed == "holds", w.detail
    assert "NOT converged" not in w.detail and w.n == 400 and float(w.estimate) >= 10
    assert w.figures


def test_per_example_gradients_are_the_gradient_of_the_training_loss():
    """The measured g is the gradient of the loss that GD minimises (central differences)."""
    X, y = m.logistic_data(np.random.default_rng(3), n=50)
    losses, g, _ = m.train_logistic(X, y, 0)
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
    o = m.noise_ratio_observation(witness_context(m.noise_dominates, "gradient_noise"), **kwargs)
    assert not o.holds, o.detail
    assert float(o.estimate) < 10


@claim(id="variant.rmsprop.noise_dominates_early", title="sigma[i] >> g[i] from the first step of training",
       source=SRC, expected="not checkable", not_checkable="a variant whose witness measures from step 0")
def noise_dominates_early(d):
    pass


noise_dominates_early.add_witness(lambda w: m.noise_ratio_observation(w, near=1.0), kind="simulation",
                                  name="from_the_start")


def test_noise_dominates_witness_disagrees_loudly_far_from_the_minimum():
    r = check_claim(noise_dominates_early, seed=0)
    assert r.verdict == "not checkable"
    assert [w.verdict for w in r.witnesses] == ["disagrees"] and r.witnesses[0].observed == "fails"
    assert r.loud
