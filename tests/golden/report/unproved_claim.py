"""A user-style claim the engine cannot prove (a sum with a symbolic range, peeled at its top), for the
report's golden file of an *unproved* claim. Its witness sums the terms and agrees."""
import sympy as sp

from proofs import Source, claim


@claim(id="golden.peel_last_term",
       title="Peeling the last term of a sum with a symbolic range",
       source=Source("golden-notes.tex", "eq. (3)"),
       statement="sum_{k=1}^{n+1} a_k = sum_{k=1}^{n} a_k + a_{n+1} for any sequence a",
       expected="unproved")
def peel_last_term(d):
    n = d.symbol("n", integer=True, positive=True)
    k = d.symbol("k", integer=True, positive=True)
    a = d.function("a", real=True)
    lhs = sp.Sum(a(k), (k, 1, n + 1))
    rhs = sp.Sum(a(k), (k, 1, n)) + a(n + 1)
    d.step(sp.Eq(lhs, rhs), rule="split off the last term")
    d.statement(sp.Eq(lhs, rhs))


@peel_last_term.witness("exact")
def _sum_terms(w):
    """Add up a random integer sequence for n = 1..30."""
    a = [int(v) for v in w.rng.integers(-100, 100, size=32)]
    ok = all(sum(a[1:n + 2]) == sum(a[1:n + 1]) + a[n + 1] for n in range(1, 31))
    return w.observe(ok, "both sides agree for n = 1..30 (integer sums of a random sequence)",
                     method="integer sums", n=30)
