"""Backpropagation through three layers, every gradient proved for symbolic sizes: a weight-normalised linear
layer y_k = (w_k^T x + b_k) / ||w_k||, a "recurrent sequence" layer y_i = a (x_i + x_{i+2}) + b, and a
batched matrix-vector product (the per-example and batch-averaged weight gradients, and why W.grad2 cannot
be computed from W.grad). Encodes Assignment 2 (eqs. (12)-(15)) and Assignment 3 (eqs. (16)-(19)) of the
assignments (002), and Problem 4 (a)-(c) of the SGD problems (000; Problem 3 (a)-(c) of 001). Checking a
gradient by finite differences (Assignment 1) is in ``finite_differences``.
"""
import random
from fractions import Fraction

import numpy as np
import sympy as sp

from proofs import Source, claim


# ==============================================================================================================
# Backpropagation through a weight-normalised linear layer (Assignment 2, eqs. (12)-(15)).
#
#     y_k = (w_k^T x + b_k) / ||w_k||,  k = 1..m,  w_k, x in R^n,   g = dL/dy.
#
# Every gradient is proved for *all* m and n through directional derivatives
# written with inner products (a Gram representation): a claimed gradient G is
# right iff for every direction U the derivative of L along U equals <U, G>.
#
# * biases b -> b + eps e and input x -> x + eps u: y_k(eps) = (p_k + eps r_k + b_k)/sqrt(q_k)
#   (resp. + eps e_k), differentiated in eps (an unevaluated Derivative the engine evaluates);
# * weights w_k -> w_k + eps U_k: y_k depends on w_k through p_k = w_k.x and q_k = ||w_k||^2,
#   dp_k = U_k.x, dq_k = 2 U_k.w_k, so <U_k, dy_k/dw_k> = dy_k/dp_k U_k.x + dy_k/dq_k 2 U_k.w_k
#   (Derivatives in the inner products the engine evaluates);
#
# with p_k = w_k.x, q_k = w_k.w_k, r_k = w_k.u, Ux_k = U_k.x, Uw_{i,k} = U_i.w_k; sums
# over the m units are symbolic (sp.Sum). An identity in these inner products holds
# for every realisable Gram matrix, whatever n; refutation points are drawn
# realisably (the inner products of concrete random rational vectors, see
# ``Layer.sampler``).
#
# Source (15) writes dL/dw_i = sum_i g_i dy_i/dw_i with i both summed and free.
# Read literally (the per-unit gradients of all units summed, the same vector
# for every w_i) it is wrong as soon as m >= 2; the right gradient has no sum:
# dL/dw_i = g_i (x/||w_i|| - (w_i^T x + b_i) w_i / ||w_i||^3).

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
        d.note(r"Proved for all $m$ and $n$: both sides are written with the inner products $p_k = w_k \cdot x$, "
               r"$q_k = \|w_k\|^2$ and those of the direction ($w_k \cdot u$, $u \cdot x$, $U_i \cdot x$, "
               r"$U_i \cdot w_k$); sums over units are symbolic. Counterexamples are drawn as the inner products of "
               r"concrete rational vectors ($n, m \in \{1, 2, 3\}$).")

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
             why=r"total derivative rule (12) along a direction $e$ of the biases, $b \to b + \epsilon e$: "
                 r"$D_e L = \sum_k g_k \frac{d}{d\epsilon} y_k$ ($y_k$ is affine in $\epsilon$, so this holds at "
                 r"every $\epsilon$)")


def bias_gradient_build(d, *, denominator_power=sp.Rational(1, 2)):
    L = Layer(d, ("p", "q", "b", "g", "e"))
    k = L.k
    define_bias_direction(d, L)
    ch = (d.chain(L.DL)
          .eq(L.sums(L.e[k] * L.g[k] * sp.Derivative(_unit_output(L, k), L.b[k])),
              rule="$y_k$ depends on $b_k$ only: "
                   r"$\partial L/\partial b_i = g_i\, \partial y_i/\partial b_i$", label="(13), first equality")
          .eq(L.sums(L.e[k] * L.g[k] / L.q[k] ** denominator_power), rule="differentiate $y_i$ in $b_i$",
              label="(13), second equality"))
    d.statement(sp.Eq(L.DL, ch.current))


@claim(id="weightnorm.grad_b", title="Weight normalisation: gradient in the biases",
       source=_src("eq. (13)"), topic=TOPIC, statement=r"$\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}b_i} = g_i "
                                                       r"\frac{\partial y_i}{\partial b_i} = \frac{g_i}{\|w_i\|}$",
       reading=r"for all $m$ and every direction $e \in \mathbb{R}^m$: $D_e \mathcal{L} = \sum_k e_k g_k / \|w_k\|$")
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
             why=r"total derivative rule (12) along a direction $u$ of the input, $x \to x + \epsilon u$, "
                 r"$w_k \cdot (x + \epsilon u) = p_k + \epsilon r_k$ ($y_k$ is affine in $\epsilon$, so this holds "
                 r"at every $\epsilon$)")
    last = L.t if swap_w_for_x else L.r[k]
    ch = (d.chain(L.DL)
          .eq(L.sums(L.g[k] * sp.Derivative(_unit_output(L, k), L.p[k]) * L.r[k]),
              rule=r"$\partial L/\partial x_j = \sum_i g_i\, \partial y_i/\partial x_j$, $y_i$ depends on $x$ "
                   r"through $p_i = w_i \cdot x$ ($\partial p_i/\partial x_j = w_{ij}$)",
              label="(14), first equality")
          .eq(L.sums(L.g[k] * last / sp.sqrt(L.q[k])),
              rule=r"$\partial y_i/\partial x_j = w_{ij}/\|w_i\|$; "
                   r"$\sum_j u_j w_{ij} = w_i \cdot u$", label="(14), second equality"))
    d.statement(sp.Eq(L.DL, ch.current))


