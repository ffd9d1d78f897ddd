r"""SGD basics (slides "A One Dimensional Example", "The Classical Convergence Theorem",
"Physicist's Proof of the Convergence Theorem" of the SGD lecture).

* The one-dimensional example: for loss(beta, y) = 1/2 (beta - y)^2 the population gradient is
  g = beta - E_Pop y, the batch gradient is ghat = beta - E_Batch y, and at the optimum ghat is
  not 0 for a finite batch (E ghat^2 = sigma^2 / B > 0).
* The step-size conditions eta_t > 0, eta_t -> 0, sum_t eta_t = oo, on concrete schedules whose
  partial sums have closed forms (the engine does not evaluate sums such as harmonic numbers):
  eta_t = eta_0 / (sqrt(t+1) + sqrt(t)) satisfies all three; eta_t = eta_0 / ((t+1)(t+2)) ~ eta_0/t^2
  violates the third (its sum is eta_0).
* SGD on the 1-d quadratic with eta_t = 1/(1+t) is the running average of the samples, so
  E (beta_T - E y)^2 = sigma^2 / T -> 0: the theorem's conclusion, witnessed by simulation.
* The convergence theorem itself is cited literature (not checkable); the physicist's proof writes
  lim_{t -> 0} eta_t where t -> oo is meant (erratum, with correction).

Partial sums with a symbolic number of terms are handled by induction from their recursive
definition S_T = S_{T-1} + eta_T.
"""
from fractions import Fraction
from itertools import product

import numpy as np
import sympy as sp

from proofs import E, Source, claim
from proofs.witness import expectations_as_symbols

TOPIC = "sgd"
SLIDES = "003_1009e14fdb7b0e79.txt"
ONE_DIM = 'slide "A One Dimensional Example"'
THEOREM = 'slide "The Classical Convergence Theorem"'
PHYSICIST = 'slide "Physicist\'s Proof of the Convergence Theorem"'

# A finite, skewed population of targets y (sampled uniformly): mean 2, variance 25/2.
POPULATION = [Fraction(-1), Fraction(0), Fraction(1), Fraction(8)]


# ------------------------------------------------------------------------------------------------
# helpers shared by the witnesses
# ------------------------------------------------------------------------------------------------
def _rat(v):
    v = Fraction(v)
    return sp.Rational(v.numerator, v.denominator)


def relation_holds(rel, values: dict) -> bool:
    """Evaluate a relation (Eq, inequality) exactly at the given values."""
    r = rel.xreplace({k: (_rat(v) if isinstance(v, (Fraction, int)) else v) for k, v in values.items()})
    r = r.doit() if r.has(sp.Sum, sp.Limit, sp.Subs) else r
    if isinstance(r, sp.Equality):
        return sp.simplify(r.lhs - r.rhs) == 0
    return bool(r)


def numeric(expr, env: dict):
    """Evaluate an expression built from +, *, ** (sqrt), numbers and symbols on numpy arrays (a few lines
    instead of sympy.lambdify, whose first call costs ~0.3 s)."""
    if expr in env:
        return env[expr]
    if expr.is_Number:
        return float(expr)
    args = [numeric(a, env) for a in expr.args]
    if expr.is_Add:
        return sum(args[1:], args[0])
    if expr.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if expr.is_Pow:
        return np.power(args[0], args[1])
    raise ValueError(f"cannot evaluate {expr} numerically")


def population_loss(beta, ys):
    """The training loss of the one-dimensional example averaged over ``ys``: mean of 1/2 (beta - y)^2."""
    return sum(Fraction(1, 2) * (beta - y) ** 2 for y in ys) / len(ys)


def central_difference(f, x, h=Fraction(1, 1000)):
    """(f(x + h) - f(x - h)) / 2h in exact rationals: exact for quadratics, the loss of this example."""
    return (f(x + h) - f(x - h)) / (2 * h)


# ------------------------------------------------------------------------------------------------
# A One Dimensional Example
# ------------------------------------------------------------------------------------------------
@claim(id="sgd.one_dim.population_gradient",
       title="Population gradient of 1/2 (beta - y)^2 is beta - E y",
       source=Source(SLIDES, ONE_DIM + ", lines 2-3"),
       statement=r"g = E_{y ~ Pop} grad_beta 1/2 (beta - y)^2 = beta - E_{y ~ Pop} y")
