"""Polyak-Ruppert averaging of gradient descent on a quadratic, written as a new user would.

On L(w) = (h/2) w^2 gradient descent contracts: w_t = rho^t w_0 with rho = 1 - eta h in (0, 1). The average of
the first T iterates is a geometric sum:

    (1/T) sum_{t=0}^{T-1} w_t = w_0 (1 - rho^T) / (T (1 - rho)).

Witness: gradient descent run in exact rationals with the running (incremental) Polyak average.
"""
from fractions import Fraction

import sympy as sp

from proofs import Eq, Source, claim

SRC = Source("Polyak & Juditsky, Acceleration of stochastic approximation by averaging (1992)",
             "iterate averaging; deterministic quadratic case")
TOPIC = "user corpus: averaging"


def _polyak_witness(w):
    """Gradient descent on (h/2) w^2 (h = 2, eta = 1/5, so rho = 3/5) from w_0 = 7/2 for 20 steps, exact, with the
    incremental average wbar_T = wbar_{T-1} + (w_{T-1} - wbar_{T-1}) / T; the statement at T = 1..20."""
    S = w.S
    h, eta, w0 = Fraction(2), Fraction(1, 5), Fraction(7, 2)
    x, avg = w0, Fraction(0)
    A = sp.Symbol("average_measured")
    rel = sp.Eq(A, w.statement.rhs)
    obs = []
    for T in range(1, 21):
        avg = avg + (x - avg) / T              # average of w_0 .. w_{T-1}
        obs.append(w.exact({A: avg, S.w_0: w0, S.rho: 1 - eta * h, S.T: T}, relation=rel))
        x = x - eta * h * x                    # one gradient step
    bad = [o for o in obs if not o.holds]
    return w.observe(not bad, bad[0].detail if bad else "holds for T = 1..20",
                     method="gradient descent with an incremental Polyak average, exact", n=20)


def _polyak(d, *, slip=False):
    rho = d.symbol("rho", bounds=(0, 1))
    T = d.symbol("T", integer=True, positive=True)
    t = d.symbol("t", integer=True, nonnegative=True)
    w0 = d.symbol("w_0", real=True)
    w = d.indexed("w")
    it = d.given(Eq(w[t], rho ** t * w0), why="gradient descent on (h/2) w^2 with rho = 1 - eta h", label="iterates")
    top = T + 1 if slip else T                         # the slip: the geometric sum taken one term too far
    rhs = w0 * (1 - rho ** top) / (T * (1 - rho))
    (d.chain(sp.Sum(w[t], (t, 0, T - 1)) / T, using=[it])
     .eq(w0 / T * sp.Sum(rho ** t, (t, 0, T - 1)), rule="insert the iterates")
     .eq(w0 / T * (1 - rho ** top) / (1 - rho), rule="geometric sum (rho != 1)", label="geometric sum")
     .eq(rhs, rule="collect"))
    d.statement(Eq(sp.Sum(w[t], (t, 0, T - 1)) / T, rhs))


@claim(id="corpus.averaging.polyak_quadratic", title="Polyak average = w_0 (1 - rho^T) / (T (1 - rho))", source=SRC,
       statement="(1/T) sum_{t<T} w_t = w_0 (1 - rho^T) / (T (1 - rho))", witnesses=[(_polyak_witness, "exact")])
def polyak_quadratic(d):
    _polyak(d)


@claim(id="corpus.averaging.polyak_quadratic.wrong_extra_term", title="(wrong) geometric sum with rho^(T+1)",
       source=SRC, expected="refuted", statement="(1/T) sum_{t<T} w_t = w_0 (1 - rho^(T+1)) / (T (1 - rho))",
       witnesses=[(_polyak_witness, "exact")])
def polyak_quadratic_wrong(d):
    _polyak(d, slip=True)