@claim(id="weightnorm.grad_x", title="Weight normalisation: gradient in the input",
       source=_src("eq. (14)"), topic=TOPIC,
       statement=r"$\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}x_j} = \sum_i g_i \frac{\partial y_i}{\partial x_j} = "
                 r"\sum_i g_i \frac{w_{ij}}{\|w_i\|}$",
       reading=r"for all $m$, $n$ and every direction $u \in \mathbb{R}^n$: $D_u \mathcal{L} = \sum_i g_i (w_i "
               r"\cdot u) / \|w_i\|$")
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
             why=r"total derivative rule (12) along a direction $U = (U_1, \ldots, U_m)$ of the weights, "
                 r"$w_k \to w_k + \epsilon U_k$; $y_k$ depends on $w_k$ through $p_k = w_k \cdot x$ "
                 r"($dp_k = U_k \cdot x$) and $q_k = \|w_k\|^2$ ($dq_k = 2 U_k \cdot w_k$)")
    d.note("The derivative along $U$ is written with the chain rule through $p_k$ and $q_k$ (Derivative in the "
           "inner products) rather than as Subs(Derivative(y_k(w_k + eps U_k), eps), eps, 0): the engine leaves "
           "such a Subs unevaluated once it has evaluated the Derivative inside it.")


@claim(id="weightnorm.grad_w", title="Weight normalisation: gradient in the weights (as printed, sum over $i$)",
       source=_src("eq. (15)"), topic=TOPIC, expected="refuted",
       statement=r"$\frac{\mathrm{d}L}{\mathrm{d}w_i} = \sum_i g_i \frac{\partial y_i}{\partial w_i} = \sum_i g_i "
                 r"\left( \frac{x}{\|w_i\|} + (w_i^{\top} x + b_i) \frac{-w_i}{\|w_i\|^3} \right)$ (15)",
       reading=r"read literally, the sum runs over all units, so every $w_i$ gets the same vector $\sum_k g_k "
               r"(x/\|w_k\| - (w_k \cdot x + b_k) w_k/\|w_k\|^3)$; in directions: $D_U \mathcal{L} = \sum_i \sum_k "
               r"g_k (U_i \cdot x/\|w_k\| - (w_k \cdot x + b_k) U_i \cdot w_k/\|w_k\|^3)$")
def grad_w(d):
    L = Layer(d, WEIGHT_GRAM)
    i, k = L.i, L.k
    define_weight_direction(d, L)
    d.note(r"In (15) the index $i$ is both the summation index and the free index of $\partial L/\partial w_i$. "
           r"Read literally, $\partial L/\partial w_i$ is the sum over all units $k$ of "
           r"$g_k\, \partial y_k/\partial w_k$ (each unit's gradient in its own weights), the same vector for every "
           r"$i$; paired with $U = (U_1, \ldots, U_m)$ that is "
           r"$\sum_i \sum_k g_k \langle U_i, \partial y_k/\partial w_k \rangle$. For $m \geq 2$ this is not the "
           "gradient (see weightnorm.grad_w.corrected).")
    ch = (d.chain(L.DL)
          .eq(L.sums(L.sums(L.g[k] * _pair_with(L, k, i)), i),
              rule=r"$\partial L/\partial w_i = \sum_i g_i\, \partial y_i/\partial w_i$ (sum over all "
                   "units)", label="(15), first equality")
          .eq(L.sums(L.sums(L.g[k] * (L.Ux[i] / sp.sqrt(L.q[k])
                                      + (L.p[k] + L.b[k]) * (-L.Uw[i, k]) / L.q[k] ** sp.Rational(3, 2))), i),
              rule=r"$\partial y/\partial w = x/\|w\| + (w^{\top} x + b)(-w)/\|w\|^3$", label="(15), second equality"))
    d.statement(sp.Eq(L.DL, ch.current))


def weight_gradient_corrected_build(d, *, sign=-1, power=sp.Rational(3, 2)):
    L = Layer(d, WEIGHT_GRAM)
    k = L.k
    define_weight_direction(d, L)
    ch = (d.chain(L.DL)
          .eq(L.sums(L.g[k] * _pair_with(L, k, k)),
              rule="$y_k$ depends on $w_k$ only: "
                   r"$\partial L/\partial w_i = g_i\, \partial y_i/\partial w_i$", label="(15), first equality")
          .eq(L.sums(L.g[k] * (L.Ux[k] / sp.sqrt(L.q[k]) + sign * (L.p[k] + L.b[k]) * L.Uw[k, k] / L.q[k] ** power)),
              rule=r"$\partial y_i/\partial w_i = x/\|w_i\| - (w_i^{\top} x + b_i)\, w_i/\|w_i\|^3$",
              label="(15), second equality"))
    d.statement(sp.Eq(L.DL, ch.current))


@claim(id="weightnorm.grad_w.corrected", title="Weight normalisation: gradient in the weights (no sum over units)",
       source=_src("eq. (15), corrected"), topic=TOPIC, corrects="weightnorm.grad_w",
       statement=r"$\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}w_i} = g_i \frac{\partial y_i}{\partial w_i} = g_i "
                 r"\left( \frac{x}{\|w_i\|} - (w_i^{\top} x + b_i) \frac{w_i}{\|w_i\|^3} \right)$",
       reading=r"for all $m$, $n$ and every direction $U = (U_1, \dots, U_m)$: $D_U \mathcal{L} = \sum_i g_i (U_i "
               r"\cdot x/\|w_i\| - (w_i \cdot x + b_i) U_i \cdot w_i/\|w_i\|^3)$")
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


