"""Randomised 1-bit gradient quantisation: the reconstruction a gt + b is unbiased for beta_i = (g_i - b)/a,
when (a, b) is feasible (an erratum in the strict inequalities of (22), corrected), that (a, b) is not
unique, the variance of a quantised coordinate, and the (a, b) that minimise it. Encodes Assignment 4
(Stochastic Gradient Quantization, eqs. (20)-(24)) of the assignments (002).
"""
# Randomised 1-bit gradient quantisation (Assignment 4, eqs. (20)-(24)).
#
# The worker sends gt in {0, 1}^n and two reals a, b; the server reconstructs a gt + b. With
# gt_i ~ Bernoulli(beta_i) independently:
#
# * (20) beta_i = (g_i - b)/a makes every coordinate unbiased, E[a gt_i + b] = g_i;
# * (21) it needs 0 <= beta_i <= 1;
# * (22) "assuming a > 0, it is equivalent to b < q_i < a + b": the inequalities must be
#   non-strict (g_i = b is feasible with beta_i = 0, g_i = a + b with beta_i = 1), and q_i is a
#   typo for g_i. Refuted as printed; corrected: b <= g_i <= a + b;
# * any b <= m = min g_i, a + b >= M = max g_i works, so (a, b) is not unique;
# * (23) Var(a gt_i + b) = (g_i - b)(a + b - g_i);
# * (24) b = m, a = M - m minimises every coordinate's variance over the feasible (a, b)
#   simultaneously.
#
# Closed intervals: the engine's bounds are open (lo < s < hi). Where a quantity ranges over a closed
# interval [0, 1] (beta_i) it is declared with bounds (0, 1), so sign reasoning covers the interior
# (beta = 1/(1 + r), r > 0), and the claim's sampler draws the endpoints 0 and 1 at every check (the
# cycle 0, 1, interior), so the two endpoints are evaluated exactly. Feasible sets b <= m <= g_i <= M
# <= a + b are written with non-negative gaps (m - b, g_i - m, M - g_i, a + b - M >= 0).

from fractions import Fraction

import numpy as np
import sympy as sp

from derivations.running_averages import variance_estimates
from proofs import E, Source, Var, claim
from proofs.witness import expectation_estimates

TOPIC = "quantisation"
DL_ASSIGNMENTS = "002_4657f5e75f199049.txt"


def _src(eq: str) -> Source:
    return Source(DL_ASSIGNMENTS, f"Assignment 4 (Stochastic Gradient Quantization), {eq}")


# ------------------------------------------------------------------------------------------------
# the quantiser (the process every witness runs)
# ------------------------------------------------------------------------------------------------

class Infeasible(ValueError):
    """The Bernoulli probabilities (20) are not in [0, 1]: the quantiser cannot run."""


def quantise(rng, beta, a, b, R):
    """R independent quantisations: gt_i ~ Bernoulli(beta_i) (one bit per coordinate), reconstructed as
    a gt + b. Returns an (R, n) array. Raises Infeasible if some beta_i is not a probability."""
    beta = np.asarray(beta, dtype=float)
    if np.any(beta < 0) or np.any(beta > 1):
        raise Infeasible(f"beta = {beta} not in [0, 1]")
    bits = rng.random((R, len(beta))) < beta
    return a * bits + b


def _cannot_run(w, beta, g, a, b):
    return w.observe(False, f"the claim's beta_i = {[round(float(x), 4) for x in beta]} at "
                            f"g = {[float(x) for x in g]}, a = {a}, b = {b} are not all probabilities: the quantiser "
                            "cannot run", method="quantiser")


def claimed_probabilities(w, g, a, b):
    """beta_i as the claim defines it ((20), the quantiser's rule under test), at each coordinate of g."""
    S = w.S
    defs = {f.relation.lhs: f.relation.rhs for f in w.d.definitions}
    rule = defs[S.beta_i]
    return np.array([float(rule.xreplace({S.g_i: sp.Rational(str(gi)), S.a: sp.Rational(str(a)),
                                          S.b: sp.Rational(str(b))})) for gi in g])


