"""Tests for proofs.finite_diff on a weight-normalised layer loss.

L(W, b) = sum_i g_i (w_i . x + b_i) / sqrt(w_i . w_i), with parameters
theta = (W.ravel(), b).  Its gradient, written by hand:

    dL/dw_i = g_i * (x / |w_i| - (w_i . x + b_i) w_i / |w_i|^3)
    dL/db_i = g_i / |w_i|
"""
from __future__ import annotations

import numpy as np
import pytest

from proofs.finite_diff import (
    CBRT_EPS,
    EPS,
    NotHolomorphic,
    central_diff,
    central_step,
    complex_step,
    convergence_order,
    forward_diff,
    gradient_check,
    richardson,
    taylor_slope,
    taylor_test,
)


class WeightNorm:
    """Weight-normalised linear layer contracted with fixed output weights g."""

    def __init__(self, m: int, n: int, seed: int):
        rng = np.random.default_rng(seed)
        self.m, self.n = m, n
        self.x = rng.standard_normal(n)
        self.g = rng.standard_normal(m)
        self.theta = rng.standard_normal(m * n + m)

    def unpack(self, t):
        t = np.asarray(t)
        W = t[..., : self.m * self.n].reshape(t.shape[:-1] + (self.m, self.n))
        return W, t[..., self.m * self.n:]

    def loss(self, t):
        """Works on one point (shape (p,)) or a batch (shape (k, p)); complex-safe."""
        W, b = self.unpack(t)
        norm = np.sqrt(np.sum(W * W, axis=-1))          # holomorphic: no abs
        return np.sum(self.g * (W @ self.x + b) / norm, axis=-1)

    def grad(self, t, second_term_sign=1.0):
        W, b = self.unpack(t)
        norm = np.sqrt(np.sum(W * W, axis=-1))
        pre = W @ self.x + b
        second = (pre / norm ** 3)[:, None] * W
        gW = self.g[:, None] * (self.x[None, :] / norm[:, None] - second_term_sign * second)
        return np.concatenate([gW.ravel(), self.g / norm])


@pytest.fixture(scope="module")
def small():
    return WeightNorm(m=4, n=6, seed=20240601)


@pytest.fixture(scope="module")
def large():
    return WeightNorm(m=32, n=63, seed=7)          # 32*63 + 32 = 2048 parameters


def test_central_step_is_cbrt_eps_relative():
    x = np.array([0.0, 0.5, -3.0, 1e4])
    np.testing.assert_allclose(central_step(x), CBRT_EPS * np.array([1, 1, 3, 1e4]))
    assert CBRT_EPS == pytest.approx(6.055454e-6, rel=1e-6)


def test_scalar_rules_on_exp():
    f = lambda v: float(np.exp(v[0]))           # noqa: E731
    x, d = np.array([0.7]), np.array([1.0])
    exact = np.exp(0.7)
    assert abs(central_diff(f, x, d) - exact) < 1e-9
    est, err = richardson(f, x, d)
    assert abs(est - exact) <= 10 * err and err < 1e-9
    assert abs(complex_step(lambda v: np.exp(v[0]), x, d) - exact) < 4 * EPS * exact
    assert abs(forward_diff(f, x, d) - exact) < 1e-7
    np.testing.assert_allclose(central_diff(f, x), [exact], rtol=1e-9)


def test_right_gradient_passes_richardson(small):
    res = gradient_check(small.loss, small.grad(small.theta), small.theta, rng=None,
                         use_complex=False)
    assert res.passed and res.method == "richardson", res.describe()
    assert res.coordinate and res.n_directions == small.theta.size
    assert res.n_evals == 4 * small.theta.size + 1
    assert res.max_abs_discrepancy < 1e-8          # steps eps^(1/3)|x_i|: 0.05 |x_i| -> 1e-9
    assert res.worst_ratio < 0.5                   # comfortably inside budget


@pytest.mark.parametrize("use_complex", [None, True])
def test_right_gradient_passes_complex_pair(small, use_complex):
    res = gradient_check(small.loss, small.grad(small.theta), small.theta,
                         rng=None, use_complex=use_complex)
    assert res.passed and res.method == "complex-pair", res.describe()
    assert res.n_evals == 2 * small.theta.size + 1  # < torch gradcheck's 2n + 2
    assert res.max_abs_discrepancy < 1e-14        # complex step: a few ulps


