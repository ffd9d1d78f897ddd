"""NaN is evidence of nothing (issue 9): a witness that measures NaN, an infinity or a complex number, or whose
``holds`` is not True or False, is a witness ``error`` with a one-line reason naming the quantity; never
"fails" (a NaN compares false, which used to confirm a refuted claim) and never "holds".

Each case is a derivation file a user would write: the claim under test, and beside it an ordinary claim whose
exact witness agrees (it must still be checked). The file runs through the real command line; a witness error
does not pass, so the exit code is 1.
"""
from __future__ import annotations

import json
import textwrap

import pytest

HEADER = '''\
import fractions
import math

import numpy as np
import sympy as sp

from proofs import Source, claim
from proofs.stats import mean_se


@claim(id="demo.square", title="Square of a sum", source=Source("notes.txt", "eq. (1)"))
def square(d):
    a, b = d.symbols("a b", real=True)
    d.chain((a + b)**2).eq(a**2 + 2*a*b + b**2, rule="expand")
    d.statement(sp.Eq((a + b)**2, a**2 + 2*a*b + b**2))


@square.witness("exact")
def square_numbers(w):
    return w.exact({w.S.a: fractions.Fraction(2, 3), w.S.b: fractions.Fraction(-5, 7)})


@claim(id="demo.mean", title="Mean of a sample", source=Source("notes.txt", "eq. (2)"))
def mean(d):
    m, mu = d.symbols("m mu", real=True)
    g = d.given(sp.Eq(m, mu))
    d.chain(m, using=[g]).eq(mu, rule="given")
    d.statement(sp.Eq(m, mu))


@claim(id="demo.wrong_square", title="Square of a sum, as misprinted", source=Source("notes.txt", "eq. (3)"),
       expected="refuted")
def wrong_square(d):
    a, b = d.symbols("a b", real=True)
    d.chain((a + b)**2).eq(a**2 + b**2, rule="expand")
    d.statement(sp.Eq((a + b)**2, a**2 + b**2))


@claim(id="demo.ratio", title="A ratio", source=Source("notes.txt", "eq. (4)"), expected="refuted")
def ratio(d):
    a, b = d.symbols("a b", real=True)
    d.assume(sp.Ne(a, b))
    d.chain(1 / (a - b)).eq(1 / (b - a), rule="oops")
    d.statement(sp.Eq(1 / (a - b), 1 / (b - a)))

'''


@pytest.fixture
def check(write, run_cli):
    """``check(witness_code)``: the corpus file with ``witness_code`` appended, checked through the CLI (JSON);
    returns (completed process, {claim id: claim dict})."""
    def run(code: str, fmt: str = "json"):
        path = write("nan_claims.py", HEADER + textwrap.dedent(code))
        proc = run_cli("check", "--no-cache", "-j", "1", "--format", fmt, path)
        if fmt != "json":
            return proc, None
        assert proc.stdout.strip(), proc.stderr
        return proc, {c["id"]: c for c in json.loads(proc.stdout)["claims"]}
    return run


