r"""Bias correction of running averages (slides "A Digression on Bias Correction of Running Averages",
"Bias Correction of Running Averages" (two slides); Problem 3 of the SGD problems, Problem 2 of the
second problem set).

* mu^_0 = 0, mu^_t = (1 - 1/N) mu^_{t-1} + x_t / N is biased towards 0 early on:
  E mu^_1 = mu/N and E mu^_t = (1 - (1 - 1/N)^t) mu exactly, hence ~ (t/N) mu for t << N.
* The 1/t update keeps mu^_t equal to the plain average of x_1..x_t.
* The min(N, t) update is unbiased for every t, equals the plain average for t <= N and the ordinary
  running average (weight 1/N) for t > N; for a constant input it returns the constant from t = 1.

Inputs x_t are iid with mean mu (expectation algebra of proofs.expectation). The results for every t are
proved by first-class induction (d.induction: the base case is checked too). Sequences are indexed entries
(y[t], mu^[u + 1]); for the expectations M[t] = E mu^_t, with mu^_{t-1} a random variable of mean
M_{t-1} = M[t-1]; partial sums S_t = x_1 + ... + x_t enter by their recursive definition from S_0 = 0.
"""
from fractions import Fraction
from itertools import product

import sympy as sp

from proofs import E, Source, claim
from proofs.sampling import free_atoms
from proofs.witness import expectation_values

TOPIC = "running averages"
SLIDES = "003_1009e14fdb7b0e79.txt"
SGD_PROBLEMS = "000_e701d70adf034ba3.txt"
SGD_PROBLEMS_2 = "001_6f3b02b455961dc3.txt"
DIGRESSION = 'slide "A Digression on Bias Correction of Running Averages"'
ONE_OVER_T = 'slide "Bias Correction of Running Averages" (first: the 1/t update)'
MIN_N_T = 'slide "Bias Correction of Running Averages" (second: the min(N, t) update)'

# A two-point input law for exact expectations by enumeration: x = 0 w.p. 1/3, x = 3 w.p. 2/3 (mean 2).
LAW = [(Fraction(0), Fraction(1, 3)), (Fraction(3), Fraction(2, 3))]


def law_mean():
    return sum(v * p for v, p in LAW)


def run_average(xs, weight, mu0=Fraction(0)):
    """The process: mu_t = (1 - a_t) mu_{t-1} + a_t x_t with a_t = weight(t), exactly. Returns mu_0..mu_T."""
    mus = [Fraction(mu0)]
    for t, x in enumerate(xs, start=1):
        a = Fraction(weight(t))
        mus.append((1 - a) * mus[-1] + a * Fraction(x))
    return mus


def exact_outcomes(weight, T):
    """The law of mu_t for t = 0..T: ``[(probability, mu_t), ...]`` per t over every input sequence of length T
    under LAW (2^T paths), the update run on each; exact rationals. What a witness averages whatever the
    statement writes inside E(...) over (:func:`proofs.witness.expectation_values`)."""
    out = [[] for _ in range(T + 1)]
    for path in product(LAW, repeat=T):
        p = Fraction(1)
        for _, q in path:
            p *= q
        mus = run_average([v for v, _ in path], weight)
        for t in range(T + 1):
            out[t].append((p, mus[t]))
    return out


def exact_expectations(weight, T):
    """E mu_t for t = 0..T by enumerating every input sequence of length T under LAW (2^T paths) and running
    the update on each; exact rationals."""
    Em = [Fraction(0)] * (T + 1)
    for path in product(LAW, repeat=T):
        p = Fraction(1)
        for _, q in path:
            p *= q
        mus = run_average([v for v, _ in path], weight)
        for t in range(T + 1):
            Em[t] += p * mus[t]
    return Em


# ------------------------------------------------------------------------------------------------
# A Digression on Bias Correction
# ------------------------------------------------------------------------------------------------
@claim(id="bias_correction.first_mean",
       title="E mu^_1 = mu / N",
       source=Source(SLIDES, DIGRESSION + ", 'For mu = E x'"),
       statement=r"For mu = E x we have E mu^_1 = mu/N.")