# ==============================================================================================================
# Backpropagation through a "recurrent sequence" layer (Assignment 3, eqs. (16)-(19)).
#
#     y_i = a (x_i + x_{i+2}) + b,   i = 1..N-2,   x in R^N,   g = dL/dy in R^{N-2}.
#
# Gradients are written with the total derivative rule (12), dL/dtheta = sum_i g_i dy_i/dtheta,
# with the sums over i = 1..N-2 symbolic (N a symbolic positive integer) and dy_i/dtheta an
# unevaluated ``Derivative`` the engine evaluates (d x_i / d x_j = [i = j], a KroneckerDelta).
#
# Source (19) as printed is a cases formula whose lines overlap:
#
#     dL/dx_j = a g_j            if j <= 2,
#               a (g_j + g_{j-2}) if j = 2, ..., N-2,
#               a g_{j-2}        if j >= N-2.
#
# Each line is read as holding on its whole range (1 <= j <= N), with g extended by zero
# (g_k := 0 for k outside 1..N-2, the most charitable convention: without it line 1 at N = 3,
# j = 2 and line 2 at j = 2 name entries g_2, g_0 that do not exist). Under that reading lines 1
# and 2 are right and line 3 is wrong at j = N - 2 for every N >= 3 (it drops g_{N-2}: for N >= 5
# it contradicts line 2 at the same j). The right gradient is
#
#     dL/dx_j = a (g_j [j <= N-2] + g_{j-2} [j >= 3]),   1 <= j <= N,
#
# i.e. a g_j for j in {1, 2}, a (g_j + g_{j-2}) for 3 <= j <= N-2 and a g_{j-2} for j in {N-1, N}
# (N >= 4; for N = 3, dL/dx_2 = 0 as x_2 does not enter y_1).
#
# Formerly derivations/recurrent_layer.py.

def _recurrent_src(eq: str) -> Source:
    return Source(DL_ASSIGNMENTS, f"Assignment 3 (Backprop recurrent sequence), {eq}")


# ------------------------------------------------------------------------------------------------
# symbols
# ------------------------------------------------------------------------------------------------

class Seq:
    """Symbols of the layer: length N, output index i (summed), input index j, parameters a, b."""

    def __init__(self, d):
        self.d = d
        self.N = d.symbol("N", integer=True, positive=True)
        self.i = sp.Symbol("i", integer=True)
        self.j = d.symbol("j", integer=True, positive=True)
        self.a, self.b = d.symbols("a b", real=True)
        self.x = d.indexed("x", real=True)
        self.g = d.indexed("g", real=True)

    def y(self, i):
        """y_i = a (x_i + x_{i+2}) + b, the layer (16)."""
        return self.a * (self.x[i] + self.x[i + 2]) + self.b

    def total(self, theta):
        """The total derivative rule (12): sum_{i=1}^{N-2} g_i d y_i / d theta (Derivative unevaluated)."""
        i = self.i
        return sp.Sum(self.g[i] * sp.Derivative(self.y(i), theta), (i, 1, self.N - 2))

    def aG(self, k):
        """a g_k with g extended by zero: a g_k for 1 <= k <= N-2, else 0."""
        return sp.Piecewise((self.a * self.g[k], (k >= 1) & (k <= self.N - 2)), (0, True))

    def sums(self, body):
        return sp.Sum(body, (self.i, 1, self.N - 2))


# ------------------------------------------------------------------------------------------------
# (17), (18): gradients in b and a
# ------------------------------------------------------------------------------------------------

def grad_b_build(d, *, last=None):
    s = Seq(d)
    D = d.symbol("dL/db", real=True)
    d.define(D, s.total(s.b), label="(12)",
             why="total derivative rule (12): "
                 r"$\partial L/\partial b = \sum_i (\partial L/\partial y_i)(\partial y_i/\partial b)$")
    i = s.i
    end = s.sums(s.g[i]) if last is None else last(s)
    ch = (d.chain(D)
          .eq(s.sums(s.g[i] * sp.Derivative(s.y(i), s.b)), rule="total derivative rule, "
                                                                r"$\partial L/\partial y_i = g_i$",
              label="(17), first equality")
          .eq(end, rule=r"$\partial y_i/\partial b = 1$ (so "
                        r"$\sum_i (\partial L/\partial y_i)(\partial y_i/\partial b) = \sum_i g_i$)",
              label="(17), second and third equalities"))
    d.statement(sp.Eq(D, ch.current))


@claim(id="recurrent_layer.grad_b", title="Recurrent sequence layer: gradient in $b$",
       source=_recurrent_src("eq. (17)"), topic=TOPIC,
       statement=r"$\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}b} = \sum_{i=1}^{N-2} "
                 r"\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}y_i} \frac{\partial y_i}{\partial b} = \sum_{i=1}^{N-2} "
                 r"\frac{\partial \mathcal{L}}{\partial y_i} = \sum_{i=1}^{N-2} g_i$",
       reading=r"for every $N$ (symbolic): $\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}b} = \sum_{i=1}^{N-2} g_i$")
def recurrent_grad_b(d):
    grad_b_build(d)


def grad_a_build(d, *, claimed_shift=2):
    s = Seq(d)
    D = d.symbol("dL/da", real=True)
    d.define(D, s.total(s.a), label="(12)",
             why="total derivative rule (12): "
                 r"$\partial L/\partial a = \sum_i (\partial L/\partial y_i)(\partial y_i/\partial a)$")
    i = s.i
    ch = (d.chain(D)
          .eq(s.sums(s.g[i] * sp.Derivative(s.y(i), s.a)), rule="total derivative rule, "
                                                                r"$\partial L/\partial y_i = g_i$",
              label="(18), first equality")
          .eq(s.sums(s.g[i] * (s.x[i] + s.x[i + claimed_shift])), rule=r"$\partial y_i/\partial a = x_i + x_{i+2}$",
              label="(18), second equality"))
    d.statement(sp.Eq(D, ch.current))


@claim(id="recurrent_layer.grad_a", title="Recurrent sequence layer: gradient in $a$",
       source=_recurrent_src("eq. (18)"), topic=TOPIC,
       statement=r"$\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}a} = \sum_{i=1}^{N-2} "
                 r"\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}y_i} \frac{\partial y_i}{\partial a} = \sum_{i=1}^{N-2} "
                 "g_i(x_i + x_{i+2})$",
       reading=r"for every $N$ (symbolic): $\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}a} = \sum_{i=1}^{N-2} g_i (x_i + "
               "x_{i+2})$")
def recurrent_grad_a(d):
    grad_a_build(d)


# ------------------------------------------------------------------------------------------------
# (19): gradient in x, as printed (refuted) and corrected
# ------------------------------------------------------------------------------------------------

