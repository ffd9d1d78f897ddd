"""Batch size: the gradient covariance at batch size B is Sigma^1 / B, so eta = B eta_0 keeps the temperature
eta Sigma^B fixed; and how eta, N_mu and N_s scale with the batch size (B steps at eta_1 against one batch
step at B eta_1, N_mu,B = N_mu,1 / B, averaging per-example squares for N_s). Encodes Problem 5 of the SGD
problems (000) and the SGD slides (003) "Scaling eta" (two), "Scaling N_mu" and "Scaling N_s". The batch
size in RMSProp and Adam is in ``adam``, backprop through a batch in ``backprop``.
"""
import math
from fractions import Fraction

import numpy as np
import sympy as sp

from proofs import E, Eq, Source, claim
from proofs.witness import nodes_as_symbols


# ==============================================================================================================
# Batch size: the gradient covariance at batch size B is Sigma^1 / B, and eta = B eta_0
# keeps the Langevin temperature eta Sigma^B fixed (Problem 5 of the SGD problems).
#
# Random model: ``ghat[b, i]`` is coordinate i of the b-th sampled gradient of a batch;
# the samples b = 1..B are iid with mean ``g[i]`` and covariance ``Sigma^1[i, j]``
# (declared with :meth:`proofs.expectation.RandomModel.family`), B symbolic.

TOPIC = "batch size"
SGD_PROBLEMS = "000_e701d70adf034ba3.txt"

# A fixed, skewed and correlated population of per-example gradients in R^2, sampled with
# replacement: its mean is g and its (population) covariance is Sigma^1, both exact.
POPULATION = [(7, Fraction(3, 2)), (1, Fraction(1, 2)), (0, Fraction(-3, 2)), (-1, Fraction(-1, 2)),
              (0, Fraction(-5, 2)), (-1, Fraction(-1, 2))]


def population_moments():
    """Exact mean and covariance (ddof 0) of POPULATION: the law of one sampled gradient."""
    K = len(POPULATION)
    mean = [sum(Fraction(p[c]) for p in POPULATION) / K for c in range(2)]
    cov = [[sum((Fraction(p[a]) - mean[a]) * (Fraction(p[b]) - mean[b]) for p in POPULATION) / K
            for b in range(2)] for a in range(2)]
    return mean, cov


def simulate_batch_covariance(w, B, R):
    """Draw R batches of B per-example gradients (with replacement) and estimate Cov(ghat^B).

    Returns {(a, b): (estimate, se)} for the entries (0,0), (0,1), (1,1), SEs from the
    kurtosis-aware delta method (proofs.stats.covariance_se).
    """
    from proofs.stats import covariance_se
    pop = np.array([[float(x) for x in p] for p in POPULATION])
    idx = w.rng.integers(0, len(pop), size=(R, B))
    means = pop[idx].mean(axis=1)                      # (R, 2): the batch gradients ghat^B
    return {(a, b): covariance_se(means[:, a], means[:, b]) for a, b in ((0, 0), (0, 1), (1, 1))}


def replicates_needed(w, rel_err=0.25, share=6):
    """Power calculation: detect a relative error ``rel_err`` in any Sigma entry with power 0.99.

    The coefficient of variation of one product (x - mu_x)(y - mu_y) is computed exactly from
    the population at B = 1 (the largest over the entries; averaging over a batch lowers it)."""
    from proofs.stats import sample_size
    pop = np.array([[float(x) for x in p] for p in POPULATION])
    dev = pop - pop.mean(axis=0)
    cvs = []
    for a, b in ((0, 0), (0, 1), (1, 1)):
        prod = dev[:, a] * dev[:, b]
        cvs.append(prod.std() / abs(prod.mean()))
    return sample_size(rel_err, w.alpha / share, 0.99, cv=max(cvs))


def _scalar_relation(relation, atoms):
    """The statement with Indexed atoms replaced by plain symbols (w.estimate cannot take
    Indexed atoms: their base label stays a free symbol). Returns (relation, {atom: symbol})."""
    names = {a: sp.Symbol("w_" + str(a).replace(" ", "").replace(",", "_").replace("[", "_").replace("]", ""))
             for a in atoms}
    rels = relation if isinstance(relation, tuple) else (relation,)
    out = tuple(r.xreplace(names) for r in rels)
    return (out if len(out) > 1 else out[0]), names


@claim(id="batch_size.covariance",
       title=r"Gradient covariance at batch size $B$ is $\Sigma^1 / B$",
       source=Source(SGD_PROBLEMS, "Problem 5, solution"),
       statement=r"$\Sigma^{B}[i,j] = E \left( \hat{g}^{B}[i] - g[i] \right) (\hat{g}^{B}[j] - g[j]) = \dots = "
                 r"\frac{1}{B} \Sigma^{1}[i,j]$")
