"""Mutation testing (issue 8): a fast subset of ``python -m bench.mutate``.

The full run (every proved claim of the catalog, thousands of mutants) lives in ``bench/mutate.py`` and writes
``docs/mutation.md``; these tests check the operators, the independent checker and, on a few claims with a few
mutants each, that the engine proves no false mutant.
"""
from pathlib import Path

import sympy as sp

from bench import mutate as M
from proofs import Source, claim
from proofs.derivation import Derivation

ROOT = Path(__file__).resolve().parent.parent


# -- mutation operators ------------------------------------------------------------------------
def test_operators_on_a_toy_relation():
    x, y = sp.symbols("x y", real=True)
    got = {(m.op, m.relation) for m in M.mutants(sp.Eq(y, 2 * x + 3, evaluate=False))}
    E = lambda lhs, rhs: sp.Eq(lhs, rhs, evaluate=False)  # noqa: E731
    assert got == {
        ("const+1", E(y, 2 * x + 4)), ("const*2", E(y, 2 * x + 6)), ("const^-1", E(y, 2 * x + sp.Rational(1, 3))),
        ("const+1", E(y, 3 * x + 3)), ("const*2", E(y, 4 * x + 3)), ("const^-1", E(y, x / 2 + 3)),
        ("sign", E(y, 2 * x - 3)), ("sign", E(y, 3 - 2 * x)), ("sign", E(-y, 2 * x + 3)), ("sign", E(y, -2 * x - 3)),
        ("drop", E(y, 2 * x)), ("drop", E(y, 3)),
        ("swap", E(x, 2 * y + 3)),
    }


def test_operators_exponents_inequalities_and_kinds():
    a, b = sp.symbols("a b", positive=True)
    n = sp.Symbol("n", integer=True, positive=True)
    got = {m.relation for m in M.mutants(sp.Lt(a, b ** 2 + n))}
    assert sp.Lt(a, b ** 3 + n) in got and sp.Lt(a, b + n) in got          # exponent 2 -> 3, 2 -> 1
    assert sp.Gt(a, b ** 2 + n) in got                                       # inequality reversed
    assert sp.Lt(b, a ** 2 + n) in got                                       # a, b: same kind
    assert not any(r.has(n ** 2) or r.has(b ** 2 + a) for r in got)          # n (integer) is not swapped with a, b
    assert all(isinstance(r, (sp.StrictLessThan, sp.StrictGreaterThan)) for r in got)


def test_operators_leave_indices_and_bound_variables_alone_and_deduplicate():
    x = sp.IndexedBase("x")
    t, N = sp.symbols("t N", integer=True, positive=True)
    rel = sp.Eq(sp.Sum(x[t + 1], (t, 1, N)), N, evaluate=False)
    ms = M.mutants(rel)
    assert ms and all(m.relation.atoms(sp.Indexed) == {x[t + 1]} for m in ms)     # the index t + 1 is untouched
    assert all(m.relation.lhs.has(t) for m in ms if m.relation.lhs.has(sp.Sum))   # so is the bound variable t
    assert any(m.relation == sp.Eq(sp.Sum(x[t + 1], (t, 2, N)), N, evaluate=False) for m in ms)  # lower limit 1 -> 2
    rels = [m.relation for m in ms]
    assert len(rels) == len(set(rels)) and rel not in rels


def test_tuple_statements_mutate_one_relation_at_a_time():
    a, b = sp.symbols("a b", real=True)
    st = (sp.Eq(a, 1, evaluate=False), sp.Eq(b, 2, evaluate=False))
    ms = M.mutants(st)
    assert all(isinstance(m.relation, tuple) and len(m.relation) == 2 for m in ms)
    assert all(sum(r != o for r, o in zip(m.relation, st)) >= 1 for m in ms)
    assert (sp.Eq(b, 1, evaluate=False), sp.Eq(a, 2, evaluate=False)) in [m.relation for m in ms]   # swap a <-> b


# -- the independent checker -------------------------------------------------------------------
@claim(id="test.ewa_fixed_point", title="fixed point", source=Source("-", "-"))
def _fixed_point(d):
    rho = d.symbol("rho", bounds=(0, 1))
    c, m = d.symbols("c m", real=True)
    d.unknowns(m)
    d.given(sp.Eq(m, rho * m + (1 - rho) * c))
    d.step(sp.Eq((1 - rho) * m, (1 - rho) * c), rule="collect m")
    d.step(sp.Eq(m, c), rule="divide by 1 - rho")
    d.statement(sp.Eq(m, c))


