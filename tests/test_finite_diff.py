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
    COORDINATE_LIMIT,
    EPS,
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
    res = gradient_check(small.loss, small.grad(small.theta), small.theta, rng=None)
    assert res.passed, res.describe()
    assert res.coordinate and res.n_directions == small.theta.size
    assert res.n_evals == 4 * small.theta.size + 1
    assert res.max_abs_discrepancy < 1e-9
    assert res.worst_ratio < 0.5                   # comfortably inside budget


def test_right_gradient_passes_complex_step(small):
    res = gradient_check(small.loss, small.grad(small.theta), small.theta,
                         rng=None, use_complex=True)
    assert res.passed, res.describe()
    assert res.n_evals == small.theta.size
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
    assert not res.passed
    assert res.worst_index == 5
    assert res.worst_ratio > 10                    # not a borderline failure
    assert "FAILED" in res.describe()


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


def test_large_input_uses_random_directions(large):
    t = large.theta
    assert t.size == 2048 > COORDINATE_LIMIT
    rng = np.random.default_rng(11)
    ok = gradient_check(large.loss, large.grad(t), t, rng=rng)
    assert ok.passed and not ok.coordinate and ok.n_directions == 8, ok.describe()
    assert ok.n_evals == 4 * 8 + 1
    bad = gradient_check(large.loss, large.grad(t, second_term_sign=-1.0), t, rng=rng)
    assert not bad.passed and bad.worst_ratio > 1e3, bad.describe()
    assert bad.worst_direction.shape == (2048,)


def test_large_input_catches_small_error_in_random_directions(large):
    t, g = large.theta, large.grad(large.theta)
    bad = g.copy()
    bad[100] += 1e-6 * np.abs(g).max()
    res = gradient_check(large.loss, bad, t, rng=np.random.default_rng(12), batched=True)
    assert not res.passed, res.describe()


def test_random_directions_need_rng(large):
    with pytest.raises(ValueError):
        gradient_check(large.loss, large.grad(large.theta), large.theta, rng=None)


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
            per_dir = 1 if use_complex else 4
            assert max(calls) <= max(chunk, per_dir)
            assert sum(calls) == res.n_evals == per_dir * t.size + (not use_complex)


def test_floor_and_k_are_applied(small):
    g = small.grad(small.theta).copy()
    g[0] += 1e-6
    assert not gradient_check(small.loss, g, small.theta, rng=None).passed
    assert gradient_check(small.loss, g, small.theta, rng=None, floor=2e-6).passed
