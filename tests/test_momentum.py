"""Momentum as a running average (``derivations/momentum.py``): the catalog claims, the slides'
reparameterisation with a wrong variant caught by the engine and the witness, and the independent-tuning
witness in the regime where the intuition holds and in the one where it fails."""
import re

import numpy as np
import pytest
import sympy as sp

from derivations import momentum as ms
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught, witness_context

SRC = Source(ms.SLIDES, "wrong variant")
CATALOG = [ms.constant_input_limit, ms.running_average_of_Nx, ms.as_running_average, ms.reparameterization,
           ms.reparameterized_update]


@pytest.mark.parametrize("c", CATALOG, ids=lambda c: c.id)
def test_catalog_claim_verdict_and_witnesses(c):
    r = check_claim(c, seed=0)
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


@claim(id="variant.momentum.reparameterization_drops_N", title="v_t = eta mu_t", source=SRC, expected="refuted",
       witnesses=[(ms._velocity_vs_average, "exact")])
def reparameterization_drops_N(d):
    N = d.symbol("N", integer=True, positive=True)
    eta = d.symbol("eta", positive=True)
    vp, mup, vt, mut, g = d.symbols("v_{t-1} mu_{t-1} v_t mu_t ghat_t", real=True)
    upd_v = d.given(sp.Eq(vt, (1 - 1 / N) * vp + eta * g))
    upd_mu = d.given(sp.Eq(mut, (1 - 1 / N) * mup + g / N))
    hyp = d.assume(sp.Eq(vp, N * eta * mup))
    (d.chain(vt, using=[upd_v])
     .eq((1 - 1 / N) * vp + eta * g)
     .eq((1 - 1 / N) * N * eta * mup + eta * g, using=[hyp])
     .eq(eta * ((1 - 1 / N) * mup + g / N), rule="factor out eta (slip: N lost)")
     .eq(eta * mut, using=[upd_mu]))
    d.statement(sp.Eq(vt, eta * mut))


VARIANTS = [(reparameterization_drops_N, 3)]


@pytest.mark.parametrize("v,step", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_wrong_variant_refuted_and_flagged(v, step):
    assert_caught(check_claim(v, seed=0), step)


# ------------------------------------------------------------------------------------------------
# momentum.independent_tuning (not checkable): its witness tunes both parameterisations on a grid
# ------------------------------------------------------------------------------------------------


def test_independent_tuning_witness_tunes_both_parameterisations_and_agrees():
    r = check_claim(ms.independent_tuning, seed=0)
    assert r.verdict == "not checkable" and not r.loud
    (w,) = r.witnesses
    assert w.name == "tuning_grid" and w.kind == "simulation" and not ms.independent_tuning.witnesses[0].statistical
    assert w.verdict == "agrees" and w.observed == "holds", w.detail
    assert "best eta' in (2)" in w.detail and "best eta in (1)" in w.detail
    assert w.figures


def test_momentum_grid_runs_the_two_parameterisations_of_one_optimiser():
    """(1) with eta and (2) with eta' = N eta are the same update: equal losses where the grids meet, and N = 1
    is plain SGD in both."""
    rates = [2.0 ** -6, 2.0 ** -5, 2.0 ** -4, 2.0 ** -3]
    loss = ms.run_momentum_grid(np.random.default_rng(0), (1, 2, 4), rates, (1.0, 0.5), steps=100, replicates=4)
    assert np.allclose(loss[0, 0], loss[1, 0])                                     # N = 1
    assert np.allclose(loss[0, 1, :3], loss[1, 1, 1:])                             # N = 2: eta' = 2 eta
    assert np.allclose(loss[0, 2, :2], loss[1, 2, 2:])                             # N = 4: eta' = 4 eta


def test_independent_tuning_fails_in_the_curvature_dominated_regime():
    """No gradient noise, condition number 1000, 200 steps (the large-batch limit): momentum accelerates, the
    best eta' grows with N and the best eta barely moves, the opposite of the intuition."""
    o = ms.independent_tuning_observation(witness_context(ms.independent_tuning, "tuning_grid"),
                                          curvatures=tuple(np.logspace(0, -3, 6)), noise=0.0, steps=200,
                                          process="noise-free quadratic, condition number 1000")
    assert not o.holds, o.detail
    spread2, spread1 = (float(v.rstrip("x")) for v in re.findall(r"\(\d\) ([\d.]+x)", o.estimate))
    assert spread2 >= 4 and spread1 < 4, o.estimate


@claim(id="variant.momentum.independent_tuning_large_batch", title="N and eta' decouple without gradient noise",
       source=SRC, expected="not checkable", not_checkable="a variant whose witness runs the noise-free limit")
def independent_tuning_large_batch(d):
    pass


independent_tuning_large_batch.add_witness(
    lambda w: ms.independent_tuning_observation(w, curvatures=tuple(np.logspace(0, -3, 6)), noise=0.0, steps=200,
                                                process="noise-free quadratic, condition number 1000"),
    kind="simulation", name="large_batch")


def test_independent_tuning_witness_disagrees_loudly_in_the_noise_free_regime():
    r = check_claim(independent_tuning_large_batch, seed=0)
    assert r.verdict == "not checkable"
    assert [w.verdict for w in r.witnesses] == ["disagrees"] and r.witnesses[0].observed == "fails"
    assert r.loud
