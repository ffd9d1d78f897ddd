"""Tests of proofs.expectation.

Every expected value is checked independently of the module: by exact
enumeration over small discrete distributions (concrete B / N, SymPy ``doit``
to unroll the sums, rational arithmetic), and once by a seeded numpy Monte
Carlo run. So a wrong formula in the module, or a wrong "expected" value in a
test, makes a test fail.
"""
from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import sympy as sp
from sympy import IndexedBase, KroneckerDelta, Rational, Sum

from proofs.expectation import Cov, E, RandomModel, UnsupportedExpectation, Var, expect

R = Rational

# ---------------------------------------------------------------------------------------------
# Independent reference: exact enumeration
# ---------------------------------------------------------------------------------------------


def moments_of(support):
    """Exact mean vector and covariance matrix of a discrete distribution [(p, vector)]."""
    dim = len(support[0][1])
    mean = [sum(p * v[k] for p, v in support) for k in range(dim)]
    cov = [[sum(p * (v[a] - mean[a]) * (v[b] - mean[b]) for p, v in support) for b in range(dim)]
           for a in range(dim)]
    return mean, cov


def enumerate_expectation(expr, components):
    """Exact E[expr] when ``components`` are independent.

    ``components``: list of ``(atoms, support)`` with ``support = [(p, values)]``
    giving the joint law of the atoms of one component.
    """
    expr = sp.sympify(expr).doit()
    total = sp.S.Zero
    for combo in itertools.product(*[support for _, support in components]):
        prob, assign = sp.S.One, {}
        for (atoms, _), (p, values) in zip(components, combo):
            prob *= p
            assign.update(zip(atoms, values))
        total += prob * expr.xreplace(assign)
    return sp.nsimplify(sp.expand(total))


def enumerate_variance(expr, components):
    mean = enumerate_expectation(expr, components)
    return enumerate_expectation((sp.sympify(expr).doit() - mean) ** 2, components)


def enumerate_covariance(x, y, components):
    mx, my = enumerate_expectation(x, components), enumerate_expectation(y, components)
    return enumerate_expectation((sp.sympify(x).doit() - mx) * (sp.sympify(y).doit() - my), components)


# Small laws with exact moments
SCALAR_LAW = [(R(1, 2), (0,)), (R(1, 3), (1,)), (R(1, 6), (3,))]       # skewed: third moment != 0
VECTOR_LAW = [(R(1, 4), (1, 0)), (R(1, 2), (0, 2)), (R(1, 4), (-1, 1))]  # correlated coordinates
X_LAW = [(R(1, 3), (-1,)), (R(2, 3), (2,))]
Y_LAW = [(R(1, 2), (-3,)), (R(1, 2), (3,))]                              # mean 0


def scalar_moments(law):
    mean = sum(p * v[0] for p, v in law)
    var = sum(p * (v[0] - mean) ** 2 for p, v in law)
    third = sum(p * v[0] ** 3 for p, v in law)
    return mean, var, third


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------
B = sp.Symbol("B", integer=True, positive=True)
N = sp.Symbol("N", integer=True, positive=True)
b, c, d, i, j, k, t = sp.symbols("b c d i j k t", integer=True)
ghat, g, Sigma1 = IndexedBase("ghat"), IndexedBase("g"), IndexedBase("Sigma1")
h = IndexedBase("h")                     # scalar iid family
alpha = IndexedBase("alpha")             # deterministic weights
a_, b_ = sp.symbols("a b_coef")
mu_x, s2x, s2y, s2, g0, m3, beta, V, mu, nu = sp.symbols("mu_x s2x s2y s2 g0 m3 beta V mu nu")


@pytest.fixture
def model():
    m = RandomModel()
    m.scalar("x", mean=mu_x, var=s2x)
    m.scalar("y", mean=0, var=s2y)
    m.bernoulli("gt", p=beta)
    m.family(ghat, mean=g, cov=Sigma1)
    m.family(h, mean=g0, cov=s2, moments={3: m3})
    return m


x, y, gt = sp.symbols("x y gt")


def ghatB(coord, idx=b):
    return Sum(ghat[idx, coord], (idx, 1, B)) / B


