"""Problem 4 (a)-(c) of the SGD problems: batched matrix-vector backprop, per-example gradients, W.grad2."""
import pytest
import sympy as sp

import derivations.batched_layer as M
from proofs import Source, claim
from proofs.derivation import Derivation
from proofs.engine import check_claim

CATALOG = [M.batch_grad, M.per_example_grad, M.grad2_not_determined]


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in CATALOG}


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witnesses(c, results):
    r = results[c.id]
    assert r.verdict == c.expected.value == "proved", r.message
    assert r.witnesses and all(w.observed == "holds" and w.verdict == "agrees" for w in r.witnesses), \
        [w.detail for w in r.witnesses]
    assert not r.loud


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_cited_in_both_handouts(c):
    assert c.source.file == M.SGD_PROBLEMS and c.source.locator.startswith("Problem 4")
    assert [s.file for s in c.also] == [M.SGD_PROBLEMS_2] and c.also[0].locator.startswith("Problem 3")


def test_gradients_proved_for_symbolic_sizes(results):
    """(a) and (b) are proved with B, m, n symbolic (the sums keep symbolic limits)."""
    for cid, sizes in (("batched_layer.batch_grad", {"B", "m", "n"}), ("batched_layer.per_example_grad", {"m", "n"})):
        r = results[cid]
        assert all(s.verdict == "proved" for s in r.steps)
        c = next(c for c in CATALOG if c.id == cid)
        d = Derivation(c)
        c.build(d)
        limits = {str(lim[2]) for s in d.statement_relation().atoms(sp.Sum) for lim in s.limits}
        assert sizes == limits


def test_witness_runs_the_layer_and_uses_finite_differences(results):
    w = results["batched_layer.batch_grad"].witnesses[0]
    assert w.kind == "finite-difference"
    assert "Richardson" in w.detail and "complex step" in w.detail and "B=3" in w.detail
    assert w.detail.count("D_U L measured") == 3                  # 3 random directions, the statement evaluated
    w = results["batched_layer.per_example_grad"].witnesses[0]
    assert w.detail.count("D_U loss_b measured") == 6             # 3 batch elements x 2 directions
    assert all(f"b={b}" in w.detail for b in (1, 2, 3))


def _variant(builder, witness, **kw):
    @claim(id="variant.batched_layer", title="wrong variant", source=Source("test", "-"), expected="refuted",
           witnesses=[(witness, "finite-difference")])
    def v(d):
        builder(d, **kw)
    return check_claim(v, seed=0)


@pytest.mark.parametrize("builder,witness,kw,label", [
    (M.batch_gradient_build, M.batch_gradient_fd, {"factor": 1}, "(a)"),                  # 1/B dropped
    (M.per_example_build, M.per_example_gradient_fd, {"factor": sp.Rational(1, 2)}, "(b)"),   # spurious 1/2
], ids=["a_without_1_over_B", "b_half"])
def test_wrong_loop_body_refuted_and_flagged(builder, witness, kw, label):
    r = _variant(builder, witness, **kw)
    assert r.verdict == "refuted", r.message
    assert next(s for s in r.steps if s.index == r.first_failing_step).label == label
    assert r.counterexample is not None
    assert r.witnesses[0].observed == "fails" and r.witnesses[0].verdict == "agrees"


def test_grad2_pair_equal_grad_different_grad2(results):
    r = results["batched_layer.grad2_not_determined"]
    (w,) = r.witnesses
    assert "W.grad = 1, W.grad2 = 1" in w.detail and "W.grad = 1, W.grad2 = 2" in w.detail
    grad_a, grad2_a, _ = M._backprop_batch(M.BATCH_A)
    grad_b, grad2_b, _ = M._backprop_batch(M.BATCH_B)
    assert grad_a == grad_b and grad2_a != grad2_b
    # the identity W.grad2 = W.grad^2 + within-batch variance, on both batches
    for batch in (M.BATCH_A, M.BATCH_B):
        grad, grad2, per = M._backprop_batch(batch)
        assert grad2 == grad ** 2 + sum((p - grad) ** 2 for p in per) / len(per)


def test_grad2_notes_the_typo_in_000(results):
    r = results["batched_layer.grad2_not_determined"]
    assert any("typo" in n and "001" in n for n in r.notes)
    step = next(s for s in r.steps if s.label == "W.grad2 = W.grad^2 + within-batch variance")
    assert step.verdict == "proved"


def test_grad2_wrong_pair_is_refuted():
    """A 'pair' whose W.grad differ is not a counterexample: the claim built on it is refuted at that step."""
    other = {"x": M.BATCH_B["x"], "t": (M.Fraction(0), M.Fraction(1))}       # W.grad = 1/2

    @claim(id="variant.grad2", title="wrong pair", source=Source("test", "-"), expected="refuted")
    def v(d):
        M.grad2_build(d, batch_b=other)
    r = check_claim(v, seed=0)
    assert r.verdict == "refuted"
    assert next(s for s in r.steps if s.index == r.first_failing_step).label == "equal W.grad"