def exact_output_law(g_i, a, b):
    """The exact law of the reconstruction a gt_i + b of one coordinate (Fractions): {value: probability}.
    Raises Infeasible if beta_i is not in [0, 1]."""
    g_i, a, b = Fraction(g_i), Fraction(a), Fraction(b)
    beta = (g_i - b) / a
    if not 0 <= beta <= 1:
        raise Infeasible(f"beta = {beta} not in [0, 1]")
    law = {}
    for bit, p in ((0, 1 - beta), (1, beta)):
        if p:
            law[a * bit + b] = law.get(a * bit + b, 0) + p
    return law


def law_mean_var(law):
    mean = sum(v * p for v, p in law.items())
    return mean, sum((v - mean) ** 2 * p for v, p in law.items())


def _boundary_sampler(beta_syms):
    """Draws beta_i in the closed [0, 1]: 0, 1 and an interior rational in turn (so every batch of
    points of a check contains both endpoints)."""
    state = {"n": 0}

    def sample(rnd):
        out = {}
        for s in beta_syms:
            c = state["n"] % 3
            q = rnd.choice((3, 4, 5, 7))
            out[s] = (sp.Integer(0), sp.Integer(1), sp.Rational(rnd.randint(1, q - 1), q))[c]
        state["n"] += 1
        return out

    return sample


# ------------------------------------------------------------------------------------------------
# (20) unbiasedness
# ------------------------------------------------------------------------------------------------

def unbiased_build(d, *, sign=-1):
    a = d.symbol("a", real=True, nonzero=True)
    b, g = d.symbols("b g_i", real=True)
    beta = d.symbol("beta_i", real=True)
    d.define(beta, (g + sign * b) / a, label="(20)", why=r"the quantiser's choice of $\mathbb{P}(\tilde{g}_i = 1)$")
    gt = d.random.bernoulli("gt_i", (g + sign * b) / a)
    ch = (d.chain(E(a * gt + b))
          .eq(a * E(gt) + b, rule="linearity of expectation", label="E[a gt_i + b], linearity")
          .eq(a * beta + b, rule=r"$\mathbb{E}[\tilde{g}_i] = \mathbb{P}(\tilde{g}_i = 1) = \beta_i$ "
                                 "(Bernoulli)", label="E[a gt_i + b] = a beta_i + b")
          .eq(g, rule=r"(20): $\beta_i = (g_i - b)/a$", label="(20)"))
    d.statement(sp.Eq(E(a * gt + b), ch.current))


@claim(id="quantisation.unbiased", title=r"Randomised 1-bit quantisation: $\beta_i = (g_i - b)/a$ is unbiased",
       source=_src("eq. (20)"), topic=TOPIC,
       statement=r"$\mathbb{E}[a\tilde{g}_i+b]=a\beta_i+b$ and can make all coordinates unbiased by setting "
                 r"$\beta_i = \frac{g_i - b}{a}$",
       reading=r"for $\tilde{g}_i \sim \operatorname{Bernoulli}((g_i - b)/a)$, $a \neq 0$: $\mathbb{E}[a\tilde{g}_i "
               "+ b] = g_i$")
def unbiased(d):
    unbiased_build(d)


# feasible (a, b) with margin for the Monte Carlo: every beta_i strictly inside (0, 1)
MC_GRADIENT = np.array([0.6, -0.9, 1.5])
MC_A, MC_B = 3.4, -1.4          # b = m - 1/2, a + b = M + 1/2


def _quantised_bits(w, beta, R):
    """R independent draws of the bits gt_i ~ Bernoulli(beta_i) the quantiser sends (an (R, n) array of 0/1)."""
    return (w.rng.random((R, len(beta))) < np.asarray(beta, dtype=float)).astype(float)