def covariance(d):
    B = d.symbol("B", integer=True, positive=True)
    i, j = d.symbols("i j", integer=True)
    b, bp = d.symbols("b b'", integer=True, positive=True)
    g, S1 = d.indexed("g"), d.indexed("Sigma^1")
    gh, ghB, SB = d.indexed("ghat"), d.indexed("ghat^B"), d.indexed("Sigma^B")
    d.random.family(gh, g, S1)
    d.define(ghB[i], sp.Sum(gh[b, i], (b, 1, B)) / B, why=r"$\hat{g}^B$ is the average of $B$ sampled gradients")
    d.define(ghB[j], sp.Sum(gh[b, j], (b, 1, B)) / B, why=r"$\hat{g}^B$ is the average of $B$ sampled gradients")
    d.define(SB[i, j], E((ghB[i] - g[i]) * (ghB[j] - g[j])), why="the covariance matrix at batch size $B$")
    d.note(r"Line 2 writes $(\sum_b \hat{g}_b[i] - g[i])$; read as $\sum_b (\hat{g}_b[i] - g[i])$ (the literal "
           "precedence would be off by $(B - 1) g[i]$ and does not lead to line 3).")
    d.note(r"Lines 4 and 5 write $1/B^2$ in front of the $b = b'$ sum only; taken literally (the $b \neq b'$ sum "
           r"carries no $1/B^2$). The equalities still hold because the $b \neq b'$ sum is 0.")

    def dev(s, c):
        return gh[s, c] - g[c]

    off = 1 - sp.KroneckerDelta(b, bp)                   # the b' != b restriction
    (d.chain(SB[i, j])
     .eq(E((ghB[i] - g[i]) * (ghB[j] - g[j])), rule=r"definition of $\Sigma^B$", label="line 1")
     .eq(E(sp.Sum(dev(b, i), (b, 1, B)) * sp.Sum(dev(b, j), (b, 1, B))) / B ** 2,
         rule=r"$\hat{g}^B = \frac{1}{B} \sum_b \hat{g}_b$, $g = \frac{1}{B} \sum_b g$", label="line 2")
     .eq(E(sp.Sum(dev(b, i) * dev(bp, j), (b, 1, B), (bp, 1, B))) / B ** 2,
         rule="product of sums is a double sum", label="line 3")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2
         + sp.Sum(off * E(dev(b, i) * dev(bp, j)), (b, 1, B), (bp, 1, B)),
         rule=r"linearity of $\mathbb{E}$; split $b = b'$ and $b \neq b'$",
         why=r"as written, $1/B^2$ multiplies only the $b = b'$ sum; the engine evaluates the $b \neq b'$ sum to 0 "
             "(distinct samples are independent with mean-zero deviations), so the line is a true equality",
         label="line 4")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2
         + sp.Sum(off * E(dev(b, i)) * E(dev(bp, j)), (b, 1, B), (bp, 1, B)),
         rule=r"independence of distinct samples $b \neq b'$", why="$1/B^2$ again on the first sum only, as written",
         label="line 5")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2,
         rule=r"$\mathbb{E}(\hat{g}_b[i] - g[i]) = 0$", label="line 6")
     .eq(S1[i, j] / B, rule=r"each of the $B$ terms is $\Sigma^1[i,j]$", label="line 7"))
    d.statement(sp.Eq(SB[i, j], S1[i, j] / B))


def entries_as_symbols(expr, tables: dict):
    """The Indexed entries M[p, q] (integer indices at the test point) of ``expr`` whose base is named in
    ``tables`` ({name: (values 2x2, ses 2x2 or None)}) as plain symbols. Returns (expression, values, ses), or
    None when an entry lies outside the 2 x 2 matrices (the statement is then not applicable there)."""
    rep, vals, ses = {}, {}, {}
    for a in sp.sympify(expr).atoms(sp.Indexed):
        name = str(a.base)
        if name not in tables:
            continue
        if not all(x.is_Integer for x in a.indices):
            raise ValueError(f"the entry {a} has a non-numeric index at the test point")
        p, q = (int(x) for x in a.indices)
        if not (1 <= p <= 2 and 1 <= q <= 2):
            return None
        sym = sp.Symbol(f"{name}[{p},{q}]")
        rep[a] = sym
        v, e = tables[name]
        vals[sym] = v[p - 1][q - 1]
        if e is not None:
            ses[sym] = e[p - 1][q - 1]
    return sp.sympify(expr).xreplace(rep), vals, ses


def evaluate_at_entries(w, at_base: dict, tables: dict, *, n, share, method, entries=((1, 1), (1, 2), (2, 2))):
    """The statement at each entry (i, j): i, j and ``at_base`` put in, its Indexed entries given the measured
    (tables with SEs) or exact (SE None) values, evaluated, both sides, by a z-test. Returns observations and the
    entries skipped (outside the 2 x 2 matrices)."""
    S = w.S
    i, j = S["i"], S["j"]
    out, skipped = [], []
    for a, c in entries:
        at = {i: a, j: c, **at_base}
        sides = [sp.sympify(side).xreplace({k: sp.sympify(v) for k, v in at.items()}) for side in
                 (w.statement.lhs, w.statement.rhs)]
        conv = [entries_as_symbols(side, tables) for side in sides]
        if any(x is None for x in conv):
            skipped.append(f"(i,j)=({a},{c})")
            continue
        rel = sp.Eq(conv[0][0], conv[1][0], evaluate=False)
        vals = {**conv[0][1], **conv[1][1]}
        ses = {**conv[0][2], **conv[1][2]}
        measured = {k: v for k, v in vals.items() if k in ses}
        exact = {k: v for k, v in vals.items() if k not in ses}
        if not measured:
            out.append(w.exact(exact, relation=rel, method=method + f" (entry ({a},{c}); no measured entry named)"))
        else:
            out.append(w.estimate(measured, ses, at=exact, relation=rel, n=n, share=share,
                                  method=method + f", entry (i,j)=({a},{c})"))
    return out, skipped


def _table(est, k):
    return [[est[(min(a, b), max(a, b))][k] for b in range(2)] for a in range(2)]


def batch_covariance_witness(w):
    """Sample batches from a finite skewed population (B = 1, 2 and 4), estimate Cov(ghat^B) (its 2 x 2 matrix,
    symmetric) and evaluate the statement, both sides, at each entry (i, j) with the measured Sigma^B entries it
    names and the population's exact Sigma^1 entries."""
    S = w.S
    _, cov = population_moments()
    R = replicates_needed(w, share=9)
    obs, skipped = [], []
    for batch in (1, 2, 4):
        est = simulate_batch_covariance(w, batch, R)
        o, sk = evaluate_at_entries(w, {S["B"]: batch}, {"Sigma^B": (_table(est, 0), _table(est, 1)),
                                                        "Sigma^1": (cov, None)},
                                    n=R, share=9, method=f"B={batch}: {R} batches drawn with replacement from a "
                                                         "6-point skewed population")
        obs += o
        skipped += [f"B={batch} {x}" for x in sk]
    if not obs:
        return w.observe(False, "the statement names no entry of the 2 x 2 covariances at any test point")
    if skipped:
        obs[-1].detail += f" (not applicable: {'; '.join(skipped)})"
    return obs


covariance.add_witness(batch_covariance_witness, kind="monte-carlo", name="batch_covariance")


@claim(id="batch_size.temperature",
       title=r"$\eta = B\eta_0$ gives $\eta \Sigma^B = \eta_0 \Sigma^1$",
       source=Source(SGD_PROBLEMS, "Problem 5, solution (last line)"),
       statement=r"So for $\eta = B\eta_0$ we have $\eta \Sigma^B = \eta_0 \Sigma^1$ which yields the equivalence.")