def vector_components(n_samples, lo=1):
    return [((ghat[s, 0], ghat[s, 1]), VECTOR_LAW) for s in range(lo, lo + n_samples)]


def vector_values():
    mean, cov = moments_of(VECTOR_LAW)
    vals = {g[a]: mean[a] for a in range(2)}
    vals.update({Sigma1[a, bb]: cov[a][bb] for a in range(2) for bb in range(2)})
    return vals


def scalar_values():
    mean, var, third = scalar_moments(SCALAR_LAW)
    return {g0: mean, s2: var, m3: third}


def h_components(n, lo=1):
    return [((h[s],), SCALAR_LAW) for s in range(lo, lo + n)]


# ---------------------------------------------------------------------------------------------
# Scalars
# ---------------------------------------------------------------------------------------------
def test_variance_of_linear_combination(model):
    r = expect(Var(a_ * x + b_ * y), model)
    assert sp.expand(r - (a_ ** 2 * s2x + b_ ** 2 * s2y)) == 0
    # independent check with concrete laws and coefficients
    mx, vx, _ = scalar_moments(X_LAW)
    _, vy, _ = scalar_moments(Y_LAW)
    comps = [((x,), X_LAW), ((y,), Y_LAW)]
    for av, bv in [(2, -3), (R(1, 2), 5)]:
        brute = enumerate_variance(av * x + bv * y, comps)
        assert r.subs({a_: av, b_: bv, s2x: vx, s2y: vy, mu_x: mx}) == brute


def test_expectation_of_product_of_independent(model):
    assert expect(E(x * y), model) == 0
    assert expect(E((x + 1) * (x - 1)), model) == sp.expand(s2x + mu_x ** 2 - 1)
    assert expect(E(x ** 2), model) == s2x + mu_x ** 2


def test_running_average_variance():
    m = RandomModel()
    mm = m.scalar("m", mean=mu, var=V)
    xt = m.scalar("xt", mean=nu, var=s2)
    r = expect(Var((1 - 1 / N) * mm + xt / N), m)
    assert sp.expand(r - ((1 - 1 / N) ** 2 * V + s2 / N ** 2)) == 0
    # a wrong claim is not confirmed
    assert sp.expand(r - ((1 - 1 / N) * V + s2 / N)) != 0
    # independent check with N = 4 and concrete laws
    mx, vx, _ = scalar_moments(X_LAW)
    my, vy, _ = scalar_moments(Y_LAW)
    brute = enumerate_variance(R(3, 4) * mm + xt / 4, [((mm,), X_LAW), ((xt,), Y_LAW)])
    assert r.subs({N: 4, V: vx, s2: vy, mu: mx, nu: my}) == brute


def test_bernoulli_quantiser(model):
    assert sp.expand(expect(E(a_ * gt + b_), model) - (a_ * beta + b_)) == 0
    r = expect(Var(a_ * gt + b_), model)
    assert sp.expand(r - a_ ** 2 * beta * (1 - beta)) == 0
    assert expect(E(gt ** 5), model) == beta
    law = [(R(1, 3), (0,)), (R(2, 3), (1,))]
    assert r.subs({a_: 3, b_: 7, beta: R(2, 3)}) == enumerate_variance(3 * gt + 7, [((gt,), law)])


def test_nested_and_deterministic_pass_through(model):
    assert expect(E(x - E(x)), model) == 0
    assert expect(Var(x - E(x)), model) == s2x
    z, w = sp.symbols("z w")
    det = sp.sin(w) * z + alpha[k] / (1 + z)
    assert expect(E(det), model) == det
    assert expect(det, model) is det          # no operator: returned unchanged
    assert expect(x * z + 1, model) == x * z + 1
    assert expect(Var(det), model) == 0
    assert expect(Cov(det, x), model) == 0
    # the rest of the expression is left untouched
    outer = sp.sin(w) + z * E(x)
    assert expect(outer, model) == sp.sin(w) + z * mu_x


def test_covariance_and_variance_relation(model):
    assert expect(Cov(x, x) - Var(x), model) == 0
    assert expect(Cov(x, y), model) == 0
    assert expect(Cov(a_ * x + y, x), model) == a_ * s2x


