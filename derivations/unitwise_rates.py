"""Unitwise learning rates and momentum on the narrow valley E(w_1, w_2) = |w_1| + 75 |w_2|: the gradient,
gradient descent's iterates and a better eta, unitwise rates that reach the minimum in one update, and
momentum's iterates, damping and limit (errata after (13) and in (14), each corrected). Encodes Exercise 3
(b)-(f) (Unitwise learning rates) of week 5 (004).
"""
# Unitwise learning rates and momentum on the narrow valley E(w_1, w_2) = |w_1| + 75 |w_2|
# (Gerstner, week 5, Exercise 3 (b)-(f)).
#
# The gradient uses the numeric definition d|x|/dx = sgn(x) for x != 0 and 0 at x = 0 (SymPy's
# derivative of Abs is sign, with sign(0) = 0: the same convention). Every iterate the solution writes
# is checked line by line ((3)-(13)); the witnesses run gradient descent, unitwise gradient descent and
# momentum exactly in rational arithmetic.
#
# Errata: the sentence after (13) ("the magnitude of the oscillation in the second dimension decreases")
# fails literally at the third step, and the middle expression of Delta w_2^(t) in (f) drops the factor 75
# (the limit (14) is right).

from fractions import Fraction

import sympy as sp

from proofs import claim, Eq, Source

from derivations.early_stopping import NotMeasured, Process

TOPIC = "learning rates"
WEEK5 = "004_75a7c5df244e2fc1.txt"
R = sp.Rational
F = Fraction


def _src(part: str) -> Source:
    return Source(WEEK5, f"Exercise 3 (Unitwise learning rates), solution {part}")


def sgn(x: Fraction) -> int:
    """The numeric derivative of |x|: sgn(x) for x != 0 and 0 at 0."""
    return (x > 0) - (x < 0)


def grad(w):
    """(dE/dw_1, dE/dw_2) of E = |w_1| + 75 |w_2| with the numeric definition at 0."""
    return (sgn(w[0]), 75 * sgn(w[1]))


def gradient_descent(w0, rates, steps):
    """w^(t+1) = w^(t) - (eta_1 dE/dw_1, eta_2 dE/dw_2); ``rates`` = (eta_1, eta_2). Returns w^(0..steps)."""
    ws = [tuple(F(v) for v in w0)]
    for _ in range(steps):
        g = grad(ws[-1])
        ws.append(tuple(ws[-1][i] - rates[i] * g[i] for i in range(2)))
    return ws


def momentum(w0, eta, alpha, steps):
    """Delta w^(t+1) = -eta grad E(w^(t)) + alpha Delta w^(t), Delta w^(0) = 0, w^(t+1) = w^(t) + Delta w^(t+1).
    Returns (w^(0..steps), Delta w^(0..steps))."""
    ws, ds = [tuple(F(v) for v in w0)], [(F(0), F(0))]
    for _ in range(steps):
        g = grad(ws[-1])
        dw = tuple(-eta * g[i] + alpha * ds[-1][i] for i in range(2))
        ds.append(dw)
        ws.append(tuple(ws[-1][i] + dw[i] for i in range(2)))
    return ws, ds


def _iterate_symbols(d, T, name="w"):
    w1 = [d.symbol(f"{name}_1^({t})", real=True) for t in range(T + 1)]
    w2 = [d.symbol(f"{name}_2^({t})", real=True) for t in range(T + 1)]
    return w1, w2


def _lin(a, c, g):
    """a - c g, kept as written."""
    return sp.Add(a, sp.Mul(-1, sp.Mul(c, g, evaluate=False), evaluate=False), evaluate=False)


def _num(v):
    return sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sp.sympify(v)


def _holds(rel, values) -> bool:
    v = rel.xreplace({k: _num(x) for k, x in values.items()})
    return bool(v) if isinstance(v, (bool, sp.logic.boolalg.BooleanAtom)) else bool(sp.simplify(v))


def _observe_statement(w, values, method, n=None):
    """Evaluate every relation of the claim's statement at the measured values (exact rationals)."""
    rels = w.statement if isinstance(w.statement, tuple) else (w.statement,)
    bad = [str(r) for r in rels if not _holds(r, values)]
    shown = ", ".join(f"{k}={v}" for k, v in values.items())
    if bad:
        return w.observe(False, f"measured {shown}: fails {'; '.join(bad)}", method=method, n=n)
    return w.observe(True, f"measured {shown}: every relation of the statement holds", method=method, n=n)


# ------------------------------------------------------------------------------------------------
# (b), (c): gradient descent with eta = 0.1
# ------------------------------------------------------------------------------------------------
def _gd_derivation(d, rates, written, labels, T):
    """Givens (the GD update with the sgn gradient, w^(0) = (10, 10)) and one step per written line
    w^(t+1) = w^(t) - (eta_1, eta_2)(g_1, g_2) = (a, b). Returns (w1, w2, facts of the values)."""
    w1, w2 = _iterate_symbols(d, T)
    e1, e2 = rates
    start = d.given((Eq(w1[0], 10), Eq(w2[0], 10)), why="$w^{(0)} = (10, 10)$", label="w^(0)")
    prev, facts = start, []
    for t in range(T):
        upd = d.given((Eq(w1[t + 1], w1[t] - e1 * sp.sign(w1[t])), Eq(w2[t + 1], w2[t] - e2 * 75 * sp.sign(w2[t]))),
                      why=r"gradient step with $\partial E/\partial w_1 = \operatorname{sgn}(w_1)$, "
                          r"$\partial E/\partial w_2 = 75 \operatorname{sgn}(w_2)$ ($\operatorname{sgn}(0) = 0$)",
                      label=f"update t={t}")
        (a1, g1), (a2, g2), (v1, v2) = written[t]
        s1 = d.step((Eq(w1[t + 1], _lin(a1, e1, g1)), Eq(w2[t + 1], _lin(a2, e2, g2))),
                    rule="gradient at $w^{(%d)}$" % t, using=[upd, prev], label=f"{labels[t]}, gradient step")
        s2 = d.step((Eq(w1[t + 1], v1), Eq(w2[t + 1], v2)), rule="arithmetic", using=[s1],
                    label=labels[t])
        prev = s2
        facts.append(s2)
    return w1, w2, facts


