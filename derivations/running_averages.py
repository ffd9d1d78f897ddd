"""Running averages mu_t = (1 - 1/N) mu_{t-1} + (1/N) x_t: the variance of the average and its limit
(with the lemma on weighted sums of independent variables), the explicit weighted sum of the inputs, the
sum of the weights, and the window of the N most recent values. Encodes Problem 1 (a), (b) of the SGD
problems (000) and the SGD slides (003) "Digression on Running Averages" and "Running Averages" (two
errata, each beside its correction). Bias correction is in ``bias_correction``, momentum as a running
average in ``momentum``, and the memory of an average of stochastic gradients (week 5) in
``gradient_averaging``.
"""
from fractions import Fraction

import numpy as np
import sympy as sp

from derivations.bias_correction import limit_estimates, on_sequences, put_values
from proofs import E, Source, Var, claim
from proofs.sampling import free_atoms
from proofs.witness import nodes_as_symbols


# ==============================================================================================================
# Running averages: the variance of mu_t = (1 - 1/N) mu_{t-1} + x_t / N and its limit.

TOPIC = "running averages"
SGD_PROBLEMS = "000_e701d70adf034ba3.txt"


def simulate_running_average_variance(w, N=4, var_x=2.0, T=40, R=None, trace=None):
    """Run R independent running averages over skewed iid inputs; estimate Var(mu_T).

    Inputs are shifted exponentials (skewed, kurtosis 9), so the standard error must
    use the fourth moment. T = 40 makes (1 - 1/N)^(2T) < 1e-9 for N = 4: the limit to well below the SE.
    ``trace``: a list to which the sample variance of mu_t over the R runs is appended for t = 0..T.
    """
    from proofs.stats import sample_size_variance, variance_se
    R = R or sample_size_variance(0.05, kurtosis=9.0, alpha=w.alpha)
    x = w.rng.exponential(np.sqrt(var_x), size=(T, R)) + 1.0
    mu = np.zeros(R)
    if trace is not None:
        trace.append(0.0)
    for t in range(T):
        mu = (1 - 1 / N) * mu + x[t] / N
        if trace is not None:
            trace.append(float(mu.var(ddof=1)))
    est, se = variance_se(mu)
    return est, se, R


def variance_estimates(rel, draw, at: dict):
    """Each outermost ``Var(X)`` of the statement replaced by a symbol estimated by the sample variance of ``X``
    itself (whatever the statement writes inside Var, with ``at`` put in and finite sums expanded) over independent
    draws of the random atoms it names (``draw(atom)``: an array of R samples, the same array for the same atom),
    with its delta-method SE. Returns (relation(s), {symbol: estimate}, {symbol: SE}, R)."""
    from proofs.stats import variance_se
    relation, found = nodes_as_symbols(rel, Var, "Var")
    cache, means, ses, R = {}, {}, {}, 0
    for sym, node in found.items():
        inner = put_values(node.args[0], at, {})
        atoms = sorted(free_atoms(inner), key=str)
        if not atoms:                               # nothing random inside: the variance is 0 exactly
            means[sym], ses[sym] = 0.0, 0.0
            continue
        for a in atoms:
            if a not in cache:
                cache[a] = np.asarray(draw(a), dtype=float)
        f = sp.lambdify(atoms, inner, modules="numpy")
        R = len(cache[atoms[0]]) if atoms else 0
        vals = np.broadcast_to(np.asarray(f(*(cache[a] for a in atoms)), dtype=float), (max(R, 2),))
        means[sym], ses[sym] = variance_se(vals)
    return relation, means, ses, R


@claim(id="running_average.variance_limit",
       title="Limit of the variance of a running average",
       source=Source(SGD_PROBLEMS, "Problem 1 (a)"),
       statement=r"$\sigma_{\hat{\mu},\infty}^2 = \frac{1}{\left(2 - \frac{1}{N}\right) N} \sigma_x^2$")
