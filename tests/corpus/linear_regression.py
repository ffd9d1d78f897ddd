"""Least squares in one dimension with n data points (n symbolic), written as a new user would.

* the gradient of L(w) = (1/(2n)) sum_i (w x_i - y_i)^2 is (1/n) sum_i (w x_i - y_i) x_i;
* setting it to zero gives w* = sum_i x_i y_i / sum_i x_i^2 (the user states the normal equation as it comes
  and "not all x_i are zero" as the assumption sum_i x_i^2 > 0).

Witnesses: finite differences of the loss on random data; NumPy's least-squares solver.
"""
import numpy as np
import sympy as sp

from proofs import Eq, Source, claim

SRC = Source("Hastie, Tibshirani & Friedman, The Elements of Statistical Learning", "Sec. 3.2 (normal equations)")
TOPIC = "user corpus: linear regression"
N_DATA = 6


def _data(rng):
    x = rng.normal(size=N_DATA)
    return x, 0.7 * x + rng.normal(scale=0.3, size=N_DATA)


def _concrete(expr, S, x, y):
    """The expression with n = N_DATA, the sums expanded and the data inserted."""
    e = expr.xreplace({S.n: N_DATA}).doit()
    return e.xreplace({**{S.x[i + 1]: sp.Float(x[i], 17) for i in range(N_DATA)},
                       **{S.y[i + 1]: sp.Float(y[i], 17) for i in range(N_DATA)}})


def _gradient_witness(w):
    """dL/dw by Richardson central differences of the loss on random data at 4 values of w."""
    from proofs.finite_diff import richardson
    S = w.S
    x, y = _data(w.rng)
    D = sp.Symbol("dL_dw_measured")
    rel = sp.Eq(D, _concrete(w.statement.rhs, S, x, y))
    obs = []
    for w0 in w.rng.normal(size=4):
        val, err = richardson(lambda v: float(np.mean((v[0] * x - y) ** 2)) / 2, np.array([w0]), np.array([1.0]))
        obs.append(w.close({D: val}, {D: err}, at={S.w: w0}, relation=rel, floor=1e-9,
                           method="Richardson central differences of the mean squared loss", n=N_DATA))
    return obs


def _gradient(d, *, slip=False):
    n = d.symbol("n", integer=True, positive=True)
    i = d.symbol("i", integer=True)
    w_ = d.symbol("w", real=True)
    x, y = d.indexed("x"), d.indexed("y")
    L = sp.Sum((w_ * x[i] - y[i]) ** 2, (i, 1, n)) / (2 * n)
    c = 2 if slip else 1                                    # the slip: the 2 of the square's derivative lost
    (d.chain(sp.Derivative(L, w_))
     .eq(sp.Sum(sp.Derivative((w_ * x[i] - y[i]) ** 2, w_), (i, 1, n)) / (2 * n), rule="differentiate term by term")
     .eq(sp.Sum((w_ * x[i] - y[i]) * x[i], (i, 1, n)) / (c * n), rule="d/dw (w x - y)^2 = 2 (w x - y) x",
         label="term derivative"))
    d.statement(Eq(sp.Derivative(L, w_), sp.Sum((w_ * x[i] - y[i]) * x[i], (i, 1, n)) / (c * n)))


@claim(id="corpus.linreg.gradient", title="dL/dw = (1/n) sum_i (w x_i - y_i) x_i", source=SRC,
       statement="the gradient of (1/(2n)) sum (w x_i - y_i)^2 is (1/n) sum (w x_i - y_i) x_i",
       witnesses=[(_gradient_witness, "finite-difference")])
def gradient(d):
    _gradient(d)


@claim(id="corpus.linreg.gradient.wrong_factor", title="(wrong) the factor 2 of the square lost", source=SRC,
       expected="refuted", statement="dL/dw = (1/(2n)) sum (w x_i - y_i) x_i",
       witnesses=[(_gradient_witness, "finite-difference")])
def gradient_wrong(d):
    _gradient(d, slip=True)


def _lstsq_witness(w):
    """NumPy's least-squares solution on 3 random data sets against the statement's right side."""
    S = w.S
    obs = []
    for _ in range(3):
        x, y = _data(w.rng)
        sol = float(np.linalg.lstsq(x[:, None], y, rcond=None)[0][0])
        rhs = _concrete(w.statement.rhs, S, x, y)
        W = sp.Symbol("w_lstsq")
        obs.append(w.close({W: sol}, {W: 1e-13 * (1 + abs(sol))}, relation=sp.Eq(W, rhs), floor=1e-10,
                           method="numpy.linalg.lstsq on random data", n=N_DATA))
    return obs


def _normal_equation(d, *, slip=False):
    n = d.symbol("n", integer=True, positive=True)
    i = d.symbol("i", integer=True)
    w_ = d.symbol("w", real=True)
    x, y = d.indexed("x"), d.indexed("y")
    sxx = sp.Sum(x[i] ** 2, (i, 1, n))
    sxy = sp.Sum(x[i] * y[i], (i, 1, n))
    d.assume(sxx > 0, why="not all x_i are zero")
    d.unknowns(w_)
    zero = d.given(Eq(sp.Sum((w_ * x[i] - y[i]) * x[i], (i, 1, n)) / n, 0), why="the gradient vanishes at w*",
                   label="normal equation")
    coef = sp.Sum(x[i], (i, 1, n)) if slip else sxx         # the slip: x_i^2 written as x_i
    d.step(Eq(w_ * coef, sxy), rule="multiply by n, split the sum", using=[zero], label="split the sum")
    d.step(Eq(w_, sxy / coef), rule="divide by sum x_i^2 > 0", label="solve")
    d.statement(Eq(w_, sxy / coef))


@claim(id="corpus.linreg.least_squares", title="w* = sum x_i y_i / sum x_i^2", source=SRC,
       statement="the least-squares slope through the origin is sum x_i y_i / sum x_i^2",
       witnesses=[(_lstsq_witness, "exact")])
def least_squares(d):
    _normal_equation(d)


@claim(id="corpus.linreg.least_squares.wrong_dropped_square", title="(wrong) sum x_i^2 written as sum x_i",
       source=SRC, expected="refuted", statement="w* = sum x_i y_i / sum x_i", witnesses=[(_lstsq_witness, "exact")])
def least_squares_wrong(d):
    _normal_equation(d, slip=True)