def test_complex_step_more_accurate_than_central(small):
    t, g = small.theta, small.grad(small.theta)
    eye = np.eye(t.size)
    central = max(abs(central_diff(small.loss, t, e) - g @ e) for e in eye)
    cstep = max(abs(complex_step(small.loss, t, e) - g @ e) for e in eye)
    assert cstep < 1e-14 < 1e-12 < central < 1e-8


@pytest.mark.parametrize("use_complex", [False, True])
def test_one_entry_off_by_1e6_relative_fails(small, use_complex):
    g = small.grad(small.theta)
    bad = g.copy()
    bad[5] += 1e-6 * np.abs(g).max()
    res = gradient_check(small.loss, bad, small.theta, rng=None, use_complex=use_complex)
    assert not res.passed and res.status == "fail"
    assert res.worst_index == 5 and list(res.failing) == [5]
    assert res.worst_ratio > 10                    # not a borderline failure
    assert "FAILED" in res.describe() and "x[5] (coordinate 5)" in res.describe()


def test_taylor_slopes(small):
    d = np.random.default_rng(3).standard_normal(small.theta.size)
    d /= np.linalg.norm(d)                         # h d small for h <= 1/16
    right = taylor_test(small.loss, small.grad(small.theta), small.theta, d)
    assert right.passed and abs(right.slope - 2) < 0.1, right.describe()
    assert taylor_slope(small.loss, small.grad(small.theta), small.theta, d) == right.slope
    missing = taylor_test(small.loss, small.grad(small.theta, second_term_sign=0.0),
                          small.theta, d)
    assert not missing.passed and abs(missing.slope - 1) < 0.1, missing.describe()


def test_taylor_on_linear_function_is_all_noise():
    a = np.array([1.0, -2.0, 0.5])
    f = lambda v: float(a @ v)                     # noqa: E731
    res = taylor_test(f, a, np.ones(3), np.array([1.0, 1.0, 1.0]))
    assert res.passed and res.n_used == 0
    wrong = taylor_test(f, a + [0, 0, 1e-3], np.ones(3), np.ones(3))
    assert not wrong.passed and abs(wrong.slope - 1) < 0.05


def test_convergence_orders(small):
    t, g = small.theta, small.grad(small.theta)
    d = np.random.default_rng(4).standard_normal(t.size)
    d /= np.abs(d).max()
    exact = g @ d
    hs = [2.0 ** -k for k in range(3, 11)]
    fwd = convergence_order(lambda h: forward_diff(small.loss, t, d, h) - exact, hs)
    cen = convergence_order(lambda h: central_diff(small.loss, t, d, h) - exact, hs)
    assert abs(fwd - 1) < 0.1, fwd
    assert abs(cen - 2) < 0.1, cen


def test_large_input_checks_every_coordinate(large):
    """No cliff: every coordinate at every size, 2n + 1 evaluations."""
    t = large.theta
    assert t.size == 2048
    ok = gradient_check(large.loss, large.grad(t), t, batched=True)
    assert ok.passed and ok.coordinate and ok.n_directions == 2048, ok.describe()
    assert ok.n_evals == 2 * 2048 + 1
    bad = gradient_check(large.loss, large.grad(t, second_term_sign=-1.0), t, batched=True)
    assert not bad.passed and bad.worst_ratio > 1e3, bad.describe()
    assert bad.worst_direction.shape == (2048,)


def test_random_directions_on_request(large):
    t = large.theta
    rng = np.random.default_rng(11)
    ok = gradient_check(large.loss, large.grad(t), t, rng=rng, n_directions=8)
    assert ok.passed and not ok.coordinate and ok.n_directions == 8, ok.describe()
    assert ok.n_evals == 2 * 8 + 1
    bad = gradient_check(large.loss, large.grad(t, second_term_sign=-1.0), t, rng=rng,
                         n_directions=8)
    assert not bad.passed and bad.worst_ratio > 1e3, bad.describe()
    assert "random direction" in bad.describe()


def test_large_input_catches_small_error_in_random_directions(large):
    t, g = large.theta, large.grad(large.theta)
    bad = g.copy()
    bad[100] += 1e-6 * np.abs(g).max()
    res = gradient_check(large.loss, bad, t, rng=np.random.default_rng(12), batched=True,
                         n_directions=8)
    assert not res.passed, res.describe()


def test_random_directions_need_rng(large):
    with pytest.raises(ValueError):
        gradient_check(large.loss, large.grad(large.theta), large.theta, rng=None,
                       n_directions=8)


