"""Weight decay and early stopping on a quadratic basin (Gerstner, week 5, Exercise 5 (a)-(d)).

E = 1/2 beta_1 (w_1 - w_1*)^2 + 1/2 beta_2 (w_2 - w_2*)^2 (15).

(a) gradient descent with rate gamma: w_i(n) = w_i* + (1 - beta_i gamma)^n (w_i(0) - w_i*) (induction);
(b) early stopping at n_stop = 1/(5 gamma beta_1) with beta_2 = 20 beta_1: the remaining fractions of the
    initial offsets tend to exp(-1/5) and exp(-4) as gamma -> 0;
(c) L2 regularisation: the minimum of E~ = E + lambda/2 sum w^2 is at w_i = beta_i w_i*/(lambda + beta_i)
    (the source's first line drops the square on (w_i - w_i*): erratum, the result is right);
(d) beta_2 >> lambda >> beta_1: w_1 -> 0, w_2 -> w_2*.
"""
from fractions import Fraction

import sympy as sp

from proofs import claim, Eq, Source

TOPIC = "regularisation"
WEEK5 = "004_75a7c5df244e2fc1.txt"
R = sp.Rational
F = Fraction


def _src(part: str) -> Source:
    return Source(WEEK5, f"Exercise 5 (Weight decay and early stopping), solution {part}")


def gradient_descent(betas, wstar, w0, gamma, steps, lam=0):
    """Gradient descent on E (+ lambda/2 |w|^2): w_i <- w_i - gamma (beta_i (w_i - w_i*) + lambda w_i).
    Exact for Fraction inputs. Returns w(0..steps)."""
    ws = [tuple(w0)]
    for _ in range(steps):
        w = ws[-1]
        ws.append(tuple(w[i] - gamma * (betas[i] * (w[i] - wstar[i]) + lam * w[i]) for i in range(len(w))))
    return ws


# ------------------------------------------------------------------------------------------------
# (a)
# ------------------------------------------------------------------------------------------------
@claim(id="early_stopping.gd_closed_form",
       title="Gradient descent on the quadratic: w_i(n) = w_i* + (1 - beta_i gamma)^n (w_i(0) - w_i*)",
       source=_src("(a), eq. (16) and the induction"),
       statement="-dE/dw_i = -beta_i (w_i - w_i*) (16). Root: w_i(1) = w_i(0) - gamma beta_i (w_i(0) - w_i*) = "
                 "w_i* + (1 - gamma beta_i)(w_i(0) - w_i*). Induction: w_i(n+1) = w_i(n) - gamma beta_i (w_i(n) - w_i*) "
                 "= w_i* + (1 - gamma beta_i)^n (w_i(0) - w_i*) - gamma beta_i (w_i* + (1 - gamma beta_i)^n "
                 "(w_i(0) - w_i*) - w_i*) = w_i* + (1 - gamma beta_i)(1 - gamma beta_i)^n (w_i(0) - w_i*) = "
                 "w_i* + (1 - gamma beta_i)^{n+1} (w_i(0) - w_i*)",
       reading="each coordinate i separately (E is a sum over i); n >= 0")
