r"""RMSProp and Adam (slides "RMSProp", "Adam — Adaptive Momentum", "Bias Correction of Running Averages"
(second), "Adam (simplified)").

* RMSProp: s_t = (1 - 1/N_s) s_{t-1} + (1/N_s) ghat_t^2 and "s ~ E ghat^2 = g^2 + sigma^2": the identity
  is expectation algebra; the "~" is read as: the stationary mean of the running average s is E ghat^2.
* Adam's published bias correction m^_t = m_t / (1 - beta_1^t), beta_1 = 1 - 1/N, versus the simplified
  min(N, t) correction: the published one is itself a running average m^_t = (1 - 1/n_t) m^_{t-1} +
  (1/n_t) ghat_t with count n_t = N (1 - (1 - 1/N)^t) in place of min(t, N); both are unbiased at every t,
  n_1 = 1 = min(1, N), n_t -> t (= min(t, N)) as N -> oo for fixed t, and N - n_t = N (1 - 1/N)^t -> 0
  as t -> oo. That is the precise sense of "essentially the same effect".

Powers rho^t with a symbolic exponent: the engine cannot show 1 - rho^t != 0 for 0 < rho < 1 (engine
gap), so where a claim divides by 1 - rho^t the power is named by a bounded symbol p = rho^(t-1) in (0, 1)
(resp. q = rho^t), which is what it is for t >= 2 (t >= 1).
"""
from fractions import Fraction
from itertools import product

import numpy as np
import sympy as sp

from proofs import E, Source, claim
from proofs.witness import expectation_values, nodes_as_symbols

from derivations.bias_correction import LAW, law_mean, run_average

TOPIC = "adaptive methods"
SLIDES = "003_1009e14fdb7b0e79.txt"
RMSPROP = 'slide "RMSProp"'
PUBLISHED = ('slide "Bias Correction of Running Averages" (second), "The published version of Adam has a more '
             'obscure form of bias correction which yields essentially the same effect"')
ADAM_SIMPLIFIED = 'slide "Adam (simplified)"'

# per-example gradients of one coordinate i (a finite skewed population, sampled uniformly); g = 3/2 (g = 1 would
# hide g^2 -> g or g^3 in a statement)
GRAD_POPULATION = [Fraction(-3), Fraction(0), Fraction(2), Fraction(7)]


def published_adam_mean(xs, N):
    """Adam's published first moment with bias correction, exactly: m_t = beta1 m_{t-1} + (1 - beta1) x_t,
    m^_t = m_t / (1 - beta1^t), beta1 = 1 - 1/N, m_0 = 0. Returns m^_1..m^_T (index 0 unused: None)."""
    b1 = 1 - Fraction(1, N)
    m, out = Fraction(0), [None]
    for t, x in enumerate(xs, start=1):
        m = b1 * m + (1 - b1) * Fraction(x)
        out.append(m / (1 - b1 ** t))
    return out


def simplified_adam_mean(xs, N):
    """The slides' simplified Adam first moment: the min(t, N) running average. Returns mu_0..mu_T."""
    return run_average(xs, lambda t: Fraction(1, min(t, N)))


def impulse_count(estimator, N, t):
    """Effective count of an estimator at time t: 1 / (weight of the newest input), measured by running it on
    the impulse x_1 = .. = x_{t-1} = 0, x_t = 1."""
    out = estimator([0] * (t - 1) + [1], N)
    return 1 / out[t]


# ------------------------------------------------------------------------------------------------
# RMSProp
# ------------------------------------------------------------------------------------------------
@claim(id="rmsprop.second_moment",
       title="E ghat[i]^2 = g[i]^2 + sigma[i]^2",
       source=Source(SLIDES, RMSPROP + ", line 3"),
       statement=r"E ghat[i]^2 = g[i]^2 + sigma[i]^2",
       reading="g[i] = E ghat[i], sigma[i]^2 = Var ghat[i]")