def temperature(d):
    B = d.symbol("B", integer=True, positive=True)
    eta, eta0 = d.symbols("eta eta_0", positive=True)
    i, j = d.symbols("i j", integer=True)
    S1, SB = d.indexed("Sigma^1"), d.indexed("Sigma^B")
    cov = d.given(sp.Eq(SB[i, j], S1[i, j] / B), why="batch_size.covariance (the chain above)",
                  label="Sigma^B = Sigma^1/B")
    rate = d.given(sp.Eq(eta, B * eta0), why="the learning-rate scaling of the claim", label="scaling")
    d.step(sp.Eq(eta * SB[i, j], eta0 * S1[i, j]), rule=r"substitute $\eta = B \eta_0$ and $\Sigma^B = \Sigma^1/B$",
           using=[cov, rate])
    d.statement(sp.Eq(eta * SB[i, j], eta0 * S1[i, j]))


def temperature_witness(w, eta0=Fraction(1, 10), batches=(4, 2)):
    """Run SGD updates Delta = -eta ghat^B at batch size 1 (eta_0) and at batch sizes 4 and 2 with eta given
    by the claim's scaling rule; the Langevin noise covariance per unit time is Cov(Delta)/eta = eta Sigma^B.
    The statement is evaluated, both sides, at each entry (i, j) with the measured Sigma^B and Sigma^1 (two
    independent samples) and the rule's eta, eta_0, B."""
    S = w.S
    B, eta, e0 = S["B"], S["eta"], S["eta_0"]
    rule = next(f for f in w.d.facts if f.label == "scaling").relation     # eta = rule(B, eta_0)
    R = replicates_needed(w, rel_err=0.25, share=6)
    small = simulate_batch_covariance(w, 1, R)
    obs, skipped = [], []
    for batch in batches:
        eta_b = w.value(rule.rhs, {B: batch, e0: eta0})
        big = simulate_batch_covariance(w, batch, R)
        o, sk = evaluate_at_entries(w, {B: batch, eta: eta_b, e0: eta0},
                                    {"Sigma^B": (_table(big, 0), _table(big, 1)),
                                     "Sigma^1": (_table(small, 0), _table(small, 1))},
                                    n=R, share=6, method=f"Cov(update)/eta at B={batch}, eta={eta_b} vs B=1, "
                                                         f"eta_0={eta0}; {R} batches each")
        obs += o
        skipped += [f"B={batch} {x}" for x in sk]
    if not obs:
        return w.observe(False, "the statement names no entry of the 2 x 2 covariances at any test point")
    if skipped:
        obs[-1].detail += f" (not applicable: {'; '.join(skipped)})"
    return obs


temperature.add_witness(temperature_witness, kind="monte-carlo", name="temperature")


# ==============================================================================================================
# Scaling eta, N_mu and N_s with the batch size (slides "Scaling eta" (two), "Scaling N_mu", "Scaling N_s"
# of the SGD lecture).
#
# * ``batch_scaling.eta_two_steps``: two B = 1 steps at eta_1 versus one B = 2 step at 2 eta_1, following the
#   slide's chain; the "~" line is made exact by carrying its remainder. For quadratic per-example losses
#   (gradient G_k(Phi) = h_k Phi - b_k) the remainder is exactly eta_1^2 h_{t+1} G_t(Phi_t).
# * ``batch_scaling.eta_two_steps_general``: for an arbitrary smooth per-example gradient G(Phi, x) the
#   remainder R(eta_1) has R(0) = R'(0) = 0 and R''(0)/2 = G(Phi_t, x_t) dG/dPhi(Phi_t, x_{t+1}): O(eta_1^2).
# * ``batch_scaling.eta_B``: B consecutive steps at eta_1 agree to first order in eta_1 with one step at
#   B eta_1 on the batch mean (induction over the steps): eta_B = B eta_1.
# * ``batch_scaling.N_mu``: with N_{mu,B} = N_{mu,1}/B the stationary variance of the momentum average is
#   sigma^2/(2 N_{mu,1} - B) (batch of B: input variance sigma^2/B), against sigma^2/(2 N_{mu,1} - 1) at B = 1:
#   the ratio tends to 1 as N_{mu,1} -> oo.
# * ``batch_scaling.N_s``: the mean of per-example squares estimates E ghat^2 = g^2 + sigma^2 for every B; the
#   square of the batch mean estimates g^2 + sigma^2/B, which depends on B.
#
# Formerly derivations/batch_scaling.py.

SLIDES = "003_1009e14fdb7b0e79.txt"


# ---------------------------------------------------------------------------------------------
# Scaling eta: two B = 1 steps = one B = 2 step at 2 eta_1, to first order
# ---------------------------------------------------------------------------------------------
@claim(id="batch_scaling.eta_two_steps",
       title=r"Two SGD steps at $\eta_1$ are one $B = 2$ step at $2\eta_1$ plus $\eta_1^2 h_{t+1} G_t$ (quadratic "
             "losses)",
       source=Source(SLIDES, 'slides "Scaling eta" (first and second)'),
       statement=r"$\Phi_{t+2} = \Phi_{t+1} - \eta_1 \nabla_{\Phi} \text{loss}(\Phi_{t+1}, x_{t+1}, y_{t+1}) "
                 r"\approx \Phi_{t+1} - \eta_1 \nabla_{\Phi} \text{loss}(\Phi_t, x_{t+1}, y_{t+1}) = \Phi_t - "
                 r"\eta_1 ((\nabla_{\Phi} \text{loss}(\Phi_t, x_t, y_t)) + (\nabla_{\Phi} \text{loss}(\Phi_t, "
                 r"x_{t+1}, y_{t+1}))) = \Phi_t - 2\eta_1 \hat{g}$ for $B = 2$",
       reading=r"per-example losses quadratic, $\text{loss}_k(\Phi) = h_k \Phi^2/2 - b_k \Phi$ (gradient $G_k = h_k "
               r"\Phi - b_k$): the $\approx$ line holds with the exact remainder $-\eta_1 h_{t+1} (\Phi_{t+1} - "
               r"\Phi_t)$, and $\Phi_{t+2} = \Phi_t - 2\eta_1 \hat{g} + \eta_1^2 h_{t+1} G_t(\Phi_t)$ exactly, "
               r"$\hat{g}$ the $B = 2$ batch mean at $\Phi_t$")