def gd_closed_form(d):
    beta, gamma = d.symbols("beta_i gamma", positive=True)
    w, ws = d.symbols("w_i w_i*", real=True)
    wf = sp.Function("w_i", real=True)          # the iterates w_i(n) (the weight variable w_i keeps d.S["w_i"])
    n = d.symbol("n", integer=True, nonnegative=True)
    w0 = wf(0)
    Ei = R(1, 2) * beta * (w - ws) ** 2
    g = d.chain(-sp.Derivative(Ei, w)).eq(-beta * (w - ws), rule="differentiate (15)", label="(16)")
    d.note("The gradient step is written with the derivative of E evaluated at the current weight.")
    root_upd = d.given(Eq(wf(1), w0 - gamma * sp.Subs(sp.Derivative(Ei, w), w, w0)),
                       why="one gradient step from w_i(0)", label="step 0")
    root = (d.chain(wf(1), using=[root_upd])
            .eq(w0 - gamma * beta * (w0 - ws), rule="(16)", label="root, line 1")
            .eq(ws + (1 - gamma * beta) * (w0 - ws), rule="rearrange", label="root, line 2"))
    upd = d.given(Eq(wf(n + 1), wf(n) - gamma * sp.Subs(sp.Derivative(Ei, w), w, wf(n))),
                  why="gradient step from w_i(n)", label="step n")
    # P(n): w_i(n+1) = w_i* + (1 - gamma beta_i)^{n+1} (w_i(0) - w_i*) for every n >= 0: the base case n = 0 is the
    # root, and the hypothesis P(n - 1) is the source's w_i(n) = w_i* + (1 - gamma beta_i)^n (w_i(0) - w_i*)
    wn = ws + (1 - gamma * beta) ** n * (w0 - ws)
    P = Eq(wf(n + 1), ws + (1 - gamma * beta) ** (n + 1) * (w0 - ws))
    with d.induction(P, on=n, base=0, label="induction") as ind:
        (d.chain(wf(n + 1), using=[upd])
         .eq(wf(n) - gamma * beta * (wf(n) - ws), rule="(16)", label="induction, line 1")
         .eq(wn - gamma * beta * (wn - ws), rule="hypothesis", using=[ind.hypothesis], label="induction, line 2")
         .eq(ws + (1 - gamma * beta) * (1 - gamma * beta) ** n * (w0 - ws), rule="collect", label="induction, line 3")
         .eq(ws + (1 - gamma * beta) ** (n + 1) * (w0 - ws), rule="powers", label="induction, line 4"))
    stmt = (g.fact.relation, root.fact.relation, P)
    d.step(stmt, rule="collect", using=[g.fact, root.fact, ind.fact])
    d.statement(stmt)


@gd_closed_form.witness("exact")
def _gd_run(w):
    """Gradient descent on (15) run exactly (beta = (1, 20), w* = (1, -2), w(0) = (3, 5), gamma = 1/50); the
    claim's formulas are checked at every step n = 0..30 in both coordinates, and (16) by a central difference."""
    S = w.S
    betas, wstar, w0, gamma = (F(1), F(20)), (F(1), F(-2)), (F(3), F(5)), F(1, 50)
    ws = gradient_descent(betas, wstar, w0, gamma, 31)
    bad = []
    w_1, w_n1 = w.statement[1].lhs, w.statement[2].lhs          # w_i(1), w_i(n+1)
    w_0 = S["w_i(0)"] if "w_i(0)" in S else w_1.func(0)          # w_i(0) (a user's symbol, or the iterate)
    for i in range(2):
        base = {S.beta_i: betas[i], S["w_i*"]: wstar[i], w_0: w0[i], S.gamma: gamma}
        if not w.exact({**base, w_1: ws[1][i]}, relation=w.statement[1]).holds:
            bad.append(f"root, i={i + 1}")
        for n in range(31):
            if not w.exact({**base, w_n1: ws[n + 1][i], S.n: n}, relation=w.statement[2]).holds:
                bad.append(f"n={n}, i={i + 1}")
    h = F(1, 1000)
    grad_ok = []
    for i in range(2):
        E = lambda v: F(1, 2) * betas[i] * (v - wstar[i]) ** 2          # noqa: E731
        fd = -(E(w0[i] + h) - E(w0[i] - h)) / (2 * h)                   # exact for a quadratic
        grad_ok.append(w.exact({S.beta_i: betas[i], S["w_i*"]: wstar[i], S.w_i: w0[i]},
                               relation=Eq(sp.Symbol("fd"), w.statement[0].rhs).xreplace({sp.Symbol("fd"): fd})).holds)
    return w.observe(not bad and all(grad_ok), "closed form equals the iterates at n = 1..31, both coordinates; "
                     "(16) equals the central difference" if not bad and all(grad_ok) else
                     f"fails at {bad[:3]}; gradient ok: {grad_ok}", method="gradient descent run exactly", n=31)