def second_moment(d):
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    gh = d.random.scalar("ghat", mean=g, var=s2, real=True)
    (d.chain(E(gh ** 2))
     .eq(E((gh - g) ** 2) + 2 * g * E(gh) - g ** 2, rule="ghat^2 = (ghat - g)^2 + 2 g ghat - g^2, linearity")
     .eq(s2 + g ** 2, rule="Var ghat = sigma^2, E ghat = g"))
    d.statement(sp.Eq(E(gh ** 2), g ** 2 + s2))


@second_moment.witness("exact")
def _second_moment_population(w):
    """A finite population of per-example gradients: g = E ghat and sigma^2 = E (ghat - g)^2 by enumeration
    (exact); the statement's E(...) averaged over the population (whatever it writes inside), compared exactly."""
    K = len(GRAD_POPULATION)
    g = sum(GRAD_POPULATION) / K
    s2 = sum((v - g) ** 2 for v in GRAD_POPULATION) / K
    at = {w.S.g: g, w.S["sigma^2"]: s2}
    rel, vals = expectation_values(w.statement, [(Fraction(1, K), {w.random("ghat"): v}) for v in GRAD_POPULATION], at=at)
    return w.exact({**vals, **at}, relation=rel,
                   method=f"enumerate the population {list(map(str, GRAD_POPULATION))}")


@claim(id="rmsprop.tracks_second_moment",
       title="RMSProp's s[i] tracks E ghat[i]^2 = g[i]^2 + sigma[i]^2",
       source=Source(SLIDES, RMSPROP + ", 's[i] ~ E ghat[i]^2 = g[i]^2 + sigma[i]^2'"),
       statement=r"s_t[i] = (1 - 1/N_s) s_{t-1}[i] + (1/N_s) ghat_t[i]^2 ... s[i] ~ E ghat[i]^2 = g[i]^2 + sigma[i]^2",
       reading="for iid ghat_t[i] (mean g, variance sigma^2): the stationary mean s_inf of s (the fixed point of "
               "E s_t = (1 - 1/N_s) E s_{t-1} + (1/N_s) E ghat^2; E s_t -> s_inf geometrically) is "
               "s_inf = E ghat^2 = g^2 + sigma^2")
def tracks_second_moment(d):
    Ns = d.symbol("N_s", integer=True, positive=True)
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    gh = d.random.scalar("ghat", mean=g, var=s2, real=True)
    S = d.symbol("s_inf", real=True)
    d.unknowns(S)
    fp = d.given(sp.Eq(S, (1 - 1 / Ns) * S + E(gh ** 2) / Ns),
                 why="the stationary mean is a fixed point of the expected update (linearity; ghat_t iid)",
                 label="fixed point")
    d.step(sp.Eq(S, E(gh ** 2)), rule="solve for s_inf", using=[fp], label="s ~ E ghat^2")
    d.step(sp.Eq(S, g ** 2 + s2), rule="E ghat^2 = g^2 + sigma^2 (rmsprop.second_moment)", label="= g^2 + sigma^2")
    d.statement(sp.Eq(S, g ** 2 + s2))


@tracks_second_moment.witness("monte-carlo")
def _run_rmsprop(w):
    """R independent runs of RMSProp (N_s = 10, eta = 0.01, eps = 1e-8) on a linear loss with gradient
    g = 1/2 plus skewed noise (Exp(1) - 1: variance 1), 120 steps (the start-up bias (0.9)^120 = 3e-6 is far
    below the SE); E s_T estimated with its SE, R from a pilot's coefficient of variation (10% error)."""
    from proofs.stats import mean_se, sample_size
    Ns, g, T = 10, 0.5, 120

    def run(R):
        s = np.zeros(R)
        phi = np.zeros(R)
        for _ in range(T):
            gh = g + w.rng.exponential(1.0, R) - 1.0
            s = (1 - 1 / Ns) * s + gh ** 2 / Ns
            phi = phi - 0.01 / np.sqrt(s + 1e-8) * gh
        return s

    pilot = run(200)
    R = max(500, sample_size(0.10, w.alpha, 0.99, cv=pilot.std(ddof=1) / pilot.mean()))
    est, se = mean_se(run(R))
    S = w.S
    return w.estimate({S.s_inf: est}, {S.s_inf: se}, at={S.g: sp.Rational(1, 2), S["sigma^2"]: 1, S.N_s: Ns}, n=R,
                      method=f"{R} RMSProp runs, s after {T} steps")


