"""Inverted dropout (Srivastava et al., JMLR 2014; the "inverted" scaling used by deep-learning libraries),
written as a new user would: y = x m / p with a keep mask m ~ Bernoulli(p), 0 < p <= 1. Then

    E y = x   and   Var y = x^2 (1 - p) / p.

Witness: Monte Carlo over dropout masks drawn the way a layer draws them.
"""
import numpy as np
import sympy as sp

from proofs import E, Eq, Source, Var, claim

SRC = Source("Srivastava et al., Dropout (JMLR 2014)", "Sec. 10 / inverted dropout at training time")
TOPIC = "user corpus: dropout"


def _dropout_layer(rng, x, p, size):
    """Training-mode inverted dropout of a constant activation x: keep with probability p, rescale by 1/p."""
    keep = rng.random(size) < p
    return np.where(keep, x / p, 0.0)


def _dropout_witness(w):
    """R forward passes of the dropout layer (x = 1.5, p = 0.8): sample mean and variance of the output."""
    from proofs.stats import mean_se, sample_size_variance, variance_se
    S = w.S
    x, p = 1.5, 0.8
    R = sample_size_variance(0.1, kurtosis=3.3, alpha=w.alpha)
    y = _dropout_layer(w.rng, x, p, R)
    m, m_se = mean_se(y)
    v, v_se = variance_se(y)
    Em, Vm = sp.Symbol("mean_measured"), sp.Symbol("var_measured")
    mean_rel, var_rel = w.statement
    at = {S.x: sp.Rational(3, 2), S.p: sp.Rational(4, 5)}
    return [w.estimate({Em: m}, {Em: m_se}, at=at, relation=sp.Eq(Em, mean_rel.rhs), n=R, share=2,
                       method="inverted-dropout forward passes"),
            w.estimate({Vm: v}, {Vm: v_se}, at=at, relation=sp.Eq(Vm, var_rel.rhs), n=R, share=2,
                       method="inverted-dropout forward passes")]


def _dropout(d, *, slip=False):
    p = d.symbol("p", bounds=(0, 1), closed=(False, True))
    x = d.symbol("x", real=True)
    m = d.random.bernoulli("m", p)
    y = x * m / p
    (d.chain(E(y))
     .eq(x * E(m) / p, rule="linearity")
     .eq(x, rule="E m = p", label="E y"))
    pulled = x ** 2 * Var(m) / p if slip else x ** 2 * Var(m) / p ** 2     # the slip: 1/p not squared
    var_rhs = x ** 2 * (1 - p) if slip else x ** 2 * (1 - p) / p
    (d.chain(Var(y))
     .eq(pulled, rule="Var(c m) = c^2 Var m", label="pull out the constant")
     .eq(x ** 2 * p * (1 - p) / (p if slip else p ** 2), rule="Var m = p (1 - p)")
     .eq(var_rhs, rule="cancel p", label="Var y"))
    d.statement((Eq(E(y), x), Eq(Var(y), var_rhs)))


@claim(id="corpus.dropout.inverted_moments", title="inverted dropout: E y = x, Var y = x^2 (1 - p)/p", source=SRC,
       statement="y = x m / p, m ~ Bernoulli(p): E y = x and Var y = x^2 (1 - p) / p",
       witnesses=[(_dropout_witness, "monte-carlo")])
def inverted_moments(d):
    _dropout(d)


@claim(id="corpus.dropout.inverted_moments.wrong_unsquared", title="(wrong) Var(m / p) = Var(m) / p", source=SRC,
       expected="refuted", statement="E y = x and Var y = x^2 (1 - p)", witnesses=[(_dropout_witness, "monte-carlo")])
def inverted_moments_wrong(d):
    _dropout(d, slip=True)