def eta_two_steps(d):
    eta = d.symbol("eta_1", positive=True)
    P0, P1, P2 = d.symbols("Phi_t Phi_{t+1} Phi_{t+2}", real=True)
    h0, h1, b0, b1 = d.symbols("h_t h_{t+1} b_t b_{t+1}", real=True)
    gh = d.symbol("ghat", real=True)

    def G0(p):
        return h0 * p - b0

    def G1(p):
        return h1 * p - b1
    up1 = d.given(Eq(P1, P0 - eta * G0(P0)), why="first $B = 1$ step", label="step t")
    up2 = d.given(Eq(P2, P1 - eta * G1(P1)), why="second $B = 1$ step", label="step t+1")
    d.define(gh, (G0(P0) + G1(P0)) / 2, why=r"$\hat{g}$: the batch mean of the two gradients at $\Phi_t$ ($B = 2$)")
    d.note(r"The '$\approx$' line is encoded exactly: it drops "
           r"$-\eta_1 (G_{t+1}(\Phi_{t+1}) - G_{t+1}(\Phi_t)) = -\eta_1 h_{t+1} (\Phi_{t+1} - \Phi_t)$, which is "
           "carried as the remainder through the following lines.")
    rem = -eta * h1 * (P1 - P0)
    (d.chain(P2, using=[up2])
     .eq(P1 - eta * G1(P1), rule="the second update", label="line 1")
     .eq(P1 - eta * G1(P0) + rem, rule=r"gradient at $\Phi_t$ instead of $\Phi_{t+1}$ ('$\approx$'), remainder kept",
         label="line 2 (~)")
     .eq(P0 - eta * (G0(P0) + G1(P0)) + eta ** 2 * h1 * G0(P0), rule="the first update", using=[up1],
         label="line 3")
     .eq(P0 - 2 * eta * gh + eta ** 2 * h1 * G0(P0), rule=r"$\hat{g}$ = batch mean at "
                                                          r"$\Phi_t$", label="line 4 (B = 2)"))
    d.statement(Eq(P2, P0 - 2 * eta * gh + eta ** 2 * h1 * G0(P0)))


@eta_two_steps.witness("exact")
def _two_steps_exact(w):
    """Run two SGD steps (B = 1) exactly in rationals on random quadratic examples and compute the B = 2
    batch gradient at Phi_t; the statement must hold exactly at each of 6 random instances."""
    S = w.S
    obs = []
    for _ in range(6):
        h0, h1 = (Fraction(int(k), 4) for k in w.rng.integers(1, 13, 2))
        b0, b1, p0 = (Fraction(int(k), 3) for k in w.rng.integers(-9, 10, 3))
        eta = Fraction(1, int(w.rng.integers(2, 20)))

        def grad(h, b, p):
            return h * p - b
        p1 = p0 - eta * grad(h0, b0, p0)
        p2 = p1 - eta * grad(h1, b1, p1)
        ghat = (grad(h0, b0, p0) + grad(h1, b1, p0)) / 2
        obs.append(w.exact({S["Phi_{t+2}"]: p2, S["Phi_t"]: p0, S["eta_1"]: eta, S["ghat"]: ghat, S["h_{t+1}"]: h1,
                            S["h_t"]: h0, S["b_t"]: b0}, method="two SGD steps in exact rationals"))
    bad = [o for o in obs if not o.holds]
    return w.observe(not bad, "holds exactly at 6 random quadratic instances" if not bad else bad[0].detail,
                     method="two SGD steps in exact rationals", n=len(obs))


@claim(id="batch_scaling.eta_two_steps_general",
       title=r"Two SGD steps at $\eta_1$ against one $B = 2$ step at $2\eta_1$: the difference is $O(\eta_1^2)$ for "
             "any smooth loss",
       source=Source(SLIDES, 'slides "Scaling eta" (first and second)'),
       statement=r"two updates with $B = 1$ at learning rate $\eta_1$ is the same as one update at $B = 2$ and "
                 r"learning rate $2\eta_1$",
       reading=r"to first order: $R(\eta_1) = \Phi_{t+2} - (\Phi_t - 2\eta_1 \hat{g})$ satisfies $R(0) = 0$, $R'(0) "
               r"= 0$ and $R''(0)/2 = G(\Phi_t, x_t) \frac{\partial G}{\partial \Phi}(\Phi_t, x_{t+1})$, $G$ the "
               r"per-example gradient (an arbitrary smooth function); so $R = G_t G'_{t+1} \eta_1^2 + O(\eta_1^3)$")
def eta_two_steps_general(d):
    eta = d.symbol("eta_1", positive=True)
    P0, x0, x1, u = d.symbols("Phi_t x_t x_{t+1} u", real=True)
    G = d.function("G")
    c0, c1, c2 = d.symbols("R(0) R'(0) R''(0)/2", real=True)
    P1 = P0 - eta * G(P0, x0)
    P2 = P1 - eta * G(P1, x1)
    R = P2 - (P0 - 2 * eta * (G(P0, x0) + G(P0, x1)) / 2)
    d.define(c0, sp.Subs(R, eta, 0), why=r"the remainder at $\eta_1 = 0$")
    d.define(c1, sp.Subs(sp.Derivative(R, eta), eta, 0), why="its first derivative at 0")
    d.define(c2, sp.Subs(sp.Derivative(R, eta, 2), eta, 0) / 2, why="half its second derivative at 0")
    Gp = sp.Subs(sp.Derivative(G(u, x1), u), u, P0)
    Rs = -eta * (G(P1, x1) - G(P0, x1))
    d.chain(R, using=[]).eq(Rs, rule=r"the two updates; the gradients at $\Phi_t$ cancel", label="remainder")
    d.step(Eq(c0, 0), rule=r"set $\eta_1 = 0$", using=[], label="R(0)")
    d.step(Eq(c1, 0), rule=r"product rule: $-(G(\Phi_{t+1}, x_{t+1}) - G(\Phi_t, x_{t+1}))$ vanishes at 0", using=[],
           label="R'(0)")
    d.step(Eq(c2, G(P0, x0) * Gp), rule=r"chain rule: $d\Phi_{t+1}/d\eta_1 = -G(\Phi_t, x_t)$", using=[],
           label="R''(0)/2")
    stmt = (Eq(c0, 0), Eq(c1, 0), Eq(c2, G(P0, x0) * Gp))
    d.step(stmt, rule="collect", using=[], label="Taylor coefficients")
    d.statement(stmt)