@pytest.mark.parametrize("use_complex", [False, True])
def test_chunking_and_batching_do_not_change_the_answer(small, use_complex):
    t, g = small.theta, small.grad(small.theta)
    g = g.copy()
    g[7] *= 1 + 1e-7
    calls = []

    def counted(points):
        calls.append(len(points))
        return small.loss(points)

    ref = gradient_check(small.loss, g, t, rng=None, use_complex=use_complex, chunk=10**6)
    for chunk, batched in [(1, False), (7, False), (8, True), (64, True)]:
        calls.clear()
        f = counted if batched else small.loss
        res = gradient_check(f, g, t, rng=None, use_complex=use_complex,
                             chunk=chunk, batched=batched)
        assert res.passed == ref.passed and res.worst_index == ref.worst_index
        np.testing.assert_allclose(res.discrepancies, ref.discrepancies, rtol=1e-6, atol=1e-15)
        np.testing.assert_allclose(res.budgets, ref.budgets, rtol=1e-6)
        if batched:
            per_dir = 2 if use_complex else 4
            assert max(calls) <= max(chunk, per_dir)
            assert sum(calls) == res.n_evals == per_dir * t.size + 1


def test_floor_and_k_are_applied(small):
    g = small.grad(small.theta).copy()
    g[0] += 1e-6
    assert not gradient_check(small.loss, g, small.theta, rng=None).passed
    assert gradient_check(small.loss, g, small.theta, rng=None, floor=2e-6).passed


# --------------------------------------------------------------------------
# issue 9: scale, stationary points, kinks, non-holomorphic f
# --------------------------------------------------------------------------

class ReluWeightNorm(WeightNorm):
    """relu of the normalised pre-activations; ``kinked()`` puts unit 0 exactly at 0."""

    def loss(self, t):
        W, b = self.unpack(t)
        z = (W @ self.x + b) / np.sqrt(np.sum(W * W, axis=-1))
        return np.sum(self.g * np.where(z.real > 0, z, 0), axis=-1)

    def grad(self, t, second_term_sign=1.0):
        W, b = self.unpack(t)
        on = ((W @ self.x + b) > 0).astype(float)        # relu'(0) = 0
        g = WeightNorm.grad(self, t, second_term_sign)
        return g * np.concatenate([np.repeat(on, self.n), on])

    def kinked(self):
        t = self.theta.copy()
        W, _ = self.unpack(t)
        t[self.m * self.n] = -(W @ self.x)[0]
        return t


@pytest.mark.parametrize("scale", [1e-4, 1e-3, 1.0, 1e3, 1e4])
@pytest.mark.parametrize("use_complex", [None, False])
def test_scaling_the_point_changes_nothing(small, scale, use_complex):
    t = small.theta * scale                      # the loss is invariant, g ~ 1/scale
    ok = gradient_check(small.loss, small.grad(t), t, use_complex=use_complex)
    assert ok.passed, ok.describe()
    bad = small.grad(t)
    bad[3] *= 1 + 1e-8
    res = gradient_check(small.loss, bad, t, use_complex=use_complex)
    if use_complex is None:                      # the 1e-8 sensitivity at every scale
        assert res.status == "fail" and res.worst_index == 3, res.describe()


def test_stationary_point_is_not_a_false_alarm(small):
    """Tilted loss f - <g0, theta>: gradient 0 at theta, intermediate terms not small."""
    t = small.theta
    g0 = small.grad(t)
    f = lambda p: small.loss(p) - p @ g0         # noqa: E731
    for use_complex in (None, False):
        res = gradient_check(f, small.grad(t) - g0, t, use_complex=use_complex, batched=True)
        assert res.passed, res.describe()
    bad = np.zeros_like(g0)
    bad[2] = 1e-8 * np.abs(g0).max()
    res = gradient_check(f, bad, t, batched=True)
    assert res.status == "fail" and res.worst_index == 2, res.describe()


@pytest.mark.parametrize("use_complex", [None, False])
def test_kink_is_reported_not_passed_or_failed(use_complex):
    layer = ReluWeightNorm(m=4, n=6, seed=5)
    t = layer.kinked()
    res = gradient_check(layer.loss, layer.grad(t), t, use_complex=use_complex, batched=True)
    assert res.status == "not differentiable" and not res.passed, res.describe()
    unit0 = set(range(layer.n)) | {layer.m * layer.n}
    assert set(res.kinks) <= unit0 and layer.m * layer.n in set(res.kinks)
    k0 = int(res.kinks[0])
    assert f"not differentiable at x[{k0}] (coordinate {k0}): left derivative" in res.describe()
    lo, hi = res.one_sided[list(res.kinks).index(layer.m * layer.n)]
    assert lo == pytest.approx(0, abs=1e-6) and hi == pytest.approx(
        layer.g[0] / np.linalg.norm(layer.unpack(t)[0][0]), rel=1e-5)
    # a wrong entry elsewhere still fails, named; the kink does not inflate its budget
    bad = layer.grad(t)
    j = layer.m * layer.n + 1
    assert bad[j] != 0
    bad[j] *= 1 + (1e-8 if use_complex is None else 1e-6)
    res = gradient_check(layer.loss, bad, t, use_complex=use_complex, batched=True)
    assert res.status == "fail" and res.worst_index == j, res.describe()


