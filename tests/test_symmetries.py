"""Exercise 4 of week 5 (weight-space symmetries): the permutation invariance (symbolic, generic activation),
the (n!)^m count by permuting random networks, and wrong variants."""
import itertools
import math

import numpy as np
import pytest
import sympy as sp

import derivations.symmetries as Y
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

CATALOG = [Y.permutation_invariance, Y.equivalent_solutions]


def _step(r, label):
    return next(s for s in r.steps if s.label == label)


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in CATALOG}


@pytest.mark.parametrize("c", CATALOG, ids=[c.id for c in CATALOG])
def test_catalog_verdict_and_witnesses(c, results):
    r = results[c.id]
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_all_36_permutations_are_symmetries_symbolically():
    """Beyond the four generating swaps of the claim: every one of the 6 * 6 permutations gives the same
    expression (generic sigma)."""
    from proofs.derivation import Derivation
    d = Derivation()
    sigma = sp.Function("sigma")
    params, x = Y.symbolic_network(d, n_in=1)
    y = Y.forward(params, x, sigma)[0]
    perms = list(itertools.permutations(range(3)))
    assert all(sp.expand(Y.forward(Y.permute_units(params, [p, q]), x, sigma)[0] - y) == 0
               for p in perms for q in perms)


@pytest.mark.parametrize("n, m", [(3, 2), (2, 3), (2, 2), (4, 1)])
def test_count_is_factorial_power(n, m):
    count, worst = Y.count_equivalent(np.random.default_rng(5), n, m)
    assert count == math.factorial(n) ** m
    assert worst < 1e-12


def test_identical_units_give_fewer_distinct_vectors():
    """'At least' and 'generic': with two identical units in a layer the permuted vectors coincide in pairs."""
    rng = np.random.default_rng(3)
    params = Y._random_params(rng, 3, 1)
    W, b = params[0]
    W[1], b[1] = W[0], b[0]
    V, c = params[1]
    V[:, 1] = V[:, 0]
    seen = {tuple(np.round(np.concatenate([np.asarray(a, dtype=float).ravel() for Wl, bl in
                                           Y.permute_units(params, [p]) for a in (Wl, bl)]), 12))
            for p in itertools.permutations(range(3))}
    assert len(seen) == 3


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
SRC = Source(Y.WEEK5, "Exercise 4, wrong variant")


@claim(id="variant.symmetries.sum_over_layers", title="n! m equivalent solutions (the layers' counts added, not "
       "multiplied)", source=SRC, expected="refuted", witnesses=[(Y._count_by_permuting, "simulation")])
def sum_over_layers(d):
    n, m = d.symbols("n m", integer=True, positive=True)
    Nl, N = d.symbols("N_layer N_equiv", integer=True, positive=True)
    per_layer = d.given(Y.Eq(Nl, sp.factorial(n)))
    layers = d.given(Y.Eq(N, Nl ** m))
    f = d.step(Y.Eq(N, sp.factorial(n) * m), rule="product rule (slip)", using=[per_layer, layers], label="count")
    ex = d.chain(sp.Subs(sp.factorial(n) * m, (n, m), (3, 2))).eq(12, label="example")
    stmt = (f.relation, ex.fact.relation)
    d.step(stmt, rule="collect", using=[f, ex.fact])
    d.statement(stmt)


def _input_only_swap(d, sigma):
    params, x = Y.symbolic_network(d, n_in=1)
    y = Y.forward(params, x, sigma)[0]
    (W1, b1), (W2, b2), out = params
    swapped = [([W1[1], W1[0], W1[2]], [b1[1], b1[0], b1[2]]), (W2, b2), out]   # output weights not swapped
    rel = (Y.Eq(y, Y.forward(swapped, x, sigma)[0]),)
    d.step(rel, rule="swap units 1, 2 of layer 1 (input weights only)", using=[], label="swap")
    d.statement(rel)


@claim(id="variant.symmetries.input_weights_only", title="swapping two units' input weights but not their output "
       "weights (sigma = tanh)", source=SRC, expected="refuted", witnesses=[(Y._permuted_networks, "simulation")])
def input_weights_only(d):
    _input_only_swap(d, sp.tanh)


@claim(id="variant.symmetries.input_weights_only_generic", title="the same slip with a generic activation",
       source=SRC, expected="refuted")
def input_weights_only_generic(d):
    _input_only_swap(d, d.function("sigma"))


VARIANTS = [(sum_over_layers, "count"), (input_weights_only, "swap")]


@pytest.mark.parametrize("v, label", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_variant_refuted_at_the_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    assert_caught(r, _step(r, label).index)


def test_undefined_activation_is_refuted_with_its_values():
    """With an undefined activation the point gives it values (sigma(1) = ..., one per argument value, inner
    applications first), so the wrong swap is refuted, not merely unproved (issue 8 closed this gap)."""
    r = check_claim(input_weights_only_generic, seed=0, stage_timeout=0.5)
    assert r.verdict == "refuted", r.message
    keys = [k for k in r.counterexample.point if k.startswith("sigma(")]
    assert keys and all(sp.Rational(k[len("sigma("):-1]) is not None for k in keys)   # numeric arguments only