def per_example_grad(phi, x):
    """Gradient of a non-quadratic per-example loss log cosh(Phi - x) + Phi^2/10."""
    return math.tanh(phi - x) + phi / 5


def per_example_hess(phi, x):
    return 1 - math.tanh(phi - x) ** 2 + 0.2


def sgd_steps(phi, xs, eta):
    """The process: B = 1 SGD steps at learning rate eta through the examples xs."""
    for x in xs:
        phi = phi - eta * per_example_grad(phi, x)
    return phi


def _with_process_gradient(w, expr):
    """``expr`` with the per-example gradient G the statement names replaced by the process's (tanh(Phi - x) +
    Phi/5) and its derivatives and Subs evaluated."""
    a, x = sp.symbols("a_ x_", real=True)
    e = sp.sympify(expr).replace(w.S.G, sp.Lambda((a, x), sp.tanh(a - x) + a / 5))
    return e.doit()


@eta_two_steps_general.witness("simulation")
def _two_steps_nonquadratic(w):
    """On the loss log cosh(Phi - x) + Phi^2/10 (x_t = 0.7, x_{t+1} = -1.3, Phi_t = 0.4): run two SGD steps and
    one B = 2 step at 2 eta_1 for eta_1 = 2^-3 .. 2^-9; fit R(eta) by polynomials (degree 5 and 6 on the 7
    points; their difference is the error estimate) to read R(0), R'(0), R''(0)/2. Every relation of the
    statement is evaluated, both sides, with those values, Phi_t, x_t, x_{t+1} and the process's gradient in
    place of G (its derivative as the statement writes it); and the fitted order of |R| in eta_1 must be 2
    (1.9 .. 2.1)."""
    S = w.S
    p0, xs = 0.4, (0.7, -1.3)
    etas = np.array([2.0 ** -k for k in range(3, 10)])
    ghat = sum(per_example_grad(p0, x) for x in xs) / 2
    R = np.array([sgd_steps(p0, xs, e) - (p0 - 2 * e * ghat) for e in etas])
    fits = [np.polyfit(etas, R, deg)[::-1] for deg in (5, 6)]
    coef = fits[1][:3]
    err = np.abs(fits[1][:3] - fits[0][:3]) + 1e-13
    rels = tuple(sp.Eq(_with_process_gradient(w, r.lhs), _with_process_gradient(w, r.rhs), evaluate=False)
                 for r in w._relations())
    c = [S["R(0)"], S["R'(0)"], S["R''(0)/2"]]
    vals = {c[0]: coef[0], c[1]: coef[1], c[2]: coef[2], S["Phi_t"]: p0, S["x_t"]: xs[0], S["x_{t+1}"]: xs[1]}
    errs = {c[0]: err[0], c[1]: err[1], c[2]: err[2], S["Phi_t"]: 0.0, S["x_t"]: 0.0, S["x_{t+1}"]: 0.0}
    obs = [w.close(vals, errs, relation=rels, k=10, floor=1e-9,
                   method=f"SGD steps at 7 learning rates; polynomial fit of R: R(0) = {coef[0]:.2e}, R'(0) = "
                          f"{coef[1]:.2e}, R''(0)/2 = {coef[2]:.6f}; G = tanh(Phi - x) + Phi/5")]
    slope = np.polyfit(np.log(etas), np.log(np.abs(R)), 1)[0]
    obs.append(w.observe(1.9 <= slope <= 2.1, f"fitted order of |R(eta_1)|: {slope:.3f} (expected 2)",
                         method="log-log fit over eta_1 = 2^-3 .. 2^-9", n=len(etas)))
    return obs


@claim(id="batch_scaling.eta_B",
       title=r"$B$ steps at $\eta_1$ are one batch-$B$ step at $B\eta_1$ to first order in $\eta_1$ ($\eta_B = "
             r"B\eta_1$)",
       source=Source(SLIDES, 'slide "Scaling eta" (second)'),
       statement=r"$\eta_2 = 2\eta_1, \quad \eta_B = B\eta_1$",
       reading=r"$\Phi_{t+k}(\eta_1)$, the iterate after $k$ steps at $\eta_1$, satisfies $\Phi_{t+k}(0) = \Phi_t$ "
               r"and $\frac{d\Phi_{t+k}}{d\eta_1}(0) = -S_k$, $S_k = \sum_{i<k} G(\Phi_t, x_{t+i})$ (induction on "
               r"$k$). At $k = B$: $\Phi_{t+B} = \Phi_t - B\eta_1 \hat{g}_B + O(\eta_1^2)$, the same first-order "
               r"term as one step at learning rate $\eta_B = B\eta_1$ on the batch mean $\hat{g}_B = S_B/B$")