# ------------------------------------------------------------------------------------------------
# (b)
# ------------------------------------------------------------------------------------------------
@claim(id="early_stopping.stopping_fractions",
       title="Early stopping at n_stop = 1/(5 gamma beta_1), beta_2 = 20 beta_1: remaining fractions exp(-1/5), exp(-4)",
       source=_src("(b)"),
       statement="Using the hint with (1 + x 5 gamma beta_1)^{n_stop} = (1 - beta_1 gamma)^{n_stop} and solving for x "
                 "we find w_1(n_stop) ~ w_1* + exp(-1/5)(w_1(0) - w_1*) ~ w_1(0) and w_2(n_stop) ~ w_2* + "
                 "exp(-4)(w_2(0) - w_2*) ~ w_2*",
       reading="as gamma -> 0 with n_stop = 1/(5 gamma beta_1): (1 - beta_1 gamma)^{n_stop} -> exp(-1/5) = 0.82 and "
               "(1 - beta_2 gamma)^{n_stop} -> exp(-4) = 0.018 (beta_2 = 20 beta_1): w_1 has moved only 18% of the "
               "way to w_1* ('~ w_1(0)'), w_2 all but 1.8% ('~ w_2*')")
def stopping_fractions(d):
    b1, gamma = d.symbols("beta_1 gamma", positive=True)
    b2 = d.symbol("beta_2", positive=True)
    x1, x2 = d.symbols("x_1 x_2", real=True)
    d.unknowns(x1, x2)
    ratio = d.given(Eq(b2, 20 * b1), why="beta_2 = 20 beta_1", label="beta_2")
    nstop = 1 / (5 * gamma * b1)
    h1 = d.given(Eq(1 + x1 * 5 * gamma * b1, 1 - b1 * gamma), why="the hint's form (1 + x/n)^n for i = 1",
                 label="hint, i = 1")
    h2 = d.given(Eq(1 + x2 * 5 * gamma * b1, 1 - b2 * gamma), why="the hint's form for i = 2", label="hint, i = 2")
    s1 = d.step(Eq(x1, -R(1, 5)), rule="solve for x", using=[h1], label="x = -1/5")
    s2 = d.step(Eq(x2, -4), rule="solve for x", using=[h2, ratio], label="x = -4")
    l1 = d.chain(sp.Limit((1 - b1 * gamma) ** nstop, gamma, 0, "+")).eq(sp.exp(-R(1, 5)),
                                                                         rule="(1 + x/n)^n -> exp(x)",
                                                                         label="i = 1")
    l2 = d.chain(sp.Limit((1 - b2 * gamma) ** nstop, gamma, 0, "+"), using=[ratio]).eq(
        sp.exp(-4), rule="(1 + x/n)^n -> exp(x)", label="i = 2")
    stmt = (l1.fact.relation, l2.fact.relation)
    d.step(stmt, rule="collect", using=[l1.fact, l2.fact, ratio, s1, s2])
    d.statement(stmt)


@stopping_fractions.witness("exact")
def _stopping_run(w):
    """Gradient descent on (15) run exactly with beta_1 = 1, beta_2 = 20 and gamma = 1/(5N) (n_stop = N) for
    N = 50, 100, 200; the remaining fractions (w_i(n_stop) - w_i*)/(w_i(0) - w_i*) are extrapolated to
    gamma -> 0 (Richardson in 1/N) and compared with the claimed limits."""
    S = w.S
    fr = {0: [], 1: []}
    Ns = (50, 100, 200)
    for N in Ns:
        ws = gradient_descent((F(1), F(20)), (F(0), F(0)), (F(1), F(1)), F(1, 5 * N), N)
        for i in (0, 1):
            fr[i].append(float(ws[N][i]))
    obs = []
    for i in (0, 1):
        v = fr[i]
        e1, e2 = 2 * v[1] - v[0], 2 * v[2] - v[1]
        sym = sp.Symbol(f"fraction_{i + 1}")
        target = w.value(w.statement[i].rhs, {S.beta_1: 1})
        obs.append(w.close({sym: e2}, {sym: abs(e2 - e1) + 1e-12}, relation=sp.Eq(sym, target), k=3,
                           method=f"gradient descent run exactly, n_stop = N = {Ns}; fractions "
                                  + ", ".join(f"{x:.5f}" for x in v) + "; Richardson in 1/N", n=len(Ns)))
    return obs