def _unbiased_monte_carlo(w):
    """Run the quantiser (bits drawn with the claim's beta_i) R times on a 3-coordinate gradient (feasible a, b with
    margin); per coordinate what the statement writes inside E(...) is averaged over the runs' bits gt_i
    (expectation_estimates) and the statement compared as written at that coordinate's g_i, a, b (z-test, alpha
    split 3 ways)."""
    from proofs.stats import sample_size
    S = w.S
    g, a, b = MC_GRADIENT, MC_A, MC_B
    beta = claimed_probabilities(w, g, a, b)
    if np.any((beta < 0) | (beta > 1)):
        return _cannot_run(w, beta, g, a, b)
    sd = a * np.sqrt(np.maximum(beta * (1 - beta), 1e-6))
    R = max(sample_size(0.1, w.alpha / len(g), 0.99, cv=float(c)) for c in sd / np.abs(g))
    bits = _quantised_bits(w, beta, R)
    gt = w.random("gt_i")
    obs = []
    for i in range(len(g)):
        at = {S.g_i: sp.Rational(str(g[i])), S.a: sp.Rational(str(a)), S.b: sp.Rational(str(b))}
        rel, means, ses, n = expectation_estimates(w.statement, {gt: bits[:, i]}, at=at)
        obs.append(w.estimate(means, ses, relation=rel, n=n, share=len(g), at=at,
                              method=f"{R} quantisations of g = {[float(x) for x in g]} with a = {a}, b = {b}"))
    return obs


unbiased.add_witness(_unbiased_monte_carlo, kind="monte-carlo", name="quantiser_mean")


# ------------------------------------------------------------------------------------------------
# (21) -> (22): the feasible coordinates, as printed (strict, refuted) and corrected
# ------------------------------------------------------------------------------------------------

def _feasible_coordinate(d):
    """a > 0; g_i = a beta_i + b with beta_i in [0, 1]: exactly the coordinates (21) admits."""
    a = d.symbol("a", positive=True)
    b, g = d.symbols("b g_i", real=True)
    beta = d.symbol("beta_i", bounds=(0, 1), closed=True)       # (21): 0 <= beta_i <= 1
    d.sampler(_boundary_sampler([beta]))
    d.define(g, a * beta + b, label="(20), (21)",
             why=r"(20) solved for $g_i$; (21) says $\beta_i = (g_i - b)/a$ is in $[0, 1]$, so the coordinates it "
                 r"admits are exactly $g_i = a \beta_i + b$, $0 \leq \beta_i \leq 1$")
    d.note(r"$\beta_i$ ranges over the closed interval $[0, 1]$ of (21) (declared closed): sign reasoning covers "
           r"the interior and checks the ends $\beta_i = 0$ ($g_i = b$) and $\beta_i = 1$ ($g_i = a + b$) exactly; "
           "the claim's sampler draws both ends at every check.")
    return a, b, g, beta


@claim(id="quantisation.feasibility", title="(21) with $a > 0$ is equivalent to $b < g_i < a + b$ (strict, as "
                                            "printed)",
       source=_src("eqs. (21), (22)"), topic=TOPIC, expected="refuted",
       statement=r"$0 \le \frac{g_i - b}{a} \le 1 \ \forall i$. Assuming that $a > 0$, it is equivalent to $b < q_i "
                 r"< a + b \ \forall i$",
       reading="every $g_i$ admitted by (21) ($a > 0$) satisfies $b < g_i < a + b$ ($q_i$ read as $g_i$)")
def feasibility(d):
    a, b, g, beta = _feasible_coordinate(d)
    d.note("(22) writes $q_i$; read as $g_i$ (a typo: $q$ is not defined anywhere).")
    d.step((sp.Lt(b, g), sp.Lt(g, a + b)), rule="(21) multiplied by $a > 0$", label="(22)")
    d.statement((sp.Lt(b, g), sp.Lt(g, a + b)))


