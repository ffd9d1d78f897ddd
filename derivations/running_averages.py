"""Running averages: the variance of mu_t = (1 - 1/N) mu_{t-1} + x_t / N and its limit."""
import numpy as np
import sympy as sp

from derivations.bias_correction import limit_estimates, on_sequences, put_values
from proofs import E, Source, Var, claim
from proofs.sampling import free_atoms
from proofs.witness import nodes_as_symbols

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
       statement=r"sigma^2_{mu,infty} = sigma_x^2 / ((2 - 1/N) N)")
def variance_limit(d):
    N = d.symbol("N", integer=True, positive=True)
    s2 = d.symbol("sigma_x^2", positive=True)
    V = d.symbol("sigma^2_mu_inf", positive=True)
    d.unknowns(V)
    d.given(sp.Eq(V, (1 - 1 / N) ** 2 * V + s2 / N ** 2),
            why="the limit must satisfy the variance recursion (lemma, x_t independent of mu_{t-1})")
    d.step(sp.Eq(V, (1 - 2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="expand the square")
    d.step(sp.Eq(0, (-2 / N + 1 / N ** 2) * V + s2 / N ** 2), rule="subtract the left side")
    d.step(sp.Eq(0, (-2 + 1 / N) * V + s2 / N), rule="multiply by N")
    d.step(sp.Eq(V, s2 / ((2 - 1 / N) * N)), rule="solve for sigma^2")
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
       title="Sanity check: for N = 1 the limit variance is sigma_x^2",
       source=Source(SGD_PROBLEMS, "Problem 1 (a), sanity check"),
       statement="for N = 1 we have sigma^2_{mu,infty} = sigma_x^2")
def variance_limit_N1(d):
    N = d.symbol("N", integer=True, positive=True)
    s2 = d.symbol("sigma_x^2", positive=True)
    V = d.symbol("sigma^2_mu_inf", positive=True)
    d.given(sp.Eq(V, s2 / ((2 - 1 / N) * N)), why="the result of Problem 1 (a)")
    (d.chain(sp.Subs(s2 / ((2 - 1 / N) * N), N, 1))
     .eq(s2 / sp.Mul(2 - 1, 1, evaluate=False), rule="set N = 1")
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
       title="Variance of the plain average of N iid values",
       source=Source(SGD_PROBLEMS, "Problem 1 (b)"),
       statement="For an average of N we have sigma_mu^2 = sigma_x^2 / N")
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
       title="For large N the running average's variance is about half the window average's",
       source=Source(SGD_PROBLEMS, "Problem 1 (b)"),
       statement="For N large we have that the answer to part (a) is about half as large",
       reading="lim_{N -> oo} [sigma_x^2 / ((2 - 1/N) N)] / [sigma_x^2 / N] = 1/2 (the ratio is N / (2N - 1))")
def half_of_window(d):
    N = d.symbol("N", integer=True, positive=True)
    s2 = d.symbol("sigma_x^2", positive=True)
    ratio = (s2 / ((2 - 1 / N) * N)) / (s2 / N)
    (d.chain(sp.Limit(ratio, N, sp.oo))
     .eq(sp.Limit(N / (2 * N - 1), N, sp.oo), rule="cancel sigma_x^2 / N")
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
       statement="sigma_s^2 = a^2 sigma_x^2 + b^2 sigma_y^2 for s = a x + b y, x and y independent")
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
