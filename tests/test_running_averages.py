"""Running averages on the SGD slides (``derivations/running_averages.py``): the two sign errata of slide
"Running Averages" (explicit sum, series of weights) with their corrections, the window approximation, and
wrong variants caught by the engine and the witnesses. Problem 1's variance claims are checked by
``tests/test_catalog.py`` and their wrong variants by ``tests/test_variants_running_momentum.py``."""
from fractions import Fraction

import pytest
import sympy as sp

from derivations import running_averages as m
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

SRC = Source(m.SLIDES, "wrong variant")
CATALOG = [m.explicit_sum, m.explicit_sum_corrected, m.weights_series, m.weights_series_corrected,
           m.window_approximation]


@pytest.mark.parametrize("c", CATALOG, ids=lambda c: c.id)
def test_catalog_claim_verdict_and_witnesses(c):
    r = check_claim(c, seed=0)
    assert r.verdict == c.expected.value, r.message
    assert r.witnesses and all(w.verdict == "agrees" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert not r.loud


def test_erratum_explicit_sum_exponent_sign():
    r = check_claim(m.explicit_sum, seed=0)
    # the induction hypothesis is in scope only inside the inductive step (d.induction), so the stated result is
    # not decided directly from the givens; the witness observes it fail
    assert r.verdict == "refuted" and r.result_verdict != "proved"
    assert r.steps[r.first_failing_step - 1].label == "explicit sum"
    assert all(s.verdict == "proved" for s in r.steps[:r.first_failing_step - 1])   # base case etc. hold
    assert r.counterexample is not None
    w = r.witnesses[0]
    assert w.observed == "fails" and "fails first at t =" in w.detail
    fix = check_claim(m.explicit_sum_corrected, seed=0)
    assert fix.verdict == "proved" and fix.witnesses[0].observed == "holds"
    assert m.explicit_sum_corrected.corrects == m.explicit_sum.id


def test_erratum_weights_series_diverges():
    r = check_claim(m.weights_series, seed=0)
    assert r.verdict == "refuted" and r.first_failing_step == 1
    assert r.witnesses[0].observed == "fails" and "37/9" in r.witnesses[0].detail   # 1 + 4/3 + 16/9 > 4
    fix = check_claim(m.weights_series_corrected, seed=0)
    assert fix.verdict == "proved" and fix.witnesses[0].observed == "holds"
    assert m.weights_series_corrected.corrects == m.weights_series.id


def test_iterated_weights_match_the_corrected_sum():
    """Independent of the engine: the weight of x_s in mu_t is (1/N)(1 - 1/N)^(t-s)."""
    N, t = 5, 7
    for s in range(1, t + 1):
        xs = [Fraction(int(k == s)) for k in range(1, t + 1)]
        assert m.iterate_running_average(N, xs)[t] == Fraction(1, N) * (1 - Fraction(1, N)) ** (t - s)


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
@claim(id="variant.running_average.explicit_sum_off_by_one", title="weights (1 - 1/N)^(t-s+1)", source=SRC,
       expected="refuted", witnesses=[(m._explicit_sum_iterates, "exact")])
def explicit_sum_off_by_one(d):
    """The corrected chain with the last line's exponent shifted: the slip is in the final 'join' line."""
    rho, N = m._rho_and_N(d)
    t = d.symbol("t", integer=True, positive=True)
    s = d.symbol("s", integer=True, positive=True)
    x = d.indexed("x")
    mu_prev, mu_t = d.symbols("mu_{t-1} mu_t", real=True)

    r = 1 - 1 / N
    upd = d.given(sp.Eq(mu_t, r * mu_prev + x[t] / N))
    hyp = d.assume(sp.Eq(mu_prev, sp.Sum(r ** (t - 1 - s) * x[s], (s, 1, t - 1)) / N))
    (d.chain(mu_t, using=[upd])
     .eq(r * mu_prev + x[t] / N)
     .eq(r * sp.Sum(r ** (t - 1 - s) * x[s], (s, 1, t - 1)) / N + x[t] / N, using=[hyp])
     .eq(sp.Sum(r ** (t - s + 1) * x[s], (s, 1, t)) / N, rule="join (slip: exponent t - s + 1)"))
    d.statement(sp.Eq(mu_t, sp.Sum(r ** (t - s + 1) * x[s], (s, 1, t)) / N))


@claim(id="variant.running_average.window_gap_off_by_one", title="gap -(1 - 1/N)^(t+1) c", source=SRC,
       expected="refuted", witnesses=[(m._window_vs_running, "exact")])
def window_gap_off_by_one(d):
    rho, N = m._rho_and_N(d)
    t = d.symbol("t", integer=True, positive=True)
    c = d.symbol("c", real=True)
    mh, mt = d.symbols("mu^_t mu~_t", real=True)
    r = 1 - 1 / N
    closed = d.given(sp.Eq(mh, (1 - r ** t) * c))
    win = d.given(sp.Eq(mt, c))
    d.step((sp.Eq(mh - mt, -r ** (t + 1) * c), sp.Eq(sp.Limit(mh - mt, t, sp.oo), 0)), using=[closed, win],
           rule="subtract (slip)")
    d.statement((sp.Eq(mh - mt, -r ** (t + 1) * c), sp.Eq(sp.Limit(mh - mt, t, sp.oo), 0)))


VARIANTS = [(explicit_sum_off_by_one, 3), (window_gap_off_by_one, 1)]


@pytest.mark.parametrize("v,step", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_wrong_variant_refuted_and_flagged(v, step):
    assert_caught(check_claim(v, seed=0), step)


def test_x_t_sampled_consistently_with_the_sum_entries():
    """Regression (was an engine gap): x[t] must take the value of x[k] at the sampled t = k, otherwise true
    sum identities get spurious counterexamples."""
    @claim(id="test.x_t_consistency", title="t", source=SRC)
    def c(d):
        t = d.symbol("t", integer=True, positive=True)
        s = d.symbol("s", integer=True, positive=True)
        x = d.indexed("x")
        rel = sp.Eq(sp.Sum(x[s], (s, 1, t - 1)) + sp.Sum(x[s], (s, t, t)), sp.Sum(x[s], (s, 1, t - 1)) + x[t])
        d.step(rel, using=[])
        d.statement(rel)
    assert check_claim(c).verdict == "proved"
