"""The gradient of softmax + cross-entropy with respect to the logits is y - t (t a probability vector),
written as a new user would: the targets' normalisation sum_k t_k = 1 is a stated given.

* three classes, explicit: L = -sum_k t_k log softmax(z)_k, dL/dz_1 = y_1 - t_1;
* K classes with a bounded class index j (1 <= j <= K): sum_k t_k (y_j - delta_jk) = y_j - t_j.

Witnesses: central differences (Richardson) of a numerically stable log-softmax loss.
"""
import numpy as np
import sympy as sp

from proofs import Eq, Source, claim

SRC = Source("Bishop, Pattern Recognition and Machine Learning (2006)", "eq. (4.109)-(4.110); any DL textbook")
TOPIC = "user corpus: softmax"


def _loss(z, t):
    """Cross-entropy of softmax(z) against targets t, computed stably (log-sum-exp)."""
    z = np.asarray(z, dtype=float)
    m = z.max()
    return -float(np.dot(t, z - m - np.log(np.exp(z - m).sum())))


def _softmax(z):
    e = np.exp(np.asarray(z, dtype=float) - np.max(z))
    return e / e.sum()


def _three_class_witness(w):
    """dL/dz_1 by Richardson-extrapolated central differences at 5 random (z, t) (t on the simplex);
    the statement's right side at the network's softmax output y and t."""
    from proofs.finite_diff import richardson
    S = w.S
    D = sp.Symbol("dL_dz1_measured")
    rel = sp.Eq(D, w.statement.rhs)
    obs = []
    for _ in range(5):
        z = w.rng.normal(size=3)
        t = w.rng.dirichlet(np.ones(3))
        val, err = richardson(lambda zz: _loss(zz, t), z, np.array([1.0, 0.0, 0.0]))
        y = _softmax(z)
        at = {S.z_1: z[0], S.z_2: z[1], S.z_3: z[2], S.t_1: t[0], S.t_2: t[1], S.t_3: t[2],
              S.y_1: y[0], S.y_2: y[1], S.y_3: y[2]}
        obs.append(w.close({D: val}, {D: err}, at={k: sp.Float(v, 17) for k, v in at.items()}, relation=rel,
                           floor=1e-9, method="Richardson central differences of a stable log-softmax loss", n=5))
    return obs


def _three_class(d, *, slip=False):
    z1, z2, z3 = d.symbols("z_1 z_2 z_3", real=True)
    t1, t2, t3 = d.symbols("t_1 t_2 t_3", nonnegative=True)
    y1, y2, y3 = d.symbols("y_1 y_2 y_3", positive=True)
    Z = sp.exp(z1) + sp.exp(z2) + sp.exp(z3)
    d.define(y1, sp.exp(z1) / Z, why="softmax")
    d.define(y2, sp.exp(z2) / Z, why="softmax")
    d.define(y3, sp.exp(z3) / Z, why="softmax")
    norm = d.given(Eq(t1 + t2 + t3, 1), why="the targets are a probability vector", label="sum t = 1")
    L = -(t1 * sp.log(sp.exp(z1) / Z) + t2 * sp.log(sp.exp(z2) / Z) + t3 * sp.log(sp.exp(z3) / Z))
    s = -1 if slip else 1                              # the slip: the other classes enter with the wrong sign
    rhs = y1 * (2 * t1 - 1) - t1 if slip else y1 - t1
    (d.chain(sp.Derivative(L, z1))
     .eq(-t1 * (1 - y1) + s * (t2 * y1 + t3 * y1), rule="d log y_k / d z_1 = delta_1k - y_1", label="differentiate")
     .eq(y1 * (t1 + s * (t2 + t3)) - t1, rule="collect y_1")
     .eq(rhs, rule="t_1 + t_2 + t_3 = 1", using=[norm], label="use sum t = 1"))
    d.statement(Eq(sp.Derivative(L, z1), rhs))