# ---------------------------------------------------------------------------------------------
# iid families, symbolic batch size
# ---------------------------------------------------------------------------------------------
def test_family_atoms(model):
    assert expect(E(ghat[b, i]), model) == g[i]
    assert expect(E(ghat[b, i] * ghat[b, j]), model) == Sigma1[i, j] + g[i] * g[j]
    assert expect(E(ghat[b, i] * ghat[b + 1, j]), model) == g[i] * g[j]
    # undecided coincidence of free sample indices is written with KroneckerDelta
    r = expect(E(ghat[b, i] * ghat[c, j]), model)
    assert sp.expand(r - (KroneckerDelta(b, c) * Sigma1[i, j] + g[i] * g[j])) == 0
    vals = vector_values()
    for bv, cv in [(1, 1), (1, 2)]:
        brute = enumerate_expectation(ghat[bv, 0] * ghat[cv, 1], vector_components(2))
        assert r.subs({b: bv, c: cv, i: 0, j: 1}).xreplace(vals) == brute


def test_batch_covariance_symbolic_B(model):
    sigma_B = E((ghatB(i) - g[i]) * (ghatB(j) - g[j]))
    r = expect(sigma_B, model)
    assert r == Sigma1[i, j] / B
    # independent check: B = 3, exact enumeration over a correlated 2-d law
    vals = vector_values()
    for iv, jv in [(0, 1), (0, 0), (1, 1)]:
        arg = ((ghatB(iv) - g[iv]) * (ghatB(jv) - g[jv])).subs(B, 3)
        brute = enumerate_expectation(arg.xreplace(vals), vector_components(3))
        assert r.subs({B: 3, i: iv, j: jv}).xreplace(vals) == brute
        assert brute != vals[Sigma1[iv, jv]]  # the 1/B matters


def test_batch_covariance_intermediate_lines(model):
    cen_i = ghat[b, i] - g[i]
    cen_j = ghat[c, j] - g[j]
    lines = [
        E(Sum(cen_i, (b, 1, B)) * Sum(cen_j, (c, 1, B))) / B ** 2,
        Sum(E(cen_i * cen_j), (b, 1, B), (c, 1, B)) / B ** 2,
        (Sum(KroneckerDelta(b, c) * E(cen_i * cen_j), (b, 1, B), (c, 1, B))
         + Sum((1 - KroneckerDelta(b, c)) * E(cen_i * cen_j), (b, 1, B), (c, 1, B))) / B ** 2,
        (E(Sum(KroneckerDelta(b, c) * cen_i * cen_j, (b, 1, B), (c, 1, B)))
         + E(Sum((1 - KroneckerDelta(b, c)) * cen_i * cen_j, (b, 1, B), (c, 1, B)))) / B ** 2,
        Sum(E((ghat[b, i] - g[i]) * (ghat[b, j] - g[j])), (b, 1, B)) / B ** 2,
    ]
    for line in lines:
        assert expect(line, model) == Sigma1[i, j] / B, line
    # the b != c part vanishes, inside or outside E
    assert expect(E(Sum((1 - KroneckerDelta(b, c)) * cen_i * cen_j, (b, 1, B), (c, 1, B))), model) == 0
    assert expect(Sum((1 - KroneckerDelta(b, c)) * E(cen_i * cen_j), (b, 1, B), (c, 1, B)), model) == 0
    # the b == c part is B * Sigma
    assert expect(E(Sum(KroneckerDelta(b, c) * cen_i * cen_j, (b, 1, B), (c, 1, B))), model) == B * Sigma1[i, j]
    # brute force of the split at B = 3: the off-diagonal part is 0, the diagonal part 3*Sigma
    vals = vector_values()
    off = Sum((1 - KroneckerDelta(b, c)) * (ghat[b, 0] - g[0]) * (ghat[c, 1] - g[1]), (b, 1, 3), (c, 1, 3))
    diag = Sum(KroneckerDelta(b, c) * (ghat[b, 0] - g[0]) * (ghat[c, 1] - g[1]), (b, 1, 3), (c, 1, 3))
    assert enumerate_expectation(off.xreplace(vals), vector_components(3)) == 0
    assert enumerate_expectation(diag.xreplace(vals), vector_components(3)) == 3 * vals[Sigma1[0, 1]]


