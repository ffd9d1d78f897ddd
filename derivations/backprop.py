"""Backpropagation through a weight-normalised linear layer (Assignment 2, eqs. (12)-(15)).

    y_k = (w_k^T x + b_k) / ||w_k||,  k = 1..m,  w_k, x in R^n,   g = dL/dy.

Every gradient is proved for *all* m and n through directional derivatives
written with inner products (a Gram representation): a claimed gradient G is
right iff for every direction U the derivative of L along U equals <U, G>.

* biases b -> b + eps e and input x -> x + eps u: y_k(eps) = (p_k + eps r_k + b_k)/sqrt(q_k)
  (resp. + eps e_k), differentiated in eps (an unevaluated Derivative the engine evaluates);
* weights w_k -> w_k + eps U_k: y_k depends on w_k through p_k = w_k.x and q_k = ||w_k||^2,
  dp_k = U_k.x, dq_k = 2 U_k.w_k, so <U_k, dy_k/dw_k> = dy_k/dp_k U_k.x + dy_k/dq_k 2 U_k.w_k
  (Derivatives in the inner products the engine evaluates);

with p_k = w_k.x, q_k = w_k.w_k, r_k = w_k.u, Ux_k = U_k.x, Uw_{i,k} = U_i.w_k; sums
over the m units are symbolic (sp.Sum). An identity in these inner products holds
for every realisable Gram matrix, whatever n; refutation points are drawn
realisably (the inner products of concrete random rational vectors, see
``Layer.sampler``).

Source (15) writes dL/dw_i = sum_i g_i dy_i/dw_i with i both summed and free.
Read literally (the per-unit gradients of all units summed, the same vector
for every w_i) it is wrong as soon as m >= 2; the right gradient has no sum:
dL/dw_i = g_i (x/||w_i|| - (w_i^T x + b_i) w_i / ||w_i||^3).
"""
import random

import numpy as np
import sympy as sp

from proofs import Source, claim

TOPIC = "backprop"
DL_ASSIGNMENTS = "002_4657f5e75f199049.txt"


def _src(eq: str) -> Source:
    return Source(DL_ASSIGNMENTS, f"Assignment 2 (Backprop normalized linear), {eq}")


# ------------------------------------------------------------------------------------------------
# symbols and realisable Gram points
# ------------------------------------------------------------------------------------------------

