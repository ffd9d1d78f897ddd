"""Statistics for Monte Carlo witnesses: seeds, sample sizes, standard errors, z-tests.

A Monte Carlo witness estimates a quantity (a mean, a variance, a covariance)
by simulation and compares it with the value a claim predicts.  This module
gives every such witness the same discipline:

* **Fixed seeds.**  :func:`seed_for` / :func:`rng_for` derive a 64-bit seed
  from ``sha256(claim_id, base_seed, salt)``; never from Python's ``hash()``
  (salted per process) and never from the clock.  The same claim with the same
  base seed draws the same samples on every machine and every run.
* **Sample sizes from a power calculation.**  :func:`sample_size` and
  :func:`sample_size_variance` return the ``n`` at which a relative error of a
  given size is detected with probability ``power`` by a two-sided test at
  level ``alpha``.
* **Standard errors that account for kurtosis.**  :func:`variance_se` and
  :func:`covariance_se` use the delta method with the *sample* fourth moment,
  ``se(s^2) = sqrt((m4 - s^4) / n)``, not the normal-theory ``s^2 sqrt(2/n)``
  (which silently assumes kurtosis 3 and false-alarms far too often on
  skewed or heavy-tailed data).
* **NaN is evidence of nothing.**  A NaN, an infinity or a complex number
  where a real measurement belongs (a diverged simulation, 0/0 in an
  estimator) raises :class:`NoEvidence`; the engine reports it as a witness
  ``error`` naming the quantity, never as "the statement fails" (which would
  confirm a refuted claim) nor as "holds".  :func:`finite_real` is the check.
* **A false-alarm budget.**  The whole catalog may raise at most
  ``CATALOG_FALSE_ALARM = 1e-3`` false alarms (probability a *correct* claim is
  reported as contradicted by some statistical witness).  By Bonferroni each
  statistical witness runs at ``WITNESS_ALPHA = CATALOG_FALSE_ALARM /
  MAX_STATISTICAL_WITNESSES = 1e-5`` (two-sided threshold |z| <= 4.417).

Invariant (must be kept by whoever adds witnesses): the catalog contains at most
``MAX_STATISTICAL_WITNESSES = 100`` statistical witnesses, each using
``alpha <= WITNESS_ALPHA``.  Then P(any false alarm) <= 100 * 1e-5 = 1e-3 by the
union bound, whatever the dependence between witnesses.  Raising the number of
witnesses requires lowering ``WITNESS_ALPHA`` accordingly.

The z-test is asymptotic (CLT): its real false-alarm rate approaches alpha
only as n grows, and more slowly the further into the tail alpha sits.  For
variances of skewed data always pass ``predicted=`` to :func:`variance_se`
(null-scaled SE).  Measured on exponential data (kurtosis 9), real rate /
nominal alpha:

================  =========  ==========  ===========
alpha             n          plain SE    null-scaled
================  =========  ==========  ===========
1e-2              400        3.8         1.9
1e-2              1000       2.3         1.4
1e-3              4000       2.5         1.2
1e-4              1000       26          3.0
================  =========  ==========  ===========

The excess shrinks as n grows but grows as alpha shrinks, and it has not
been measured at ``WITNESS_ALPHA = 1e-5`` (that needs ~1e7 replicates).  For
heavy-tailed quantities the per-witness rate may therefore exceed 1e-5 by a
small factor, and the catalog-level 1e-3 is a design target rather than a
guarantee.  Use at least the :func:`sample_size_variance` sizes (36,381 for a
10% error at kurtosis 9), far beyond the n in the table.
:func:`covariance_se` has the same left-skew issue on skewed data (nominal
1% -> 2.4% at n = 1000 for exponential pairs; 1.2% on normal pairs).
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

CATALOG_FALSE_ALARM = 1e-3
MAX_STATISTICAL_WITNESSES = 100
WITNESS_ALPHA = CATALOG_FALSE_ALARM / MAX_STATISTICAL_WITNESSES

# --------------------------------------------------------------------------
# NaN is evidence of nothing
# --------------------------------------------------------------------------

class NoEvidence(ValueError):
    """A witness measured NaN, an infinity or a complex number where a finite real value belongs.

    Raised by :func:`finite_real` and the estimators below; a witness that raises it is reported as a witness
    ``error`` with this one-line message (a comparison with NaN is false, so without this check a NaN would
    read as "the statement fails").
    """


def finite_real(x, what: str) -> float:
    """``x`` as a float, or :class:`NoEvidence` naming ``what`` when it is NaN, infinite or complex.

    Accepts Python and numpy numbers, ``Fraction``, 0-d arrays and SymPy numbers (``nan``, ``zoo``, ``oo`` and
    non-real values are refused).

    >>> finite_real(0.5, "the estimate of m")
    0.5
    >>> finite_real(float("nan"), "the estimate of m")
    Traceback (most recent call last):
    ...
    proofs.stats.NoEvidence: the estimate of m is nan, not a finite real number: evidence of nothing
    """
    bad = None
    if isinstance(x, (bool, np.bool_)):
        return float(x)
    if isinstance(x, np.ndarray):
        if x.size != 1:
            raise NoEvidence(f"{what} is an array of shape {x.shape}, not one number")
        x = x.reshape(()).item()
    if isinstance(x, (complex, np.complexfloating)):
        if complex(x).imag != 0 or not math.isfinite(complex(x).real):
            bad = f"complex ({complex(x)})" if math.isfinite(abs(complex(x))) else str(complex(x))
        else:
            x = complex(x).real
    if bad is None and type(x).__module__.startswith("sympy"):
        import sympy as sp
        e = sp.sympify(x)
        if e.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            bad = str(e)
        elif e.is_number:
            v = complex(sp.N(e, 30))
            if v.imag != 0:
                bad = f"complex ({e})"
            elif not math.isfinite(v.real):
                bad = str(e)
            else:
                return v.real
        else:
            raise NoEvidence(f"{what} is {e}, not a number")
    if bad is None:
        try:
            v = float(x)
        except (TypeError, ValueError) as exc:
            raise NoEvidence(f"{what} is {x!r}, not a real number ({exc})") from None
        if math.isfinite(v):
            return v
        bad = repr(v)
    raise NoEvidence(f"{what} is {bad}, not a finite real number: evidence of nothing")


def finite_samples(x, what: str = "the samples") -> np.ndarray:
    """``x`` as a float array, or :class:`NoEvidence` when an entry is NaN or infinite (a diverged run)."""
    arr = np.asarray(x)
    if np.iscomplexobj(arr):
        if np.any(arr.imag != 0):
            raise NoEvidence(f"{what} contain complex values: NaN, infinity or a complex number is evidence "
                             "of nothing")
        arr = arr.real
    arr = np.asarray(arr, dtype=float)
    bad = ~np.isfinite(arr)
    if bad.any():
        first = np.argwhere(bad)[0]
        where = ", ".join(map(str, first))
        raise NoEvidence(f"{what} contain {int(bad.sum())} non-finite value(s) (first {float(arr[tuple(first)])!r} at "
                         f"[{where}]): NaN or infinity is evidence of nothing")
    return arr


# --------------------------------------------------------------------------
# Normal quantiles
# --------------------------------------------------------------------------

# Acklam's rational approximation (relative error < 1.15e-9), refined below.
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00,
      3.754408661907416e00)
_P_LOW = 0.02425


def _poly(coeffs, x):
    acc = 0.0
    for c in coeffs:
        acc = acc * x + c
    return acc


def _acklam_lower(p: float) -> float:
    """Acklam's approximation for 0 < p <= 0.5 (returns a value <= 0)."""
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        return _poly(_C, q) / (_poly(_D, q) * q + 1.0)
    q = p - 0.5
    r = q * q
    return _poly(_A, r) * q / (_poly(_B, r) * r + 1.0)


