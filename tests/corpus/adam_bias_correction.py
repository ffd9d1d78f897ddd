"""Adam's first-moment bias correction (Kingma & Ba, "Adam", ICLR 2015, Section 3), written as a new user
would: beta_1 in (0, 1), m_0 = 0, iid gradients g_t with mean mu.

* E m_t = (1 - beta_1^t) mu (induction on t: a base case and a step using the hypothesis at t - 1);
* the corrected estimate m^_t = m_t / (1 - beta_1^t) is unbiased (divides by 1 - beta_1^t, non-zero for
  0 < beta_1 < 1 and t >= 1).

Each true claim has a wrong variant (expected refuted) with one planted slip, carried to the statement.
The witnesses run Adam's first-moment recursion on every input sequence of a two-point law, exactly.
"""
from fractions import Fraction
from itertools import product

import sympy as sp

from proofs import E, Eq, Source, claim
from proofs.witness import expectations_as_symbols

SRC = Source("Kingma & Ba, Adam: A Method for Stochastic Optimization (ICLR 2015)", "Section 3 (bias correction)")
TOPIC = "user corpus: Adam"

# gradient law: g = -1 w.p. 1/4, g = 3 w.p. 3/4 (mean 2)
LAW = [(Fraction(-1), Fraction(1, 4)), (Fraction(3), Fraction(3, 4))]
MEAN = sum(v * p for v, p in LAW)


def adam_first_moments(beta, T):
    """E m_t and E[m_t / (1 - beta^t)] for t = 1..T: run m_t = beta m_{t-1} + (1 - beta) g_t from m_0 = 0 on
    every gradient sequence of length T (exact rationals) and average with the path probabilities."""
    Em = [Fraction(0)] * (T + 1)
    Ehat = [Fraction(0)] * (T + 1)
    for path in product(LAW, repeat=T):
        p, m = Fraction(1), Fraction(0)
        for _, q in path:
            p *= q
        for t, (g, _) in enumerate(path, start=1):
            m = beta * m + (1 - beta) * g
            Em[t] += p * m
            Ehat[t] += p * m / (1 - beta ** t)      # Adam's corrected estimate, as the optimiser computes it
    return Em, Ehat


def _mean_witness(w):
    """Exact E m_t (beta_1 = 9/10 and 1/3, t = 1..7) by enumerating all 2^7 gradient sequences; the
    statement at every (beta_1, t)."""
    rel, nodes = expectations_as_symbols(w.statement)
    (Es,) = nodes
    obs = []
    for beta in (Fraction(9, 10), Fraction(1, 3)):
        Em, _ = adam_first_moments(beta, 7)
        for t in range(1, 8):
            obs.append(w.exact({Es: Em[t], w.S.beta_1: beta, w.S.t: t, w.S.mu: MEAN}, relation=rel,
                               method="Adam's m_t on all 2^7 gradient sequences, exact", n=2 ** 7))
    bad = [o for o in obs if not o.holds]
    return w.observe(not bad, bad[0].detail if bad else f"holds at all {len(obs)} (beta_1, t)",
                     method="Adam's m_t on all 2^7 gradient sequences, exact", n=len(obs))


def _corrected_witness(w):
    """Exact E[m_t / (1 - beta_1^t)] from running Adam's corrected estimate on all 2^7 sequences."""
    rel, nodes = expectations_as_symbols(w.statement)
    (Es,) = nodes
    obs = []
    for beta in (Fraction(9, 10), Fraction(1, 3)):
        _, Ehat = adam_first_moments(beta, 7)
        for t in range(1, 8):
            obs.append(w.exact({Es: Ehat[t], w.S.beta_1: beta, w.S.t: t, w.S.mu: MEAN}, relation=rel))
    bad = [o for o in obs if not o.holds]
    return w.observe(not bad, bad[0].detail if bad else f"holds at all {len(obs)} (beta_1, t)",
                     method="Adam's corrected estimate on all 2^7 gradient sequences, exact", n=len(obs))


def _first_moment(d, *, slip=False):
    b = d.symbol("beta_1", bounds=(0, 1))
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    M = d.symbol("M_{t-1}", real=True)
    v = d.symbol("v_{t-1}", positive=True)
    m0, m1, m = d.symbols("m_0 m_1 m_t", real=True)
    g1 = d.random.scalar("g_1", mean=mu, var=s2, real=True)
    g = d.random.scalar("g_t", mean=mu, var=s2, real=True)
    mprev = d.random.scalar("m_{t-1}", mean=M, var=v, real=True)
    start = d.given(Eq(m0, 0), why="Adam initialises m_0 = 0", label="m_0 = 0")
    upd1 = d.given(Eq(m1, b * m0 + (1 - b) * g1), why="the update at t = 1", label="update t=1")
    upd = d.given(Eq(m, b * mprev + (1 - b) * g), why="the update at t", label="update")
    hyp = d.assume(Eq(M, (1 - b ** (t - 1)) * mu),
                   why="induction hypothesis: M_{t-1} = E m_{t-1} = (1 - beta_1^(t-1)) mu", label="hypothesis")
    (d.chain(E(m1), using=[upd1, start])
     .eq((1 - b) * mu, rule="m_0 = 0 and E g_1 = mu", label="base case")
     .eq((1 - b ** 1) * mu, rule="the formula at t = 1"))
    linear = b * M + mu if slip else b * M + (1 - b) * mu
    rhs = (1 + b - b ** t) * mu if slip else (1 - b ** t) * mu
    (d.chain(E(m), using=[upd])
     .eq(E(b * mprev + (1 - b) * g), rule="the update")
     .eq(linear, rule="linearity of E", label="linearity")
     .eq(b * (1 - b ** (t - 1)) * mu + (mu if slip else (1 - b) * mu), rule="induction hypothesis",
         using=[hyp], label="hypothesis used")
     .eq(rhs, rule="beta_1 beta_1^(t-1) = beta_1^t", label="E m_t"))
    d.statement(Eq(E(m), rhs))