def assert_no_evidence(proc, claims, claim_id: str, witness: str, *words: str) -> None:
    """The witness is an error with one line naming the quantity; the claim does not pass; the ordinary claim
    beside it was checked and agrees; the exit code is 1."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-2000:])
    c = claims[claim_id]
    w = next(x for x in c["witnesses"] if x["name"] == witness)
    assert w["verdict"] == "error", w                       # not agrees, not disagrees
    assert w["observed"] is None                            # neither "holds" nor "fails"
    detail = w["detail"]
    assert "\n" not in detail and len(detail) < 400, detail
    assert f"{claim_id}: witness {witness}:" in detail and "evidence of nothing" in detail, detail
    for word in words:
        assert word in detail, (word, detail)
    assert not c["loud"]                                    # no "witness observed the statement fails" alarm
    sq = claims["demo.square"]                              # the other claim of the file was still checked
    assert sq["verdict"] == "proved"
    assert [x["verdict"] for x in sq["witnesses"] if x["name"] != witness] == ["agrees"]
    assert claims["demo.mean"]["verdict"] == "proved"


# -- w.estimate ---------------------------------------------------------------------------------------------

def test_estimate_nan_on_a_refuted_claim_does_not_confirm_it(check):
    """The NaN residual used to read as |z| = inf > 4.42, "fails", which agreed with the refutation."""
    proc, claims = check('''
        @wrong_square.witness("monte-carlo")
        def runs(w):
            return w.estimate({w.S.a: float("nan"), w.S.b: 1.0}, {w.S.a: 0.1, w.S.b: 0.1}, n=100)
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "runs", "the estimate of a is nan")
    assert claims["demo.wrong_square"]["verdict"] == "refuted"   # the symbolic verdict stands, unconfirmed


def test_estimate_nan_on_a_proved_claim_is_an_error_not_a_disagreement(check):
    proc, claims = check('''
        @mean.witness("monte-carlo")
        def runs(w):
            xs = np.array([1.0, 2.0, np.nan])
            return w.estimate({w.S.m: xs.mean()}, {w.S.m: 0.1}, at={w.S.mu: 1}, n=3)
    ''')
    assert_no_evidence(proc, claims, "demo.mean", "runs", "the estimate of m is nan")


def test_estimate_nan_standard_error(check):
    """A NaN SE used to give "0 +- nan, |z| = 0.00", i.e. holds."""
    proc, claims = check('''
        @mean.witness("monte-carlo")
        def runs(w):
            return w.estimate({w.S.m: 1.0}, {w.S.m: np.float64("nan")}, at={w.S.mu: 1}, n=3)
    ''')
    assert_no_evidence(proc, claims, "demo.mean", "runs", "the standard error of m is nan")


def test_estimate_infinite_standard_error_does_not_hold_trivially(check):
    proc, claims = check('''
        @wrong_square.witness("monte-carlo")
        def runs(w):
            return w.estimate({w.S.a: 1.0, w.S.b: 1.0}, {w.S.a: math.inf, w.S.b: 0.1}, n=1)
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "runs", "the standard error of a is inf")


def test_estimate_complex_value(check):
    proc, claims = check('''
        @mean.witness("monte-carlo")
        def runs(w):
            return w.estimate({w.S.m: np.sqrt(np.complex128(-1.0))}, {w.S.m: 0.1}, at={w.S.mu: 1}, n=3)
    ''')
    assert_no_evidence(proc, claims, "demo.mean", "runs", "the estimate of m is complex")


def test_estimate_predicted_value_nan_where_the_statement_divides_by_zero(check):
    """Finite estimates, but the statement's other side is 1/0 at the witness's point: the residual (and the
    predicted value) is not a number."""
    proc, claims = check('''
        @ratio.witness("monte-carlo")
        def runs(w):
            return w.estimate({w.S.a: 2.0}, {w.S.a: 0.1}, at={w.S.b: 2}, n=100)
    ''')
    assert_no_evidence(proc, claims, "demo.ratio", "runs", "the residual of")


def test_diverged_samples_in_mean_se(check):
    """A simulation that diverged (inf, then inf - inf = nan) is refused where its samples are averaged."""
    proc, claims = check('''
        @mean.witness("monte-carlo")
        def runs(w):
            x = w.rng.normal(1.0, 1.0, 1000)
            x[17] = np.inf
            est, se = mean_se(x)
            return w.estimate({w.S.m: est}, {w.S.m: se}, at={w.S.mu: 1}, n=x.size)
    ''')
    assert_no_evidence(proc, claims, "demo.mean", "runs", "non-finite", "at [17]")


# -- w.exact ------------------------------------------------------------------------------------------------

def test_exact_float_nan_was_read_as_zero(check):
    """``sp.Rational(float("nan"))`` is 0: the witness used to report "holds exactly at a=0"."""
    proc, claims = check('''
        @wrong_square.witness("exact")
        def numbers(w):
            return w.exact({w.S.a: float("nan"), w.S.b: 0})
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "numbers", "the value of a is nan")


@pytest.mark.parametrize("value, shown", [("sp.nan", "nan"), ("sp.zoo", "zoo"), ("sp.oo", "oo"),
                                          ("sp.I", "complex")])
def test_exact_sympy_non_numbers(check, value, shown):
    proc, claims = check(f'''
        @wrong_square.witness("exact")
        def numbers(w):
            return w.exact({{w.S.a: {value}, w.S.b: 1}})
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "numbers", f"the value of a is {shown}")


def test_exact_side_is_zoo_at_the_point(check):
    """At a = b both sides are 1/0 = zoo: that is not a point where the refuted statement fails."""
    proc, claims = check('''
        @ratio.witness("exact")
        def numbers(w):
            return w.exact({w.S.a: 3, w.S.b: 3})
    ''')
    assert_no_evidence(proc, claims, "demo.ratio", "numbers", "side of", "is zoo")


# -- w.close ------------------------------------------------------------------------------------------------

def test_close_nan_value(check):
    proc, claims = check('''
        @wrong_square.witness("finite-difference")
        def floats(w):
            return w.close({w.S.a: np.nan, w.S.b: 1.0}, {w.S.a: 1e-12, w.S.b: 1e-12})
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "floats", "the value of a is nan")


def test_close_infinite_error_bound_does_not_hold_trivially(check):
    proc, claims = check('''
        @wrong_square.witness("finite-difference")
        def floats(w):
            return w.close({w.S.a: 1.0, w.S.b: 1.0}, {w.S.a: float("inf"), w.S.b: 1e-12})
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "floats", "the error bound of a is inf")


# -- w.observe and Observation ------------------------------------------------------------------------------

def test_observe_nan_holds_on_a_proved_claim(check):
    """``bool(nan)`` is True: the witness used to "agree" with the proof."""
    proc, claims = check('''
        @square.witness("simulation")
        def decided(w):
            return w.observe(np.nan, "the run's comparison gave nan")
    ''')
    assert_no_evidence(proc, claims, "demo.square", "decided", "holds is nan", "not True or False")


def test_observe_nan_holds_on_a_refuted_claim(check):
    proc, claims = check('''
        @wrong_square.witness("simulation")
        def decided(w):
            return w.observe(float("nan"), "the run's comparison gave nan")
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "decided", "holds is nan")


def test_observe_number_as_holds(check):
    proc, claims = check('''
        @wrong_square.witness("simulation")
        def decided(w):
            gap = np.float64(0.0)
            return w.observe(gap, "passed the gap instead of a comparison")
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "decided", "holds is np.float64(0.0)", "not True or False")


def test_observe_nan_estimate(check):
    proc, claims = check('''
        @mean.witness("simulation")
        def decided(w):
            return w.observe(False, "the estimate is off", estimate=float("nan"), se=0.1, predicted=1.0)
    ''')
    assert_no_evidence(proc, claims, "demo.mean", "decided", "the observation's estimate is nan")


def test_holds_set_to_nan_after_the_observation(check):
    """The engine checks what it is handed, not only what w.observe built."""
    proc, claims = check('''
        @wrong_square.witness("simulation")
        def decided(w):
            o = w.exact({w.S.a: 1, w.S.b: 1})
            o.holds = float("nan")
            return o
    ''')
    assert_no_evidence(proc, claims, "demo.wrong_square", "decided", "holds is nan")


def test_one_nan_observation_among_good_ones(check):
    """A list with one NaN observation is an error as a whole, and a good witness of the claim still agrees."""
    proc, claims = check('''
        @square.witness("exact")
        def more_numbers(w):
            return w.exact({w.S.a: 1, w.S.b: 2})

        @square.witness("monte-carlo")
        def mixed(w):
            good = w.exact({w.S.a: 3, w.S.b: 4})
            return [good, w.estimate({w.S.a: 1.0, w.S.b: float("nan")}, {w.S.a: 0.1, w.S.b: 0.1}, n=10)]
    ''')
    assert proc.returncode == 1
    ws = {w["name"]: w for w in claims["demo.square"]["witnesses"]}
    assert ws["square_numbers"]["verdict"] == ws["more_numbers"]["verdict"] == "agrees"
    assert ws["mixed"]["verdict"] == "error" and "the estimate of b is nan" in ws["mixed"]["detail"]


def test_text_report_names_the_quantity_on_one_line(check):
    proc, _ = check('''
        @wrong_square.witness("monte-carlo")
        def runs(w):
            return w.estimate({w.S.a: float("nan"), w.S.b: 1.0}, {w.S.a: 0.1, w.S.b: 0.1}, n=100)
    ''', fmt="text")
    assert proc.returncode == 1, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if "witness runs error" in ln]
    assert len(lines) == 1, proc.stdout
    assert "demo.wrong_square: witness runs: NoEvidence: the estimate of a is nan" in lines[0]
    assert "demo.square" in proc.stdout and "agrees" in proc.stdout
