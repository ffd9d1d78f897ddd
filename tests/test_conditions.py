"""Side conditions are explicit obligations, decided under the assumptions (with reparametrisation)."""
import sympy as sp

from proofs.conditions import decide_condition, denominators
from proofs.context import CheckContext
from proofs.sampling import PointSampler

N = sp.Symbol("N", integer=True, positive=True)
rho = sp.Symbol("rho", positive=True)
x = sp.Symbol("x", real=True)
B = {rho: (sp.Integer(0), sp.Integer(1))}


def ctx(bounds=None):
    return CheckContext(sampler=PointSampler(bounds or {}, seed=3), bounds=bounds or {})


def test_nonzero_by_integer_reparametrisation():
    assert decide_condition(2 - 1 / N, "!=", ctx()).verdict == "proved"


def test_nonzero_refuted_at_admissible_point():
    r = decide_condition(N - 1, "!=", ctx())
    assert r.verdict == "refuted" and "N=1" in r.detail


def test_bounded_parameter():
    assert decide_condition(1 - rho, ">", ctx(B)).verdict == "proved"
    assert decide_condition(1 - rho ** 2, ">", ctx(B)).verdict == "proved"
    # without the bound, 1 - rho > 0 is not provable, and a point with rho > 1 refutes it
    assert decide_condition(1 - rho, ">", ctx()).verdict == "refuted"


def test_undecidable_stays_unproved():
    assert decide_condition(x, "!=", ctx()).verdict in ("refuted", "unproved")
    assert decide_condition(sp.sin(x) + 2, ">", ctx()).verdict in ("proved", "unproved")


def test_nonnegative_square():
    assert decide_condition(x ** 2, ">=", ctx()).verdict == "proved"


def test_denominators_found():
    assert set(denominators(1 / (N - 1) + x / (2 * N + 1))) == {N - 1, 2 * N + 1}


def test_closed_interval_ends_are_checked_exactly():
    beta = sp.Symbol("beta", nonnegative=True)
    c = CheckContext(sampler=PointSampler({beta: (sp.Integer(0), sp.Integer(1))}, seed=3,
                                          closed={beta: (True, True)}),
                     bounds={beta: (sp.Integer(0), sp.Integer(1))}, closed={beta: (True, True)})
    assert decide_condition(beta, ">", c).verdict == "refuted"          # beta = 0 is admissible
    assert decide_condition(beta, ">=", c).verdict == "proved"
    assert decide_condition(2 - beta, ">", c).verdict == "proved"      # holds at both ends too
    assert decide_condition(1 - beta, ">", c).verdict == "refuted"     # fails at beta = 1
