"""Issue 8's reproducers, written as a user would write them: each must get the right verdict.

No false refutation (a counterexample must satisfy every premise in scope) and no false proof (a base
case, a side condition or an infinite value must not be skipped).
"""
import sympy as sp

from proofs import Cov, Eq, Source, claim
from proofs.engine import check_claim

SRC = Source("issue-8.tex", "reproducer")


def _point(result):
    cex = result.counterexample
    assert cex is not None, result.message
    return {k: sp.Rational(v) for k, v in cex.point.items()}


# -- 1. premises the engine could not turn into a substitution ---------------------------------------
def test_unsolved_premise_is_used_not_dropped():
    @claim(id="r.premise_not_solved", title="a c + b c = c from a + b = 1", source=SRC)
    def c(d):
        a, b, cc = d.symbols("a b c", real=True)
        one = d.given(sp.Eq(a + b, 1))
        d.step(sp.Eq(a * cc + b * cc, cc), using=[one])
        d.statement(sp.Eq(a * cc + b * cc, cc))
    r = check_claim(c)
    assert r.verdict == "proved", r.message


def test_inequality_assumption_is_used():
    @claim(id="r.assume_positive", title="sqrt(x^2) = x for x > 0", source=SRC)
    def c(d):
        x = d.symbol("x", real=True)
        pos = d.assume(x > 0)
        d.step(sp.Eq(sp.sqrt(x ** 2), x), using=[pos])
        d.statement(sp.Eq(sp.sqrt(x ** 2), x))
    r = check_claim(c)
    assert r.verdict == "proved", r.message
    assert r.assuming == ["x > 0"]              # the verdict says what it rests on
    assert r.message.startswith("proved, assuming: x > 0")


def test_wrong_step_with_unsolved_premise_is_refuted_at_a_point_satisfying_it():
    @claim(id="r.premise_wrong", title="a c + b c = 2c from a + b = 1 (wrong)", source=SRC, expected="refuted")
    def c(d):
        a, b, cc = d.symbols("a b c", real=True)
        one = d.given(sp.Eq(a + b, 1))
        d.step(sp.Eq(a * cc + b * cc, 2 * cc), using=[one])
        d.statement(sp.Eq(a * cc + b * cc, 2 * cc))
    r = check_claim(c)
    assert r.verdict == "refuted"
    pt = _point(r)
    if "a" in pt and "b" in pt:
        assert pt["a"] + pt["b"] == 1


# -- 2. integrality with bounds ----------------------------------------------------------------------
def test_bounded_integer_is_drawn_as_an_integer_and_proved_by_cases():
    @claim(id="r.int_bounds", title="sum_k delta_jk = 1 for 1 <= j <= 3", source=SRC)
    def c(d):
        j = d.symbol("j", integer=True, bounds=(0, 4))
        k = sp.Symbol("k", integer=True)
        rel = Eq(sp.Sum(sp.KroneckerDelta(j, k), (k, 1, 3)), 1)
        d.step(rel, using=[])
        d.statement(rel)
    r = check_claim(c)
    assert r.verdict == "proved", r.message


def test_symbolic_integer_bound_never_gives_a_symbolic_point():
    @claim(id="r.int_symbounds", title="sum_k delta_jk = 1 for 1 <= j <= K", source=SRC)
    def c(d):
        K = d.symbol("K", integer=True, positive=True)
        j = d.symbol("j", integer=True, bounds=(0, K + 1))
        k = sp.Symbol("k", integer=True)
        rel = Eq(sp.Sum(sp.KroneckerDelta(j, k), (k, 1, K)), 1)
        d.step(rel, using=[])
        d.statement(rel)
    r = check_claim(c)
    assert r.verdict != "refuted", r.message


# -- 3. side conditions from the step as written -----------------------------------------------------
def test_denominator_cancelled_by_a_premise_keeps_its_side_condition():
    @claim(id="r.den_cancel", title="a/(1 - beta) = b", source=SRC, expected="unproved")
    def c(d):
        beta = d.symbol("beta", bounds=(0, 1), closed=True)
        a, b = d.symbols("a b", real=True)
        g = d.given(sp.Eq(a, b * (1 - beta)))
        d.step(sp.Eq(a / (1 - beta), b), using=[g])
        d.statement(sp.Eq(a / (1 - beta), b))
    r = check_claim(c)
    assert r.verdict == "unproved", r.message
    cond = r.steps[0].conditions[0]
    assert cond.condition == "1 - beta != 0" and cond.verdict == "refuted"
    assert "1 - beta != 0" in r.message                 # named in the check line, not only in show


