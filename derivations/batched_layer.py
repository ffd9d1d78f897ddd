r"""Backprop through a batched matrix-vector product (SGD problems, Problem 4 (a)-(c)).

    for b, i, j:  y[b, j] += W[j, i] x[b, i]          b = 1..B, i = 1..n, j = 1..m

``y.grad[b, j]`` is the derivative of the per-example loss ``loss_b`` (a function of y[b, :])
with respect to y[b, j]; the batch loss is the average L = (1/B) sum_b loss_b (the convention
"parameter gradients are averaged over the batch", which is where the 1/B of (a) comes from).

Gradients are proved for *all* sizes (B, m, n symbolic) through directional derivatives: an
array G is the gradient of a loss iff for every direction U (an m x n matrix) the derivative of
the loss along W + eps U equals <U, G> = sum_{j,i} U[j, i] G[j, i]. By the chain rule that
derivative equals the derivative of the loss's first-order model sum_j y.grad[b, j] y[b, j]
(y.grad frozen), which is what the definitions below differentiate.

(c) is a "not determined" claim: W.grad2 = (1/B) sum_b W.grad[b]^2 is the square of
W.grad plus the within-batch variance of the per-example gradients (proved for symbolic B),
and an explicit pair of batches through the same layer gives the same W.grad but different
W.grad2, so no function of W.grad computes W.grad2.
"""
from fractions import Fraction

import numpy as np
import sympy as sp

from proofs import Source, claim

TOPIC = "backprop"
SGD_PROBLEMS = "000_e701d70adf034ba3.txt"
SGD_PROBLEMS_2 = "001_6f3b02b455961dc3.txt"


def _src(part: str) -> Source:
    return Source(SGD_PROBLEMS, f"Problem 4 ({part})")


def _also(part: str) -> tuple:
    return (Source(SGD_PROBLEMS_2, f"Problem 3 ({part})"),)


class BatchedLayer:
    """Symbols of the batched layer y[b, j] = sum_i W[j, i] x[b, i] and a direction U of W."""

    def __init__(self, d, batch=True):
        self.B = d.symbol("B", integer=True, positive=True) if batch else None
        self.m = d.symbol("m", integer=True, positive=True)
        self.n = d.symbol("n", integer=True, positive=True)
        self.b = d.symbol("b", integer=True, positive=True)
        self.j, self.i = d.symbols("j i", integer=True, positive=True)
        self.eps = d.symbol("epsilon", real=True)
        self.W, self.U, self.x = d.indexed("W"), d.indexed("U"), d.indexed("x")
        self.G = d.indexed("y.grad")

    def y(self, j, b, eps=0):
        """y[b, j] at W + eps U (the forward loop summed over i)."""
        i = self.i
        return sp.Sum((self.W[j, i] + eps * self.U[j, i]) * self.x[b, i], (i, 1, self.n))

    def over_units(self, body):
        """sum over j = 1..m and i = 1..n (one multi-limit Sum, i innermost)."""
        return sp.Sum(body, (self.i, 1, self.n), (self.j, 1, self.m))

    def first_order_model(self, b, weight=1):
        """weight * sum_j y.grad[b, j] y[b, j](W + eps U), written as one sum over (j, i)."""
        L, j, i = self, self.j, self.i
        return weight * L.G[b, j] * (L.W[j, i] + L.eps * L.U[j, i]) * L.x[b, i]


# ------------------------------------------------------------------------------------------------
# (b) per-example gradient
# ------------------------------------------------------------------------------------------------

