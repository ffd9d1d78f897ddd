"""Gradient witnesses: finite differences with error budgets, in float64.

A gradient claim ("dL/dtheta = g(theta)") is witnessed numerically by comparing
the analytic gradient with directional derivatives of L computed by finite
differences.  The comparison is against an *estimated error budget*, never a
fixed rtol/atol, so a 1e-6 relative mistake is caught while rounding noise is
not reported as a failure.

Defaults and where they come from
---------------------------------
* Step ``h = eps^(1/3) * max(1, |x|)`` (:func:`central_step`): the optimal
  step for central differences (truncation O(h^2) vs rounding O(eps/h));
  identical to Stan Math's ``finite_diff_stepsize``; FiniteDiff.jl and
  numdifftools use the same ``eps^(1/3)`` relative step for central rules.
* Richardson extrapolation over steps h and h/2 with the error estimate
  ``|D(h/2) - D(h)| / 3`` (:func:`richardson`): numdifftools' approach
  (extrapolate, then estimate the error from the spread of successive
  estimates), plus a rounding floor ``~ eps |f| / h``.  In
  :func:`gradient_check` the floor is ``2 sigma / h`` with ``sigma`` the
  rounding noise of f measured from 4th differences pooled over all
  directions (:func:`noise_level`; our addition, never below ``eps max|f|``).
* Complex step ``h = 1e-20`` (:func:`complex_step`), Squire & Trapp (1998);
  accurate to a few ulps because nothing is subtracted.
* All coordinate directions for ``x.size <= 500`` (torch.autograd.gradcheck's
  default full Jacobian), else ``n_directions`` (default 8) random Gaussian
  directions (torch gradcheck ``fast_mode`` / jax ``check_grads``, which
  check random vector-Jacobian / Jacobian-vector products).
* Pass rule per direction ``|<g, d> - D| <= k * err + floor`` with ``k = 10``
  (the error estimate is itself an estimate; 10x covers its scatter).

Invariants
----------
* Everything is float64.  Perturbed points are ``fl(x + h d)``; the analytic
  prediction is computed from the *effective* displacement
  ``fl(x + h d) - x`` rather than ``h d``, so representation error of the
  step never shows up as a gradient discrepancy.
* ``f`` is never called with more than ``max(chunk, 4)`` points at once
  (``batched=True``: ``f`` receives an array of shape ``(m,) + x.shape`` and
  returns ``m`` values); memory stays O(chunk * n).  Chunking and batching do
  not change the result (beyond last-bit differences in f itself).
* Nothing here draws random numbers except from the ``rng`` passed in.

Caveats
-------
* The noise estimate assumes rounding noise of similar size in every
  direction; with very few directions (random mode, 8) it is itself noisy.
  If f is noisy for other reasons (stochastic, iterative solvers), pass an
  absolute ``floor``.
* Complex-step budgets are ``16 eps (max|g| |d|_1 + |D|)``: right only when
  intermediate terms of f are not much larger than max|g| * |x|-scale;
  pass ``floor`` otherwise.
* The Taylor test (:func:`taylor_test`) only sees errors larger than the
  curvature term at its smallest step; use :func:`gradient_check` for small
  errors and the Taylor test as an independent order-of-accuracy check.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

EPS = float(np.finfo(np.float64).eps)
CBRT_EPS = EPS ** (1.0 / 3.0)
COORDINATE_LIMIT = 500          # all coordinate directions up to this size
DEFAULT_RANDOM_DIRECTIONS = 8   # random directions above it
COMPLEX_STEP = 1e-20
COMPLEX_REL_ERR = 16 * EPS      # complex-step error per unit of max|g| * |d|_1
ROUNDING_FACTOR = 2.0           # std of Richardson estimate / (sigma_f / h)
TAYLOR_SLOPE_THRESHOLD = 1.8    # between 1 (wrong gradient) and 2 (right)
TAYLOR_NOISE_FACTOR = 1e3       # residuals below 1e3 eps |f(x)| are noise


# --------------------------------------------------------------------------
# Scalar building blocks
# --------------------------------------------------------------------------

def central_step(x):
    """``eps^(1/3) * max(1, |x|)`` elementwise (Stan's finite_diff_stepsize)."""
    return CBRT_EPS * np.maximum(1.0, np.abs(np.asarray(x, dtype=np.float64)))


def _as_direction(x: np.ndarray, direction) -> np.ndarray:
    d = np.asarray(direction, dtype=np.float64)
    if d.shape != x.shape:
        raise ValueError(f"direction shape {d.shape} != x shape {x.shape}")
    if not np.any(d):
        raise ValueError("direction is zero")
    return d


def direction_step(x, direction) -> float:
    """Central step for direction d: ``max |h d_i| = central_step(max |x_i|)``.

    The maximum of |x_i| is taken over the support of d, so a coordinate
    direction gets exactly ``central_step(x_i)``.
    """
    x = np.asarray(x, dtype=np.float64)
    d = np.abs(np.asarray(direction, dtype=np.float64))
    scale = np.max(np.abs(x[d != 0]), initial=1.0)
    return float(CBRT_EPS * scale / d.max())


def central_diff(f: Callable, x, direction=None, h=None):
    """``(f(x + h d) - f(x - h d)) / (2h)``.

    With ``direction=None`` returns the full coordinate-wise gradient estimate
    (one central difference per entry, ``h_i = central_step(x_i)``).
    """
    x = np.asarray(x, dtype=np.float64)
    if direction is None:
        out = np.empty(x.size)
        for i in range(x.size):
            e = np.zeros(x.size)
            e[i] = 1.0
            out[i] = central_diff(f, x, e.reshape(x.shape), h)
        return out.reshape(x.shape)
    d = _as_direction(x, direction)
    h = direction_step(x, d) if h is None else float(h)
    return (float(f(x + h * d)) - float(f(x - h * d))) / (2.0 * h)


def forward_diff(f: Callable, x, direction, h=None) -> float:
    """``(f(x + h d) - f(x)) / h`` (first order; default step sqrt(eps)-relative)."""
    x = np.asarray(x, dtype=np.float64)
    d = _as_direction(x, direction)
    if h is None:
        h = direction_step(x, d) * EPS ** (1 / 2 - 1 / 3)
    return (float(f(x + h * d)) - float(f(x))) / float(h)


def richardson(f: Callable, x, direction, h=None):
    """Richardson-extrapolated central difference and its error estimate.

    ``D = (4 D(h/2) - D(h)) / 3``; error ``|D(h/2) - D(h)| / 3 + 3 eps fmax / h``
    (the first term is the truncation error of D(h/2), which bounds that of D;
    the second is the rounding floor, amplified 3x by the extrapolation).
    """
    x = np.asarray(x, dtype=np.float64)
    d = _as_direction(x, direction)
    h = direction_step(x, d) if h is None else float(h)
    vals = [float(f(x + s * d)) for s in (h, -h, h / 2, -h / 2)]
    d1 = (vals[0] - vals[1]) / (2 * h)
    d2 = (vals[2] - vals[3]) / h
    fmax = max(abs(v) for v in vals)
    return (4 * d2 - d1) / 3, abs(d2 - d1) / 3 + ROUNDING_FACTOR * EPS * fmax / h


def complex_step(f: Callable, x, direction, h: float = COMPLEX_STEP) -> float:
    """``Im f(x + i h d) / h``.

    Only valid if f is real-analytic *as written*: every operation must extend
    to complex arguments holomorphically.  Write norms as
    ``sqrt(sum(w * w))`` - never ``abs``, ``np.abs``, ``np.linalg.norm`` or
    ``conj`` (they are not holomorphic and silently give wrong derivatives);
    avoid ``max``/comparisons on perturbed values.  The caller guarantees this.
    """
    x = np.asarray(x, dtype=np.float64)
    d = _as_direction(x, direction)
    return float(np.imag(f(x + 1j * h * d))) / h


# --------------------------------------------------------------------------
# Gradient check
# --------------------------------------------------------------------------

@dataclass
class GradCheck:
    """Outcome of :func:`gradient_check`.

    ``discrepancies[j] = |<g, d_j> - D_j|`` and ``budgets[j] = k*err_j + floor``
    per direction; the worst direction maximises discrepancy / budget.
    """

    passed: bool
    method: str                 # "richardson" or "complex-step"
    coordinate: bool            # coordinate directions (else random)
    n_directions: int
    n_evals: int
    max_abs_discrepancy: float
    error_budget: float         # budget at the worst direction
    worst_index: int
    worst_ratio: float          # discrepancy / budget at the worst direction
    worst_analytic: float
    worst_numeric: float
    worst_direction: np.ndarray = field(repr=False)
    discrepancies: np.ndarray = field(repr=False)
    budgets: np.ndarray = field(repr=False)

    def describe(self) -> str:
        kind = "coordinate" if self.coordinate else "random"
        where = (f"coordinate {self.worst_index}" if self.coordinate
                 else f"random direction {self.worst_index}")
        status = "passed" if self.passed else "FAILED"
        return (f"gradient check {status} ({self.method}, {self.n_directions} "
                f"{kind} directions, {self.n_evals} f-evals): worst at {where}: "
                f"analytic {self.worst_analytic:.12g} vs numeric "
                f"{self.worst_numeric:.12g}, |diff| {self.worst_ratio * self.error_budget:.3g}"
                f" vs budget {self.error_budget:.3g}; max |diff| "
                f"{self.max_abs_discrepancy:.3g}")


def _directions(n: int, n_directions, rng):
    """Coordinate directions (n <= COORDINATE_LIMIT, n_directions None) or random."""
    if n_directions is None and n <= COORDINATE_LIMIT:
        return np.eye(n), True
    if rng is None:
        raise ValueError("gradient_check: random directions need an rng")
    m = DEFAULT_RANDOM_DIRECTIONS if n_directions is None else int(n_directions)
    return rng.standard_normal((m, n)), False


def _evaluate(f, points: np.ndarray, shape, batched: bool) -> np.ndarray:
    """f at each row of ``points`` (m, n) -> (m,) values; one call if batched."""
    if batched:
        vals = np.asarray(f(points.reshape((len(points),) + shape)))
        return vals.reshape(len(points))
    return np.array([f(p.reshape(shape)) for p in points])


def _richardson_block(f, x, g, dirs, shape, batched, f0):
    """Per direction: discrepancy, truncation estimate, 1/h, 4th difference,
    max |f|, analytic and numeric directional derivatives."""
    h = np.array([direction_step(x, d) for d in dirs])[:, None]
    steps = np.concatenate([h, -h, h / 2, -h / 2])                 # (4b, 1)
    pts = x + steps * np.tile(dirs, (4, 1))
    vals = _evaluate(f, pts, shape, batched).reshape(4, len(dirs))
    disp = (pts - x).reshape(4, len(dirs), -1) @ g                 # <g, fl(x+s d) - x>
    h = h[:, 0]
    d1, d2 = (vals[0] - vals[1]) / (2 * h), (vals[2] - vals[3]) / h
    p1, p2 = (disp[0] - disp[1]) / (2 * h), (disp[2] - disp[3]) / h
    numeric, predicted = (4 * d2 - d1) / 3, (4 * p2 - p1) / 3
    trunc = np.abs((d2 - p2) - (d1 - p1)) / 3 + 2 * EPS * (np.abs(dirs) @ np.abs(g))
    delta4 = vals[0] + vals[1] - 4 * (vals[2] + vals[3]) + 6 * f0
    fmax = np.maximum(np.abs(vals).max(axis=0), abs(f0))
    return np.abs(numeric - predicted), trunc, 1 / h, delta4, fmax, dirs @ g, numeric


def _complex_block(f, x, g, dirs, shape, batched, f0):
    """Same outputs as :func:`_richardson_block` for the complex step."""
    pts = x + 1j * COMPLEX_STEP * dirs
    numeric = np.imag(_evaluate(f, pts, shape, batched)) / COMPLEX_STEP
    analytic = dirs @ g
    scale = np.abs(g).max() * np.abs(dirs).sum(axis=1)   # >= sum |g_i d_i|
    err = COMPLEX_REL_ERR * (scale + np.abs(numeric))
    zero = np.zeros(len(dirs))
    return np.abs(numeric - analytic), err, zero, zero, zero, analytic, numeric


def noise_level(delta4, fmax) -> float:
    """Rounding noise (standard deviation) of f, pooled over directions.

    The 4th difference ``f(-h) - 4f(-h/2) + 6f(x) - 4f(h/2) + f(h)`` is
    ``(h/2)^4 f''''`` (negligible at h ~ eps^(1/3)) plus noise of variance
    ``70 sigma^2``; the RMS over all directions estimates sigma.  Never below
    ``eps * max|f|`` (one ulp).  This covers losses that are small
    differences of large terms, where ``eps |f|`` underestimates the noise.
    """
    delta4 = np.asarray(delta4, dtype=float)
    pooled = float(np.sqrt(np.mean(delta4 ** 2) / 70.0)) if delta4.size else 0.0
    return max(pooled, EPS * float(np.max(fmax, initial=0.0)))


def gradient_check(f: Callable, grad, x, *, n_directions=None, rng,
                   k: float = 10.0, floor=None, use_complex: bool = False,
                   chunk: int = 256, batched: bool = False) -> GradCheck:
    """Check the analytic gradient ``grad`` of scalar ``f`` at ``x``.

    Per direction d (Richardson): ``err = trunc + 2 sigma / h`` where
    ``trunc = |D(h/2) - D(h)| / 3`` (with the analytic part removed) and
    ``sigma`` is :func:`noise_level`; ``2 sigma / h`` bounds the standard
    deviation of the extrapolated estimate under iid rounding noise
    (sqrt(32.5)/3 = 1.9).  Complex step: ``err = 16 eps (max|g| |d|_1 + |D|)``.
    A direction passes iff ``|<g, d> - D| <= k * err + floor``.

    ``rng`` (a numpy Generator) is required by signature so every random
    direction is reproducible; it is unused when coordinate directions are
    used (``x.size <= 500`` and ``n_directions is None``) and may be None then.
    ``floor`` is an absolute tolerance added to every budget (default 0: the
    error estimate already contains rounding terms).  ``chunk`` bounds the
    number of points materialised / passed to ``f`` at once; ``batched=True``
    means ``f`` accepts a stack of points (shape ``(m,) + x.shape``).
    """
    x0 = np.asarray(x, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64).ravel()
    xf = x0.ravel()
    if g.shape != xf.shape:
        raise ValueError(f"grad has {g.size} entries, x has {xf.size}")
    dirs, coordinate = _directions(xf.size, n_directions, rng)
    per_dir = 1 if use_complex else 4
    f0 = 0.0 if use_complex else float(_evaluate(f, xf[None], x0.shape, batched)[0])
    step = max(1, int(chunk) // per_dir)
    block = _complex_block if use_complex else _richardson_block
    parts = [block(f, xf, g, dirs[i:i + step], x0.shape, batched, f0)
             for i in range(0, len(dirs), step)]
    disc, err, inv_h, delta4, fmax, analytic, numeric = (
        np.concatenate(p) for p in zip(*parts))
    if not use_complex:
        err = err + ROUNDING_FACTOR * noise_level(delta4, fmax) * inv_h
    budgets = k * err + (0.0 if floor is None else float(floor))
    return _summarise(disc, budgets, analytic, numeric, dirs, coordinate,
                      "complex-step" if use_complex else "richardson",
                      per_dir * len(dirs) + (0 if use_complex else 1))


def _summarise(disc, budgets, analytic, numeric, dirs, coordinate, method, n_evals):
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(budgets > 0, disc / budgets, np.where(disc > 0, np.inf, 0.0))
    j = int(np.argmax(ratio))
    return GradCheck(
        passed=bool(np.all(disc <= budgets)), method=method, coordinate=coordinate,
        n_directions=len(dirs), n_evals=n_evals,
        max_abs_discrepancy=float(disc.max()), error_budget=float(budgets[j]),
        worst_index=j, worst_ratio=float(ratio[j]),
        worst_analytic=float(analytic[j]), worst_numeric=float(numeric[j]),
        worst_direction=dirs[j].copy(), discrepancies=disc, budgets=budgets)


# --------------------------------------------------------------------------
# Taylor test and convergence order
# --------------------------------------------------------------------------

def _loglog_slope(hs, errs) -> float:
    hs, errs = np.asarray(hs, dtype=float), np.asarray(errs, dtype=float)
    ok = (errs > 0) & np.isfinite(errs) & (hs > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(hs[ok]), np.log(errs[ok]), 1)[0])


def _taylor_residuals(f, grad, x, direction, ks):
    x = np.asarray(x, dtype=np.float64)
    d = _as_direction(x, direction)
    f0 = float(f(x))
    slope0 = float(np.vdot(np.asarray(grad, dtype=np.float64).ravel(), d.ravel()))
    hs = np.array([2.0 ** -k for k in ks])
    res = np.array([abs(float(f(x + h * d)) - f0 - h * slope0) for h in hs])
    used = res >= TAYLOR_NOISE_FACTOR * EPS * abs(f0)
    return hs, res, used


def taylor_slope(f: Callable, grad, x, direction, ks=range(4, 16)) -> float:
    """Slope of log r(h) vs log h, ``r(h) = |f(x+hd) - f(x) - h <g, d>|``.

    ``h = 2^-k`` for k in ``ks``; points with ``r < 1e3 eps |f(x)|`` (rounding
    noise) are dropped.  ~2 for a right gradient, ~1 for a wrong one; nan if
    fewer than two points survive.  ``d`` is used as given: scale it so that
    ``h d`` is a small perturbation of x already at h = 1/16 (unit 2-norm is
    a good default for O(1) parameters); otherwise third-order terms bend the
    curve at the large-h end and pull the fitted slope off 2.
    """
    hs, res, used = _taylor_residuals(f, grad, x, direction, ks)
    return _loglog_slope(hs[used], res[used])


@dataclass
class TaylorTest:
    """Outcome of :func:`taylor_test`."""

    slope: float
    passed: bool
    threshold: float
    n_used: int
    hs: np.ndarray = field(repr=False)
    residuals: np.ndarray = field(repr=False)

    def describe(self) -> str:
        status = "passed" if self.passed else "FAILED"
        if self.n_used == 0:
            return f"Taylor test {status}: all residuals at rounding level"
        return (f"Taylor test {status}: slope {self.slope:.3f} "
                f"(threshold {self.threshold}, {self.n_used} steps above noise)")


def taylor_test(f: Callable, grad, x, direction, ks=range(4, 16),
                threshold: float = TAYLOR_SLOPE_THRESHOLD) -> TaylorTest:
    """Taylor remainder test: passed iff slope > ``threshold`` (default 1.8).

    A right gradient leaves a second-order remainder (slope 2; up to 3 where
    the curvature along d vanishes), a wrong one a first-order remainder
    (slope 1).  1.8 sits close to 2 because the fit is over a window in which
    a right gradient gives 2.00 +- 0.05 on smooth losses, while a wrong
    gradient whose error is comparable to the curvature term mixes slopes 1
    and 2 and lands in between.  If every residual is at rounding level the
    gradient agrees to ~1e-11 along d and the test passes with slope nan.
    """
    hs, res, used = _taylor_residuals(f, grad, x, direction, ks)
    n_used = int(used.sum())
    slope = _loglog_slope(hs[used], res[used])
    passed = n_used == 0 or (n_used >= 2 and slope > threshold)
    return TaylorTest(slope, bool(passed), threshold, n_used, hs, res)


def convergence_order(f_approx_error_fn: Callable, hs) -> float:
    """Least-squares slope of log|error(h)| vs log h over ``hs``.

    ``f_approx_error_fn(h)`` returns the error of an approximation at step h;
    a method of order p gives slope ~p while truncation dominates rounding.
    Zero / non-finite errors are ignored.
    """
    hs = np.asarray(list(hs), dtype=float)
    errs = np.abs([float(f_approx_error_fn(h)) for h in hs])
    return _loglog_slope(hs, errs)