@claim(id="corpus.adam.first_moment_mean", title="E m_t = (1 - beta_1^t) mu", source=SRC,
       statement="For m_0 = 0 and m_t = beta_1 m_{t-1} + (1 - beta_1) g_t with E g_t = mu: "
                 "E m_t = (1 - beta_1^t) mu", witnesses=[(_mean_witness, "exact")])
def first_moment_mean(d):
    _first_moment(d)


@claim(id="corpus.adam.first_moment_mean.wrong_dropped_weight",
       title="(wrong) the (1 - beta_1) on E g_t dropped under linearity", source=SRC, expected="refuted",
       statement="E m_t = (1 + beta_1 - beta_1^t) mu", witnesses=[(_mean_witness, "exact")])
def first_moment_mean_wrong(d):
    _first_moment(d, slip=True)


def _corrected(d, *, slip=False):
    b = d.symbol("beta_1", bounds=(0, 1))
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    M, v = d.symbol("M_t", real=True), d.symbol("v_t", positive=True)
    m = d.random.scalar("m_t", mean=M, var=v, real=True)
    mean = d.given(Eq(E(m), (1 - b ** t) * mu), why="corpus.adam.first_moment_mean", label="E m_t")
    den = (1 - b ** (t + 1)) if slip else (1 - b ** t)
    rhs = (1 - b ** t) * mu / (1 - b ** (t + 1)) if slip else mu
    (d.chain(E(m / (1 - b ** t)))
     .eq(E(m) / den, rule="linearity: 1 - beta_1^t is a constant", label="pull out")
     .eq((1 - b ** t) * mu / den, rule="E m_t", using=[mean], label="insert E m_t")
     .eq(rhs, rule="cancel 1 - beta_1^t (non-zero: 0 < beta_1 < 1, t >= 1)", label="cancel"))
    d.statement(Eq(E(m / (1 - b ** t)), rhs))


@claim(id="corpus.adam.corrected_unbiased", title="E[m_t / (1 - beta_1^t)] = mu", source=SRC,
       statement="the bias-corrected first moment m^_t = m_t / (1 - beta_1^t) is unbiased",
       witnesses=[(_corrected_witness, "exact")])
def corrected_unbiased(d):
    _corrected(d)


@claim(id="corpus.adam.corrected_unbiased.wrong_exponent", title="(wrong) dividing by 1 - beta_1^(t+1)",
       source=SRC, expected="refuted", statement="E[m_t / (1 - beta_1^t)] = (1 - beta_1^t) mu / (1 - beta_1^(t+1))",
       witnesses=[(_corrected_witness, "exact")])
def corrected_unbiased_wrong(d):
    _corrected(d, slip=True)


def _induction(d, *, slip=False):
    """E m_t by first-class induction (issue 8 API): M[t] = E m_t. The wrong variant's formula agrees with the
    true one at t = 1 (exponent t written 2t - 1), so its base case holds and the induction step is wrong."""
    b = d.symbol("beta_1", bounds=(0, 1))
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    M = d.indexed("M")

    def P(k):
        return (1 - b ** (2 * k - 1)) * mu if slip else (1 - b ** k) * mu
    d.given(Eq(M[0], 0), why="m_0 = 0", label="M_0 = 0")
    rec = d.given(Eq(M[t], b * M[t - 1] + (1 - b) * mu), why="E of the update (linearity, E g_t = mu)",
                  label="mean recursion")
    claim_P = Eq(M[t], P(t))
    with d.induction(claim_P, on=t, base=1) as ind:
        (d.chain(M[t], using=[rec])
         .eq(b * M[t - 1] + (1 - b) * mu, rule="the recursion")
         .eq(b * P(t - 1) + (1 - b) * mu, rule="induction hypothesis", using=[ind.hypothesis],
             label="hypothesis used")
         .eq(P(t), rule="beta_1 beta_1^(t-1) = beta_1^t", label="collect"))
    d.statement(claim_P)


def _induction_witness(w):
    """Exact E m_t by enumeration (as _mean_witness), tested against the statement M_t = ..."""
    S = w.S
    Ms = sp.Symbol("M_measured")
    rel = sp.Eq(Ms, w.statement.rhs)
    obs = []
    for beta in (Fraction(9, 10), Fraction(1, 3)):
        Em, _ = adam_first_moments(beta, 7)
        for t in range(1, 8):
            obs.append(w.exact({Ms: Em[t], S.beta_1: beta, S.t: t, S.mu: MEAN}, relation=rel))
    bad = [o for o in obs if not o.holds]
    return w.observe(not bad, bad[0].detail if bad else f"holds at all {len(obs)} (beta_1, t)",
                     method="Adam's m_t on all 2^7 gradient sequences, exact", n=len(obs))


@claim(id="corpus.adam.first_moment_mean.induction", title="E m_t = (1 - beta_1^t) mu by first-class induction",
       source=SRC, statement="M_t = E m_t = (1 - beta_1^t) mu, by induction from M_0 = 0",
       witnesses=[(_induction_witness, "exact")])
def first_moment_induction(d):
    _induction(d)


@claim(id="corpus.adam.first_moment_mean.induction.wrong_exponent",
       title="(wrong) the induction step collects to beta_1^(2t-1)", source=SRC, expected="refuted",
       statement="M_t = (1 - beta_1^(2t-1)) mu", witnesses=[(_induction_witness, "exact")])
def first_moment_induction_wrong(d):
    _induction(d, slip=True)