def per_example_build(d, *, factor=1):
    L = BatchedLayer(d, batch=False)
    b, j, i = L.b, L.j, L.i
    DL = d.symbol("D_U loss_b", real=True)
    Wg = d.indexed("W.grad")
    d.define(DL, sp.Derivative(L.over_units(L.first_order_model(b)), L.eps), label="chain rule",
             why="derivative of loss_b along W -> W + eps U: by the chain rule, that of its first-order model "
                 "sum_j y.grad[b, j] y[b, j](W + eps U) with y[b, j] = sum_i (W + eps U)[j, i] x[b, i]")
    d.define(Wg[b, j, i], factor * L.G[b, j] * L.x[b, i], label="the loop (b)",
             why="for b, i, j: W.grad[b, j, i] += y.grad[b, j] x[b, i] (one increment per entry, from zero)")
    d.note("The question asks for W.grad[b, i, j], the derivative with respect to W[i, j]; the solution (and the "
           "layer y[b, j] += W[j, i] x[b, i]) index W as W[j, i], so W.grad[b, j, i] is read as dloss_b/dW[j, i].")
    d.note("Sums over (j, i) are written as one multi-limit Sum: SymPy merges Sum(Sum(...)) into one, and the "
           "engine canonicalises only single-limit sums (an engine gap).")
    ch = (d.chain(DL)
          .eq(L.over_units(L.G[b, j] * L.U[j, i] * L.x[b, i]),
              rule="differentiate in eps: y[b, j] is linear in W", label="dy[b, j]/deps = sum_i U[j, i] x[b, i]")
          .eq(L.over_units(L.U[j, i] * Wg[b, j, i]), rule="the loop body: W.grad[b, j, i] = y.grad[b, j] x[b, i]",
              label="(b)"))
    d.statement(sp.Eq(DL, ch.current))


@claim(id="batched_layer.per_example_grad", title="Batched matrix-vector product: per-example weight gradient",
       source=_src("b"), also=_also("b"), topic=TOPIC,
       statement=r"for b, i, j  W.grad[b, j, i] += y.grad[b, j] x[b, i]  (the derivative of the loss of batch "
                 r"element b with respect to W[j, i])",
       reading="for all sizes m, n, every b and every direction U in R^{m x n}: "
               "d/deps loss_b(W + eps U) = sum_{j,i} U[j, i] W.grad[b, j, i] with W.grad[b, j, i] = y.grad[b, j] x[b, i]")
def per_example_grad(d):
    per_example_build(d)


# ------------------------------------------------------------------------------------------------
# (a) batch-averaged gradient
# ------------------------------------------------------------------------------------------------

def batch_gradient_build(d, *, factor=None):
    L = BatchedLayer(d)
    B, b, j, i = L.B, L.b, L.j, L.i
    factor = 1 / B if factor is None else factor
    DL = d.symbol("D_U L", real=True)
    inc = d.indexed("DeltaW.grad")
    batch_sum = sp.Sum(L.first_order_model(b, 1 / B), (i, 1, L.n), (j, 1, L.m), (b, 1, B))
    d.define(DL, sp.Derivative(batch_sum, L.eps), label="chain rule",
             why="derivative of L = (1/B) sum_b loss_b along W -> W + eps U: by the chain rule, that of its "
                 "first-order model (1/B) sum_b sum_j y.grad[b, j] y[b, j](W + eps U)")
    d.define(inc[b, j, i], factor * L.G[b, j] * L.x[b, i], label="the loop (a)",
             why="the increment of iteration (b, i, j): w.grad[j, i] += (1/B) y.grad[b, j] x[b, i]")
    d.note("y.grad[b, j] is the derivative of the per-example loss loss_b (not of the average L): the 1/B of the "
           "loop is the batch average.")
    d.note("The loop accumulates W.grad = sum over its iterations (b, i, j) of the increment placed at entry "
           "[j, i]; paired with a direction U this is sum_{b,j,i} U[j, i] DeltaW.grad[b, j, i]. The iterations "
           "are summed with i innermost, then j, then b (the order of a for-loop of += is immaterial). The "
           "entrywise form sum_{j,i} U[j, i] (sum_b ...) needs an exchange of nested finite sums, which the engine "
           "cannot prove (reported as an engine gap); the witness checks the accumulated array W.grad itself.")
    ch = (d.chain(DL)
          .eq(sp.Sum(L.G[b, j] * L.U[j, i] * L.x[b, i] / B, (i, 1, L.n), (j, 1, L.m), (b, 1, B)),
              rule="differentiate in eps: y[b, j] is linear in W", label="dy[b, j]/deps = sum_i U[j, i] x[b, i]")
          .eq(sp.Sum(L.U[j, i] * inc[b, j, i], (i, 1, L.n), (j, 1, L.m), (b, 1, B)),
              rule="the loop body: w.grad[j, i] += (1/B) y.grad[b, j] x[b, i]", label="(a)"))
    d.statement(sp.Eq(DL, ch.current))


