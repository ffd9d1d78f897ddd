"""Randomised 1-bit gradient quantisation (Assignment 4, (20)-(24)): catalog verdicts, the erratum in (22),
and wrong variants (user-style claims defined here, each reusing the catalog's witness)."""
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import derivations.quantisation as Q
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

CATALOG = [Q.unbiased, Q.feasibility, Q.feasibility_corrected, Q.non_unique, Q.variance, Q.optimal_ab]


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in CATALOG}


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witness(c, results):
    r = results[c.id]
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_22_strict_inequalities_refuted_at_the_endpoints(results):
    """(22) as printed: refuted at its own step, at beta_i = 0 (g_i = b) and beta_i = 1 (g_i = a + b)."""
    r = results["quantisation.feasibility"]
    step = next(s for s in r.steps if s.label == "(22)")
    assert r.first_failing_step == step.index
    assert "beta_i=0" in step.detail and "beta_i=1" in step.detail
    assert r.result_verdict == "refuted"
    w = r.witnesses[0]
    assert w.observed == "fails" and "quantiser runs unbiased, statement says infeasible" in w.detail


def test_22_corrected_proves_both_directions(results):
    r = results["quantisation.feasibility.corrected"]
    labels = {s.label: s.verdict for s in r.steps}
    assert labels["(22) corrected, left"] == labels["(22) corrected, right"] == "proved"
    assert labels["(22) corrected implies (21)"] == "proved"


def test_boundary_coordinate_is_feasible_and_exact():
    """g_i = b: beta_i = 0, the quantiser always sends 0 and reconstructs b = g_i exactly (feasible, unbiased,
    variance 0), so (21) admits it although b < g_i fails."""
    g_i, a, b = Fraction(-3, 2), Fraction(5, 2), Fraction(-3, 2)
    law = Q.exact_output_law(g_i, a, b)
    assert law == {b: 1}
    assert Q.law_mean_var(law) == (g_i, 0)
    law = Q.exact_output_law(a + b, a, b)                 # the other endpoint, beta_i = 1
    assert law == {a + b: 1}
    with pytest.raises(Q.Infeasible):
        Q.exact_output_law(b - Fraction(1, 10), a, b)


def test_non_unique_two_different_pairs():
    """(a, b) = (M - m, m) and (M - m + 2, m - 1) both make every coordinate unbiased."""
    g = [Fraction(v, 4) for v in (-5, 3, 0, 7)]
    m, M = min(g), max(g)
    for a, b in ((M - m, m), (M - m + 2, m - 1)):
        assert all(Q.law_mean_var(Q.exact_output_law(gi, a, b))[0] == gi for gi in g)


def test_optimum_by_brute_force():
    """(24): over a fine grid of feasible (a, b) the smallest variance of every coordinate is at (M - m, m)."""
    g = [Fraction(v, 3) for v in (-4, -1, 2, 5)]
    m, M = min(g), max(g)
    grid = [Fraction(k, 8) for k in range(0, 17)]
    for gi in g:
        var = {(M - m + s + t, m - s): Q.law_mean_var(Q.exact_output_law(gi, M - m + s + t, m - s))[1]
               for s in grid for t in grid}
        best = min(var.values())
        assert var[(M - m, m)] == best == (gi - m) * (M - gi)


def test_monte_carlo_witnesses_are_sized_and_counted():
    assert sum(1 for c in CATALOG for w in c.witnesses if w.statistical) == 2
    r = check_claim(Q.variance, seed=0)
    w = r.witnesses[0]
    assert w.kind == "monte-carlo" and w.n and w.n > 1000 and "+-" in w.detail


# ------------------------------------------------------------------------------------------------
# wrong variants (user-style claims), each reusing the catalog witness
# ------------------------------------------------------------------------------------------------

SRC = Source("002_4657f5e75f199049.txt", "Assignment 4 (Stochastic Gradient Quantization), wrong variant")


@claim(id="variant.quantisation.beta_sign", title="(20) with beta_i = (g_i + b)/a", source=SRC, expected="refuted",
       witnesses=[(Q._unbiased_monte_carlo, "monte-carlo")])
def beta_sign(d):
    Q.unbiased_build(d, sign=+1)


@claim(id="variant.quantisation.variance_dropped_b", title="(23) as (g_i - b)(a - g_i)", source=SRC,
       expected="refuted", witnesses=[(Q._variance_monte_carlo, "monte-carlo")])
def variance_dropped_b(d):
    Q.variance_build(d, last=lambda a, b, g: (g - b) * (a - g))


@claim(id="variant.quantisation.upper_without_b", title="corrected (22) as b <= g_i <= a", source=SRC,
       expected="refuted", witnesses=[(Q._feasibility_direct, "exact")])
def upper_without_b(d):
    Q.feasibility_corrected_build(d, upper=lambda a, b: a)


@claim(id="variant.quantisation.scale_M", title="(24) with a = M instead of M - m", source=SRC, expected="refuted",
       witnesses=[(Q._grid_search, "exact")])
def scale_M(d):
    Q.optimum_build(d, a_opt=lambda m, M: M)


VARIANTS = [  # (variant, label of the step it breaks)
    (beta_sign, "(20)"),
    (variance_dropped_b, "(23)"),
    (upper_without_b, "(22) corrected, right"),
    (scale_M, "(a*, b*) feasible"),
]


@pytest.mark.parametrize("v,label", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_variant_refuted_at_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    step = next(s for s in r.steps if s.label == label)
    assert_caught(r, step.index)


def test_quantiser_monte_carlo_detects_a_biased_rule():
    """The unbiasedness witness runs the claim's own beta_i: with a feasible but biased rule
    beta_i = (g_i - b)/(2a) the sample mean misses g_i by many standard errors."""
    from proofs.stats import mean_se
    rng = np.random.default_rng(3)
    g, a, b = Q.MC_GRADIENT, Q.MC_A, Q.MC_B
    out = Q.quantise(rng, (g - b) / (2 * a), a, b, 40000)
    mean, se = mean_se(out)
    assert np.all(np.abs(mean - g) > 10 * se)
    assert sp.Rational(str(g[0])) == sp.Rational(3, 5)