# -- 4. induction ------------------------------------------------------------------------------------
def _ema(d, formula):
    b = d.symbol("beta", bounds=(0, 1))
    s2 = d.symbol("sigma^2", positive=True)
    t = d.symbol("t", integer=True, positive=True)
    V = d.indexed("V")
    d.given(Eq(V[0], 0), why="v_0 = 0")
    rec = d.given(Eq(V[t], b ** 2 * V[t - 1] + (1 - b) ** 2 * s2), why="v_t = b v_{t-1} + (1 - b) g_t")
    P = Eq(V[t], formula(b, s2, t))
    with d.induction(P, on=t, base=1) as ind:
        (d.chain(V[t], using=[rec]).eq(b ** 2 * V[t - 1] + (1 - b) ** 2 * s2)
         .eq(b ** 2 * formula(b, s2, t - 1) + (1 - b) ** 2 * s2, using=[ind.hypothesis])
         .eq(formula(b, s2, t)))
    d.statement(P)


def test_induction_proves_the_true_ema_variance():
    @claim(id="r.ema_true", title="Var v_t", source=SRC)
    def c(d):
        _ema(d, lambda b, s2, t: s2 * (1 - b) * (1 - b ** (2 * t)) / (1 + b))
    r = check_claim(c)
    assert r.verdict == "proved", r.message
    assert not r.assuming                                  # the hypothesis was discharged by induction
    assert [s.rule for s in r.steps[-3:]] == ["base case", "inductive step", "conclusion"]


def test_induction_refutes_the_false_ema_variance_at_the_base_case():
    @claim(id="r.ema_false", title="Var v_t (limit formula at finite t)", source=SRC, expected="refuted")
    def c(d):
        _ema(d, lambda b, s2, t: s2 * (1 - b) / (1 + b))
    r = check_claim(c)
    assert r.verdict == "refuted"
    assert r.steps[r.first_failing_step - 1].rule == "base case"
    pt = _point(r)
    assert 0 < pt["beta"] < 1 and pt["sigma^2"] > 0


def test_assumed_hypothesis_without_base_case_says_so():
    @claim(id="r.ema_assumed", title="Var v_t by an assumed hypothesis", source=SRC)
    def c(d):
        beta = d.symbol("beta", bounds=(0, 1))
        s2 = d.symbol("sigma2", positive=True)
        V, Vp = d.symbols("V_t V_t1", positive=True)
        hyp = d.assume(sp.Eq(V, s2 * (1 - beta) / (1 + beta)), why="induction hypothesis")
        rec = d.given(sp.Eq(Vp, beta ** 2 * V + (1 - beta) ** 2 * s2))
        d.step(sp.Eq(Vp, s2 * (1 - beta) / (1 + beta)), using=[hyp, rec])
        d.statement(sp.Eq(Vp, s2 * (1 - beta) / (1 + beta)))
    r = check_claim(c)
    assert r.verdict == "proved" and r.assuming, r.message
    assert r.message.startswith("proved, assuming: V_t = ")
    d = r.to_dict()
    assert d["assuming"] == r.assuming


def test_hypothesis_cannot_be_used_outside_its_block():
    @claim(id="r.scope", title="hypothesis out of scope", source=SRC)
    def c(d):
        t = d.symbol("t", integer=True, positive=True)
        x = d.indexed("x")
        d.given(Eq(x[0], 0))
        rec = d.given(Eq(x[t], x[t - 1] + 1))
        with d.induction(Eq(x[t], t), on=t, base=0) as ind:
            d.chain(x[t], using=[rec]).eq(x[t - 1] + 1).eq(t, using=[ind.hypothesis])
        d.step(Eq(x[t - 1], t - 1), using=[ind.hypothesis])
        d.statement(Eq(x[t], t))
    r = check_claim(c)
    assert r.verdict == "error" and "only in scope inside its induction block" in r.message