@claim(id="corpus.softmax.ce_gradient_3", title="softmax cross-entropy: dL/dz_1 = y_1 - t_1 (three classes)",
       source=SRC, statement="dL/dz_1 = y_1 - t_1 when t_1 + t_2 + t_3 = 1",
       witnesses=[(_three_class_witness, "finite-difference")])
def ce_gradient_3(d):
    _three_class(d)


@claim(id="corpus.softmax.ce_gradient_3.wrong_sign", title="(wrong) the other classes' terms with a minus sign",
       source=SRC, expected="refuted", statement="dL/dz_1 = y_1 (2 t_1 - 1) - t_1",
       witnesses=[(_three_class_witness, "finite-difference")])
def ce_gradient_3_wrong(d):
    _three_class(d, slip=True)


def _k_class_witness(w):
    """K = 5 classes: the gradient of the loss in z_j (j = 1..5) by Richardson central differences at random
    (z, t); the statement (both sides) with the network's softmax output."""
    from proofs.finite_diff import richardson
    S = w.S
    K = 5
    D = sp.Symbol("dL_dzj_measured")
    lhs, rhs = w.statement.lhs, w.statement.rhs
    obs = []
    for _ in range(3):
        z = w.rng.normal(size=K)
        t = w.rng.dirichlet(np.ones(K))
        y = _softmax(z)
        for j in range(1, K + 1):
            e = np.zeros(K)
            e[j - 1] = 1.0
            val, err = richardson(lambda zz: _loss(zz, t), z, e)
            vals = {S.y[k]: sp.Float(y[k - 1], 17) for k in range(1, K + 1)}
            vals.update({S.t[k]: sp.Float(t[k - 1], 17) for k in range(1, K + 1)})
            # the statement's left side is the chain-rule sum; the measured gradient must equal both sides
            for side in (lhs, rhs):
                concrete = side.xreplace({S.K: K, S.j: j}).doit()        # K = 5 classes, class j
                obs.append(w.close({D: val}, {D: err}, at=vals, relation=sp.Eq(D, concrete), floor=1e-9,
                                   method="Richardson central differences, K = 5", n=3 * K))
    return obs


def _k_class(d, *, slip=False):
    K = d.symbol("K", integer=True, positive=True)
    j = d.symbol("j", integer=True, bounds=(1, K), closed=True)
    k = d.symbol("k", integer=True)
    y, t = d.indexed("y"), d.indexed("t")
    norm = d.given(Eq(sp.Sum(t[k], (k, 1, K)), 1), why="the targets are a probability vector", label="sum t = 1")
    d.given(Eq(sp.Sum(y[k], (k, 1, K)), 1), why="softmax outputs sum to 1", label="sum y = 1")
    grad = sp.Sum(t[k] * (y[j] - sp.KroneckerDelta(j, k)), (k, 1, K))
    picked = 2 * t[j] if slip else t[j]                # the slip: the delta term counted twice
    (d.chain(grad)
     .eq(y[j] * sp.Sum(t[k], (k, 1, K)) - picked, rule="split the sum; the delta picks k = j", label="split")
     .eq(y[j] - picked, rule="sum_k t_k = 1", using=[norm], label="use sum t = 1"))
    d.statement(Eq(grad, y[j] - picked))


@claim(id="corpus.softmax.ce_gradient_K", title="sum_k t_k (y_j - delta_jk) = y_j - t_j for 1 <= j <= K",
       source=SRC, statement="dL/dz_j = sum_k t_k (y_j - delta_jk) = y_j - t_j",
       witnesses=[(_k_class_witness, "finite-difference")])
def ce_gradient_K(d):
    _k_class(d)


@claim(id="corpus.softmax.ce_gradient_K.wrong_double_count", title="(wrong) the delta term counted twice",
       source=SRC, expected="refuted", statement="sum_k t_k (y_j - delta_jk) = y_j - 2 t_j",
       witnesses=[(_k_class_witness, "finite-difference")])
def ce_gradient_K_wrong(d):
    _k_class(d, slip=True)