def _halley_lower(x: float, p: float) -> float:
    """One Halley step on Phi(x) = p, using erfc (accurate in the lower tail)."""
    e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


def normal_quantile(p: float) -> float:
    """Inverse standard normal CDF, accurate to ~1e-12 relative for p in (0, 1).

    Acklam's rational approximation followed by two Halley steps on the
    lower-tail equation ``erfc(-x/sqrt 2)/2 = p``.  The upper tail uses the
    symmetry ``Phi^{-1}(p) = -Phi^{-1}(1 - p)``, so its accuracy is limited
    by how exactly ``1 - p`` is representable (fine for p = 1 - alpha/2).
    """
    p = float(p)
    if not 0.0 < p < 1.0:
        if p == 0.0:
            return -math.inf
        if p == 1.0:
            return math.inf
        raise ValueError(f"normal_quantile: p must be in [0, 1], got {p!r}")
    if p > 0.5:
        return -normal_quantile(1.0 - p)
    x = _acklam_lower(p)
    for _ in range(2):
        x = _halley_lower(x, p)
    return x


def z_two_sided(alpha: float) -> float:
    """Two-sided critical value: ``normal_quantile(1 - alpha/2)``."""
    return -normal_quantile(alpha / 2.0)   # same value, no 1 - tiny cancellation