class XGrad:
    """Symbols for (19): N = 3 + n (n = "N-3" >= 0: the layer has at least one output), the
    gradient dL/dx_j by the total derivative rule, and its instances at particular j (Subs)."""

    def __init__(self, d):
        s = self.s = Seq(d)
        self.d = d
        self.n = d.symbol("N-3", integer=True, nonnegative=True)
        self.k, self.m = d.symbols("k m", integer=True, nonnegative=True)
        d.define(s.N, 3 + self.n, label="N >= 3", why=r"the layer has $N - 2 \geq 1$ outputs")
        self.Dx = d.indexed("dL/dx", real=True)
        i, j = s.i, s.j
        d.define(self.Dx[j], s.total(s.x[j]), label="(12)",
                 why="total derivative rule (12): "
                     r"$\partial L/\partial x_j = \sum_i (\partial L/\partial y_i)(\partial y_i/\partial x_j)$")
        self.chain = (d.chain(self.Dx[j])
                      .eq(s.sums(s.g[i] * sp.Derivative(s.y(i), s.x[j])),
                          rule="total derivative rule, "
                               r"$\partial L/\partial y_i = g_i$", label="(19), first equality")
                      .eq(s.sums(s.g[i] * s.a * (sp.KroneckerDelta(j, i) + sp.KroneckerDelta(j, i + 2))),
                          rule=r"$\partial y_i/\partial x_j = a([j = i] + [j = i + 2])$",
                          label="(19), second equality"))
        d.note("The cases are checked at every $j$ of their range: finite ranges (relative to $N$) are written out "
               r"($\partial L/\partial x_j$ at $j = 1, 2, N-1, \ldots$); the range $3 \leq j \leq N-2$ is written "
               r"$j = 3 + k$, $N = j + 2 + m$ with $k, m \geq 0$ integers (and $j = 2 \leq N - 2$ as $N = 4 + m$). "
               r"$N = 3 + (N-3)$, $N-3 \geq 0$, so the engine knows $N \geq 3$.")

    def at(self, expr, j, n=None):
        """``expr`` at j (and N-3 = n): an unevaluated Subs the engine evaluates."""
        if n is None:
            return sp.Subs(expr, self.s.j, j)
        return sp.Subs(expr, (self.s.j, self.n), (j, n))

    def instance(self, rhs, j, n=None):
        """dL/dx_j = rhs(j) at the given j (and N = 3 + n): the left side an unevaluated Subs (the engine
        evaluates the sum over i there), the right side substituted directly."""
        at = {self.s.j: j} if n is None else {self.s.j: j, self.s.N: 3 + n}
        return sp.Eq(self.at(self.Dx[self.s.j], j, n), rhs.xreplace(at))


ZERO_EXTENSION_NOTE = (r"$g$ is extended by zero ($g_k := 0$ for $k$ outside $1, \ldots, N-2$): without this "
                       "convention line 1 at $N = 3$, $j = 2$ names $g_2$ and line 2 at $j = 2$ names $g_0$, entries "
                       "that do not exist; with it, lines 1 and 2 hold and only line 3 fails.")


@claim(id="recurrent_layer.grad_x", title="Recurrent sequence layer: gradient in $x$ (as printed, overlapping "
                                          "cases)",
       source=_recurrent_src("eq. (19)"), topic=TOPIC, expected="refuted",
       statement=r"$\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}x_{j}} = \sum_{i=1}^{N-2} g_{i} \frac{\partial "
                 r"y_{i}}{\partial x_{j}} = \sum_{i=1}^{N-2} g_{i} a([j=i] + [j=i+2]) = \begin{cases} ag_{j} & "
                 r"\text{if } j \leq 2, \\ a(g_{j} + g_{j-2}) & \text{if } j = 2, \dots N-2, \\ ag_{j-2} & \text{if "
                 r"} j \geq N-2. \end{cases}$",
       reading=r"each line of the cases holds on its whole range ($1 \leq j \leq N$), $g$ extended by zero; line 1: "
               r"$j \in \{1, 2\}$; line 2: $j = 2$ ($N \geq 4$) and $j = 3 + k$, $N = j + 2 + m$ ($k, m \geq 0$); "
               r"line 3: $j \in \{N-2, N-1, N\}$")
def recurrent_grad_x(d):
    X = XGrad(d)
    s, k, m = X.s, X.k, X.m
    aG, j, N = s.aG, s.j, s.N
    d.note("Cases notation with overlapping ranges ($j = 2$ in lines 1 and 2, $j = N-2$ in lines 2 and 3): each "
           "line is read as a claim on its whole range. " + ZERO_EXTENSION_NOTE)
    line1 = (X.instance(aG(j), 1), X.instance(aG(j), 2))
    line2 = (X.instance(aG(j) + aG(j - 2), 2, 1 + m), X.instance(aG(j) + aG(j - 2), 3 + k, 2 + k + m))
    line3 = (X.instance(aG(j - 2), N - 2), X.instance(aG(j - 2), N - 1), X.instance(aG(j - 2), N))
    d.note("The cases are the statement, checked as the conclusion from the second equality: relations 1-2 are "
           "line 1 ($j = 1, 2$), 3-4 line 2 ($j = 2$; $j = 3 + k$), 5-7 line 3 ($j = N-2, N-1, N$).")
    d.statement(line1 + line2 + line3)


def grad_x_corrected_build(d, *, lag=2):
    X = XGrad(d)
    s, k, m = X.s, X.k, X.m
    a, aG, g, j, N = s.a, s.aG, s.g, s.j, s.N
    d.note(ZERO_EXTENSION_NOTE + r" The corrected lines do not overlap; for $N \geq 4$ every $g$ entry they name "
           "exists except $g_2$ at $N = 3$ ($j = 2$) and $g_0$ at $N = 3$ ($j = N - 1 = 2$), where the zero "
           r"extension gives $\partial L/\partial x_2 = 0$ ($x_2$ does not enter $y_1$).")
    line1 = (X.instance(aG(j), 1), X.instance(aG(j), 2))
    line2 = (X.instance(a * (g[j] + g[j - lag]), 3 + k, 2 + k + m),)
    line3 = (X.instance(aG(j - lag), N - 1), X.instance(aG(j - lag), N))
    d.step(line1 + line2 + line3, using=X.chain.fact, label="(19) corrected: the cases",
           rule=r"cases: $j \in \{1, 2\}$: only $i = j$ contributes ($i = j - 2 < 1$); $3 \leq j \leq N-2$: $i = j$ "
                r"and $i = j - 2$; $j \in \{N-1, N\}$: only $i = j - 2$ contributes ($i = j > N-2$)")
    d.statement(line1 + line2 + line3)