@claim(id="batched_layer.batch_grad", title="Batched matrix-vector product: batch-averaged weight gradient",
       source=_src("a"), also=_also("a"), topic=TOPIC,
       statement=r"for b, i, j  w.grad[j, i] += (1/B) y.grad[b, j] x[b, i]",
       reading="for all sizes B, m, n and every direction U in R^{m x n}: d/deps L(W + eps U), "
               "L = (1/B) sum_b loss_b, equals <U, W.grad> = sum over the loop's iterations (b, i, j) of "
               "U[j, i] (1/B) y.grad[b, j] x[b, i]")
def batch_grad(d):
    batch_gradient_build(d)


# ------------------------------------------------------------------------------------------------
# witnesses for (a), (b): a real batched layer with a softmax cross-entropy loss, in float64
# ------------------------------------------------------------------------------------------------

def layer_forward(W, X):
    """The forward loop for b, i, j: y[b, j] += W[j, i] x[b, i] (run as loops; W may be complex)."""
    Bn, n = X.shape
    m = W.shape[0]
    y = np.zeros((Bn, m), dtype=np.result_type(W, X))
    for b in range(Bn):
        for i in range(n):
            for j in range(m):
                y[b, j] += W[j, i] * X[b, i]
    return y


def per_example_losses(W, X, labels):
    """Softmax cross-entropy of each batch element (holomorphic: no max-shift, no abs)."""
    y = layer_forward(W, X)
    return np.log(np.sum(np.exp(y), axis=1)) - y[np.arange(len(labels)), labels]


def y_grad(W, X, labels):
    """y.grad[b, j] = dloss_b/dy[b, j] = softmax(y[b])_j - [j = label_b]."""
    y = layer_forward(W, X)
    p = np.exp(y) / np.exp(y).sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1.0
    return p


def _random_batch(rng, Bn=3, m=4, n=2):
    W = rng.standard_normal((m, n))
    X = rng.standard_normal((Bn, n))
    labels = rng.integers(0, m, Bn)
    return W, X, labels


def backward_loops(W, X, labels):
    """The backward loops of (a) and (b) run as written: for b, i, j: W.grad[b, j, i] += y.grad[b, j] x[b, i]
    (per example) and w.grad[j, i] += (1/B) y.grad[b, j] x[b, i] (batch), recording each increment of (a)."""
    G = y_grad(W, X, labels)
    Bn, n = X.shape
    m = W.shape[0]
    per = np.zeros((Bn, m, n))
    inc = np.zeros((Bn, m, n))
    acc = np.zeros((m, n))
    for b in range(Bn):
        for i in range(n):
            for j in range(m):
                per[b, j, i] += G[b, j] * X[b, i]
                inc[b, j, i] = G[b, j] * X[b, i] / Bn
                acc[j, i] += inc[b, j, i]
    return G, per, inc, acc


def _directional(f, W, U):
    """d/deps f(W + eps U) at 0: complex step (the layer's loss is holomorphic as written) with a Richardson
    central difference as a cross-check. Returns (value, error bound, Richardson value, Richardson error)."""
    from proofs.finite_diff import complex_step, richardson
    cs = complex_step(f, W, U)
    rich, rerr = richardson(lambda V: float(np.real(f(V))), W, U, measure_noise=True)
    return cs, 1e-13 * (1 + abs(cs)), rich, rerr