def test_non_holomorphic_f_falls_back_to_richardson():
    a = np.array([0.3, -1.2, 2.0])
    f = lambda v: np.sum(a * v * np.conj(v), axis=-1)   # noqa: E731  conj: not holomorphic
    x = np.array([0.5, 1.5, -2.0])
    g = 2 * a * x
    res = gradient_check(f, g, x, batched=True)
    assert res.passed and res.method == "richardson" and "holomorphic" in res.note
    assert res.n_evals == 1 + 2 * 3 + 4 * 3
    with pytest.raises(NotHolomorphic):
        gradient_check(f, g, x, batched=True, use_complex=True)
    absf = lambda v: np.sum(np.abs(v) * a, axis=-1)      # noqa: E731  abs: real output
    res = gradient_check(absf, np.sign(x) * a, x, batched=True)
    assert res.passed and res.method == "richardson" and "rejects" in res.note
    real_only = lambda v: float(np.sum(v * v))      # noqa: E731  float() rejects complex
    res = gradient_check(real_only, 2 * x, x)
    assert res.passed and res.method == "richardson" and "rejects" in res.note


@pytest.mark.parametrize("scale", [1e-4, 1e-3, 1e3, 1e4])
def test_taylor_test_is_scale_free(small, scale):
    d = np.random.default_rng(3).standard_normal(small.theta.size)
    ref = taylor_test(small.loss, small.grad(small.theta), small.theta, d)
    t = small.theta * scale
    res = taylor_test(small.loss, small.grad(t), t, d)
    assert res.passed and res.slope == pytest.approx(ref.slope, abs=1e-3), res.describe()
    wrong = taylor_test(small.loss, small.grad(t, second_term_sign=0.0), t, d)
    assert not wrong.passed


@pytest.mark.parametrize("use_complex", [None, False])
def test_one_dimensional_kink_and_smooth(use_complex):
    relu = lambda v: np.where(v.real > 0, v, 0)[..., 0] * 1.5   # noqa: E731
    res = gradient_check(relu, [0.0], np.zeros(1), batched=True, use_complex=use_complex)
    assert res.status == "not differentiable" and list(res.kinks) == [0], res.describe()
    assert res.one_sided[0] == pytest.approx([0.0, 1.5])
    cube = lambda v: (v ** 3)[..., 0]                          # noqa: E731
    for x0 in (0.3, -2.0, 1e-5, 1e5):
        ok = gradient_check(cube, [3 * x0 ** 2], np.array([x0]), batched=True,
                            use_complex=use_complex)
        assert ok.passed, ok.describe()
        bad = gradient_check(cube, [3 * x0 ** 2 * (1 + 1e-6)], np.array([x0]), batched=True,
                             use_complex=use_complex)
        assert bad.status == "fail", bad.describe()


def test_richardson_measures_the_noise_of_a_cancelling_loss():
    """exp(x) + 1e4 - 1e4: rounding of ~1e4-sized terms, not of |f|; the one-ulp floor is
    exceeded at some of 40 points, the measured one (17 more evaluations) at none."""
    f = lambda v: float((np.exp(v[0]) + 1e4) - 1e4)   # noqa: E731
    d = np.array([1.0])
    over_default = over_measured = 0
    for x0 in np.linspace(0.1, 2.0, 40):
        x, exact = np.array([x0]), np.exp(x0)
        est, err = richardson(f, x, d)
        calls = []
        est_m, err_m = richardson(lambda v: calls.append(1) or f(v), x, d, measure_noise=True)
        assert est_m == est and len(calls) == 4 + 17 and err_m < 1e-5
        over_default += abs(est - exact) > 10 * err
        over_measured += abs(est - exact) > 10 * err_m
    assert over_default > 0 and over_measured == 0, (over_default, over_measured)
    x = np.array([0.7])
    smooth, smooth_err = richardson(lambda v: float(np.exp(v[0])), x, d, measure_noise=True)
    assert abs(smooth - np.exp(0.7)) <= 10 * smooth_err < 1e-8  # a clean f keeps a tight budget