def _statement_of(d, w1, w2, facts, T):
    rels = tuple(r for f in facts for r in f.relation)
    d.step(rels, rule="collect", using=facts)
    d.statement(rels)


@claim(id="unitwise_rates.gradient",
       title=r"$\partial E/\partial w_1 = \operatorname{sgn}(w_1)$, $\partial E/\partial w_2 = 75 "
             r"\operatorname{sgn}(w_2)$ for $E = |w_1| + 75|w_2|$",
       source=_src("(b), eqs. (1)-(2)"),
       statement=r"$\frac{\partial E}{\partial w_1} = \text{sign}(w_1)$ (1); $\frac{\partial E}{\partial w_2} = 75 "
                 r"\text{sign}(w_2)$ (2)",
       reading=r"for $w_1, w_2 \neq 0$; at 0 the exercise's numeric definition $\operatorname{sgn}(0) = 0$ is used "
               r"(SymPy's $d|x|/dx = \operatorname{sign}(x)$ has the same value there)")
def gradient(d):
    w1, w2 = d.symbols("w_1 w_2", real=True)
    E = sp.Abs(w1) + 75 * sp.Abs(w2)
    f1 = d.chain(sp.Derivative(E, w1)).eq(sp.sign(w1), rule=r"$d|x|/dx = \operatorname{sgn}(x)$", label="(1)")
    f2 = d.chain(sp.Derivative(E, w2)).eq(75 * sp.sign(w2), rule=r"$d|x|/dx = \operatorname{sgn}(x)$", label="(2)")
    stmt = (f1.fact.relation, f2.fact.relation)
    d.step(stmt, rule="collect", using=[f1.fact, f2.fact])
    d.statement(stmt)


@gradient.witness("finite-difference")
def _gradient_fd(w):
    """Both relations of the statement as written at points away from the kinks (w_1, w_2 of both signs, distinct
    magnitudes): each derivative is a Richardson central difference of the expression the statement differentiates
    (E = |w_1| + 75 |w_2| in the claim; piecewise linear, so exact there), compared with its right side. The
    statement writes E out inside each derivative, so this reads all of it; E is not compared with the statement by
    the roles of w_1, w_2 (renaming w_1 <-> w_2 throughout gives a true statement)."""
    S = w.S
    pts = [(F(3, 2), F(-2, 3)), (F(-5, 7), F(1, 9)), (F(2), F(4, 5)), (F(-7, 3), F(-3, 11))]
    obs = Process().statement(w, points=[{S.w_1: a, S.w_2: b} for a, b in pts],
                              method="central differences of the statement's expression (exact: linear near the point)")
    return obs


GD_WRITTEN = [((10, 1, 10, 75), (R(99, 10), R(5, 2))),
              ((R(99, 10), 1, R(5, 2), 75), (R(98, 10), -5)),
              ((R(98, 10), 1, -5, -75), (R(97, 10), R(5, 2))),
              ((R(97, 10), 1, R(5, 2), 75), (R(96, 10), -5))]


@claim(id="unitwise_rates.gd_iterates",
       title=r"Gradient descent with $\eta = 0.1$ from $(10, 10)$: $(9.9, 2.5)$, $(9.8, -5)$, $(9.7, 2.5)$, $(9.6, "
             "-5)$",
       source=_src("(b), (c), eqs. (3)-(6)"),
       statement=r"$\mathbf{w}^{(1)} = (10, 10) - 0.1(1, 75) = (9.9, 2.5)$; $\mathbf{w}^{(2)} = (9.9, 2.5) - 0.1(1, "
                 r"75) = (9.8, -5)$; $\mathbf{w}^{(3)} = (9.8, -5) - 0.1(1, -75) = (9.7, 2.5)$; $\mathbf{w}^{(4)} = "
                 "(9.7, 2.5) - 0.1(1, 75) = (9.6, -5)$")
def gd_iterates(d):
    written = [((a1, g1), (a2, g2), v) for (a1, g1, a2, g2), v in GD_WRITTEN]
    w1, w2, facts = _gd_derivation(d, (R(1, 10), R(1, 10)), written, ["(3)", "(4)", "(5)", "(6)"], 4)
    _statement_of(d, w1, w2, facts, 4)


def _iterates_witness(rates, T, what, title="", legend=""):
    def witness(w):
        ws = gradient_descent((10, 10), rates, T)
        vals = {}
        for t in range(1, T + 1):
            vals[w.S[f"w_1^({t})"]] = ws[t][0]
            vals[w.S[f"w_2^({t})"]] = ws[t][1]
        obs = w.exact(vals, method=f"{what} run exactly (fractions.Fraction, sgn(0) = 0)", n=T)
        _iterates_figure(w, title or what, ws, legend or what)
        return obs
    return witness


def E_value(v) -> Fraction:
    return abs(v[0]) + 75 * abs(v[1])


def _level_set_half(c: float, sign: int, a: float, b: float):
    """The half (sign = +1: w_2 >= 0, -1: w_2 <= 0) of the level set |w_1| + 75 |w_2| = c (a diamond) within
    a <= w_1 <= b, as a polyline (x, y): a function of w_1 with corners at w_1 = 0 and at the vertices +-c."""
    lo, hi = max(a, -c), min(b, c)
    if lo >= hi:
        return None
    xs = sorted({lo, hi, *(v for v in (-c, 0.0, c) if lo < v < hi)})
    return xs, [sign * (c - abs(x)) / 75 for x in xs]