# -- 5. finite sums with symbolic limits --------------------------------------------------------------
def test_geometric_sum_and_peeling_prove_in_any_shape():
    @claim(id="r.sums", title="sums", source=SRC)
    def c(d):
        b = d.symbol("b", bounds=(0, 1))
        t = d.symbol("t", integer=True, positive=True)
        i = sp.Symbol("i", integer=True)
        g = d.indexed("g", real=True)
        geo = Eq((1 - b) * sp.Sum(b ** (t - i), (i, 1, t)), 1 - b ** t)
        peel = Eq(sp.Sum(g[i], (i, 1, t - 1)) + g[t], sp.Sum(g[i], (i, 1, t)))
        d.step(geo, using=[])
        d.step(peel, using=[])
        d.statement((geo, peel))
    r = check_claim(c)
    assert r.verdict == "proved", r.message


# -- 6. side conditions discharged by the assumptions -------------------------------------------------
def test_one_minus_power_and_assumed_positive_denominators():
    @claim(id="r.conditions", title="bias correction and a variance denominator", source=SRC)
    def c(d):
        beta = d.symbol("beta", bounds=(0, 1))
        t = d.symbol("t", integer=True, positive=True)
        m, mh, x = d.symbols("m mhat x", real=True)
        s = d.symbol("sigma", real=True)
        pos = d.assume(s > 0, why="a standard deviation")
        g = d.given(sp.Eq(mh, m / (1 - beta ** t)))
        d.step(sp.Eq(mh * (1 - beta ** t) / (1 - beta ** t), m / (1 - beta ** t)), using=[g])
        d.step(sp.Eq((x * s ** 2 + s ** 2) / s ** 2 - 1, x), using=[pos])
        d.statement(sp.Eq((x * s ** 2 + s ** 2) / s ** 2 - 1, x))
    r = check_claim(c)
    assert r.verdict == "proved", r.message


# -- 7. "the result holds; step k is wrong" -------------------------------------------------------------
def test_true_result_with_a_wrong_middle_step():
    @claim(id="r.midwrong", title="right result, wrong middle line", source=SRC, expected="refuted")
    def c(d):
        a, b = d.symbols("a b", real=True)
        (d.chain((a + b) ** 2, using=[])
         .eq(a ** 2 + a * b + b ** 2, rule="expand (slip)")
         .eq(a ** 2 + 2 * a * b + b ** 2, rule="collect"))
        d.statement(Eq((a + b) ** 2, a ** 2 + 2 * a * b + b ** 2))

    @c.witness("exact")
    def _w(w):
        from fractions import Fraction
        a, b = Fraction(3, 7), Fraction(-2, 5)
        return w.exact({w.S.a: a, w.S.b: b})
    r = check_claim(c)
    assert r.verdict == "refuted" and r.first_failing_step == 1
    assert r.result_verdict == "proved"
    assert "the result holds" in r.message and "only step 1 is wrong" in r.message
    assert r.witnesses[0].observed == "holds" and r.witnesses[0].verdict == "agrees" and not r.loud


# -- 8. counterexamples: numbers, simple, author's variables, fixed order ------------------------------
def test_counterexample_is_simple_numeric_and_in_the_authors_variables():
    @claim(id="r.simple_point", title="a wrong rate", source=SRC, expected="refuted")
    def c(d):
        N = d.symbol("N", integer=True, positive=True)
        rho = d.symbol("rho", bounds=(0, 1))
        x = d.symbol("x", real=True)
        d.given(sp.Eq(rho, 1 - 1 / N))
        d.step(sp.Eq(rho * x, x - x / (2 * N)), using=[d.fact("given 1")])
        d.statement(sp.Eq(rho * x, x - x / (2 * N)))
    r1, r2 = check_claim(c), check_claim(c)
    assert r1.verdict == "refuted"
    assert r1.counterexample.point == r2.counterexample.point
    assert list(r1.counterexample.point) == sorted(r1.counterexample.point)
    pt = _point(r1)
    assert set(pt) >= {"N", "x"} and pt["N"] == 1 or pt["N"] == 2
    assert all(abs(v.p) <= 3 and v.q <= 2 for v in pt.values())   # small values, no symbols
    if "rho" in pt:
        assert pt["rho"] == 1 - 1 / pt["N"]


def test_undefined_function_values_give_a_real_counterexample():
    @claim(id="r.function", title="SGD + L2 step with a sign slip", source=SRC, expected="refuted")
    def c(d):
        w, eta, lam = d.symbols("w eta lambda", real=True)
        L = d.function("L")
        grad = sp.Derivative(L(w) + lam * w ** 2 / 2, w)
        d.step(Eq(w - eta * grad, w - eta * sp.Derivative(L(w), w) + eta * lam * w), rule="expand")
        d.statement(Eq(w - eta * grad, w - eta * sp.Derivative(L(w), w) + eta * lam * w))
    r = check_claim(c)
    assert r.verdict == "refuted", r.message
    assert any(k.startswith("L'(") for k in r.counterexample.point)


