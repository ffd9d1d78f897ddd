"""proofs.audit.check: each reading of a pair (identity, using facts, implied by the previous equation),
built from SymPy objects directly (the documents' tests go through the parser)."""
import sympy as sp

from proofs.audit.chains import Pair
from proofs.audit.check import AuditFact, PairChecker, Settings, _unknown_symbols, check_pair
from proofs.audit.declarations import Premises
from proofs.audit.source import SourceRow, Where

R = dict(real=True)
lp, mp, ap = sp.Symbol("\\lambda'", **R), sp.Symbol("\\mu'", **R), sp.Symbol("\\alpha'", **R)
lam, mu, al = sp.Symbol("\\lambda", **R), sp.Symbol("\\mu", **R), sp.Symbol("\\alpha", **R)
FACTS = [AuditFact("(33a)", sp.Eq(1 + mp - ap * lp, 1 + mu - al * lam), 179),
         AuditFact("(33b)", sp.Eq(mp, mu * (1 - al * lam)), 181), AuditFact("(33c)", sp.Eq(ap, al), 183)]
ALPHA_POS = Premises(assumptions=[(">", al, sp.Integer(0))], assumption_text=["\\alpha > 0"])


def _row(line=1):
    return SourceRow("written", Where("doc.md", line))


def _pair(left, right, start=None, position=1, rel="="):
    return Pair(left=left, rel=rel, right=right, row=_row(), start=left if start is None else start,
                position=position, chain=0, left_row=_row())


def _check(pair, facts=(), premises=None, unknowns=(), previous=None):
    checker = PairChecker(Settings(), premises or Premises(unknowns=list(unknowns)), list(facts),
                          _unknown_symbols(unknowns), [])
    return check_pair(pair, checker, previous)


def test_identity_is_proved_without_facts():
    r = _check(_pair((mu + 1) * lam, mu * lam + lam))
    assert (r["verdict"], r["how"]) == ("proved", "identity")


def test_a_wrong_identity_is_refuted_with_a_point():
    r = _check(_pair((mu + 1) * lam, mu * lam - lam))
    assert r["verdict"] == "refuted" and r["counterexample"]["point"]


def test_a_line_that_holds_only_with_facts_names_the_ones_it_needs():
    r = _check(_pair(lp, (mp - mu + al * lam) / ap), FACTS, ALPHA_POS)
    assert r["verdict"] == "proved"
    assert r["how"] == "using (33a), (33c)" and r["using"] == ["(33a)", "(33c)"]


def test_refuted_with_facts_the_point_satisfies_them():
    start = lp
    r = _check(_pair((mp - mu + al * lam) / ap, (mu + mu * al * lam - mu + al * lam) / al, start, 2), FACTS,
               ALPHA_POS)
    assert r["verdict"] == "refuted"
    pt = {sp.Symbol(k, **R): sp.Rational(v) for k, v in r["counterexample"]["point"].items()}
    for f in FACTS:
        assert sp.simplify((f.relation.lhs - f.relation.rhs).xreplace(pt)) == 0


N = sp.Symbol("N", integer=True, positive=True)
s, sx = sp.Symbol("\\sigma", **R), sp.Symbol("\\sigma_{x}", **R)
V = s ** 2


def test_equation_in_an_unknown_is_implied_by_the_previous_one():
    prev = (sp.Eq(V, (1 - 1 / N) ** 2 * V + sx ** 2 / N ** 2), 19)
    r = _check(_pair(V, (1 - 2 / N + 1 / N ** 2) * V + sx ** 2 / N ** 2), unknowns=[V], previous=prev)
    assert (r["verdict"], r["how"]) == ("proved", "implied by line 19")


def test_continuation_times_a_constant_is_implied_not_refuted():
    A = (-2 / N + 1 / N ** 2) * V + sx ** 2 / N ** 2
    r = _check(_pair(A, N * A, start=sp.Integer(0), position=2), unknowns=[V])
    assert r["verdict"] == "proved" and r["how"].startswith("implied by line")


def test_a_wrong_solution_is_refuted_against_the_previous_equation():
    prev = (sp.Eq(0, (-2 + 1 / N) * V + sx ** 2 / N), 23)
    r = _check(_pair(V, 2 * sx ** 2 / ((2 - 1 / N) * N)), unknowns=[V], previous=prev)
    assert r["verdict"] == "refuted" and "does not follow from line 23" in r["how"]


def test_the_first_equation_in_an_unknown_is_not_checked():
    r = _check(_pair(V, (1 - 1 / N) ** 2 * V + sx ** 2 / N ** 2), unknowns=[V])
    assert r["verdict"] == "not checked" and "first equation" in r["detail"]


def test_approx_is_not_checked():
    r = _check(_pair(mu, lam, rel="approx"))
    assert r["verdict"] == "not checked" and "approx" in r["detail"]


def test_an_expectation_without_declared_random_variables_is_not_proved():
    from proofs.expectation import E
    x, y = sp.symbols("x y", real=True)
    r = _check(_pair(E(x * y), E(x) * E(y)))
    assert r["verdict"] == "unproved" and "random" in r["detail"]


