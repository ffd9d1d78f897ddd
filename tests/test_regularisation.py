"""SGD + L2 with momentum (Assignment 5): catalog verdicts, the erratum in (34), and wrong variants."""
import pytest

import derivations.regularisation as R
from proofs.engine import check_claim
from tests.catalog import assert_caught, variant_claims

def _variants():
    return variant_claims("regularisation_variants")


def _step(r, label):
    return next(s for s in r.steps if s.label == label)


CATALOG = [R.recurrence_25, R.recurrence_26, R.momentum_equivalence, R.momentum_equivalence_corrected,
           R.momentum_equivalence_ewa]


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witness(c):
    r = check_claim(c, seed=0)
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_source_34_fails_at_the_sign_slip():
    r = check_claim(R.momentum_equivalence, seed=0)
    assert r.verdict == "refuted"
    assert r.first_failing_step == _step(r, "(34), equality 2").index
    assert all(s.verdict == "proved" for s in r.steps if s.index < r.first_failing_step)
    assert r.counterexample is not None and r.counterexample.lhs != r.counterexample.rhs
    w = r.witnesses[0]
    assert w.observed == "fails" and "first differ at t = 2" in w.detail


def test_corrected_map_gives_identical_trajectories():
    r = check_claim(R.momentum_equivalence_corrected, seed=0)
    assert r.verdict == "proved"
    assert r.witnesses[0].observed == "holds" and "coincide exactly" in r.witnesses[0].detail
    assert R.momentum_equivalence_corrected.corrects == R.momentum_equivalence.id


def test_corrected_map_independently():
    """lambda' = (1 - mu) lambda, mu' = mu (1 - alpha lambda), alpha' = alpha, by plain simulation."""
    from fractions import Fraction as F
    alpha, mu, lam = F(1, 7), F(2, 3), F(1, 2)

    class _W:                                      # a stand-in for the witness context's rng
        rng = __import__("numpy").random.default_rng(1)
    noise = R._noise(_W)
    ref, _ = R.run_momentum_on_gradient(alpha, mu, lam, noise)
    good = R.run_momentum_on_both(alpha, mu * (1 - alpha * lam), (1 - mu) * lam, noise, ref[1])
    bad = R.run_momentum_on_both(alpha, mu * (1 - alpha * lam), (1 + mu) * lam, noise, ref[1])
    assert good == ref
    assert bad[2] != ref[2]


VARIANT_CASES = {  # variant id -> label of the step it broke
    "variant.sgd_l2.mu_prime_sign": "(33a-c)",
    "variant.sgd_l2.recurrence_flipped_sign": "(29)",
    "variant.sgd_l2.recurrence_dropped_theta_prev": "(32)",
    "variant.sgd_l2.ewa_same_step_size": "(33-EWA)",
}


def test_all_variants_present():
    assert set(_variants()) == set(VARIANT_CASES)


@pytest.mark.parametrize("vid", sorted(VARIANT_CASES))
def test_variant_refuted_at_broken_step_and_flagged(vid):
    r = check_claim(_variants()[vid], seed=0)
    assert_caught(r, _step(r, VARIANT_CASES[vid]).index)
