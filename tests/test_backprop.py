"""Backpropagation (``derivations/backprop.py``): the weight-normalisation gradients (Assignment 2, the
erratum in (15)), the recurrent sequence layer (Assignment 3, the erratum in (19)), the batched
matrix-vector product (SGD problems, Problem 4 (a)-(c)), and wrong variants of each.
"""
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import derivations.backprop as B
from proofs import Source, claim
from proofs.derivation import Derivation
from proofs.engine import check_claim
from tests.catalog import assert_caught, variant_claims


# ==============================================================================================================
# Weight-normalisation gradients (Assignment 2): catalog verdicts, the erratum in (15), and wrong variants.

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


# ==============================================================================================================
# Recurrent sequence layer (Assignment 3, (17)-(19)): catalog verdicts, the erratum in (19), wrong variants.
#
# The wrong variants are user-style claims defined here (deliberately wrong copies of the derivations, each
# reusing the catalog's exact witness of the layer): each must be refuted at the step it breaks and flagged by
# the witness.
#
# Formerly tests/test_recurrent_layer.py.

RECURRENT_CATALOG = [B.recurrent_grad_b, B.recurrent_grad_a, B.recurrent_grad_x, B.recurrent_grad_x_corrected]


@pytest.fixture(scope="module")
def recurrent_results():
    return {c.id: check_claim(c, seed=0) for c in RECURRENT_CATALOG}


@pytest.mark.parametrize("c", RECURRENT_CATALOG, ids=[c.id for c in RECURRENT_CATALOG])
def test_recurrent_catalog_verdict_and_witness(c, recurrent_results):
    r = recurrent_results[c.id]
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_source_19_fails_exactly_at_line_3_j_equal_N_minus_2(recurrent_results):
    """(19) as printed: the two equalities hold, lines 1 and 2 hold (g extended by zero), line 3 fails at
    j = N - 2 (relation 5 of the statement) and holds at j = N - 1, N."""
    r = recurrent_results["recurrent_layer.grad_x"]
    assert r.verdict == "refuted"
    assert [s.verdict for s in r.steps[:-1]] == ["proved", "proved"]
    concl = r.steps[-1]
    assert r.first_failing_step == concl.index and concl.rule == "conclusion"
    verdicts = [part.split(":")[0].split("] ")[1] for part in concl.detail.split("; ") if part.startswith("[")]
    assert verdicts == ["proved"] * 4 + ["refuted", "proved", "proved"], concl.detail
    assert "N-3" in r.counterexample.point and r.counterexample.lhs != r.counterexample.rhs


def test_source_19_witness_disagrees_once_per_N_at_j_equal_N_minus_2(recurrent_results):
    w = recurrent_results["recurrent_layer.grad_x"].witnesses[0]
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
    layer = B.ExactLayer(np.random.default_rng(0), 3)
    assert layer.d_x(2) == 0
    assert layer.d_x(1) == layer.d_x(3) == layer.a * layer.g[0]


def test_exact_layer_differences_are_derivatives():
    """The layer is affine in x, b and L = g.y is linear in a: unit differences are exact derivatives."""
    layer = B.ExactLayer(np.random.default_rng(1), 6)
    for j in range(1, 7):
        x = list(layer.x)
        x[j - 1] += Fraction(1, 7)
        assert (layer.loss(x=x) - layer.loss()) * 7 == layer.d_x(j)
    assert layer.d_b() == sum(layer.g)
    assert layer.d_a() == sum(gi * (layer.x[i] + layer.x[i + 2]) for i, gi in enumerate(layer.g))


# ------------------------------------------------------------------------------------------------
# wrong variants (user-style claims), each reusing the catalog witness
# ------------------------------------------------------------------------------------------------

RECURRENT_SRC = Source("002_4657f5e75f199049.txt", "Assignment 3 (Backprop recurrent sequence), wrong variant")


@claim(id="variant.recurrent_layer.grad_a_shift", title="(18) with x_{i+1} in place of x_{i+2}", source=RECURRENT_SRC,
       expected="refuted", witnesses=[(B.grad_a_exact, "exact")])
def grad_a_shift(d):
    B.grad_a_build(d, claimed_shift=1)


@claim(id="variant.recurrent_layer.grad_b_dropped_term", title="(17) summing g_i only up to N - 3",
       source=RECURRENT_SRC, expected="refuted", witnesses=[(B.grad_b_exact, "exact")])
def grad_b_dropped_term(d):
    B.grad_b_build(d, last=lambda s: sp.Sum(s.g[s.i], (s.i, 1, s.N - 3)))


@claim(id="variant.recurrent_layer.grad_x_lag_one", title="corrected (19) with g_{j-1} in place of g_{j-2}",
       source=RECURRENT_SRC, expected="refuted", witnesses=[(B.grad_x_exact, "exact")])
def grad_x_lag_one(d):
    B.grad_x_corrected_build(d, lag=1)


RECURRENT_VARIANTS = [  # (variant, label of the step it breaks)
    (grad_a_shift, "(18), second equality"),
    (grad_b_dropped_term, "(17), second and third equalities"),
    (grad_x_lag_one, "(19) corrected: the cases"),
]


@pytest.mark.parametrize("v,label", RECURRENT_VARIANTS, ids=[v.id for v, _ in RECURRENT_VARIANTS])
def test_recurrent_variant_refuted_at_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    step = next(s for s in r.steps if s.label == label)
    assert_caught(r, step.index)


