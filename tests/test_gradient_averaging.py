"""Exercise 1 of week 5 (averaging of stochastic gradients): catalog verdicts, the erratum in (f)
("the most recent n = rho^{1/(1-rho)} samples"), and wrong variants (user-style claims defined here,
reusing the catalog's witnesses)."""
from fractions import Fraction

import pytest
import sympy as sp

import derivations.gradient_averaging as G
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

CATALOG = [G.means, G.mean_squares, G.ratios, G.constant_input_limit, G.exponential_weights, G.old_samples_share,
           G.old_samples_share_value, G.time_constant_limit, G.recent_samples_share, G.recent_samples_share_corrected,
           G.window_length]


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


def test_series_as_listed():
    assert G.observed_series(1)[:4] == [Fraction(11, 10), Fraction(9, 10)] * 2
    assert G.observed_series(3)[:5] == [Fraction(11, 10), 0, Fraction(-9, 10), 0, Fraction(11, 10)]
    assert len(G.observed_series(2)) == 100


def test_means_and_squares_from_the_series():
    for k, mean, sq in ((1, Fraction(1), Fraction(101, 100)), (2, Fraction(1, 10), Fraction(1, 100)),
                        (3, Fraction(1, 20), Fraction(101, 200))):
        xs = G.observed_series(k)
        assert sum(xs) / 100 == mean and sum(x * x for x in xs) / 100 == sq


def test_ratio_precision_is_checked(results):
    r = results["gradient_averaging.ratios"]
    assert _step(r, "ratio 1 = 0.99").verdict == "proved"
    assert _step(r, "ratio 3 = 0.1").verdict == "proved"


def test_recent_samples_erratum_located(results):
    r = results["gradient_averaging.recent_samples_share"]
    assert r.verdict == "refuted" and r.first_failing_step == _step(r, "limit").index
    assert r.result_verdict == "refuted"                       # the sentence's claim itself is false
    assert r.counterexample is not None and r.counterexample.lhs == "0"
    assert r.witnesses[0].observed == "fails"
    fix = results["gradient_averaging.recent_samples_share.corrected"]
    assert fix.verdict == "proved" and G.recent_samples_share_corrected.corrects == G.recent_samples_share.id


def test_recent_window_counts_by_running():
    """The share of the most recent 1/(1-rho) samples is 1 - rho^{1/(1-rho)} -> 1 - 1/e; rho^{1/(1-rho)} samples
    (0.366 at rho = 0.99, i.e. at most one sample) carry only 1 - rho = 0.01."""
    rho = Fraction(99, 100)
    recent_100 = G.running_average(rho, [Fraction(1)] * 100)[-1]
    assert abs(float(recent_100) - (1 - 0.99 ** 100)) < 1e-15
    assert abs(float(recent_100) - 0.632) < 0.002
    one = G.running_average(rho, [Fraction(1)])[-1]
    assert one == Fraction(1, 100)


def test_old_share_value(results):
    r = results["gradient_averaging.old_samples_share_value"]
    assert "0.366" in r.statement and r.verdict == "proved"
    assert abs(0.99 ** 100 - 0.366) < 0.0005


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
SRC = Source(G.WEEK5, "Exercise 1, wrong variant")


@claim(id="variant.gradient_averaging.grouping_count", title="<g_1> with 25 repetitions of the period (changed "
       "constant)", source=SRC, expected="refuted", witnesses=[(G._means_from_series, "exact")])
def grouping_count(d):
    i = d.symbol("i", integer=True, positive=True)
    g1, g2, g3 = d.symbols("<g_1> <g_2> <g_3>", real=True)
    data = G._data_given(d, g1, 1)
    ch = (d.chain(g1, using=[data])
          .eq(sp.Sum(G._plus(sp.Rational(11, 10), sp.Rational(9, 10)), (i, 1, 25)) / 100, rule="grouping",
              label="<g_1>, grouping")
          .eq(sp.Rational(1, 2), rule="arithmetic", label="<g_1>, value"))
    stmt = (sp.Eq(g1, sp.Rational(1, 2)), sp.Eq(g2, sp.Rational(1, 10)), sp.Eq(g3, sp.Rational(1, 20)))
    d.step(stmt, rule="collect", using=[ch.fact, d.given((sp.Eq(g2, sp.Rational(1, 10)), sp.Eq(g3, sp.Rational(1, 20))))])
    d.statement(stmt)


