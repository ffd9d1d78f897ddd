"""Weight-normalisation gradients (Assignment 2): catalog verdicts, the erratum in (15), and wrong variants."""
import numpy as np
import pytest

import derivations.backprop as B
from proofs.engine import check_claim
from tests.catalog import assert_caught, variant_claims

def _variants():
    return variant_claims("backprop_variants")


def _step(r, label):
    return next(s for s in r.steps if s.label == label)


CATALOG = [B.grad_b, B.grad_x, B.grad_w, B.grad_w_corrected]


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witness(c):
    r = check_claim(c, seed=0)
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_source_15_fails_at_the_sum_over_units_with_m_2():
    r = check_claim(B.grad_w, seed=0)
    assert r.verdict == "refuted"
    assert r.first_failing_step == _step(r, "(15), first equality").index
    assert _step(r, "(15), second equality").verdict == "proved"
    assert r.counterexample.point["m"] == "2"
    assert r.witnesses[0].observed == "fails"


def test_corrected_15_by_an_independent_gradient():
    """Central differences of the layer agree with g_i (x/||w_i|| - (w_i.x + b_i) w_i/||w_i||^3), not with the sum."""
    rng = np.random.default_rng(3)
    M, n = 3, 4
    W, x, b, g = rng.standard_normal((M, n)), rng.standard_normal(n), rng.standard_normal(M), rng.standard_normal(M)
    nw = np.sqrt((W * W).sum(1))
    per_unit = g[:, None] * (x[None] / nw[:, None] - ((W @ x + b) / nw ** 3)[:, None] * W)
    h = 1e-6
    fd = np.zeros_like(W)
    for i in range(M):
        for j in range(n):
            E = np.zeros_like(W)
            E[i, j] = h
            fd[i, j] = (B.forward_loss(W + E, x, b, g) - B.forward_loss(W - E, x, b, g)) / (2 * h)
    assert np.allclose(fd, per_unit, atol=1e-7)
    assert not np.allclose(fd, np.broadcast_to(per_unit.sum(0), W.shape), atol=1e-3)


VARIANT_CASES = {  # variant id -> label of the step it broke
    "variant.weightnorm.grad_b_norm_squared": "(13), second equality",
    "variant.weightnorm.grad_x_x_for_w": "(14), second equality",
    "variant.weightnorm.grad_w_sign": "(15), second equality",
    "variant.weightnorm.grad_w_cube_to_square": "(15), second equality",
}


def test_all_variants_present():
    assert set(_variants()) == set(VARIANT_CASES)


@pytest.mark.parametrize("vid", sorted(VARIANT_CASES))
def test_variant_refuted_at_broken_step_and_flagged(vid):
    r = check_claim(_variants()[vid], seed=0)
    assert_caught(r, _step(r, VARIANT_CASES[vid]).index)
