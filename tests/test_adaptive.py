"""Problem 4 (d) of the SGD problems: E[ghat^2] = g^2 + sigma^2/B and RMSProp's s_t under batch scaling."""
import pytest
import sympy as sp

import derivations.adaptive as A
from proofs import E, Source, claim
from proofs.engine import check_claim

CATALOG = [A.batch_mean_square, A.rmsprop_batch_scaling]


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in CATALOG}


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witnesses(c, results):
    r = results[c.id]
    assert r.verdict == c.expected.value == "proved", r.message
    assert r.witnesses and all(w.kind == "monte-carlo" and w.observed == "holds" and w.verdict == "agrees"
                               for w in r.witnesses), [w.detail for w in r.witnesses]
    assert [s.file for s in c.also] == ["001_6f3b02b455961dc3.txt"]


def test_every_reading_of_the_rmsprop_statement_is_a_checked_step(results):
    r = results["adaptive.rmsprop_batch_scaling"]
    labels = {s.label: s for s in r.steps}
    for label in ("E s_inf(B)", "E s_inf(B+1)", "reduced as the batch size increases",
                  "large batches: the mean squared", "rather than the second moment"):
        assert labels[label].verdict == "proved", labels[label].detail
    assert labels["reduced as the batch size increases"].stage == "sign"


def test_rmsprop_witness_tests_all_four_relations(results):
    """Every relation of the statement is evaluated at B = 1 and B = 2 (the limits at B = 2^20)."""
    (w,) = results["adaptive.rmsprop_batch_scaling"].witnesses
    parts = w.detail.split(" | ")
    assert len(parts) == 8
    assert parts[0].startswith("E s_inf(B): estimate") and parts[4].startswith("E s_inf(B): estimate")
    assert "significantly < 0" in parts[1] and "significantly < 0" in parts[5]
    assert "E s_inf(B=1048576)" in parts[2] and "E ghat_1^2" in parts[3]


def test_exact_population_moments():
    g, s2, _ = A.population_moments()
    assert (g, s2) == (A.Fraction(3, 2), 4)          # g != 1: g, g^2, g^3 differ
    e2, _ = A.batch_square_moments(4)
    assert e2 == g ** 2 + s2 / 4


def test_second_moment_variant_is_refuted_and_flagged():
    """Reading s_t as an estimate of the per-example second moment g^2 + sigma^2 at any B is wrong for B > 1."""
    @claim(id="variant.adaptive.second_moment", title="E ghat^2 = g^2 + sigma^2", source=Source("test", "-"),
           expected="refuted", witnesses=[(A.batch_mean_square_witness, "monte-carlo")])
    def v(d):
        m = A.Batch(d)
        ghat = m.batch_gradient()
        d.chain(E(ghat ** 2)).eq(m.g ** 2 + m.s2, rule="the second moment", label="wrong")
        d.statement(sp.Eq(E(ghat ** 2), m.g ** 2 + m.s2))
    r = check_claim(v, seed=0)
    assert r.verdict == "refuted" and r.first_failing_step == 1 and r.counterexample is not None
    assert r.counterexample.point["B"] != "1"
    (w,) = r.witnesses
    assert w.observed == "fails" and w.verdict == "agrees"
    parts = w.detail.split(" | ")
    assert " <= " in parts[0] and " > " in parts[1] and " > " in parts[2]   # right at B = 1 only


def test_increasing_variant_is_refuted():
    """Comparing with batch size B - 1 instead of B + 1 flips the monotonicity: refuted at that step."""
    @claim(id="variant.adaptive.increase", title="wrong", source=Source("test", "-"), expected="refuted")
    def v(d):
        A.rmsprop_build(d, next_size=sp.Symbol("B", integer=True, positive=True) + 2)
    r = check_claim(v, seed=0)
    assert r.verdict == "refuted"
    assert next(s for s in r.steps if s.index == r.first_failing_step).label == "E s_inf(B+1)"