def test_mean_square_of_batch_mean_scalar_family(model):
    r = expect(E((Sum(h[b], (b, 1, B)) / B) ** 2), model)
    assert sp.expand(r - (g0 ** 2 + s2 / B)) == 0
    brute = enumerate_expectation((Sum(h[b], (b, 1, 3)) / 3) ** 2, h_components(3))
    assert r.subs(B, 3).xreplace(scalar_values()) == brute
    # same with a 0-based range
    r0 = expect(E((Sum(h[b], (b, 0, B - 1)) / B) ** 2), model)
    assert sp.expand(r0 - (g0 ** 2 + s2 / B)) == 0


def test_variance_of_batch_mean(model):
    r = expect(Var(Sum(h[b], (b, 1, B)) / B), model)
    assert sp.expand(r - s2 / B) == 0
    brute = enumerate_variance(Sum(h[b], (b, 1, 4)) / 4, h_components(4))
    assert r.subs(B, 4).xreplace(scalar_values()) == brute


def test_weighted_sum_covariance_problem6(model):
    X = Sum(alpha[i] * h[i], (i, 1, N))
    Y = Sum(alpha[j] * h[j], (j, 1, N))
    r = expect(Cov(X, Y), model)
    right = Sum(alpha[i] ** 2, (i, 1, N)) * s2
    wrong = Sum(alpha[i], (i, 1, N)) * s2
    assert r == right
    assert expect(Var(X), model) == right
    # N = 3 with numbers: the right formula matches enumeration, the wrong one does not
    weights = {alpha[1]: 1, alpha[2]: R(-2, 3), alpha[3]: 5}
    xs = Sum(alpha[i] * h[i], (i, 1, 3)).doit().xreplace(weights)
    brute = enumerate_covariance(xs, xs, h_components(3))
    num = lambda e: e.subs(N, 3).doit().xreplace(weights).xreplace(scalar_values())  # noqa: E731
    assert num(r) == brute
    assert num(wrong) != brute


def test_moebius_distinct_pairs(model):
    """sum_{i != j} alpha_i alpha_j E[h_i h_j] = g0^2 ((sum alpha)^2 - sum alpha^2)."""
    expr = Sum((1 - KroneckerDelta(i, j)) * alpha[i] * alpha[j] * h[i] * h[j], (i, 1, N), (j, 1, N))
    r = expect(E(expr), model)
    sa = Sum(alpha[i], (i, 1, N))
    sa2 = Sum(alpha[i] ** 2, (i, 1, N))
    assert sp.expand(r - g0 ** 2 * (sa ** 2 - sa2)) == 0
    weights = {alpha[1]: 2, alpha[2]: -1, alpha[3]: R(1, 2)}
    concrete = Sum((1 - KroneckerDelta(i, j)) * alpha[i] * alpha[j] * h[i] * h[j], (i, 1, 3), (j, 1, 3))
    brute = enumerate_expectation(concrete.doit().xreplace(weights), h_components(3))
    assert r.subs(N, 3).doit().xreplace(weights).xreplace(scalar_values()) == brute


def test_index_dependent_coefficient_with_batch(model):
    """Deterministic coefficients depending on sample indices go through Moebius inversion."""
    expr = (Sum(alpha[b] * (h[b] - g0), (b, 1, B))) ** 2
    r = expect(E(expr), model)
    assert r == s2 * Sum(alpha[b] ** 2, (b, 1, B))


def test_different_families_different_ranges(model):
    r = expect(E(Sum(h[b], (b, 1, B)) * Sum(ghat[c, i], (c, 0, B - 1))), model)
    assert sp.expand(r - B ** 2 * g0 * g[i]) == 0
    # non-sample summation indices stay deterministic sums
    r2 = expect(E(Sum(alpha[k] * ghat[b, k], (k, 1, N))), model)
    assert r2 == Sum(alpha[k] * g[k], (k, 1, N))


def test_sum_with_free_sample_index(model):
    r = expect(E(Sum(h[b], (b, 1, B)) * h[t]), model)
    expected = B * g0 ** 2 + s2 * Sum(KroneckerDelta(b, t), (b, 1, B))
    assert sp.expand(r - expected) == 0