@claim(id="recurrent_layer.grad_x.corrected", title="Recurrent sequence layer: gradient in $x$ (corrected cases)",
       source=_recurrent_src("eq. (19), corrected"), topic=TOPIC, corrects="recurrent_layer.grad_x",
       statement=r"$\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}x_j} = a(g_j [j \leq N-2] + g_{j-2} [j \geq 3])$: $a "
                 r"g_j$ for $j \in \{1, 2\}$; $a(g_j + g_{j-2})$ for $3 \leq j \leq N-2$; $a g_{j-2}$ for $j \in "
                 r"\{N-1, N\}$",
       reading=r"for every $N \geq 3$ (symbolic) and every $j$ of each line's range ($g$ extended by zero: "
               r"$\frac{\mathrm{d}\mathcal{L}}{\mathrm{d}x_2} = 0$ when $N = 3$)")
def recurrent_grad_x_corrected(d):
    grad_x_corrected_build(d)


# ------------------------------------------------------------------------------------------------
# witness: the layer's forward pass in exact arithmetic
# ------------------------------------------------------------------------------------------------

N_RANGE = range(3, 9)          # every layer length checked exhaustively for (19)
SCALAR_N = (3, 4, 6, 8)        # layer lengths for the scalar gradients (17), (18)


def _rand_fraction(rng):
    return Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 6)))


class ExactLayer:
    """The layer y_i = a (x_i + x_{i+2}) + b, i = 1..N-2, with loss L = g . y (so dL/dy = g exactly).

    The layer is affine in x and in b and L is linear in a, so exact differences of L in Fractions
    (unit step) ARE the partial derivatives; nothing here uses the gradient formulas."""

    def __init__(self, rng, N):
        self.N = N
        self.x = [_rand_fraction(rng) for _ in range(N)]          # x_1..x_N  (list index 0..N-1)
        self.g = [_rand_fraction(rng) or Fraction(1) for _ in range(N - 2)]
        self.a = _rand_fraction(rng) or Fraction(3, 2)
        self.b = _rand_fraction(rng)

    def forward(self, x=None, a=None, b=None):
        x = self.x if x is None else x
        a = self.a if a is None else a
        b = self.b if b is None else b
        return [a * (x[i] + x[i + 2]) + b for i in range(self.N - 2)]

    def loss(self, **kw):
        return sum(gi * yi for gi, yi in zip(self.g, self.forward(**kw)))

    def d_b(self):
        return self.loss(b=self.b + 1) - self.loss()

    def d_a(self):
        return self.loss(a=self.a + 1) - self.loss()

    def d_x(self, j):
        """dL/dx_j, j = 1..N (exact unit difference)."""
        x = list(self.x)
        x[j - 1] += 1
        return self.loss(x=x) - self.loss()

    def values(self, S):
        """Symbol values of this layer for the claim's expressions (exact SymPy numbers; computed once)."""
        if getattr(self, "_values", None) is None:
            vals = {S.N: self.N, S.a: self.a, S.b: self.b}
            vals.update({S.g[k + 1]: v for k, v in enumerate(self.g)})
            vals.update({S.x[k + 1]: v for k, v in enumerate(self.x)})
            self._values = {k: _rat(v) if isinstance(v, Fraction) else sp.Integer(v) for k, v in vals.items()}
        return dict(self._values)


def _rat(v):
    return sp.Rational(v.numerator, v.denominator)


def _value(expr, vals):
    """Exact value of an expression of the claim (Sums expanded, Piecewise decided) at ``vals``."""
    vals = {k: _rat(v) if isinstance(v, Fraction) else v for k, v in vals.items()}
    e = expr.xreplace(vals)
    for _ in range(4):
        if e.is_number:
            return e
        e = e.doit().xreplace(vals)
    raise ValueError(f"could not evaluate {expr} (left {e})")


class _World:
    """What the process gives the statement's atoms for one layer of length N: a, b, x_1..x_N, g_1..g_{N-2}, the
    measured derivatives dL/da, dL/db, dL/dx_1..dL/dx_N (exact unit differences of the loss), N and N - 3.

    An entry the layer does not have (x_0, g_{N-1}, dL/dx_{N+1}, g_{1/2}, an entry with the wrong number of
    indices, ...) is an arbitrary number: it gets a random nonzero value (fixed per layer), so a statement that
    depends on it is seen to fail, while a statement about the layer's own entries does not depend on it."""

    def __init__(self, layer, S, rng):
        self.layer, self.S, self.rng = layer, S, rng
        L = layer
        self.scalars = {S.N: sp.Integer(L.N), S.a: _rat(L.a), S.b: _rat(L.b)}
        if "N-3" in S:
            self.scalars[S["N-3"]] = sp.Integer(L.N - 3)
        for name, fn in (("dL/da", L.d_a), ("dL/db", L.d_b)):
            if name in S:
                self.scalars[S[name]] = _rat(fn())
        self.arrays = {"x": [_rat(v) for v in L.x], "g": [_rat(v) for v in L.g],
                       "dL/dx": [_rat(L.d_x(j)) for j in range(1, L.N + 1)]}
        self.undefined = {}

    def entry(self, a):
        name, idx = str(a.base.label), a.indices
        arr = self.arrays.get(name)
        if arr is not None and len(idx) == 1 and idx[0].is_Integer and 1 <= int(idx[0]) <= len(arr):
            return arr[int(idx[0]) - 1]
        if a not in self.undefined:
            v = _rand_fraction(self.rng)
            self.undefined[a] = _rat(v) if v != 0 else sp.Rational(7, 3)
        return self.undefined[a]

    def evaluate(self, expr, assign):
        """The exact value of ``expr`` (a side of a statement relation) in this layer; ``assign`` gives the free
        integers (k, m, ...). A Subs is evaluated at its own point (its variables, j and N - 3, take the values
        the point gives); sums are expanded, Piecewise decided, every entry read from the layer."""
        env = {**self.scalars, **assign}

        def at_point(n):
            pts = [sp.sympify(p).xreplace(env) for p in n.point]
            return n.expr.xreplace(dict(zip(n.variables, pts)))

        e = sp.sympify(expr).replace(lambda n: isinstance(n, sp.Subs), at_point).xreplace(env)
        for _ in range(6):
            if e.has(sp.Sum, sp.Product, sp.Piecewise, sp.Subs, sp.KroneckerDelta):
                e = e.doit()
            idx = {a: self.entry(a) for a in e.atoms(sp.Indexed) if all(i.is_number for i in a.indices)}
            e = e.xreplace(idx).xreplace(env)
            if e.is_number:
                return sp.nsimplify(e) if not e.is_Rational else e
        raise ValueError(f"could not evaluate {expr} in the layer (left {e})")