class _Entries:
    """Values of the statement's indexed atoms from the process's arrays (1-based indices). An entry the process
    does not have (an index out of range, a wrong number of indices) is an arbitrary number: a random value, fixed
    for the witness, so a statement that depends on it is seen to fail."""

    def __init__(self, arrays, rng, defined=None, fixed=None):
        """``defined``: {name: (definition lhs (Indexed), rhs, shape)}: an array the claim defines (the loop body
        it states), evaluated at the entry from the process's other arrays and ``fixed`` (the sizes)."""
        self.arrays, self.rng, self.undefined = arrays, rng, {}
        self.defined, self.fixed = defined or {}, fixed or {}

    def __call__(self, a):
        name, idx = str(a.base.label), a.indices
        if name in self.defined:
            lhs, rhs, shape = self.defined[name]
            if len(idx) == len(shape) and all(t.is_Integer for t in idx) \
                    and all(1 <= int(t) <= size for t, size in zip(idx, shape)):
                e = sp.sympify(rhs).xreplace(dict(zip(lhs.indices, idx))).xreplace(self.fixed)
                e = e.xreplace({x: self(x) for x in e.atoms(sp.Indexed)})
                return float(e)
        arr = self.arrays.get(name)
        if arr is not None and len(idx) == arr.ndim and all(t.is_Integer for t in idx) \
                and all(1 <= int(t) <= size for t, size in zip(idx, arr.shape)):
            return float(arr[tuple(int(t) - 1 for t in idx)])
        if a not in self.undefined:
            self.undefined[a] = float(self.rng.standard_normal())
        return self.undefined[a]


def _loop_definitions(w, shapes):
    """The claim's loop bodies (its definitions of the arrays in ``shapes``): {name: (lhs, rhs, shape)}."""
    out = {}
    for f in w.d.definitions:
        lhs = f.relation.lhs
        if isinstance(lhs, sp.Indexed) and str(lhs.base.label) in shapes:
            out[str(lhs.base.label)] = (lhs, f.relation.rhs, shapes[str(lhs.base.label)])
    return out


def _pairing_observation(w, rel, fixed, entries, measured, what):
    """The relation, both sides, with the sizes (and b) put in, its sums expanded and every entry given the
    process's value; ``measured`` = {symbol: (value, error)} (the measured directional derivative)."""
    lhs = sp.sympify(rel.lhs).xreplace(fixed).doit()
    rhs = sp.sympify(rel.rhs).xreplace(fixed).doit()
    at = {a: entries(a) for side in (lhs, rhs) for a in side.atoms(sp.Indexed)}
    at.update({k: v for k, v in fixed.items()})
    expanded = type(rel)(lhs, rhs, evaluate=False)
    o = w.close({s: v for s, (v, e) in measured.items()}, {s: e for s, (v, e) in measured.items()}, at=at,
                relation=expanded, k=10, floor=1e-12, method="complex-step derivative of the layer's loss along a "
                "random direction U; the loops' arrays", n=len(at))
    o.detail = f"{what}: " + ", ".join(f"{s} measured {v:.12g}" for s, (v, e) in measured.items()) + "; " + o.detail
    return o