# ------------------------------------------------------------------------------------------------
# (c)
# ------------------------------------------------------------------------------------------------
def _l2_symbols(d):
    b1, b2, lam = d.symbols("beta_1 beta_2 lambda", positive=True)
    w1, w2, s1, s2 = d.symbols("w_1 w_2 w_1* w_2*", real=True)
    Et, c = d.symbols("E~ c", real=True)
    return (b1, b2), lam, (w1, w2), (s1, s2), Et, c


def _sum2(f):
    """sum over the two coordinates i = 1, 2 of f(i)."""
    return sp.Add(f(0), f(1), evaluate=False)


def _l2_claim(d, first_line_square: bool):
    B, lam, W, Ws, Et, c = _l2_symbols(d)
    E = R(1, 2) * B[0] * (W[0] - Ws[0]) ** 2 + R(1, 2) * B[1] * (W[1] - Ws[1]) ** 2
    defE = d.given(Eq(Et, E + lam / 2 * (W[0] ** 2 + W[1] ** 2)), why="E~ = E + lambda/2 sum_j w_j^2 with E from (15)",
                   label="E~")
    d.define(c, R(1, 2) * _sum2(lambda i: B[i] * lam * Ws[i] ** 2 / (B[i] + lam)),
             why="the constant left over by completing the square (it does not depend on w)")
    d.note("The source sums over j with terms in i; read as sum_i over the two coordinates (written out). The brackets "
           "of line 1 are read as 1/2 sum_i [beta_i (...) + lambda w_i^2], as line 2 continues.")
    p = 2 if first_line_square else 1
    ch = (d.chain(Et, using=[defE])
          .eq(R(1, 2) * _sum2(lambda i: B[i] * (W[i] - Ws[i]) ** p + lam * W[i] ** 2), rule="insert (15)",
              label="line 1")
          .eq(R(1, 2) * _sum2(lambda i: (B[i] + lam) * W[i] ** 2 - 2 * B[i] * W[i] * Ws[i] + B[i] * Ws[i] ** 2),
              rule="expand the square", label="line 2")
          .eq(R(1, 2) * _sum2(lambda i: (B[i] + lam) * (W[i] ** 2 - 2 * B[i] / (B[i] + lam) * W[i] * Ws[i]
                                                       + B[i] / (B[i] + lam) * Ws[i] ** 2)),
              rule="factor out beta_i + lambda", label="line 3")
          .eq(R(1, 2) * _sum2(lambda i: (B[i] + lam) * (W[i] - B[i] / (B[i] + lam) * Ws[i]) ** 2) + c,
              rule="complete the square", label="line 4"))
    hat = [B[i] * Ws[i] / (lam + B[i]) for i in (0, 1)]
    stmt = tuple(Eq(sp.Subs(sp.Derivative(Et, W[i]), W[i], hat[i]), 0) for i in (0, 1)) + tuple(
        sp.Gt(sp.Derivative(Et, W[i], 2), 0) for i in (0, 1))
    d.step(stmt, rule="hence: a quadratic in each w_i with curvature beta_i + lambda > 0 is minimal where its "
           "derivative vanishes", using=[ch.fact], label="minimum")
    d.statement(stmt)


L2_READING = ("E~ is quadratic in each w_i with curvature beta_i + lambda > 0, so it is minimal exactly where "
              "dE~/dw_i = 0; the statement: dE~/dw_i = 0 at w_i = beta_i w_i*/(lambda + beta_i) and "
              "d^2E~/dw_i^2 > 0")


@claim(id="early_stopping.weight_decay_minimum",
       title="The L2-regularised minimum is at w_i = beta_i w_i*/(lambda + beta_i) (first line as printed)",
       source=_src("(c)"), expected="refuted",
       statement="E~ = 1/2 sum_j beta_i (w_i - w_i*) + lambda w_i^2 = 1/2 sum_j (beta_i + lambda) w_i^2 - 2 beta_i w_i "
                 "w_i* + beta_i (w_i*)^2 = 1/2 sum_j (beta_i + lambda)(w_i^2 - 2 beta_i/(beta_i + lambda) w_i w_i* + "
                 "beta_i/(beta_i + lambda) (w_i*)^2) = 1/2 sum_j (beta_i + lambda)(w_i - beta_i/(beta_i + lambda) "
                 "w_i*)^2 + c. Hence, E~ is minimized for w_i = beta_i/(beta_i + lambda) w_i*.",
       reading=L2_READING)