def _world_of(rel, S, assign):
    """The layer length a relation speaks about at ``assign``: the N - 3 of its Subs point if a Subs binds it,
    else the free N - 3 or N."""
    for node in rel.atoms(sp.Subs):
        if "N-3" in S and S["N-3"] in node.variables:
            p = dict(zip(node.variables, node.point))[S["N-3"]].xreplace(assign)
            return 3 + p if p.is_Integer else None
    if "N-3" in S and S["N-3"] in assign:
        return 3 + assign[S["N-3"]]
    return assign.get(S.N)


def _assignments(rel, S, n_values):
    """Every assignment of the relation's free integers over small boxes: N (or N - 3) over ``n_values``,
    positive integers over 1..8, nonnegative ones over 0..4."""
    from itertools import product
    free = {s for s in rel.free_symbols if isinstance(s, sp.Symbol) and s.is_integer}
    if not any("N-3" in S and S["N-3"] in node.variables for node in rel.atoms(sp.Subs)) \
            and not ("N-3" in S and S["N-3"] in free):
        free.add(S.N)                         # the relation speaks about every layer length, named or not
    free = sorted(free, key=lambda s: s.name)
    boxes = []
    for s in free:
        if s == S.N:
            boxes.append([sp.Integer(N) for N in n_values])
        elif "N-3" in S and s == S["N-3"]:
            boxes.append([sp.Integer(N - 3) for N in n_values])
        elif s.is_positive:
            boxes.append([sp.Integer(v) for v in range(1, 9)])
        else:
            boxes.append([sp.Integer(v) for v in range(0, 5)])
    for combo in product(*boxes):
        assign = dict(zip(free, combo))
        if S.N in assign and "N-3" in S and S["N-3"] in assign and assign[S.N] != 3 + assign[S["N-3"]]:
            continue                                          # the claim's definition N = 3 + (N-3)
        yield assign


def _layer_witness(w, n_values, what):
    """Every relation of the statement, both sides, at every assignment of its free integers: the statement's
    atoms get the values of an exact layer of the length the relation names (a, b, x, g, and the measured
    derivatives dL/da, dL/db, dL/dx_j: exact unit differences of L = g.y, the layer being affine)."""
    S, rng = w.S, w.rng
    worlds = {}
    bad, n, seen = [], 0, set()
    for rel in w._relations():
        for assign in _assignments(rel, S, n_values):
            N = _world_of(rel, S, assign)
            if N is None or not (N.is_Integer and 3 <= int(N)):
                n += 1                                            # no such layer (N - 2 >= 1 outputs, N an integer)
                bad.append(f"{sp.sstr(rel.lhs)[:40]} at {assign} names a layer of length N = {N}, which does not "
                           f"exist")
                continue
            N = int(N)
            if N > 16:
                continue
            if N not in worlds:
                worlds[N] = _World(ExactLayer(rng, N), S, rng)
            world = worlds[N]
            lhs, rhs = world.evaluate(rel.lhs, assign), world.evaluate(rel.rhs, assign)
            holds = bool(type(rel)(lhs, rhs))
            n += 1
            j = next((p for node in rel.lhs.atoms(sp.Subs) for v, p in zip(node.variables, node.point) if v == S.j),
                     None) if "j" in S else None
            j = sp.sympify(j).xreplace(assign) if j is not None else None
            seen.add((N, j))
            if not holds:
                where = f"N={N}" + (f", j={j}" if j is not None else "") + "".join(
                    f", {s}={v}" for s, v in assign.items() if s not in (S.N,) and str(s) != "N-3")
                bad.append(f"{where}: {sp.sstr(rel.lhs)[:40]} = {lhs}, right side {rhs}")
    detail = (f"exact forward pass of the layer, L = g.y, unit differences ({what}); every statement relation, both "
              f"sides, at every admissible point ({n} comparisons, {len(seen)} distinct layers/points): "
              + ("all agree" if not bad else f"{len(bad)} disagree, e.g. " + "; ".join(bad[:3])))
    return w.observe(not bad and n > 0, detail, method="exact differences of the layer's loss (Fractions)", n=n)


def grad_b_exact(w):
    """dL/db measured as an exact unit difference of the layer's loss, N in 3, 4, 6, 8."""
    return _layer_witness(w, SCALAR_N, "in b")


def grad_a_exact(w):
    """dL/da measured as an exact unit difference of the layer's loss, N in 3, 4, 6, 8."""
    return _layer_witness(w, SCALAR_N, "in a")


def grad_x_exact(w):
    """Every relation of the statement at every admissible point with N = 3..8 (and the layer lengths its Subs
    points name): the measured dL/dx_j (exact unit difference of the layer's loss) and the layer's a, g, N put
    into both sides."""
    return _layer_witness(w, N_RANGE, "in x_j")