def feasibility_corrected_build(d, *, upper=None):
    a, b, g, beta = _feasible_coordinate(d)
    up = a + b if upper is None else upper(a, b)
    lower = d.step(sp.Ge(g - b, 0), rule=r"(21), left: $\beta_i \geq 0$ and $a > 0$", label="(22) corrected, left")
    right = d.step(sp.Ge(up - g, 0), rule=r"(21), right: $\beta_i \leq 1$ and $a > 0$", label="(22) corrected, right")
    # the converse: every b <= h <= a + b has (h - b)/a in [0, 1]
    h = d.symbol("h", real=True)
    lam = d.symbol("lambda", bounds=(0, 1), closed=True)       # 0 <= lambda <= 1
    conv = d.given(sp.Eq(h, b + lam * (up - b)), label="b <= h <= a + b",
                   why=r"a coordinate $h$ between $b$ and $a + b$: $h = b + \lambda (a + b - b)$, "
                       r"$0 \leq \lambda \leq 1$")
    d.step((sp.Ge((h - b) / a, 0), sp.Le((h - b) / a, 1)), using=conv, rule="divide by $a > 0$",
           label="(22) corrected implies (21)")
    d.sampler(_boundary_sampler([beta, lam]))
    d.step((sp.Le(b, g), sp.Le(g, up)), using=[lower, right], rule="collect", label="(22) corrected")
    d.statement((sp.Le(b, g), sp.Le(g, up)))


@claim(id="quantisation.feasibility.corrected", title=r"(21) with $a > 0$ is equivalent to $b \leq g_i \leq a + b$",
       source=_src("eq. (22), corrected"), topic=TOPIC, corrects="quantisation.feasibility",
       statement=r"Assuming $a > 0$, $0 \le \frac{g_i - b}{a} \le 1$ is equivalent to $b \le g_i \le a + b$",
       reading=r"every $g_i$ admitted by (21) satisfies $b \leq g_i \leq a + b$, and every such $g_i$ is admitted "
               "by (21)")
def feasibility_corrected(d):
    feasibility_corrected_build(d)


def _feasibility_direct(w):
    """The quantiser at the source's own recommended (a, b) = (M - m, m) and at a few more pairs, on a gradient
    vector: a coordinate is feasible if the quantiser can run (beta_i in [0, 1]) and its exact output law has
    mean g_i. The statement must say "feasible" exactly where the quantiser is. The extreme coordinates of the
    vector are the boundary cases g_i = b and g_i = a + b."""
    S = w.S
    rng = w.rng
    g = [Fraction(int(v), 4) for v in rng.integers(-12, 13, size=6)]
    m, M = min(g), max(g)
    pairs = [(M - m, m), (M - m + 1, m - Fraction(1, 2)), (M - m - Fraction(1, 2), m + Fraction(1, 4))]
    disagree, n = [], 0
    for a, b in pairs:
        for gi in g + [m - 1, M + 1]:
            try:
                mean, _ = law_mean_var(exact_output_law(gi, a, b))
                runs = mean == gi
            except Infeasible:
                runs = False
            said = all(bool(rel.xreplace({S.a: sp.Rational(a), S.b: sp.Rational(b), S.g_i: sp.Rational(gi)}))
                       for rel in w._relations())
            n += 1
            if said != runs:
                disagree.append(f"a={a}, b={b}, g_i={gi}: quantiser {'runs unbiased' if runs else 'infeasible'}, "
                                f"statement says {'feasible' if said else 'infeasible'}")
    detail = (f"gradient {[str(x) for x in g]}, (a, b) in {[(str(a), str(b)) for a, b in pairs]} (the first is the "
              f"source's b = m, a = M - m), {n} coordinates: "
              + ("the statement and the quantiser agree everywhere" if not disagree else "; ".join(disagree[:3])))
    return w.observe(not disagree, detail, method="exact output law of the quantiser (Fractions)", n=n)