def weight_decay_minimum(d):
    _l2_claim(d, first_line_square=False)


@claim(id="early_stopping.weight_decay_minimum.corrected",
       title="The L2-regularised minimum is at w_i = beta_i w_i*/(lambda + beta_i) (the square restored in line 1)",
       source=_src("(c), corrected"), corrects="early_stopping.weight_decay_minimum",
       statement="E~ = 1/2 sum_i [beta_i (w_i - w_i*)^2 + lambda w_i^2] = ... = 1/2 sum_i (beta_i + lambda)(w_i - "
                 "beta_i/(beta_i + lambda) w_i*)^2 + c, so E~ is minimized for w_i = beta_i w_i*/(lambda + beta_i)",
       reading=L2_READING)
def weight_decay_minimum_corrected(d):
    _l2_claim(d, first_line_square=True)


def weight_decay_witness(w):
    """E~ evaluated from its definition (E of (15) plus lambda/2 |w|^2) at random points must equal every line of the
    claim's chain (lines 1-4); and gradient descent on E~, run exactly to convergence (contraction < 1e-30), must end
    at the claim's minimiser."""
    S = w.S
    B = (F(3, 2), F(7))
    lam, Ws = F(2), (F(5, 3), F(-4))
    vals = {S.beta_1: B[0], S.beta_2: B[1], S["lambda"]: lam, S["w_1*"]: Ws[0], S["w_2*"]: Ws[1]}
    c_def = next(f.relation.rhs for f in w.d.definitions if f.relation.lhs == S.c)
    lines = [st for st in w.d.steps if st.label.startswith("line ")]
    bad = []
    for _ in range(4):
        pt = (F(int(w.rng.integers(-9, 10)), 4), F(int(w.rng.integers(-9, 10)), 3))
        Etil = sum(F(1, 2) * B[i] * (pt[i] - Ws[i]) ** 2 + lam / 2 * pt[i] ** 2 for i in range(2))
        at = {**vals, S.w_1: pt[0], S.w_2: pt[1]}
        at[S.c] = w.value(c_def, at)
        for st in lines:
            got = w.value(st.relation.rhs, at)
            if got != sp.Rational(Etil.numerator, Etil.denominator):
                bad.append(f"{st.label} at w = ({pt[0]}, {pt[1]}): {got} != E~ = {Etil}")
    obs = [w.observe(not bad, "every line of the chain equals E~ at 4 random points" if not bad else "; ".join(bad[:2]),
                     method="E~ evaluated from its definition (exact)", n=4)]
    gamma = 1 / (B[1] + lam)                                  # contraction factor <= 1 - (beta_1 + lambda) gamma
    ws = gradient_descent(B, Ws, (F(0), F(0)), gamma, 250, lam=lam)
    wmin = ws[-1]
    for i in range(2):
        rel = w.statement[i]
        point = rel.lhs.args[2][0]                             # the claimed minimiser inside Subs(dE~/dw_i, w_i, .)
        claimed = w.value(point, vals)
        sym = sp.Symbol(f"w_{i + 1}_min")
        obs.append(w.close({sym: float(wmin[i])}, {sym: 1e-25}, relation=sp.Eq(sym, claimed), k=1, floor=1e-15,
                           method="gradient descent on E~ run exactly for 250 steps", n=250))
    return obs


weight_decay_minimum.add_witness(weight_decay_witness, kind="exact", name="minimise_E_tilde")
weight_decay_minimum_corrected.add_witness(weight_decay_witness, kind="exact", name="minimise_E_tilde")


# ------------------------------------------------------------------------------------------------
# (d)
# ------------------------------------------------------------------------------------------------
@claim(id="early_stopping.weight_decay_limits",
       title="beta_2 >> lambda >> beta_1: the L2 minimum has w_1 ~ 0 and w_2 ~ w_2*",
       source=_src("(d)"),
       statement="With beta_2 >> lambda >> beta_1 the solution is w_1 = beta_1/(beta_1 + lambda) w_1* ~ 0 and "
                 "w_2 = beta_2/(beta_2 + lambda) w_2* ~ w_2*",
       reading="lim_{beta_1 -> 0} w_1 = 0 and lim_{beta_2 -> oo} w_2 = w_2* (lambda fixed); more precisely, for "
               "w_i* != 0, 0 <= w_1/w_1* <= beta_1/lambda and 0 <= 1 - w_2/w_2* <= lambda/beta_2")
