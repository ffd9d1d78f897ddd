"""Running averages: the variance of mu_t = (1 - 1/N) mu_{t-1} + x_t / N and its limit."""
import numpy as np
import sympy as sp

from proofs import Source, claim

TOPIC = "running averages"
SGD_PROBLEMS = "000_e701d70adf034ba3.txt"


def simulate_running_average_variance(w, N=4, var_x=2.0, T=60, R=None):
    """Run R independent running averages over skewed iid inputs; estimate Var(mu_T).

    Inputs are shifted exponentials (skewed, kurtosis 9), so the standard error must
    use the fourth moment. T = 60 makes (1 - 1/N)^(2T) < 1e-14, i.e. the limit.
    """
    from proofs.stats import sample_size_variance, variance_se
    R = R or sample_size_variance(0.05, kurtosis=9.0, alpha=w.alpha)
    x = w.rng.exponential(np.sqrt(var_x), size=(T, R)) + 1.0
    mu = np.zeros(R)
    for t in range(T):
        mu = (1 - 1 / N) * mu + x[t] / N
    est, se = variance_se(mu)
    return est, se, R


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
    est, se, R = simulate_running_average_variance(w, N=4, var_x=2.0)
    return w.estimate({w.S["sigma^2_mu_inf"]: est}, {w.S["sigma^2_mu_inf"]: se},
                      at={w.S.N: 4, w.S["sigma_x^2"]: 2}, n=R,
                      method="running averages of iid shifted-exponential inputs, t = 60")