def eta_B(d):
    eta = d.symbol("eta_1", positive=True)
    k = d.symbol("k", integer=True, positive=True)      # the inductive steps' k (the base case is k = 0)
    P0 = d.symbol("Phi_t", real=True)
    SB = d.symbol("S_B", real=True)
    x, S = d.indexed("x", real=True), d.indexed("S", real=True)      # x[i] = x_{t+i}, S[k] = S_k
    B = d.symbol("B", integer=True, positive=True)
    ghB = d.symbol("ghat_B", real=True, nonzero=True)
    G, Phi = d.function("G"), d.function("Phi_{t+k}")                  # Phi_{t+k}(eta_1) as Phi(k, eta_1)

    def D(j):                   # dPhi_{t+j}/deta_1 at eta_1 = 0
        return sp.Subs(sp.Derivative(Phi(j, eta), eta), eta, 0)

    d.unknowns(D(0), D(k), D(k - 1))
    d.given(Eq(Phi(0, 0), P0), why=r"$\Phi_{t+0} = \Phi_t$", label="k = 0")
    d.given(Eq(D(0), 0), why=r"$\Phi_t$ does not depend on $\eta_1$", label="k = 0, derivative")
    d.given(Eq(S[0], 0), why="$S_0 = 0$ (the empty sum)", label="S_0")

    def step(j):                # Phi_{t+j}(eta_1): one SGD step from Phi_{t+j-1}(eta_1) on x_{t+j-1}
        return Eq(Phi(j, eta), Phi(j - 1, eta) - eta * G(Phi(j - 1, eta), x[j - 1]))

    # induction on k (the recursions hold for k >= 1, so they are stated in the inductive steps); first the value:
    # Phi_{t+k-1}(0) = Phi_t for every k >= 1 (written at k - 1, the index the derivative's step needs)
    with d.induction(Eq(Phi(k - 1, 0), P0), on=k, base=1, label="value") as iv:
        upd = d.given(step(k - 1), why=r"the SGD step to $\Phi_{t+k-1}$", label="step to k-1")
        (d.chain(sp.Subs(Phi(k - 1, eta), eta, 0), using=[upd])
         .eq(sp.Subs(step(k - 1).rhs, eta, 0), rule="the SGD step")
         .eq(Phi(k - 2, 0), rule=r"set $\eta_1 = 0$", label="value")
         .eq(P0, rule="induction hypothesis", using=[iv.hypothesis], label="value (hypothesis)"))
    # then the derivative: dPhi_{t+k}/deta_1 (0) = -S_k for every k >= 0 (base case k = 0: S_0 = 0)
    with d.induction(Eq(D(k), -S[k]), on=k, base=0, label="derivative") as idv:
        upd = d.given(step(k), why=r"the SGD step to $\Phi_{t+k}$", label="step to k")
        sdef = d.given(Eq(S[k], S[k - 1] + G(P0, x[k - 1])), why=r"$S_k = S_{k-1} + G(\Phi_t, x_{t+k-1})$",
                       label="S_k")
        (d.chain(D(k), using=[upd])
         .eq(D(k - 1) - G(Phi(k - 1, 0), x[k - 1]), rule="product and chain rule at "
                                                         r"$\eta_1 = 0$", label="derivative")
         .eq(-S[k - 1] - G(P0, x[k - 1]), rule="induction hypothesis", using=[iv.fact, idv.hypothesis],
             label="derivative (hypothesis)")
         .eq(-S[k], rule="definition of $S_k$", using=[sdef], label="derivative at k"))
    c = d.symbol("c", real=True)
    d.unknowns(c)
    one = d.given(Eq(SB, B * ghB), why=r"at $k = B$: $S_B = B \hat{g}_B$, $\hat{g}_B$ the batch mean at $\Phi_t$ "
                                       r"(assumed $\neq 0$)",
                  label="batch mean")
    req = d.given(Eq(-c * ghB, -SB),
                  why=r"one step at learning rate $c \eta_1$ on the batch mean, $\Phi_t - c \eta_1 \hat{g}_B$, has "
                      r"first-order term $-c \hat{g}_B$; require it to equal that of the $B$ steps, $-S_B$",
                  label="equal first-order terms")
    d.step(Eq(c, B), rule="solve for $c$", using=[req, one], label="eta_B = B eta_1")
    d.statement(Eq(c, B))


@eta_B.witness("finite-difference")
def _eta_B_first_order(w):
    """On the non-quadratic loss, B = 4 and B = 3 examples: run B SGD steps at eta_1 and read the first-order term
    of Phi_{t+B}(eta_1) (Richardson central difference in eta_1 at 0); the factor c of one batch step
    Phi_t - c eta_1 ghat_B with the same first-order term is c = -(dPhi_{t+B}/deta_1)/ghat_B. The statement is
    evaluated, both sides, at the measured c and B."""
    from proofs.finite_diff import richardson
    S = w.S
    p0 = 0.4
    obs = []
    for xs in ((0.7, -1.3, 0.2, 1.5), (-0.4, 0.9, 2.1)):
        Bn = len(xs)
        ghat = sum(per_example_grad(p0, x) for x in xs) / Bn
        d1, err = richardson(lambda e: sgd_steps(p0, xs, float(e[0])), np.zeros(1), np.ones(1), h=1e-3)
        c_meas = -d1 / ghat
        obs.append(w.close({S.c: c_meas, S.B: Bn}, {S.c: (err + 1e-12) / abs(ghat), S.B: 0.0}, k=10, floor=1e-9,
                           method=f"B = {Bn} SGD steps, Richardson central difference in eta_1: dPhi/deta_1 = "
                                  f"{d1:.6g} +- {err:.1g}, ghat_B = {ghat:.6g}, measured c = {c_meas:.9g}", n=Bn))
    return obs


# ---------------------------------------------------------------------------------------------
# Scaling N_mu
# ---------------------------------------------------------------------------------------------
@claim(id="batch_scaling.N_mu",
       title=r"$N_{\mu,B} = N_{\mu,1}/B$: the momentum average's variance is $\sigma^2/(2N_{\mu,1} - B)$, ratio "
             r"$\to 1$",
       source=Source(SLIDES, 'slide "Scaling N_mu"'),
       statement=r"For batch size $B$, $\hat{\mu}_t$ is averaging over $N_{\mu,B}B$ gradient values. Holding the "
                 r"number of included gradients constant gives $N_{\mu,B}B = N_{\mu,1} \quad \text{or} \quad "
                 r"N_{\mu,B} = N_{\mu,1}/B$",
       reading=r"per-example gradients iid with variance $\sigma^2$, so a batch mean has variance $\sigma^2/B$; the "
               r"stationary variance of $\hat{\mu}$ with parameter $N$ is $\operatorname{Var}(\text{input})/((2 - "
               r"1/N) N)$ (running_average.variance_limit). With $N_{\mu,B} = N_{\mu,1}/B$ it is "
               r"$\sigma^2/(2N_{\mu,1} - B)$, versus $\sigma^2/(2N_{\mu,1} - 1)$ at $B = 1$ (the number of gradient "
               r"values averaged, $\sigma^2/\operatorname{Var} = B(2N_{\mu,B} - 1)$, is $2N_{\mu,1} - B$ versus "
               r"$2N_{\mu,1} - 1$); the ratio of the two tends to 1 as $N_{\mu,1} \to \infty$")
