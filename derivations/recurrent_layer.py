r"""Backpropagation through a "recurrent sequence" layer (Assignment 3, eqs. (16)-(19)).

    y_i = a (x_i + x_{i+2}) + b,   i = 1..N-2,   x in R^N,   g = dL/dy in R^{N-2}.

Gradients are written with the total derivative rule (12), dL/dtheta = sum_i g_i dy_i/dtheta,
with the sums over i = 1..N-2 symbolic (N a symbolic positive integer) and dy_i/dtheta an
unevaluated ``Derivative`` the engine evaluates (d x_i / d x_j = [i = j], a KroneckerDelta).

Source (19) as printed is a cases formula whose lines overlap:

    dL/dx_j = a g_j            if j <= 2,
              a (g_j + g_{j-2}) if j = 2, ..., N-2,
              a g_{j-2}        if j >= N-2.

Each line is read as holding on its whole range (1 <= j <= N), with g extended by zero
(g_k := 0 for k outside 1..N-2, the most charitable convention: without it line 1 at N = 3,
j = 2 and line 2 at j = 2 name entries g_2, g_0 that do not exist). Under that reading lines 1
and 2 are right and line 3 is wrong at j = N - 2 for every N >= 3 (it drops g_{N-2}: for N >= 5
it contradicts line 2 at the same j). The right gradient is

    dL/dx_j = a (g_j [j <= N-2] + g_{j-2} [j >= 3]),   1 <= j <= N,

i.e. a g_j for j in {1, 2}, a (g_j + g_{j-2}) for 3 <= j <= N-2 and a g_{j-2} for j in {N-1, N}
(N >= 4; for N = 3, dL/dx_2 = 0 as x_2 does not enter y_1).
"""
from fractions import Fraction

import sympy as sp

from proofs import Source, claim

TOPIC = "backprop"
DL_ASSIGNMENTS = "002_4657f5e75f199049.txt"


def _src(eq: str) -> Source:
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
    d.define(D, s.total(s.b), label="(12)", why="total derivative rule (12): dL/db = sum_i dL/dy_i dy_i/db")
    i = s.i
    end = s.sums(s.g[i]) if last is None else last(s)
    ch = (d.chain(D)
          .eq(s.sums(s.g[i] * sp.Derivative(s.y(i), s.b)), rule="total derivative rule, dL/dy_i = g_i",
              label="(17), first equality")
          .eq(end, rule="dy_i/db = 1 (so sum_i dL/dy_i dy_i/db = sum_i dL/dy_i = sum_i g_i)",
              label="(17), second and third equalities"))
    d.statement(sp.Eq(D, ch.current))


@claim(id="recurrent_layer.grad_b", title="Recurrent sequence layer: gradient in b",
       source=_src("eq. (17)"), topic=TOPIC,
       statement=r"dL/db = sum_{i=1}^{N-2} dL/dy_i dy_i/db = sum_{i=1}^{N-2} dL/dy_i = sum_{i=1}^{N-2} g_i",
       reading="for every N (symbolic): dL/db = sum_{i=1}^{N-2} g_i")
def grad_b(d):
    grad_b_build(d)


def grad_a_build(d, *, claimed_shift=2):
    s = Seq(d)
    D = d.symbol("dL/da", real=True)
    d.define(D, s.total(s.a), label="(12)", why="total derivative rule (12): dL/da = sum_i dL/dy_i dy_i/da")
    i = s.i
    ch = (d.chain(D)
          .eq(s.sums(s.g[i] * sp.Derivative(s.y(i), s.a)), rule="total derivative rule, dL/dy_i = g_i",
              label="(18), first equality")
          .eq(s.sums(s.g[i] * (s.x[i] + s.x[i + claimed_shift])), rule="dy_i/da = x_i + x_{i+2}",
              label="(18), second equality"))
    d.statement(sp.Eq(D, ch.current))


@claim(id="recurrent_layer.grad_a", title="Recurrent sequence layer: gradient in a",
       source=_src("eq. (18)"), topic=TOPIC,
       statement=r"dL/da = sum_{i=1}^{N-2} dL/dy_i dy_i/da = sum_{i=1}^{N-2} g_i (x_i + x_{i+2})",
       reading="for every N (symbolic): dL/da = sum_{i=1}^{N-2} g_i (x_i + x_{i+2})")
def grad_a(d):
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
        d.define(s.N, 3 + self.n, label="N >= 3", why="the layer has N - 2 >= 1 outputs")
        self.Dx = d.indexed("dL/dx", real=True)
        i, j = s.i, s.j
        d.define(self.Dx[j], s.total(s.x[j]), label="(12)",
                 why="total derivative rule (12): dL/dx_j = sum_i dL/dy_i dy_i/dx_j")
        self.chain = (d.chain(self.Dx[j])
                      .eq(s.sums(s.g[i] * sp.Derivative(s.y(i), s.x[j])),
                          rule="total derivative rule, dL/dy_i = g_i", label="(19), first equality")
                      .eq(s.sums(s.g[i] * s.a * (sp.KroneckerDelta(j, i) + sp.KroneckerDelta(j, i + 2))),
                          rule="dy_i/dx_j = a([j = i] + [j = i + 2])", label="(19), second equality"))
        d.note("The cases are checked at every j of their range: finite ranges (relative to N) are written out "
               "(dL/dx_j at j = 1, 2, N-1, ...); the range 3 <= j <= N-2 is written j = 3 + k, N = j + 2 + m "
               "with k, m >= 0 integers (and j = 2 <= N - 2 as N = 4 + m). "
               "N = 3 + (N-3), N-3 >= 0, so the engine knows N >= 3.")

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


