"""The variance of an exponential moving average at finite t (the EMA of Adam / RMSProp / momentum):
v_0 = 0, v_t = beta v_{t-1} + (1 - beta) x_t with iid x_t of variance sigma^2 gives

    Var(v_t) = sigma^2 (1 - beta) (1 - beta^(2t)) / (1 + beta),

by induction on t. Written three ways: with the induction hypothesis as an assumption and a separate
given for t = 1 (d.assume, as the catalog does; works today); with first-class induction (d.induction,
issue 8, not implemented yet); and with the hypothesis assumed but the base case taken from the recursion
stated once for general t (V = d.indexed("V")), as a user writes it.
Witnesses: the exact variance of the EMA over all input sequences of a two-point law, and a Monte Carlo
simulation of many independent EMAs.
"""
from fractions import Fraction
from itertools import product

import numpy as np
import sympy as sp

from proofs import Eq, Source, Var, claim

SRC = Source("folklore (e.g. Kingma & Ba 2015, Sec. 3; any EMA analysis)", "variance of an EMA at finite t")
TOPIC = "user corpus: EMA"

LAW = [(Fraction(0), Fraction(1, 3)), (Fraction(3), Fraction(2, 3))]        # mean 2, variance 2
LAW_VAR = sum(p * v * v for v, p in LAW) - sum(p * v for v, p in LAW) ** 2


def ema_variances(beta, T):
    """Var(v_t), t = 1..T: run the EMA from v_0 = 0 on every input sequence of length T (exact)."""
    m1 = [Fraction(0)] * (T + 1)
    m2 = [Fraction(0)] * (T + 1)
    for path in product(LAW, repeat=T):
        p, v = Fraction(1), Fraction(0)
        for _, q in path:
            p *= q
        for t, (x, _) in enumerate(path, start=1):
            v = beta * v + (1 - beta) * x
            m1[t] += p * v
            m2[t] += p * v * v
    return [m2[t] - m1[t] ** 2 for t in range(T + 1)]


def _measured(w):
    """(relation, symbol) with the statement's left side (Var(v_t) or V[t]) replaced by a symbol."""
    Vs = sp.Symbol("Var_measured")
    return sp.Eq(Vs, w.statement.rhs), Vs


def _exact_witness(w):
    """Exact Var(v_t) by enumerating all 2^8 input sequences, beta = 1/2 and 4/5, t = 1..8."""
    rel, Vs = _measured(w)
    obs = []
    for beta in (Fraction(1, 2), Fraction(4, 5)):
        V = ema_variances(beta, 8)
        for t in range(1, 9):
            obs.append(w.exact({Vs: V[t], w.S.beta: beta, w.S.t: t, w.S["sigma^2"]: LAW_VAR}, relation=rel))
    bad = [o for o in obs if not o.holds]
    return w.observe(not bad, bad[0].detail if bad else f"holds at all {len(obs)} (beta, t)",
                     method="the EMA run on all 2^8 input sequences, exact", n=len(obs))


def _monte_carlo_witness(w):
    """R independent EMAs (beta = 0.6, T = 3 steps, exponential inputs of variance 4): sample variance of v_T."""
    from proofs.stats import sample_size_variance, variance_se
    beta, T, var_x = 0.6, 3, 4.0
    R = sample_size_variance(0.1, kurtosis=6.0, alpha=w.alpha)
    v = np.zeros(R)
    for _ in range(T):
        v = beta * v + (1 - beta) * w.rng.exponential(np.sqrt(var_x), size=R)
    est, se = variance_se(v)
    rel, Vs = _measured(w)
    return w.estimate({Vs: est}, {Vs: se}, at={w.S.beta: sp.Rational(3, 5), w.S.t: T, w.S["sigma^2"]: 4},
                      relation=rel, n=R, method="independent EMAs of exponential inputs")


WITNESSES = [(_exact_witness, "exact"), (_monte_carlo_witness, "monte-carlo")]