def N_mu(d):
    B = d.symbol("B", positive=True)
    N1 = d.symbol("N_mu1", bounds=(B, sp.oo))
    NB = d.symbol("N_muB", positive=True)
    s2 = d.symbol("sigma^2", positive=True)
    VB, V1 = d.symbols("V_B V_1", positive=True)
    lim = d.given(Eq(VB, (s2 / B) / ((2 - 1 / NB) * NB)),
                  why=r"running_average.variance_limit with inputs $\hat{g}_B$ of variance $\sigma^2/B$ "
                      "(batch_size.covariance)",
                  label="variance at batch size B")
    lim1 = d.given(Eq(V1, s2 / ((2 - 1 / N1) * N1)), why="the same at $B = 1$", label="variance at B = 1")
    rule = d.given(Eq(NB, N1 / B), why="the slide's scaling rule", label="N_mu,B = N_mu,1 / B")
    (d.chain(VB, using=[lim, rule])
     .eq(s2 / (B * (2 * NB - 1)), rule="$(2 - 1/N) N = 2N - 1$", label="V_B")
     .eq(s2 / (2 * N1 - B), rule=r"$N_{\mu,B} = N_{\mu,1}/B$", label="V_B under the rule"))
    d.note(r"$N_{\mu,1} > B$ (i.e. $N_{\mu,B} > 1$), so the side conditions $2 N_{\mu,B} - 1 \neq 0$ and "
           r"$2 N_{\mu,1} - B \neq 0$ hold; $B$ is declared a positive real (not an integer) so that the engine's "
           r"reparametrisation $N_{\mu,1} = B + r$ applies.")
    ratio = (s2 / (2 * N1 - B)) / (s2 / ((2 - 1 / N1) * N1))
    (d.chain(sp.Limit(ratio, N1, sp.oo), using=[])
     .eq(sp.Limit((2 * N1 - 1) / (2 * N1 - B), N1, sp.oo), rule=r"cancel $\sigma^2$", label="ratio")
     .eq(1, rule="limit", label="ratio -> 1"))
    stmt = (Eq(VB, s2 / (2 * N1 - B)), Eq(sp.Limit(VB / V1, N1, sp.oo), 1))
    d.step(stmt, rule="collect", using=[lim, lim1, rule], label="collect")
    d.statement(stmt)


def simulate_momentum_average(w, B, N, R, T, rng_draw):
    """R chains of mu_t = (1 - 1/N) mu_{t-1} + ghat_t / N, ghat_t the mean of B per-example gradients
    (drawn by rng_draw(shape)); returns mu_T per chain."""
    mu = np.zeros(R)
    for _ in range(T):
        ghat = rng_draw((B, R)).mean(axis=0)
        mu = (1 - 1 / N) * mu + ghat / N
    return mu


@N_mu.witness("monte-carlo")
def _momentum_average_variance(w):
    """Simulate the momentum average over batches of per-example gradients (shifted exponentials, variance 3):
    at (B = 4, N_mu,1 = 16) and (B = 2, N_mu,1 = 24), V_B with N_mu,B = N_mu,1/B and V_1 with N_mu,1 at B = 1
    (12 N steps each; the start's effect is (1 - 1/N)^(24 N) < 1e-8). The first equation is evaluated, both
    sides, at the measured V_B, V_1 and (B, N_mu,1, sigma^2) by a z-test. The second is read as written: its
    limit must be N_mu,1 -> oo; its body is evaluated on V_B and V_1 from the variance recursion of the process
    Var mu_t = (1 - 1/N)^2 Var mu_{t-1} + Var(ghat)/N^2 iterated to convergence at N_mu,1 = 256, 512, 1024 (B = 4),
    Richardson-extrapolated (a body that does not settle, Richardson error > 1e-3 relative, has no observed
    limit), and the relation evaluated with that value."""
    from proofs.stats import sample_size_variance, variance_se
    S = w.S
    B, N1, s2, VB, V1 = S.B, S.N_mu1, S["sigma^2"], S.V_B, S.V_1
    rels = w._relations()
    var_x = 3.0
    R = sample_size_variance(0.10, kurtosis=3.5, alpha=w.alpha / 3)

    def draw(shape):
        return w.rng.exponential(np.sqrt(var_x), size=shape) + 1.0
    obs = []
    plain = [r for r in rels if not r.has(sp.Limit)]
    for b, n1 in ((4, 16), (2, 24)):
        nb = n1 // b
        eb, sb = variance_se(simulate_momentum_average(w, b, nb, R, 12 * nb, draw))
        e1, s1 = variance_se(simulate_momentum_average(w, 1, n1, R, 12 * n1, draw))
        if plain:
            obs.append(w.estimate({VB: eb, V1: e1}, {VB: sb, V1: s1}, relation=tuple(plain),
                                  at={B: b, N1: n1, s2: var_x}, n=R, share=2 * len(plain),
                                  method=f"B = {b}, N_mu,B = {nb}; B = 1, N_mu,1 = {n1}: {R} momentum averages "
                                         "each over skewed per-example gradients"))

    def stationary_variance(b, n):
        v, x = 0.0, var_x / b
        for _ in range(int(40 * n)):
            v = (1 - 1 / n) ** 2 * v + x / n ** 2
        return v
    Bv = 4
    Ns = (256, 512, 1024)
    runs = {n1: (stationary_variance(Bv, n1 / Bv), stationary_variance(1, n1)) for n1 in Ns}
    for rel in rels:
        if not rel.has(sp.Limit):
            continue
        out, lims = nodes_as_symbols(rel, sp.Limit, "L")
        values, errs = {}, {}
        for L, lim in lims.items():
            body, var, to = lim.args[0], lim.args[1], lim.args[2]
            if var != N1 or to != sp.oo:
                return obs + [w.observe(False, f"the statement's limit is {lim}; the process approaches N_mu,1 -> oo "
                                               "only", method="variance recursion of the process")]
            seq = {}
            for n1, (vb, v1) in runs.items():
                v = w.value(body, {VB: vb, V1: v1, N1: n1, B: Bv, s2: var_x})
                if not v.is_number:
                    raise ValueError(f"the limit's body {body} names more than V_B, V_1, N_mu1, B, sigma^2")
                seq[n1] = float(v)
            from derivations.gradient_flow import richardson_limit
            values[L], err = richardson_limit(seq)
            errs[L] = max(err, 1e-12)
            if err > 1e-3 * max(1.0, abs(values[L])):
                return obs + [w.observe(False, f"the body of {lim} does not settle along N_mu,1 = {Ns}: "
                                               + ", ".join(f"{v:.6g}" for v in seq.values())
                                               + f" (Richardson error {err:.3g}): no finite limit observed",
                                        method="variance recursion of the process")]
        obs.append(w.close(values, errs, relation=out, at={B: Bv, s2: var_x}, k=10,
                           method=f"variance recursion of the process at N_mu,1 = {Ns} (B = {Bv} vs 1); the limit's "
                                  f"body {lims and next(iter(lims.values())).args[0]} Richardson-extrapolated: "
                                  + ", ".join(f"{v:.6f}" for v in values.values())))
    return obs


