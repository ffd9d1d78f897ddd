"""Finite sums with symbolic limits (issue 8): closed forms, peeling, shifts, telescoping.

User-style claims go through ``check_claim``; ``normalise_sums`` is also checked directly, and a
property test compares it with ``Sum.doit()`` at concrete limits (Karr's convention, so empty and
reversed ranges included).
"""
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from proofs import Eq, Source, claim
from proofs.engine import check_claim
from proofs.sums import normalise_sums

SRC = Source("sums-notes.tex", "eq. (1)")


def verdict_of(lhs_rhs, *, declare):
    """Check the one-step claim ``lhs = rhs`` built by ``lhs_rhs(d, **symbols)``; returns the result."""
    @claim(id="test.sums", title="a sum identity", source=SRC)
    def c(d):
        rel = Eq(*lhs_rhs(d, **declare(d)))
        d.step(rel, rule="sum identity", using=[])
        d.statement(rel)
    return check_claim(c, seed=0)


def ema_symbols(d):
    return dict(b=d.symbol("b", bounds=(0, 1)), t=d.symbol("t", integer=True, positive=True),
                i=sp.Symbol("i", integer=True), g=d.indexed("g", real=True),
                mu=d.symbol("mu", real=True), n=d.symbol("n", integer=True, positive=True),
                a=d.indexed("a", real=True))


# ---- the reproducers of issue 8, each with a wrong variant ----------------------------------------
RIGHT = {
    "geometric with mu": lambda d, b, t, i, mu, **_: (mu * (1 - b) * sp.Sum(b ** (t - i), (i, 1, t)), mu * (1 - b ** t)),
    "geometric": lambda d, b, t, i, **_: ((1 - b) * sp.Sum(b ** (t - i), (i, 1, t)), 1 - b ** t),
    "peel the last term": lambda d, t, i, g, **_: (sp.Sum(g[i], (i, 1, t - 1)) + g[t], sp.Sum(g[i], (i, 1, t))),
    "index shift": lambda d, t, i, g, **_: (sp.Sum(g[i + 1], (i, 0, t - 1)), sp.Sum(g[i], (i, 1, t))),
    "telescoping": lambda d, n, i, a, **_: (sp.Sum(a[i + 1] - a[i], (i, 1, n)), a[n + 1] - a[1]),
    "arithmetic": lambda d, n, i, **_: (sp.Sum(i, (i, 1, n)), n * (n + 1) / 2),
    "squares": lambda d, n, i, **_: (sp.Sum(i ** 2, (i, 1, n)), n * (n + 1) * (2 * n + 1) / 6),
    "geometric series from 0": lambda d, b, n, i, **_: (sp.Sum(b ** i, (i, 0, n)), (1 - b ** (n + 1)) / (1 - b)),
    "EMA unrolling": lambda d, b, t, i, g, **_: (
        (1 - b) * sp.Sum(b ** (t - i) * g[i], (i, 1, t)),
        b * (1 - b) * sp.Sum(b ** (t - 1 - i) * g[i], (i, 1, t - 1)) + (1 - b) * g[t]),
    "peel the first term": lambda d, t, i, g, **_: (sp.Sum(g[i], (i, 1, t)), g[1] + sp.Sum(g[i], (i, 2, t))),
    "double sum, triangular": lambda d, n, i, **_: (
        sp.Sum(sp.Sum(1, (sp.Symbol("j", integer=True), 1, i)), (i, 1, n)), n * (n + 1) / 2),
}
WRONG = {
    "geometric with mu": lambda d, b, t, i, mu, **_: (mu * (1 - b) * sp.Sum(b ** (t - i), (i, 1, t)), mu * (1 - b ** (t + 1))),
    "geometric": lambda d, b, t, i, **_: ((1 - b) * sp.Sum(b ** (t - i), (i, 1, t)), 1 - b ** (t + 1)),
    "peel the last term": lambda d, t, i, g, **_: (sp.Sum(g[i], (i, 1, t - 1)) + g[t - 1], sp.Sum(g[i], (i, 1, t))),
    "index shift": lambda d, t, i, g, **_: (sp.Sum(g[i + 1], (i, 0, t)), sp.Sum(g[i], (i, 1, t))),
    "telescoping": lambda d, n, i, a, **_: (sp.Sum(a[i + 1] - a[i], (i, 1, n)), a[n] - a[1]),
    "arithmetic": lambda d, n, i, **_: (sp.Sum(i, (i, 1, n)), n * (n - 1) / 2),
    "squares": lambda d, n, i, **_: (sp.Sum(i ** 2, (i, 1, n)), n * (n + 1) * (2 * n - 1) / 6),
    "geometric series from 0": lambda d, b, n, i, **_: (sp.Sum(b ** i, (i, 0, n)), (1 - b ** n) / (1 - b)),
    "EMA unrolling": lambda d, b, t, i, g, **_: (
        (1 - b) * sp.Sum(b ** (t - i) * g[i], (i, 1, t)),
        b * (1 - b) * sp.Sum(b ** (t - i) * g[i], (i, 1, t - 1)) + (1 - b) * g[t]),
    "peel the first term": lambda d, t, i, g, **_: (sp.Sum(g[i], (i, 1, t)), g[0] + sp.Sum(g[i], (i, 2, t))),
    "double sum, triangular": lambda d, n, i, **_: (
        sp.Sum(sp.Sum(1, (sp.Symbol("j", integer=True), 1, i)), (i, 1, n)), n * (n - 1) / 2),
}