def population_gradient(d):
    beta, m = d.symbols("beta m", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    y = d.random.scalar("y", mean=m, var=s2, real=True)
    g = d.symbol("g", real=True)
    loss = (beta - y) ** 2 / 2
    d.define(g, sp.Derivative(E(loss), beta), why="g = E_Pop grad_beta loss = grad_beta E_Pop loss (the population "
                                                  "average is linear and does not depend on beta)")
    d.note("The slide writes E_Pop grad_beta; the engine evaluates expectations before derivatives (E of a "
           "Derivative is unsupported), so the chain starts from grad_beta E_Pop, equal by linearity.")
    (d.chain(g)
     .eq(E(beta - y), rule="differentiate: grad_beta 1/2 (beta - y)^2 = beta - y", label="line 2")
     .eq(beta - E(y), rule="linearity of E", label="line 3"))
    d.statement(sp.Eq(g, beta - E(y)))


@population_gradient.witness("finite-difference")
def _population_gradient_fd(w):
    """Central differences of the population loss (exact: the loss is quadratic) at three beta's."""
    rel, nodes = expectations_as_symbols(w.statement)
    y = next(s for s in w.statement.free_symbols if s.name == "y")
    obs = []
    for b in (Fraction(-3, 2), Fraction(1, 3), Fraction(5)):
        fd = central_difference(lambda x: population_loss(x, POPULATION), b)
        vals = {w.S.g: fd, w.S.beta: b}
        for s, node in nodes.items():       # E over the population, by enumeration
            vals[s] = sum(_rat(node.args[0].xreplace({y: _rat(v)})) for v in POPULATION) / len(POPULATION)
        obs.append(w.exact(vals, relation=rel, method="central difference of the population loss (exact rationals)"))
    return obs


@claim(id="sgd.one_dim.batch_gradient",
       title="Batch gradient of 1/2 (beta - y)^2 is beta - E_Batch y",
       source=Source(SLIDES, ONE_DIM + ", line 4"),
       statement=r"ghat = beta - E_{y ~ Batch} y")
def batch_gradient(d):
    B = d.symbol("B", integer=True, positive=True)
    b = d.symbol("b", integer=True, positive=True)
    beta = d.symbol("beta", real=True)
    y = d.indexed("y")
    gh = d.symbol("ghat", real=True)
    batch_loss = sp.Sum((beta - y[b]) ** 2 / 2, (b, 1, B)) / B
    d.define(gh, sp.Derivative(batch_loss, beta),
             why="ghat = E_{(x,y) ~ Batch} grad loss: the gradient of the loss averaged over the batch y[1..B]")
    (d.chain(gh)
     .eq(sp.Sum(beta - y[b], (b, 1, B)) / B, rule="differentiate the batch loss term by term")
     .eq(beta - sp.Sum(y[b], (b, 1, B)) / B, rule="sum of B copies of beta"))
    d.statement(sp.Eq(gh, beta - sp.Sum(y[b], (b, 1, B)) / B))


@batch_gradient.witness("finite-difference")
def _batch_gradient_fd(w):
    """Explicit batches; central differences of the batch loss (exact rationals)."""
    obs = []
    for batch, b0 in (([Fraction(0), Fraction(5), Fraction(1)], Fraction(2)), ([Fraction(-7, 2)], Fraction(1, 2))):
        B = len(batch)
        rel = w.statement.xreplace({w.S.B: B}).doit()
        fd = central_difference(lambda x: population_loss(x, batch), b0)
        vals = {w.S.ghat: fd, w.S.beta: b0, **{w.S.y[k + 1]: v for k, v in enumerate(batch)}}
        obs.append(w.exact(vals, relation=rel, method=f"central difference of the loss on the batch {batch}"))
    return obs


@claim(id="sgd.one_dim.nonzero_at_optimum",
       title="At the optimum the batch gradient is not 0 for a finite batch",
       source=Source(SLIDES, ONE_DIM + ", last line"),
       statement=r"Even if beta is optimal, for a finite batch we will have ghat != 0.",
       reading="batch of B iid draws from a population with mean m and variance sigma^2 > 0; at the optimum "
               "beta = m (where g = 0): E ghat^2 = sigma^2 / B > 0 for every finite B, so ghat != 0 with "
               "positive probability")
def nonzero_at_optimum(d):
    B = d.symbol("B", integer=True, positive=True)
    b = d.symbol("b", integer=True, positive=True)
    beta, m = d.symbols("beta m", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    gh = d.symbol("ghat", real=True)
    y = d.indexed("y")
    d.random.family(y, mean=m, cov=s2)
    d.define(gh, beta - sp.Sum(y[b], (b, 1, B)) / B, why="ghat = beta - E_Batch y (sgd.one_dim.batch_gradient)")
    opt = d.given(sp.Eq(beta, m), why="beta optimal: g = beta - E_Pop y = 0", label="optimum")
    ch = (d.chain(E(gh ** 2), using=[opt])
          .eq(E((m - sp.Sum(y[b], (b, 1, B)) / B) ** 2), rule="beta = E_Pop y")
          .eq(s2 / B, rule="the B draws are independent: the variance of their mean is sigma^2 / B"))
    d.step(sp.Gt(E(gh ** 2), 0, evaluate=False), rule="sigma^2 / B > 0", using=[opt, ch.fact], label="ghat != 0")
    d.statement(sp.Gt(E(gh ** 2), 0, evaluate=False))


@nonzero_at_optimum.witness("exact")
def _nonzero_at_optimum_batches(w):
    """At beta = mean of the population (checked optimal: central difference of the population loss is 0),
    every batch of size B = 2 (16, drawn with replacement) is enumerated; ghat by central differences of
    each batch loss; E ghat^2 exactly, compared with the statement; plus one explicit batch with ghat != 0."""
    beta = sum(POPULATION) / len(POPULATION)
    g = central_difference(lambda x: population_loss(x, POPULATION), beta)
    ghats = [central_difference(lambda x, bt=bt: population_loss(x, list(bt)), beta)
             for bt in product(POPULATION, repeat=2)]
    second = sum(v * v for v in ghats) / len(ghats)
    rel, nodes = expectations_as_symbols(w.statement)
    ok = relation_holds(rel, {s: second for s in nodes})
    explicit = (POPULATION[0], POPULATION[0])
    gh0 = central_difference(lambda x: population_loss(x, list(explicit)), beta)
    return [w.observe(g == 0, f"beta = {beta} is optimal: population gradient {g}", method="central difference"),
            w.observe(ok, f"E ghat^2 over all {len(ghats)} batches of 2 = {second} (exact); statement "
                          f"{'holds' if ok else 'fails'}", method="enumerate every batch", n=len(ghats),
                      estimate=second),
            w.observe(gh0 != 0, f"the batch {list(map(str, explicit))} has ghat = {gh0}", method="explicit batch")]


# ------------------------------------------------------------------------------------------------
# The Classical Convergence Theorem
# ------------------------------------------------------------------------------------------------
@claim(id="sgd.convergence_theorem",
       title="Classical convergence theorem of SGD (cited)",
       source=Source(SLIDES, THEOREM),
       statement=r"For 'sufficiently smooth' non-negative loss with eta_t > 0, lim eta_t = 0 and sum_t eta_t = oo, "
                 r"the training loss of Phi converges (Rigor Police: Phi may converge to a saddle point or a limit "
                 r"cycle; Bertsekas and Tsitsiklis, Neuro-Dynamic Programming, Prop. 3.5)",
       expected="not checkable",
       not_checkable="a cited theorem whose smoothness hypotheses are not stated on the slide (literature: "
                     "Bertsekas & Tsitsiklis, Prop. 3.5); its schedule conditions and a 1-d instance are checked "
                     "in sgd.step_size_conditions and sgd.quadratic_convergence")
def convergence_theorem(d):
    pass


def _telescoping_schedule(d, eta_of, closed_of):
    """Induction on T for the partial sums S_T = sum_{t=0}^T eta_t = closed_of(T). Returns the fact S_T = closed.

    The partial sums are introduced by their recursive definition S_0 = eta_0, S_T = S_{T-1} + eta_T (the
    definition of a finite sum; peeling a symbolic Sum costs the engine ~0.2 s per step)."""
    t = d.symbol("t", integer=True, nonnegative=True)
    T = d.symbol("T", integer=True, positive=True)
    ST, ST1, S0 = d.symbols("S_T S_{T-1} S_0", real=True)
    base = d.given(sp.Eq(S0, eta_of(0)), why="S_0 = sum_{t=0}^0 eta_t = eta_0", label="def S_0")
    rec = d.given(sp.Eq(ST, ST1 + eta_of(T)), why="S_T = sum_{t=0}^T eta_t = S_{T-1} + eta_T (definition of a "
                                                   "partial sum)", label="def S_T")
    hyp = d.assume(sp.Eq(ST1, closed_of(T - 1)), why="induction hypothesis (true at T - 1 = 0 by the base case)",
                   label="hypothesis")
    d.step(sp.Eq(S0, closed_of(0)), rule="base case T = 0", using=[base], label="base case")
    ch = (d.chain(ST, using=[rec])
          .eq(ST1 + eta_of(T), rule="definition of S_T")
          .eq(closed_of(T - 1) + eta_of(T), rule="induction hypothesis", using=[hyp])
          .eq(closed_of(T), rule="algebra", label="S_T closed form"))
    return d.step(sp.Eq(ST, closed_of(T)), rule="induction", using=[ch.fact], label="partial sums"), t, T, ST


def _schedule_claim(d, eta_of, closed_of, sum_limit):
    eta0 = d.symbol("eta_0", positive=True)
    fact, t, T, ST = _telescoping_schedule(d, lambda u: eta_of(eta0, u), lambda u: closed_of(eta0, u))
    eta = eta_of(eta0, t)
    d.step((sp.Gt(eta, 0, evaluate=False), sp.Eq(sp.Limit(eta, t, sp.oo), 0),
            sp.Eq(sp.Limit(ST, T, sp.oo), sum_limit(eta0))),
           rule="positivity; limits of eta_t and of the closed-form partial sums", using=[fact], label="conditions")
    d.statement((sp.Gt(eta, 0, evaluate=False), sp.Eq(sp.Limit(eta, t, sp.oo), 0),
                 sp.Eq(sp.Limit(ST, T, sp.oo), sum_limit(eta0))))


@claim(id="sgd.step_size_conditions",
       title="eta_t = eta_0 / (sqrt(t+1) + sqrt(t)) satisfies eta_t > 0, eta_t -> 0, sum eta_t = oo",
       source=Source(SLIDES, THEOREM + ", the step-size conditions"),
       statement=r"eta_t > 0 and lim_{t -> oo} eta_t = 0 and sum_t eta_t = oo",
       reading="for the schedule eta_t = eta_0 / (sqrt(t+1) + sqrt(t)) = eta_0 (sqrt(t+1) - sqrt(t)) ~ eta_0 / (2 "
               "sqrt t), t = 0, 1, ...: the partial sums are S_T = eta_0 sqrt(T+1) (telescoping), so S_T -> oo")
def step_size_conditions(d):
    d.note("The common choice eta_0 / (1 + t) satisfies the conditions too, but its partial sums are harmonic "
           "numbers, which the engine cannot reduce (harmonic(T) + 1/(T+1) = harmonic(T+1) times out); this "
           "schedule has an algebraic closed form.")
    _schedule_claim(d, lambda e0, u: e0 / (sp.sqrt(u + 1) + sp.sqrt(u)), lambda e0, u: e0 * sp.sqrt(u + 1),
                    lambda e0: sp.oo)


@claim(id="sgd.summable_schedule",
       title="eta_t = eta_0 / ((t+1)(t+2)) ~ eta_0/t^2 has eta_t -> 0 but a finite sum (violates sum = oo)",
       source=Source(SLIDES, THEOREM + ", the condition sum_t eta_t = oo"),
       statement=r"eta_t > 0 and lim_{t -> oo} eta_t = 0 but sum_t eta_t = eta_0 < oo",
       reading="a schedule decaying like 1/t^2 satisfies the first two conditions but not sum_t eta_t = oo: "
               "S_T = eta_0 (1 - 1/(T+2)) -> eta_0 (so SGD moves at most eta_0 max|g| in total)")
def summable_schedule(d):
    _schedule_claim(d, lambda e0, u: e0 / ((u + 1) * (u + 2)), lambda e0, u: e0 * (1 - 1 / (u + 2)),
                    lambda e0: e0)


def _partial_sums_witness(w):
    """Sum the schedule (floating point, eta_0 = 1) up to T = 10^6 and compare with the statement: positivity
    at every term, eta_T against the claimed limit, and the partial sums against the claimed sum (divergent:
    the increments per decade of T must not shrink; finite L: |S_T - L| within twice the last decade's
    increment, an estimate of the tail)."""
    pos, lim_eta, lim_sum = w.statement
    t, T = w.S.t, w.S.T
    eta0 = w.S.eta_0
    ts = np.arange(0, 10 ** 6 + 1, dtype=float)
    eta = np.asarray(numeric(pos.lhs.xreplace({eta0: 1}), {t: ts}), dtype=float) * np.ones_like(ts)
    S = np.cumsum(eta)
    decades = [10 ** k for k in range(2, 7)]
    inc = [S[10 * a] - S[a] for a in decades[:-1]]
    claimed_eta = float(lim_eta.rhs.xreplace({eta0: 1}))
    claimed_sum = lim_sum.rhs.xreplace({eta0: 1})
    obs = [w.observe(bool(np.all(eta > 0)), f"eta_t > 0 for t = 0..10^6: {bool(np.all(eta > 0))}",
                     method="evaluate the schedule"),
           w.observe(abs(eta[-1] - claimed_eta) < 1e-2 and abs(eta[-1] - claimed_eta) < abs(eta[100] - claimed_eta),
                     f"eta at t = 10^6 is {eta[-1]:.3g}, claimed limit {claimed_eta}", method="evaluate the schedule")]
    if claimed_sum == sp.oo:
        ok = all(b >= 0.5 * a for a, b in zip(inc, inc[1:])) and S[-1] > 10 * S[100]
        obs.append(w.observe(ok, f"S_T at T = 10^2..10^6: {[f'{S[a]:.4g}' for a in decades]}; increments per decade "
                                 f"{[f'{v:.3g}' for v in inc]} ({'not shrinking: diverges' if ok else 'shrinking'})",
                             method="partial sums, float64", n=10 ** 6))
    else:
        L = float(claimed_sum)
        ok = abs(S[-1] - L) <= 2 * inc[-1] + 1e-12
        obs.append(w.observe(ok, f"S_(10^6) = {S[-1]:.10g}, claimed sum {L}, tail estimate {inc[-1]:.3g}",
                             method="partial sums, float64", n=10 ** 6, estimate=S[-1], predicted=L))
    return obs


step_size_conditions.add_witness(_partial_sums_witness, kind="simulation", name="partial_sums")
summable_schedule.add_witness(_partial_sums_witness, kind="simulation", name="partial_sums")


# ------------------------------------------------------------------------------------------------
# The theorem's conclusion on the 1-d quadratic
# ------------------------------------------------------------------------------------------------
@claim(id="sgd.quadratic_convergence",
       title="SGD with eta_t = 1/(1+t) on 1/2 (beta - y)^2 converges in mean square",
       source=Source(SLIDES, THEOREM + " (an instance: the loss of " + ONE_DIM + ")"),
       statement=r"the training loss of Phi converges (in practice Phi converges to a local optimum)",
       reading="loss 1/2 (beta - y)^2, y iid with mean m and variance sigma^2, schedule eta_t = 1/(1+t) for the "
               "t-th update (t = 0, 1, ...): beta_T is the average of the first T samples, so "
               "E (beta_T - m)^2 = sigma^2 / T and lim_{T -> oo} E (beta_T - m)^2 = 0")
def quadratic_convergence(d):
    T = d.symbol("T", integer=True, positive=True)
    s = d.symbol("s", integer=True, positive=True)
    m = d.symbol("m", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    bT, bprev, yT = d.symbols("beta_T beta_{T-1} y_T", real=True)
    y = d.indexed("y")
    d.random.family(y, mean=m, cov=s2)
    sgd = d.given(sp.Eq(bT, bprev - 1 / T * (bprev - yT)),
                  why="the T-th SGD update with step size eta = 1/T (eta_t = 1/(1+t) for t = T - 1) and gradient "
                      "beta - y_T", label="SGD update")
    d.step(sp.Eq(bT, (1 - 1 / T) * bprev + yT / T), rule="expand: the update is the 1/t running average",
           using=[sgd], label="1/t average")
    avg = d.given(sp.Eq(bT, sp.Sum(y[s], (s, 1, T)) / T),
                  why="bias_correction.one_over_t_average: the 1/t running average is the plain average",
                  label="beta_T is the average")
    ch = (d.chain(E((bT - m) ** 2), using=[avg])
          .eq(E((sp.Sum(y[s], (s, 1, T)) / T - m) ** 2), rule="beta_T is the average of y_1..y_T")
          .eq(s2 / T, rule="variance of the mean of T iid samples"))
    lim = d.chain(sp.Limit(s2 / T, T, sp.oo)).eq(0, rule="limit")
    d.step((sp.Eq(E((bT - m) ** 2), s2 / T), sp.Eq(sp.Limit(E((bT - m) ** 2), T, sp.oo), 0)),
           rule="collect", using=[avg, ch.fact, lim.fact], label="mean-square convergence")
    d.statement((sp.Eq(E((bT - m) ** 2), s2 / T), sp.Eq(sp.Limit(E((bT - m) ** 2), T, sp.oo), 0)))


@quadratic_convergence.witness("monte-carlo")
def _sgd_runs(w):
    """R independent SGD runs (eta_t = 1/(1+t)) on skewed samples y ~ 1 + Exp(scale 2) (mean 3, variance 4);
    E (beta_T - m)^2 estimated at T = 8 and 32 (sized for a 10% error; cv of the squared error <= 1.8) and
    tested against the statement's first relation; the second (the limit) by the estimates decreasing
    towards the claimed limit."""
    from proofs.stats import mean_se, sample_size
    S = w.S
    m, var = 3.0, 4.0
    R = sample_size(0.10, w.alpha / 2, 0.99, cv=1.8)
    first, second = w.statement
    rel, nodes = expectations_as_symbols(first)
    (Es,) = nodes
    obs, ests = [], []
    for T in (8, 32):
        beta = np.zeros(R)
        for t in range(T):
            y = 1.0 + w.rng.exponential(2.0, R)
            beta = beta - (1.0 / (1 + t)) * (beta - y)
        est, se = mean_se((beta - m) ** 2)
        ests.append((est, se))
        obs.append(w.estimate({Es: est}, {Es: se}, at={S.T: T, S.m: 3, S["sigma^2"]: 4}, relation=rel, n=R, share=2,
                              method=f"{R} SGD runs, T = {T}"))
    L = float(second.rhs)
    (e1, s1), (e2, s2_) = ests
    ok = abs(e2 - L) + 5 * s2_ < abs(e1 - L) - 5 * s1
    obs.append(w.observe(ok, f"E(beta_T - m)^2: {e1:.4g} (T = 8) -> {e2:.4g} (T = 32), claimed limit {L}",
                         method="the estimates approach the claimed limit", n=R))
    return obs


# ------------------------------------------------------------------------------------------------
# Physicist's proof: lim_{t -> 0} eta_t = 0 (erratum: t -> oo)
# ------------------------------------------------------------------------------------------------
def _physicist(d, point):
    eta0 = d.symbol("eta_0", positive=True)
    t = d.symbol("t", integer=True, nonnegative=True)
    eta = eta0 / (1 + t)
    d.step(sp.Eq(sp.Limit(eta, t, point), 0), rule="the slide's premise, on the schedule eta_0 / (1 + t)",
           using=[], label="limit of eta_t")
    d.statement(sp.Eq(sp.Limit(eta, t, point), 0))


@claim(id="sgd.physicist_limit",
       title="Physicist's proof: 'lim_{t -> 0} eta_t = 0' (t -> 0 where t -> oo is meant)",
       source=Source(SLIDES, PHYSICIST + ", line 1"), expected="refuted",
       statement=r"Since lim_{t -> 0} eta_t = 0 we will eventually get to arbitrarily small learning rates.",
       reading="on the schedule eta_t = eta_0 / (1 + t): the limit as written, t -> 0, is eta_0, not 0")
def physicist_limit(d):
    _physicist(d, 0)


@claim(id="sgd.physicist_limit.corrected",
       title="Physicist's proof: lim_{t -> oo} eta_t = 0",
       source=Source(SLIDES, PHYSICIST + ", line 1 (corrected: t -> oo, the theorem's condition)"),
       corrects="sgd.physicist_limit",
       statement=r"Since lim_{t -> oo} eta_t = 0 we will eventually get to arbitrarily small learning rates.",
       reading="on the schedule eta_t = eta_0 / (1 + t)")
def physicist_limit_corrected(d):
    _physicist(d, sp.oo)


def _approach_limit_point(w):
    """Evaluate the schedule at points approaching the statement's limit point (10^-k or 10^k, eta_0 = 1)
    and compare with the claimed limit."""
    lim = w.statement.lhs
    expr, (var, point) = lim.args[0], (lim.args[1], lim.args[2])
    ks = range(1, 9)
    pts = [10.0 ** (-k) for k in ks] if point == 0 else [10.0 ** k for k in ks]
    e1 = expr.xreplace({w.S.eta_0: 1})
    gaps = [abs(float(numeric(e1, {var: p})) - float(w.statement.rhs)) for p in pts]
    ok = gaps[-1] < 1e-6
    return w.observe(ok, f"|eta_t - {w.statement.rhs}| at t = {pts[0]:g} .. {pts[-1]:g}: {gaps[0]:.3g} .. "
                         f"{gaps[-1]:.3g}", method=f"evaluate eta_t as t -> {point}", n=len(pts))


physicist_limit.add_witness(_approach_limit_point, kind="simulation", name="approach_limit_point")
physicist_limit_corrected.add_witness(_approach_limit_point, kind="simulation", name="approach_limit_point")