class Layer:
    """The symbols of one derivation: sizes, summation indices, per-unit inner products.

    ``uses`` names the inner products the derivation needs; the sampler draws exactly those
    (so a counterexample lists only them)."""

    def __init__(self, d, uses):
        self.uses = tuple(uses)
        self.m = d.symbol("m", integer=True, positive=True)
        self.i, self.k = sp.symbols("i k", integer=True, positive=True)
        self.eps = d.symbol("epsilon", real=True)
        self.DL = d.symbol("D_U L", real=True)          # directional derivative of the loss
        self.p = d.indexed("p", real=True)              # p_k = w_k . x
        self.q = d.indexed("q", positive=True)          # q_k = w_k . w_k = ||w_k||^2
        self.b = d.indexed("b", real=True)
        self.g = d.indexed("g", real=True)              # g = dL/dy
        self.e = d.indexed("e", real=True)              # direction in b-space
        self.r = d.indexed("r", real=True)              # r_k = w_k . u, u a direction in x-space
        self.t = d.symbol("u.x", real=True)             # u . x
        self.Ux = d.indexed("Ux", real=True)            # U_k . x, U_k the direction of w_k
        self.Uw = d.indexed("Uw", real=True)            # Uw[i, k] = U_i . w_k
        d.sampler(self.sampler)
        d.note("Proved for all m and n: both sides are written with the inner products p_k = w_k.x, "
               "q_k = ||w_k||^2 and those of the direction (w_k.u, u.x, U_i.x, U_i.w_k); sums over units are "
               "symbolic. Counterexamples are drawn as the inner products of concrete rational vectors "
               "(n, m in 1..3).")

    def sums(self, expr, idx=None):
        idx = self.k if idx is None else idx
        return sp.Sum(expr, (idx, 1, self.m))

    def sampler(self, rnd: random.Random) -> dict:
        """Inner products of concrete random rational vectors (n in 1..3, m in 1..3, mostly 2)."""
        M = rnd.choice((2, 3, 2, 1, 2))
        n = rnd.choice((1, 2, 3))

        def vec(nonzero=False):
            while True:
                v = [sp.Rational(rnd.randint(-4, 4), rnd.choice((1, 2, 3))) for _ in range(n)]
                if not nonzero or any(v):
                    return v

        dot = lambda a, c: sum((ai * ci for ai, ci in zip(a, c)), sp.Integer(0))  # noqa: E731
        num = lambda: sp.Rational(rnd.randint(-9, 9), rnd.choice((1, 2, 3, 5)))  # noqa: E731
        W = [vec(nonzero=True) for _ in range(M)]
        U = [vec() for _ in range(M)]
        x, u = vec(), vec()
        g = [num() for _ in range(M)]
        b = [num() for _ in range(M)]
        e = [num() for _ in range(M)]
        per_unit = {"p": lambda a: dot(W[a], x), "q": lambda a: dot(W[a], W[a]), "b": lambda a: b[a],
                    "g": lambda a: g[a], "e": lambda a: e[a], "r": lambda a: dot(W[a], u),
                    "Ux": lambda a: dot(U[a], x)}
        pt = {self.m: sp.Integer(M)}
        if "u.x" in self.uses:
            pt[self.t] = dot(u, x)
        for name in self.uses:
            if name in per_unit:
                base = getattr(self, name)
                pt.update({base[a + 1]: per_unit[name](a) for a in range(M)})
        if "Uw" in self.uses:
            pt.update({self.Uw[a + 1, c + 1]: dot(U[a], W[c]) for a in range(M) for c in range(M)})
        return pt


def _unit_output(L, k):
    """y_k as a function of the inner products p_k = w_k.x and q_k = ||w_k||^2 (and b_k)."""
    return (L.p[k] + L.b[k]) / sp.sqrt(L.q[k])


# ------------------------------------------------------------------------------------------------
# (13) bias gradient
# ------------------------------------------------------------------------------------------------

def define_bias_direction(d, L):
    k, eps = L.k, L.eps
    y_k = (L.p[k] + L.b[k] + eps * L.e[k]) / sp.sqrt(L.q[k])
    d.define(L.DL, L.sums(L.g[k] * sp.Derivative(y_k, eps)), label="(12)",
             why="total derivative rule (12) along a direction e of the biases, b -> b + eps e: "
                 "D_e L = sum_k g_k d/d eps y_k (y_k is affine in eps, so this holds at every eps)")


def bias_gradient_build(d, *, denominator_power=sp.Rational(1, 2)):
    L = Layer(d, ("p", "q", "b", "g", "e"))
    k = L.k
    define_bias_direction(d, L)
    ch = (d.chain(L.DL)
          .eq(L.sums(L.e[k] * L.g[k] * sp.Derivative(_unit_output(L, k), L.b[k])),
              rule="y_k depends on b_k only: dL/db_i = g_i dy_i/db_i", label="(13), first equality")
          .eq(L.sums(L.e[k] * L.g[k] / L.q[k] ** denominator_power), rule="differentiate y_i in b_i",
              label="(13), second equality"))
    d.statement(sp.Eq(L.DL, ch.current))


@claim(id="weightnorm.grad_b", title="Weight normalisation: gradient in the biases",
       source=_src("eq. (13)"), topic=TOPIC, statement=r"dL/db_i = g_i dy_i/db_i = g_i / ||w_i||",
       reading="for all m and every direction e in R^m: D_e L = sum_k e_k g_k / ||w_k||")
def grad_b(d):
    bias_gradient_build(d)


# ------------------------------------------------------------------------------------------------
# (14) input gradient
# ------------------------------------------------------------------------------------------------