def batch_gradient_fd(w):
    """Run the batched layer (B = 3, m = 4, n = 2: distinct sizes, softmax cross-entropy) and its backward loop of
    (a), recording each increment DeltaW.grad[b, j, i]. Along 3 random directions U the derivative of the batch loss
    L = mean_b loss_b is measured (complex step, Richardson cross-check) and put into the statement as D_U L, with
    the process's U, y.grad, x, W, increments and sizes for every other atom; the statement is evaluated as written
    (sums expanded at the sizes)."""
    S = w.S
    W, X, labels = _random_batch(w.rng)
    Bn, m, n = X.shape[0], W.shape[0], W.shape[1]
    G, per, inc, acc = backward_loops(W, X, labels)
    f = lambda V: per_example_losses(V, X, labels).mean()  # noqa: E731
    obs = []
    for t in range(3):
        U = w.rng.standard_normal(W.shape)
        d, err, rich, rerr = _directional(f, W, U)
        fixed = {S[k]: sp.Integer(v) for k, v in (("B", Bn), ("m", m), ("n", n)) if k in S}
        entries = _Entries({"U": U, "y.grad": G, "x": X, "W": W}, w.rng,
                           defined=_loop_definitions(w, {"DeltaW.grad": (Bn, m, n)}), fixed=fixed)
        for rel in w._relations():
            obs.append(_pairing_observation(w, rel, fixed, entries, {S["D_U L"]: (d, err)},
                                            f"B={Bn}, m={m}, n={n}, direction {t + 1}"))
        obs.append(w.observe(abs(d - rich) <= 10 * rerr + 1e-12, f"complex step {d:.12g} vs Richardson {rich:.12g} "
                             f"(+- {rerr:.2g})", method="two derivative estimates of the process"))
    stated = np.array([[[entries(S["DeltaW.grad"][b + 1, j + 1, i + 1]) if "DeltaW.grad" in S else np.nan
                         for i in range(n)] for j in range(m)] for b in range(Bn)])
    obs[0].detail += (f" | the claim's loop body vs the backward loop run here: max |difference| of the increments "
                      f"{np.nanmax(np.abs(stated - inc)):.2g}")
    return obs


def per_example_gradient_fd(w):
    """For each batch element b = 1..B of a real batched layer (B = 3, m = 4, n = 2), the per-example loop of (b)
    gives W.grad[b, j, i]; along 2 random directions U the derivative of loss_b is measured (complex step) and put
    into the statement as D_U loss_b with b, the sizes and the process's arrays for the other atoms."""
    S = w.S
    W, X, labels = _random_batch(w.rng)
    Bn, m, n = X.shape[0], W.shape[0], W.shape[1]
    G, per, inc, acc = backward_loops(W, X, labels)
    out = []
    for b in range(Bn):
        f = lambda V, b=b: per_example_losses(V, X, labels)[b]  # noqa: E731
        for t in range(2):
            U = w.rng.standard_normal(W.shape)
            d, err, rich, rerr = _directional(f, W, U)
            fixed = {S[k]: sp.Integer(v) for k, v in (("m", m), ("n", n), ("b", b + 1), ("B", Bn)) if k in S}
            entries = _Entries({"U": U, "y.grad": G, "x": X, "W": W}, w.rng,
                               defined=_loop_definitions(w, {"W.grad": (Bn, m, n)}), fixed=fixed)
            for rel in w._relations():
                out.append(_pairing_observation(w, rel, fixed, entries, {S["D_U loss_b"]: (d, err)},
                                                f"batch element b={b + 1} of B={Bn}, m={m}, n={n}, direction {t + 1}"))
            out.append(w.observe(abs(d - rich) <= 10 * rerr + 1e-12, f"complex step {d:.12g} vs Richardson "
                                 f"{rich:.12g} (+- {rerr:.2g})", method="two derivative estimates of the process"))
    return out


batch_grad.add_witness(batch_gradient_fd, kind="finite-difference")
per_example_grad.add_witness(per_example_gradient_fd, kind="finite-difference")


# ------------------------------------------------------------------------------------------------
# (c) W.grad2 is not determined by W.grad
# ------------------------------------------------------------------------------------------------

# Two batches (B = 2) through the same one-input one-output layer y = W x, W = 1, loss_b = (y_b - t_b)^2 / 2,
# so y.grad[b] = y_b - t_b and the per-example gradient is (W x_b - t_b) x_b. One entry W[j, i] is all (c) needs:
# W.grad[j, i] and W.grad2[j, i] depend only on y.grad[:, j] and x[:, i].
LAYER_W = Fraction(1)
BATCH_A = {"x": (Fraction(1), Fraction(1)), "t": (Fraction(0), Fraction(0))}    # per-example gradients 1, 1
BATCH_B = {"x": (Fraction(1), Fraction(1)), "t": (Fraction(-1), Fraction(1))}   # per-example gradients 2, 0