def first_mean(d):
    N = d.symbol("N", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    x1 = d.random.scalar("x_1", mean=mu, var=s2, real=True)
    m0, m1 = d.symbols("mu^_0 mu^_1", real=True)
    start = d.given(sp.Eq(m0, 0), why="mu^_0 = 0", label="mu^_0 = 0")
    upd = d.given(sp.Eq(m1, (1 - 1 / N) * m0 + x1 / N), why="the update at t = 1", label="update")
    (d.chain(E(m1), using=[upd, start])
     .eq(E((1 - 1 / N) * 0 + x1 / N), rule="the update with mu^_0 = 0")
     .eq(mu / N, rule="linearity, E x_1 = mu"))
    d.statement(sp.Eq(E(m1), mu / N))


def _expectation_witness(T_values, N=5):
    """The running average with N = 5 on every input sequence (law: 0 w.p. 1/3, 3 w.p. 2/3), exactly; the
    statement's E(...) averaged over those outcomes of mu^_t (whatever it writes inside E), compared at each t."""
    def witness(w):
        laws = exact_outcomes(lambda t: Fraction(1, N), max(T_values))
        at = {w.S.N: N, w.S.mu: law_mean()}
        obs = []
        for T in T_values:
            name = "mu^_t" if "t" in w.S else f"mu^_{T}"
            here = {**at, w.S.t: T} if "t" in w.S else at
            rel, vals = expectation_values(w.statement, [(p, {w.S[name]: m}) for p, m in laws[T]], at=here)
            obs.append(w.exact({**vals, **here}, relation=rel,
                               method=f"enumerate all 2^{max(T_values)} input sequences"))
        return obs if "t" in w.S else obs[0]
    return witness


first_mean.add_witness(_expectation_witness([1]), kind="exact", name="enumerate_inputs")


@claim(id="bias_correction.expected_running_average",
       title="E mu^_t = (1 - (1 - 1/N)^t) mu",
       source=Source(SLIDES, DIGRESSION + ", 'For t << N' (the exact expression behind it)"),
       statement=r"E mu^_t = (1 - (1 - 1/N)^t) mu  (the exact value; the slide states E mu^_t ~ (t/N) mu for t << N)",
       reading="iid inputs with mean mu, mu^_0 = 0, every t >= 0 and N > 1 (rho = 1 - 1/N in (0, 1))")
def expected_running_average(d):
    rho = d.symbol("rho", bounds=(0, 1))
    N = d.symbol("N", positive=True)
    d.define(N, 1 / (1 - rho), why="rho = 1 - 1/N")
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    s2, v = d.symbols("sigma^2 v_{t-1}", positive=True)
    M = d.indexed("M", real=True)                   # M[t] = E mu^_t
    Mprev = d.symbol("M_{t-1}", real=True)
    xt = d.random.scalar("x_t", mean=mu, var=s2, real=True)
    mprev = d.random.scalar("mu^_{t-1}", mean=Mprev, var=v, real=True)
    m_t = d.symbol("mu^_t", real=True)
    r = 1 - 1 / N
    d.given(sp.Eq(M[0], 0), why="mu^_0 = 0, so E mu^_0 = 0", label="M_0 = 0")
    prev = d.given(sp.Eq(Mprev, M[t - 1]), why="M_{t-1} = E mu^_{t-1}", label="def M_{t-1}")
    upd = d.given(sp.Eq(m_t, r * mprev + xt / N), why="the update", label="update")
    mean = d.given(sp.Eq(M[t], E(m_t)), why="M_t = E mu^_t", label="def M_t")
    with d.induction(sp.Eq(M[t], (1 - r ** t) * mu), on=t, base=1, label="E mu^_t by induction") as ind:
        (d.chain(M[t], using=[mean])
         .eq(E(m_t), rule="M_t = E mu^_t")
         .eq(E(r * mprev + xt / N), rule="the update", using=[upd])
         .eq(r * Mprev + mu / N, rule="linearity of E; E mu^_{t-1} = M_{t-1}, E x_t = mu")
         .eq(r * (1 - r ** (t - 1)) * mu + mu / N, rule="induction hypothesis", using=[prev, ind.hypothesis])
         .eq((1 - r ** t) * mu, rule="(1 - 1/N) + 1/N = 1", label="E mu^_t"))
    (d.chain(E(m_t))
     .eq(M[t], rule="M_t = E mu^_t", using=[mean])
     .eq((1 - r ** t) * mu, rule="by induction", using=[ind.fact]))
    d.statement(sp.Eq(E(m_t), (1 - r ** t) * mu))


expected_running_average.add_witness(_expectation_witness([1, 2, 5, 8]), kind="exact", name="enumerate_inputs")


@claim(id="bias_correction.early_bias",
       title="E mu^_t ~ (t/N) mu for t << N",
       source=Source(SLIDES, DIGRESSION + ", 'For t << N'"),
       statement=r"For t << N we have E mu^_t ~ (t/N) mu.",
       reading="for fixed t and mu != 0: lim_{N -> oo} N E mu^_t / (t mu) = 1, with E mu^_t = (1 - (1 - 1/N)^t) mu "
               "(bias_correction.expected_running_average); the relative error is (t - 1)/(2N) + O(1/N^2)")
def early_bias(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True, nonzero=True)
    Em = d.symbol("E mu^_t", real=True)
    exact = d.given(sp.Eq(Em, (1 - (1 - 1 / N) ** t) * mu), why="bias_correction.expected_running_average",
                    label="E mu^_t")
    (d.chain(sp.Limit(N * Em / (t * mu), N, sp.oo), using=[exact])
     .eq(sp.Limit(N * (1 - (1 - 1 / N) ** t) / t, N, sp.oo), rule="the exact expectation; cancel mu")
     .eq(1, rule="N (1 - (1 - 1/N)^t) = t - t(t-1)/(2N) + ... -> t"))
    d.statement(sp.Eq(sp.Limit(N * Em / (t * mu), N, sp.oo), 1))


@early_bias.witness("exact")
def _early_bias_ratio(w):
    """Exact E mu^_t (t = 3) by enumeration for N = 1000, 2000, 4000; the expression under the statement's limit
    is evaluated there with the measured E mu^_t (whatever it writes), extrapolated to N -> oo (Richardson in 1/N)
    and compared with the statement's right side, error bound from the two successive extrapolations."""
    lim = w.statement.lhs
    inner, (var, to, _) = lim.args[0], lim.args[1:]
    if var != w.S.N or to != sp.oo:
        return w.observe(False, f"the statement's limit is {lim}, not the N -> oo limit the process can approach",
                         method="exact E mu^_3 by enumeration")
    t = 3
    mu = law_mean()
    value = {}
    for N in (1000, 2000, 4000):
        Em = exact_expectations(lambda s, N=N: Fraction(1, N), t)[t]
        v = w.value(inner, {w.S["E mu^_t"]: Em, w.S.N: N, w.S.t: t, w.S.mu: mu})
        if not v.is_number:
            raise ValueError(f"the limit's expression {inner} names more than E mu^_t, N, t, mu")
        value[N] = v
    r1 = 2 * value[2000] - value[1000]
    r2 = 2 * value[4000] - value[2000]
    rhs = w.value(w.statement.rhs, {w.S.t: t, w.S.mu: mu})
    if not rhs.is_number:
        return w.observe(False, f"the right side {w.statement.rhs} still depends on N after N -> oo",
                         method="exact E mu^_3 by enumeration")
    L = sp.Symbol("limit")
    return w.close({L: float(r2)}, {L: float(abs(r2 - r1))}, relation=sp.Eq(L, rhs), floor=1e-12,
                   method=f"exact E mu^_3 by enumeration, N = 1000, 2000, 4000; Richardson extrapolation "
                          f"(limit of {inner})", n=3)


# ------------------------------------------------------------------------------------------------
# The 1/t update
# ------------------------------------------------------------------------------------------------
@claim(id="bias_correction.one_over_t_average",
       title="The 1/t update keeps mu^_t equal to the average of x_1..x_t",
       source=Source(SLIDES, ONE_OVER_T),
       statement=r"mu^_0 = 0, mu^_t = (1 - 1/t) mu^_{t-1} + (1/t) x_t maintains the invariant that mu^_t is exactly "
                 r"the average of x_1, ..., x_t",
       reading="mu^_t = S_t / t with S_t = x_1 + ... + x_t, for every t >= 1 (induction; t = u + 1 in the step "
               "so that the hypothesis at t - 1 = u >= 1 divides by u != 0)")
def one_over_t_average(d):
    u = d.symbol("u", integer=True, nonnegative=True)
    mh, x, S = d.indexed("mu^", real=True), d.indexed("x", real=True), d.indexed("S", real=True)
    d.given(sp.Eq(mh[0], 0), why="mu^_0 = 0", label="mu^_0 = 0")
    upd = d.given(sp.Eq(mh[u + 1], (1 - 1 / (u + 1)) * mh[u] + x[u + 1] / (u + 1)), why="the update at t = u + 1",
                  label="update", for_all=u)
    d.given(sp.Eq(S[0], 0), why="S_0 = 0 (the empty sum; S_1 = x_1)", label="def S_0")
    srec = d.given(sp.Eq(S[u + 1], S[u] + x[u + 1]), why="S_{u+1} = S_u + x_{u+1} (definition of the partial sum)",
                   label="def S_{u+1}", for_all=u)
    d.note("The slide's 'but this fails to track a moving average for t >> N' is qualitative: the newest input "
           "gets weight 1/t -> 0, every input the same weight; bias_correction.min_equals_average has the fix.")
    P = sp.Eq(mh[u + 1], S[u + 1] / (u + 1))
    # induction on u from u = 0 (t = 1: mu^_1 = x_1 = S_1); in the step u >= 1, so the hypothesis
    # mu^_u = S_u / u divides by u != 0
    with d.induction(P, on=u, base=0, label="the invariant by induction") as ind:
        (d.chain(mh[u + 1], using=[upd])
         .eq((1 - 1 / (u + 1)) * mh[u] + x[u + 1] / (u + 1), rule="the update")
         .eq((1 - 1 / (u + 1)) * S[u] / u + x[u + 1] / (u + 1), rule="induction hypothesis", using=[ind.hypothesis])
         .eq((S[u] + x[u + 1]) / (u + 1), rule="(1 - 1/(u+1)) / u = 1/(u+1)")
         .eq(S[u + 1] / (u + 1), rule="definition of S_{u+1}", using=[srec], label="invariant"))
    d.statement(P)


@one_over_t_average.witness("exact")
def _one_over_t_iterates(w):
    """Run the 1/t update exactly on random rational inputs; the statement (at t = u + 1) with the plain
    average of the inputs, t = 2..30."""
    xs = [Fraction(int(k), 3) for k in w.rng.integers(-30, 31, size=30)]
    mus = run_average(xs, lambda t: Fraction(1, t))
    S = w.S
    mu_t = w.statement.lhs                                      # mu^_{u+1} (the entry mu^[u + 1], or a symbol)
    (S_t,) = [a for a in free_atoms(w.statement.rhs) if a != S.u]    # S_{u+1}
    for t in range(2, len(xs) + 1):
        o = w.exact({mu_t: mus[t], S_t: sum(xs[:t]), S.u: t - 1})
        if not o.holds:
            return w.observe(False, f"fails at t = {t}: {o.detail}", method="the 1/t update iterated exactly", n=t)
    return w.observe(True, f"mu^_t equals the statement's value at t = 2..{len(xs)}",
                     method="the 1/t update iterated exactly", n=len(xs))


# ------------------------------------------------------------------------------------------------
# The min(N, t) update
# ------------------------------------------------------------------------------------------------
@claim(id="bias_correction.min_constant_input",
       title="Constant input c: the min(t, N) update gives y_t = c for all t >= 1",
       source=Source(SGD_PROBLEMS, "Problem 3 (Bias Correction), solution"),
       also=(Source(SGD_PROBLEMS_2, "Problem 2 (Bias Correction), solution"),),
       statement=r"y_t = (1 - 1/min(t,N)) y_{t-1} + (1/min(t,N)) x_t; if x_t = c for all t >= 1: y_1 = x_1 = c, and "
                 r"y_{t+1} is a convex combination of y_t and x_t which maintains the invariant y_t = c")
def min_constant_input(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    c = d.symbol("c", real=True)
    y = d.indexed("y", real=True)
    d.note("The handouts' solution says y_{t+1} is a convex combination of y_t and x_t; the update uses x_{t+1}. "
           "With x_t = c for every t the two are the same, so the argument stands.")
    d.note("y_0 is arbitrary: at t = 1 its weight is 1 - 1/min(1, N) = 0.")
    m = sp.Min(t, N)
    upd = d.given(sp.Eq(y[t], (1 - 1 / m) * y[t - 1] + c / m), why="the update at t with x_t = c", label="update",
                  for_all=t)
    # base case t = 1: min(1, N) = 1, so y_1 = x_1 = c whatever y_0 is
    with d.induction(sp.Eq(y[t], c), on=t, base=1, label="the invariant by induction") as ind:
        (d.chain(y[t], using=[upd])
         .eq((1 - 1 / m) * y[t - 1] + c / m, rule="the update")
         .eq((1 - 1 / m) * c + c / m, rule="invariant at t - 1", using=[ind.hypothesis])
         .eq(c, rule="a convex combination of c and c", label="invariant"))
    d.statement(sp.Eq(y[t], c))


@min_constant_input.witness("exact")
def _min_constant_iterates(w):
    """Run the min(t, N) update (N = 3) exactly on x_t = c = 7/2 from a non-zero y_0; the statement at t = 1..20."""
    N, c = 3, Fraction(7, 2)
    ys = run_average([c] * 20, lambda t: Fraction(1, min(t, N)), mu0=Fraction(-5))
    S = w.S
    for t in range(1, 21):
        o = w.exact({w.statement.lhs: ys[t], S.c: c})        # y_t (the entry y[t], or a symbol)
        if not o.holds:
            return w.observe(False, f"fails at t = {t}: {o.detail}", method="the update iterated exactly", n=t)
    return w.observe(True, "y_t = 7/2 = c at t = 1..20 (N = 3, y_0 = -5)", method="the update iterated exactly",
                     n=20)


@claim(id="bias_correction.min_unbiased",
       title="The min(N, t) running average is unbiased for every t >= 1",
       source=Source(SLIDES, MIN_N_T + ", 'avoids the initial bias toward zero'"),
       statement=r"mu^_t = (1 - 1/min(N,t)) mu^_{t-1} + (1/min(N,t)) x_t avoids the initial bias toward zero",
       reading="for iid x_t with mean mu: E mu^_t = mu for every t >= 1 (induction)")
def min_unbiased(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    s2, v = d.symbols("sigma^2 v_{t-1}", positive=True)
    M = d.indexed("M", real=True)                   # M[t] = E mu^_t
    Mprev = d.symbol("M_{t-1}", real=True)
    xt = d.random.scalar("x_t", mean=mu, var=s2, real=True)
    mprev = d.random.scalar("mu^_{t-1}", mean=Mprev, var=v, real=True)
    mt = d.symbol("mu^_t", real=True)
    m = sp.Min(N, t)
    d.given(sp.Eq(M[0], 0), why="mu^_0 = 0 (its weight at t = 1 is 0 anyway)", label="M_0 = 0")
    prev = d.given(sp.Eq(Mprev, M[t - 1]), why="M_{t-1} = E mu^_{t-1}", label="def M_{t-1}")
    upd = d.given(sp.Eq(mt, (1 - 1 / m) * mprev + xt / m), why="the update at t", label="update")
    mean = d.given(sp.Eq(M[t], E(mt)), why="M_t = E mu^_t", label="def M_t")
    # base case t = 1: min(N, 1) = 1, so mu^_1 = x_1 and E mu^_1 = mu
    with d.induction(sp.Eq(M[t], mu), on=t, base=1, label="E mu^_t = mu by induction") as ind:
        (d.chain(M[t], using=[mean])
         .eq(E(mt), rule="M_t = E mu^_t")
         .eq(E((1 - 1 / m) * mprev + xt / m), rule="the update", using=[upd])
         .eq((1 - 1 / m) * Mprev + mu / m, rule="linearity of E")
         .eq((1 - 1 / m) * mu + mu / m, rule="induction hypothesis", using=[prev, ind.hypothesis])
         .eq(mu, rule="the weights sum to 1", label="unbiased"))
    (d.chain(E(mt))
     .eq(M[t], rule="M_t = E mu^_t", using=[mean])
     .eq(mu, rule="by induction", using=[ind.fact]))
    d.statement(sp.Eq(E(mt), mu))


@min_unbiased.witness("exact")
def _min_unbiased_enumeration(w):
    """The min(N, t) update (N = 3) on all 2^8 input sequences, exactly; the statement's E(...) averaged over the
    outcomes of mu^_t for t = 1..8."""
    N = 3
    laws = exact_outcomes(lambda t: Fraction(1, min(N, t)), 8)
    obs = []
    for t in range(1, 9):
        at = {w.S.mu: law_mean(), w.S.t: t}
        rel, vals = expectation_values(w.statement, [(p, {w.S["mu^_t"]: m}) for p, m in laws[t]], at=at)
        obs.append(w.exact({**vals, **at}, relation=rel, method="enumerate all 2^8 input sequences"))
    return obs


@claim(id="bias_correction.min_equals_average",
       title="The min(N, t) update is the 1/t update for t <= N and the 1/N running average for t >= N",
       source=Source(SLIDES, MIN_N_T),
       statement=r"mu^_t = (1 - 1/min(N,t)) mu^_{t-1} + (1/min(N,t)) x_t avoids the initial bias toward zero while "
                 r"still tracking a moving average",
       reading="for t <= N (N = t + k, k >= 0) the update is the 1/t update, so mu^_t is the plain average of "
               "x_1..x_t (bias_correction.one_over_t_average); for t >= N (t = N + k) it is the ordinary running "
               "average with weight 1/N")
def min_equals_average(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    k = d.symbol("k", integer=True, nonnegative=True)
    mp, x = d.symbols("mu^_{t-1} x_t", real=True)

    def update(m):
        return (1 - 1 / m) * mp + x / m

    early = sp.Eq(update(sp.Min(t + k, t, evaluate=False)), update(t), evaluate=False)
    late = sp.Eq(update(sp.Min(N, N + k, evaluate=False)), update(N), evaluate=False)
    d.step((early, late), rule="min(t + k, t) = t and min(N, N + k) = N", using=[], label="the two regimes")
    d.statement((early, late))


@min_equals_average.witness("exact")
def _min_vs_average(w):
    """Run the min(N, t) update (N = 5), the 1/t update and the 1/N running average exactly on the same random
    inputs: the statement's first relation at t <= N (updates evaluated at the min-average's own previous
    value), its second at t >= N; and the min-average equals the plain average for t <= N."""
    N = 5
    xs = [Fraction(int(v), 2) for v in w.rng.integers(-10, 11, size=15)]
    mins = run_average(xs, lambda t: Fraction(1, min(N, t)))
    S = w.S
    early, late = w.statement
    obs = []
    for t in range(1, len(xs) + 1):
        # one step of each update from the min-average's previous value, as the statement compares them
        vals = {S["mu^_{t-1}"]: mins[t - 1], S.x_t: xs[t - 1]}
        if t <= N:
            obs.append(w.exact({**vals, S.t: t, S.k: N - t}, relation=early, method="one step of each update"))
            obs.append(w.observe(mins[t] == sum(xs[:t]) / t, f"t = {t}: min-average {mins[t]} vs plain average "
                                 f"{sum(xs[:t]) / t}", method="the min(N, t) update iterated exactly"))
        if t >= N:
            obs.append(w.exact({**vals, S.N: N, S.k: t - N}, relation=late, method="one step of each update"))
    return obs