feasibility.add_witness(_feasibility_direct, kind="exact", name="quantiser_feasible")
feasibility_corrected.add_witness(_feasibility_direct, kind="exact", name="quantiser_feasible")


# ------------------------------------------------------------------------------------------------
# non-uniqueness: any b <= m, a + b >= M
# ------------------------------------------------------------------------------------------------

def _gaps(d):
    """b <= m <= g_i <= M <= a + b as non-negative gaps: s = m - b, u = g_i - m, v = M - g_i, t = a + b - M."""
    m = d.symbol("m", real=True)
    s, t, u, v = d.symbols("s t u v", nonnegative=True)
    a, b, g, M = d.symbols("a b g_i M", real=True)
    d.define(b, m - s, label="b <= m", why=r"$s = m - b \geq 0$")
    d.define(g, m + u, label="m <= g_i", why=r"$u = g_i - m \geq 0$ ($m = \min_i g_i$)")
    d.define(M, m + u + v, label="g_i <= M", why=r"$v = M - g_i \geq 0$ ($M = \max_i g_i$)")
    d.define(a, M + t - b, label="a + b >= M", why=r"$t = a + b - M \geq 0$")
    return m, s, t, u, v, a, b, g, M


@claim(id="quantisation.non_unique", title=r"Any $b \leq \min_i g_i$, $a + b \geq \max_i g_i$ is feasible: $(a, b)$ "
                                           "is not unique",
       source=_src("after eq. (22)"), topic=TOPIC,
       statement=r"The choice of a and b is clearly non-unique: as long as $b \leq \min_i g_i =: m$ and $a + b \geq "
                 r"\max_i g_i =: M$, we can satisfy the expectation requirement",
       reading=r"for every $s, t \geq 0$, $(a, b) = (M - m + s + t, m - s)$ satisfies the corrected (22), $b \leq "
               r"g_i \leq a + b$, for every coordinate $m \leq g_i \leq M$ ($a > 0$ assumed, as in (22)); $s = t = "
               "0$ and $s = t = 1$ give two different pairs")
def non_unique(d):
    m, s, t, u, v, a, b, g, M = _gaps(d)
    lo = d.step(sp.Ge(g - b, 0), rule=r"$g_i \geq m \geq b$", label="b <= g_i")
    hi = d.step(sp.Ge(a + b - g, 0), rule=r"$a + b \geq M \geq g_i$", label="g_i <= a + b")
    b0, b1 = d.symbols("b(s=0) b(s=1)", real=True)
    f0 = d.given(sp.Eq(b0, m), label="s = 0", why="the member $s = t = 0$: $(a, b) = (M - m, m)$")
    f1 = d.given(sp.Eq(b1, m - 1), label="s = 1", why="the member $s = t = 1$: $(a, b) = (M - m + 2, m - 1)$")
    d.step(sp.Gt(b0 - b1, 0), using=[f0, f1], rule="two members of the family differ", label="non-unique")
    d.step((sp.Le(b, g), sp.Le(g, a + b)), using=[lo, hi], rule="collect", label="feasible")
    d.statement((sp.Le(b, g), sp.Le(g, a + b)))


