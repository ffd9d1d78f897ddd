"""The engine on small derivations: chains, premises, conclusion, errata, bad input."""
from fractions import Fraction

import sympy as sp

from proofs import Source, claim
from proofs.engine import check_claim

SRC = Source("test.txt", "eq. (1)")


def run(c):
    return check_claim(c, seed=0)


def test_chain_proved_and_conclusion_checked():
    @claim(id="t.square", title="square", source=SRC)
    def c(d):
        a, b = d.symbols("a b", real=True)
        d.chain((a + b) ** 2).eq(a ** 2 + 2 * a * b + b ** 2, rule="expand")
        d.statement(sp.Eq((a + b) ** 2, a ** 2 + 2 * a * b + b ** 2))

    r = run(c)
    assert r.verdict == "proved"
    assert [s.verdict for s in r.steps] == ["proved", "proved"]
    assert r.steps[-1].rule == "conclusion"


def test_statement_not_established_by_steps_is_refuted_at_conclusion():
    @claim(id="t.concl", title="x", source=SRC, expected="refuted")
    def c(d):
        a, b = d.symbols("a b", real=True)
        d.chain((a + b) ** 2).eq(a ** 2 + 2 * a * b + b ** 2, rule="expand")
        d.statement(sp.Eq((a + b) ** 2, a ** 2 + b ** 2))

    r = run(c)
    assert r.verdict == "refuted"
    assert r.first_failing_step == 2 and r.steps[1].rule == "conclusion"
    assert r.counterexample is not None


def test_result_right_but_step_wrong_is_reported_as_such():
    @claim(id="t.midwrong", title="x", source=SRC, expected="refuted")
    def c(d):
        N = d.symbol("N", integer=True, positive=True)
        c_, y = d.symbol("c", real=True), d.symbol("y", real=True)
        d.unknowns(y)
        d.given(sp.Eq(y, (1 - 1 / N) * y + c_))
        d.step(sp.Eq(0, -y / N + 2 * c_), rule="subtract y (wrong: 2c)")
        d.step(sp.Eq(y, N * c_), rule="solve", using=[])  # correct result, stated without the wrong premise
        d.statement(sp.Eq(y, N * c_))

    r = run(c)
    assert r.verdict == "refuted" and r.first_failing_step == 1
    assert r.result_verdict == "proved"
    assert "the result holds (proved from the givens without it): only step 1 is wrong" in r.message


def test_premise_solved_for_unknown_records_side_condition():
    @claim(id="t.solve", title="x", source=SRC)
    def c(d):
        N = d.symbol("N", integer=True, positive=True)
        s2 = d.symbol("s2", positive=True)
        V = d.symbol("V", positive=True)
        d.unknowns(V)
        d.given(sp.Eq(V, (1 - 1 / N) ** 2 * V + s2 / N ** 2))
        d.step(sp.Eq(V, s2 / (2 * N - 1)), rule="solve")
        d.statement(sp.Eq(V, s2 / (2 * N - 1)))

    r = run(c)
    assert r.verdict == "proved"
    conds = [c.condition for c in r.steps[0].conditions]
    assert any("2*N - 1" in c for c in conds)
    assert all(c.verdict == "proved" for c in r.steps[0].conditions)


def test_undischarged_side_condition_makes_step_unproved():
    @claim(id="t.sidecond", title="x", source=SRC, expected="unproved")
    def c(d):
        x = d.symbol("x", real=True)
        d.chain(x * (x ** 2 - 1) / (x - 1)).eq(x * (x + 1), rule="cancel x - 1")
        d.statement(sp.Eq(x * (x ** 2 - 1) / (x - 1), x * (x + 1)))

    r = run(c)
    assert r.steps[0].verdict == "unproved"
    assert "x - 1 != 0" in r.steps[0].detail


def test_numeric_rule_uses_stated_precision():
    @claim(id="t.num", title="x", source=SRC)
    def c(d):
        d.approx(sp.Rational(99, 100) ** 100, "0.366")
        d.statement(sp.Eq(sp.Rational(99, 100) ** 100, sp.Rational(366, 1000), evaluate=False))

    r = run(c)
    assert r.steps[0].verdict == "proved"

    @claim(id="t.num2", title="x", source=SRC, expected="refuted")
    def c2(d):
        d.approx(sp.Rational(99, 100) ** 100, "0.38")
        d.statement(sp.Eq(sp.Rational(99, 100) ** 100, sp.Rational(38, 100), evaluate=False))

    assert run(c2).steps[0].verdict == "refuted"