def _symbols(d):
    b = d.symbol("beta", bounds=(0, 1))
    t = d.symbol("t", integer=True, positive=True)
    s2 = d.symbol("sigma^2", positive=True)
    return b, t, s2


def _assumed(d, *, slip=False):
    b, t, s2 = _symbols(d)
    mu = d.symbol("mu", real=True)
    M, Vp = d.symbol("M_{t-1}", real=True), d.symbol("V_{t-1}", positive=True)
    x1 = d.random.scalar("x_1", mean=mu, var=s2, real=True)
    x = d.random.scalar("x_t", mean=mu, var=s2, real=True)
    vprev = d.random.scalar("v_{t-1}", mean=M, var=Vp, real=True)
    v0, v1, v = d.symbols("v_0 v_1 v_t", real=True)
    w = 1 - b if slip else (1 - b) ** 2              # the slip: Var(c x) = c Var(x)
    P = (lambda k: s2 * (1 - b ** (2 * k)) / (1 + b)) if slip else \
        (lambda k: s2 * (1 - b) * (1 - b ** (2 * k)) / (1 + b))
    start = d.given(Eq(v0, 0), why="the EMA starts at 0", label="v_0 = 0")
    upd1 = d.given(Eq(v1, b * v0 + (1 - b) * x1), why="the update at t = 1", label="update t=1")
    upd = d.given(Eq(v, b * vprev + (1 - b) * x), why="the update; x_t independent of v_{t-1}", label="update")
    hyp = d.assume(Eq(Var(vprev), P(t - 1)), why="induction hypothesis at t - 1", label="hypothesis")
    (d.chain(Var(v1), using=[upd1, start])
     .eq(w * s2, rule="Var((1 - beta) x_1) = (1 - beta)^2 sigma^2", label="base case variance")
     .eq(P(1), rule="the formula at t = 1: (1 - beta^2)/(1 + beta) = 1 - beta", label="base case"))
    (d.chain(Var(v), using=[upd])
     .eq(b ** 2 * Var(vprev) + w * s2, rule="variances of independent terms add", label="variance of the update")
     .eq(b ** 2 * P(t - 1) + w * s2, rule="induction hypothesis", using=[hyp], label="hypothesis used")
     .eq(P(t), rule="collect: beta^2 - beta^(2t) + (1 - beta)(1 + beta) = 1 - beta^(2t)", label="Var v_t"))
    d.statement(Eq(Var(v), P(t)))


@claim(id="corpus.ema.variance_finite_t", title="Var(v_t) = sigma^2 (1 - beta)(1 - beta^(2t))/(1 + beta)",
       source=SRC, statement="Var(v_t) = sigma^2 (1 - beta) (1 - beta^(2t)) / (1 + beta) for t >= 1",
       witnesses=WITNESSES)
def variance_finite_t(d):
    _assumed(d)


@claim(id="corpus.ema.variance_finite_t.wrong_unsquared_weight",
       title="(wrong) Var((1 - beta) x) = (1 - beta) sigma^2", source=SRC, expected="refuted",
       statement="Var(v_t) = sigma^2 (1 - beta^(2t)) / (1 + beta)", witnesses=WITNESSES)
def variance_finite_t_wrong(d):
    _assumed(d, slip=True)


def _P(b, s2, slip):
    """The claimed Var(v_t) as a function of t; the wrong variants' formula agrees at t = 1 only
    (exponent 2t written t + 1), so its base case holds and the planted step is the induction step's last line."""
    if slip:
        return lambda k: s2 * (1 - b) * (1 - b ** (k + 1)) / (1 + b)
    return lambda k: s2 * (1 - b) * (1 - b ** (2 * k)) / (1 + b)


