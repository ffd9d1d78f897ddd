"""Problem 6 of the SGD problems: the covariance of a weighted sum of iid gradients (erratum and correction)."""
import pytest
import sympy as sp

import derivations.temperature as T
from proofs import Source, claim
from proofs.engine import check_claim


@pytest.fixture(scope="module")
def source():
    return check_claim(T.weighted_sum_covariance, seed=0)


@pytest.fixture(scope="module")
def corrected():
    return check_claim(T.weighted_sum_covariance_corrected, seed=0)


def test_source_claim_refuted_with_a_counterexample(source):
    r = source
    assert r.verdict == "refuted" == T.weighted_sum_covariance.expected.value, r.message
    assert r.first_failing_step == 1 and r.result_verdict == "refuted"
    cex = r.counterexample
    assert cex is not None and cex.lhs != cex.rhs
    # at the counterexample the two factors differ: sum alpha_i^2 (true) != sum alpha_i (claimed)
    n = int(cex.point["N"])
    alphas = [sp.Rational(cex.point[f"alpha[{i}]"]) for i in range(1, n + 1)]
    sg = sp.Rational(next(v for key, v in cex.point.items() if key.startswith("Sigma_g[")))
    assert sp.Rational(cex.lhs) == sum(a ** 2 for a in alphas) * sg
    assert sp.Rational(cex.rhs) == sum(alphas) * sg


def test_source_claim_witness_observes_the_failure(source):
    (w,) = source.witnesses
    assert w.kind == "monte-carlo" and w.observed == "fails" and w.verdict == "agrees", w.detail
    assert sum(T.WEIGHTS) != sum(a * a for a in T.WEIGHTS)
    assert w.detail.count(" > ") == 6                       # every entry, both weight sets, rejects (sum alpha) Sigma_g


def test_corrected_claim_proved_and_witnessed(corrected):
    r = corrected
    assert r.verdict == "proved", r.message
    assert T.weighted_sum_covariance_corrected.corrects == T.weighted_sum_covariance.id
    assert all(s.verdict == "proved" for s in r.steps)
    (w,) = r.witnesses
    assert w.observed == "holds" and w.verdict == "agrees", w.detail


def test_witness_predictions_are_the_exact_moments(corrected):
    _, cov = T.gradient_moments()
    factor = sum(a * a for a in T.WEIGHTS)
    (w,) = corrected.witnesses
    for (a, b), part in zip(T.ENTRIES, w.detail.split(" | ")):
        assert f"predicted {float(factor * cov[a][b]):.6g}" in part


def test_wrong_last_line_is_located():
    """sum alpha_i instead of sum alpha_i^2 in the last line of the corrected chain: refuted there, witness fails."""
    @claim(id="variant.temperature.power1", title="wrong", source=Source("test", "-"), expected="refuted",
           witnesses=[(T.weighted_sum_witness, "monte-carlo")])
    def v(d):
        T.corrected_build(d, power=1)
    r = check_claim(v, seed=0)
    assert r.verdict == "refuted" and r.first_failing_step == 4 and r.counterexample is not None
    assert r.witnesses[0].observed == "fails"