# -- 9. found by mutating the catalog --------------------------------------------------------------------
def test_divergent_sides_never_prove_a_false_limit():
    @claim(id="r.limit", title="(DL - eps a)/eps^2 -> C (false: the limit is 0)", source=SRC, expected="refuted")
    def c(d):
        eps = d.symbol("epsilon", positive=True)
        a, C, R, L0 = d.symbols("a C R L0", real=True)
        Lp, DL = d.symbols("Lp DL", real=True)
        d.given(sp.Eq(Lp, L0 + eps * a + eps ** 3 * C + eps ** 4 * R))
        d.given(sp.Eq(DL, Lp - L0))
        d.step(Eq(sp.Limit((DL - eps * a) / eps ** 3, eps, 0, "+"), C), using=[d.fact("given 1"), d.fact("given 2")])
        d.statement(Eq(sp.Limit((DL - eps * a) / eps ** 2, eps, 0, "+"), C))
    r = check_claim(c)
    assert r.verdict != "proved", r.message


def test_conclusion_uses_the_givens():
    @claim(id="r.conclusion_givens", title="-lim x_t = 0", source=SRC)
    def c(d):
        t = d.symbol("t", integer=True, positive=True)
        r_ = d.symbol("r", bounds=(0, 1))
        cc = d.symbol("c", real=True)
        xt = d.symbol("x_t", real=True)
        d.given(sp.Eq(xt, cc * r_ ** t))
        d.step(Eq(sp.Limit(xt, t, sp.oo), 0), using=[d.fact("given 1")])
        d.statement(Eq(-sp.Limit(xt, t, sp.oo), 0))
    r = check_claim(c)
    assert r.verdict == "proved", r.message


def test_definition_of_an_entry_defines_the_family():
    @claim(id="r.template", title="Sigma[j, i] from the definition of Sigma[i, j]", source=SRC)
    def c(d):
        i, j = d.symbols("i j", integer=True, positive=True)
        g = d.indexed("g", real=True)
        S = d.indexed("Sigma")
        d.define(S[i, j], g[i] * g[j])
        d.step(Eq(S[j, i], S[i, j]), using=[])
        d.statement(Eq(S[j, i], S[i, j]))
    r = check_claim(c)
    assert r.verdict == "proved", r.message


def test_non_integer_sum_bound_is_not_an_error():
    @claim(id="r.half_bound", title="a sum to N - 1/2", source=SRC, expected="unproved")
    def c(d):
        N = d.symbol("N", integer=True, positive=True)
        k = sp.Symbol("k", integer=True)
        d.step(Eq(sp.Sum(k, (k, 1, N - sp.Rational(1, 2))), N * (N - 1) / 2), using=[])
        d.statement(Eq(sp.Sum(k, (k, 1, N - sp.Rational(1, 2))), N * (N - 1) / 2))
    r = check_claim(c)
    assert r.verdict != "error", r.message


# -- found converting the catalog's inductions --------------------------------------------------------
def test_substituted_entry_reappearing_at_a_concrete_index_is_not_free():
    @claim(id="r.entry", title="mu_t = 0 from mu_0 = 0 and mu_t = mu_{t-1}", source=SRC)
    def c(d):
        t = d.symbol("t", integer=True, positive=True)
        mu = d.indexed("mu", real=True)
        m0 = d.given(Eq(mu[0], 0))
        upd = d.given(Eq(mu[t], mu[t - 1]), for_all=t)
        d.step(Eq(mu[t], 0), using=[m0, upd])          # true, but it needs induction: never refuted
        d.statement(Eq(mu[t], 0))
    assert check_claim(c).verdict != "refuted"


def test_a_verdict_does_not_depend_on_the_claim_checked_before():
    def make(cid, **assume):
        @claim(id=cid, title="peel one term", source=SRC)
        def c(d):
            rho = d.symbol("rho", bounds=(0, 1))
            n = d.symbol("n", integer=True, **assume)
            k = d.symbol("k", integer=True, nonnegative=True)
            M = sp.Symbol("M", integer=True)
            x = d.indexed("x")

            def U(t):
                return sp.Subs(sp.Sum(rho ** k * x[M - k], (k, 0, M)), M, t)
            d.step(Eq(U(n), x[n] + rho * U(n - 1)), using=[], label="peel")
            d.statement(Eq(U(n), x[n] + rho * U(n - 1)))
        return c
    alone = check_claim(make("r.peel.pos", positive=True))
    check_claim(make("r.peel.nonneg", nonnegative=True))          # n = 0 is admissible here
    after = check_claim(make("r.peel.pos", positive=True))
    assert alone.verdict == after.verdict == "proved", after.message


