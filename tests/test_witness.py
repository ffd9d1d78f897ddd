"""proofs.witness: the helpers witnesses use to check the *whole* stated relation (issue 8: a witness that put a
measured mean in place of E(...) could not see a statement that changed what is inside E)."""
import doctest
import re
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


# -- NaN is evidence of nothing (issue 9) ------------------------------------------------------------------

def _context(statement):
    """A WitnessContext for a throw-away claim whose statement is ``statement``."""
    from proofs.derivation import Derivation
    from proofs.model import Source, claim
    from proofs.witness import WitnessContext

    @claim(id="t.nan", title="t", source=Source("-", "-"))
    def c(d):
        d.statement(statement)
    d = Derivation(c)
    c.build(d)
    return WitnessContext(c, d, name="w")


a_, b_ = sp.symbols("a b", real=True)


@pytest.mark.parametrize("call, words", [
    (lambda w: w.estimate({a_: np.nan, b_: 1.0}, {a_: 0.1, b_: 0.1}, n=9), "the estimate of a is nan"),
    (lambda w: w.estimate({a_: 1.0, b_: 1.0}, {a_: 0.1, b_: np.inf}, n=9), "the standard error of b is inf"),
    (lambda w: w.estimate({a_: 1j, b_: 1.0}, {a_: 0.1, b_: 0.1}, n=9), "the estimate of a is complex"),
    (lambda w: w.close({a_: 1.0, b_: np.nan}, {a_: 0.1, b_: 0.1}), "the value of b is nan"),
    (lambda w: w.close({a_: 1.0, b_: 1.0}, {a_: 0.1, b_: np.inf}), "the error bound of b is inf"),
    (lambda w: w.exact({a_: float("nan"), b_: 1}), "the value of a is nan"),
    (lambda w: w.exact({a_: sp.zoo, b_: 1}), "the value of a is zoo"),
    (lambda w: w.exact({a_: 1, b_: sp.I}), "the value of b is complex"),
    (lambda w: w.observe(np.nan, "x"), "holds is nan"),
    (lambda w: w.observe(1, "x"), "holds is 1 (int)"),
    (lambda w: w.observe(sp.Eq(a_, b_), "x"), "holds is Eq(a, b)"),
    (lambda w: w.observe(True, "x", se=np.inf), "the observation's standard error is inf"),
    (lambda w: w.observe(True, "x", predicted="1.0, nan"), "the observation's predicted value is '1.0, nan'"),
])
def test_witness_context_refuses_nan(call, words):
    from proofs.stats import NoEvidence
    w = _context(sp.Eq((a_ + b_) ** 2, a_ ** 2 + b_ ** 2))
    with pytest.raises(NoEvidence, match=re.escape(words)):
        call(w)


def test_statement_not_a_number_at_the_point():
    from proofs.stats import NoEvidence
    w = _context(sp.Eq(1 / (a_ - b_), 1 / (b_ - a_)))
    with pytest.raises(NoEvidence, match=r"the left side of .* is zoo"):
        w.exact({a_: 2, b_: 2})
    with pytest.raises(NoEvidence, match="the residual of"):
        w.estimate({a_: 2.0}, {a_: 0.1}, at={b_: 2}, n=9)


def test_real_bools_pass_and_check_observations():
    from proofs.stats import NoEvidence
    from proofs.witness import Observation, check_observations
    w = _context(sp.Eq((a_ + b_) ** 2, a_ ** 2 + 2 * a_ * b_ + b_ ** 2))
    for h in (True, np.bool_(False), sp.true, np.float64(1.0) > 0):
        assert type(w.observe(h, "x").holds) is bool
    o = w.exact({a_: 1, b_: 2})
    assert check_observations(o) == [o] and o.holds is True
    o.holds = float("nan")
    with pytest.raises(NoEvidence, match="holds is nan"):
        check_observations([o])
    with pytest.raises(NoEvidence):
        Observation(np.nan, "made by hand")
    with pytest.raises(TypeError, match="must return an Observation"):
        check_observations([])


def test_expectation_estimates_refuse_diverged_runs():
    from proofs.stats import NoEvidence
    runs = np.array([1.0, np.inf, 2.0])
    with pytest.raises(NoEvidence, match="the samples of x contain"):
        expectation_estimates(sp.Eq(E(x), c), {x: runs})
    with pytest.raises(NoEvidence, match=r"the values of 1/x over the runs"):
        expectation_estimates(sp.Eq(E(1 / x), c), {x: np.array([1.0, 0.0, 2.0])})


def test_rng_marks_the_witness_stochastic():
    w = _context(sp.Eq(a_, a_, evaluate=False))
    assert not w.stochastic
    first = w.rng.random()
    assert w.stochastic and w.rng.random() != first       # one stream, made once
    w2 = _context(sp.Eq(a_, a_, evaluate=False))
    assert w2.seed == 0 and w2.stochastic