def test_third_moment_unknown_raises():
    m = RandomModel()
    m.family(h, mean=g0, cov=s2)
    with pytest.raises(UnsupportedExpectation, match="order-3 moment"):
        expect(E(Sum(h[b] - g0, (b, 1, B)) ** 3) / B ** 3, m)
    xx = m.scalar("xx", mean=0, var=1)
    with pytest.raises(UnsupportedExpectation):
        expect(E(xx ** 3), m)
    with pytest.raises(UnsupportedExpectation):
        expect(Var(xx ** 2), m)


def test_third_moment_declared(model):
    r = expect(E(Sum(h[b] - g0, (b, 1, B)) ** 3) / B ** 3, model)
    expected = (m3 - 3 * g0 * s2 - g0 ** 3) / B ** 2      # E[(h - g0)^3] / B^2
    assert sp.expand(r - expected) == 0
    brute = enumerate_expectation((Sum(h[b] - g0, (b, 1, 3)) ** 3 / 27).xreplace(scalar_values()),
                                  h_components(3))
    assert r.subs(B, 3).xreplace(scalar_values()) == brute
    assert brute != 0


def test_unsupported_constructs(model):
    with pytest.raises(UnsupportedExpectation):
        expect(E(sp.exp(x)), model)
    with pytest.raises(UnsupportedExpectation):
        expect(E(1 / x), model)
    with pytest.raises(UnsupportedExpectation, match="expression of a summation index"):
        expect(E(Sum(h[b + 1] * h[b], (b, 1, B))), model)
    with pytest.raises(UnsupportedExpectation, match="different ranges"):
        expect(E(Sum(h[b], (b, 1, B)) * Sum(h[c], (c, 0, B - 1))), model)
    with pytest.raises(UnsupportedExpectation, match="triangular"):
        expect(E(Sum(h[b] * h[c], (c, 1, b), (b, 1, B))), model)
    with pytest.raises(UnsupportedExpectation):
        expect(E(ghat[b, i] * ghat[b, j] * ghat[b, k]), model)


def test_model_declaration_errors():
    m = RandomModel()
    m.scalar("x", mean=0, var=1)
    with pytest.raises(ValueError):
        m.scalar("x", mean=0, var=1)
    with pytest.raises(ValueError):
        m.family(IndexedBase("v"), mean=g, cov=s2)


def test_latex_printing():
    assert sp.latex(E(x)) == r"\mathbb{E}\left[x\right]"
    assert sp.latex(Var(x)) == r"\operatorname{Var}\left[x\right]"
    assert sp.latex(Cov(x, y)) == r"\operatorname{Cov}\left[x, y\right]"


# ---------------------------------------------------------------------------------------------
# Monte Carlo sanity check (seeded) and speed
# ---------------------------------------------------------------------------------------------
def test_batch_covariance_monte_carlo(model):
    r = expect(E((ghatB(i) - g[i]) * (ghatB(j) - g[j])), model)
    rng = np.random.default_rng(12345)
    mean = np.array([0.5, -1.0])
    cov = np.array([[2.0, 0.8], [0.8, 1.0]])
    batch, reps = 5, 200_000
    samples = rng.multivariate_normal(mean, cov, size=(reps, batch))
    dev = samples.mean(axis=1) - mean
    measured = np.mean(dev[:, 0] * dev[:, 1])
    predicted = float(r.subs({i: 0, j: 1, B: batch}).xreplace({Sigma1[0, 1]: 0.8}))
    assert abs(measured - predicted) < 0.01            # predicted 0.16, standard error ~0.001
    assert abs(measured - 0.8) > 0.5                   # not the per-sample covariance


def test_speed(model):
    cases = [
        E((ghatB(i) - g[i]) * (ghatB(j) - g[j])),
        Var(a_ * x + b_ * y),
        Cov(Sum(alpha[i] * h[i], (i, 1, N)), Sum(alpha[j] * h[j], (j, 1, N))),
        E((Sum(h[b], (b, 1, B)) / B) ** 2),
    ]
    for case in cases:
        t0 = time.perf_counter()
        expect(case, model)
        assert time.perf_counter() - t0 < 0.2, case