def test_expectation_step():
    from proofs import Var

    @claim(id="t.var", title="x", source=SRC)
    def c(d):
        a, b = d.symbols("a b", real=True)
        sx, sy = d.symbols("sx sy", positive=True)
        x = d.random.scalar("x", mean=0, var=sx)
        y = d.random.scalar("y", mean=1, var=sy)
        d.chain(Var(a * x + b * y)).eq(a ** 2 * sx + b ** 2 * sy, rule="independence")
        d.statement(sp.Eq(Var(a * x + b * y), a ** 2 * sx + b ** 2 * sy))

    assert run(c).verdict == "proved"


# ---- bad input: one-line errors naming file, claim and step; never a raise ----

def test_builder_name_error():
    @claim(id="t.nameerror", title="x", source=SRC)
    def c(d):
        a = d.symbol("a")
        d.chain(a).eq(a)
        d.step(sp.Eq(a, undefined_symbol))  # noqa: F821

    r = run(c)
    assert r.verdict == "error"
    assert "t.nameerror" in r.message and "step 2" in r.message and "NameError" in r.message
    assert "\n" not in r.message


def test_step_that_is_a_string():
    @claim(id="t.string", title="x", source=SRC)
    def c(d):
        d.step("a + b = c")

    r = run(c)
    assert r.verdict == "error" and "string" in r.message and "step 1" in r.message


def test_step_that_is_an_expression_not_a_relation():
    @claim(id="t.expr", title="x", source=SRC)
    def c(d):
        a = d.symbol("a")
        d.step(a + 1)

    r = run(c)
    assert r.verdict == "error" and "not a relation" in r.message


def test_claim_without_steps():
    @claim(id="t.nosteps", title="x", source=SRC)
    def c(d):
        d.symbol("a")

    r = run(c)
    assert r.verdict == "error" and "no steps" in r.message


def test_witness_that_raises_is_reported_and_symbolic_verdict_kept():
    @claim(id="t.witraise", title="x", source=SRC)
    def c(d):
        a = d.symbol("a")
        d.chain(2 * a).eq(a + a)
        d.statement(sp.Eq(2 * a, a + a, evaluate=False))

    @c.witness("exact")
    def _boom(w):
        raise RuntimeError("simulation diverged")

    r = run(c)
    assert r.verdict == "proved"
    assert r.witnesses[0].verdict == "error"
    assert "t.witraise" in r.witnesses[0].detail and "simulation diverged" in r.witnesses[0].detail


def test_witness_disagreement_is_loud():
    @claim(id="t.loud", title="x", source=SRC)
    def c(d):
        a = d.symbol("a", real=True)
        d.chain(2 * a).eq(a + a)
        d.statement(sp.Eq(2 * a, a + a, evaluate=False))

    @c.witness("exact")
    def _wrong_process(w):
        return w.exact({w.S.a: Fraction(1, 3)}, relation=sp.Eq(w.S.a, 2 * w.S.a))

    r = run(c)
    assert r.witnesses[0].verdict == "disagrees" and r.loud


def test_witness_confirming_a_refutation_agrees():
    @claim(id="t.confirm", title="x", source=SRC, expected="refuted")
    def c(d):
        a, b = d.symbols("a b", real=True)
        d.chain((a + b) ** 2).eq(a ** 2 + b ** 2, rule="freshman's dream")
        d.statement(sp.Eq((a + b) ** 2, a ** 2 + b ** 2))

    @c.witness("exact")
    def _numbers(w):
        return w.exact({w.S.a: 1, w.S.b: 2})

    r = run(c)
    assert r.verdict == "refuted"
    assert r.witnesses[0].observed == "fails" and r.witnesses[0].verdict == "agrees"


def test_statement_that_collapses_to_a_boolean_is_a_clear_error():
    @claim(id="t.collapse", title="x", source=SRC)
    def c(d):
        V = d.symbol("V", positive=True)
        d.chain(V).eq(V)
        d.statement(sp.Eq(V, -1))          # SymPy evaluates this to False at once

    r = run(c)
    assert r.verdict == "error" and "evaluate=False" in r.message


