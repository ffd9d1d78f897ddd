"""Variance of a pre-activation at initialisation (LeCun et al. 1998; Glorot & Bengio 2010; He et al. 2015),
written as a new user would: y = sum_{i=1}^n w_i x_i with iid weights (mean 0, variance sigma_w^2) independent
of iid inputs (mean m_x, variance sigma_x^2), n symbolic:

    Var y = n sigma_w^2 (sigma_x^2 + m_x^2);

then, using that fact, LeCun's choice sigma_w^2 = 1/n with centred inputs preserves the variance: Var y = sigma_x^2.

Witness: Monte Carlo over random layers and random inputs.
"""
import numpy as np
import sympy as sp

from proofs import Eq, Source, Var, claim

SRC = Source("Glorot & Bengio, AISTATS 2010", "Sec. 4.2, variance of a linear unit at initialisation")
LECUN = Source("LeCun, Bottou, Orr & Mueller, Efficient BackProp (1998)", "Sec. 4.6, initialising the weights")
TOPIC = "user corpus: initialisation"


def _layer_witness(n, var_w, mean_x, var_x, symbols_at):
    """R random units: weights uniform with variance var_w, inputs shifted exponentials (mean mean_x, variance
    var_x); sample variance of the pre-activation."""
    def witness(w):
        from proofs.stats import sample_size_variance, variance_se
        R = sample_size_variance(0.1, kurtosis=4.0, alpha=w.alpha)
        a = np.sqrt(3 * var_w)
        W = w.rng.uniform(-a, a, size=(R, n))
        X = w.rng.exponential(np.sqrt(var_x), size=(R, n)) - np.sqrt(var_x) + mean_x
        est, se = variance_se((W * X).sum(axis=1))
        Vm = sp.Symbol("var_measured")
        return w.estimate({Vm: est}, {Vm: se}, at=symbols_at(w), relation=sp.Eq(Vm, w.statement.rhs), n=R,
                          method=f"random layers of fan-in {n}, skewed inputs")
    return witness


GENERAL = _layer_witness(8, 0.3, 1.0, 2.0, lambda w: {w.S.n: 8, w.S["sigma_w^2"]: sp.Rational(3, 10),
                                                       w.S.m_x: 1, w.S["sigma_x^2"]: 2})
LECUN_W = _layer_witness(8, 1 / 8, 0.0, 2.0, lambda w: {w.S.n: 8, w.S["sigma_x^2"]: 2})


def _general(d, *, slip=False):
    n = d.symbol("n", integer=True, positive=True)
    i = d.symbol("i", integer=True)
    sw2, sx2 = d.symbols("sigma_w^2 sigma_x^2", positive=True)
    mx = d.symbol("m_x", real=True)
    w_, x = d.indexed("w"), d.indexed("x")
    d.random.family(w_, 0, sw2)
    d.random.family(x, mx, sx2)
    y = sp.Sum(w_[i] * x[i], (i, 1, n))
    rhs = n * sw2 * sx2 if slip else n * sw2 * (sx2 + mx ** 2)
    (d.chain(Var(y))
     .eq(n * Var(w_[1] * x[1]), rule="n independent, identically distributed terms")
     .eq(n * sw2 * (sx2 if slip else sx2 + mx ** 2), rule="Var(w x) = E w^2 E x^2 (E w = 0)", label="Var(w x)")
     .eq(rhs, rule="collect"))
    d.statement(Eq(Var(y), rhs))


@claim(id="corpus.init.preactivation_variance", title="Var(sum w_i x_i) = n sigma_w^2 (sigma_x^2 + m_x^2)", source=SRC,
       statement="Var y = n sigma_w^2 (sigma_x^2 + m_x^2)", witnesses=[(GENERAL, "monte-carlo")])
def preactivation_variance(d):
    _general(d)


@claim(id="corpus.init.preactivation_variance.wrong_mean_dropped", title="(wrong) Var(w x) = Var w Var x",
       source=SRC, expected="refuted", statement="Var y = n sigma_w^2 sigma_x^2", witnesses=[(GENERAL, "monte-carlo")])
def preactivation_variance_wrong(d):
    _general(d, slip=True)


def _lecun(d, *, slip=False):
    n = d.symbol("n", integer=True, positive=True)
    sw2, sx2 = d.symbols("sigma_w^2 sigma_x^2", positive=True)
    mx = d.symbol("m_x", real=True)
    Vy = d.symbol("Var_y", positive=True)
    general = d.given(Eq(Vy, n * sw2 * (sx2 + mx ** 2)), why="corpus.init.preactivation_variance", label="Var y")
    lecun = d.given(Eq(sw2, 1 / n), why="LeCun initialisation: Var w = 1 / fan-in", label="sigma_w^2 = 1/n")
    centred = d.given(Eq(mx, 0), why="centred inputs", label="m_x = 0")
    rhs = sx2 / n if slip else sx2
    (d.chain(Vy, using=[general])
     .eq(n * sw2 * (sx2 + mx ** 2), rule="the general result")
     .eq(n * sw2 * sx2, rule="centred inputs", using=[centred])
     .eq(sx2 / n if slip else sx2, rule="sigma_w^2 = 1/n", using=[lecun], label="insert sigma_w^2"))
    d.statement(Eq(Vy, rhs))


@claim(id="corpus.init.lecun_preserves_variance", title="sigma_w^2 = 1/n and centred inputs: Var y = sigma_x^2",
       source=LECUN, statement="with Var w = 1/n and E x = 0 the unit's variance equals the input variance",
       witnesses=[(LECUN_W, "monte-carlo")])
def lecun_preserves_variance(d):
    _lecun(d)


@claim(id="corpus.init.lecun_preserves_variance.wrong_extra_n", title="(wrong) n (1/n) sigma_x^2 = sigma_x^2 / n",
       source=LECUN, expected="refuted", statement="Var y = sigma_x^2 / n", witnesses=[(LECUN_W, "monte-carlo")])
def lecun_preserves_variance_wrong(d):
    _lecun(d, slip=True)