def variance_limit(d):
    N = d.symbol("N", integer=True, positive=True)
    s2 = d.symbol("sigma_x^2", positive=True)
    V = d.symbol("sigma^2_mu_inf", positive=True)
    d.unknowns(V)
    d.given(sp.Eq(V, (1 - 1 / N) ** 2 * V + s2 / N ** 2),
            why=r"the limit must satisfy the variance recursion (lemma, $x_t$ independent of $\mu_{t-1}$)")
    d.step(sp.Eq(V, (1 - 2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="expand the square")
    d.step(sp.Eq(0, (-2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="subtract the left side")
    d.step(sp.Eq(0, (-2 + 1 / N) * V + s2 / N), rule="multiply by $N$")
    d.step(sp.Eq(V, s2 / ((2 - 1 / N) * N)), rule=r"solve for $\sigma^2$")
    d.statement(sp.Eq(V, s2 / ((2 - 1 / N) * N)))


@variance_limit.witness("monte-carlo")
def _variance_limit_simulation(w):
    trace = []
    est, se, R = simulate_running_average_variance(w, N=4, var_x=2.0, trace=trace)
    obs = w.estimate({w.S["sigma^2_mu_inf"]: est}, {w.S["sigma^2_mu_inf"]: se},
                     at={w.S.N: 4, w.S["sigma_x^2"]: 2}, n=R,
                     method="running averages of iid shifted-exponential inputs, t = 40")
    try:                            # the statement's limit at N = 4, sigma_x^2 = 2 (a variant's may not be a number)
        limit = float(w.value(w.statement.rhs, {w.S.N: 4, w.S["sigma_x^2"]: 2}))
    except (TypeError, ValueError):
        limit = None
    fig = w.figure("Variance of the running average converging to its limit", xlabel="step $t$",
                   ylabel=r"$\mathrm{Var}(\mu_t)$",
                   caption=rf"The running average $\mu_t = (1 - 1/N)\,\mu_{{t-1}} + x_t/N$, $\mu_0 = 0$, with "
                           rf"$N = 4$, run {R} times on iid shifted-exponential inputs with $\sigma_x^2 = 2$: the "
                           rf"sample variance of $\mu_t$ over the runs at each step (the witness tests $t = 40$). The "
                           rf"horizontal line is the limit the statement claims at these values, a reference.")
    fig.line(range(len(trace)), trace, label=f"measured over {R} runs", style="points")
    if limit is not None:
        fig.hline(limit, label=f"claimed limit (reference): {limit:.4g}")
    return obs


@claim(id="running_average.variance_limit_N1",
       title=r"Sanity check: for $N = 1$ the limit variance is $\sigma_x^2$",
       source=Source(SGD_PROBLEMS, "Problem 1 (a), sanity check"),
       statement=r"for $N=1$ we have $\sigma_{\hat{\mu},\infty}^2=\sigma_x^2$")
def variance_limit_N1(d):
    N = d.symbol("N", integer=True, positive=True)
    s2 = d.symbol("sigma_x^2", positive=True)
    V = d.symbol("sigma^2_mu_inf", positive=True)
    d.given(sp.Eq(V, s2 / ((2 - 1 / N) * N)), why="the result of Problem 1 (a)")
    (d.chain(sp.Subs(s2 / ((2 - 1 / N) * N), N, 1))
     .eq(s2 / sp.Mul(2 - 1, 1, evaluate=False), rule="set $N = 1$")
     .eq(s2, rule="arithmetic"))
    d.statement(sp.Eq(sp.Subs(s2 / ((2 - 1 / N) * N), N, 1), s2))


@variance_limit_N1.witness("monte-carlo")
def _n1_simulation(w):
    """With N = 1 the running average is the last input; its variance is measured by simulation (inputs of
    variance sigma_x^2 = 2) and compared with the statement's left side (the limit formula at N = 1); the statement
    itself is evaluated at the inputs' variance, both sides as written."""
    s2 = w.S["sigma_x^2"]
    est, se, R = simulate_running_average_variance(w, N=1, var_x=2.0, T=5)
    V = sp.Symbol("Var(mu_t), N = 1")
    method = "running average with N = 1 (mu_t = x_t), iid shifted exponentials"
    at = {s2: 2}
    return [w.exact(at, relation=on_sequences(w.statement, at, {}),
                    method="the statement at the inputs' variance sigma_x^2 = 2"),
            w.estimate({V: est}, {V: se}, relation=sp.Eq(V, put_values(w.statement.lhs, at, {})), n=R, share=2,
                       method=method),
            w.estimate({V: est}, {V: se}, relation=sp.Eq(V, put_values(w.statement.rhs, at, {})), n=R, share=2,
                       method=method)]


@claim(id="running_average.window_average_variance",
       title="Variance of the plain average of $N$ iid values",
       source=Source(SGD_PROBLEMS, "Problem 1 (b)"),
       statement=r"For an average of N we have $\sigma_{\hat{\mu}}^2 = \sigma_x^2/N$")
def window_average_variance(d):
    N = d.symbol("N", integer=True, positive=True)
    s2 = d.symbol("sigma_x^2", positive=True)
    m = d.symbol("m", real=True)
    t = d.symbol("t", integer=True, positive=True)
    x = d.indexed("x")
    d.random.family(x, mean=m, cov=s2)
    d.chain(Var(sp.Sum(x[t], (t, 1, N)) / N)).eq(s2 / N, rule="independence: variances of iid terms add")
    d.statement(sp.Eq(Var(sp.Sum(x[t], (t, 1, N)) / N), s2 / N))


def simulate_window_average_variance(w, N, var_x=2.0, R=None):
    from proofs.stats import sample_size_variance, variance_se
    R = R or sample_size_variance(0.05, kurtosis=9.0, alpha=w.alpha)
    x = w.rng.exponential(np.sqrt(var_x), size=(N, R)) + 1.0
    est, se = variance_se(x.mean(axis=0))
    return est, se, R


@window_average_variance.witness("monte-carlo")
def _window_simulation(w):
    """Independent draws of iid shifted-exponential x_t (variance 2; any index the statement names, each its own
    draw); the variance of what the statement writes inside Var(...) at N = 8 is estimated from them and the
    statement compared as written."""
    from proofs.stats import sample_size_variance
    N = 8
    R = sample_size_variance(0.05, kurtosis=9.0, alpha=w.alpha)
    rel, means, ses, n = variance_estimates(w.statement, lambda a: w.rng.exponential(np.sqrt(2.0), R) + 1.0,
                                            {w.S.N: N, w.S["sigma_x^2"]: 2})
    return w.estimate(means, ses, relation=rel, at={w.S.N: N, w.S["sigma_x^2"]: 2}, n=R,
                      method=f"averages of N = {N} iid shifted-exponential values")


@claim(id="running_average.half_of_window",
       title="For large $N$ the running average's variance is about half the window average's",
       source=Source(SGD_PROBLEMS, "Problem 1 (b)"),
       statement="For N large we have that the answer to part (a) is about half as large",
       reading=r"$\lim_{N \to \infty} \frac{\sigma_x^2 / ((2 - 1/N) N)}{\sigma_x^2 / N} = \frac{1}{2}$ (the ratio "
               "is $N / (2N - 1)$)")
def half_of_window(d):
    N = d.symbol("N", integer=True, positive=True)
    s2 = d.symbol("sigma_x^2", positive=True)
    ratio = (s2 / ((2 - 1 / N) * N)) / (s2 / N)
    (d.chain(sp.Limit(ratio, N, sp.oo))
     .eq(sp.Limit(N / (2 * N - 1), N, sp.oo), rule=r"cancel $\sigma_x^2 / N$")
     .eq(sp.Rational(1, 2), rule="limit"))
    d.statement(sp.Eq(sp.Limit(ratio, N, sp.oo), sp.Rational(1, 2)))


@half_of_window.witness("monte-carlo")
def _ratio_extrapolated(w):
    """Measure both variances by simulation at N = 8 and 16; extrapolate the ratio (error ~ 1/N) to N -> oo.

    Sized to detect a 10% error in the limit; the extrapolation's own bias at these N is ~1e-3.
    """
    from proofs.stats import sample_size_variance
    R = sample_size_variance(0.10, kurtosis=9.0, alpha=w.alpha)
    ratios, ses = [], []
    for N in (8, 16):
        a, sa, _ = simulate_running_average_variance(w, N=N, T=12 * N, R=R)
        b, sb, _ = simulate_window_average_variance(w, N, R=R)
        ratios.append(a / b)
        ses.append(a / b * np.hypot(sa / a, sb / b))
    limit_est = 2 * ratios[1] - ratios[0]
    se = float(np.hypot(2 * ses[1], ses[0]))
    L = sp.Symbol("ratio_limit")
    obs = [w.estimate({L: limit_est}, {L: se}, relation=sp.Eq(L, w.statement.rhs), n=R,
                      method="simulated variances at N = 8, 16; Richardson extrapolation 2 r(16) - r(8)")]
    # the statement itself: the body of its limit at the inputs' variance and N = 8, 16, 32, extrapolated
    rel, vals, errs, problem = limit_estimates(w, w.statement, "N", sp.oo, "-",
                                               [{"N": N, "sigma_x^2": 2} for N in (8, 16, 32)])
    if problem:
        obs.append(w.observe(False, problem, method="limit N -> oo"))
    else:
        obs.append(w.close(vals, {k: v + 1e-9 for k, v in errs.items()}, relation=rel, k=10,
                           method="the limit's body at N = 8, 16, 32, sigma_x^2 = 2; Richardson in 1/N", n=3))
    return obs


@claim(id="running_average.weighted_sum_lemma",
       title="Variance of a weighted sum of independent variables",
       source=Source(SGD_PROBLEMS, "Problem 1, lemma"),
       statement=r"$\sigma_s^2 = a^2 \sigma_x^2 + b^2 \sigma_y^2$ for $s = ax + by$, $x$ and $y$ independent")
def weighted_sum_lemma(d):
    a, b, mx, my = d.symbols("a b mu_x mu_y", real=True)
    sx2, sy2 = d.symbols("sigma_x^2 sigma_y^2", positive=True)
    x = d.random.scalar("x", mean=mx, var=sx2)
    y = d.random.scalar("y", mean=my, var=sy2)
    (d.chain(Var(a * x + b * y))
     .eq(E((a * (x - mx) + b * (y - my)) ** 2), rule="definition of the variance")
     .eq(a ** 2 * E((x - mx) ** 2) + 2 * a * b * E((x - mx) * (y - my)) + b ** 2 * E((y - my) ** 2),
         rule="expand the square, linearity")
     .eq(a ** 2 * sx2 + b ** 2 * sy2, rule="independence: the cross term vanishes"))
    d.statement(sp.Eq(Var(a * x + b * y), a ** 2 * sx2 + b ** 2 * sy2))


@weighted_sum_lemma.witness("monte-carlo")
def _weighted_sum_simulation(w):
    """Independent exponential x (variance 1) and y (variance 4); the variance of what the statement writes inside
    Var(...) at a = 3/2, b = -1/2 is estimated from the draws and the statement compared as written."""
    from proofs.stats import sample_size_variance
    R = sample_size_variance(0.05, kurtosis=9.0, alpha=w.alpha)
    S = w.S
    draws = {"x": lambda: w.rng.exponential(1.0, R), "y": lambda: w.rng.exponential(2.0, R)}
    at = {S.a: sp.Rational(3, 2), S.b: -sp.Rational(1, 2), S["sigma_x^2"]: 1, S["sigma_y^2"]: 4, S.mu_x: 1,
          S.mu_y: 2}
    rel, means, ses, n = variance_estimates(w.statement, lambda a: draws[str(a)](), at)
    return w.estimate(means, ses, relation=rel, at=at, n=R, method="independent exponential x, y")


# ==============================================================================================================
# Running averages on the SGD slides ("Digression on Running Averages", "Running Averages").
#
# mu_0 = 0, mu_t = (1 - 1/N) mu_{t-1} + (1/N) x_t. The slide "Running Averages" states
#
#     mu_t = (1/N) sum_{1 <= s <= t} (1 - 1/N)^{-(t-s)} x_s,     sum_{n >= 0} (1 - 1/N)^{-n} = N.
#
# Both exponents have the wrong sign: the recurrence multiplies older inputs by (1 - 1/N) < 1 at every
# step, so the weight of x_s is (1/N)(1 - 1/N)^{t-s}, and sum_{n >= 0} (1 - 1/N)^n = N; the printed
# series has terms >= 1 and diverges for N > 1. Both are encoded as printed (refuted) with corrections.
#
# Symbols: rho = 1 - 1/N in (0, 1) is the bounded symbol (N := 1/(1 - rho), so N > 1 real; the
# witnesses use integer N). The closed forms are proved by induction on t: a sum over 1 <= s <= t is
# split into the sum up to t - 1 and the one-term sum s = t (SymPy merges adjacent ranges).
#
# Formerly derivations/running_average_slides.py.

SLIDES = "003_1009e14fdb7b0e79.txt"
RUNNING = 'slide "Running Averages"'
DIGRESSION = 'slide "Digression on Running Averages"'


def iterate_running_average(N, xs, mu0=Fraction(0)):
    """The process: mu_t = (1 - 1/N) mu_{t-1} + x_t / N, exactly in rationals. Returns mu_0..mu_T."""
    mus = [Fraction(mu0)]
    for x in xs:
        mus.append((1 - Fraction(1, N)) * mus[-1] + Fraction(x) / N)
    return mus


def expand_sums(expr):
    """Write out every Sum whose limits are numbers as an explicit Add (innermost first; much faster than
    Sum.doit, which tries closed forms first). Relations are rebuilt unevaluated (evaluating an Eq of
    large expressions runs SymPy's assumption system)."""
    if isinstance(expr, sp.core.relational.Relational):
        return expr.func(expand_sums(expr.lhs), expand_sums(expr.rhs), evaluate=False)
    if not expr.has(sp.Sum):
        return expr
    args = [expand_sums(a) for a in expr.args]
    node = expr.func(*args) if args != list(expr.args) else expr
    if isinstance(node, sp.Sum) and len(node.limits) == 1:
        var, lo, hi = node.limits[0]
        if lo.is_Integer and hi.is_Integer:
            return sp.Add(*[node.function.xreplace({var: k}) for k in range(int(lo), int(hi) + 1)])
    return node


def _rho_and_N(d):
    rho = d.symbol("rho", bounds=(0, 1))
    N = d.symbol("N", positive=True)
    d.define(N, 1 / (1 - rho), why=r"$\rho = 1 - 1/N$, $0 < \rho < 1$ ($N > 1$)")
    return rho, N


# ------------------------------------------------------------------------------------------------
# The explicit sum
# ------------------------------------------------------------------------------------------------
def _explicit_sum(d, sign, *, full_chain):
    """mu_t = (1/N) sum_{s=1}^t (1 - 1/N)^{sign (t - s)} x_s, by induction on t from t = 1 (mu_1 from mu_0 = 0)."""
    rho, N = _rho_and_N(d)
    t = d.symbol("t", integer=True, positive=True)
    s = d.symbol("s", integer=True, positive=True)
    x = d.indexed("x")
    # the sequence mu_t as mu(t), so P(t - 1) is P with t -> t - 1 (a function rather than indexed entries mu[t]:
    # with entries the erratum's counterexample also lists values of mu[2] that break the update)
    mu = d.function("mu", real=True)

    def term(k):
        return (1 - 1 / N) ** (sign * (k - s)) * x[s]

    def F(k):
        return sp.Sum(term(k), (s, 1, k)) / N

    d.given(sp.Eq(mu(0), 0), why=r"$\mu_0 = 0$", label="mu_0 = 0")
    upd = d.given(sp.Eq(mu(t), (1 - 1 / N) * mu(t - 1) + x[t] / N), why="the running-average update",
                  label="update")
    P = sp.Eq(mu(t), F(t))
    with d.induction(P, on=t, base=1) as ind:
        ch = (d.chain(mu(t), using=[upd])
              .eq((1 - 1 / N) * mu(t - 1) + x[t] / N, rule="the update")
              .eq((1 - 1 / N) * F(t - 1) + x[t] / N, rule="induction hypothesis", using=[ind.hypothesis]))
        if full_chain:
            (ch.eq((sp.Sum((1 - 1 / N) * term(t - 1), (s, 1, t - 1)) + x[t]) / N,
                   rule="move $1 - 1/N$ into the sum")
             .eq((sp.Sum(term(t), (s, 1, t - 1)) + sp.Sum(term(t), (s, t, t))) / N,
                 rule="$(1 - 1/N)(1 - 1/N)^{t-1-s} = (1 - 1/N)^{t-s}$; $x_t$ is the $s = t$ term (weight "
                      "$(1 - 1/N)^0$)")
             .eq(F(t), rule=r"join the ranges $1, \ldots, t-1$ and $t$", label="explicit sum"))
        else:
            ch.eq(F(t), rule="the slide's explicit sum", label="explicit sum")
    d.statement(P)


@claim(id="running_average.explicit_sum",
       title=r"$\hat{\mu}_t = \frac{1}{N} \sum_{s} (1 - \frac{1}{N})^{-(t-s)} x_s$ (exponent sign flipped)",
       source=Source(SLIDES, RUNNING + ", 'gives'"), expected="refuted",
       statement=r"$\hat{\mu}_t = \frac{1}{N} \sum_{1 \leq s \leq t} \left(1 - \frac{1}{N}\right)^{-(t-s)} x_s$")
def explicit_sum(d):
    d.note("The slide states the closed form without a derivation; it is checked as the induction step "
           "$(1 - 1/N) F(t-1) + x_t/N = F(t)$ of the recurrence, which fails already at $t = 2$.")
    _explicit_sum(d, -1, full_chain=False)


@claim(id="running_average.explicit_sum.corrected",
       title=r"$\hat{\mu}_t = \frac{1}{N} \sum_{s} (1 - \frac{1}{N})^{t-s} x_s$",
       source=Source(SLIDES, RUNNING + ", 'gives' (corrected exponent)"),
       corrects="running_average.explicit_sum",
       statement=r"$\hat{\mu}_t = \frac{1}{N} \sum_{1 \leq s \leq t} \left(1 - \frac{1}{N}\right)^{t-s} x_s$")
def explicit_sum_corrected(d):
    _explicit_sum(d, 1, full_chain=True)


def _explicit_sum_iterates(w):
    """Iterate the recurrence exactly on random rational inputs (N = 4); the statement at t = 1..10 with every
    entry it names given the process's value: mu(k) the iterate, x[k] the input at k (inputs before the start,
    k <= 0, are further random values of the stream that the average, started at mu_0 = 0, never sees)."""
    N = 4
    xs = [Fraction(int(k), 5) for k in w.rng.integers(-20, 21, size=10)]
    before = [Fraction(int(k), 5) for k in w.rng.integers(-20, 21, size=20)]     # x_0, x_-1, ..., x_-19
    mus = iterate_running_average(N, xs)

    def x(k):
        if k > len(xs) or k <= -len(before):
            raise ValueError(f"the process has no input x_{k}")
        return xs[k - 1] if k >= 1 else before[-k]

    method = "iterate the recurrence exactly (N = 4, random rational inputs)"
    for T in range(1, len(xs) + 1):
        at = {sp.Symbol("t"): T, sp.Symbol("N"): N}
        rel = expand_sums(on_sequences(expand_sums(w.statement.xreplace({w.S.t: T}) if "t" in w.S else w.statement),
                                       at, {"mu": mus, "x": x}))
        o = w.exact(at, relation=rel)
        if not o.holds:
            return w.observe(False, f"fails first at t = {T}: {o.detail}", method=method, n=T)
    return w.observe(True, f"statement holds at t = 1..{len(xs)}", method=method, n=len(xs))


explicit_sum.add_witness(_explicit_sum_iterates, kind="exact", name="iterate_recurrence")
explicit_sum_corrected.add_witness(_explicit_sum_iterates, kind="exact", name="iterate_recurrence")


# ------------------------------------------------------------------------------------------------
# The series of weights
# ------------------------------------------------------------------------------------------------
@claim(id="running_average.weights_series",
       title=r"$\sum_{n \geq 0} (1 - \frac{1}{N})^{-n} = N$ (the series diverges for $N > 1$)",
       source=Source(SLIDES, RUNNING + ", 'where we have'"), expected="refuted",
       statement=r"$\sum_{n \geq 0} \left(1 - \frac{1}{N}\right)^{-n} = N$",
       reading="a series of positive terms can sum to $N$ only if every partial sum is at most $N$; checked: "
               r"$\sum_{n=0}^{M} (1 - \frac{1}{N})^{-n} \leq N$ for every integer $M \geq 0$ ($N > 1$)")
def weights_series(d):
    rho, N = _rho_and_N(d)
    n = d.symbol("n", integer=True, nonnegative=True)
    M = d.symbol("M", integer=True, nonnegative=True)
    partial = sp.Sum((1 - 1 / N) ** (-n), (n, 0, M))
    d.step(sp.Le(partial, N), rule="each partial sum of a series of positive terms is at most its sum", using=[],
           label="partial sums <= N")
    d.statement(sp.Le(partial, N))


@weights_series.witness("exact")
def _series_partial_sums(w):
    """Partial sums of the statement's series at N = 4, M = 0..8, exact; each compared with the statement."""
    N = 4
    (S,) = [a for a in w.statement.atoms(sp.Sum)]
    term, (n, lo, hi) = S.function, S.limits[0]
    total, bad = Fraction(0), []
    for M in range(0, 9):
        v = term.xreplace({n: M, w.S.N: N})
        total += Fraction(int(sp.numer(v)), int(sp.denom(v)))
        if not bool(w.statement.xreplace({S: sp.Rational(total.numerator, total.denominator), w.S.N: N})):
            bad.append((M, total))
    return w.observe(not bad, "all partial sums satisfy the statement" if not bad else
                     f"N = 4: partial sum up to M = {bad[0][0]} is {bad[0][1]} = {float(bad[0][1]):.4g}: the "
                     f"statement fails", method="partial sums in exact rationals", n=9)


@claim(id="running_average.weights_series.corrected",
       title=r"$\sum_{n \geq 0} (1 - \frac{1}{N})^{n} = N$ (the weights of the running average sum to 1)",
       source=Source(SLIDES, RUNNING + ", 'where we have' (corrected exponent)"),
       corrects="running_average.weights_series",
       statement=r"$\sum_{n \geq 0} \left(1 - \frac{1}{N}\right)^{n} = N$",
       reading=r"the partial sums $G_M = \sum_{n=0}^{M} (1 - \frac{1}{N})^n$ equal $N (1 - (1 - "
               r"\frac{1}{N})^{M+1})$ and $\lim_{M \to \infty} G_M = N$ ($N > 1$)")
def weights_series_corrected(d):
    rho, N = _rho_and_N(d)
    M = d.symbol("M", integer=True, positive=True)
    G = d.indexed("G", real=True)
    r = 1 - 1 / N
    d.given(sp.Eq(G[0], 1), why="$G_0 = (1 - 1/N)^0 = 1$", label="def G_0")
    rec = d.given(sp.Eq(G[M], G[M - 1] + r ** M), why="$G_M = G_{M-1} + (1 - 1/N)^M$ (definition of a partial sum)",
                  label="def G_M", for_all=M)
    P = sp.Eq(G[M], N * (1 - r ** (M + 1)))
    with d.induction(P, on=M, base=1, label="partial sums") as ind:
        (d.chain(G[M], using=[rec])
         .eq(G[M - 1] + r ** M, rule="definition of $G_M$")
         .eq(N * (1 - r ** M) + r ** M, rule="induction hypothesis", using=[ind.hypothesis])
         .eq(N * (1 - r ** (M + 1)), rule="$N (1 - 1/N) = N - 1$", label="geometric sum"))
    d.step(sp.Eq(sp.Limit(G[M], M, sp.oo), N), rule=r"$(1 - 1/N)^{M+1} \to 0$ since "
                                                    "$0 < 1 - 1/N < 1$", using=[ind.fact],
           label="limit")
    d.statement(sp.Eq(sp.Limit(G[M], M, sp.oo), N))


@weights_series_corrected.witness("exact")
def _weights_sum(w):
    """The weights of the running average, measured by running it: with constant input 1 from mu_0 = 0,
    mu_{M+1} is the sum of the first M+1 weights (1/N) G_M, so G_M = N mu_{M+1}. At N = 4 and N = 7 the body of
    the statement's limit (M -> oo) is evaluated with these measured G_M at M = 100, 200, 400, extrapolated, and
    the statement compared as written."""
    obs = []
    for N in (4, 7):
        mus = iterate_running_average(N, [1] * 401)
        G = [N * m for m in mus[1:]]
        rel, vals, errs, problem = limit_estimates(w, w.statement, "M", sp.oo, "-",
                                                   [{"M": M, "N": N} for M in (100, 200, 400)], seqs={"G": G})
        if problem:
            obs.append(w.observe(False, problem, method="limit M -> oo"))
            continue
        obs.append(w.close(vals, {k: v + 1e-12 for k, v in errs.items()}, relation=on_sequences(rel, {"N": N}, {}),
                           k=10, floor=1e-12, n=400,
                           method=f"N = {N}: N * mu_(M+1) for constant input 1 (exact rationals), M = 100, 200, 400"))
    return obs


# ------------------------------------------------------------------------------------------------
# Digression: the running average approximates the window average
# ------------------------------------------------------------------------------------------------
@claim(id="running_average.window_approximation",
       title="The running average approximates the average of the $N$ most recent values (constant input)",
       source=Source(SLIDES, DIGRESSION),
       statement=r"$\tilde{\mu} = \frac{1}{N} \sum_{s=t-N+1}^t x_s$ ... $\hat{\mu}_t \approx \tilde{\mu}_t \quad t "
                 "> N$",
       reading=r"for a constant input $x_s = c$: $\tilde{\mu}_t = c$ ($t \geq N$) and $\hat{\mu}_t - \tilde{\mu}_t "
               r"= -(1 - \frac{1}{N})^t c$, so $\lim_{t \to \infty} (\hat{\mu}_t - \tilde{\mu}_t) = 0$ (the gap is "
               r"at most $e^{-t/N} |c|$; at $t = N$ it is still about $e^{-1} |c|$, so $\approx$ needs $t \gg N$ "
               "rather than $t > N$)")
def window_approximation(d):
    rho, N = _rho_and_N(d)
    t = d.symbol("t", integer=True, positive=True)
    s = d.symbol("s", integer=True)
    c = d.symbol("c", real=True)
    mh = d.indexed("mu^", real=True)
    mt = d.symbol("mu~_t", real=True)
    r = 1 - 1 / N
    d.note("For non-constant inputs the two averages differ: the running average weights $x_{t-n}$ by "
           r"$\frac{1}{N}(1 - 1/N)^n$ (mean lag $N - 1$, limit variance $\sigma^2/(2N - 1)$), the window uniformly "
           r"(mean lag $(N - 1)/2$, variance $\sigma^2/N$); the precise statement is taken for a constant input.")
    d.given(sp.Eq(mh[0], 0), why=r"$\hat{\mu}_0 = 0$", label="mu^_0 = 0")
    upd = d.given(sp.Eq(mh[t], r * mh[t - 1] + c / N), why="the update with $x_t = c$", label="update", for_all=t)
    win = d.given(sp.Eq(mt, sp.Sum(c, (s, t - N + 1, t)) / N), why="the window average with $x_s = c$",
                  label="window average")
    with d.induction(sp.Eq(mh[t], (1 - r ** t) * c), on=t, base=1, label="closed form") as ind:
        (d.chain(mh[t], using=[upd])
         .eq(r * mh[t - 1] + c / N, rule="the update")
         .eq(r * (1 - r ** (t - 1)) * c + c / N, rule="induction hypothesis", using=[ind.hypothesis])
         .eq((1 - r ** t) * c, rule="$(1 - 1/N) + 1/N = 1$", label="mu^_t for constant input"))
    closed = ind.fact
    w_c = d.step(sp.Eq(mt, c), rule="$N$ copies of $c$, divided by $N$", using=[win], label="window of a constant")
    d.step((sp.Eq(mh[t] - mt, -r ** t * c), sp.Eq(sp.Limit(mh[t] - mt, t, sp.oo), 0)),
           rule=r"subtract; $(1 - 1/N)^t \to 0$ since $0 < 1 - 1/N < 1$", using=[closed, w_c], label="gap")
    d.statement((sp.Eq(mh[t] - mt, -r ** t * c), sp.Eq(sp.Limit(mh[t] - mt, t, sp.oo), 0)))


@window_approximation.witness("exact")
def _window_vs_running(w):
    """Constant input c = 5/2, N = 4: the running average iterated exactly and the window average of the
    last N inputs of the same stream; the statement's gap at t = N, N+1, 2N, 5N, and its limit (measured at
    t = 400, error bound from t = 200)."""
    S = w.S
    N, c = 4, Fraction(5, 2)
    xs = [c] * 400
    mus = iterate_running_average(N, xs)

    def window(t):
        return sum(xs[t - N:t]) / N

    rels = w.statement if isinstance(w.statement, tuple) else (w.statement,)
    plain = tuple(r for r in rels if not r.has(sp.Limit))
    limits = tuple(r for r in rels if r.has(sp.Limit))
    seqs = {"mu^": mus}
    obs = []
    for t in (N, N + 1, 2 * N, 5 * N):
        at = {"t": t, "N": N, "c": c, "mu~_t": window(t)}
        if plain:
            obs.append(w.exact({sp.Symbol(k): v for k, v in at.items()}, relation=on_sequences(plain, at, seqs),
                               method="iterate the running average; window average of the same stream"))
    if limits:
        rel, vals, errs, problem = limit_estimates(
            w, limits, "t", sp.oo, "-", [{"t": t, "N": N, "c": c, "mu~_t": window(t)} for t in (100, 200, 400)],
            seqs=seqs)
        if problem:
            obs.append(w.observe(False, problem, method="limit t -> oo"))
        else:
            obs.append(w.close(vals, {k: v + 1e-15 for k, v in errs.items()},
                               relation=on_sequences(rel, {"N": N, "c": c}, seqs), floor=1e-15,
                               method="the limit's body at t = 100, 200, 400 (iterates and window averages)", n=400))
    return obs
