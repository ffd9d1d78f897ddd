"""The stationary variance of SGD on a one-dimensional quadratic, written as a new user would.

L(w) = (h/2) w^2, stochastic gradient h w_t + xi_t with iid noise (mean 0, variance sigma^2):
w_{t+1} = w_t - eta (h w_t + xi_t). In the stationary regime Var(w_{t+1}) = Var(w_t) = V, so

    V = eta sigma^2 / (h (2 - eta h)),   for 0 < eta h < 2

(e.g. Mandt, Hoffman & Blei, JMLR 2017, the discrete-time Ornstein-Uhlenbeck process). The user states
stationarity in terms of Var and the stability condition eta h < 2 as an assumption.
Witness: many independent SGD runs with skewed noise, sample variance after burn-in.
"""
import numpy as np
import sympy as sp

from proofs import Eq, Source, Var, claim

SRC = Source("Mandt, Hoffman & Blei, Stochastic Gradient Descent as Approximate Bayesian Inference (JMLR 2017)",
             "Sec. 3, one-dimensional quadratic (exact discrete-time variance)")
TOPIC = "user corpus: stationary SGD"


def _simulation(w):
    """R independent SGD runs (eta = 1/2, h = 3/2, noise = centred exponential with variance 1), 40 steps from 0
    (contraction (1 - eta h)^2 = 1/16 per step): sample variance of w_40."""
    from proofs.stats import sample_size_variance, variance_se
    eta, h = 0.5, 1.5
    R = sample_size_variance(0.1, kurtosis=6.0, alpha=w.alpha)
    x = np.zeros(R)
    for _ in range(40):
        xi = w.rng.exponential(1.0, size=R) - 1.0
        x = x - eta * (h * x + xi)
    est, se = variance_se(x)
    V = w.S.V
    return w.estimate({V: est}, {V: se}, at={w.S.eta: sp.Rational(1, 2), w.S.h: sp.Rational(3, 2),
                                             w.S["sigma^2"]: 1}, n=R, method="independent SGD runs, 40 steps")


def _derivation(d, *, slip=False):
    eta, h = d.symbol("eta", positive=True), d.symbol("h", positive=True)
    s2 = d.symbol("sigma^2", positive=True)
    V = d.symbol("V", positive=True)
    w_t = d.random.scalar("w_t", mean=0, var=V, real=True)
    xi = d.random.scalar("xi_t", mean=0, var=s2, real=True)
    d.assume(eta * h < 2, why="stability: |1 - eta h| < 1")
    d.unknowns(V)
    upd = w_t - eta * (h * w_t + xi)
    stat = d.given(Eq(Var(upd), Var(w_t)), why="stationary: w_{t+1} has the law of w_t", label="stationarity")
    var_upd = (d.chain(Var(upd), using=[])
               .eq(Var((1 - eta * h) * w_t - eta * xi), rule="collect w_t")
               .eq((1 - eta * h) ** 2 * V + eta ** 2 * s2, rule="w_t and xi_t independent", label="Var w_{t+1}")).fact
    d.step(Eq(V, (1 - eta * h) ** 2 * V + eta ** 2 * s2), rule="stationarity", using=[stat, var_upd],
           label="fixed point")
    k = h * (2 - eta) if slip else h * (2 - eta * h)      # the slip: (eta h)^2 written as eta^2 h
    d.step(Eq(eta * k * V, eta ** 2 * s2), rule="expand (1 - eta h)^2 and collect V", label="collect V")
    d.step(Eq(V, eta * s2 / k), rule="divide by eta^2 h (2 - eta h) > 0", label="solve")
    d.statement(Eq(V, eta * s2 / k))


@claim(id="corpus.sgd.stationary_variance_quadratic", title="V = eta sigma^2 / (h (2 - eta h))", source=SRC,
       statement="the stationary variance of SGD on (h/2) w^2 with gradient noise sigma^2 is "
                 "eta sigma^2 / (h (2 - eta h))", witnesses=[(_simulation, "monte-carlo")])
def stationary_variance(d):
    _derivation(d)


@claim(id="corpus.sgd.stationary_variance_quadratic.wrong_square",
       title="(wrong) (1 - eta h)^2 expanded as 1 - 2 eta h + eta^2 h", source=SRC, expected="refuted",
       statement="V = eta sigma^2 / (h (2 - eta))", witnesses=[(_simulation, "monte-carlo")])
def stationary_variance_wrong(d):
    _derivation(d, slip=True)