recurrent_grad_b.add_witness(grad_b_exact, kind="exact")
recurrent_grad_a.add_witness(grad_a_exact, kind="exact")
recurrent_grad_x.add_witness(grad_x_exact, kind="exact")
recurrent_grad_x_corrected.add_witness(grad_x_exact, kind="exact")


# ==============================================================================================================
# Backprop through a batched matrix-vector product (SGD problems, Problem 4 (a)-(c)).
#
#     for b, i, j:  y[b, j] += W[j, i] x[b, i]          b = 1..B, i = 1..n, j = 1..m
#
# ``y.grad[b, j]`` is the derivative of the per-example loss ``loss_b`` (a function of y[b, :])
# with respect to y[b, j]; the batch loss is the average L = (1/B) sum_b loss_b (the convention
# "parameter gradients are averaged over the batch", which is where the 1/B of (a) comes from).
#
# Gradients are proved for *all* sizes (B, m, n symbolic) through directional derivatives: an
# array G is the gradient of a loss iff for every direction U (an m x n matrix) the derivative of
# the loss along W + eps U equals <U, G> = sum_{j,i} U[j, i] G[j, i]. By the chain rule that
# derivative equals the derivative of the loss's first-order model sum_j y.grad[b, j] y[b, j]
# (y.grad frozen), which is what the definitions below differentiate.
#
# (c) is a "not determined" claim: W.grad2 = (1/B) sum_b W.grad[b]^2 is the square of
# W.grad plus the within-batch variance of the per-example gradients (proved for symbolic B),
# and an explicit pair of batches through the same layer gives the same W.grad but different
# W.grad2, so no function of W.grad computes W.grad2.
#
# Formerly derivations/batched_layer.py.

SGD_PROBLEMS = "000_e701d70adf034ba3.txt"
SGD_PROBLEMS_2 = "001_6f3b02b455961dc3.txt"


def _batched_src(part: str) -> Source:
    return Source(SGD_PROBLEMS, f"Problem 4 ({part})")


def _batched_also(part: str) -> tuple:
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
             why=r"derivative of $\mathrm{loss}_b$ along $W \to W + \epsilon U$: by the chain rule, that of its "
                 r"first-order model $\sum_j y.\mathtt{grad}[b, j]\, y[b, j](W + \epsilon U)$ with "
                 r"$y[b, j] = \sum_i (W + \epsilon U)[j, i]\, x[b, i]$")
    d.define(Wg[b, j, i], factor * L.G[b, j] * L.x[b, i], label="the loop (b)",
             why="for b, i, j: W.grad[b, j, i] += y.grad[b, j] x[b, i] (one increment per entry, from zero)")
    d.note(r"The question asks for $W.\mathtt{grad}[b, i, j]$, the derivative with respect to $W[i, j]$; the "
           "solution (and the layer y[b, j] += W[j, i] x[b, i]) index $W$ as $W[j, i]$, so "
           r"$W.\mathtt{grad}[b, j, i]$ is read as $\partial \mathrm{loss}_b / \partial W[j, i]$.")
    d.note("Sums over $(j, i)$ are written as one multi-limit Sum: SymPy merges Sum(Sum(...)) into one, and the "
           "engine canonicalises only single-limit sums (an engine gap).")
    ch = (d.chain(DL)
          .eq(L.over_units(L.G[b, j] * L.U[j, i] * L.x[b, i]),
              rule=r"differentiate in $\epsilon$: $y[b, j]$ is linear in "
                   "$W$", label="dy[b, j]/deps = sum_i U[j, i] x[b, i]")
          .eq(L.over_units(L.U[j, i] * Wg[b, j, i]), rule="the loop body: W.grad[b, j, i] = y.grad[b, j] x[b, i]",
              label="(b)"))
    d.statement(sp.Eq(DL, ch.current))


@claim(id="batched_layer.per_example_grad", title="Batched matrix-vector product: per-example weight gradient",
       source=_batched_src("b"), also=_batched_also("b"), topic=TOPIC,
       statement="for $b, i, j$ w.grad $[b, j, i] += y.grad[b, j]x[b, i]$ (the derivative of the loss of batch "
                 "element $b$ with respect to $W[j, i]$)",
       reading=r"for all sizes $m$, $n$, every $b$ and every direction $U \in \mathbb{R}^{m \times n}$: "
               r"$\frac{d}{d\epsilon} \text{loss}_b(W + \epsilon U) = \sum_{j,i} U[j, i]\, W.\text{grad}[b, j, i]$ "
               r"with $W.\text{grad}[b, j, i] = y.\text{grad}[b, j]\, x[b, i]$")
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
             why=r"derivative of $L = \frac{1}{B} \sum_b \mathrm{loss}_b$ along $W \to W + \epsilon U$: by the "
                 "chain rule, that of its first-order model "
                 r"$\frac{1}{B} \sum_b \sum_j y.\mathtt{grad}[b, j]\, y[b, j](W + \epsilon U)$")
    d.define(inc[b, j, i], factor * L.G[b, j] * L.x[b, i], label="the loop (a)",
             why="the increment of iteration (b, i, j): w.grad[j, i] += (1/B) y.grad[b, j] x[b, i]")
    d.note(r"$y.\mathtt{grad}[b, j]$ is the derivative of the per-example loss $\mathrm{loss}_b$ (not of the "
           "average $L$): the $1/B$ of the loop is the batch average.")
    d.note(r"The loop accumulates $W.\mathtt{grad}$ = sum over its iterations $(b, i, j)$ of the increment placed "
           "at entry $[j, i]$; paired with a direction $U$ this is "
           r"$\sum_{b,j,i} U[j, i]\, \Delta W.\mathtt{grad}[b, j, i]$. The iterations are summed with $i$ "
           "innermost, then $j$, then $b$ (the order of a for-loop of += is immaterial). The entrywise form "
           r"$\sum_{j,i} U[j, i] (\sum_b \ldots)$ needs an exchange of nested finite sums, which the engine cannot "
           r"prove (reported as an engine gap); the witness checks the accumulated array $W.\mathtt{grad}$ itself.")
    ch = (d.chain(DL)
          .eq(sp.Sum(L.G[b, j] * L.U[j, i] * L.x[b, i] / B, (i, 1, L.n), (j, 1, L.m), (b, 1, B)),
              rule=r"differentiate in $\epsilon$: $y[b, j]$ is linear in "
                   "$W$", label="dy[b, j]/deps = sum_i U[j, i] x[b, i]")
          .eq(sp.Sum(L.U[j, i] * inc[b, j, i], (i, 1, L.n), (j, 1, L.m), (b, 1, B)),
              rule="the loop body: w.grad[j, i] += (1/B) y.grad[b, j] x[b, i]", label="(a)"))
    d.statement(sp.Eq(DL, ch.current))


