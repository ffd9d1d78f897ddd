"""RMSProp and Adam: RMSProp's running average of squared gradients tracks E ghat^2 = g^2 + sigma^2; Adam's
published bias correction m_t / (1 - beta_1^t) is a running average with count N (1 - beta_1^t) and has
essentially the effect of the simplified min(N, t) correction; and how the second-moment estimate and the
averaging constants rho_1, rho_2 change with the batch size. Encodes the SGD slides (003) "RMSProp",
"Adam — Adaptive Momentum", "Bias Correction of Running Averages" (second) and "Adam (simplified)";
Problem 4 (d) of the SGD problems (000; Problem 3 (d) of 001); and Exercise 2 (ADAM and minibatches) of
week 5 (004). The min(N, t) correction itself is in ``bias_correction``, the gradient statistics of week 5
in ``gradient_averaging``.
"""
from fractions import Fraction
from itertools import product

import numpy as np
import sympy as sp

from derivations.bias_correction import LAW, law_mean, run_average
from derivations.gradient_averaging import WEEK5, observed_series
from proofs import E, Eq, Source, claim
from proofs.witness import expectation_values, nodes_as_symbols


# ==============================================================================================================
# RMSProp and Adam (slides "RMSProp", "Adam — Adaptive Momentum", "Bias Correction of Running Averages"
# (second), "Adam (simplified)").
#
# * RMSProp: s_t = (1 - 1/N_s) s_{t-1} + (1/N_s) ghat_t^2 and "s ~ E ghat^2 = g^2 + sigma^2": the identity
#   is expectation algebra; the "~" is read as: the stationary mean of the running average s is E ghat^2.
# * Adam's published bias correction m^_t = m_t / (1 - beta_1^t), beta_1 = 1 - 1/N, versus the simplified
#   min(N, t) correction: the published one is itself a running average m^_t = (1 - 1/n_t) m^_{t-1} +
#   (1/n_t) ghat_t with count n_t = N (1 - (1 - 1/N)^t) in place of min(t, N); both are unbiased at every t,
#   n_1 = 1 = min(1, N), n_t -> t (= min(t, N)) as N -> oo for fixed t, and N - n_t = N (1 - 1/N)^t -> 0
#   as t -> oo. That is the precise sense of "essentially the same effect".
#
# Powers rho^t with a symbolic exponent: the engine cannot show 1 - rho^t != 0 for 0 < rho < 1 (engine
# gap), so where a claim divides by 1 - rho^t the power is named by a bounded symbol p = rho^(t-1) in (0, 1)
# (resp. q = rho^t), which is what it is for t >= 2 (t >= 1).

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
       title=r"$\mathbb{E} \hat{g}[i]^2 = g[i]^2 + \sigma[i]^2$",
       source=Source(SLIDES, RMSPROP + ", line 3"),
       statement=r"$E \hat{g}[i]^2 = g[i]^2 + \sigma[i]^2$",
       reading=r"$g[i] = \mathbb{E}\,\hat{g}[i]$, $\sigma[i]^2 = \operatorname{Var} \hat{g}[i]$")
def second_moment(d):
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    gh = d.random.scalar("ghat", mean=g, var=s2, real=True)
    (d.chain(E(gh ** 2))
     .eq(E((gh - g) ** 2) + 2 * g * E(gh) - g ** 2, rule=r"$\hat{g}^2 = (\hat{g} - g)^2 + 2 g \hat{g} - g^2$, "
                                                         "linearity")
     .eq(s2 + g ** 2, rule=r"$\operatorname{Var} \hat{g} = \sigma^2$, $\mathbb{E}\, \hat{g} = g$"))
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
       title=r"RMSProp's $s[i]$ tracks $\mathbb{E} \hat{g}[i]^2 = g[i]^2 + \sigma[i]^2$",
       source=Source(SLIDES, RMSPROP + ", 's[i] ~ E ghat[i]^2 = g[i]^2 + sigma[i]^2'"),
       statement=r"$s_t[i] = \left(1 - \frac{1}{N_s}\right) s_{t-1}[i] + \frac{1}{N_s} \hat{g}_t[i]^2$ ... $s[i] "
                 r"\approx E \hat{g}[i]^2 = g[i]^2 + \sigma[i]^2$",
       reading=r"for iid $\hat{g}_t[i]$ (mean $g$, variance $\sigma^2$): the stationary mean $s_\infty$ of $s$ (the "
               r"fixed point of $\mathbb{E}\,s_t = (1 - \frac{1}{N_s}) \mathbb{E}\,s_{t-1} + \frac{1}{N_s} "
               r"\mathbb{E}\,\hat{g}^2$; $\mathbb{E}\,s_t \to s_\infty$ geometrically) is $s_\infty = "
               r"\mathbb{E}\,\hat{g}^2 = g^2 + \sigma^2$")
def tracks_second_moment(d):
    Ns = d.symbol("N_s", integer=True, positive=True)
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    gh = d.random.scalar("ghat", mean=g, var=s2, real=True)
    S = d.symbol("s_inf", real=True)
    d.unknowns(S)
    fp = d.given(sp.Eq(S, (1 - 1 / Ns) * S + E(gh ** 2) / Ns),
                 why=r"the stationary mean is a fixed point of the expected update (linearity; $\hat{g}_t$ iid)",
                 label="fixed point")
    d.step(sp.Eq(S, E(gh ** 2)), rule=r"solve for $s_\infty$", using=[fp], label="s ~ E ghat^2")
    d.step(sp.Eq(S, g ** 2 + s2), rule=r"$\mathbb{E}\, \hat{g}^2 = g^2 + \sigma^2$ "
                                       "(rmsprop.second_moment)", label="= g^2 + sigma^2")
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
       title=r"In RMSProp one should expect $\sigma[i] \gg g[i]$",
       source=Source(SLIDES, RMSPROP + ", last line"),
       statement=r"We should expect $\sigma[i] \gg g[i]$.",
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
    d.define(N, 1 / (1 - rho), why=r"$\beta_1 = \rho = 1 - 1/N$")
    return rho, N


@claim(id="adam.published_recursion",
       title=r"Adam's $m_t / (1 - \beta_1^t)$ is a running average with count $n_t = N (1 - \beta_1^t)$",
       source=Source(SLIDES, PUBLISHED),
       statement=r"$m_t = \beta_1 m_{t-1} + (1 - \beta_1) \hat{g}_t$, $\hat{m}_t = m_t / (1 - \beta_1^t)$, $\beta_1 "
                 r"= 1 - 1/N$: $\hat{m}_t = (1 - \frac{1}{n_t}) \hat{m}_{t-1} + \frac{1}{n_t} \hat{g}_t$ with $n_t "
                 r"= N (1 - \beta_1^t)$, and $\hat{m}_1 = \hat{g}_1$",
       reading=r"$t \geq 2$ for the recursion ($p = \beta_1^{t-1}$ in $(0, 1)$ names the power); $t = 1$: $n_1 = "
               r"1$, so the published estimate starts like $\min(t, N)$")