def _iterates_figure(w, title: str, ws, label: str):
    """Figure: the iterates the witness ran (points joined in order, the start marked) over the level sets of E
    through them (the half of each diamond that holds the iterate), drawn across the frame of the iterates. The
    minimum (0, 0) may lie outside the frame: the valley is 75 times longer in w_1 than wide in w_2, so no frame
    shows both the diamonds' shape and the steps."""
    xs, ys = [float(v[0]) for v in ws], [float(v[1]) for v in ws]
    span = max(max(xs) - min(xs), 0.2)
    a, b = min(xs) - 0.15 * span, max(xs) + 0.15 * span
    halves = []
    for sign, c in sorted({(1 if v[1] >= 0 else -1, float(E_value(v))) for v in ws}):
        if not halves or halves[-1][0] != sign or c > halves[-1][1] * 1.02:   # closer than 2%: one line
            halves.append((sign, c))
    fig = w.figure(title, xlabel="$w_1$", ylabel="$w_2$",
                   caption=r"The iterates $w^{(0)}, \ldots, w^{(%d)}$ of the witness's exact run from "
                           r"$w^{(0)} = (10, 10)$ (points, joined in order) over the level sets "
                           r"$|w_1| + 75|w_2| = E(w^{(t)})$ through them ($E$ = %s). The frame shows only the "
                           r"iterates' range of $w_1$, where the level sets are nearly horizontal: $E$ changes 75 "
                           r"times faster in $w_2$%s."
                           % (len(ws) - 1, ", ".join(f"{c:g}" for c in sorted({c for _, c in halves})),
                              "" if a <= 0 <= b else r"; the minimum $(0, 0)$ lies outside it"))
    fig.line(xs, ys, label=label, style="points")
    fig.line(xs, ys, label=label, style="solid")
    fig.line(xs[:1], ys[:1], label="start $w^{(0)}$", style="points")
    for sign, c in halves:
        piece = _level_set_half(c, sign, a, b)
        if piece:
            fig.line(*piece, label="level sets of $E$ through the iterates", style="dotted")
    fig.hline(0, label="valley floor $w_2 = 0$")


gd_iterates.add_witness(_iterates_witness((F(1, 10), F(1, 10)), 4, "gradient descent, eta = 0.1",
                                          r"Gradient descent on $E = |w_1| + 75|w_2|$, $\eta = 0.1$",
                                          r"gradient descent, $\eta = 0.1$"),
                        kind="exact", name="gradient_descent")


@claim(id="unitwise_rates.better_eta",
       title=r"$\eta = 10/75$: $w_2$ reaches 0 in one step, $w_1$ reaches 0 at step 75",
       source=_src("(c)"),
       statement=r"it can be achieved with a learning rate of $\eta = 10/75$, which makes $w_2$ to reach the "
                 "minimum in 1 update step, followed by $w_1$, 75 steps later",
       reading=r"with $\eta = 10/75$ from $(10, 10)$: $w_2^{(1)} = 0$ and $w_2$ stays 0 ($\operatorname{sgn}(0) = "
               r"0$); $w_1^{(t)} = 10 - \frac{2}{15} t$ while positive, so $w_1$ reaches 0 first at step $t = 75$ "
               "($w_1^{(74)} = 2/15 > 0$). '75 steps later' is read as 'after 75 steps' (counted from the start, "
               "74 steps after $w_2$)")
def better_eta(d):
    eta = d.symbol("eta", positive=True)
    t = d.symbol("t", integer=True, bounds=(0, 75), closed=(True, False))  # steps t = 0..74; the inductive step t = 1..74
    w1 = d.indexed("w_1", real=True)                    # w_1^(t) as w_1[t]
    w2t, w2n = d.symbols("w_2^(t) w_2^(t+1)", real=True)
    w2_1, w1_74, w1_75 = d.symbols("w_2^(1) w_1^(74) w_1^(75)", real=True)
    rate = d.given(Eq(eta, R(10, 75)), why="the proposed learning rate", label="eta")
    s21 = d.chain(w2_1, using=[d.given(Eq(w2_1, 10 - eta * 75 * sp.sign(10)), why="first step from $w_2^{(0)} = 10$",
                                       label="w_2 step 1"), rate]).eq(0, rule=r"$10 - \frac{10}{75} \cdot 75$",
                                                                      label="w_2^(1)")
    stay = d.chain(w2n, using=[d.given(Eq(w2n, w2t - eta * 75 * sp.sign(w2t)), why="gradient step in $w_2$",
                                       label="w_2 update"), d.given(Eq(w2t, 0), why="$w_2$ at 0", label="w_2 = 0")]
                   ).eq(0, rule=r"$\operatorname{sgn}(0) = 0$", label="w_2 stays 0")
    d.given(Eq(w1[0], 10), why="the start $w_1^{(0)} = 10$", label="w_1^(0)")
    upd = d.given(Eq(w1[t + 1], w1[t] - eta * sp.sign(w1[t])), why="gradient step in $w_1$", label="w_1 update",
                  for_all=t)
    # P(t): w_1^(t+1) = 10 - eta (t + 1); base case t = 0 from w_1^(0) = 10 (sgn(10) = 1); the hypothesis P(t - 1) is
    # w_1^(t) = 10 - eta t
    with d.induction(Eq(w1[t + 1], 10 - eta * (t + 1)), on=t, base=0, label="w_1^(t+1) by induction") as ind:
        d.step(sp.Gt(10 - eta * t, 0), rule="$t < 75$", using=[rate], label="w_1^(t) > 0 for 0 < t < 75")
        sg = d.assume(Eq(sp.sign(w1[t]), 1), why="w_1^(t) > 0 (previous step), so sgn(w_1^(t)) = 1", label="sgn = 1")
        (d.chain(w1[t + 1], using=[upd, sg, ind.hypothesis])
         .eq(10 - eta * t - eta, rule=r"hypothesis, $\operatorname{sgn} = 1$", label="w_1^(t+1)")
         .eq(10 - eta * (t + 1), rule="factor", label="induction step"))
    closed = d.given(Eq(w1_75, sp.Subs(10 - eta * t, t, 75)), why="the closed form at $t = 75$", label="t = 75")
    closed74 = d.given(Eq(w1_74, sp.Subs(10 - eta * t, t, 74)), why="the closed form at $t = 74$", label="t = 74")
    f75 = d.chain(w1_75, using=[closed, rate]).eq(0, rule=r"$10 - \frac{10}{75} \cdot 75$", label="w_1^(75)")
    d.step(sp.Gt(w1_74, 0), rule=r"$10 - \frac{10}{75} \cdot 74 = \frac{2}{15}$", using=[closed74, rate],
           label="w_1^(74) > 0")
    stmt = (Eq(w2_1, 0), Eq(w1_75, 0), sp.Gt(w1_74, 0))
    d.step(stmt, rule="collect", using=[s21.fact, f75.fact, closed74, rate, stay.fact, ind.fact])
    d.statement(stmt)


