"""Deliberately wrong copies of the momentum derivations (Problem 2 (a), (c)), user-file style."""
import sympy as sp

from derivations.momentum import _constant_input_iterates, _side_by_side
from proofs import Source, claim

SRC = Source("000_e701d70adf034ba3.txt", "Problem 2, wrong variant")


@claim(id="variant.momentum.limit_swapped", title="y_inf = c / N (N and c swapped roles)", source=SRC,
       expected="refuted", witnesses=[(_constant_input_iterates, "exact")])
def limit_swapped(d):
    N = d.symbol("N", integer=True, positive=True)
    c = d.symbol("c", real=True)
    y = d.symbol("y_inf", real=True)
    d.unknowns(y)
    d.given(sp.Eq(y, (1 - 1 / N) * y + c))
    d.step(sp.Eq(y, c / N), rule="solve for y_inf")
    d.statement(sp.Eq(y, c / N))


@claim(id="variant.momentum.factor_slip", title="factoring out N loses the 1/N on x_t", source=SRC,
       expected="refuted", witnesses=[(_side_by_side, "exact")])
def factor_slip(d):
    N = d.symbol("N", integer=True, positive=True)
    y_prev, mu_prev, y_t, mu_t, x_t = d.symbols("y_{t-1} mu_{t-1} y_t mu_t x_t", real=True)
    upd_y = d.given(sp.Eq(y_t, (1 - 1 / N) * y_prev + x_t))
    upd_mu = d.given(sp.Eq(mu_t, (1 - 1 / N) * mu_prev + x_t / N))
    hyp = d.assume(sp.Eq(y_prev, N * mu_prev), why="induction hypothesis")
    (d.chain(y_t, using=[upd_y])
     .eq((1 - 1 / N) * y_prev + x_t, rule="the momentum update")
     .eq((1 - 1 / N) * N * mu_prev + x_t, rule="induction hypothesis", using=[hyp])
     .eq(N * ((1 - 1 / N) * mu_prev + x_t), rule="factor out N (slip)")
     .eq(N * mu_t + (N - 1) * x_t, rule="the running-average update", using=[upd_mu]))
    d.statement(sp.Eq(y_t, N * mu_t + (N - 1) * x_t))