# -- 10. found by mutating the catalog (docs/mutation.md): true relations that were refuted ----------------------
def test_a_covariance_matrix_is_symmetric():
    """Sigma declared as a family's covariance: eta^2 k Sigma[l, i] = eta^2 k Sigma[i, l] is true (it was refuted at
    Sigma[0, 1] = -1, Sigma[1, 0] = 1, two values for one covariance)."""
    @claim(id="r.cov_symmetric", title="Cov(n_i, n_l) written with Sigma[l, i]", source=SRC)
    def c(d):
        i, l = d.symbols("i l", integer=True)
        g, Sig = d.indexed("g"), d.indexed("Sigma")
        gh = d.random.family("ghat", mean=g, cov=Sig)
        d.step(sp.Eq(Cov(gh[1, i], gh[1, l]), Sig[l, i]), using=[])
        d.statement(sp.Eq(Cov(gh[1, i], gh[1, l]), Sig[l, i]))
    r = check_claim(c)
    assert r.verdict == "proved", r.message


def test_a_sum_index_summed_outside_its_declared_sign():
    """j is declared positive but summed from -1: SymPy read Sum(delta(i, j) a_i, (i, 1, N)) as a_j for j <= N
    only, dropping 1 <= j, and a true step was refuted at alpha[0] = 1 (a false one could have been proved)."""
    @claim(id="r.index_range", title="terms with j < 1 vanish", source=SRC)
    def c(d):
        N = d.symbol("N", integer=True, positive=True)
        i, j = d.symbols("i j", integer=True, positive=True)
        a = d.indexed("alpha")
        lhs = sp.Sum(a[i] ** 2, (i, 1, N))
        rhs = sp.Sum(sp.KroneckerDelta(i, j) * a[i] * a[j], (i, 1, N), (j, -1, N))
        d.step(sp.Eq(lhs, rhs), using=[])
        d.statement(sp.Eq(lhs, rhs))
    r = check_claim(c)
    assert r.verdict != "refuted", r.message

    @claim(id="r.index_range_wrong", title="the same with a term too many", source=SRC)
    def wrong(d):
        N = d.symbol("N", integer=True, positive=True)
        i, j = d.symbols("i j", integer=True, positive=True)
        a = d.indexed("alpha")
        lhs = sp.Sum(a[i] ** 2, (i, 1, N))
        rhs = sp.Sum(sp.KroneckerDelta(i, j) * a[i] * a[j], (i, 1, N), (j, -1, N)) + a[N] ** 2
        d.step(sp.Eq(lhs, rhs), using=[])
        d.statement(sp.Eq(lhs, rhs))
    assert check_claim(wrong).verdict == "refuted"


def test_a_premise_is_not_put_in_for_a_limit_variable():
    """With Delta_t = k eta given, lim_{Delta_t -> 0} eta Delta_t Sigma = 0 is true; substituting the premise for
    the limit's own variable made it the limit of a constant and refuted it."""
    @claim(id="r.limit_binding", title="noise vanishes as Delta t -> 0", source=SRC)
    def c(d):
        eta, Dt = d.symbols("eta Delta_t", positive=True)
        k = d.symbol("k", integer=True, positive=True)
        s = d.symbol("sigma", positive=True)
        d.given(sp.Eq(Dt, k * eta))
        rel = sp.Eq(sp.Limit(eta * Dt * s, Dt, 0, "+"), 0)
        d.step(rel, using=[])
        d.statement(rel)
    r = check_claim(c)
    assert r.verdict == "proved", r.message


def test_a_limit_sympy_cannot_decide_is_unproved_not_an_error():
    """lim_{t -> oo} N (1 - (1 - 1/N)^t) = N for integer N >= 1 (N = 1 included): SymPy raises NotImplementedError
    ('depends on the sign of log(1 - 1/N)'); that is 'unproved', not an error of the user's file."""
    @claim(id="r.limit_undecided", title="n_t -> N", source=SRC)
    def c(d):
        N, t = d.symbols("N t", integer=True, positive=True)
        rel = sp.Eq(sp.Limit(N * (1 - (1 - 1 / N) ** t), t, sp.oo), N)
        d.step(rel, using=[])
        d.statement(rel)
    r = check_claim(c)
    assert r.verdict == "unproved", r.message


