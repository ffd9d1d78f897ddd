"""Batch size (Problem 5): the covariance chain, the temperature claim, and their wrong variants."""
import pytest

from derivations import batch_size
from proofs.engine import check_claim
from tests.catalog import variant_claims, variant_module

VARIANTS = variant_module("batch_size_variants")
CLAIMS = variant_claims(VARIANTS)


@pytest.fixture(scope="module")
def covariance():
    return check_claim(batch_size.covariance, seed=0)


def test_covariance_chain_proved_line_by_line(covariance):
    r = covariance
    assert r.verdict == "proved", r.message
    labels = [s.label for s in r.steps]
    assert labels[:7] == [f"line {k}" for k in range(1, 8)]
    assert all(s.verdict == "proved" for s in r.steps)
    assert r.steps[-1].rule == "conclusion"


def test_covariance_literal_line4_is_true_and_says_why(covariance):
    line4 = next(s for s in covariance.steps if s.label == "line 4")
    assert line4.verdict == "proved"
    assert "b != b' sum" in line4.why and "1/B^2" in line4.why
    assert any("sum_b (ghat_b[i] - g[i])" in n for n in covariance.notes)


def test_covariance_witness_agrees(covariance):
    (w,) = covariance.witnesses
    assert w.kind == "monte-carlo" and w.observed == "holds" and w.verdict == "agrees", w.detail
    assert w.detail.count("|z|") == 9                        # 3 entries at B = 1, 2, 4


def test_temperature_proved_and_witnessed():
    r = check_claim(batch_size.temperature, seed=0)
    assert r.verdict == "proved", r.message
    (w,) = r.witnesses
    assert w.observed == "holds" and w.verdict == "agrees", w.detail


def test_witness_is_deterministic():
    a = check_claim(batch_size.covariance, seed=3).witnesses[0].detail
    b = check_claim(batch_size.covariance, seed=3).witnesses[0].detail
    assert a == b


def test_all_variants_listed():
    assert set(VARIANTS.BROKEN_STEP) == set(CLAIMS)
    assert len(CLAIMS) >= 4


@pytest.mark.parametrize("cid", sorted(VARIANTS.BROKEN_STEP))
def test_variant_refuted_at_broken_step_and_flagged(cid):
    r = check_claim(CLAIMS[cid], seed=0)
    assert r.verdict == "refuted", r.message
    assert r.first_failing_step == VARIANTS.BROKEN_STEP[cid], r.message
    assert r.counterexample is not None
    assert r.result_verdict == "refuted"
    assert r.witnesses and all(w.observed == "fails" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert all(w.verdict == "agrees" for w in r.witnesses)