@better_eta.witness("exact")
def _better_eta_run(w):
    ws = gradient_descent((10, 10), (F(10, 75), F(10, 75)), 80)
    first = next(t for t, v in enumerate(ws) if v[0] == 0)
    measured = {"w_2^(1)": ws[1][1], "w_1^(74)": ws[74][0], "w_1^(75)": ws[75][0]}
    vals = {w.S[k]: v for k, v in measured.items() if k in w.S}
    obs = _observe_statement(w, vals, "gradient descent with eta = 10/75 run exactly (sgn(0) = 0)", n=80)
    stays = all(v == (0, 0) for v in ws[75:])
    return [obs, w.observe(stays and first == 75, f"w_1 first 0 at t = {first}; w = (0, 0) for t >= 75: {stays}",
                           method="gradient descent run exactly", n=80)]


# ------------------------------------------------------------------------------------------------
# (d): unitwise learning rates
# ------------------------------------------------------------------------------------------------
UNIT_WRITTEN = [((10, 1, 10, 75), (9, 9)), ((9, 1, 9, 75), (8, 8)), ((8, 1, 8, 75), (7, 7)),
                ((7, 1, 7, 75), (6, 6))]


@claim(id="unitwise_rates.unitwise_iterates",
       title=r"Unitwise rates $\eta_1 = 1$, $\eta_2 = 1/75$: $(9, 9)$, $(8, 8)$, $(7, 7)$, $(6, 6)$",
       source=_src("(d), eqs. (7)-(10)"),
       statement=r"$\mathbf{w}^{(1)} = (10, 10) - (1, \frac{1}{75})^T(1, 75) = (9, 9)$; $\mathbf{w}^{(2)} = (8, "
                 r"8)$; $\mathbf{w}^{(3)} = (7, 7)$; $\mathbf{w}^{(4)} = (6, 6)$",
       reading=r"$(1, \frac{1}{75})^T(1, 75)$ is the elementwise product $(\eta_1 \partial E/\partial w_1, \eta_2 "
               r"\partial E/\partial w_2)$")
def unitwise_iterates(d):
    written = [((a1, g1), (a2, g2), v) for (a1, g1, a2, g2), v in UNIT_WRITTEN]
    w1, w2, facts = _gd_derivation(d, (1, R(1, 75)), written, ["(7)", "(8)", "(9)", "(10)"], 4)
    _statement_of(d, w1, w2, facts, 4)


unitwise_iterates.add_witness(_iterates_witness((F(1), F(1, 75)), 4, "unitwise gradient descent (1, 1/75)",
                                                r"Unitwise rates on $E = |w_1| + 75|w_2|$, "
                                                r"$(\eta_1, \eta_2) = (1, 1/75)$",
                                                r"unitwise rates $(\eta_1, \eta_2) = (1, 1/75)$"),
                              kind="exact", name="unitwise_descent")


@claim(id="unitwise_rates.unitwise_one_step",
       title=r"$\eta_1 = 10$, $\eta_2 = 10/75$ reach the minimum $(0, 0)$ in one update",
       source=_src("(d)"),
       statement=r"$\eta_1 = 10$ and $\eta_2 = 10/75$ allows to reach the minimum after 1 update.",
       reading=r"from $(10, 10)$: $\mathbf{w}^{(1)} = (10 - 10 \operatorname{sgn}(10), 10 - \frac{10}{75} 75 "
               r"\operatorname{sgn}(10)) = (0, 0)$, the minimum of $E$ ($E \geq 0 = E(0, 0)$), and the iteration "
               r"stays there ($\operatorname{sgn}(0) = 0$)")
def unitwise_one_step(d):
    written = [((10, 1), (10, 75), (0, 0))]
    w1, w2, facts = _gd_derivation(d, (10, R(10, 75)), written, ["one update"], 1)
    _statement_of(d, w1, w2, facts, 1)


@unitwise_one_step.witness("exact")
def _one_step_run(w):
    ws = gradient_descent((10, 10), (F(10), F(10, 75)), 5)
    obs = w.exact({w.S["w_1^(1)"]: ws[1][0], w.S["w_2^(1)"]: ws[1][1]},
                  method="unitwise gradient descent (10, 10/75) run exactly", n=5)
    return [obs, w.observe(all(v == (0, 0) for v in ws[1:]), f"iterates {ws}: at (0, 0) from step 1 on, E = 0",
                           method="unitwise gradient descent run exactly", n=5)]


