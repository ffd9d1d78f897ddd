"""Derivatives of activation functions, written as a new user would (textbook identities):

* logistic sigmoid: sigma'(x) = sigma(x) (1 - sigma(x));
* tanh, from its exponential form: tanh'(x) = 1 - tanh(x)^2.

Witnesses: Richardson-extrapolated central differences of NumPy's implementations at random points.
"""
import numpy as np
import sympy as sp

from proofs import Eq, Source, claim

SRC = Source("Goodfellow, Bengio & Courville, Deep Learning (2016)", "Sec. 6.3 (hidden units)")
TOPIC = "user corpus: activations"


def _fd_witness(fn, names):
    """Central differences of ``fn`` at 6 random points; values of the statement's other symbols from the
    forward pass (``names``: symbol name -> function of x)."""
    def witness(w):
        from proofs.finite_diff import richardson
        D = sp.Symbol("derivative_measured")
        rel = sp.Eq(D, w.statement.rhs)
        obs = []
        for x0 in w.rng.uniform(-3, 3, size=6):
            val, err = richardson(lambda x: fn(x[0]), np.array([x0]), np.array([1.0]))
            at = {w.S[n]: sp.Float(f(x0), 17) for n, f in names.items()}
            obs.append(w.close({D: val}, {D: err}, at=at, relation=rel, floor=1e-9,
                               method="Richardson central differences of the NumPy activation", n=6))
        return obs
    return witness


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


SIGMOID_FD = _fd_witness(_sigmoid, {"x": lambda x: x, "sigma": _sigmoid})
TANH_FD = _fd_witness(np.tanh, {"x": lambda x: x})


def _sigmoid_derivation(d, *, slip=False):
    x = d.symbol("x", real=True)
    s = d.symbol("sigma", positive=True)
    d.define(s, 1 / (1 + sp.exp(-x)), why="the logistic sigmoid")
    f = 1 / (1 + sp.exp(-x))
    u = 1 / (1 + sp.exp(-x))
    first = sp.exp(-x) / (1 + sp.exp(-x)) if slip else sp.exp(-x) / (1 + sp.exp(-x)) ** 2
    split = 1 - u if slip else u * (1 - u)
    rhs = 1 - s if slip else s * (1 - s)
    (d.chain(sp.Derivative(f, x))
     .eq(first, rule="chain rule on (1 + e^-x)^-1", label="chain rule")
     .eq(split, rule="e^-x / (1 + e^-x) = 1 - 1/(1 + e^-x)")
     .eq(rhs, rule="definition of sigma", label="sigma (1 - sigma)"))
    d.statement(Eq(sp.Derivative(f, x), rhs))


@claim(id="corpus.activations.sigmoid_derivative", title="sigma'(x) = sigma(x)(1 - sigma(x))", source=SRC,
       statement="d/dx 1/(1 + e^-x) = sigma (1 - sigma)", witnesses=[(SIGMOID_FD, "finite-difference")])
def sigmoid_derivative(d):
    _sigmoid_derivation(d)


@claim(id="corpus.activations.sigmoid_derivative.wrong_dropped_square",
       title="(wrong) chain rule without the square of 1 + e^-x", source=SRC, expected="refuted",
       statement="d/dx 1/(1 + e^-x) = 1 - sigma", witnesses=[(SIGMOID_FD, "finite-difference")])
def sigmoid_derivative_wrong(d):
    _sigmoid_derivation(d, slip=True)


def _tanh_derivation(d, *, slip=False):
    x = d.symbol("x", real=True)
    p, m = sp.exp(x), sp.exp(-x)
    c = 2 if slip else 4                        # the slip: (a + b)^2 - (a - b)^2 = 2ab
    rhs = (1 - sp.tanh(x) ** 2) / 2 if slip else 1 - sp.tanh(x) ** 2
    (d.chain(sp.Derivative((p - m) / (p + m), x))
     .eq(((p + m) ** 2 - (p - m) ** 2) / (p + m) ** 2, rule="quotient rule", label="quotient rule")
     .eq(c / (p + m) ** 2, rule="(a + b)^2 - (a - b)^2 = 4ab with ab = 1", label="difference of squares")
     .eq(rhs, rule="1 - tanh^2 = 4 / (e^x + e^-x)^2", label="1 - tanh^2"))
    d.statement(Eq(sp.Derivative(sp.tanh(x), x), rhs))


@claim(id="corpus.activations.tanh_derivative", title="tanh'(x) = 1 - tanh(x)^2", source=SRC,
       statement="d/dx tanh x = 1 - tanh^2 x", witnesses=[(TANH_FD, "finite-difference")])
def tanh_derivative(d):
    _tanh_derivation(d)


@claim(id="corpus.activations.tanh_derivative.wrong_constant", title="(wrong) (a + b)^2 - (a - b)^2 = 2ab",
       source=SRC, expected="refuted", statement="d/dx tanh x = (1 - tanh^2 x) / 2",
       witnesses=[(TANH_FD, "finite-difference")])
def tanh_derivative_wrong(d):
    _tanh_derivation(d, slip=True)