def _two_pairs_unbiased(w):
    """Three pairs of the family, (a, b) = (M - m, m), (M - m + 2, m - 1), (M - m + 1/2, m - 1/2), on three gradient
    vectors (a random one, the same shifted to be all positive and all negative, so that no sign or dropped term of
    the statement coincides with the truth): the statement says every coordinate is feasible for every pair; the
    quantiser must run and be unbiased (exact output law) exactly where it says so."""
    S = w.S
    g0 = [Fraction(int(v), 3) for v in w.rng.integers(-9, 10, size=6)]
    vectors = [g0, [x - min(g0) + 2 for x in g0], [x - max(g0) - Fraction(5, 3) for x in g0]]
    bad, n = [], 0
    for g in vectors:
        m, M = min(g), max(g)
        for s, t in ((0, 0), (1, 1), (Fraction(1, 2), 0)):
            a, b = M - m + s + t, m - s
            for gi in g:
                vals = {S.m: m, S.s: s, S.t: t, S.u: gi - m, S.v: M - gi}
                vals = {k: sp.Rational(v) for k, v in vals.items()}
                pt = {S.a: sp.Rational(a), S.b: sp.Rational(b), S.g_i: sp.Rational(gi), S.M: sp.Rational(M), **vals}
                said = all(bool(rel.xreplace(pt)) for rel in w._relations())
                try:
                    mean, _ = law_mean_var(exact_output_law(gi, a, b))
                    runs = mean == gi
                except Infeasible:
                    runs = False
                n += 1
                if said != runs:
                    bad.append(f"(a, b) = ({a}, {b}), g_i = {gi}: statement {'feasible' if said else 'infeasible'}, "
                               f"quantiser {'unbiased' if runs else 'infeasible'}")
    detail = (f"gradients {[[str(x) for x in g] for g in vectors]}, (s, t) in (0,0), (1,1), (1/2,0): {n} "
              "coordinates; " + ("the quantiser runs unbiased wherever the statement says feasible" if not bad
                                 else "; ".join(bad[:3])))
    return w.observe(not bad, detail, method="exact output law of the quantiser (Fractions)", n=n)


non_unique.add_witness(_two_pairs_unbiased, kind="exact", name="two_pairs")


# ------------------------------------------------------------------------------------------------
# (23) the variance
# ------------------------------------------------------------------------------------------------

def variance_build(d, *, last=None):
    a = d.symbol("a", positive=True)
    b, g = d.symbols("b g_i", real=True)
    beta = d.symbol("beta_i", real=True)
    d.define(beta, (g - b) / a, label="(20)", why=r"the quantiser's choice of $\mathbb{P}(\tilde{g}_i = 1)$")
    gt = d.random.bernoulli("gt_i", (g - b) / a)
    end = (g - b) * (a + b - g) if last is None else last(a, b, g)
    ch = (d.chain(Var(a * gt + b))
          .eq(a ** 2 * Var(gt), rule=r"$\operatorname{Var}(a X + b) = a^2 \operatorname{Var}(X)$",
              label="Var(a gt_i + b) = a^2 Var(gt_i)")
          .eq(a ** 2 * beta * (1 - beta), rule=r"the variance of a $\operatorname{Bernoulli}(\beta_i)$ is "
                                               r"$\beta_i(1 - \beta_i)$",
              label="Bernoulli variance")
          .eq(a ** 2 * ((g - b) / a) * (1 - (g - b) / a), rule="(20)", label="(23), left")
          .eq(end, rule="expand", label="(23)"))
    d.statement(sp.Eq(Var(a * gt + b), ch.current))


@claim(id="quantisation.variance", title="Variance of the quantised coordinate: $(g_i - b)(a + b - g_i)$",
       source=_src("eq. (23)"), topic=TOPIC,
       statement=r"The variance of a Bernoulli variable with probability $\beta_i$ is given by $\beta_i(1 - "
                 r"\beta_i)$. The variance of $a\tilde{g}_i + b$ is respectively "
                 r"$a^{2}\left(\frac{g_{i}-b}{a}\right)\left(1-\frac{g_{i}-b}{a}\right) = (g_{i}-b)(a+b-g_{i})$",
       reading=r"for $\tilde{g}_i \sim \operatorname{Bernoulli}((g_i - b)/a)$, $a > 0$: "
               r"$\operatorname{Var}(a\tilde{g}_i + b) = (g_i - b)(a + b - g_i)$")
def variance(d):
    variance_build(d)