def test_every_identity_has_a_wrong_variant():
    assert set(RIGHT) == set(WRONG)


def _check(table, name):
    return verdict_of(table[name], declare=ema_symbols)



@pytest.mark.parametrize("name", sorted(RIGHT))
def test_sum_identity_is_proved(name):
    r = _check(RIGHT, name)
    assert r.verdict == "proved", r.message
    assert "Piecewise" not in (r.steps[0].residual or "")


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_sum_identity_is_refuted(name):
    r = _check(WRONG, name)
    assert r.verdict == "refuted", r.message
    assert r.first_failing_step == 1 and r.counterexample is not None


def test_geometric_ratio_condition_is_recorded_and_discharged():
    r = _check(RIGHT, "geometric")
    conds = {c.condition: c.verdict for c in r.steps[0].conditions}
    assert conds.get("1 - b != 0") == "proved", conds


def test_geometric_ratio_condition_open_without_bounds_leaves_step_unproved():
    def decl(d):
        return dict(r=d.symbol("r", positive=True), n=d.symbol("n", integer=True, positive=True),
                    i=sp.Symbol("i", integer=True))

    # (1 - r^(n+1)) / (1 - r) is the sum only for r != 1, and nothing says r != 1: never assumed
    r = verdict_of(lambda d, r, n, i: ((1 - r) * sp.Sum(r ** i, (i, 0, n)), 1 - r ** (n + 1)), declare=decl)
    assert r.verdict == "unproved", r.message
    assert any(c.condition in ("1 - r != 0", "r - 1 != 0") and c.verdict != "proved" for c in r.steps[0].conditions)


# ---- normalise_sums directly -------------------------------------------------------------------------
b = sp.Symbol("b", positive=True)
x = sp.Symbol("x", real=True)
t = sp.Symbol("t", integer=True, positive=True)
n, m = sp.symbols("n m", integer=True)
i, j = sp.symbols("i j", integer=True)
g, h = sp.IndexedBase("g"), sp.IndexedBase("h")
f = sp.Function("f")


def test_no_condition_when_the_unconditional_rewrites_suffice():
    expr = sp.Sum(x ** i * g[i], (i, 1, t)) - sp.Sum(x ** j * g[j], (j, 1, t - 1)) - x ** t * g[t]
    out, conds = normalise_sums(expr)
    assert sp.expand(out) == 0 and conds == []


def test_geometric_closed_form_returns_its_condition_not_a_piecewise():
    out, conds = normalise_sums(sp.Sum(x ** i, (i, 0, n)))
    assert not out.has(sp.Sum) and not out.has(sp.Piecewise)
    assert conds == [x - 1] or conds == [1 - x]


def test_exponent_split_needs_a_nonzero_base():
    out, conds = normalise_sums(sp.Sum(x ** (t - i) * g[i], (i, 1, t)) - x * sp.Sum(x ** (t - 1 - i) * g[i], (i, 1, t - 1))
                                - g[t])
    assert sp.simplify(out) == 0
    assert x in conds


def test_reversed_range_follows_karr():
    out, _ = normalise_sums(sp.Sum(g[i], (i, 5, 2)))
    assert sp.expand(out - sp.Sum(g[i], (i, 5, 2)).doit()) == 0 == sp.expand(out + g[3] + g[4])


def test_rectangular_double_sum_of_a_product_factorises():
    expr = sp.Sum(g[i] * h[j], (i, 1, n), (j, 1, m)) - sp.Sum(g[i], (i, 1, n)) * sp.Sum(h[j], (j, 1, m))
    out, conds = normalise_sums(expr)
    assert sp.expand(out) == 0 and conds == []


def test_peeling_an_inner_sum_of_a_double_sum():
    inner = sp.Sum(g[j], (j, 1, i))
    expr = sp.Sum(inner, (i, 1, n + 1)) - sp.Sum(inner, (i, 1, n)) - sp.Sum(g[j], (j, 1, n + 1))
    out, _ = normalise_sums(expr)
    assert sp.expand(out) == 0


# ---- property: normalise_sums preserves the value (checked with Sum.doit at concrete limits) -----------
R = sp.Symbol("r", real=True)          # a symbolic ratio, given a non-zero rational value below
CONCRETE = [{n: nv, m: mv, R: rv} for nv, mv, rv in
            [(0, 0, sp.Rational(2, 3)), (1, 3, -2), (3, 1, sp.Rational(-1, 2)), (4, -2, 3), (-3, 2, sp.Rational(5, 4)),
             (2, 2, 1)]]
offsets = st.integers(-3, 3)
small = st.integers(-3, 3).filter(bool)