def input_gradient_build(d, *, swap_w_for_x=False):
    L = Layer(d, ("p", "q", "b", "g", "r", "u.x"))
    k, eps = L.k, L.eps
    y_k = (L.p[k] + eps * L.r[k] + L.b[k]) / sp.sqrt(L.q[k])
    d.define(L.DL, L.sums(L.g[k] * sp.Derivative(y_k, eps)), label="(12)",
             why="total derivative rule (12) along a direction u of the input, x -> x + eps u, "
                 "w_k.(x + eps u) = p_k + eps r_k (y_k is affine in eps, so this holds at every eps)")
    last = L.t if swap_w_for_x else L.r[k]
    ch = (d.chain(L.DL)
          .eq(L.sums(L.g[k] * sp.Derivative(_unit_output(L, k), L.p[k]) * L.r[k]),
              rule="dL/dx_j = sum_i g_i dy_i/dx_j, y_i depends on x through p_i = w_i.x (dp_i/dx_j = w_ij)",
              label="(14), first equality")
          .eq(L.sums(L.g[k] * last / sp.sqrt(L.q[k])),
              rule="dy_i/dx_j = w_ij/||w_i||; sum_j u_j w_ij = w_i.u", label="(14), second equality"))
    d.statement(sp.Eq(L.DL, ch.current))


@claim(id="weightnorm.grad_x", title="Weight normalisation: gradient in the input",
       source=_src("eq. (14)"), topic=TOPIC,
       statement=r"dL/dx_j = sum_i g_i dy_i/dx_j = sum_i g_i w_ij / ||w_i||",
       reading="for all m, n and every direction u in R^n: D_u L = sum_i g_i (w_i.u) / ||w_i||")
def grad_x(d):
    input_gradient_build(d)


# ------------------------------------------------------------------------------------------------
# (15) weight gradient: as printed (refuted) and corrected
# ------------------------------------------------------------------------------------------------

def _pair_with(L, unit, direction):
    """<U_direction, dy_unit/dw_unit> by the chain rule through p_unit = w_unit.x and q_unit = ||w_unit||^2:
    along w_unit -> w_unit + eps U_direction, dp/deps = U_direction.x and dq/deps = 2 U_direction.w_unit."""
    y = _unit_output(L, unit)
    return (sp.Derivative(y, L.p[unit]) * L.Ux[direction]
            + sp.Derivative(y, L.q[unit]) * 2 * L.Uw[direction, unit])


WEIGHT_GRAM = ("p", "q", "b", "g", "Ux", "Uw")


def define_weight_direction(d, L):
    k = L.k
    d.define(L.DL, L.sums(L.g[k] * _pair_with(L, k, k)), label="(12)",
             why="total derivative rule (12) along a direction U = (U_1..U_m) of the weights, w_k -> w_k + eps U_k; "
                 "y_k depends on w_k through p_k = w_k.x (dp_k = U_k.x) and q_k = ||w_k||^2 (dq_k = 2 U_k.w_k)")
    d.note("The derivative along U is written with the chain rule through p_k and q_k (Derivative in the "
           "inner products) rather than as Subs(Derivative(y_k(w_k + eps U_k), eps), eps, 0): the engine leaves "
           "such a Subs unevaluated once it has evaluated the Derivative inside it.")


@claim(id="weightnorm.grad_w", title="Weight normalisation: gradient in the weights (as printed, sum over i)",
       source=_src("eq. (15)"), topic=TOPIC, expected="refuted",
       statement=r"dL/dw_i = sum_i g_i dy_i/dw_i = sum_i g_i (x/||w_i|| + (w_i^T x + b_i)(-w_i)/||w_i||^3)",
       reading="read literally, the sum runs over all units, so every w_i gets the same vector "
               "sum_k g_k (x/||w_k|| - (w_k.x + b_k) w_k/||w_k||^3); in directions: "
               "D_U L = sum_i sum_k g_k (U_i.x/||w_k|| - (w_k.x + b_k) U_i.w_k/||w_k||^3)")