# ------------------------------------------------------------------------------------------------
# (e): momentum
# ------------------------------------------------------------------------------------------------
MOM_WRITTEN = [  # (w^(t), gradient, Delta w^(t)) -> w^(t+1), as (11)-(13) write them
    (((10, 10), (1, 75), (0, 0)), (R(98, 10), -5)),
    (((R(98, 10), -5), (1, -75), (-R(2, 10), -15)), (R(95, 10), R(5, 2))),
    (((R(95, 10), R(5, 2)), (1, 75), (-R(3, 10), R(15, 2))), (R(915, 100), -R(875, 100))),
]


def _momentum_derivation(d):
    eta, alpha = d.symbols("eta alpha", positive=True)
    w1, w2 = _iterate_symbols(d, 3)
    D1, D2 = _iterate_symbols(d, 3, name="Delta w")
    par = d.given((Eq(eta, R(2, 10)), Eq(alpha, R(1, 2))), why=r"$\eta = 0.2$, $\alpha = 0.5$", label="parameters")
    start = d.given((Eq(w1[0], 10), Eq(w2[0], 10), Eq(D1[0], 0), Eq(D2[0], 0)), why="$w^{(0)} = (10, 10)$, "
                                                                                    r"$\Delta w^{(0)} = 0$",
                    label="start")
    prev, facts = [start], []
    for t in range(3):
        dw = d.given((Eq(D1[t + 1], -eta * sp.sign(w1[t]) + alpha * D1[t]),
                      Eq(D2[t + 1], -eta * 75 * sp.sign(w2[t]) + alpha * D2[t])),
                     why=r"$\Delta w^{(t+1)} = -\eta \nabla E(w^{(t)}) + \alpha \Delta w^{(t)}$",
                     label=f"Delta w^({t + 1})")
        upd = d.given((Eq(w1[t + 1], w1[t] + D1[t + 1]), Eq(w2[t + 1], w2[t] + D2[t + 1])),
                      why=r"$w^{(t+1)} = w^{(t)} + \Delta w^{(t+1)}$", label=f"update t={t}")
        ((a1, a2), (g1, g2), (m1, m2)), (v1, v2) = MOM_WRITTEN[t]

        def line(a, g, m):
            return sp.Add(a, sp.Mul(-R(2, 10), g, evaluate=False), sp.Mul(R(1, 2), m, evaluate=False),
                          evaluate=False)

        lab = f"({11 + t})"
        s1 = d.step((Eq(w1[t + 1], line(a1, g1, m1)), Eq(w2[t + 1], line(a2, g2, m2))),
                    rule="momentum step", using=[dw, upd, par] + prev, label=f"{lab}, momentum step")
        s2 = d.step((Eq(w1[t + 1], v1), Eq(w2[t + 1], v2)), rule="arithmetic", using=[s1], label=lab)
        prev = [s2, dw, upd] + prev
        facts.append(s2)
    return w1, w2, D1, D2, facts


@claim(id="unitwise_rates.momentum_iterates",
       title=r"Momentum $\eta = 0.2$, $\alpha = 0.5$ from $(10, 10)$: $(9.8, -5)$, $(9.5, 2.5)$, $(9.15, -8.75)$",
       source=_src("(e), eqs. (11)-(13)"),
       statement=r"$\mathbf{w}^{(1)} = (10, 10) - 0.2(1, 75) + 0.5(0, 0) = (9.8, -5)$; $\mathbf{w}^{(2)} = (9.8, "
                 r"-5) - 0.2(1, -75) + 0.5(-0.2, -15) = (9.5, 2.5)$; $\mathbf{w}^{(3)} = (9.5, 2.5) - 0.2(1, 75) + "
                 "0.5(-0.3, 7.5) = (9.15, -8.75)$")
def momentum_iterates(d):
    w1, w2, D1, D2, facts = _momentum_derivation(d)
    _statement_of(d, w1, w2, facts, 3)


@momentum_iterates.witness("exact")
def _momentum_run(w):
    ws, _ = momentum((10, 10), F(2, 10), F(1, 2), 3)
    vals = {w.S[f"w_{i + 1}^({t})"]: ws[t][i] for t in range(1, 4) for i in range(2)}
    obs = w.exact(vals, method="momentum run exactly (fractions.Fraction, sgn(0) = 0)", n=3)
    _iterates_figure(w, r"Momentum on $E = |w_1| + 75|w_2|$, $\eta = 0.2$, $\alpha = 0.5$", ws,
                     r"momentum, $\eta = 0.2$, $\alpha = 0.5$")
    return obs


def _step_sizes(d):
    """|Delta w_i^(t)| for t = 1..3 from the iterates (11)-(13) (givens: the checked values)."""
    A1 = [d.symbol(f"|Delta w_1^({t})|", positive=True) for t in (1, 2, 3)]
    A2 = [d.symbol(f"|Delta w_2^({t})|", positive=True) for t in (1, 2, 3)]
    vals = d.given(tuple(Eq(a, v) for a, v in zip(A1 + A2, [R(2, 10), R(3, 10), R(35, 100), 15, R(15, 2),
                                                            R(45, 4)])),
                   why="$|w^{(t)} - w^{(t-1)}|$ from (11)-(13): $w_1$: 10, 9.8, 9.5, 9.15; $w_2$: 10, $-5$, 2.5, "
                       "$-8.75$",
                   label="step sizes")
    return A1, A2, vals


def momentum_step_sizes(w):
    ws, _ = momentum((10, 10), F(2, 10), F(1, 2), 3)
    vals = {}
    for t in (1, 2, 3):
        for i in (1, 2):
            vals[w.S[f"|Delta w_{i}^({t})|"]] = abs(ws[t][i - 1] - ws[t - 1][i - 1])
    return vals