ZERO_EXTENSION_NOTE = ("g is extended by zero (g_k := 0 for k outside 1..N-2): without this convention line 1 "
                       "at N = 3, j = 2 names g_2 and line 2 at j = 2 names g_0, entries that do not exist; with "
                       "it, lines 1 and 2 hold and only line 3 fails.")


@claim(id="recurrent_layer.grad_x", title="Recurrent sequence layer: gradient in x (as printed, overlapping cases)",
       source=_src("eq. (19)"), topic=TOPIC, expected="refuted",
       statement=r"dL/dx_j = sum_i g_i dy_i/dx_j = sum_i g_i a([j=i] + [j=i+2]) = "
                 r"{a g_j if j <= 2; a(g_j + g_{j-2}) if j = 2, ..., N-2; a g_{j-2} if j >= N-2}",
       reading="each line of the cases holds on its whole range (1 <= j <= N), g extended by zero; line 1: "
               "j in {1, 2}; line 2: j = 2 (N >= 4) and j = 3 + k, N = j + 2 + m (k, m >= 0); line 3: "
               "j in {N-2, N-1, N}")
def grad_x(d):
    X = XGrad(d)
    s, k, m = X.s, X.k, X.m
    aG, j, N = s.aG, s.j, s.N
    d.note("Cases notation with overlapping ranges (j = 2 in lines 1 and 2, j = N-2 in lines 2 and 3): each line "
           "is read as a claim on its whole range. " + ZERO_EXTENSION_NOTE)
    line1 = (X.instance(aG(j), 1), X.instance(aG(j), 2))
    line2 = (X.instance(aG(j) + aG(j - 2), 2, 1 + m), X.instance(aG(j) + aG(j - 2), 3 + k, 2 + k + m))
    line3 = (X.instance(aG(j - 2), N - 2), X.instance(aG(j - 2), N - 1), X.instance(aG(j - 2), N))
    d.note("The cases are the statement, checked as the conclusion from the second equality: relations 1-2 are "
           "line 1 (j = 1, 2), 3-4 line 2 (j = 2; j = 3 + k), 5-7 line 3 (j = N-2, N-1, N).")
    d.statement(line1 + line2 + line3)


def grad_x_corrected_build(d, *, lag=2):
    X = XGrad(d)
    s, k, m = X.s, X.k, X.m
    a, aG, g, j, N = s.a, s.aG, s.g, s.j, s.N
    d.note(ZERO_EXTENSION_NOTE + " The corrected lines do not overlap; for N >= 4 every g entry they name "
           "exists except g_2 at N = 3 (j = 2) and g_0 at N = 3 (j = N - 1 = 2), where the zero extension "
           "gives dL/dx_2 = 0 (x_2 does not enter y_1).")
    line1 = (X.instance(aG(j), 1), X.instance(aG(j), 2))
    line2 = (X.instance(a * (g[j] + g[j - lag]), 3 + k, 2 + k + m),)
    line3 = (X.instance(aG(j - lag), N - 1), X.instance(aG(j - lag), N))
    d.step(line1 + line2 + line3, using=X.chain.fact, label="(19) corrected: the cases",
           rule="cases: j in {1, 2}: only i = j contributes (i = j - 2 < 1); 3 <= j <= N-2: i = j and i = j - 2; "
                "j in {N-1, N}: only i = j - 2 contributes (i = j > N-2)")
    d.statement(line1 + line2 + line3)


@claim(id="recurrent_layer.grad_x.corrected", title="Recurrent sequence layer: gradient in x (corrected cases)",
       source=_src("eq. (19), corrected"), topic=TOPIC, corrects="recurrent_layer.grad_x",
       statement=r"dL/dx_j = a(g_j [j <= N-2] + g_{j-2} [j >= 3]): a g_j for j in {1, 2}; a(g_j + g_{j-2}) for "
                 r"3 <= j <= N-2; a g_{j-2} for j in {N-1, N}",
       reading="for every N >= 3 (symbolic) and every j of each line's range (g extended by zero: dL/dx_2 = 0 "
               "when N = 3)")
def grad_x_corrected(d):
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


grad_b.add_witness(grad_b_exact, kind="exact")
grad_a.add_witness(grad_a_exact, kind="exact")
grad_x.add_witness(grad_x_exact, kind="exact")
grad_x_corrected.add_witness(grad_x_exact, kind="exact")
