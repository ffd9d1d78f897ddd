"""proofs.witness: the helpers witnesses use to check the *whole* stated relation (issue 8: a witness that put a
measured mean in place of E(...) could not see a statement that changed what is inside E)."""
import doctest
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import proofs.witness as W
from proofs.expectation import E
from proofs.witness import expectation_estimates, expectation_values

x, c = sp.symbols("x c", real=True)
COIN = [(Fraction(1, 2), {x: 1}), (Fraction(1, 2), {x: 3})]


def test_doctests():
    assert doctest.testmod(W).failed == 0


def test_expectation_values_average_what_is_inside_E():
    rel, vals = expectation_values(sp.Eq(E(x ** 2), c), COIN)
    assert list(vals.values()) == [5]
    _, vals3 = expectation_values(sp.Eq(E(x ** 3), c), COIN)           # a change inside E changes the value
    assert list(vals3.values()) == [14]
    _, shifted = expectation_values(sp.Eq(E((x - c) ** 2), 0), COIN, at={c: 2})
    assert list(shifted.values()) == [1]                               # other symbols come from ``at``


def test_expectation_values_needs_every_symbol():
    y = sp.Symbol("y")
    with pytest.raises(ValueError, match="no value for y"):
        expectation_values(sp.Eq(E(x * y), c), COIN)


def test_expectation_estimates_mean_and_standard_error():
    runs = np.array([1.0, 3.0] * 500)
    rel, means, ses, n = expectation_estimates(sp.Eq(E(x ** 2), c), {x: runs})
    (m,) = means.values()
    (se,) = ses.values()
    assert n == 1000 and m == pytest.approx(5.0) and se == pytest.approx(np.std(runs ** 2, ddof=1) / np.sqrt(1000))
    _, means1, _, _ = expectation_estimates(sp.Eq(E(2 * x), c), {x: runs})
    assert list(means1.values()) == [pytest.approx(4.0)]


def test_catalog_witnesses_see_a_change_inside_E():
    """rmsprop.second_moment's witness on the statement as written holds; with E(ghat^3) it fails."""
    from derivations.adam import second_moment
    from proofs.derivation import Derivation
    from proofs.witness import WitnessContext

    d = Derivation(second_moment)
    second_moment.build(d)
    w = WitnessContext(second_moment, d, name="second_moment_population")
    fn = next(wt.fn for wt in second_moment.witnesses)
    assert fn(w).holds
    gh = w.random("ghat")
    d.statements = [sp.Eq(E(gh ** 3), d.statements[0].rhs)]
    assert not fn(w).holds
