"""Recurrent sequence layer (Assignment 3, (17)-(19)): catalog verdicts, the erratum in (19), wrong variants.

The wrong variants are user-style claims defined here (deliberately wrong copies of the derivations, each
reusing the catalog's exact witness of the layer): each must be refuted at the step it breaks and flagged by
the witness.
"""
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import derivations.recurrent_layer as R
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

CATALOG = [R.grad_b, R.grad_a, R.grad_x, R.grad_x_corrected]


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in CATALOG}


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witness(c, results):
    r = results[c.id]
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_source_19_fails_exactly_at_line_3_j_equal_N_minus_2(results):
    """(19) as printed: the two equalities hold, lines 1 and 2 hold (g extended by zero), line 3 fails at
    j = N - 2 (relation 5 of the statement) and holds at j = N - 1, N."""
    r = results["recurrent_layer.grad_x"]
    assert r.verdict == "refuted"
    assert [s.verdict for s in r.steps[:-1]] == ["proved", "proved"]
    concl = r.steps[-1]
    assert r.first_failing_step == concl.index and concl.rule == "conclusion"
    verdicts = [part.split(":")[0].split("] ")[1] for part in concl.detail.split("; ") if part.startswith("[")]
    assert verdicts == ["proved"] * 4 + ["refuted", "proved", "proved"], concl.detail
    assert "N-3" in r.counterexample.point and r.counterexample.lhs != r.counterexample.rhs


def test_source_19_witness_disagrees_once_per_N_at_j_equal_N_minus_2(results):
    w = results["recurrent_layer.grad_x"].witnesses[0]
    assert w.observed == "fails" and w.verdict == "agrees"
    assert "6 disagree" in w.detail                                    # N = 3..8, one j each
    for N in (3, 4, 5):
        assert f"N={N}, j={N - 2}:" in w.detail


def test_corrected_19_by_an_independent_forward_pass():
    """Central differences of a float64 forward pass (not the engine, not the exact witness): the gradient is
    a(g_j [j <= N-2] + g_{j-2} [j >= 3]); the printed line 3 drops g_{N-2} at j = N - 2."""
    rng = np.random.default_rng(7)
    for N in range(3, 9):
        x, g = rng.standard_normal(N), rng.standard_normal(N - 2)
        a, b = rng.standard_normal(), rng.standard_normal()

        def loss(v):
            return g @ (a * (v[:-2] + v[2:]) + b)

        fd = np.array([(loss(x + 1e-6 * e) - loss(x - 1e-6 * e)) / 2e-6 for e in np.eye(N)])
        G = lambda k: g[k - 1] if 1 <= k <= N - 2 else 0.0       # noqa: E731 - g extended by zero
        corrected = np.array([a * (G(j) + G(j - 2)) for j in range(1, N + 1)])
        assert np.allclose(fd, corrected, atol=1e-8)
        line3 = a * G(N - 4)                                        # (19) line 3 at j = N - 2
        assert abs(fd[N - 3] - line3) > 1e-3


def test_small_N():
    """N = 3: y_1 = a(x_1 + x_3) + b, so dL/dx_2 = 0 (corrected lines 1 and 3 agree there by the zero extension)."""
    layer = R.ExactLayer(np.random.default_rng(0), 3)
    assert layer.d_x(2) == 0
    assert layer.d_x(1) == layer.d_x(3) == layer.a * layer.g[0]


def test_exact_layer_differences_are_derivatives():
    """The layer is affine in x, b and L = g.y is linear in a: unit differences are exact derivatives."""
    layer = R.ExactLayer(np.random.default_rng(1), 6)
    for j in range(1, 7):
        x = list(layer.x)
        x[j - 1] += Fraction(1, 7)
        assert (layer.loss(x=x) - layer.loss()) * 7 == layer.d_x(j)
    assert layer.d_b() == sum(layer.g)
    assert layer.d_a() == sum(gi * (layer.x[i] + layer.x[i + 2]) for i, gi in enumerate(layer.g))


# ------------------------------------------------------------------------------------------------
# wrong variants (user-style claims), each reusing the catalog witness
# ------------------------------------------------------------------------------------------------

SRC = Source("002_4657f5e75f199049.txt", "Assignment 3 (Backprop recurrent sequence), wrong variant")


@claim(id="variant.recurrent_layer.grad_a_shift", title="(18) with x_{i+1} in place of x_{i+2}", source=SRC,
       expected="refuted", witnesses=[(R.grad_a_exact, "exact")])
def grad_a_shift(d):
    R.grad_a_build(d, claimed_shift=1)


@claim(id="variant.recurrent_layer.grad_b_dropped_term", title="(17) summing g_i only up to N - 3", source=SRC,
       expected="refuted", witnesses=[(R.grad_b_exact, "exact")])
def grad_b_dropped_term(d):
    R.grad_b_build(d, last=lambda s: sp.Sum(s.g[s.i], (s.i, 1, s.N - 3)))


@claim(id="variant.recurrent_layer.grad_x_lag_one", title="corrected (19) with g_{j-1} in place of g_{j-2}",
       source=SRC, expected="refuted", witnesses=[(R.grad_x_exact, "exact")])
def grad_x_lag_one(d):
    R.grad_x_corrected_build(d, lag=1)


VARIANTS = [  # (variant, label of the step it breaks)
    (grad_a_shift, "(18), second equality"),
    (grad_b_dropped_term, "(17), second and third equalities"),
    (grad_x_lag_one, "(19) corrected: the cases"),
]


@pytest.mark.parametrize("v,label", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_variant_refuted_at_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    step = next(s for s in r.steps if s.label == label)
    assert_caught(r, step.index)
