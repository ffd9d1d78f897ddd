"""The equivalence cascade, stage by stage."""
import sympy as sp

from proofs.context import CheckContext
from proofs.equivalence import decide_equal, numbers_differ
from proofs.sampling import PointSampler
from proofs.verdicts import Verdict

x, y = sp.symbols("x y", real=True)
N = sp.Symbol("N", integer=True, positive=True)


def ctx(bounds=None, timeout=5.0):
    return CheckContext(sampler=PointSampler(bounds or {}, seed=1), stage_timeout=timeout, bounds=bounds or {})


def test_structural():
    d = decide_equal(x + y, x + y, ctx())
    assert d.verdict is Verdict.PROVED and d.stage == "structural"


def test_expand_stage():
    d = decide_equal((x + y) ** 2, x ** 2 + 2 * x * y + y ** 2, ctx())
    assert d.verdict is Verdict.PROVED and d.stage == "expand"


def test_cancel_stage_for_rational_functions():
    d = decide_equal((x ** 2 - 1) / (x - 1), x + 1, ctx())
    assert d.verdict is Verdict.PROVED and d.stage == "cancel"


def test_simplify_stage_for_trigonometry():
    d = decide_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1, ctx())
    assert d.verdict is Verdict.PROVED and d.stage in ("simplify", "factor", "expand", "cancel")


def test_numeric_refutation_gives_exact_counterexample():
    d = decide_equal((x + y) ** 2, x ** 2 + y ** 2, ctx())
    assert d.verdict is Verdict.REFUTED and d.stage == "numeric"
    cex = d.counterexample
    assert cex.arithmetic == "exact rational"
    pt = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in cex.point.items()}
    assert ((x + y) ** 2).subs(pt) == sp.Rational(cex.lhs)
    assert (x ** 2 + y ** 2).subs(pt) == sp.Rational(cex.rhs)
    assert cex.lhs != cex.rhs


def test_irrational_counterexample_confirmed_to_50_digits():
    # sqrt(3) x and sqrt(3) x + sqrt(2)/10^20 are irrational at every rational x: 50-digit arithmetic decides
    d = decide_equal(sp.sqrt(3) * x, sp.sqrt(3) * x + sp.sqrt(2) / 10 ** 20, ctx())
    assert d.verdict is Verdict.REFUTED
    assert d.counterexample.arithmetic == "50-digit"


def test_true_irrational_identity_is_not_refuted():
    a = sp.Symbol("a", positive=True)
    d = decide_equal(sp.sqrt(a) * sp.sqrt(2), sp.sqrt(2 * a), ctx())
    assert d.verdict is Verdict.PROVED


def test_numeric_agreement_alone_is_unproved(monkeypatch):
    # disable the symbolic stages: agreement at points must then give "unproved", never "proved"
    import proofs.equivalence as eqm
    monkeypatch.setattr(eqm, "_SYMBOLIC_STAGES", ())
    monkeypatch.setattr(eqm, "QUICK_EXPAND_SECONDS", 0)
    monkeypatch.setattr(sp.Expr, "equals", lambda self, other, failing_expression=False: None)
    d = eqm.decide_equal((x + 1) ** 2, x ** 2 + 2 * x + 1, ctx())
    assert d.verdict is Verdict.UNPROVED
    assert "agrees at" in d.detail


def test_undefined_points_are_skipped_not_counterexamples():
    # at x = 1 the left side is undefined; that is not a counterexample
    d = decide_equal((x ** 2 - 1) / (x - 1), x + 1, ctx())
    assert d.verdict is Verdict.PROVED


def test_integer_assumption_respected_in_sampling():
    # (-1)**(2N) = 1 holds for integer N only; points must be integers
    d = decide_equal((-1) ** (2 * N), 1, ctx())
    assert d.verdict is not Verdict.REFUTED


def test_bounds_respected_in_sampling():
    rho = sp.Symbol("rho", positive=True)
    # sqrt((1-rho)^2) = 1 - rho only for rho < 1
    d = decide_equal(sp.sqrt((1 - rho) ** 2), 1 - rho, ctx({rho: (sp.Integer(0), sp.Integer(1))}))
    assert d.verdict is not Verdict.REFUTED
    d2 = decide_equal(sp.sqrt((1 - rho) ** 2), 1 - rho, ctx({rho: (sp.Integer(1), sp.Integer(5))}))
    assert d2.verdict is Verdict.REFUTED


def test_stage_time_bound(monkeypatch):
    import time

    import proofs.equivalence as eqm

    def slow(d):
        time.sleep(3)
        return d

    monkeypatch.setattr(eqm, "_SYMBOLIC_STAGES", (("slow", slow),))
    monkeypatch.setattr(eqm, "QUICK_EXPAND_SECONDS", 0)
    monkeypatch.setattr(sp.Expr, "equals", lambda self, other, failing_expression=False: time.sleep(3))
    t = time.perf_counter()
    f, g = sp.Function("f"), sp.Function("g")      # integrals of undefined functions: no point can value them
    d = eqm.decide_equal(sp.Integral(f(x), (x, 0, 1)), sp.Integral(g(x), (x, 0, 1)), ctx(timeout=0.2))
    assert time.perf_counter() - t < 2
    assert d.verdict is Verdict.TIMEOUT


def test_numbers_differ():
    assert numbers_differ(sp.Rational(1, 3), sp.Rational(1, 3))[0] is False
    assert numbers_differ(sp.sqrt(2), sp.sqrt(2) + sp.Rational(1, 10 ** 30))[0] is True


# ---- sums: bound indices are not free values; renamed indices are the same sum ----
g = sp.IndexedBase("g")
a = sp.IndexedBase("a")
k, i = sp.symbols("k i", integer=True)
m = sp.Symbol("m", integer=True, positive=True)


def test_sums_with_renamed_indices_are_equal():
    d = decide_equal(sp.Sum(g[k], (k, 1, m)), sp.Sum(g[i], (i, 1, m)), ctx())
    assert d.verdict is Verdict.PROVED


def test_linearity_of_sums():
    d = decide_equal(sp.Sum(g[k] + 2 * a[k], (k, 1, m)), sp.Sum(g[i], (i, 1, m)) + 2 * sp.Sum(a[k], (k, 1, m)), ctx())
    assert d.verdict is Verdict.PROVED


def test_false_sum_identity_refuted_with_expanded_entries():
    d = decide_equal(sp.Sum(g[k] ** 2, (k, 1, m)), sp.Sum(g[k], (k, 1, m)) ** 2 / m, ctx())
    assert d.verdict is Verdict.REFUTED
    assert "g[k]" not in d.counterexample.point          # bound entries never get a value


def test_subs_of_derivative_is_evaluated():
    from proofs.normalise import normalise
    assert normalise(sp.Subs(sp.Derivative(x ** 3, x), x, 2), None, None) == 12


def test_sum_pulled_out_of_a_sum_cancels_at_top_level():
    q = sp.IndexedBase("q")
    b, c = sp.symbols("b c", integer=True)
    B = sp.Symbol("B", integer=True, positive=True)
    mean = sp.Sum(q[c], (c, 1, B)) / B
    lhs = mean ** 2 + sp.Sum((q[b] - mean) ** 2, (b, 1, B)) / B       # variance decomposition
    assert decide_equal(lhs, sp.Sum(q[b] ** 2, (b, 1, B)) / B, ctx()).verdict is Verdict.PROVED