def _r(v):
    return sp.Rational(v.numerator, v.denominator)


def _loop_expressions(batch, W=LAYER_W):
    """W.grad and W.grad2 of a concrete batch as unevaluated SymPy arithmetic (the loops of (a), (b), (c))."""
    per = [sp.Mul(sp.Add(sp.Mul(_r(W), _r(x), evaluate=False), -_r(t), evaluate=False), _r(x), evaluate=False)
           for x, t in zip(batch["x"], batch["t"])]
    half = sp.Rational(1, len(per))
    grad = sp.Mul(half, sp.Add(*per, evaluate=False), evaluate=False)
    grad2 = sp.Mul(half, sp.Add(*[sp.Pow(p, 2, evaluate=False) for p in per], evaluate=False), evaluate=False)
    return grad, grad2


def grad2_build(d, batch_a=None, batch_b=None):
    B = d.symbol("B", integer=True, positive=True)
    b, c = d.symbols("b c", integer=True, positive=True)
    q = d.indexed("W.grad[b,j,i]")
    gA, gB = d.symbols("W.grad_A W.grad_B", real=True)
    g2A, g2B = d.symbols("W.grad2_A W.grad2_B", real=True)
    d.note("The question in 000 asks 'Is it possible to compute W.grad[j,i] from W.grad[j,i]?' (a typo); 001, "
           "Problem 3 (c) asks to compute W.grad2[j,i] from W.grad[j,i], which is what the solution answers.")
    d.note("Batches: B = 2 through y = W x with W = 1 and loss_b = (y_b - t_b)^2/2, so y.grad[b] = y_b - t_b and "
           "W.grad[b] = (W x_b - t_b) x_b; batch A: x = (1, 1), t = (0, 0); batch B: x = (1, 1), t = (-1, 1). "
           "For B = 1, W.grad2 = W.grad^2 is determined; the answer 'No' is about batches of B >= 2.")
    for sym, expr, name in ((gA, 0, "A"), (g2A, 1, "A"), (gB, 0, "B"), (g2B, 1, "B")):
        batch = (batch_a or BATCH_A) if name == "A" else (batch_b or BATCH_B)
        d.define(sym, _loop_expressions(batch)[expr],
                 why=f"the loops of (a) and (c) run on batch {name}: W.grad = (1/B) sum_b W.grad[b], "
                     f"W.grad2 = (1/B) sum_b W.grad[b]^2, W.grad[b] = y.grad[b] x[b]")
    gbar = d.symbol("W.grad", real=True)
    mean = d.given(sp.Eq(gbar, sp.Sum(q[c], (c, 1, B)) / B), label="the loop (a)",
                   why="W.grad = (1/B) sum_b W.grad[b] (the batch average of the per-example gradients)")
    d.note("The identity W.grad2 = W.grad^2 + within-batch variance is checked with W.grad kept as a symbol in the "
           "last link: substituting its definition there would nest a sum inside a sum, and the engine does not "
           "identify a sum pulled out of an enclosing sum with the same sum at top level (an engine gap).")
    second = sp.Sum(q[b] ** 2, (b, 1, B)) / B
    (d.chain(second, using=[])
     .eq(gbar ** 2 + (second - gbar ** 2), rule="add and subtract W.grad^2")
     .eq(gbar ** 2 + (second - 2 * gbar * sp.Sum(q[b], (b, 1, B)) / B + gbar ** 2), using=[mean],
         rule="(1/B) sum_b W.grad[b] = W.grad")
     .eq(gbar ** 2 + sp.Sum((q[b] - gbar) ** 2, (b, 1, B)) / B, rule="expand the square, linearity of the sum",
         label="W.grad2 = W.grad^2 + within-batch variance"))
    same = d.step(sp.Eq(gA, gB), rule="run the loops on both batches", using=[], label="equal W.grad")
    differ = d.step(sp.Lt(g2A, g2B), rule="run the loops on both batches", using=[], label="different W.grad2")
    d.step((sp.Eq(gA, gB), sp.Lt(g2A, g2B)), rule="collect", using=[same, differ], label="(c)")
    d.statement((sp.Eq(gA, gB), sp.Lt(g2A, g2B)))