@claim(id="unitwise_rates.momentum_observation",
       title="With momentum the $w_1$ updates grow and the $w_2$ oscillation shrinks (as written: fails at step 3)",
       source=_src("(e), after (13)"), expected="refuted",
       statement="The updates in the first dimension become larger and larger, while the magnitude of the "
                 "oscillation in the second dimension decreases.",
       reading=r"over the three steps (11)-(13): $|\Delta w_1^{(t)}|$ increases (0.2, 0.3, 0.35) and the size of "
               r"the $w_2$ swing $|\Delta w_2^{(t)}|$ decreases (15, 7.5, 11.25); the amplitude $|w_2^{(t)}| = 5, "
               "2.5, 8.75$ fails the same way at $t = 3$")
def momentum_observation(d):
    A1, A2, vals = _step_sizes(d)
    d.step(sp.Gt(A1[1], A1[0]), rule="$0.3 > 0.2$", using=[vals], label="w_1: t = 2")
    d.step(sp.Gt(A1[2], A1[1]), rule="$0.35 > 0.3$", using=[vals], label="w_1: t = 3")
    d.step(sp.Lt(A2[1], A2[0]), rule="$7.5 < 15$", using=[vals], label="w_2: t = 2")
    d.step(sp.Lt(A2[2], A2[1]), rule="$11.25 < 7.5$?", using=[vals], label="w_2: t = 3")
    stmt = (sp.Gt(A1[1], A1[0]), sp.Gt(A1[2], A1[1]), sp.Lt(A2[1], A2[0]), sp.Lt(A2[2], A2[1]))
    d.step(stmt, rule="collect", using=[vals])
    d.statement(stmt)


@momentum_observation.witness("exact")
def _sizes_run(w):
    return _observe_statement(w, momentum_step_sizes(w), "momentum run exactly; step sizes |w^(t) - w^(t-1)|", n=3)


@claim(id="unitwise_rates.momentum_observation.corrected",
       title=r"Momentum damps the $w_2$ oscillation relative to plain gradient descent ($15 \to 7.5, 11.25$; limit "
             "10)",
       source=_src("(e), after (13), corrected"), corrects="unitwise_rates.momentum_observation",
       statement="The updates in the first dimension become larger and larger (0.2, 0.3, 0.35), while the swings "
                 r"in the second dimension are smaller than those of plain gradient descent with the same $\eta$ "
                 r"($7.5$ and $11.25 < 75\eta = 15$); they do not decrease monotonically ($7.5 < 11.25$) but tend "
                 r"to $75\eta/(1 + \alpha) = 10$ (part (f))",
       reading=r"$|\Delta w_1^{(t)}|$ increasing for $t = 1, 2, 3$; $|\Delta w_2^{(t)}| < 75\eta$ for $t = 2, 3$, "
               r"the constant swing of gradient descent at $\eta = 0.2$ on this valley ($w_2 = 10, -5, 10, -5, "
               r"\dots$)")
def momentum_observation_corrected(d):
    A1, A2, vals = _step_sizes(d)
    eta = d.symbol("eta", positive=True)
    gd = d.symbol("|Delta w_2^GD|", positive=True)
    gdv = d.given(Eq(gd, 75 * eta), why="plain gradient descent moves $w_2$ by "
                                        r"$\eta |\partial E/\partial w_2| = 75 \eta$ every step ($w_2$ alternates "
                                        r"$10, -5, 10, \ldots$ at $\eta = 0.2$)", label="GD swing")
    par = d.given(Eq(eta, R(2, 10)), why=r"$\eta = 0.2$", label="eta")
    s = [d.step(sp.Gt(A1[1], A1[0]), rule="$0.3 > 0.2$", using=[vals], label="w_1: t = 2"),
         d.step(sp.Gt(A1[2], A1[1]), rule="$0.35 > 0.3$", using=[vals], label="w_1: t = 3"),
         d.step(sp.Lt(A2[1], gd), rule="$7.5 < 15$", using=[vals, gdv, par], label="w_2: t = 2"),
         d.step(sp.Lt(A2[2], gd), rule="$11.25 < 15$", using=[vals, gdv, par], label="w_2: t = 3")]
    stmt = tuple(f.relation for f in s)
    d.step(stmt, rule="collect", using=[vals, gdv, par])
    d.statement(stmt)


@momentum_observation_corrected.witness("exact")
def _sizes_vs_gd(w):
    vals = momentum_step_sizes(w)
    gd = gradient_descent((10, 10), (F(2, 10), F(2, 10)), 3)
    swings = {abs(gd[t][1] - gd[t - 1][1]) for t in (1, 2, 3)}
    if len(swings) != 1:
        return w.observe(False, f"gradient descent swings differ: {swings}")
    vals[w.S["|Delta w_2^GD|"]] = swings.pop()
    vals[w.S["eta"]] = F(2, 10)
    return _observe_statement(w, vals, "momentum and gradient descent (eta = 0.2) run exactly", n=3)