def _first_class(d, *, slip=False):
    """The same result by first-class induction (issue 8 API): V[t] = Var(v_t)."""
    b, t, s2 = _symbols(d)
    V = d.indexed("V")
    P = _P(b, s2, slip)
    d.given(Eq(V[0], 0), why="v_0 = 0 has variance 0", label="V_0 = 0")
    rec = d.given(Eq(V[t], b ** 2 * V[t - 1] + (1 - b) ** 2 * s2),
                  why="variance of the update (x_t independent of v_{t-1})", label="variance recursion")
    claim_P = Eq(V[t], P(t))
    with d.induction(claim_P, on=t, base=1) as ind:
        (d.chain(V[t], using=[rec])
         .eq(b ** 2 * V[t - 1] + (1 - b) ** 2 * s2, rule="the recursion")
         .eq(b ** 2 * P(t - 1) + (1 - b) ** 2 * s2, rule="induction hypothesis", using=[ind.hypothesis],
             label="hypothesis used")
         .eq(P(t), rule="collect", label="collect"))
    d.statement(claim_P)


@claim(id="corpus.ema.variance_finite_t.induction", title="Var(v_t) by first-class induction", source=SRC,
       statement="V_t = sigma^2 (1 - beta) (1 - beta^(2t)) / (1 + beta), by induction from V_0 = 0",
       witnesses=WITNESSES)
def variance_by_induction(d):
    _first_class(d)


@claim(id="corpus.ema.variance_finite_t.induction.wrong_exponent",
       title="(wrong) the induction step collects to beta^(t+1) instead of beta^(2t)", source=SRC,
       expected="refuted", statement="V_t = sigma^2 (1 - beta) (1 - beta^(t+1)) / (1 + beta)", witnesses=WITNESSES)
def variance_by_induction_wrong(d):
    _first_class(d, slip=True)


def _indexed_base(d, *, slip=False):
    """Works-today style (the hypothesis assumed), but with the recursion stated once for general t and the base
    case derived from it at t = 1, as a user writes it."""
    b, t, s2 = _symbols(d)
    V = d.indexed("V")
    P = _P(b, s2, slip)
    v0 = d.given(Eq(V[0], 0), why="v_0 = 0 has variance 0", label="V_0 = 0")
    rec = d.given(Eq(V[t], b ** 2 * V[t - 1] + (1 - b) ** 2 * s2),
                  why="variance of the update, for every t >= 1", label="variance recursion", for_all=t)
    hyp = d.assume(Eq(V[t - 1], P(t - 1)), why="induction hypothesis at t - 1", label="hypothesis")
    (d.chain(V[1], using=[rec, v0])
     .eq(b ** 2 * V[0] + (1 - b) ** 2 * s2, rule="the recursion at t = 1", label="base case")
     .eq(P(1), rule="V_0 = 0; (1 - beta^2)/(1 + beta) = 1 - beta"))
    (d.chain(V[t], using=[rec])
     .eq(b ** 2 * V[t - 1] + (1 - b) ** 2 * s2, rule="the recursion")
     .eq(b ** 2 * P(t - 1) + (1 - b) ** 2 * s2, rule="induction hypothesis", using=[hyp], label="hypothesis used")
     .eq(P(t), rule="collect", label="collect"))
    d.statement(Eq(V[t], P(t)))


@claim(id="corpus.ema.variance_finite_t.indexed", title="Var(v_t) with the base case from the general recursion",
       source=SRC, statement="V_t = sigma^2 (1 - beta) (1 - beta^(2t)) / (1 + beta)", witnesses=WITNESSES)
def variance_indexed(d):
    _indexed_base(d)


@claim(id="corpus.ema.variance_finite_t.indexed.wrong_exponent",
       title="(wrong) the induction step collects to beta^(t+1) instead of beta^(2t)", source=SRC,
       expected="refuted", statement="V_t = sigma^2 (1 - beta) (1 - beta^(t+1)) / (1 + beta)", witnesses=WITNESSES)
def variance_indexed_wrong(d):
    _indexed_base(d, slip=True)
