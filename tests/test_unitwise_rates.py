"""Exercise 3 of week 5 (unitwise learning rates): every iterate, the two errata (the sentence after (13) and the
middle expression of Delta w_2 in (f)), the processes themselves, and wrong variants."""
from fractions import Fraction as F

import pytest
import sympy as sp

import derivations.unitwise_rates as U
from proofs import Source, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught

R = sp.Rational
CATALOG = [U.gradient, U.gd_iterates, U.better_eta, U.unitwise_iterates, U.unitwise_one_step, U.momentum_iterates,
           U.momentum_observation, U.momentum_observation_corrected, U.momentum_limit, U.momentum_limit_corrected]


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


def test_processes():
    assert U.gradient_descent((10, 10), (F(1, 10), F(1, 10)), 4)[1:] == [
        (F(99, 10), F(5, 2)), (F(98, 10), F(-5)), (F(97, 10), F(5, 2)), (F(96, 10), F(-5))]
    ws = U.gradient_descent((10, 10), (F(10, 75), F(10, 75)), 76)
    assert ws[1][1] == 0 and ws[74][0] == F(2, 15) and ws[75] == (0, 0)
    assert U.gradient_descent((10, 10), (F(1), F(1, 75)), 4)[4] == (6, 6)
    assert U.gradient_descent((10, 10), (F(10), F(10, 75)), 1)[1] == (0, 0)
    ws, ds = U.momentum((10, 10), F(1, 5), F(1, 2), 3)
    assert ws[1:] == [(F(49, 5), F(-5)), (F(19, 2), F(5, 2)), (F(183, 20), F(-35, 4))]
    assert [abs(d[1]) for d in ds[1:]] == [15, F(15, 2), F(45, 4)]


def test_every_written_iterate_is_a_checked_step(results):
    r = results["unitwise_rates.gd_iterates"]
    for lab in ("(3)", "(4)", "(5)", "(6)"):
        assert _step(r, lab).verdict == "proved" and _step(r, lab + ", gradient step").verdict == "proved"
    r = results["unitwise_rates.momentum_iterates"]
    assert all(_step(r, f"({k})").verdict == "proved" for k in (11, 12, 13))


def test_oscillation_sentence_fails_at_step_3(results):
    r = results["unitwise_rates.momentum_observation"]
    assert r.verdict == "refuted" and r.first_failing_step == _step(r, "w_2: t = 3").index
    assert all(_step(r, lab).verdict == "proved" for lab in ("w_1: t = 2", "w_1: t = 3", "w_2: t = 2"))
    assert r.witnesses[0].observed == "fails" and "|Delta w_2^(3)| < |Delta w_2^(2)|" in r.witnesses[0].detail
    fix = results["unitwise_rates.momentum_observation.corrected"]
    assert fix.verdict == "proved" and U.momentum_observation_corrected.corrects == U.momentum_observation.id


def test_limit_middle_expression_erratum(results):
    """(f): the middle expression of Delta w_2^(t) drops the factor 75; the limit (14) itself is right."""
    r = results["unitwise_rates.momentum_limit"]
    assert r.verdict == "refuted" and r.first_failing_step == _step(r, "Delta w_2, closed").index
    assert r.result_verdict == "proved", r.message
    assert _step(r, "Delta w_2, sum").verdict == "proved" and _step(r, "Delta w_1, closed").verdict == "proved"
    assert "closed form gives" in r.witnesses[0].detail
    fix = results["unitwise_rates.momentum_limit.corrected"]
    assert fix.verdict == "proved" and fix.witnesses[0].observed == "holds"


def test_limit_by_simulation():
    eta, alpha = F(1, 5), F(1, 2)
    d1 = d2 = F(0)
    for t in range(101):
        d1 = -eta + alpha * d1
        d2 = -eta * (75 if t % 2 == 0 else -75) + alpha * d2
    assert abs(d1 + eta / (1 - alpha)) < F(1, 10 ** 25) and abs(d2 + 75 * eta / (1 + alpha)) < F(1, 10 ** 25)


# ------------------------------------------------------------------------------------------------
# wrong variants
# ------------------------------------------------------------------------------------------------
SRC = Source(U.WEEK5, "Exercise 3, wrong variant")