def test_declared_random_scalars_use_the_expectation_algebra():
    from proofs.expectation import E, Var
    x, y = sp.symbols("x y", real=True)
    a, b = sp.symbols("a b", real=True)
    prem = Premises(random=["x", "y"])
    ok = _check(_pair(Var(a * x + b * y), a ** 2 * Var(x) + b ** 2 * Var(y)), premises=prem)
    assert ok["verdict"] == "proved"
    bad = _check(_pair(Var(a * x + b * y), a * Var(x) + b * Var(y)), premises=prem)
    assert bad["verdict"] == "refuted"
    prod = _check(_pair(E(x * y), E(x) * E(y)), premises=prem)
    assert prod["verdict"] == "proved"


def test_no_counterexample_where_a_denominator_as_written_vanishes():
    """sum_{n>=0} (1 - 1/N)^(-n) = N: SymPy's closed form is defined at N = 0, the written sum is not; the
    counterexample must be a point where the line as written is defined (found by auditing slide 003)."""
    n = sp.Symbol("n", integer=True)
    Nr = sp.Symbol("N", real=True)
    left = sp.Sum((1 - 1 / Nr) ** (-n), (n, 0, sp.oo))
    r = _check(_pair(left, Nr))
    assert r["verdict"] == "refuted"
    assert r["counterexample"]["point"]["N"] != "0"


def test_a_constant_independent_of_a_variable_absorbs_only_terms_free_of_it():
    w, b, c = sp.symbols("w b c", real=True)
    prem = Premises(constants={"c": [w]})
    ok = _check(_pair((w - b) ** 2, w ** 2 - 2 * b * w + c), premises=prem)
    assert ok["verdict"] == "proved" and "independent of w" in ok["how"]
    bad = _check(_pair((w - b) ** 2, w ** 2 + c), premises=prem)
    assert bad["verdict"] == "refuted" and bad["counterexample"]["point"]


def test_no_counterexample_where_a_written_sum_runs_backwards():
    """sum_{i=1}^{N-2} (found auditing handout 002): N = 0 gives SymPy's 'negative' sum, which no author means."""
    i = sp.Symbol("i", integer=True)
    Nn = sp.Symbol("N", integer=True)
    g = sp.IndexedBase("g")
    r = _check(_pair(sp.Sum(g[i], (i, 1, Nn - 2)), sp.Sum(2 * g[i], (i, 1, Nn - 2))))
    assert r["verdict"] == "refuted"
    assert int(r["counterexample"]["point"]["N"]) >= 1


def test_approx_is_checked_in_the_declared_precise_sense():
    from proofs.audit.check import audit_document
    from proofs.audit.documents import read_text
    text = "\n".join([
        r"<!-- derivcheck: approx as n \to \infty -->", r"<!-- derivcheck: assume 0 < \rho < 1 -->",
        r"<!-- derivcheck: integer n -->", "",
        r"$$(1-\rho)\sum_{k=0}^{n}\rho^k \approx 1$$", "", r"$$\frac{n+1}{n} \approx 2$$", "",
        r"<!-- derivcheck: approx up to O(\eta^2) as \eta \to 0 -->", "",
        r"$$\exp(\eta) \approx 1 + \eta$$", "", r"$$\exp(\eta) \approx 1 + 2\eta$$", ""])
    r = audit_document(read_text(text, "markdown"))
    assert [(p.line, p.verdict) for p in r.pairs] == [(5, "proved"), (7, "refuted"), (11, "proved"), (13, "refuted")]
    without = audit_document(read_text(r"$$\frac{n+1}{n} \approx 2$$", "markdown"))
    assert without.pairs[0].verdict == "not checked"


def test_vectors_are_checked_entry_by_entry():
    from proofs.audit.check import audit_document
    from proofs.audit.documents import read_text
    ok = audit_document(read_text(r"$$w = (9.8, -5) - 0.2(1, -75) + 0.5(-0.2, -15) = (9.5, 2.5)$$", "markdown"))
    assert [p.verdict for p in ok.pairs] == ["not checked", "proved"]
    bad = audit_document(read_text(r"$$w = (9.8, -5) - 0.2(1, -75) = (9.6, 9)$$", "markdown"))
    assert bad.pairs[-1].verdict == "refuted" and bad.pairs[-1].how.startswith("entry 2")


# -- a definition stays in scope for the next displays of its section ---------------------------------

def _audit_md(text):
    from proofs.audit.check import audit_document
    from proofs.audit.documents import read_text
    return {p.line: p for p in audit_document(read_text(text, "markdown"), Settings()).pairs}


def test_a_definition_carries_to_the_next_display_until_a_heading():
    doc = ("# Problem 1\n\n$$\nm = 2 a + 2 b\n$$\n\nso\n\n$$\n\\frac{m}{2} = a + b\n$$\n\n"
           "# Problem 2\n\n$$\n\\frac{m}{2} = a + b\n$$\n")
    pairs = _audit_md(doc)
    assert pairs[10].verdict == "proved" and "line 4" in pairs[10].how      # m from the display before
    assert pairs[16].verdict != "proved" and "line 4" not in pairs[16].how   # a new problem: m is not 2a + 2b


def test_a_name_defined_again_means_its_new_definition():
    doc = "$$\nm = 2 a\n$$\n\n$$\nm = 3 a\n$$\n\n$$\n\\frac{m}{3} = a\n$$\n"
    pairs = _audit_md(doc)
    assert pairs[10].verdict == "proved", pairs[10].detail
