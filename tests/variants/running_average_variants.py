"""Deliberately wrong copies of the running-average derivation (Problem 1 (a)), user-file style.

Each must be refuted symbolically *and* flagged by the catalog's simulation.
"""
import sympy as sp

from derivations.running_averages import _variance_limit_simulation
from proofs import Source, claim

SRC = Source("000_e701d70adf034ba3.txt", "Problem 1 (a), wrong variant")
MC = [(_variance_limit_simulation, "monte-carlo")]


def _symbols(d):
    N = d.symbol("N", integer=True, positive=True)
    s2 = d.symbol("sigma_x^2", positive=True)
    V = d.symbol("sigma^2_mu_inf", positive=True)
    d.unknowns(V)
    d.given(sp.Eq(V, (1 - 1 / N) ** 2 * V + s2 / N ** 2))
    return N, s2, V


@claim(id="variant.running_average.changed_constant", title="3 instead of 2 in the result", source=SRC,
       expected="refuted", witnesses=MC)
def changed_constant(d):
    N, s2, V = _symbols(d)
    d.step(sp.Eq(V, (1 - 2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="expand the square")
    d.step(sp.Eq(0, (-2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="subtract the left side")
    d.step(sp.Eq(0, (-2 + 1 / N) * V + s2 / N), rule="multiply by N")
    d.step(sp.Eq(V, s2 / ((3 - 1 / N) * N)), rule="solve for sigma^2")
    d.statement(sp.Eq(V, s2 / ((3 - 1 / N) * N)))


@claim(id="variant.running_average.sign_in_expansion", title="(1 - 1/N)^2 expanded with +2/N", source=SRC,
       expected="refuted", witnesses=MC)
def sign_in_expansion(d):
    N, s2, V = _symbols(d)
    d.step(sp.Eq(V, (1 + 2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="expand the square (sign slip)")
    d.step(sp.Eq(0, (2 / N + 1 / N ** 2) * V + s2 / N ** 2, evaluate=False), rule="subtract the left side")
    d.step(sp.Eq(0, (2 + 1 / N) * V + s2 / N, evaluate=False), rule="multiply by N")
    d.step(sp.Eq(V, -s2 / ((2 + 1 / N) * N), evaluate=False), rule="solve for sigma^2")
    d.statement(sp.Eq(V, -s2 / ((2 + 1 / N) * N), evaluate=False))


@claim(id="variant.running_average.wrong_middle_step", title="multiply by N forgets the sigma term",
       source=SRC, expected="refuted", witnesses=MC)
def wrong_middle_step(d):
    N, s2, V = _symbols(d)
    d.step(sp.Eq(V, (1 - 2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="expand the square")
    d.step(sp.Eq(0, (-2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="subtract the left side")
    d.step(sp.Eq(0, (-2 + 1 / N) * V + s2 / N ** 2), rule="multiply by N (only the first term)")
    d.step(sp.Eq(V, s2 / ((2 - 1 / N) * N ** 2)), rule="solve for sigma^2")
    d.statement(sp.Eq(V, s2 / ((2 - 1 / N) * N ** 2)))


@claim(id="variant.running_average.dropped_square", title="the recursion's coefficient not squared",
       source=SRC, expected="refuted", witnesses=MC)
def dropped_square(d):
    N, s2, V = _symbols(d)
    d.step(sp.Eq(V, (1 - 1 / N) * V + s2 / N ** 2), rule="variance of the update (square dropped)")
    d.step(sp.Eq(V, s2 / N), rule="solve for sigma^2")
    d.statement(sp.Eq(V, s2 / N))