@claim(id="variant.gradient_averaging.old_share_exponent", title="the geometric sum with rho^99 in line 3 (a slip "
       "in the middle that propagates)", source=SRC, expected="refuted",
       witnesses=[(G._share_by_running, "exact")])
def old_share_exponent(d):
    rho = d.symbol("rho", bounds=(0, 1))
    u = d.symbol("u", positive=True)
    k = d.symbol("k", integer=True, nonnegative=True)
    S, T = d.symbol("sum_{k>=0} rho^k", positive=True), d.symbol("sum_{k>=100} rho^k", positive=True)
    d.unknowns(S, T)
    series_ = d.given((G.Eq(S, 1 + rho * S), G.Eq(T, S - G.geo(rho ** k, k, 0, 99))))
    param = d.given(G.Eq(rho, 1 / (1 + u)))
    ch = (d.chain((1 - rho) * T / ((1 - rho) * S))
          .eq((1 - rho) * T, using=[series_], label="line 1")
          .eq(1 - (1 - rho) * G.geo(rho ** k, k, 0, 99), using=[series_, param], label="line 2")
          .eq(1 - (1 - rho) * ((1 - rho ** 99) / (1 - rho)), rule="geometric series (slip)", using=[param],
              label="line 3")
          .eq(rho ** 99, rule="cancel", label="line 4"))
    d.statement(ch.fact.relation)


@claim(id="variant.gradient_averaging.window_rho", title="rho = 0.999 for a 100-sample window (changed constant)",
       source=SRC, expected="refuted", witnesses=[(G._window_by_running, "simulation")])
def window_rho(d):
    rho = d.symbol("rho", bounds=(0, 1))
    rho100 = d.symbol("rho_100", real=True)
    S = d.symbol("sum_{k>=0} rho^k", positive=True)
    d.unknowns(S, rho100)
    series_ = d.given(G.Eq(S, 1 + rho * S))
    ch = d.chain((1 - rho) * S / (1 - rho), using=[series_]).eq(1 / (1 - rho), label="window length")
    want = d.given(G.Eq(1 / (1 - rho100), 100))
    pick = d.step(G.Eq(rho100, sp.Rational(999, 1000)), rule="solve for rho", using=[want], label="solve")
    stmt = (ch.fact.relation, G.Eq(rho100, sp.Rational(999, 1000)))
    d.step(stmt, rule="collect", using=[series_, pick])
    d.statement(stmt)


VARIANTS = [(grouping_count, "<g_1>, grouping"), (old_share_exponent, "line 3"), (window_rho, "solve")]


@pytest.mark.parametrize("v, label", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_variant_refuted_at_the_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    assert_caught(r, _step(r, label).index)


def test_window_figure_weights_from_an_impulse_and_the_claimed_window(results):
    from proofs.figure import Figure
    (w,) = results["gradient_averaging.window_length"].witnesses
    (d,) = w.figures
    fig = Figure.from_dict(d)
    weights, flat = fig.series
    assert weights.style == "solid" and "measured" in weights.label
    assert weights.x == list(range(500))
    for k in (0, 1, 50, 100, 499):                     # the weights (*) applies: (1 - rho) rho^k at rho = 0.99
        assert weights.y[k] == pytest.approx(0.01 * 0.99 ** k, rel=1e-5)
    assert flat.style == "dashed" and flat.x[1:] == pytest.approx([100, 100], rel=1e-6)
    assert flat.y == pytest.approx([0.01, 0.01, 0.0])
    (m,) = fig.marks
    assert m.axis == "x" and m.at == 100 and "claimed" in m.label