def weight_decay_limits(d):
    b1, b2, lam = d.symbols("beta_1 beta_2 lambda", positive=True)
    s1, s2 = d.symbols("w_1* w_2*", real=True, nonzero=True)
    m1, m2 = d.symbols("w_1 w_2", real=True)
    sol = d.given((Eq(m1, b1 / (b1 + lam) * s1), Eq(m2, b2 / (b2 + lam) * s2)), why="the minimum of E~ from (c)",
                  label="(c)")
    l1 = d.chain(sp.Limit(m1, b1, 0, "+"), using=[sol]).eq(0, rule="beta_1/lambda -> 0", label="w_1 -> 0")
    l2 = d.chain(sp.Limit(m2, b2, sp.oo), using=[sol]).eq(s2, rule="lambda/beta_2 -> 0", label="w_2 -> w_2*")
    rs = [d.step(sp.Ge(m1 / s1, 0), rule="a ratio of positive numbers", using=[sol], label="w_1/w_1* >= 0"),
          d.step(sp.Le(m1 / s1, b1 / lam), rule="beta_1 + lambda > lambda", using=[sol], label="bound w_1"),
          d.step(sp.Ge(1 - m2 / s2, 0), rule="beta_2 < beta_2 + lambda", using=[sol], label="w_2/w_2* <= 1"),
          d.step(sp.Le(1 - m2 / s2, lam / b2), rule="beta_2 + lambda > beta_2", using=[sol], label="bound w_2")]
    stmt = (l1.fact.relation, l2.fact.relation) + tuple(r.relation for r in rs)
    d.step(stmt, rule="collect", using=[sol])
    d.statement(stmt)


@weight_decay_limits.witness("exact")
def _weight_decay_runs(w):
    """Minimise E~ by exact gradient descent (contraction 2^-110) for lambda = 1, w* = (2, -3) and
    beta_1 = lambda/K, beta_2 = K lambda, K = 10, 100, 1000: the claim's bounds must hold at the measured
    minimiser, which must approach the claimed limits (within the bounds)."""
    S = w.S
    lam, Ws = F(1), (F(2), F(-3))
    obs = []
    for K in (10, 100, 1000):
        B = (lam / K, lam * K)
        steps = 110
        wv = [F(0), F(0)]
        for i in range(2):                    # E~ decouples: gradient descent per coordinate, rate 1/(2(beta_i + lambda))
            g = 1 / (2 * (B[i] + lam))
            for _ in range(steps):
                wv[i] = wv[i] - g * (B[i] * (wv[i] - Ws[i]) + lam * wv[i])
        wv = [float(v) for v in wv]
        vals = {S.beta_1: B[0], S.beta_2: B[1], S["lambda"]: lam, S["w_1*"]: Ws[0], S["w_2*"]: Ws[1]}
        meas = {S.w_1: sp.Float(wv[0], 30), S.w_2: sp.Float(wv[1], 30)}
        bounds = [bool(rel.xreplace({**{k: sp.Rational(v.numerator, v.denominator) for k, v in vals.items()}, **meas}))
                  for rel in w.statement[2:]]
        lim1 = w.value(w.statement[0].rhs, vals)
        lim2 = w.value(w.statement[1].rhs, vals)
        near = (abs(wv[0] - float(lim1)) <= float(B[0] / lam * abs(Ws[0])) * 1.0001
                and abs(wv[1] - float(lim2)) <= float(lam / B[1] * abs(Ws[1])) * 1.0001)   # the limits, to O(1/K)
        obs.append(w.observe(all(bounds) and near, f"K = {K}: minimiser ({wv[0]:.6g}, {wv[1]:.6g}); bounds hold: "
                             f"{bounds}; within the bounds of the claimed limits ({lim1}, {lim2}): {near}",
                             method="gradient descent on E~ run exactly, 110 steps per coordinate", n=steps))
    return obs