# ---------------------------------------------------------------------------------------------
# Scaling N_s
# ---------------------------------------------------------------------------------------------
@claim(id="batch_scaling.N_s",
       title=r"Average per-example squares, not squared batch means: $\mathbb{E} \hat{g}_B^2 = g^2 + \sigma^2/B$",
       source=Source(SLIDES, 'slide "Scaling N_s"'), also=(Source(SLIDES, 'slide "RMSProp"'),),
       statement=r"To estimate $E g[i]^2$ we should average $\hat{g}_t[i]^2$ over batch elements rather than batch "
                 "averages. ... $N_s$ should be constant independent of batch size.",
       reading=r"per-example gradients $x_b$ iid with mean $g$ and variance $\sigma^2$: $\mathbb{E}\,\frac{1}{B} "
               r"\sum_b x_b^2 = g^2 + \sigma^2$ for every $B$ (the RMSProp target $\mathbb{E}\,\hat{g}^2$ of the "
               r"slide 'RMSProp'), while $\mathbb{E} (\frac{1}{B} \sum_b x_b)^2 = g^2 + \sigma^2/B$ depends on $B$; "
               "so $s$ must average per-example squares and $N_s$ counts batch elements")
def N_s(d):
    B = d.symbol("B", integer=True, positive=True)
    b = d.symbol("b", integer=True, positive=True)
    g = d.symbol("g", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    x = d.indexed("x")
    d.random.family(x, g, s2)
    mean = sp.Sum(x[b], (b, 1, B)) / B
    sq = sp.Sum(x[b] ** 2, (b, 1, B)) / B
    e1 = (d.chain(E(sq), using=[])
          .eq(sp.Sum(E(x[b] ** 2), (b, 1, B)) / B, rule=r"linearity of $\mathbb{E}$", label="elements: linearity")
          .eq(g ** 2 + s2, rule=r"$\mathbb{E}\, x^2 = g^2 + \sigma^2$ for each of the $B$ terms", label="elements"))
    e2 = (d.chain(E(mean ** 2), using=[])
          .eq(g ** 2 + s2 / B, rule=r"expand the square: $B$ diagonal terms $g^2 + \sigma^2$, $B(B-1)$ cross terms "
                                    "$g^2$",
              label="batch means"))
    stmt = (Eq(E(sq), g ** 2 + s2), Eq(E(mean ** 2), g ** 2 + s2 / B))
    d.step(stmt, rule="collect", using=[e1.fact, e2.fact], label="collect")
    d.statement(stmt)


def rmsprop_second_moment(w, B, Ns, R, T, mode, g=0.5, sd=2.0):
    """RMSProp's running average s over a stream of per-example gradients (g + sd (Exp(1) - 1), skewed),
    in batches of B. mode 'elements': s is updated once per batch element with its square (N_s counts
    elements); mode 'batch': s is updated once per batch with the squared batch mean. Returns s_T per chain."""
    s = np.zeros(R)
    for _ in range(T):
        x = g + sd * (w.rng.exponential(1.0, size=(B, R)) - 1.0)
        if mode == "elements":
            for k in range(B):
                s = (1 - 1 / Ns) * s + x[k] ** 2 / Ns
        else:
            s = (1 - 1 / Ns) * s + x.mean(axis=0) ** 2 / Ns
    return s


def rmsprop_on_statement(w, inner, B, Ns, R, T, g=2.0, sd=np.sqrt(3.0)):
    """RMSProp's running average s <- (1 - 1/N_s) s + q/N_s, once per batch of B per-example gradients
    (g + sd (Exp(1) - 1), skewed), where q is what the statement writes inside E(...) evaluated on the batch
    (x[i] for each index i it names; indices outside 1..B are further independent examples of the same law).
    Returns s_T per chain (R chains, T batches, from s_0 = 0)."""
    x_base = [a for a in inner.atoms(sp.Indexed)]
    idx = sorted(x_base, key=sp.default_sort_key)
    other = inner.free_symbols - set().union(*(a.free_symbols for a in idx)) if idx else inner.free_symbols
    if other:
        raise ValueError(f"no value for {', '.join(map(str, other))} in {inner}")
    f = sp.lambdify([idx], inner, modules="numpy")
    s = np.zeros(R)
    for _ in range(T):
        x = g + sd * (w.rng.exponential(1.0, size=(max(1, len(idx)), R)) - 1.0)
        s = (1 - 1 / Ns) * s + np.broadcast_to(np.asarray(f(x), dtype=float), (R,)) / Ns
    return s


@N_s.witness("monte-carlo")
def _rmsprop_semantics(w):
    """Run RMSProp's s (N_s = 8, from s_0 = 0 for 20 N_s batches: start bias (1 - 1/8)^160 < 1e-9) over
    per-example gradients with g = 2, sigma^2 = 3 at B = 3 and B = 5, each batch feeding s with what the
    statement writes inside E(...) (the per-element mean of squares, the squared batch mean, as written); the
    statement is evaluated, every relation and both sides, with the E(...) it writes replaced by the measured
    E s_T."""
    from proofs.stats import mean_se, sample_size
    from proofs.witness import expectations_as_symbols
    S = w.S
    B, g, s2 = S.B, S.g, S["sigma^2"]
    Ns = 8
    sizes = (3, 5)
    R = sample_size(0.10, w.alpha / 4, 0.99, cv=1.0)
    obs = []
    for Bv in sizes:
        at = {B: Bv, g: 2, s2: 3}
        out, nodes = expectations_as_symbols(w.statement)
        means, ses = {}, {}
        for sym, node in nodes.items():
            inner = sp.sympify(node.args[0]).xreplace({k: sp.sympify(v) for k, v in at.items()}).doit()
            means[sym], ses[sym] = mean_se(rmsprop_on_statement(w, inner, Bv, Ns, R, 20 * Ns))
        obs.append(w.estimate(means, ses, relation=out, at=at, n=R, share=len(sizes) * len(w._relations()),
                              method=f"B = {Bv}: {R} RMSProp chains, N_s = {Ns}, s fed once per batch with the "
                                     "statement's E(...) argument"))
    return obs