# --------------------------------------------------------------------------
# Power calculations
# --------------------------------------------------------------------------

def _check_rates(alpha: float, power: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power!r}")


def sample_size(rel_err: float, alpha: float = WITNESS_ALPHA,
                power: float = 0.99, cv: float = 1.0) -> int:
    """Samples needed to detect a relative error ``rel_err`` in a mean.

    ``n = ceil(((z_{1-alpha/2} + z_power) * cv / rel_err)^2)`` where ``cv`` is
    the coefficient of variation (sd / |mean|) of one sample.  Standard
    normal-approximation power formula for a two-sided one-sample z-test.
    """
    if rel_err <= 0 or cv <= 0:
        raise ValueError("rel_err and cv must be positive")
    _check_rates(alpha, power)
    z = z_two_sided(alpha) + normal_quantile(power)
    return int(math.ceil((z * cv / rel_err) ** 2))


def sample_size_variance(rel_err: float, kurtosis: float = 3.0,
                         alpha: float = WITNESS_ALPHA, power: float = 0.99) -> int:
    """Samples needed to detect a relative error ``rel_err`` in a variance.

    Uses ``Var(s^2) ~ (mu4 - sigma^4)/n = sigma^4 (kurtosis - 1)/n``, i.e. the
    coefficient of variation of one "sample of the variance" is
    ``sqrt(kurtosis - 1)`` (sqrt 2 for a normal, sqrt 8 for an exponential).
    ``kurtosis`` is the plain (non-excess) kurtosis ``mu4 / sigma^4``.
    """
    if kurtosis <= 1.0:
        raise ValueError(f"kurtosis must exceed 1, got {kurtosis!r}")
    return sample_size(rel_err, alpha, power, cv=math.sqrt(kurtosis - 1.0))


# --------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------

def seed_for(claim_id: str, base_seed: int, salt: str = "") -> int:
    """Stable 64-bit seed: first 8 bytes (big-endian) of sha256 of the inputs.

    The fields are joined with NUL separators so ("a", 1, "b") and ("a1", ...)
    cannot collide by concatenation.
    """
    text = f"{claim_id}\x00{int(base_seed)}\x00{salt}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def rng_for(claim_id: str, base_seed: int, salt: str = "") -> np.random.Generator:
    """A PCG64 generator seeded with :func:`seed_for`."""
    return np.random.Generator(np.random.PCG64(seed_for(claim_id, base_seed, salt)))


# --------------------------------------------------------------------------
# Estimates with standard errors
# --------------------------------------------------------------------------

def mean_se(samples, axis: int = 0):
    """Sample mean and its standard error ``sd(ddof=1) / sqrt(n)`` along axis."""
    x = finite_samples(samples)
    n = x.shape[axis]
    if n < 2:
        raise ValueError("mean_se needs at least 2 samples")
    return x.mean(axis=axis), x.std(axis=axis, ddof=1) / math.sqrt(n)