# ------------------------------------------------------------------------------------------------
# (f): the limit of the momentum steps with alternating gradient
# ------------------------------------------------------------------------------------------------
def _limit_claim(d, middle_w2):
    eta = d.symbol("eta", positive=True)
    alpha = d.symbol("alpha", bounds=(0, 1))
    t = d.symbol("t", integer=True, nonnegative=True)
    tau = d.symbol("tau", integer=True, positive=True)
    D1, D2 = d.indexed("Delta w_1", real=True), d.indexed("Delta w_2", real=True)     # Delta w_i^(t)
    A, B = d.indexed("A", real=True), d.indexed("B", real=True)     # A_t, B_t: sum_{s=0}^t alpha^s, (-alpha)^s
    hint = d.given((Eq(A[t], (1 - alpha ** (t + 1)) / (1 - alpha)), Eq(A[t - 1], (1 - alpha ** t) / (1 - alpha)),
                    Eq(B[t], (1 - (-alpha) ** (t + 1)) / (1 + alpha)), Eq(B[t - 1], (1 - (-alpha) ** t) / (1 + alpha))),
                   why=r"the hint $\sum_{s=0}^{t} a^s = (1 - a^{t+1})/(1 - a)$, with $a = \alpha$ ($A_t$) and "
                       r"$a = -\alpha$ ($B_t$)",
                   label="hint")
    d.given((Eq(D1[0], -eta * 1), Eq(D2[0], -eta * 75)), why=r"the first step from $\Delta w = 0$: "
                                                             r"$\partial E/\partial w = (1, +75)$ at $t = 0$ (as in "
                                                             "(e))", label="t = 0")
    d.note(r"Index convention: (f)'s $\Delta w^{(t)}$ collects the gradients of steps $0, \ldots, t$, i.e. it is "
           r"(e)'s $\Delta w^{(t+1)}$. The geometric sums enter through the exercise's hint (a given). The limit "
           r"(14) is checked as '$\Delta w^{(t)}$ = (14) + remainder, remainder proportional to "
           r"$\alpha^{t+1} \to 0$' (cheaper for the engine than the limit of the whole expression).")
    d.note(r"$\partial E/\partial w_2$ alternates, $+75$ at even steps: it is $75 (-1)^t$ at step $t$, so the "
           r"induction proves $\Delta w_2^{(t)} = -75 \eta (-1)^t \sum_{s=0}^{t} (-\alpha)^s$ for every $t$ (at "
           r"$t - 1$ it is the source's mirror image, $75 \eta \sum_{s=0}^{t-1} (-\alpha)^s$ for even $t$); the "
           "source's formula is this at even $t$.")
    # the inductions (base case t = 0: the first step); the recursions hold for t >= 1, in the inductive steps
    with d.induction(Eq(D1[t], -eta * A[t]), on=t, base=0, label="Delta w_1 by induction") as i1:
        rec1 = d.given(Eq(D1[t], -eta * 1 + alpha * D1[t - 1]), why=r"momentum with $\partial E/\partial w_1 = 1$ "
                                                                    "at every step",
                       label="rec w_1")
        (d.chain(D1[t], using=[rec1, i1.hypothesis, hint])
         .eq(-eta * A[t], rule="unroll the recursion", label="Delta w_1, sum"))
    with d.induction(Eq(D2[t], -75 * eta * (-1) ** t * B[t]), on=t, base=0, label="Delta w_2 by induction") as i2:
        rec2 = d.given(Eq(D2[t], -eta * 75 * (-1) ** t + alpha * D2[t - 1]),
                       why=r"momentum with $\partial E/\partial w_2 = 75 (-1)^t$ at step $t$ ($+75$ at even $t$: "
                           r"the sign of the source's formula, whose $s = 0$ term $-75 \eta$ is the current "
                           "gradient)", label="rec w_2")
        (d.chain(D2[t], using=[rec2, i2.hypothesis, hint])
         .eq(-75 * eta * (-1) ** t * B[t], rule="unroll the recursion (the hypothesis at $t - 1$ is the mirror "
                                                "image)",
             label="Delta w_2, unrolled"))
    even = d.given(Eq(t, 2 * tau), why=r"$\partial E/\partial w_2 = +75$ at even $t$ (as in (e): $+75$ at $t = 0$); "
                                       r"$\Delta w_2^{(t)}$ alternates in sign, so its limit is taken along these "
                                       "$t$", label="t = 2 tau")
    c1 = (d.chain(D1[t], using=[i1.fact, hint])
          .eq(-eta * A[t], rule="by induction")
          .eq(-eta * (1 - alpha ** (t + 1)) / (1 - alpha), rule="the hint", label="Delta w_1, closed"))
    closed2 = middle_w2(eta, alpha, t)
    c2 = (d.chain(D2[t], using=[i2.fact, hint])
          .eq(-75 * eta * B[t], rule="by induction; $(-1)^t = 1$ for even $t$", using=[even], label="Delta w_2, sum")
          .eq(closed2, rule=r"the hint with $-\alpha$", label="Delta w_2, closed"))
    at_even = d.step(Eq(D2[t], closed2.xreplace({(-alpha) ** (t + 1): -alpha ** (t + 1)})),
                     rule=r"$(-\alpha)^{t+1} = -\alpha^{t+1}$ for "
                          "even $t$", using=[c2.fact, even], label="Delta w_2, t even")
    r1 = d.step(Eq(D1[t] - (-eta / (1 - alpha)), eta * alpha ** (t + 1) / (1 - alpha)), rule="subtract (14)",
                using=[c1.fact], label="(14), w_1 remainder")
    r2 = d.step(Eq(D2[t] - (-75 * eta / (1 + alpha)), -75 * eta * alpha ** (t + 1) / (1 + alpha)),
                rule="subtract (14)", using=[at_even], label="(14), w_2 remainder")
    a = d.symbol("a", positive=True)
    param = d.given(Eq(alpha, 1 / (1 + a)), why=r"$0 < \alpha < 1$ written $\alpha = 1/(1 + a)$, $a > 0$ "
                                                "(faster for the engine's limit than its own "
                                                "reparametrisation)", label="0 < alpha < 1")
    tail = d.chain(sp.Limit(alpha ** (2 * tau + 1), tau, sp.oo), using=[param]).eq(0, rule=r"$0 < \alpha < 1$",
                                                                                  label="remainder -> 0")
    stmt = (r1.relation, r2.relation, tail.fact.relation)
    d.step(stmt, rule="collect", using=[c1.fact, at_even, param])
    d.statement(stmt)