@claim(id="early_stopping.same_as_early_stopping",
       title="From w(0) = 0, early stopping as in (b) leaves w_1 near 0 and brings w_2 near w_2*, like weight decay",
       source=_src("(d), last sentence"),
       statement="If w_1(0) ~ 0 we get the same result as with early stopping in b.",
       reading="with w(0) = 0 and the schedule of (b) (n_stop = 1/(5 gamma beta_1), beta_2 = 20 beta_1, gamma -> 0): "
               "w_1(n_stop)/w_1* -> 1 - exp(-1/5) = 0.18 and w_2(n_stop)/w_2* -> 1 - exp(-4) = 0.98, the pattern of "
               "weight decay with beta_2 >> lambda >> beta_1 (w_1/w_1* -> 0, w_2/w_2* -> 1); 'the same' holds "
               "qualitatively (w_1 keeps 18% of the way at this schedule, where weight decay tends to 0)")
def same_as_early_stopping(d):
    b1, gamma = d.symbols("beta_1 gamma", positive=True)
    b2 = d.symbol("beta_2", positive=True)
    s1, s2 = d.symbols("w_1* w_2*", real=True, nonzero=True)
    n = d.symbol("n_stop", positive=True)
    q1, q2 = d.symbols("w_1(n_stop)/w_1* w_2(n_stop)/w_2*", real=True)
    ratio = d.given(Eq(b2, 20 * b1), why="beta_2 = 20 beta_1", label="beta_2")
    sched = d.given(Eq(n, 1 / (5 * gamma * b1)), why="the stopping time of (b)", label="n_stop")
    a = d.given((Eq(q1, (s1 + (1 - gamma * b1) ** n * (0 - s1)) / s1), Eq(q2, (s2 + (1 - gamma * b2) ** n * (0 - s2)) / s2)),
                why="(a) with w(0) = 0, divided by w_i*", label="(a), w(0) = 0")
    f1 = d.chain(q1, using=[a]).eq(1 - (1 - gamma * b1) ** n, rule="cancel w_1*", label="fraction 1")
    f2 = d.chain(q2, using=[a]).eq(1 - (1 - gamma * b2) ** n, rule="cancel w_2*", label="fraction 2")
    l1 = d.chain(sp.Limit(q1, gamma, 0, "+"), using=[f1.fact, sched]).eq(1 - sp.exp(-R(1, 5)), rule="(b)",
                                                                           label="w_1: 1 - exp(-1/5)")
    l2 = d.chain(sp.Limit(q2, gamma, 0, "+"), using=[f2.fact, sched, ratio]).eq(1 - sp.exp(-4), rule="(b)",
                                                                                 label="w_2: 1 - exp(-4)")
    stmt = (l1.fact.relation, l2.fact.relation)
    d.step(stmt, rule="collect", using=[f1.fact, f2.fact, sched, ratio])
    d.statement(stmt)


@same_as_early_stopping.witness("exact")
def _from_zero(w):
    """Gradient descent from w(0) = 0 to w* = (2, -3) with beta_1 = 1, beta_2 = 20, gamma = 1/(5N), n_stop = N,
    run exactly for N = 50, 100, 200; w_i(N)/w_i* extrapolated to gamma -> 0 and compared with the claim."""
    S = w.S
    fr = {0: [], 1: []}
    Ns = (50, 100, 200)
    for N in Ns:
        ws = gradient_descent((F(1), F(20)), (F(2), F(-3)), (F(0), F(0)), F(1, 5 * N), N)
        fr[0].append(float(ws[N][0] / 2))
        fr[1].append(float(ws[N][1] / -3))
    obs = []
    for i in (0, 1):
        v = fr[i]
        e1, e2 = 2 * v[1] - v[0], 2 * v[2] - v[1]
        sym = sp.Symbol(f"fraction_{i + 1}")
        obs.append(w.close({sym: e2}, {sym: abs(e2 - e1) + 1e-12}, relation=sp.Eq(sym, w.statement[i].rhs), k=3,
                           method=f"gradient descent from 0 run exactly, n_stop = N = {Ns}; w_i/w_i* = "
                                  + ", ".join(f"{x:.5f}" for x in v) + "; Richardson in 1/N", n=len(Ns)))
    return obs