def variance_se(samples, axis: int = 0, predicted: float | None = None,
                small_sample: bool = False):
    """Sample variance (ddof=1) and its delta-method standard error.

    Plain form (``predicted=None``): ``se = sqrt((m4 - s^4) / n)`` with ``m4``
    the sample fourth central moment.  Asymptotically valid for any
    distribution with finite 8th moment, unlike the chi-square interval, which
    assumes kurtosis 3 (it under-covers badly for kurtosis > 3).

    Null-scaled form (``predicted=sigma0^2``, recommended for tests):
    ``se = sigma0^2 * sqrt((k - 1) / n)`` with ``k = m4 / s^4`` the sample
    kurtosis.  Under H0 the variance scale is known; only the (scale-free)
    kurtosis is estimated.  This removes most of the correlation between
    ``s^2`` and its estimated SE that makes the plain studentised statistic
    left-skewed (a low ``s^2`` comes with a low ``m4``, hence a small SE and a
    large |z|).  Measured false-alarm rates, exponential data (kurtosis 9):

    ===========  ======  =============  ============
    nominal      n       plain form     null-scaled
    ===========  ======  =============  ============
    1e-2         400     3.8e-2         1.9e-2
    1e-3         400     1.6e-2         3.3e-3
    1e-3         4000    2.5e-3         1.2e-3
    ===========  ======  =============  ============

    ``small_sample=True`` replaces ``s^4`` by ``(n-3)/(n-1) s^4`` (the exact
    finite-n form ``Var(s^2) = (mu4 - (n-3)/(n-1) sigma^4) / n``, plug-in).
    Works along ``axis`` so many replicates can be processed at once.
    """
    x = finite_samples(samples)
    n = x.shape[axis]
    if n < 4:
        raise ValueError("variance_se needs at least 4 samples")
    dev = x - x.mean(axis=axis, keepdims=True)
    s2 = (dev ** 2).sum(axis=axis) / (n - 1)
    m4 = (dev ** 4).mean(axis=axis)
    factor = (n - 3) / (n - 1) if small_sample else 1.0
    if predicted is None:
        return s2, np.sqrt(np.maximum(m4 - factor * s2 ** 2, 0.0) / n)
    predicted = finite_real(predicted, "variance_se: the predicted variance")
    kurt = m4 / s2 ** 2
    return s2, abs(predicted) * np.sqrt(np.maximum(kurt - factor, 0.0) / n)


def covariance_se(xs, ys, axis: int = 0):
    """Sample covariance (ddof=1) and its delta-method SE ``sqrt(Var(p)/n)``.

    ``p = (x - mean x)(y - mean y)``; ``Var(p)`` is its sample variance.  This
    is the covariance analogue of :func:`variance_se` (kurtosis-aware).
    """
    x = finite_samples(xs)
    y = finite_samples(ys)
    if x.shape != y.shape:
        raise ValueError(f"covariance_se: shapes differ {x.shape} vs {y.shape}")
    n = x.shape[axis]
    if n < 3:
        raise ValueError("covariance_se needs at least 3 samples")
    prod = (x - x.mean(axis=axis, keepdims=True)) * (y - y.mean(axis=axis, keepdims=True))
    cov = prod.sum(axis=axis) / (n - 1)
    return cov, prod.std(axis=axis, ddof=1) / math.sqrt(n)


# --------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ZTest:
    """Outcome of comparing an estimate with a prediction.

    ``passed`` iff ``|estimate - predicted| <= threshold * se + abs_floor``.
    ``z`` is ``(estimate - predicted) / se`` (0 if they agree exactly, +-inf if
    se is 0 and they differ).
    """

    estimate: float
    se: float
    predicted: float
    z: float
    threshold: float
    passed: bool
    abs_floor: float = 0.0
    n: int | None = None
    alpha: float = WITNESS_ALPHA

    def describe(self) -> str:
        nn = f" (n={self.n})" if self.n is not None else ""
        rel = "<=" if abs(self.z) <= self.threshold else ">"
        floor = f" + floor {self.abs_floor:.3g}" if self.abs_floor else ""
        verdict = "" if self.passed else " FAIL"
        return (f"estimate {self.estimate:.6g} +- {self.se:.2g}{nn}, "
                f"predicted {self.predicted:.6g}, |z|={abs(self.z):.2f} "
                f"{rel} {self.threshold:.2f}{floor}{verdict}")


def z_test(estimate: float, se: float, predicted: float,
           alpha: float = WITNESS_ALPHA, abs_floor: float = 0.0,
           n: int | None = None) -> ZTest:
    """Two-sided z-test of ``estimate`` against ``predicted`` at level ``alpha``.

    ``abs_floor`` absorbs a known deterministic error (e.g. a discretisation
    bias) that the standard error does not cover; keep it 0 unless justified.
    """
    se = finite_real(se, "z_test: the standard error")
    if se < 0:
        raise ValueError(f"z_test: se must be finite and >= 0, got {se!r}")
    diff = finite_real(estimate, "z_test: the estimate") - finite_real(predicted, "z_test: the predicted value")
    if se > 0:
        z = diff / se
    else:
        z = 0.0 if diff == 0 else math.copysign(math.inf, diff)
    threshold = z_two_sided(alpha)
    passed = abs(diff) <= threshold * se + abs_floor
    return ZTest(float(estimate), float(se), float(predicted), float(z),
                 threshold, bool(passed), float(abs_floor), n, alpha)