@st.composite
def limit(draw):
    return draw(st.sampled_from([sp.S.Zero, n, m, 2 * n])) + draw(offsets)


@st.composite
def body(draw, k):
    kind = draw(st.sampled_from(["poly", "geometric", "poly-geometric", "exp", "entry", "entry-reflected",
                                 "weighted entry", "function", "nested"]))
    s = draw(offsets)
    ratio = draw(st.sampled_from([sp.Integer(2), sp.Integer(-3), sp.Rational(1, 2), R, 1 / R]))
    a = draw(st.sampled_from([1, -1, 2]))
    if kind == "poly":
        return sum(draw(offsets) * k ** p for p in range(draw(st.integers(1, 3)) + 1))
    if kind == "geometric":
        return draw(small) * ratio ** (a * k + draw(st.sampled_from([sp.S.Zero, n, sp.Integer(draw(offsets))])))
    if kind == "poly-geometric":
        return (k + draw(offsets)) ** draw(st.integers(1, 2)) * ratio ** (a * k)
    if kind == "exp":
        return sp.exp(a * k + draw(offsets)) * (k + draw(offsets))
    if kind == "entry":
        return g[k + s]
    if kind == "entry-reflected":
        return g[n + s - k]
    if kind == "weighted entry":
        return ratio ** (n - k) * (k + draw(offsets)) * g[k + s] + h[k]
    if kind == "function":
        return f(k + s) * g[k]
    jj = sp.Symbol("jj", integer=True)
    return sp.Sum(g[jj + s] + jj, (jj, draw(offsets), k + draw(offsets)))


@st.composite
def sum_expression(draw):
    """A few sums of one random summand over ranges that differ by integers, some written with a
    shifted index, plus an unrelated sum: the shape peeling, shifts and telescoping act on."""
    f_i = draw(body(i))
    lo, hi = draw(limit()), draw(limit())
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        c = draw(small)
        d_lo, d_hi, shift = draw(offsets), draw(offsets), draw(offsets)
        terms.append(c * sp.Sum(f_i.xreplace({i: i + shift}), (i, lo + d_lo - shift, hi + d_hi - shift)))
    if draw(st.booleans()):
        terms.append(draw(small) * sp.Sum(draw(body(j)), (j, draw(limit()), draw(limit()))))
    if draw(st.booleans()):           # a product of sums of the same summand
        terms.append(terms[0] * sp.Sum(f_i.xreplace({i: j}), (j, lo + draw(offsets), hi + draw(offsets))))
    return sp.Add(*terms)


def _karr(expr):
    """Write out every sum with integer limits, outermost limit first, in Karr's convention
    (``Sum.doit`` leaves a double sum whose inner range depends on the outer index unevaluated)."""
    if not expr.has(sp.Sum):
        return expr
    if isinstance(expr, sp.Sum):
        v, lo, hi = expr.limits[-1]
        inner = expr.function if len(expr.limits) == 1 else sp.Sum(expr.function, *expr.limits[:-1])
        lo, hi = int(_karr(lo)), int(_karr(hi))
        if hi >= lo - 1:
            return sp.Add(*[_karr(inner.xreplace({v: k})) for k in range(lo, hi + 1)])
        return -sp.Add(*[_karr(inner.xreplace({v: k})) for k in range(hi + 1, lo)])
    return expr.func(*[_karr(a) for a in expr.args])


def _nested(expr) -> bool:
    return any(len(s.limits) > 1 or s.function.has(sp.Sum) for s in expr.atoms(sp.Sum))


def _value(expr, point):
    """The exact value at concrete limits: ``doit()``; a double sum is written out by ``_karr``, because
    SymPy 1.14's doit gets nested sums with a reversed inner range wrong:
    ``Sum(g[j], (j, 0, i), (i, -3, -1)).doit()`` gives ``Sum(-g[j], (j, 0, i), (i, -3, -1))``."""
    v = expr.xreplace(point)
    if _nested(v):
        return _karr(v)
    return v.doit() if v.has(sp.Sum) else v


def test_karr_reference_agrees_with_doit():
    for lo, hi in [(1, 4), (3, 2), (5, 2), (-2, -4)]:
        s = sp.Sum(i ** 2 * g[i], (i, lo, hi))
        assert sp.expand(_karr(s) - s.doit()) == 0


@settings(derandomize=True, max_examples=50, deadline=None)
@given(sum_expression())
def test_normalise_sums_preserves_the_value_for_every_range(expr):
    out, conds = normalise_sums(expr)
    assert not out.has(sp.Piecewise)
    checked = 0
    for point in CONCRETE:
        if any(sp.simplify(c.xreplace(point)) == 0 for c in conds):
            continue                  # outside the conditions the rewrite is not claimed to hold
        before = _value(expr, point)
        if before.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            continue                  # undefined there (a negative power of a zero base)
        after = _value(out, point)
        diff = sp.expand(before - after)
        assert diff == 0 or sp.cancel(sp.together(diff)) == 0, (expr, out, point)
        checked += 1
    assert checked >= 3
