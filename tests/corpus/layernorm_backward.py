"""The backward pass of layer normalisation over two features (Ba, Kiros & Hinton 2016), written as a new user
would, with the mean, variance, scale and outputs as definitions:

    m = (x_1 + x_2)/2,  v = ((x_1 - m)^2 + (x_2 - m)^2)/2,  s = sqrt(v + eps),  y_k = (x_k - m)/s,

and an upstream gradient g (L = g_1 y_1 + g_2 y_2). The standard result (the same formula as batch norm's):

    dL/dx_1 = (g_1 - mean(g) - y_1 mean(g y)) / s.

Witness: Richardson differences of a NumPy layer-norm forward pass.
"""
import numpy as np
import sympy as sp

from proofs import Eq, Source, claim

SRC = Source("Ba, Kiros & Hinton, Layer Normalization (2016); Ioffe & Szegedy 2015, Sec. 3",
             "backward pass of the normalisation (two features)")
TOPIC = "user corpus: normalisation"


def layer_norm(x, eps):
    m = x.mean()
    return (x - m) / np.sqrt(((x - m) ** 2).mean() + eps)


def _backward_witness(w):
    """At 5 random (x, g), eps = 0.01: dL/dx_1 by Richardson differences of g . layer_norm(x); the statement's right
    side with the forward pass's y, s."""
    from proofs.finite_diff import richardson
    S = w.S
    eps = 0.01
    D = sp.Symbol("dL_dx1_measured")
    rel = sp.Eq(D, w.statement.rhs)
    obs = []
    for _ in range(5):
        x, g = w.rng.normal(size=2), w.rng.normal(size=2)
        val, err = richardson(lambda z: float(np.dot(g, layer_norm(z, eps))), x, np.array([1.0, 0.0]))
        y = layer_norm(x, eps)
        s = float(np.sqrt(((x - x.mean()) ** 2).mean() + eps))
        at = {S.g_1: g[0], S.g_2: g[1], S.y_1: y[0], S.y_2: y[1], S.s: s}
        obs.append(w.close({D: val}, {D: err}, at={k: sp.Float(v, 17) for k, v in at.items()}, relation=rel,
                           floor=1e-9, method="Richardson differences of a NumPy layer norm", n=5))
    return obs


def _backward(d, *, slip=False):
    x1, x2, g1, g2 = d.symbols("x_1 x_2 g_1 g_2", real=True)
    eps = d.symbol("epsilon", positive=True)
    m, v, s = d.symbol("m", real=True), d.symbol("v", nonnegative=True), d.symbol("s", positive=True)
    y1, y2 = d.symbols("y_1 y_2", real=True)
    d.define(m, (x1 + x2) / 2, why="mean")
    d.define(v, ((x1 - m) ** 2 + (x2 - m) ** 2) / 2, why="variance")
    d.define(s, sp.sqrt(v + eps), why="scale")
    d.define(y1, (x1 - m) / s, why="normalised output")
    d.define(y2, (x2 - m) / s, why="normalised output")
    L = g1 * y1 + g2 * y2
    gbar = (g1 + g2) / 2
    first = g1 / s if slip else (g1 - gbar) / s            # the slip: the mean's dependence on x_1 forgotten
    rhs = (g1 - y1 * (g1 * y1 + g2 * y2) / 2) / s if slip else (g1 - gbar - y1 * (g1 * y1 + g2 * y2) / 2) / s
    (d.chain(sp.Derivative(L, x1))
     .eq(first + (g1 * (x1 - m) + g2 * (x2 - m)) * sp.Derivative(1 / s, x1), rule="product rule; dm/dx_1 = 1/2",
         label="product rule")
     .eq(first - (g1 * (x1 - m) + g2 * (x2 - m)) * (x1 - m) / (2 * s ** 3), rule="dv/dx_1 = x_1 - m",
         label="derivative of 1/s")
     .eq(rhs, rule="in terms of y_k", label="in terms of y"))
    d.statement(Eq(sp.Derivative(L, x1), rhs))


@claim(id="corpus.layernorm.backward_2", title="LayerNorm backward: dL/dx_1 = (g_1 - mean g - y_1 mean(g y)) / s",
       source=SRC, statement="dL/dx_1 = (g_1 - mean(g) - y_1 mean(g y)) / s",
       witnesses=[(_backward_witness, "finite-difference")])
def backward_2(d):
    _backward(d)


@claim(id="corpus.layernorm.backward_2.wrong_mean_term", title="(wrong) the mean's dependence on x_1 forgotten",
       source=SRC, expected="refuted", statement="dL/dx_1 = (g_1 - y_1 mean(g y)) / s",
       witnesses=[(_backward_witness, "finite-difference")])
def backward_2_wrong(d):
    _backward(d, slip=True)


def _standardise_witness(w):
    """R draws of a skewed input (exponential, mean 2, sigma = 2) standardised with the population mean and sigma,
    as batch norm does at inference: sample variance of the output."""
    from proofs.stats import sample_size_variance, variance_se
    R = sample_size_variance(0.1, kurtosis=9.0, alpha=w.alpha)
    x = w.rng.exponential(2.0, size=R)
    z = (x - 2.0) / 2.0
    est, se = variance_se(z)
    Vm = sp.Symbol("var_measured")
    return w.estimate({Vm: est}, {Vm: se}, at={w.S.sigma: 2}, relation=sp.Eq(Vm, w.statement.rhs), n=R,
                      method="standardised exponential samples")


def _standardise(d, *, slip=False):
    from proofs import Var
    mu = d.symbol("mu", real=True)
    sigma = d.symbol("sigma", real=True)
    d.assume(sigma > 0, why="a standard deviation")
    x = d.random.scalar("x", mean=mu, var=sigma ** 2, real=True)
    pulled = Var(x) / sigma if slip else Var(x) / sigma ** 2     # the slip: Var(x / sigma) = Var(x) / sigma
    rhs = sigma if slip else sp.Integer(1)
    (d.chain(Var((x - mu) / sigma))
     .eq(pulled, rule="shift invariance; Var(c x) = c^2 Var x", label="scale out")
     .eq(sigma ** 2 / (sigma if slip else sigma ** 2), rule="Var x = sigma^2")
     .eq(rhs, rule="cancel sigma^2 (sigma > 0)"))
    d.statement(Eq(Var((x - mu) / sigma), rhs))


@claim(id="corpus.layernorm.standardised_unit_variance", title="Var((x - mu)/sigma) = 1", source=SRC,
       statement="standardising with the mean and standard deviation gives unit variance",
       witnesses=[(_standardise_witness, "monte-carlo")])
def standardised_unit_variance(d):
    _standardise(d)


@claim(id="corpus.layernorm.standardised_unit_variance.wrong_unsquared",
       title="(wrong) Var(x / sigma) = Var(x) / sigma", source=SRC, expected="refuted",
       statement="Var((x - mu)/sigma) = sigma",
       witnesses=[(_standardise_witness, "monte-carlo")])
def standardised_unit_variance_wrong(d):
    _standardise(d, slip=True)