@claim(id="batched_layer.batch_grad", title="Batched matrix-vector product: batch-averaged weight gradient",
       source=_batched_src("a"), also=_batched_also("a"), topic=TOPIC,
       statement=r"for $b, i, j$ w.grad $[j, i] += \frac{1}{B} y.\text{grad}[b, j]x[b, i]$",
       reading=r"for all sizes $B$, $m$, $n$ and every direction $U \in \mathbb{R}^{m \times n}$: "
               r"$\frac{d}{d\epsilon} L(W + \epsilon U)$, $L = \frac{1}{B} \sum_b \text{loss}_b$, equals $\langle "
               r"U, W.\text{grad} \rangle$, the sum over the loop's iterations $(b, i, j)$ of $U[j, i] \frac{1}{B} "
               r"y.\text{grad}[b, j]\, x[b, i]$")
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


class _BatchedEntries:
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
        entries = _BatchedEntries({"U": U, "y.grad": G, "x": X, "W": W}, w.rng,
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
            entries = _BatchedEntries({"U": U, "y.grad": G, "x": X, "W": W}, w.rng,
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
    d.note(r"Batches: $B = 2$ through $y = W x$ with $W = 1$ and $\mathrm{loss}_b = (y_b - t_b)^2/2$, so "
           r"$y.\mathtt{grad}[b] = y_b - t_b$ and $W.\mathtt{grad}[b] = (W x_b - t_b) x_b$; batch A: $x = (1, 1)$, "
           "$t = (0, 0)$; batch B: $x = (1, 1)$, $t = (-1, 1)$. For $B = 1$, "
           r"$W.\mathtt{grad2} = W.\mathtt{grad}^2$ is determined; the answer 'No' is about batches of $B \geq 2$.")
    for sym, expr, name in ((gA, 0, "A"), (g2A, 1, "A"), (gB, 0, "B"), (g2B, 1, "B")):
        batch = (batch_a or BATCH_A) if name == "A" else (batch_b or BATCH_B)
        d.define(sym, _loop_expressions(batch)[expr],
                 why=f"the loops of (a) and (c) run on batch {name}: "
                     r"$W.\mathtt{grad} = \frac{1}{B} \sum_b W.\mathtt{grad}[b]$, "
                     r"$W.\mathtt{grad2} = \frac{1}{B} \sum_b W.\mathtt{grad}[b]^2$, "
                     r"$W.\mathtt{grad}[b] = y.\mathtt{grad}[b]\, x[b]$")
    gbar = d.symbol("W.grad", real=True)
    mean = d.given(sp.Eq(gbar, sp.Sum(q[c], (c, 1, B)) / B), label="the loop (a)",
                   why=r"$W.\mathtt{grad} = \frac{1}{B} \sum_b W.\mathtt{grad}[b]$ (the batch average of the "
                       "per-example gradients)")
    d.note(r"The identity $W.\mathtt{grad2} = W.\mathtt{grad}^2$ + within-batch variance is checked with "
           r"$W.\mathtt{grad}$ kept as a symbol in the last link: substituting its definition there would nest a "
           "sum inside a sum, and the engine does not identify a sum pulled out of an enclosing sum with the same "
           "sum at top level (an engine gap).")
    second = sp.Sum(q[b] ** 2, (b, 1, B)) / B
    (d.chain(second, using=[])
     .eq(gbar ** 2 + (second - gbar ** 2), rule=r"add and subtract $W.\mathtt{grad}^2$")
     .eq(gbar ** 2 + (second - 2 * gbar * sp.Sum(q[b], (b, 1, B)) / B + gbar ** 2), using=[mean],
         rule=r"$\frac{1}{B} \sum_b W.\mathtt{grad}[b] = W.\mathtt{grad}$")
     .eq(gbar ** 2 + sp.Sum((q[b] - gbar) ** 2, (b, 1, B)) / B, rule="expand the square, linearity of the sum",
         label="W.grad2 = W.grad^2 + within-batch variance"))
    same = d.step(sp.Eq(gA, gB), rule="run the loops on both batches", using=[], label="equal W.grad")
    differ = d.step(sp.Lt(g2A, g2B), rule="run the loops on both batches", using=[], label="different W.grad2")
    d.step((sp.Eq(gA, gB), sp.Lt(g2A, g2B)), rule="collect", using=[same, differ], label="(c)")
    d.statement((sp.Eq(gA, gB), sp.Lt(g2A, g2B)))


@claim(id="batched_layer.grad2_not_determined", title=r"$W.\mathrm{grad2}$ cannot be computed from "
                                                      r"$W.\mathrm{grad}$",
       source=_batched_src("c"), also=_batched_also("c"), topic=TOPIC,
       statement=r"No. $W.\operatorname{grad}2[j,i]$ is the average over the batch of the square of the gradient. "
                 "The average value does not determine the average square value -- the average value does not "
                 "determine the variance.",
       reading=r"$W.\mathrm{grad2}$ is not a function of $W.\mathrm{grad}$: $W.\mathrm{grad2} = W.\mathrm{grad}^2 + "
               r"\frac{1}{B} \sum_b (W.\mathrm{grad}[b] - W.\mathrm{grad})^2$ for every batch, and two batches ($B "
               r"= 2$) through the same layer give $W.\mathrm{grad}_A = W.\mathrm{grad}_B$ but $W.\mathrm{grad2}_A "
               r"< W.\mathrm{grad2}_B$")
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