def test_a_step_result_does_not_substitute_a_given_symbol_cyclically():
    """B5: a step result solved for w while the given maps x -> -w - 3 made a cyclic substitution; the counterexample
    showed x = 0 where the givens say x = -2. Now the point satisfies both givens."""
    @claim(id="r.cyclic", title="x^2 - w", source=SRC)
    def c(d):
        y, w, x = d.symbols("y w x", real=True)
        g1 = d.given(sp.Eq(w, 5 * y / 3 - 1))
        g2 = d.given(sp.Eq(x, -w - 3))
        s1 = d.step(sp.Eq(x, -5 * y / 3 - 2), using=[g2, g1])
        d.chain(x ** 2 - w, using=[s1]).eq((-5 * y / 3 - 2) ** 2 - w).eq(25 * y ** 2 / 9 + 5 * y + 5, using=[g1])
        d.statement(sp.Eq(x ** 2 - w, 25 * y ** 2 / 9 + 5 * y + 6))
    r = check_claim(c)
    assert r.verdict == "refuted", r.message
    p = _point(r)
    assert p["w"] == 5 * p["y"] / 3 - 1 and p["x"] == -p["w"] - 3, p


# -- a premise that is linear only in a power (a^2 + b^2 = 1) ----------------------------------------
def test_premise_linear_in_a_power_is_used():
    @claim(id="r.power_premise", title="a^2 + 2 = 3 - b^2 on the unit circle", source=SRC)
    def c(d):
        a, b = d.symbols("a b", real=True)
        one = d.given(sp.Eq(a**2 + b**2, 1))
        d.step(sp.Eq(a**2 + 2, 3 - b**2), using=[one])
        d.statement(sp.Eq(a**2 + 2, 3 - b**2))
    r = check_claim(c)
    assert r.verdict == "proved", r.message


def test_power_premise_gives_no_point_without_a_real_root():
    # |1 - a^2| = b^2 holds wherever a^2 + b^2 = 1 has a real b; at a = 2 the premise would need b^2 = -3
    @claim(id="r.power_premise_real", title="|1 - a^2| = b^2 on the unit circle", source=SRC)
    def c(d):
        a, b = d.symbols("a b", real=True)
        one = d.given(sp.Eq(a**2 + b**2, 1))
        d.step(sp.Eq(sp.Abs(1 - a**2), b**2), using=[one])
        d.statement(sp.Eq(sp.Abs(1 - a**2), b**2))
    r = check_claim(c)
    assert r.verdict != "refuted", r.message


# -- two inequalities on one symbol (0 < beta and beta < 1): both bounds count -------------------------------
def test_two_bounds_on_one_symbol_both_count():
    @claim(id="r.two_bounds", title="m / (1 - beta^t) = g from m = (1 - beta^t) g", source=SRC)
    def c(d):
        b, g, m = (sp.Symbol(n, real=True) for n in ("beta", "g", "m"))
        t = sp.Symbol("t", integer=True)
        d.assume(0 < b)
        d.assume(b < 1)
        d.assume(t >= 1)
        given = d.given(sp.Eq(m, (1 - b**t) * g))
        d.step(sp.Eq(m / (1 - b**t), g, evaluate=False), using=[given])
        d.statement(sp.Eq(m / (1 - b**t), g, evaluate=False))
    r = check_claim(c)
    assert r.verdict == "proved", r.message           # 1 - beta^t != 0 needs beta < 1 as well as beta > 0


def test_a_closed_end_stays_closed_when_a_second_bound_is_stated():
    from proofs.derivation import Derivation
    from proofs.premises import substitutions
    b = sp.Symbol("beta", real=True)
    for first, second, closed in ((0 <= b, b < 1, (True, False)), (0 < b, b <= 1, (False, True)),
                                  (b >= 0, b > 0, (False, False)), (b > -1, b >= 0, (True, False))):
        d = Derivation()
        out = substitutions([d.assume(first), d.assume(second)], [], None)
        (refined,) = out.bounds
        lo, hi = out.bounds[refined]
        assert out.closed.get(refined, (False, False)) == closed, (first, second, out.closed)
        assert lo == 0 and (hi == 1 or hi == sp.oo)