def _checker():
    d = Derivation(_fixed_point)
    _fixed_point.build(d)
    return d, M.make_checker(d, _fixed_point.id, "statement")


def test_checker_keeps_a_true_mutant_and_rejects_a_false_one():
    d, ch = _checker()
    c, m = d.S.c, d.S.m
    original = d.statement_relation()
    true = M.classify(ch, original, sp.Eq(m - c, 0, evaluate=False))          # still true under the given
    false = M.classify(ch, original, sp.Eq(m, 2 * c, evaluate=False))
    assert true.status == "equivalent", true.how
    assert false.status == "false", false.how
    assert false.point and "c" in false.point                              # the point where it fails


def test_checker_uses_the_givens_not_the_statement_alone():
    # m = c + rho (c - m) is true only because of the given (m = c); evaluated on unconstrained points it would fail
    d, ch = _checker()
    c, m, rho = d.S.c, d.S.m, d.S.rho
    dec = M.classify(ch, d.statement_relation(), sp.Eq(m, c + rho * (c - m), evaluate=False))
    assert dec.status == "equivalent", dec.how


def test_checker_expectations_from_declared_moments():
    from proofs import E, Var

    @claim(id="test.var_sum", title="variance", source=Source("-", "-"))
    def var_sum(d):
        a, b, mx, my = d.symbols("a b mu_x mu_y", real=True)
        sx, sy = d.symbols("s_x s_y", positive=True)
        x = d.random.scalar("x", mean=mx, var=sx)
        y = d.random.scalar("y", mean=my, var=sy)
        d.step(sp.Eq(Var(a * x + b * y), a ** 2 * sx + b ** 2 * sy))
        d.statement(sp.Eq(Var(a * x + b * y), a ** 2 * sx + b ** 2 * sy))

    d = Derivation(var_sum)
    var_sum.build(d)
    ch = M.make_checker(d, var_sum.id, "statement")
    S = d.S
    x, y = (s for s in d._random._scalars)
    st = d.statement_relation()
    assert M.classify(ch, st, sp.Eq(Var(S.a * x - S.b * y), st.rhs)).status == "equivalent"
    assert M.classify(ch, st, sp.Eq(Var(S.a * x + S.b * y), S.a ** 2 * S.s_x + S.b * S.s_y)).status == "false"
    assert M.classify(ch, st, sp.Eq(E(x * y), S.mu_x * S.mu_y)).status == "equivalent"      # independence


# -- the engine on a few catalog claims --------------------------------------------------------
def test_no_false_mutant_is_proved_on_a_subset():
    args = M.parse_args(["--claims", "running_average.variance_limit", "momentum.as_running_average",
                         "quantisation.variance", "--limit", "3", "-j", "2", "--no-doc", "-q"])
    data = M.run(args)
    recs = data["records"]
    assert {r["claim"] for r in recs} >= {"running_average.variance_limit", "momentum.as_running_average",
                                          "quantisation.variance"}
    assert {r["target"] for r in recs} > {"statement"}                                     # middle steps too
    false = [r for r in recs if r["check"]["status"] == "false"]
    assert len(false) >= len(recs) // 2
    proved = [(r["claim"], r["target"], r["label"]) for r in false if r["outcome"] == "proved"]
    assert not proved
    wrongly_refuted = [(r["claim"], r["target"], r["label"]) for r in recs
                       if r["check"]["status"] == "equivalent" and r["outcome"] == "refuted"]
    assert not wrongly_refuted
    text = M.render(data)
    assert text.startswith(M.DOC_TITLE) and "## Totals" in text


def test_the_doc_has_the_generated_format():
    """docs/mutation.md is written by the script; only its format is checked here (it need not be current)."""
    doc = ROOT / "docs" / "mutation.md"
    text = doc.read_text()
    assert text.startswith(M.DOC_TITLE + "\n")
    assert "python -m bench.mutate" in text and "Engine commit `" in text
    for heading in ("## Totals", "## False mutants proved", "## True (equivalent) mutants refuted",
                    "## Statement mutants no witness flagged", "## Per claim", "## Equivalent mutants",
                    "## Undecided mutants"):
        assert heading in text, heading
    assert "| | statement | middle step | all |" in text