def grad_w(d):
    L = Layer(d, WEIGHT_GRAM)
    i, k = L.i, L.k
    define_weight_direction(d, L)
    d.note("In (15) the index i is both the summation index and the free index of dL/dw_i. Read literally, "
           "dL/dw_i is the sum over all units k of g_k dy_k/dw_k (each unit's gradient in its own weights), "
           "the same vector for every i; paired with U = (U_1..U_m) that is sum_i sum_k g_k <U_i, dy_k/dw_k>. "
           "For m >= 2 this is not the gradient (see weightnorm.grad_w.corrected).")
    ch = (d.chain(L.DL)
          .eq(L.sums(L.sums(L.g[k] * _pair_with(L, k, i)), i),
              rule="dL/dw_i = sum_i g_i dy_i/dw_i (sum over all units)", label="(15), first equality")
          .eq(L.sums(L.sums(L.g[k] * (L.Ux[i] / sp.sqrt(L.q[k])
                                      + (L.p[k] + L.b[k]) * (-L.Uw[i, k]) / L.q[k] ** sp.Rational(3, 2))), i),
              rule="dy/dw = x/||w|| + (w^T x + b)(-w)/||w||^3", label="(15), second equality"))
    d.statement(sp.Eq(L.DL, ch.current))


def weight_gradient_corrected_build(d, *, sign=-1, power=sp.Rational(3, 2)):
    L = Layer(d, WEIGHT_GRAM)
    k = L.k
    define_weight_direction(d, L)
    ch = (d.chain(L.DL)
          .eq(L.sums(L.g[k] * _pair_with(L, k, k)),
              rule="y_k depends on w_k only: dL/dw_i = g_i dy_i/dw_i", label="(15), first equality")
          .eq(L.sums(L.g[k] * (L.Ux[k] / sp.sqrt(L.q[k]) + sign * (L.p[k] + L.b[k]) * L.Uw[k, k] / L.q[k] ** power)),
              rule="dy_i/dw_i = x/||w_i|| - (w_i^T x + b_i) w_i/||w_i||^3", label="(15), second equality"))
    d.statement(sp.Eq(L.DL, ch.current))


@claim(id="weightnorm.grad_w.corrected", title="Weight normalisation: gradient in the weights (no sum over units)",
       source=_src("eq. (15), corrected"), topic=TOPIC, corrects="weightnorm.grad_w",
       statement=r"dL/dw_i = g_i dy_i/dw_i = g_i (x/||w_i|| - (w_i^T x + b_i) w_i/||w_i||^3)",
       reading="for all m, n and every direction U = (U_1..U_m): "
               "D_U L = sum_i g_i (U_i.x/||w_i|| - (w_i.x + b_i) U_i.w_i/||w_i||^3)")
def grad_w_corrected(d):
    weight_gradient_corrected_build(d)


# ------------------------------------------------------------------------------------------------
# witness: the layer's forward pass in float64, differentiated numerically
# ------------------------------------------------------------------------------------------------

def forward_loss(W, x, b, g):
    """L = g . y with y_k = (w_k.x + b_k)/||w_k||; norms as sqrt(sum(w*w)) so complex steps are valid."""
    y = (W @ x + b) / np.sqrt(np.sum(W * W, axis=-1))
    return np.sum(g * y, axis=-1)


class _Entries:
    """Values of the statement's atoms from the concrete layer and direction: p_k = w_k.x, q_k = ||w_k||^2, b, g,
    e (bias direction), r_k = w_k.u, Ux_k = U_k.x, Uw[i, k] = U_i.w_k, u.x (1-based indices). An entry the layer
    does not have (an index out of range, a wrong number of indices) is an arbitrary number: a random value fixed
    for the witness, so a statement that depends on it is seen to fail."""

    def __init__(self, layer, direction, rng):
        W, x, b, g = layer
        dW, dx, db = direction
        self.arrays = {"p": W @ x, "q": np.sum(W * W, axis=1), "b": b, "g": g, "e": db, "r": W @ dx,
                       "Ux": dW @ x, "Uw": dW @ W.T}
        self.ux = float(dx @ x)
        self.rng, self.undefined = rng, {}

    def __call__(self, a):
        arr = self.arrays.get(str(a.base.label))
        idx = a.indices
        if arr is not None and len(idx) == arr.ndim and all(t.is_Integer for t in idx) \
                and all(1 <= int(t) <= size for t, size in zip(idx, arr.shape)):
            return float(arr[tuple(int(t) - 1 for t in idx)])
        if a not in self.undefined:
            v = float(self.rng.standard_normal())
            self.undefined[a] = abs(v) + 0.5 if a.is_positive else v     # respecting the atom's assumptions
        return self.undefined[a]