def _variance_monte_carlo(w):
    """Run the quantiser (the claim's beta_i) R times; the sample variance (kurtosis-aware SE) of what the statement
    writes inside Var(...) over the runs' bits gt_i of coordinate 0, and the statement compared as written."""
    from proofs.stats import sample_size_variance
    S = w.S
    g, a, b = MC_GRADIENT, MC_A, MC_B
    i = 0
    beta = claimed_probabilities(w, g, a, b)
    if np.any((beta < 0) | (beta > 1)):
        return _cannot_run(w, beta, g, a, b)
    bi = beta[i]
    kurt = (1 - 6 * bi * (1 - bi)) / (bi * (1 - bi)) + 3
    R = sample_size_variance(0.05, kurtosis=max(kurt, 1.5), alpha=w.alpha)
    bits = _quantised_bits(w, beta, R)[:, i]
    at = {S.g_i: sp.Rational(str(g[i])), S.a: sp.Rational(str(a)), S.b: sp.Rational(str(b))}
    rel, means, ses, n = variance_estimates(w.statement, lambda atom: bits, at)
    return w.estimate(means, ses, relation=rel, n=R, at=at,
                      method=f"{R} quantisations of g_i = {g[i]} with a = {a}, b = {b}")


variance.add_witness(_variance_monte_carlo, kind="monte-carlo", name="quantiser_variance")


# ------------------------------------------------------------------------------------------------
# (24) the optimal a, b
# ------------------------------------------------------------------------------------------------

def optimum_build(d, *, a_opt=None, b_opt=None):
    m, s, t, u, v, a, b, g, M = _gaps(d)
    As, Bs = d.symbol("a*", real=True), d.symbol("b*", real=True)
    d.define(Bs, m if b_opt is None else b_opt(m, M), label="b* = m", why="the source's choice $b = m$")
    d.define(As, M - m if a_opt is None else a_opt(m, M), label="a* = M - m",
             why="the source's choice $a = M - b = M - m$")
    V, Vs = d.symbol("V_i(a,b)", real=True), d.symbol("V_i(a*,b*)", real=True)
    obj = d.given(sp.Eq(V, (g - b) * (a + b - g)), label="(24) objective", why="(23): the variance of "
                                                                               r"$a \tilde{g}_i + b$")
    objs = d.given(sp.Eq(Vs, (g - Bs) * (As + Bs - g)), label="(24) at the optimum", why="(23) at $(a^*, b^*)$")
    d.note(r"(24) is read as: for every feasible $(a, b)$ ($b \leq m$, $a + b \geq M$) and every coordinate "
           r"$m \leq g_i \leq M$, $V_i(a, b) \geq V_i(M - m, m)$, with the same minimiser for every $i$. The "
           "constraint set is written with non-negative gaps $s, t, u, v$; when all $g_i$ are equal ($M = m$), "
           "$a^* = 0$ and (20) is undefined (the reconstruction $b = m$ is then exact).")
    d.step((sp.Le(Bs, m), sp.Ge(As + Bs, M)), using=[], rule="$b^* = m$ and $a^* + b^* = M$ satisfy the constraints",
           label="(a*, b*) feasible")
    d.step((sp.Ge(g - b, 0), sp.Ge(a + b - g, 0)), using=[],
           rule="both factors are non-negative when the constraints are satisfied", label="factors >= 0")
    d.step(sp.Ge(g - b, g - Bs), using=[], rule=r"$b \leq m$: the first factor is smallest at $b = m$",
           label="first factor minimised by b = m")
    d.step(sp.Ge(a + b - g, As + Bs - g), using=[], rule=r"$a + b \geq M$: the second factor is smallest at "
                                                         "$a = M - b$",
           label="second factor minimised by a = M - m")
    dec = d.step(sp.Eq(V, Vs + (g - b) * ((a + b - g) - (As + Bs - g)) + (As + Bs - g) * ((g - b) - (g - Bs))),
                 using=[obj, objs], rule="$PQ - P^* Q^* = P (Q - Q^*) + Q^* (P - P^*)$", label="product of the factors")
    d.step(sp.Ge(V, Vs), using=[dec], rule="each term is a product of non-negative factors",
           label="(24): V_i(a, b) >= V_i(a*, b*)")
    d.statement(sp.Ge(V, Vs))


