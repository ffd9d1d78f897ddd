"""Weight decay and L2 regularisation for plain SGD, written as a new user would.

* One SGD step on L(w) + (lambda/2) w^2 is the decoupled weight-decay step (1 - eta lambda) w - eta L'(w)
  (Hanson & Pratt 1989; Loshchilov & Hutter 2019, Prop. 1: the equivalence holds for SGD, not for Adam).
* Ridge shrinkage: on L(w) = (h/2)(w - c)^2 the regularised minimum is w* = h c / (h + lambda); the user
  states the stationarity condition as it comes (h (w - c) + lambda w = 0) and lambda >= 0 as an assumption.

Witnesses: SGD on the regularised loss (gradient by finite differences of the loss as a black box) side by
side with decoupled weight decay; gradient descent on the regularised quadratic run to convergence exactly.
"""
from fractions import Fraction

import numpy as np
import sympy as sp

from proofs import Eq, Source, claim

SRC = Source("Loshchilov & Hutter, Decoupled Weight Decay Regularization (ICLR 2019)", "Proposition 1 (SGD case)")
RIDGE = Source("Hoerl & Kennard 1970 (ridge regression)", "one-dimensional shrinkage w* = h c / (h + lambda)")
TOPIC = "user corpus: weight decay"


def _training_loss(w):
    return float(np.log1p(np.exp(-w)) + 0.3 * np.sin(2 * w))          # some smooth training loss


def _step_witness(w):
    """Along 8 points of an SGD run (eta = 0.1, lambda = 0.5): the L2 step w - eta grad(L + lambda/2 w^2), with the
    gradient of the regularised loss by Richardson differences, against the statement's right side with L'(w)
    also by differences."""
    from proofs.finite_diff import richardson
    S = w.S
    eta, lam = 0.1, 0.5
    A, G = sp.Symbol("l2_step_measured"), sp.Symbol("dL_measured")
    Lw = S.L(S.w)
    rel = sp.Eq(A, w.statement.rhs.xreplace({sp.Derivative(Lw, S.w): G}))
    obs, x = [], 1.7
    for _ in range(8):
        gr, er = richardson(lambda v: _training_loss(v[0]) + lam / 2 * v[0] ** 2, np.array([x]), np.array([1.0]))
        g, eg = richardson(lambda v: _training_loss(v[0]), np.array([x]), np.array([1.0]))
        step = x - eta * gr
        obs.append(w.close({A: step, G: g}, {A: eta * er, G: eg}, at={S.w: x, S.eta: eta, S["lambda"]: lam},
                           relation=rel, floor=1e-9, method="SGD on L + lambda/2 w^2 (finite-difference gradient)"))
        x = step + 0.05 * float(w.rng.normal())                 # a noisy trajectory
    return obs


def _step(d, *, slip=False):
    w_, eta, lam = d.symbol("w", real=True), d.symbol("eta", positive=True), d.symbol("lambda", positive=True)
    L = d.function("L")
    s = 1 if slip else -1                                   # the slip: + eta lambda w
    rhs = (1 + s * eta * lam) * w_ - eta * sp.Derivative(L(w_), w_)
    (d.chain(w_ - eta * sp.Derivative(L(w_) + lam / 2 * w_ ** 2, w_))
     .eq(w_ - eta * (sp.Derivative(L(w_), w_) + lam * w_), rule="d/dw (lambda/2) w^2 = lambda w")
     .eq(w_ + s * eta * lam * w_ - eta * sp.Derivative(L(w_), w_), rule="expand", label="expand")
     .eq(rhs, rule="factor w", label="decoupled form"))
    d.statement(Eq(w_ - eta * sp.Derivative(L(w_) + lam / 2 * w_ ** 2, w_), rhs))


@claim(id="corpus.weight_decay.sgd_l2_step", title="SGD on L + (lambda/2) w^2 = decoupled weight decay", source=SRC,
       statement="w - eta d/dw (L + lambda/2 w^2) = (1 - eta lambda) w - eta L'(w)",
       witnesses=[(_step_witness, "finite-difference")])
def sgd_l2_step(d):
    _step(d)


@claim(id="corpus.weight_decay.sgd_l2_step.wrong_sign", title="(wrong) expanding with + eta lambda w", source=SRC,
       expected="refuted", statement="w - eta d/dw (L + lambda/2 w^2) = (1 + eta lambda) w - eta L'(w)",
       witnesses=[(_step_witness, "finite-difference")])
def sgd_l2_step_wrong(d):
    _step(d, slip=True)


def _ridge_witness(w):
    """Gradient descent on (h/2)(w - c)^2 + (lambda/2) w^2 (h = 3, c = 2, lambda = 1/2, eta = 1/5) from w = 0,
    400 exact steps; the statement with the last iterate, error bound from the contraction factor."""
    S = w.S
    h, c, lam, eta = Fraction(3), Fraction(2), Fraction(1, 2), Fraction(1, 5)
    x, prev = Fraction(0), None
    for _ in range(400):
        prev, x = x, x - eta * (h * (x - c) + lam * x)
    r = abs(1 - eta * (h + lam))
    err = float(abs(x - prev)) * float(r / (1 - r)) + 1e-300
    return w.close({S.w: float(x)}, {S.w: err}, at={S.h: h, S.c: c, S["lambda"]: lam}, floor=1e-12,
                   method="gradient descent on the regularised quadratic, 400 exact steps", n=400)


def _ridge(d, *, slip=False):
    h, c = d.symbol("h", positive=True), d.symbol("c", real=True)
    lam = d.symbol("lambda", real=True)
    w_ = d.symbol("w", real=True)
    d.assume(lam >= 0, why="weight decay is non-negative")
    d.unknowns(w_)
    stat = d.given(Eq(h * (w_ - c) + lam * w_, 0), why="the gradient of the regularised loss vanishes",
                   label="stationarity")
    coef = h - lam if slip else h + lam
    d.step(Eq(coef * w_, h * c), rule="collect w", using=[stat], label="collect w")
    d.step(Eq(w_, h * c / coef), rule="divide by h + lambda (> 0)", label="solve")
    d.statement(Eq(w_, h * c / coef))


@claim(id="corpus.weight_decay.ridge_minimum", title="w* = h c / (h + lambda)", source=RIDGE,
       statement="the minimiser of (h/2)(w - c)^2 + (lambda/2) w^2 is h c / (h + lambda)",
       witnesses=[(_ridge_witness, "exact")])
def ridge_minimum(d):
    _ridge(d)


@claim(id="corpus.weight_decay.ridge_minimum.wrong_sign", title="(wrong) collecting w as (h - lambda) w",
       source=RIDGE, expected="refuted", statement="w* = h c / (h - lambda)", witnesses=[(_ridge_witness, "exact")])
def ridge_minimum_wrong(d):
    _ridge(d, slip=True)
