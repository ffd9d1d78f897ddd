"""Gradient verification by finite differences (Assignment 1, (1)-(11)): catalog verdicts, the measured
orders behind the precise readings, and wrong variants (user-style claims defined here, reusing the
catalog's witnesses)."""
import numpy as np
import pytest
import sympy as sp

import derivations.finite_differences as F
from proofs import Source, claim
from proofs.engine import check_claim
from proofs.finite_diff import convergence_order
from tests.catalog import assert_caught

CATALOG = [F.forward_difference, F.central_difference, F.central_more_accurate]


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in CATALOG}


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witness(c, results):
    r = results[c.id]
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_chains_followed_line_by_line(results):
    fwd = [s.label for s in results["gradcheck.forward_difference"].steps]
    assert fwd[:4] == ["(3)", "(4)", "(5)", "(6)"]
    cen = [s.label for s in results["gradcheck.central_difference"].steps]
    for lab in ("(8), quadratic form", "(7)", "(8)", "(9)", "(10)", "(11)"):
        assert lab in cen
    assert all(s.verdict == "proved" for s in results["gradcheck.central_difference"].steps)


def test_measured_orders_on_a_real_loss():
    """Error of the derivative estimate: forward ~ eps^1, central ~ eps^2 (so |Delta L - <J, Delta w>| ~ eps^2
    and eps^3), measured on the logistic loss with proofs.finite_diff.convergence_order."""
    loss = F.LogisticLoss(np.random.default_rng(11))
    Ju = loss.coefficients()[0]
    hs = 2.0 ** -np.arange(3, 9)
    fwd = convergence_order(lambda h: (loss(loss.w + h * loss.u) - loss(loss.w)) / h - Ju, hs)
    cen = convergence_order(lambda h: (loss(loss.w + h * loss.u) - loss(loss.w - h * loss.u)) / (2 * h) - Ju, hs)
    assert abs(fwd - 1) < 0.1 and abs(cen - 2) < 0.1


def test_best_errors_at_float64():
    """The precise form of "easier to check": at float64 the best central error is ~1e-11 or below, the best
    forward error ~1e-8, over a grid of steps (median over a few losses)."""
    rng = np.random.default_rng(5)
    hs = np.logspace(-13, 0, 60)
    best = np.median([F.best_errors(F.LogisticLoss(rng), np.float64, hs) for _ in range(6)], axis=0)
    assert 1e-10 < best[0] < 1e-7
    assert best[1] < 1e-10
    assert best[1] < best[0] / 30


def test_taylor_coefficients_of_the_witness_loss():
    """The closed-form <J,u>, <u,Hu>, c_3 of the logistic loss agree with high-order central differences."""
    loss = F.LogisticLoss(np.random.default_rng(2))
    Ju, Qc, C3 = loss.coefficients()
    h = 1e-2
    f = [loss(loss.w + k * h * loss.u) for k in (-2, -1, 0, 1, 2)]
    d1 = (f[0] - 8 * f[1] + 8 * f[3] - f[4]) / (12 * h)
    d2 = (-f[0] + 16 * f[1] - 30 * f[2] + 16 * f[3] - f[4]) / (12 * h * h)
    d3 = (-f[0] + 2 * f[1] - 2 * f[3] + f[4]) / (2 * h ** 3)
    assert abs(d1 - Ju) < 1e-8 and abs(d2 - Qc) < 1e-6 and abs(d3 / 6 - C3) < 1e-4


# ------------------------------------------------------------------------------------------------
# wrong variants (user-style claims), each reusing the catalog witness
# ------------------------------------------------------------------------------------------------

SRC = Source("002_4657f5e75f199049.txt", "Assignment 1 (Gradient Verification in Lab 2), wrong variant")


@claim(id="variant.gradcheck.forward_constant", title="(6) with limit <u,Hu> instead of <u,Hu>/2", source=SRC,
       expected="refuted", witnesses=[(F.difference_witness, "finite-difference")])
def forward_constant(d):
    F.forward_build(d, constant=1)


@claim(id="variant.gradcheck.quadratic_form_flips", title="(8) with the sign of the quadratic form flipped",
       source=SRC, expected="refuted", witnesses=[(F.difference_witness, "finite-difference")])
def quadratic_form_flips(d):
    F.central_build(d, q_sign=-1)


@claim(id="variant.gradcheck.central_best_error_exponent",
       title="best central error ~ delta^(1/3) (slip), so the ratio -> oo", source=SRC, expected="refuted",
       witnesses=[(F.accuracy_witness, "finite-difference")])
def central_best_error_exponent(d):
    F.accuracy_build(d, central_exponent=sp.Rational(1, 3), limit=sp.oo)


VARIANTS = [  # (variant, label of the step it breaks)
    (forward_constant, "(6)"),
    (quadratic_form_flips, "(8), quadratic form"),
    (central_best_error_exponent, "central: best error"),
]


@pytest.mark.parametrize("v,label", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_variant_refuted_at_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    step = next(s for s in r.steps if s.label == label)
    assert_caught(r, step.index)


def test_flipped_quadratic_form_propagates_to_a_wrong_order():
    """The slip in (8) leads to "Delta L - <J, Delta w> ~ <u,Hu> eps^2 / 2" (only second order): the witness
    measures o(eps^2) instead."""
    r = check_claim(quadratic_form_flips, seed=0)
    assert r.result_verdict == "refuted"
    w = r.witnesses[0]
    assert w.observed == "fails" and "extrapolated" in w.detail      # the limit body evaluated on the process


# ------------------------------------------------------------------------------------------------
# the witness's figure (drawn by proofs.report.figures)
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cid", ["gradcheck.forward_difference", "gradcheck.central_difference"])
def test_error_figure_shows_measured_orders_and_reference_slopes(cid, results):
    from proofs.figure import Figure
    (w,) = results[cid].witnesses
    (d,) = w.figures
    fig = Figure.from_dict(d)
    assert (fig.xscale, fig.yscale) == ("log", "log") and not fig.marks
    series = {s.label: s for s in fig.series}
    assert list(series) == ["forward difference (measured)", "central difference (measured)",
                            "slope 1 (reference)", "slope 2 (reference)"]
    assert [s.style for s in fig.series] == ["points", "points", "dashed", "dashed"]
    for name, p in (("forward", 1), ("central", 2)):
        meas, ref = series[f"{name} difference (measured)"], series[f"slope {p} (reference)"]
        xs = np.log(meas.x)
        ys = np.log(meas.y)
        tested = (np.array(meas.x) <= 2.0 ** -3) & (np.array(meas.x) >= 2.0 ** -8)
        assert abs(np.polyfit(xs[tested], ys[tested], 1)[0] - p) < 0.15        # the measured order
        assert abs(np.polyfit(np.log(ref.x), np.log(ref.y), 1)[0] - p) < 1e-3   # the reference's slope
        assert min(meas.x) < 1e-8                                              # the rounding floor is shown