def _statement_observation(w, rel, M, entries, measured, err, what):
    """The relation, both sides, at m = M with its sums expanded and every atom given the layer's value; D_U L is
    the measured directional derivative (error bound ``err``)."""
    S = w.S
    fixed = {S.m: sp.Integer(M)}
    lhs = sp.sympify(rel.lhs).xreplace(fixed).doit()
    rhs = sp.sympify(rel.rhs).xreplace(fixed).doit()
    at = {a: entries(a) for side in (lhs, rhs) for a in side.atoms(sp.Indexed)}
    if "u.x" in S:
        at[S["u.x"]] = entries.ux
    at.update(fixed)
    o = w.close({S["D_U L"]: measured}, {S["D_U L"]: err}, at=at, relation=type(rel)(lhs, rhs, evaluate=False),
                k=10, floor=1e-12, method="complex-step derivative of the layer's loss along a random direction",
                n=len(at))
    o.detail = f"{what}: D_U L measured {measured:.12g}; " + o.detail
    return o


def _gradient_witness(w, block):
    """Finite-difference witness of the gradient in ``block`` ("b", "x" or "W"): a random layer (m in 2..4,
    n in 2..5, float64), L = g.y of its forward pass; along 3 random directions of the block the derivative of L
    is measured by a complex step (cross-checked by a Richardson central difference) and put into the statement as
    D_U L, the layer's and the direction's inner products into every other atom; each relation is evaluated as
    written (sums expanded at m)."""
    from proofs.finite_diff import complex_step, richardson
    rng = w.rng
    M, n = int(rng.integers(2, 5)), int(rng.integers(2, 6))
    W, x = rng.standard_normal((M, n)), rng.standard_normal(n)
    b, g = rng.standard_normal(M), rng.standard_normal(M)
    layer = (W, x, b, g)
    zW, zx, zb = np.zeros((M, n)), np.zeros(n), np.zeros(M)
    if block == "b":
        x0, f = b, (lambda v: forward_loss(W, x, v, g))
        unit = lambda e: (zW, zx, e)              # noqa: E731
    elif block == "x":
        x0, f = x, (lambda v: forward_loss(W, v, b, g))
        unit = lambda e: (zW, e, zb)              # noqa: E731
    else:
        x0, f = W, (lambda v: forward_loss(v, x, b, g))
        unit = lambda e: (e.reshape(M, n), zx, zb)  # noqa: E731
    obs = []
    for t in range(3):
        u = rng.standard_normal(x0.shape)
        d = complex_step(f, x0, u)
        rich, rerr = richardson(lambda v: float(np.real(f(v))), x0, u, measure_noise=True)
        err = 1e-13 * (1 + abs(d))
        entries = _Entries(layer, unit(u), rng)
        what = f"m={M}, n={n}, direction {t + 1} in {block}"
        for rel in w._relations():
            obs.append(_statement_observation(w, rel, M, entries, d, err, what))
        obs.append(w.observe(abs(d - rich) <= 10 * rerr + 1e-12, f"complex step {d:.12g} vs Richardson {rich:.12g} "
                             f"(+- {rerr:.2g})", method="two derivative estimates of the process"))
    return obs


def bias_gradient_fd(w):
    return _gradient_witness(w, "b")


def input_gradient_fd(w):
    return _gradient_witness(w, "x")


def weight_gradient_fd(w):
    return _gradient_witness(w, "W")


grad_b.add_witness(bias_gradient_fd, kind="finite-difference")
grad_x.add_witness(input_gradient_fd, kind="finite-difference")
grad_w.add_witness(weight_gradient_fd, kind="finite-difference")
grad_w_corrected.add_witness(weight_gradient_fd, kind="finite-difference")