def test_direct_check_needs_the_givens_to_determine_the_unknowns():
    @claim(id="t.undetermined", title="x", source=SRC, expected="refuted")
    def c(d):
        a, b = d.symbols("a b", real=True)
        d.unknowns(b)
        d.step(sp.Eq(a + a, 3 * a), rule="wrong")     # refuted step, statement involves an undetermined b
        d.statement(sp.Eq(b, b + 0 * a, evaluate=False))

    r = run(c)
    assert r.verdict == "refuted"
    assert r.result_verdict == "unproved"


def test_system_premises_are_all_used():
    @claim(id="t.system", title="x", source=SRC)
    def c(d):
        p, q = d.symbols("p q", real=True)
        u, v = d.symbols("u v", real=True)
        d.unknowns(u, v)
        sys_ = d.given((sp.Eq(u + v, p), sp.Eq(u - v, q)))
        d.step(sp.Eq(u, (p + q) / 2), using=[sys_])
        d.statement(sp.Eq(u, (p + q) / 2))

    assert run(c).verdict == "proved"


def test_witness_estimate_with_indexed_symbols_and_fact_lookup():
    @claim(id="t.indexed", title="x", source=SRC)
    def c(d):
        S, T = d.indexed("S"), d.indexed("T")
        i = d.symbol("i", integer=True, positive=True)
        d.chain(S[i]).eq(2 * T[i], label="doubling", using=[d.given(sp.Eq(S[i], 2 * T[i]))])
        d.statement(sp.Eq(S[i], 2 * T[i]))

    @c.witness("monte-carlo")
    def _w(w):
        S, T, i = w.S.S, w.S.T, w.S.i
        assert w.fact("doubling") is not None
        return w.estimate({S[i]: 2.01}, {S[i]: 0.1}, at={T[i]: 1, i: 1}, n=10)

    r = run(c)
    assert r.verdict == "proved"
    assert r.witnesses[0].verdict == "agrees", r.witnesses[0].detail


def test_tuple_statement_relations_established_by_earlier_steps():
    @claim(id="t.tuple", title="x", source=SRC)
    def c(d):
        a, b = d.symbols("a b", real=True)
        d.unknowns(a, b)
        d.given(sp.Eq(a, 2))
        d.step(sp.Eq(a, 2), rule="given")
        d.given(sp.Eq(b, 3))
        d.step(sp.Eq(b, 3), rule="given")          # the last fact says nothing about a
        d.statement((sp.Eq(a, 2), sp.Eq(b, 3)))

    r = run(c)
    assert r.verdict == "proved", r.message


def test_sympy_failing_inside_a_step_makes_it_unproved_with_the_reason(monkeypatch):
    """A well-formed step on which SymPy itself raises (mpmath's ``int >> mpf`` from evalf was seen) is
    unproved, naming the failure: never an ``error`` of the author's file, never proved."""
    from proofs import rules

    def crashing(step, subst, d, ctx):
        raise TypeError("unsupported operand type(s) for >>: 'int' and 'mpf'")

    monkeypatch.setitem(rules.RULES, "crash", crashing)

    @claim(id="t.sympy_fails", title="x", source=SRC, expected="unproved")
    def c(d):
        a = d.symbol("a", real=True)
        d.step(sp.Eq(a + a, 2 * a, evaluate=False), rule="crash")
        d.statement(sp.Eq(a + a, 2 * a, evaluate=False))

    r = run(c)
    assert r.steps[0].verdict == "unproved" and r.steps[0].stage == "sympy"
    assert "SymPy failed while checking this step (TypeError: unsupported operand" in r.steps[0].detail


def test_a_mutant_that_made_mpmath_raise_is_refuted_at_an_admissible_point():
    """bench.mutate found step 5 of bias_correction.expected_running_average with the factor (1 - 1/N) dropped
    ending in ``error`` (mpmath raised while a candidate point was checked against the recursion); the point
    is now rejected and another, admissible one refutes the step."""
    from bench import mutate
    (original,) = mutate.load_claims(["bias_correction.expected_running_average"])
    c = mutate.mutated_claim(original, "step 5", 9, "drop lhs: term -1/N dropped from 1 - 1/N", False)
    r = run(c)
    assert r.verdict == "refuted" and r.first_failing_step == 5