def published_recursion(d):
    rho, N = _rho_N(d)
    p = d.symbol("p", bounds=(0, 1))
    b1 = 1 - 1 / N
    m0, m1, mp, mt, g1, gt = d.symbols("m_0 m_1 m_{t-1} m_t ghat_1 ghat_t", real=True)
    mh1, mhp, mht = d.symbols("m^_1 m^_{t-1} m^_t", real=True)
    d.note(r"$p$ stands for $\beta_1^{t-1}$ ($0 < p < 1$ for $t \geq 2$): the engine cannot decide "
           r"$1 - \rho^{t-1} \neq 0$ for a symbolic exponent.")
    start = d.given(sp.Eq(m0, 0), why="$m_0 = 0$", label="m_0 = 0")
    u1 = d.given(sp.Eq(m1, b1 * m0 + (1 - b1) * g1), why="Adam's first moment at $t = 1$", label="m_1")
    c1 = d.given(sp.Eq(mh1, m1 / (1 - b1)), why="bias correction at $t = 1$", label="m^_1")
    upd = d.given(sp.Eq(mt, b1 * mp + (1 - b1) * gt), why="Adam's first moment", label="m_t")
    cp = d.given(sp.Eq(mp, (1 - p) * mhp), why="bias correction at $t - 1$: "
                                               r"$\hat{m}_{t-1} = m_{t-1} / (1 - \beta_1^{t-1})$",
                 label="m^_{t-1}")
    ct = d.given(sp.Eq(mht, mt / (1 - b1 * p)), why=r"bias correction at $t$: $\beta_1^t = \beta_1 p$", label="m^_t")
    n = N * (1 - b1 * p)
    first = d.step(sp.Eq(mh1, g1), rule=r"$\hat{m}_1 = (1 - \beta_1) \hat{g}_1 / (1 - \beta_1)$", using=[c1, u1, start],
                   label="t = 1")
    ch = (d.chain(mht, using=[ct])
          .eq(mt / (1 - b1 * p), rule=r"definition of $\hat{m}_t$")
          .eq((b1 * mp + gt / N) / (1 - b1 * p), rule="the update of $m$", using=[upd])
          .eq((b1 * (1 - p) * mhp + gt / N) / (1 - b1 * p), rule=r"$m_{t-1} = (1 - \beta_1^{t-1}) \hat{m}_{t-1}$",
              using=[cp])
          .eq((1 - 1 / n) * mhp + gt / n, rule=r"$N \beta_1 (1 - p) = N (1 - \beta_1 p) - 1 = n_t - 1$",
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
       title=r"Adam's bias-corrected $\hat{m}_t = m_t / (1 - \beta_1^t)$ is unbiased for every $t$",
       source=Source(SLIDES, PUBLISHED),
       statement=r"$\mathbb{E}\,\hat{m}_t = \mu$ for iid $\hat{g}_t$ with mean $\mu$ (the published correction "
                 "removes the initial bias)",
       reading=r"$t \geq 1$; $q = \beta_1^t$ in $(0, 1)$ names the power")
def published_unbiased(d):
    rho, N = _rho_N(d)
    q = d.symbol("q", bounds=(0, 1))
    mu = d.symbol("mu", real=True)
    v = d.symbol("v_t", positive=True)
    Mt = d.symbol("M_t", real=True)
    mt = d.random.scalar("m_t", mean=Mt, var=v, real=True)
    mh = d.symbol("m^_t", real=True)
    corr = d.given(sp.Eq(mh, mt / (1 - q)), why=r"$\hat{m}_t = m_t / (1 - \beta_1^t)$, "
                                                r"$q = \beta_1^t$", label="correction")
    mean = d.given(sp.Eq(Mt, (1 - q) * mu),
                   why=r"$\mathbb{E}\, m_t = (1 - \beta_1^t) \mu$: $m_t$ is the running average with "
                       r"$N = 1/(1 - \beta_1)$ (bias_correction.expected_running_average)", label="E m_t")
    (d.chain(E(mh), using=[corr])
     .eq(Mt / (1 - q), rule=r"linearity of $\mathbb{E}$")
     .eq((1 - q) * mu / (1 - q), rule=r"$\mathbb{E}\, m_t$", using=[mean])
     .eq(mu, rule=r"cancel $1 - \beta_1^t$", label="unbiased"))
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
       title=r"For $t \geq N$ the published count $n_t$ approaches $\min(t, N) = N$ exponentially",
       source=Source(SLIDES, PUBLISHED), also=(Source(SLIDES, ADAM_SIMPLIFIED),),
       statement=r"The published version of Adam has a more obscure form of bias correction which yields essentially "
                 r"the same effect.",
       reading=r"with $n_t = N (1 - (1 - \frac{1}{N})^t)$ the count of the published correction "
               r"(adam.published_recursion) and $\min(t, N) = N$ for $t \geq N$: $N - n_t = N (1 - \frac{1}{N})^t$ "
               r"and $\lim_{t \to \infty} (N - n_t) = 0$. The witness also runs both estimators on one input "
               r"stream: for $t \geq N$ their outputs differ by at most $3 (1 - \frac{1}{N})^{t-N} / (1 - (1 - "
               r"\frac{1}{N})^t) \max_s |x_s|$ (a bound on the $L^1$ distance of the weights)")
def same_effect_late(d):
    rho, N = _rho_N(d)
    t = d.symbol("t", integer=True, positive=True)
    n = d.symbol("n_t", real=True)
    cnt = d.given(sp.Eq(n, N * (1 - (1 - 1 / N) ** t)), why="adam.published_recursion", label="n_t")
    d.step((sp.Eq(N - n, N * (1 - 1 / N) ** t), sp.Eq(sp.Limit(N - n, t, sp.oo), 0)),
           rule=r"subtract; $(1 - 1/N)^t \to 0$ since $0 < 1 - 1/N < 1$", using=[cnt], label="gap")
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
       title=r"For $t \ll N$ the published count $n_t$ is $\min(t, N) = t$: $n_1 = 1$ and $n_t \to t$ as $N \to "
             r"\infty$",
       source=Source(SLIDES, PUBLISHED), also=(Source(SLIDES, ADAM_SIMPLIFIED),),
       statement=r"The published version of Adam has a more obscure form of bias correction which yields essentially "
                 r"the same effect.",
       reading=r"with $n_t = N (1 - (1 - \frac{1}{N})^t)$ the published count: $n_1 = 1 = \min(1, N)$ for every "
               r"$N$, and for fixed $t$, $\lim_{N \to \infty} n_t = t$ ($= \min(t, N)$ once $N \geq t$); $n_t = t - "
               "t(t-1)/(2N) + O(1/N^2)$")