@claim(id="variant.unitwise_rates.gd_sign_slip", title="(5) with the gradient sign of w_2 flipped (propagates to "
       "w^(3) = (9.7, -12.5))", source=SRC, expected="refuted",
       witnesses=[(U._iterates_witness((F(1, 10), F(1, 10)), 4, "gradient descent, eta = 0.1"), "exact")])
def gd_sign_slip(d):
    written = [((10, 1), (10, 75), (R(99, 10), R(5, 2))), ((R(99, 10), 1), (R(5, 2), 75), (R(98, 10), -5)),
               ((R(98, 10), 1), (-5, 75), (R(97, 10), -R(25, 2))),
               ((R(97, 10), 1), (-R(25, 2), -75), (R(96, 10), -5))]
    w1, w2, facts = U._gd_derivation(d, (R(1, 10), R(1, 10)), written, ["(3)", "(4)", "(5)", "(6)"], 4)
    U._statement_of(d, w1, w2, facts, 4)


@claim(id="variant.unitwise_rates.w1_after_74", title="eta = 10/75: w_1 at 0 already after 74 steps (off by one)",
       source=SRC, expected="refuted", witnesses=[(U._better_eta_run, "exact")])
def w1_after_74(d):
    eta = d.symbol("eta", positive=True)
    t = d.symbol("t", bounds=(0, 75))
    w2_1, w1_74 = d.symbols("w_2^(1) w_1^(74)", real=True)
    rate = d.given(U.Eq(eta, R(10, 75)))
    s21 = d.chain(w2_1, using=[d.given(U.Eq(w2_1, 10 - eta * 75 * sp.sign(10))), rate]).eq(0, label="w_2^(1)")
    f74 = d.chain(w1_74, using=[d.given(U.Eq(w1_74, sp.Subs(10 - eta * t, t, 74))), rate]).eq(0, label="w_1^(74)")
    stmt = (U.Eq(w2_1, 0), U.Eq(w1_74, 0))
    d.step(stmt, rule="collect", using=[s21.fact, f74.fact])
    d.statement(stmt)


VARIANTS = [(gd_sign_slip, "(5), gradient step"), (w1_after_74, "w_1^(74)")]


@pytest.mark.parametrize("v, label", VARIANTS, ids=[v.id for v, _ in VARIANTS])
def test_variant_refuted_at_the_broken_step_and_flagged(v, label):
    r = check_claim(v, seed=0)
    assert_caught(r, _step(r, label).index)


@pytest.mark.parametrize("cid,iterates", [
    ("unitwise_rates.gd_iterates", [(10, 10), (9.9, 2.5), (9.8, -5), (9.7, 2.5), (9.6, -5)]),
    ("unitwise_rates.momentum_iterates", [(10, 10), (9.8, -5), (9.5, 2.5), (9.15, -8.75)]),
    ("unitwise_rates.unitwise_iterates", [(10, 10), (9, 9), (8, 8), (7, 7), (6, 6)]),
])
def test_iterates_figure_over_the_level_sets(cid, iterates, results):
    from proofs.figure import Figure
    (w,) = results[cid].witnesses
    (d,) = w.figures
    fig = Figure.from_dict(d)
    path, joined, start, *levels = fig.series
    assert (path.style, joined.style, start.style) == ("points", "solid", "points")
    assert path.label == joined.label and list(zip(path.x, path.y)) == iterates == list(zip(joined.x, joined.y))
    assert list(zip(start.x, start.y)) == iterates[:1]
    assert levels and all(s.style == "dotted" and s.label == levels[0].label for s in levels)
    E = [abs(x) + 75 * abs(y) for x, y in iterates]
    for s in levels:                                   # pieces of the level set |w_1| + 75 |w_2| = E(w^(t)) of an
        c = abs(s.x[0]) + 75 * abs(s.y[0])             # iterate, on its side of the valley, across the iterates
        assert all(abs(x) + 75 * abs(y) == pytest.approx(c, rel=1e-5) for x, y in zip(s.x, s.y))
        assert any(c == pytest.approx(e, rel=1e-5) for e in E)
        assert min(s.x) < min(x for x, _ in iterates) and max(s.x) > max(x for x, _ in iterates)
    assert [(m.axis, m.at) for m in fig.marks] == [("y", 0.0)]