# ==============================================================================================================
# Problem 4 (a)-(c) of the SGD problems: batched matrix-vector backprop, per-example gradients, W.grad2.
#
# Formerly tests/test_batched_layer.py.

BATCHED_CATALOG = [B.batch_grad, B.per_example_grad, B.grad2_not_determined]


@pytest.fixture(scope="module")
def batched_results():
    return {c.id: check_claim(c, seed=0) for c in BATCHED_CATALOG}


@pytest.mark.parametrize("c", BATCHED_CATALOG, ids=[c.id for c in BATCHED_CATALOG])
def test_catalog_verdict_and_witnesses(c, batched_results):
    r = batched_results[c.id]
    assert r.verdict == c.expected.value == "proved", r.message
    assert r.witnesses and all(w.observed == "holds" and w.verdict == "agrees" for w in r.witnesses), \
        [w.detail for w in r.witnesses]
    assert not r.loud


@pytest.mark.parametrize("c", BATCHED_CATALOG, ids=[c.id for c in BATCHED_CATALOG])
def test_cited_in_both_handouts(c):
    assert c.source.file == B.SGD_PROBLEMS and c.source.locator.startswith("Problem 4")
    assert [s.file for s in c.also] == [B.SGD_PROBLEMS_2] and c.also[0].locator.startswith("Problem 3")


def test_gradients_proved_for_symbolic_sizes(batched_results):
    """(a) and (b) are proved with B, m, n symbolic (the sums keep symbolic limits)."""
    for cid, sizes in (("batched_layer.batch_grad", {"B", "m", "n"}), ("batched_layer.per_example_grad", {"m", "n"})):
        r = batched_results[cid]
        assert all(s.verdict == "proved" for s in r.steps)
        c = next(c for c in BATCHED_CATALOG if c.id == cid)
        d = Derivation(c)
        c.build(d)
        limits = {str(lim[2]) for s in d.statement_relation().atoms(sp.Sum) for lim in s.limits}
        assert sizes == limits


def test_witness_runs_the_layer_and_uses_finite_differences(batched_results):
    w = batched_results["batched_layer.batch_grad"].witnesses[0]
    assert w.kind == "finite-difference"
    assert "Richardson" in w.detail and "complex step" in w.detail and "B=3" in w.detail
    assert w.detail.count("D_U L measured") == 3                  # 3 random directions, the statement evaluated
    w = batched_results["batched_layer.per_example_grad"].witnesses[0]
    assert w.detail.count("D_U loss_b measured") == 6             # 3 batch elements x 2 directions
    assert all(f"b={b}" in w.detail for b in (1, 2, 3))


def _variant(builder, witness, **kw):
    @claim(id="variant.batched_layer", title="wrong variant", source=Source("test", "-"), expected="refuted",
           witnesses=[(witness, "finite-difference")])
    def v(d):
        builder(d, **kw)
    return check_claim(v, seed=0)


@pytest.mark.parametrize("builder,witness,kw,label", [
    (B.batch_gradient_build, B.batch_gradient_fd, {"factor": 1}, "(a)"),                  # 1/B dropped
    (B.per_example_build, B.per_example_gradient_fd, {"factor": sp.Rational(1, 2)}, "(b)"),   # spurious 1/2
], ids=["a_without_1_over_B", "b_half"])
def test_wrong_loop_body_refuted_and_flagged(builder, witness, kw, label):
    r = _variant(builder, witness, **kw)
    assert r.verdict == "refuted", r.message
    assert next(s for s in r.steps if s.index == r.first_failing_step).label == label
    assert r.counterexample is not None
    assert r.witnesses[0].observed == "fails" and r.witnesses[0].verdict == "agrees"


def test_grad2_pair_equal_grad_different_grad2(batched_results):
    r = batched_results["batched_layer.grad2_not_determined"]
    (w,) = r.witnesses
    assert "W.grad = 1, W.grad2 = 1" in w.detail and "W.grad = 1, W.grad2 = 2" in w.detail
    grad_a, grad2_a, _ = B._backprop_batch(B.BATCH_A)
    grad_b, grad2_b, _ = B._backprop_batch(B.BATCH_B)
    assert grad_a == grad_b and grad2_a != grad2_b
    # the identity W.grad2 = W.grad^2 + within-batch variance, on both batches
    for batch in (B.BATCH_A, B.BATCH_B):
        grad, grad2, per = B._backprop_batch(batch)
        assert grad2 == grad ** 2 + sum((p - grad) ** 2 for p in per) / len(per)


def test_grad2_notes_the_typo_in_000(batched_results):
    r = batched_results["batched_layer.grad2_not_determined"]
    assert any("typo" in n and "001" in n for n in r.notes)
    step = next(s for s in r.steps if s.label == "W.grad2 = W.grad^2 + within-batch variance")
    assert step.verdict == "proved"


def test_grad2_wrong_pair_is_refuted():
    """A 'pair' whose W.grad differ is not a counterexample: the claim built on it is refuted at that step."""
    other = {"x": B.BATCH_B["x"], "t": (B.Fraction(0), B.Fraction(1))}       # W.grad = 1/2

    @claim(id="variant.grad2", title="wrong pair", source=Source("test", "-"), expected="refuted")
    def v(d):
        B.grad2_build(d, batch_b=other)
    r = check_claim(v, seed=0)
    assert r.verdict == "refuted"
    assert next(s for s in r.steps if s.index == r.first_failing_step).label == "equal W.grad"