def same_effect_early(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    n, n1 = d.symbols("n_t n_1", real=True)
    cnt = d.given(sp.Eq(n, N * (1 - (1 - 1 / N) ** t)), why="adam.published_recursion", label="n_t")
    cnt1 = d.given(sp.Eq(n1, sp.Subs(N * (1 - (1 - 1 / N) ** t), t, 1)), why="the same at $t = 1$", label="n_1")
    d.step((sp.Eq(n1, sp.Min(1, N, evaluate=False), evaluate=False), sp.Eq(sp.Limit(n, N, sp.oo), t)),
           rule=r"$N (1 - (1 - 1/N)) = 1$; $N (1 - (1 - 1/N)^t) \to t$", using=[cnt, cnt1], label="counts")
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


# ==============================================================================================================
# Batch size coupling of RMSProp and Adam (SGD problems, Problem 4 (d)).
#
# RMSProp and Adam keep a running average of the squared batch gradient of each coordinate i,
#
#     s_{t+1}[i] = (1 - 1/N_s) s_t[i] + (1/N_s) ghat[i]^2,
#
# where ghat = W.grad is the batch average of B per-example gradients (Problem 4 (a)).
# Random model (one coordinate i): the per-example gradients ``ghat_b`` of a batch are iid with mean
# g and variance sigma^2 (examples drawn with replacement, parameters held fixed, as in the source's
# argument), declared with :meth:`proofs.expectation.RandomModel.family`; B is symbolic.
#
# * E[ghat^2] = g^2 + sigma^2/B: the batch average hides the within-batch variance;
# * the expected running average converges to E[ghat^2], which decreases with B and tends to
#   g^2 (the "mean squared") as B -> oo, while the per-example second moment is g^2 + sigma^2.
#
# Formerly derivations/adaptive.py.

SGD_PROBLEMS = "000_e701d70adf034ba3.txt"
SGD_PROBLEMS_2 = "001_6f3b02b455961dc3.txt"
SOURCE = Source(SGD_PROBLEMS, "Problem 4 (d)")
ALSO = (Source(SGD_PROBLEMS_2, "Problem 3 (d)"),)


class Batch:
    """Symbols: batch size B, per-example gradients ghat[b] (iid, mean g, variance sigma^2), the batch gradient."""

    def __init__(self, d):
        self.B = d.symbol("B", integer=True, positive=True)
        self.b = d.symbol("b", integer=True, positive=True)
        self.g = d.symbol("g", real=True)
        self.s2 = d.symbol("sigma^2", positive=True)
        self.gh = d.indexed("ghat")
        d.random.family(self.gh, mean=self.g, cov=self.s2)

    def batch_gradient(self, size=None):
        size = self.B if size is None else size
        return sp.Sum(self.gh[self.b], (self.b, 1, size)) / size


@claim(id="adaptive.batch_mean_square", title=r"Mean square of the batch gradient: $g^2 + \sigma^2/B$",
       source=SOURCE, also=ALSO, topic=TOPIC,
       statement="At batch sizes greater than 1 this fails to take into account the variance of the gradients "
                 "within the batch.",
       reading=r"$\mathbb{E}[\hat{g}^2] = g^2 + \sigma^2/B$ for $\hat{g} = \frac{1}{B} \sum_b \hat{g}_b$, "
               r"$\hat{g}_b$ iid with mean $g$ and variance $\sigma^2$: of the per-example variance only "
               r"$\sigma^2/B$ reaches $\hat{g}^2$")
def batch_mean_square(d):
    m = Batch(d)
    B, b, g, s2, gh = m.B, m.b, m.g, m.s2, m.gh
    c = d.symbol("c", integer=True, positive=True)
    ghat = m.batch_gradient()
    (d.chain(E(ghat ** 2))
     .eq(E(sp.Sum(gh[b] * gh[c], (b, 1, B), (c, 1, B))) / B ** 2, rule="square of a sum is a double sum")
     .eq((B * (s2 + g ** 2) + B * (B - 1) * g ** 2) / B ** 2,
         rule=r"$\mathbb{E}\, \hat{g}_b^2 = \sigma^2 + g^2$ ($B$ terms $b = c$); "
              r"$\mathbb{E}\, \hat{g}_b \hat{g}_c = g^2$ ($B(B-1)$ terms $b \neq c$, independent)")
     .eq(g ** 2 + s2 / B, rule="simplify"))
    d.statement(sp.Eq(E(ghat ** 2), g ** 2 + s2 / B))


# ------------------------------------------------------------------------------------------------
# (d) the running average s_t: its expected limit, monotone in B, tending to the mean squared
# ------------------------------------------------------------------------------------------------

def rmsprop_build(d, *, next_size=None):
    m = Batch(d)
    B, g, s2, gh = m.B, m.g, m.s2, m.gh
    N = d.symbol("N_s", integer=True, positive=True)
    S = d.symbol("E s_inf(B)", real=True)
    S1 = d.symbol("E s_inf(B+1)", real=True)
    M2 = d.symbol("E ghat_1^2", positive=True)
    d.unknowns(S, S1)
    d.define(M2, E(gh[1] ** 2), why="the second moment of a per-example gradient (batch size 1)")
    nxt = B + 1 if next_size is None else next_size
    fp = d.given(sp.Eq(S, (1 - 1 / N) * S + E(m.batch_gradient() ** 2) / N), label="fixed point (B)",
                 why=r"$\mathbb{E}\, s_{t+1} = (1 - 1/N_s)\, \mathbb{E}\, s_t + (1/N_s)\, \mathbb{E}\, \hat{g}_t^2$ "
                     r"(linearity; the $\hat{g}_t$ are iid); the limit of $\mathbb{E}\, s_t$ (it converges: the "
                     "factor is $1 - 1/N_s < 1$) must satisfy it")
    fp1 = d.given(sp.Eq(S1, (1 - 1 / N) * S1 + E(m.batch_gradient(nxt) ** 2) / N), label="fixed point (B+1)",
                  why="the same at batch size $B + 1$")
    d.note("Read as a statement about the expectation of $s_t$: for finite $B$, $s_t$ keeps fluctuating; its mean "
           r"converges to $\mathbb{E}[\hat{g}^2]$. 'Reduced as the batch size increases' is read as "
           r"$\mathbb{E}\, s_\infty(B+1) < \mathbb{E}\, s_\infty(B)$ (strict because $\sigma^2 > 0$; with no "
           "gradient noise nothing depends on $B$); 'converge to the mean squared rather than the second moment' "
           r"as $\lim_{B \to \infty} \mathbb{E}\, s_\infty(B) = g^2 < \mathbb{E}\, \hat{g}_1^2 = g^2 + \sigma^2$.")
    d.step(sp.Eq(S, E(m.batch_gradient() ** 2)), rule="solve the fixed point equation", using=[fp])
    at_b = d.step(sp.Eq(S, g ** 2 + s2 / B), rule=r"$\mathbb{E}\, \hat{g}^2 = g^2 + \sigma^2/B$ "
                                                  "(adaptive.batch_mean_square)",
                  using=[fp], label="E s_inf(B)")
    at_b1 = d.step(sp.Eq(S1, g ** 2 + s2 / (B + 1)), rule="the same at batch size $B + 1$", using=[fp1],
                   label="E s_inf(B+1)")
    dec = d.step(sp.Lt(S1, S), rule=r"$\sigma^2/(B+1) < \sigma^2/B$", using=[at_b, at_b1],
                 label="reduced as the batch size increases")
    lim = d.step(sp.Eq(sp.Limit(S, B, sp.oo), g ** 2), rule=r"$\sigma^2/B \to 0$", using=[at_b],
                 label="large batches: the mean squared")
    less = d.step(sp.Lt(sp.Limit(S, B, sp.oo), M2), rule=r"$g^2 < g^2 + \sigma^2$", using=[at_b],
                  label="rather than the second moment")
    d.step((sp.Eq(S, g ** 2 + s2 / B), sp.Lt(S1, S), sp.Eq(sp.Limit(S, B, sp.oo), g ** 2),
            sp.Lt(sp.Limit(S, B, sp.oo), M2)), rule="collect", using=[at_b, at_b1, dec, lim, less])
    d.statement((sp.Eq(S, g ** 2 + s2 / B), sp.Lt(S1, S), sp.Eq(sp.Limit(S, B, sp.oo), g ** 2),
                 sp.Lt(sp.Limit(S, B, sp.oo), M2)))


@claim(id="adaptive.rmsprop_batch_scaling",
       title="RMSProp/Adam second-moment estimate shrinks with batch size towards the mean squared",
       source=SOURCE, also=ALSO, topic=TOPIC,
       statement="This implies that $s_t[i]$ will be reduced as the batch size increases and in the limit of large "
                 "batches $s_t[i]$ will converge to the mean squared rather than the second moment.",
       reading=r"$\mathbb{E}\,s_\infty(B) = \lim_t \mathbb{E}\,s_t = g^2 + \sigma^2/B$; $\mathbb{E}\,s_\infty(B+1) "
               r"< \mathbb{E}\,s_\infty(B)$ ($\sigma^2 > 0$); $\lim_{B \to \infty} \mathbb{E}\,s_\infty(B) = g^2$ "
               r"(the mean squared) $< g^2 + \sigma^2 = \mathbb{E}\,\hat{g}_1^2$ (the second moment)")
def rmsprop_batch_scaling(d):
    rmsprop_build(d)


# ------------------------------------------------------------------------------------------------
# Witnesses: per-example gradients of a real layer, batches drawn with replacement, RMSProp's s update
# ------------------------------------------------------------------------------------------------

# One output, two inputs: y = W x, loss_k = (y_k - t_k)^2 / 2; the coordinate watched is W[0, 0].
# (W = (1, -1/2): per-example gradients 5, 2, 3/2, 0, -3/2, 2, so g = 3/2 and sigma^2 = 4; g = 1 would hide
# g^2 -> g or g^3 in a statement.)
LAYER_W = (Fraction(1), Fraction(-1, 2))
DATASET = [((2, 1), -1), ((1, 0), -1), ((1, 1), -1), ((0, 2), 0), ((-1, 1), -3), ((2, 2), 0)]


def per_example_gradients():
    """Backprop of the layer for every example (exact): W.grad[k, 0, 0] = y.grad[k] x[k, 0], y.grad = y - t."""
    out = []
    for x, t in DATASET:
        y = sum(w * xi for w, xi in zip(LAYER_W, x))
        out.append((y - t) * x[0])
    return out


def population_moments():
    """Exact mean g, variance sigma^2 (ddof 0) and raw moments of one sampled per-example gradient."""
    p = per_example_gradients()
    K = len(p)
    g = sum(p, Fraction(0)) / K
    central = [sum((v - g) ** r for v in p) / K for r in (2, 3, 4)]
    return g, central[0], central


def batch_square_moments(B):
    """Exact E[ghat^2] and Var[ghat^2] of the batch mean of B draws (cumulants k_r/B^{r-1})."""
    g, s2, (m2, m3, m4) = population_moments()
    k2, k3, k4 = m2 / B, m3 / B ** 2, (m4 - 3 * m2 ** 2) / B ** 3
    e2 = g ** 2 + k2
    e4 = g ** 4 + 6 * g ** 2 * k2 + 4 * g * k3 + 3 * k2 ** 2 + k4
    return e2, e4 - e2 ** 2


def sample_batch_gradients(rng, B, shape):
    """W.grad[0, 0] of batches of B examples drawn with replacement: the mean of their per-example gradients
    (large B: the batch is drawn as multinomial counts, the same law)."""
    p = np.array([float(v) for v in per_example_gradients()])
    K = len(p)
    if B <= 64:
        return p[rng.integers(0, K, size=shape + (B,))].mean(axis=-1)
    return rng.multinomial(B, np.full(K, 1 / K), size=shape) @ p / B


def _replicates(w, B, rel_err, share, var_factor=1.0):
    """Power calculation from the exact moments of ghat^2 (var_factor: variance reduction of the running average)."""
    from proofs.stats import sample_size
    e2, v = batch_square_moments(B)
    cv = float(np.sqrt(float(v) * var_factor) / float(e2))
    return max(200, sample_size(rel_err, w.alpha / share, 0.99, cv=cv))   # >= 200: the z-test needs a CLT-sized n


def expectation_nodes_by_sampling(w, rel, at: dict, draw, R: int):
    """Each outermost ``E(X)`` of ``rel`` (a relation or tuple) estimated by averaging X itself over R sampled
    batches: the statement's X, with ``at`` put in and its sums expanded, is evaluated on per-example gradients
    drawn by ``draw(R, k)`` (one independent example for each distinct ghat[i] X names, the family's law).
    Returns (relation with symbols, means, SEs)."""
    from proofs.stats import mean_se
    from proofs.witness import expectations_as_symbols
    out, nodes = expectations_as_symbols(rel)
    pt = {sp.sympify(k): sp.sympify(v) for k, v in at.items()}
    means, ses = {}, {}
    for sym, node in nodes.items():
        inner = sp.sympify(node.args[0]).xreplace(pt).doit()
        idx = sorted((a for a in inner.atoms(sp.Indexed) if str(a.base) == "ghat"), key=sp.default_sort_key)
        other = inner.free_symbols - set().union(*(a.free_symbols for a in idx)) if idx else inner.free_symbols
        if other:
            raise ValueError(f"no value for {', '.join(map(str, other))} in {node}")
        xs = draw(R, max(1, len(idx)))
        f = sp.lambdify([list(idx)], inner, modules="numpy")
        vals = np.broadcast_to(np.asarray(f(xs.T if idx else xs[:, :0].T), dtype=float), (R,))
        means[sym], ses[sym] = mean_se(vals)
    return out, means, ses


def per_example_draws(rng):
    """draw(R, k): R x k per-example gradients of the layer, examples drawn with replacement."""
    p = np.array([float(v) for v in per_example_gradients()])
    return lambda R, k: p[rng.integers(0, len(p), size=(R, k))]


def batch_mean_square_witness(w):
    """Draw batches of B = 1, 2 and 5 examples of the layer (with replacement); what the statement writes inside
    E(...) (the batch gradient W.grad squared, as written) is evaluated on each batch's per-example gradients and
    averaged; the statement, both sides, at the population's exact g and sigma^2."""
    S = w.S
    g, s2, _ = population_moments()
    draw = per_example_draws(w.rng)
    sizes = (1, 2, 5)
    out = []
    for B in sizes:
        R = 2 * _replicates(w, B, 0.10, len(sizes))
        at = {S.B: B, S.g: g, S["sigma^2"]: s2}
        rel, means, ses = expectation_nodes_by_sampling(w, w.statement, at, draw, R)
        out.append(w.estimate(means, ses, at=at, relation=rel, n=R, share=len(sizes),
                              method=f"B={B}: {R} batches drawn with replacement from 6 examples; E(...) as written "
                                     "averaged over the batches' per-example gradients (W.grad)"))
    return out


def run_rmsprop(rng, B, R, N_s=5, T=100):
    """RMSProp's second-moment update s <- (1 - 1/N_s) s + (1/N_s) ghat^2 from s = 0, R independent runs of T
    steps with fresh batch gradients each step (parameters fixed). (1 - 1/N_s)^T < 3e-10: s_T is at its limit."""
    s = np.zeros(R)
    gh = sample_batch_gradients(rng, B, (T, R))
    for t in range(T):
        s = (1 - 1 / N_s) * s + gh[t] ** 2 / N_s
    return s


def significant_inequality(w, rel, values: dict, ses: dict, *, share: int, n: int, method: str):
    """A strict or weak inequality of measured quantities: its residual lhs - rhs (measured symbols in ``values``,
    everything else already put in) must have the relation's sign and differ from 0 by more than the z-bound
    (so a measurement that cannot tell the sides apart does not confirm it)."""
    import math
    f = sp.sympify(rel.lhs) - sp.sympify(rel.rhs)
    syms = [s_ for s_ in values if f.has(s_)]
    missing = set(f.free_symbols) - set(syms)
    if missing:
        raise ValueError(f"witness gave no value for {', '.join(map(str, missing))}")
    pt = {s_: sp.Float(float(values[s_]), 30) for s_ in syms}
    r = float(sp.N(f.xreplace(pt)))
    sd = math.sqrt(sum((float(sp.N(sp.diff(f, s_).xreplace(pt))) * float(ses[s_])) ** 2 for s_ in syms))
    zmax = w._z(w.alpha / share)
    z = r / sd if sd > 0 else (0.0 if r == 0 else math.copysign(math.inf, r))
    want = -1 if isinstance(rel, (sp.StrictLessThan, sp.LessThan)) else 1
    ok = want * z > zmax
    return w.observe(ok, f"residual of {rel}: {r:.4g} +- {sd:.2g} (n={n}), z = {z:.1f}; "
                         f"{'significantly ' if ok else 'not significantly '}{'< 0' if want < 0 else '> 0'} "
                         f"(|z| > {zmax:.2f} needed)", method=method, n=n)


def rmsprop_witness(w, sizes=(1, 2), large=2 ** 20, N_s=5):
    """Run RMSProp's s update on batch gradients of the layer at B = 1, 2, 3 and 2^20, estimate E s_T at each,
    and the per-example second moment E ghat_1^2 from single examples. Every relation of the statement is
    evaluated, both sides, at B = 1 and B = 2 with E s_inf(B), E s_inf(B+1) and E ghat_1^2 given their measured
    values (equations by a z-test, inequalities must hold significantly); a Limit(body, B, oo) is read as written:
    its variable and point must be the B -> oo the process approaches, and its body is evaluated at B = 2^20
    (sigma^2/B < 4e-6, far below the SE) with the measured E s there."""
    from proofs.stats import mean_se
    S = w.S
    B, g_sym, s2_sym = S.B, S.g, S["sigma^2"]
    Ss, S1s, M2s = S["E s_inf(B)"], S["E s_inf(B+1)"], S["E ghat_1^2"]
    g, s2, _ = population_moments()
    rels = w._relations()
    share = len(rels) * len(sizes)
    est = {}
    for b in sorted(set(sizes) | {x + 1 for x in sizes} | {large}):
        R = _replicates(w, b, 0.10, share, var_factor=1 / (2 * N_s - 1))
        est[b] = mean_se(run_rmsprop(w.rng, b, R, N_s=N_s)) + (R,)
    R1 = _replicates(w, 1, 0.10, share)
    m2, se2 = mean_se(sample_batch_gradients(w.rng, 1, (R1,)) ** 2)
    out = []
    for b in sizes:
        for i, rel in enumerate(rels):
            values = {Ss: est[b][0], S1s: est[b + 1][0], M2s: m2}
            ses = {Ss: est[b][1], S1s: est[b + 1][1], M2s: se2}
            rep = {}
            for lim in rel.atoms(sp.Limit):
                body, var, to = lim.args[0], lim.args[1], lim.args[2]
                if var != B or to != sp.oo:
                    return out + [w.observe(False, f"the statement's limit is {lim}; the process approaches only "
                                                   "B -> oo (large batches)", method="RMSProp s update")]
                L, L1 = sp.Symbol(f"E s_inf(B={large})"), sp.Symbol(f"E s_inf(B={large + 1})")
                rep[lim] = body.xreplace({Ss: L, S1s: L1, B: large})
                values.update({L: est[large][0], L1: est[large][0]})
                ses.update({L: est[large][1], L1: est[large][1]})
            r = rel.xreplace(rep) if rep else rel
            at = {B: b, g_sym: g, s2_sym: s2}
            n = est[b][2]
            method = (f"RMSProp s update, N_s={N_s}, runs of 100 steps: E s at B={b}, {b + 1}"
                      + (f", {large}" if rep else "") + f"; E ghat_1^2 from {R1} single examples")
            if isinstance(r, sp.Eq):
                vals = {k: v for k, v in values.items() if r.has(k)}
                out.append(w.estimate(vals, {k: ses[k] for k in vals}, at=at, relation=r, n=n, share=share,
                                      method=f"relation {i + 1} at B={b}: " + method))
            else:
                pt = {k: sp.sympify(v) for k, v in at.items()}
                rr = type(r)(sp.sympify(r.lhs).xreplace(pt), sp.sympify(r.rhs).xreplace(pt), evaluate=False)
                out.append(significant_inequality(w, rr, values, ses, share=share, n=n,
                                                  method=f"relation {i + 1} at B={b}: " + method))
    return out


batch_mean_square.add_witness(batch_mean_square_witness, kind="monte-carlo", name="batch_mean_square")
rmsprop_batch_scaling.add_witness(rmsprop_witness, kind="monte-carlo", name="rmsprop_s")


# ==============================================================================================================
# ADAM and minibatches (Gerstner, week 5, Exercise 2).
#
# Rescaling the ADAM averaging constants rho_1, rho_2 from minibatch size 128 to 512:
#
# * rho_1 (the gradient average): keep the number of *samples* n averaged over fixed,
#   n/s = 1/(1 - rho_{1,s}), which gives rho_{1,512} = 4 rho_{1,128} - 3;
# * rho_2 (the squared-gradient average): averaging *within* a minibatch (of gradients) and
#   *between* minibatches (of squared gradients) differ, shown with the series of Exercise 1:
#   for w_3, r -> 0.2525 at batch size 2 and 0.0025 at batch size 4, for w_1, r = 1 at both.
#
# The infinite geometric series (after many minibatches, n -> oo) are symbols determined by their shift
# equations (S = 1 + rho S; the even-k series S_e = 1 + rho^2 S_e, the odd one rho S_e), a linear solve:
# the engine does not sum series itself (see ``derivations/gradient_averaging.py``).
#
# Formerly derivations/adam_minibatch.py.

R = sp.Rational


def _src(part: str) -> Source:
    return Source(WEEK5, f"Exercise 2 (ADAM and minibatches), solution{part}")


def minibatch_means(k: int, batch: int, n_batches: int, exact: bool = True) -> list:
    """Minibatch gradients of w_k: consecutive batches of the observed series (continued periodically
    beyond the 100 listed samples, as its '...' says), averaged within each batch (Fractions, or floats)."""
    xs = observed_series(k, batch * n_batches)
    if not exact:
        xs = [float(x) for x in xs]
    return [sum(xs[b * batch:(b + 1) * batch]) / batch for b in range(n_batches)]


def squared_gradient_average(rho, grads, r0=0):
    """ADAM's second-moment average r <- rho r + (1 - rho) g^2 over the minibatch gradients; returns r at the end."""
    r = r0
    for g in grads:
        r = rho * r + (1 - rho) * g * g
    return r


def _half(*terms):
    return sp.Mul(R(1, len(terms)), sp.Add(*terms, evaluate=False), evaluate=False)


def _sq(e):
    return sp.Pow(e, 2, evaluate=False)


# ------------------------------------------------------------------------------------------------
# rho_1
# ------------------------------------------------------------------------------------------------
@claim(id="adam_minibatch.rho1_rescaling",
       title=r"$\rho_1$ for minibatch size 512: $\rho_{1,512} = 4\rho_{1,128} - 3$ ($0.99 \to 0.96$)",
       source=_src(", rho_1"),
       statement=r"$\frac{n}{s} \approx \frac{1}{1 - \rho_{1,s}}$; $n \approx \frac{s}{1 - \rho_{1,s}}$; $n \approx "
                 r"\frac{128}{1 - \rho_{1,128}} = \frac{512}{1 - \rho_{1,512}}$; $1 - \rho_{1,512} = 4(1 - "
                 r"\rho_{1,128})$; $\rho_{1,512} = 4\rho_{1,128} - 3$. E.g. if we used $\rho_1 = 0.99$ for "
                 r"minibatch size 128, we can take $\rho_1 = 0.96$ on the new machine with minibatch size 512.",
       reading=r"$\approx$ read as the matching rule: the number of samples averaged, $n = s/(1 - \rho_{1,s})$ (the "
               "exponential window of Exercise 1 counted in minibatches of $s$ samples), is the same on both "
               r"machines. The map needs $\rho_{1,128} > 3/4$ to give $\rho_{1,512} > 0$.")
def rho1_rescaling(d):
    n, s = d.symbols("n s", positive=True)
    rs = d.symbol("rho_{1,s}", bounds=(0, 1))
    r128 = d.symbol("rho_{1,128}", bounds=(R(3, 4), 1))
    r512 = d.symbol("rho_{1,512}", real=True)
    d.unknowns(r512)
    rule = d.given(sp.Eq(n / s, 1 / (1 - rs)), why="averaging over $n$ samples in minibatches of $s$: $n/s$ "
                                                   r"minibatches $\sim$ the window $1/(1 - \rho_1)$ of Exercise 1 "
                                                   "(f)", label="n/s", solve_for=n)
    f1 = d.step(sp.Eq(n, s / (1 - rs)), rule="multiply by $s$", using=[rule], label="n")
    m128 = d.given(sp.Eq(n, 128 / (1 - r128)), why="line 2 at $s = 128$", label="s = 128")
    m512 = d.given(sp.Eq(n, 512 / (1 - r512)), why="line 2 at $s = 512$, the same $n$", label="s = 512")
    d.step(sp.Eq(128 / (1 - r128), 512 / (1 - r512)), rule="the same $n$ on both machines", using=[m128, m512],
           label="line 3")
    d.step(sp.Eq(1 - r512, 4 * (1 - r128)), rule="cross-multiply, divide by 128", using=[m128, m512],
           label="line 4")
    f5 = d.step(sp.Eq(r512, 4 * r128 - 3), rule="solve", using=[m128, m512], label="line 5")
    ex = d.chain(sp.Subs(4 * r128 - 3, r128, R(99, 100))).eq(R(96, 100), rule=r"$4 \cdot 0.99 - 3$", label="example")
    stmt = (sp.Eq(r512, 4 * r128 - 3), sp.Eq(sp.Subs(4 * r128 - 3, r128, R(99, 100)), R(96, 100)))
    d.step(stmt, rule="collect", using=[f5, ex.fact, f1])
    d.statement(stmt)


def samples_averaged(rho: float, s: int) -> float:
    """Run ADAM's first-moment average m <- rho m + (1 - rho) (mean of a minibatch of s per-sample gradients)
    on x = 1 for every sample and on a single unit impulse at the newest sample; the number of samples
    averaged (equivalent flat window) is total weight / newest sample's weight."""
    T = int(40 / (1 - rho))
    ones = np.ones(s)
    impulse = np.zeros(s)
    impulse[-1] = 1.0
    m_total, m_newest = 0.0, 0.0
    for t in range(T):
        m_total = rho * m_total + (1 - rho) * ones.mean()
        m_newest = rho * m_newest + (1 - rho) * (impulse.mean() if t == T - 1 else 0.0)
    return m_total / m_newest


def matched_rho(n_samples: float, s: int, lo: float = 0.0, hi: float = 0.999) -> float:
    """The rho_1 at minibatch size s whose first-moment average averages ``n_samples`` samples (bisection on the
    simulated window, which grows with rho); nan if no rho in [lo, hi] reaches it."""
    f = lambda r: samples_averaged(r, s) - n_samples
    if f(lo) > 0 or f(hi) < 0:
        return float("nan")
    for _ in range(60):
        mid = (lo + hi) / 2
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return (lo + hi) / 2


def subs_values(w, expr, at: dict):
    """``expr`` (one side of a relation) with each ``Subs(body, x, x0)`` evaluated as the statement writes it
    (body at x = x0, the other symbols from ``at``)."""
    rep = {}
    for node in sp.sympify(expr).atoms(sp.Subs):
        rep[node] = w.value(node.doit(), at)
    return sp.sympify(expr).xreplace(rep)


@rho1_rescaling.witness("simulation")
def _same_window(w):
    """Runs ADAM's first moment over minibatch means at s = 128 for rho_{1,128} = 0.99, 0.9, 0.8 and measures the
    samples it averages; the rho_{1,512} whose run at s = 512 averages as many samples is found by bisection on the
    simulated window. Relation 1 is evaluated at the measured (rho_{1,128}, rho_{1,512}), both sides; relation 2 is
    the example: its left side (the Subs as written) and its right side are each compared with the measured
    rho_{1,512} at rho_{1,128} = 0.99, the value its Subs point stands for (bisection error < 1e-12)."""
    S = w.S
    r128, r512 = S["rho_{1,128}"], S["rho_{1,512}"]
    rels = w._relations()
    obs = []
    measured = {}
    for rho in (Fraction(99, 100), Fraction(9, 10), Fraction(4, 5)):
        n128 = samples_averaged(float(rho), 128)
        measured[rho] = (n128, matched_rho(n128, 512))
    method = "first-moment EWA over minibatch means, floating point; rho_{1,512} by bisection on the window"
    for rho, (n128, m) in measured.items():
        if m != m:
            obs.append(w.observe(False, f"rho_1,128 = {rho} averages {n128:.3f} samples; no rho_1,512 in [0, 1) "
                                        "averages as many", method=method))
            continue
        obs.append(w.close({r128: float(rho), r512: m}, {r128: 0.0, r512: 1e-12}, relation=rels[0], k=10,
                           floor=1e-9, method=method + f" (rho_1,128 = {rho}: {n128:.3f} samples, measured "
                                                        f"rho_1,512 = {m:.12f})", n=int(40 / (1 - rho))))
    if len(rels) > 1:
        n128, m = measured[Fraction(99, 100)]
        lhs, rhs = subs_values(w, rels[1].lhs, {}), subs_values(w, rels[1].rhs, {})
        M = sp.Symbol("rho_{1,512}(0.99)")
        obs.append(w.close({M: m}, {M: 1e-12}, relation=(sp.Eq(lhs, M, evaluate=False), sp.Eq(M, rhs, evaluate=False)),
                           floor=1e-9,
                           method=method + f" (example: rho_1,128 = 0.99 averages {n128:.3f} samples, measured "
                                           f"rho_1,512 = {m:.12f}; each side of {rels[1]})", n=4000))
    return obs


# ------------------------------------------------------------------------------------------------
# rho_2: the squared-gradient average with minibatches
# ------------------------------------------------------------------------------------------------
@claim(id="adam_minibatch.rho2_w3_batch2",
       title=r"Squared-gradient average for $w_3$ at minibatch size 2: $r \approx 0.2525$",
       source=_src(", rho_2, w_3 with minibatch size 2"),
       statement=r"$r \approx (0.5(1.1 + 0))^2(1 - \rho) \sum_{k \text{ even}}^n \rho^k + (0.5(-0.9 + 0))^2(1 - "
                 r"\rho) \sum_{k \text{ odd}}^n \rho^k \approx (0.5(1.1 + 0))^2(0.5) + (0.5(-0.9 + 0))^2(0.5) = "
                 "0.2525$",
       reading=r"$r_\infty$, the squared-gradient average after many minibatches ($n \to \infty$, the newest "
               r"minibatch being $(1.1, 0)$), is exactly line 1 with infinite sums; $(1 - \rho) \sum_{k \text{ "
               r"even}} \rho^k = \frac{1}{1 + \rho} \to \frac{1}{2}$ and $(1 - \rho) \sum_{k \text{ odd}} \rho^k = "
               r"\frac{\rho}{1 + \rho} \to \frac{1}{2}$, so $\lim_{\rho \to 1^-} r_\infty = 0.2525$")
def rho2_w3_batch2(d):
    rho = d.symbol("rho", bounds=(0, 1))
    r = d.symbol("r_oo", positive=True)
    Se, So = d.symbol("sum_{k even} rho^k", positive=True), d.symbol("sum_{k odd} rho^k", positive=True)
    a2, b2 = _sq(_half(R(11, 10), 0)), _sq(_half(-R(9, 10), 0))
    line1 = d.given(Eq(r, a2 * (1 - rho) * Se + b2 * (1 - rho) * So),
                    why=r"the EWA unrolled (Exercise 1 (d), $m(0)$ forgotten as $n \to \infty$) over the "
                        "minibatch gradients $0.5(1.1 + 0)$ ($k$ even) and $0.5(-0.9 + 0)$ ($k$ odd), newest "
                        "first", label="line 1")
    d.unknowns(Se, So)
    shift = d.given((Eq(Se, 1 + rho ** 2 * Se), Eq(So, rho * Se)),
                    why="the series over even $k$ starts with 1 and repeats itself shifted by two; the odd one is "
                        r"$\rho$ times the even one ($0 < \rho < 1$: both converge)", label="even/odd series")
    d.note("The infinite sums over even and odd $k$ are determined by their shift equations (a linear solve), "
           r"which is cheaper for the engine than summing $\rho^{2j}$ and taking $n \to \infty$.")
    half = d.chain((1 - rho) * Se, using=[shift]).eq(1 / (1 + rho), rule="solve the shift equation",
                                                     label="(1-rho) sum_{k even} rho^k")
    d.chain(sp.Limit((1 - rho) * Se, rho, 1, "-"), using=[half.fact]).eq(R(1, 2), rule=r"$\rho \to 1$",
                                                                          label="~ 0.5")
    ch = (d.chain(r, using=[line1, shift])
          .eq(a2 / (1 + rho) + b2 * rho / (1 + rho), rule="even and odd geometric series", label="even/odd sums"))
    lim = (d.chain(sp.Limit(r, rho, 1, "-"), using=[ch.fact])
           .eq(a2 * R(1, 2) + b2 * R(1, 2), rule=r"$1/(1+\rho), \rho/(1+\rho) \to 1/2$", label="line 2")
           .eq(R(2525, 10000), rule="arithmetic", label="line 3"))
    d.statement(lim.fact.relation, by=lim.fact)


def _stationary_r(k, batch, rho, n_batches=None):
    n_batches = n_batches or int(30 / (1 - rho)) // 2 * 2
    # end on the phase whose newest minibatch is the first of the period (e.g. (1.1, 0) for w_3 at batch 2)
    grads = minibatch_means(k, batch, n_batches + 1, exact=False)
    return squared_gradient_average(rho, grads, 0.0)


def _extrapolate(values):
    """Richardson extrapolation of f(1/N) at N, 2N, 4N to 1/N -> 0; returns (estimate, error estimate)."""
    e1 = 2 * values[1] - values[0]
    e2 = 2 * values[2] - values[1]
    return e2, abs(e2 - e1)


def limits_as_symbols(rel):
    """Each ``Limit`` node of a relation replaced by a fresh symbol; returns (relation, {symbol: Limit})."""
    nodes = {}
    for node in sorted(sp.sympify(rel).atoms(sp.Limit), key=sp.default_sort_key):
        nodes[node] = sp.Symbol(f"L_{len(nodes) + 1}")
    return sp.sympify(rel).xreplace(nodes), {v: k for k, v in nodes.items()}


def squared_average_limit_witness(w, k, batch, Ns=(20, 40, 80)):
    """Form minibatches of the observed series, run r <- rho r + (1-rho) g_B^2 (floating point) for 30/(1-rho)
    minibatches at rho = 1 - 1/N; the statement's limit is read as written: its variable and point must be the
    rho -> 1- the process approaches, its body is evaluated at the measured (r_oo, rho) and extrapolated to
    rho -> 1 (Richardson in 1/N), and the relation is evaluated with that value in place of the Limit."""
    rel = w.statement
    S = w.S
    rho_s, r_s = S["rho"], S["r_oo"]
    method = f"w_{k}, minibatches of {batch}: squared-gradient EWA at rho = 1 - 1/N, N = {Ns}; Richardson in 1/N"
    out, lims = limits_as_symbols(rel)
    runs = {N: _stationary_r(k, batch, 1 - 1 / N) for N in Ns}
    values, errs = {}, {}
    for L, lim in lims.items():
        body, var, to, direction = lim.args[0], lim.args[1], lim.args[2], str(lim.args[3])
        if var != rho_s or to != 1 or direction != "-":
            return w.observe(False, f"the statement's limit is {lim}; the process approaches rho -> 1- (rho < 1 "
                                    "for the average to converge)", method=method)
        vals = []
        for N in Ns:
            v = w.value(body, {rho_s: 1 - R(1, N), r_s: runs[N]})
            if not v.is_number:
                raise ValueError(f"the limit's body {body} names more than rho and r_oo")
            vals.append(float(v))
        values[L], err = _extrapolate(vals)
        errs[L] = err + 1e-9
    if not lims:
        return w.observe(False, f"the statement {rel} names no limit rho -> 1-; the process gives r_oo only "
                                "along rho -> 1", method=method)
    return w.close(values, errs, relation=out, k=3,
                   method=method + f" (r_oo = {', '.join(f'{v:.6f}' for v in runs.values())})", n=len(Ns))


rho2_w3_batch2.add_witness(lambda w: squared_average_limit_witness(w, 3, 2), kind="simulation",
                           name="minibatch_ewa_w3_b2")


@claim(id="adam_minibatch.rho2_w3_batch4",
       title="Squared-gradient average for $w_3$ at minibatch size 4: $r = 0.0025$",
       source=_src(", rho_2, w_3 with minibatch size 4"),
       statement=r"$r \approx (0.25(1.1 + 0 + (-0.9) + 0))^2(1 - \rho) \sum_{k=0}^n \rho^k = 0.0025$",
       reading=r"every minibatch of 4 has the gradient 0.05; after many minibatches ($n \to \infty$, the initial "
               r"value forgotten) $r = 0.0025 (1 - \rho) \sum_{k \geq 0} \rho^k = 0.0025$, for every $0 < \rho < 1$")
def rho2_w3_batch4(d):
    rho = d.symbol("rho", bounds=(0, 1))
    S = d.symbol("sum_{k>=0} rho^k", positive=True)
    d.unknowns(S)
    shift = d.given(Eq(S, 1 + rho * S), why="the geometric series starts with 1 and repeats itself "
                                            r"shifted by one ($0 < \rho < 1$: it converges); "
                                            r"$n \to \infty$", label="geometric series")
    g = sp.Mul(R(1, 4), sp.Add(R(11, 10), 0, -R(9, 10), 0, evaluate=False), evaluate=False)
    ch = (d.chain(_sq(g) * (1 - rho) * S, using=[shift])
          .eq(R(25, 10000), rule=r"$(1 - \rho) \sum_k \rho^k = 1$; $(0.05)^2$", label="n -> oo"))
    d.statement(ch.fact.relation)


def series_witness(w, k, batches, rhos=(Fraction(9, 10), Fraction(1, 2)), T=400):
    """Minibatches of the w_k series, r <- rho r + (1-rho) g_B^2 run exactly over T minibatches at each rho; the
    series sum_{k>=0} rho^k summed to T terms (tail rho^T/(1-rho)). Relation i of the statement (minibatch size
    batches[i]) is evaluated at (rho, the summed series), its left side against the run's r and the run's r
    against its right side, so every number the statement writes is read."""
    S = w.S
    rho_s, ser = S["rho"], S["sum_{k>=0} rho^k"]
    rels = w._relations()
    if len(rels) != len(batches):
        raise ValueError(f"expected {len(batches)} relations, got {len(rels)}")
    obs = []
    for rho in rhos:
        tail = float(rho) ** T / (1 - float(rho))
        partial = sum(rho ** j for j in range(T))
        for rel, batch in zip(rels, batches):
            r = squared_gradient_average(rho, minibatch_means(k, batch, T), Fraction(0))
            rn = sp.Symbol("r_n")
            both = (sp.Eq(rel.lhs, rn, evaluate=False), sp.Eq(rn, rel.rhs, evaluate=False))
            obs.append(w.close({rho_s: float(rho), ser: float(partial), rn: float(r)},
                               {rho_s: 0.0, ser: tail, rn: tail * 4}, relation=both, k=1, floor=1e-13,
                               method=f"squared-gradient EWA over minibatches of {batch} at rho = {rho}, exact; "
                                      f"series summed to {T} terms", n=T))
    return obs


@rho2_w3_batch4.witness("exact")
def _batch4_ewa(w):
    """Minibatches of 4 of the w_3 series at rho = 9/10 and 1/2 (see series_witness)."""
    return series_witness(w, 3, (4,))


@claim(id="adam_minibatch.rho2_w1",
       title="Squared-gradient average for $w_1$: $r = 1$ at minibatch sizes 2 and 4",
       source=_src(", rho_2, w_1"),
       statement="For $w_1$ with minibatch size 2 and 4, we get $r = 1$ in both cases.",
       reading=r"every minibatch of 2 or 4 of the $w_1$ series has the gradient 1; after many minibatches ($n \to "
               r"\infty$) $r = (1 - \rho) \sum_{k \geq 0} \rho^k = 1$ for every $0 < \rho < 1$, at both sizes")
def rho2_w1(d):
    rho = d.symbol("rho", bounds=(0, 1))
    S = d.symbol("sum_{k>=0} rho^k", positive=True)
    d.unknowns(S)
    shift = d.given(Eq(S, 1 + rho * S), why="the geometric series starts with 1 and repeats itself "
                                            r"shifted by one ($0 < \rho < 1$: it converges); "
                                            r"$n \to \infty$", label="geometric series")
    g2 = _half(R(11, 10), R(9, 10))
    g4 = sp.Mul(R(1, 4), sp.Add(R(11, 10), R(9, 10), R(11, 10), R(9, 10), evaluate=False), evaluate=False)
    c2 = d.chain(_sq(g2) * (1 - rho) * S, using=[shift]).eq(1, rule="$(0.5(1.1 + 0.9))^2 = 1$; "
                                                                    r"$(1-\rho) \sum_k \rho^k = 1$",
                                                            label="size 2")
    c4 = d.chain(_sq(g4) * (1 - rho) * S, using=[shift]).eq(
        1, rule=r"$(0.25(1.1 + 0.9 + 1.1 + 0.9))^2 = 1$; $(1-\rho) \sum_k \rho^k = 1$", label="size 4")
    stmt = (c2.fact.relation, c4.fact.relation)
    d.step(stmt, rule="collect", using=[shift])
    d.statement(stmt)


@rho2_w1.witness("exact")
def _w1_ewa(w):
    """Minibatches of 2 (relation 1) and 4 (relation 2) of the w_1 series at rho = 9/10 and 1/2 (see
    series_witness)."""
    return series_witness(w, 1, (2, 4))


@claim(id="adam_minibatch.no_scaling",
       title=r"No straightforward scaling relationship between $\rho_2$ and the minibatch size",
       source=_src(", rho_2, conclusion"),
       statement="which are very different results. For $w_1$ with minibatch size 2 and 4, we get $r = 1$ in both "
                 r"cases. As a result, there is no straightforward scaling relationship between $\rho_2$ and the "
                 "minibatch size.",
       reading=r"the factor by which minibatching changes the squared-gradient average ($\rho \to 1$) depends on "
               "the series, not on the batch size alone: $r(4)/r(1)$ is $1/1.01$ for $w_1$ but $0.0025/0.505 = "
               r"1/202$ for $w_3$ ($r(1) = \langle g^2 \rangle$ of Exercise 1 (b)); so no rescaling of $\rho_2$ by "
               "the batch size can keep $r$")
def no_scaling(d):
    r1, r4 = d.symbols("r_{w1}(1) r_{w1}(4)", positive=True)
    t1, t2, t4 = d.symbols("r_{w3}(1) r_{w3}(2) r_{w3}(4)", positive=True)
    vals = d.given((sp.Eq(r1, R(101, 100)), sp.Eq(r4, 1), sp.Eq(t1, R(101, 200)), sp.Eq(t2, R(2525, 10000)),
                    sp.Eq(t4, R(25, 10000))),
                   why=r"$r$ at batch size 1 is $\langle g^2 \rangle$ (Exercise 1 (b), $\rho \to 1$); at 2 and 4 "
                       "the claims above",
                   label="values")
    f1 = d.chain(r4 / r1, using=[vals]).eq(R(100, 101), rule="divide", label="w_1: r(4)/r(1)").fact
    f3 = d.chain(t4 / t1, using=[vals]).eq(R(1, 202), rule="divide", label="w_3: r(4)/r(1)").fact
    d.chain(t2 / t1, using=[vals]).eq(R(1, 2), rule="divide", label="w_3: r(2)/r(1)")
    stmt = sp.Gt(r4 / r1 - t4 / t1, 0)
    d.step(stmt, rule="the ratios differ", using=[vals, f1, f3])
    d.statement(stmt)


@no_scaling.witness("simulation")
def _ratios_by_running(w):
    """Run the squared-gradient EWA on minibatches of 1 and 4 of both series (rho -> 1 by Richardson, as above);
    the statement is evaluated at the measured values."""
    S = w.S
    meas = {}
    for k, names in ((1, {1: "r_{w1}(1)", 4: "r_{w1}(4)"}), (3, {1: "r_{w3}(1)", 4: "r_{w3}(4)"})):
        for batch, name in names.items():
            # at batch size 1 the stationary r depends on the phase; average over a whole period of phases
            period = 4 if k == 3 else 2
            vals = []
            for N in (20, 40, 80):
                rho = 1 - 1 / N
                nb = int(30 / (1 - rho)) // period * period
                grads = minibatch_means(k, batch, nb + period, exact=False)
                phases = [squared_gradient_average(rho, grads[:nb + p + 1], 0.0) for p in range(period)]
                vals.append(sum(phases) / period)
            meas[S[name]] = _extrapolate(vals)[0]
    rel = w.statement
    holds = bool(rel.xreplace(meas))
    lhs = float(rel.lhs.xreplace(meas))
    return w.observe(holds, "measured " + ", ".join(f"{k}={v:.6f}" for k, v in meas.items())
                     + f"; r_w1(4)/r_w1(1) - r_w3(4)/r_w3(1) = {lhs:.6f}",
                     method="squared-gradient EWA over minibatches, rho -> 1 by Richardson", n=3)