@claim(id="batched_layer.grad2_not_determined", title="W.grad2 cannot be computed from W.grad",
       source=_src("c"), also=_also("c"), topic=TOPIC,
       statement=r"No. W.grad2[j,i] is the average over the batch of the square of the gradient. The average value "
                 r"does not determine the average square value -- the average value does not determine the variance.",
       reading="W.grad2 is not a function of W.grad: W.grad2 = W.grad^2 + (1/B) sum_b (W.grad[b] - W.grad)^2 for "
               "every batch, and two batches (B = 2) through the same layer give W.grad_A = W.grad_B but "
               "W.grad2_A < W.grad2_B")
def grad2_not_determined(d):
    grad2_build(d)


def _backprop_batch(batch, W=LAYER_W):
    """Forward and backward loops of the scalar layer on a batch, exactly: returns (W.grad, W.grad2, per-example)."""
    Bn = len(batch["x"])
    y = [W * x for x in batch["x"]]                                  # y[b] += W x[b]
    yg = [yb - t for yb, t in zip(y, batch["t"])]                    # dloss_b/dy_b for (y - t)^2 / 2
    per = [Fraction(0)] * Bn
    grad, grad2 = Fraction(0), Fraction(0)
    for b in range(Bn):
        per[b] += yg[b] * batch["x"][b]                              # W.grad[b] += y.grad[b] x[b]
        grad += yg[b] * batch["x"][b] / Bn                           # W.grad += (1/B) y.grad[b] x[b]
    for b in range(Bn):
        grad2 += per[b] ** 2 / Bn                                    # W.grad2 = (1/B) sum_b W.grad[b]^2
    return grad, grad2, per


def _exact_central_difference(batch, b, W=LAYER_W, h=Fraction(1, 7)):
    """d loss_b / dW by an exact central difference (loss_b is quadratic in W, so it is exact)."""
    x, t = batch["x"][b], batch["t"][b]
    loss = lambda V: (V * x - t) ** 2 / 2  # noqa: E731
    return (loss(W + h) - loss(W - h)) / (2 * h)


def grad2_pair_witness(w):
    """Run the layer's backprop loops on the two batches (exact Fractions), cross-check the per-example
    gradients by exact central differences of each loss_b, and evaluate the claim's statement at the
    measured W.grad and W.grad2 of both batches."""
    S = w.S
    measured, details = {}, []
    for name, batch in (("A", BATCH_A), ("B", BATCH_B)):
        grad, grad2, per = _backprop_batch(batch)
        fd = [_exact_central_difference(batch, b) for b in range(len(per))]
        if fd != per:
            return w.observe(False, f"batch {name}: backprop {per} != central differences {fd}", method="exact")
        measured[S[f"W.grad_{name}"]] = grad
        measured[S[f"W.grad2_{name}"]] = grad2
        details.append(f"batch {name}: per-example gradients {[str(p) for p in per]}, W.grad = {grad}, "
                       f"W.grad2 = {grad2}")
    pt = {k: sp.Rational(v.numerator, v.denominator) for k, v in measured.items()}
    rels = w.statement if isinstance(w.statement, tuple) else (w.statement,)
    holds = all(bool(r.xreplace(pt)) for r in rels)
    return w.observe(holds, "; ".join(details) + f"; statement {'holds' if holds else 'fails'} at these values",
                     method="the layer's forward and backprop loops in exact arithmetic (per-example gradients "
                            "confirmed by exact central differences)", n=2)


grad2_not_determined.add_witness(grad2_pair_witness, kind="exact", name="two_batches")