@claim(id="rmsprop.noise_dominates",
       title="In RMSProp one should expect sigma[i] >> g[i]",
       source=Source(SLIDES, RMSPROP + ", last line"),
       statement=r"We should expect sigma[i] >> g[i].",
       expected="not checkable",
       not_checkable="an empirical expectation about gradient noise in deep networks; no model on the slide to "
                     "compute it in")
def noise_dominates(d):
    pass


def logistic_data(rng, n=400):
    """A non-separable binary classification set: x ~ N(0, I_4) plus a constant feature 1 (the bias), labels
    y ~ Bernoulli(sigmoid(x . (1, -2, 1/2, 0, 3/10)))."""
    X = np.hstack([rng.standard_normal((n, 4)), np.ones((n, 1))])
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-X @ np.array([1.0, -2.0, 0.5, 0.0, 0.3])))).astype(float)
    return X, y


def train_logistic(X, y, steps, lr=2.0):
    """Full-batch gradient descent on the mean logistic loss from w = 0. At every step (0..steps) records the
    training loss, the mean gradient g[i] and the standard deviation sigma[i] of the per-example gradients
    (p_j - y_j) x_j[i] over the n examples. Returns (losses, g, sigma) with shapes (steps+1,), (steps+1, d)."""
    w = np.zeros(X.shape[1])
    losses, gs, sigmas = [], [], []
    for s in range(steps + 1):
        z = X @ w
        p = 1.0 / (1.0 + np.exp(-z))
        losses.append(float(np.mean(np.logaddexp(0.0, z) - y * z)))
        G = (p - y)[:, None] * X                       # per-example gradients, one row per example
        gs.append(G.mean(axis=0))
        sigmas.append(G.std(axis=0, ddof=1))
        w = w - lr * gs[-1]
    return np.array(losses), np.array(gs), np.array(sigmas)