@claim(id="unitwise_rates.momentum_limit",
       title=r"$\lim \Delta \mathbf{w} = (-\eta/(1-\alpha), -75\eta/(1+\alpha))$ with the middle expression as "
             "printed",
       source=_src("(f), eq. (14)"), expected="refuted",
       statement=r"$\Delta w_1^{(t)} = -\eta \sum_{s=0}^t \alpha^s = -\eta \frac{1-\alpha^{t+1}}{1-\alpha}$; "
                 r"$\Delta w_2^{(t)} = -75\eta \sum_{s=0}^t (-\alpha)^s = -\eta "
                 r"\frac{1-(-\alpha)^{t+1}}{1+\alpha}$. Therefore $\lim_{t \rightarrow \infty} \Delta "
                 r"\mathbf{w}^{(t)} = (-\eta/(1-\alpha), -75\eta/(1+\alpha))$ (14)",
       reading=r"$\partial E/\partial w_1 = 1$ always, $\partial E/\partial w_2 = +75$ at step $t$ and alternating "
               r"before ($t$ even, $+75$ at $t = 0$ as in (e)); (14) as $\Delta w_1^{(t)} = -\eta/(1-\alpha) + \eta "
               r"\alpha^{t+1}/(1-\alpha)$ and $\Delta w_2^{(t)} = -75\eta/(1+\alpha) - 75\eta "
               r"\alpha^{t+1}/(1+\alpha)$ ($t$ even), with $\alpha^{t+1} \to 0$; for odd $t$ $\Delta w_2$ has the "
               r"opposite sign ($|\Delta w_2| \to 75\eta/(1+\alpha)$)")
def momentum_limit(d):
    _limit_claim(d, lambda eta, alpha, t: -eta * (1 - (-alpha) ** (t + 1)) / (1 + alpha))


@claim(id="unitwise_rates.momentum_limit.corrected",
       title=r"$\lim \Delta \mathbf{w} = (-\eta/(1-\alpha), -75\eta/(1+\alpha))$; $\Delta w_2^{(t)} = -75\eta "
             r"\frac{1 - (-\alpha)^{t+1}}{1+\alpha}$",
       source=_src("(f), eq. (14), corrected"), corrects="unitwise_rates.momentum_limit",
       statement=r"$\Delta w_2^{(t)} = -75\eta \sum_{s=0}^t (-\alpha)^s = -75\eta "
                 r"\frac{1-(-\alpha)^{t+1}}{1+\alpha}$; $\lim_{t \rightarrow \infty} \Delta \mathbf{w}^{(t)} = "
                 r"(-\eta/(1-\alpha), -75\eta/(1+\alpha))$ (14)",
       reading="as the source's claim (the limit as the remainder form, $t$ even); the factor 75 restored in the "
               "middle expression")
def momentum_limit_corrected(d):
    _limit_claim(d, lambda eta, alpha, t: -75 * eta * (1 - (-alpha) ** (t + 1)) / (1 + alpha))


def _line(w, label):
    return next(st.relation for st in w.d.steps if st.label == label)


def momentum_limit_witness(w):
    """Run momentum with dE/dw_1 = 1 and dE/dw_2 = +75, -75, ... (+75 at even steps) from Delta w = 0, exactly,
    for eta = 1/5, alpha in {1/2, 3/4}: at t = 0, 2, 4, 10, 40 the claim's closed forms of Delta w_1^(t),
    Delta w_2^(t) (its lines 'Delta w_1, closed' and 'Delta w_2, closed') must equal the simulated steps; every
    relation of its statement is evaluated as written with Delta w_i[k] the simulated step k (the limit in tau
    along tau = 64 .. 1024, Richardson); Delta w at t = 200 must be within 1e-20 of (14)'s values."""
    S = w.S
    obs = []
    lines = (_line(w, "Delta w_1, closed").rhs, _line(w, "Delta w_2, closed").rhs)
    for eta, alpha in ((F(1, 5), F(1, 2)), (F(1, 5), F(3, 4))):
        d1 = d2 = F(0)
        T = 200
        bad = []
        steps = []
        for t in range(T + 1):
            g2 = 75 if t % 2 == 0 else -75
            d1 = -eta * 1 + alpha * d1
            d2 = -eta * g2 + alpha * d2
            steps.append((d1, d2))
            if t in (0, 2, 4, 10, 40):
                at = {S.eta: eta, S.alpha: alpha, S.t: t}
                for i, val in enumerate((d1, d2)):
                    claimed = w.value(lines[i], at)
                    if claimed != _num(val):
                        bad.append(f"Delta w_{i + 1}^({t}) = {val}, the claim's closed form gives {claimed}")
        obs.append(w.observe(not bad, f"eta = {eta}, alpha = {alpha}: the closed forms hold at the simulated steps "
                             "t = 0, 2, 4, 10, 40" if not bad else "; ".join(bad[:2]),
                             method="momentum run exactly (fractions.Fraction)", n=T))

        def step(i, steps=steps):
            def f(env, k):
                k = float(k)
                if k != int(k) or not 0 <= k <= T:
                    raise NotMeasured(f"Delta w_{i}[{k}]: the run has steps 0..{T}")
                return _num(steps[int(k)][i - 1])
            return f
        proc = Process(values={"eta": eta, "alpha": alpha}, functions={"Delta w_1": step(1), "Delta w_2": step(2)})
        obs += proc.statement(w, points=[{"t": t} for t in (0, 2, 4, 10, 40)],
                              method=f"momentum run exactly, eta = {eta}, alpha = {alpha}; the statement as written")
        limits = (-eta / (1 - alpha), -75 * eta / (1 + alpha))
        gap = max(abs(d1 - limits[0]), abs(d2 - limits[1]))
        obs.append(w.observe(gap < F(1, 10 ** 20), f"eta = {eta}, alpha = {alpha}: |Delta w^(200) - (14)| = "
                             f"{float(gap):.2e}", method="momentum run exactly", n=T))
    return obs


momentum_limit.add_witness(momentum_limit_witness, kind="exact", name="momentum_run")
momentum_limit_corrected.add_witness(momentum_limit_witness, kind="exact", name="momentum_run")