@claim(id="quantisation.optimal_ab", title=r"$b = \min_i g_i$, $a = \max_i g_i - \min_i g_i$ minimise every "
                                           "coordinate's variance",
       source=_src("eq. (24) and the text after it"), topic=TOPIC,
       statement=r"$\min_{a,b} (g_i - b)(a + b - g_i)$ s.t. $b \le m; a + b \ge M$: the first factor is minimized "
                 "by choosing $b = m$, the second by $a = M - b = M - m$; this does not depend on $i$, so the "
                 "variances of all components are simultaneously minimized",
       reading=r"for every feasible $(a, b)$ ($b \leq m$, $a + b \geq M$) and every coordinate $m \leq g_i \leq M$: "
               r"$(g_i - b)(a + b - g_i) \geq (g_i - m)(M - g_i)$, the value at $(a, b) = (M - m, m)$")
def optimal_ab(d):
    optimum_build(d)


def _grid_search(w):
    """A random gradient vector (Fractions); a grid of feasible (a, b) around the constraints; for every coordinate
    the exact variance of the quantiser's output (its two-point law) at every grid pair and at the claim's (a*, b*).
    The statement V_i(a, b) >= V_i(a*, b*) must hold at every grid pair and coordinate."""
    S = w.S
    g = [Fraction(int(v), 4) for v in w.rng.integers(-10, 11, size=5)]
    while max(g) == min(g):
        g = [Fraction(int(v), 4) for v in w.rng.integers(-10, 11, size=5)]
    m, M = min(g), max(g)
    fm, fM = sp.Rational(m), sp.Rational(M)
    defs = {f.relation.lhs: f.relation.rhs for f in w.d.definitions}
    a_star = Fraction(str(defs[S["a*"]].xreplace({S.m: fm, S.M: fM})))
    b_star = Fraction(str(defs[S["b*"]].xreplace({S.m: fm, S.M: fM})))
    steps = [Fraction(0), Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(5, 2)]
    bad, n, best = [], 0, {}
    for s in steps:
        for t in steps:
            a, b = M - m + s + t, m - s
            for i, gi in enumerate(g):
                try:
                    _, var = law_mean_var(exact_output_law(gi, a, b))
                    _, var_star = law_mean_var(exact_output_law(gi, a_star, b_star))
                except Infeasible as e:
                    bad.append(f"(a*, b*) = ({a_star}, {b_star}) infeasible for g_{i + 1} = {gi}: {e}")
                    continue
                n += 1
                holds = bool(w.statement.xreplace({S["V_i(a,b)"]: sp.Rational(var),
                                                   S["V_i(a*,b*)"]: sp.Rational(var_star)}))
                if not holds:
                    bad.append(f"g_{i + 1} = {gi}: variance {var} at (a, b) = ({a}, {b}) < {var_star} at (a*, b*)")
                if i not in best or var < best[i][0]:
                    best[i] = (var, a, b)
    argmins = {(a, b) for _, a, b in best.values()}
    detail = (f"gradient {[str(x) for x in g]}, (a*, b*) = ({a_star}, {b_star}), {len(steps) ** 2} feasible grid "
              f"pairs x {len(g)} coordinates ({n} exact variances of the quantiser's output); grid argmin per "
              f"coordinate: {sorted((str(a), str(b)) for a, b in argmins)}; "
              + ("the statement holds everywhere" if not bad else "; ".join(bad[:3])))
    return w.observe(not bad, detail, method="exact output law of the quantiser over a grid of feasible (a, b)", n=n)


optimal_ab.add_witness(_grid_search, kind="exact", name="grid_search")