def noise_ratio_observation(w, *, steps=300, near=0.01):
    """Train logistic regression by full-batch GD for ``steps`` steps and observe min_i sigma[i] / |g[i]| >= 10
    from the first step at which the excess training loss is at most ``near`` x its initial value (1 = from
    the start) to the end; see :func:`_gradient_noise`."""
    X, y = logistic_data(w.rng)
    n, dim = X.shape
    losses, g, sigma = train_logistic(X, y, steps)
    with np.errstate(divide="ignore"):
        ratio = (sigma / np.abs(g)).min(axis=1)       # min over the coordinates i, per step
    excess = losses - losses.min()
    k = int(np.argmax(excess <= near * excess[0]))
    tail = ratio[k:]
    gnorm = float(np.abs(g[-1]).max())
    converged = gnorm < 1e-6                            # the minimum exists (non-separable) and was reached
    holds = bool(tail.min() >= 10.0)
    worst = k + int(tail.argmin())
    steps_shown = np.arange(0, steps + 1, max(1, steps // 100))
    fig = w.figure("Per-example gradient noise versus mean gradient (logistic regression)", xlabel="GD step",
                   ylabel="min_i sigma[i] / |g[i]|", yscale="log")
    fig.line(steps_shown, np.minimum(ratio[steps_shown], 1e15), label="min over coordinates")
    fig.hline(10, label="10")
    fig.vline(k, label=f"excess loss <= {near:g} x initial")
    return w.observe(holds, f"logistic regression, {dim} weights, n = {n} examples, {steps} full-batch GD steps "
                            f"(lr 2; final max_i |g[i]| = {gnorm:.2g}{'' if converged else ', NOT converged'}): "
                            f"from step {k} (excess training loss {excess[k]:.3g} <= {near:g} x initial "
                            f"{excess[0]:.3g}) on, "
                            f"min_i sigma[i] / |g[i]| >= {tail.min():.3g} (threshold 10; lowest at step {worst}); "
                            f"at step {k}: ratios per coordinate "
                            f"{', '.join(f'{v:.3g}' for v in sigma[k] / np.abs(g[k]))}; at the end {ratio[-1]:.3g}; "
                            f"at step 0: {ratio[0]:.3g}",
                     method="per-example gradients along full-batch GD", n=n, estimate=f"{tail.min():.3g}")


@noise_dominates.witness("simulation")
def _gradient_noise(w):
    """Train a model to near its minimum and compare the per-example gradient noise with the mean gradient.

    Model: logistic regression (4 features and a bias) on n = 400 examples whose labels are drawn from a
    logistic model, so the data are not separable and the training loss has a finite minimum. Full-batch GD
    (lr 2, from w = 0, 300 steps: every gradient coordinate ends below 1e-6, so min L is known to ~1e-12).
    At every step, for each coordinate i: g[i] = the mean over examples of the per-example gradient
    (p_j - y_j) x_j[i] (the full gradient) and sigma[i] = their standard deviation (the noise of a one-example
    SGD gradient ghat[i]).

    Observed: "near the end of training" is read as from the first step at which the excess training loss
    L(w_t) - min L has fallen to 1% of its initial value (99% of the possible decrease done) to the end;
    "sigma[i] >> g[i]" as sigma[i] >= 10 |g[i]| for every coordinate i at every one of those steps.

    Deterministic given the seed (no test statistic): near the minimum g ~ H (w - w*) shrinks like the square
    root of the excess loss while sigma tends to the noise at the minimum (~0.25-0.5 here), so the ratio grows
    as training proceeds (in every data set tried its lowest value over the stretch was at the first step);
    over 10 data sets (seeds 0-9) it was 16-22 at the 1% step, ~50-80 at 0.1%, >1e8 at the end. For a batch of
    B examples sigma shrinks by sqrt(B), so at the 1% step sigma >> g holds for one-example gradients but not
    for batches of 3-5 or more."""
    return noise_ratio_observation(w)


# ------------------------------------------------------------------------------------------------
# Adam: the published bias correction
# ------------------------------------------------------------------------------------------------
def _rho_N(d):
    rho = d.symbol("rho", bounds=(0, 1))
    N = d.symbol("N", positive=True)
    d.define(N, 1 / (1 - rho), why="beta_1 = rho = 1 - 1/N")
    return rho, N


@claim(id="adam.published_recursion",
       title="Adam's m_t / (1 - beta1^t) is a running average with count n_t = N (1 - beta1^t)",
       source=Source(SLIDES, PUBLISHED),
       statement=r"m_t = beta1 m_{t-1} + (1 - beta1) ghat_t, m^_t = m_t / (1 - beta1^t), beta1 = 1 - 1/N: "
                 r"m^_t = (1 - 1/n_t) m^_{t-1} + (1/n_t) ghat_t with n_t = N (1 - beta1^t), and m^_1 = ghat_1",
       reading="t >= 2 for the recursion (p = beta1^(t-1) in (0, 1) names the power); t = 1: n_1 = 1, so the "
               "published estimate starts like min(t, N)")
def published_recursion(d):
    rho, N = _rho_N(d)
    p = d.symbol("p", bounds=(0, 1))
    b1 = 1 - 1 / N
    m0, m1, mp, mt, g1, gt = d.symbols("m_0 m_1 m_{t-1} m_t ghat_1 ghat_t", real=True)
    mh1, mhp, mht = d.symbols("m^_1 m^_{t-1} m^_t", real=True)
    d.note("p stands for beta1^(t-1) (0 < p < 1 for t >= 2): the engine cannot decide 1 - rho^(t-1) != 0 "
           "for a symbolic exponent.")
    start = d.given(sp.Eq(m0, 0), why="m_0 = 0", label="m_0 = 0")
    u1 = d.given(sp.Eq(m1, b1 * m0 + (1 - b1) * g1), why="Adam's first moment at t = 1", label="m_1")
    c1 = d.given(sp.Eq(mh1, m1 / (1 - b1)), why="bias correction at t = 1", label="m^_1")
    upd = d.given(sp.Eq(mt, b1 * mp + (1 - b1) * gt), why="Adam's first moment", label="m_t")
    cp = d.given(sp.Eq(mp, (1 - p) * mhp), why="bias correction at t - 1: m^_{t-1} = m_{t-1} / (1 - beta1^(t-1))",
                 label="m^_{t-1}")
    ct = d.given(sp.Eq(mht, mt / (1 - b1 * p)), why="bias correction at t: beta1^t = beta1 p", label="m^_t")
    n = N * (1 - b1 * p)
    first = d.step(sp.Eq(mh1, g1), rule="m^_1 = (1 - beta1) ghat_1 / (1 - beta1)", using=[c1, u1, start],
                   label="t = 1")
    ch = (d.chain(mht, using=[ct])
          .eq(mt / (1 - b1 * p), rule="definition of m^_t")
          .eq((b1 * mp + gt / N) / (1 - b1 * p), rule="the update of m", using=[upd])
          .eq((b1 * (1 - p) * mhp + gt / N) / (1 - b1 * p), rule="m_{t-1} = (1 - beta1^(t-1)) m^_{t-1}",
              using=[cp])
          .eq((1 - 1 / n) * mhp + gt / n, rule="N beta1 (1 - p) = N (1 - beta1 p) - 1 = n_t - 1",
              label="recursion"))
    d.step((sp.Eq(mh1, g1), sp.Eq(mht, (1 - 1 / n) * mhp + gt / n)), rule="collect", using=[first, ch.fact],
           label="published correction")
    d.statement((sp.Eq(mh1, g1), sp.Eq(mht, (1 - 1 / n) * mhp + gt / n)))


@published_recursion.witness("exact")
def _published_iterates(w):
    """Run published Adam's first moment exactly (N = 4 and N = 7) on random rational gradients; at each
    t = 2..25 the whole statement (both relations, both sides) is evaluated with every quantity it names from
    the run: m^_1, ghat_1, m^_t, m^_{t-1}, ghat_t, N and p = beta1^(t-1)."""
    S = w.S
    obs = []
    for N in (4, 7):
        xs = [Fraction(int(v), 4) for v in w.rng.integers(-20, 21, size=25)]
        mh = published_adam_mean(xs, N)
        for t in range(2, len(xs) + 1):
            o = w.exact({S["m^_1"]: mh[1], S.ghat_1: xs[0], S["m^_t"]: mh[t], S["m^_{t-1}"]: mh[t - 1],
                         S.ghat_t: xs[t - 1], S.N: N, S.p: (1 - Fraction(1, N)) ** (t - 1)})
            if not o.holds:
                obs.append(w.observe(False, f"N = {N}, fails at t = {t}: {o.detail}", method="published Adam, exact",
                                     n=t))
                break
        else:
            obs.append(w.observe(True, f"N = {N}: both relations hold at t = 2..{len(xs)}",
                                 method="published Adam, exact", n=len(xs)))
    return obs


@claim(id="adam.published_unbiased",
       title="Adam's bias-corrected m^_t = m_t / (1 - beta1^t) is unbiased for every t",
       source=Source(SLIDES, PUBLISHED),
       statement=r"E m^_t = mu for iid ghat_t with mean mu (the published correction removes the initial bias)",
       reading="t >= 1; q = beta1^t in (0, 1) names the power")
def published_unbiased(d):
    rho, N = _rho_N(d)
    q = d.symbol("q", bounds=(0, 1))
    mu = d.symbol("mu", real=True)
    v = d.symbol("v_t", positive=True)
    Mt = d.symbol("M_t", real=True)
    mt = d.random.scalar("m_t", mean=Mt, var=v, real=True)
    mh = d.symbol("m^_t", real=True)
    corr = d.given(sp.Eq(mh, mt / (1 - q)), why="m^_t = m_t / (1 - beta1^t), q = beta1^t", label="correction")
    mean = d.given(sp.Eq(Mt, (1 - q) * mu),
                   why="E m_t = (1 - beta1^t) mu: m_t is the running average with N = 1/(1 - beta1) "
                       "(bias_correction.expected_running_average)", label="E m_t")
    (d.chain(E(mh), using=[corr])
     .eq(Mt / (1 - q), rule="linearity of E")
     .eq((1 - q) * mu / (1 - q), rule="E m_t", using=[mean])
     .eq(mu, rule="cancel 1 - beta1^t", label="unbiased"))
    d.statement(sp.Eq(E(mh), mu))


@published_unbiased.witness("exact")
def _published_unbiased_enumeration(w):
    """Exact E m^_t of published Adam (N = 3) for t = 1..8: every input sequence of the two-point law
    (0 w.p. 1/3, 3 w.p. 2/3) enumerated and the estimator run on each."""
    N, T = 3, 8
    laws = [[] for _ in range(T + 1)]
    for path in product(LAW, repeat=T):
        prob = Fraction(1)
        for _, q in path:
            prob *= q
        mh = published_adam_mean([v for v, _ in path], N)
        for t in range(1, T + 1):
            laws[t].append((prob, mh[t]))
    at = {w.S.mu: law_mean()}
    obs = []
    for t in range(1, T + 1):               # the statement's E(...) averaged over the outcomes of m^_t
        rel, vals = expectation_values(w.statement, [(p, {w.S["m^_t"]: m}) for p, m in laws[t]], at=at)
        obs.append(w.exact({**vals, **at}, relation=rel, method="enumerate all 2^8 input sequences"))
    return obs


@claim(id="adam.same_effect.late",
       title="For t >= N the published count n_t approaches min(t, N) = N exponentially",
       source=Source(SLIDES, PUBLISHED), also=(Source(SLIDES, ADAM_SIMPLIFIED),),
       statement=r"The published version of Adam has a more obscure form of bias correction which yields essentially "
                 r"the same effect.",
       reading="with n_t = N (1 - (1 - 1/N)^t) the count of the published correction (adam.published_recursion) "
               "and min(t, N) = N for t >= N: N - n_t = N (1 - 1/N)^t and lim_{t -> oo} (N - n_t) = 0. "
               "The witness also runs both estimators on one input stream: for t >= N their outputs differ by at "
               "most 3 (1 - 1/N)^(t-N) / (1 - (1 - 1/N)^t) max|x_s| (a bound on the L1 distance of the weights)")
def same_effect_late(d):
    rho, N = _rho_N(d)
    t = d.symbol("t", integer=True, positive=True)
    n = d.symbol("n_t", real=True)
    cnt = d.given(sp.Eq(n, N * (1 - (1 - 1 / N) ** t)), why="adam.published_recursion", label="n_t")
    d.step((sp.Eq(N - n, N * (1 - 1 / N) ** t), sp.Eq(sp.Limit(N - n, t, sp.oo), 0)),
           rule="subtract; (1 - 1/N)^t -> 0 since 0 < 1 - 1/N < 1", using=[cnt], label="gap")
    d.statement((sp.Eq(N - n, N * (1 - 1 / N) ** t), sp.Eq(sp.Limit(N - n, t, sp.oo), 0)))


def count_limit(w, lim, N: int, t: int):
    """The statement's ``Limit(body, var, oo)`` over the counts of published Adam, measured by impulse responses
    (exact): var = t runs t = 80, 160 at the fixed N (value at 160, error bound the change from 80; the counts
    converge geometrically); var = N runs N = 1000, 2000, 4000 at the fixed t (Richardson in 1/N, error bound
    the change between the two extrapolations). The body is evaluated as written with n_1, n_t, N, t from the
    runs. Returns (value, error), or None if the limit is not one the process approaches."""
    S = w.S
    body, var, to = lim.args[0], lim.args[1], lim.args[2]
    if to != sp.oo or var not in (S.N, S.t):
        return None

    def at(Nv, tv):
        vals = {S.N: Nv, S.t: tv, S.n_t: impulse_count(published_adam_mean, Nv, tv)}
        if "n_1" in S:
            vals[S.n_1] = impulse_count(published_adam_mean, Nv, 1)
        v = w.value(body, vals)
        if not v.is_number:
            raise ValueError(f"the limit's body {body} names more than n_1, n_t, N, t")
        return v
    if var == S.t:
        b80, b160 = at(N, 80), at(N, 160)
        return float(b160), float(abs(b160 - b80))
    v = {Nv: at(Nv, t) for Nv in (1000, 2000, 4000)}
    r1, r2 = 2 * v[2000] - v[1000], 2 * v[4000] - v[2000]
    return float(r2), float(abs(r2 - r1))


@same_effect_late.witness("exact")
def _late_counts(w):
    """N = 4 and N = 7. The published estimator's count n_t measured by its impulse response (exact); the gap
    relation at t = N..3N with n_t, N, t from the run; the limit relation read as written (see count_limit): its
    body evaluated with the measured counts at t = 160 (error bound: the change from t = 80), or for N -> oo at
    t = 3, and the relation evaluated with that value. Then published and
    simplified Adam run on one random stream: |m^_t - mu^_t| within the weights' L1 bound for t >= N."""
    S = w.S
    rels = w._relations()
    obs = []
    for N in (4, 7):
        plain = tuple(r for r in rels if not r.has(sp.Limit))
        for t in range(N, 3 * N + 1):
            if not plain:
                break
            o = w.exact({S.n_t: impulse_count(published_adam_mean, N, t), S.N: N, S.t: t}, relation=plain,
                        method="impulse response of published Adam")
            if not o.holds:
                obs.append(o)
                break
        else:
            obs.append(w.observe(True, f"N = {N}: relations without a limit hold at t = {N}..{3 * N} (exact)",
                                 method="impulse response of published Adam", n=2 * N + 1))
        for rel in rels:
            if not rel.has(sp.Limit):
                continue
            out, lims = nodes_as_symbols(rel, sp.Limit, "L")
            values, errs = {}, {}
            for L, lim in lims.items():
                got = count_limit(w, lim, N, 3)
                if got is None:
                    return obs + [w.observe(False, f"the statement's limit is {lim}; the process runs t -> oo (or "
                                                   "N -> oo)", method="impulse response of published Adam")]
                values[L], errs[L] = got
            obs.append(w.close(values, errs, relation=out, at={S.N: N, S.t: 3}, floor=1e-12,
                               method=f"N = {N}: the limit's body at t = 160 (bound from t = 80); N -> oo at t = 3 "
                                      "by Richardson", n=160))
    N = 4
    xs = [Fraction(int(v), 3) for v in w.rng.integers(-30, 31, size=60)]
    pub, simp = published_adam_mean(xs, N), simplified_adam_mean(xs, N)
    rho, xmax = 1 - Fraction(1, N), max(abs(x) for x in xs)
    worst = max(abs(pub[t] - simp[t]) / (3 * rho ** (t - N) / (1 - rho ** t) * xmax) for t in range(N, 61))
    obs.append(w.observe(worst <= 1 and pub[1] == simp[1], f"same stream: m^_1 = mu^_1 = {pub[1]}; max over t >= N "
                         f"of |m^_t - mu^_t| / bound = {float(worst):.3g}; |m^_60 - mu^_60| = "
                         f"{float(abs(pub[60] - simp[60])):.2g}", method="both estimators on one stream", n=60))
    return obs


@claim(id="adam.same_effect.early",
       title="For t << N the published count n_t is min(t, N) = t: n_1 = 1 and n_t -> t as N -> oo",
       source=Source(SLIDES, PUBLISHED), also=(Source(SLIDES, ADAM_SIMPLIFIED),),
       statement=r"The published version of Adam has a more obscure form of bias correction which yields essentially "
                 r"the same effect.",
       reading="with n_t = N (1 - (1 - 1/N)^t) the published count: n_1 = 1 = min(1, N) for every N, and for "
               "fixed t, lim_{N -> oo} n_t = t (= min(t, N) once N >= t); n_t = t - t(t-1)/(2N) + O(1/N^2)")
def same_effect_early(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    n, n1 = d.symbols("n_t n_1", real=True)
    cnt = d.given(sp.Eq(n, N * (1 - (1 - 1 / N) ** t)), why="adam.published_recursion", label="n_t")
    cnt1 = d.given(sp.Eq(n1, sp.Subs(N * (1 - (1 - 1 / N) ** t), t, 1)), why="the same at t = 1", label="n_1")
    d.step((sp.Eq(n1, sp.Min(1, N, evaluate=False), evaluate=False), sp.Eq(sp.Limit(n, N, sp.oo), t)),
           rule="N (1 - (1 - 1/N)) = 1; N (1 - (1 - 1/N)^t) -> t", using=[cnt, cnt1], label="counts")
    d.statement((sp.Eq(n1, sp.Min(1, N, evaluate=False), evaluate=False), sp.Eq(sp.Limit(n, N, sp.oo), t)))


@same_effect_early.witness("exact")
def _early_counts(w):
    """Counts measured by impulse responses (exact). Relations without a limit: at N = 2, 5, 50 with n_1 and
    n_t (t = 3) from the runs. The limit relation, read as written (see count_limit): N -> oo at t = 3 and
    t = 5 (N = 1000, 2000, 4000, Richardson in 1/N), or t -> oo at N = 7, 9; the relation is evaluated with
    that value at each point. A limit the process does not approach is a failure."""
    S = w.S
    rels = w._relations()
    plain = tuple(r for r in rels if not r.has(sp.Limit))
    obs = []
    if plain:
        obs += [w.exact({S.n_1: impulse_count(published_adam_mean, N, 1), S.N: N, S.t: 3,
                         S.n_t: impulse_count(published_adam_mean, N, 3)}, relation=plain,
                        method="impulse responses at t = 1 and t = 3") for N in (2, 5, 50)]
    for t in (3, 5):
        for rel in rels:
            if not rel.has(sp.Limit):
                continue
            out, lims = nodes_as_symbols(rel, sp.Limit, "L")
            values, errs = {}, {}
            for L, lim in lims.items():
                got = count_limit(w, lim, 4 + t, t)
                if got is None:
                    return obs + [w.observe(False, f"the statement's limit is {lim}; the process approaches N -> oo "
                                                   "(or t -> oo)", method="impulse responses")]
                values[L], errs[L] = got
            obs.append(w.close(values, errs, relation=out, at={S.t: t, S.N: 4 + t}, floor=1e-12,
                               method=f"n_t at t = {t}, N = 1000, 2000, 4000, the limit's body Richardson-"
                                      "extrapolated", n=3))
    return obs
