"""Batch size: the gradient covariance at batch size B is Sigma^1 / B, and eta = B eta_0
keeps the Langevin temperature eta Sigma^B fixed (Problem 5 of the SGD problems).

Random model: ``ghat[b, i]`` is coordinate i of the b-th sampled gradient of a batch;
the samples b = 1..B are iid with mean ``g[i]`` and covariance ``Sigma^1[i, j]``
(declared with :meth:`proofs.expectation.RandomModel.family`), B symbolic.
"""
from fractions import Fraction

import numpy as np
import sympy as sp

from proofs import E, Source, claim

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
       title="Gradient covariance at batch size B is Sigma^1 / B",
       source=Source(SGD_PROBLEMS, "Problem 5, solution"),
       statement=r"Sigma^B[i,j] = E (ghat^B[i] - g[i])(ghat^B[j] - g[j]) = ... = (1/B) Sigma^1[i,j]")
def covariance(d):
    B = d.symbol("B", integer=True, positive=True)
    i, j = d.symbols("i j", integer=True)
    b, bp = d.symbols("b b'", integer=True, positive=True)
    g, S1 = d.indexed("g"), d.indexed("Sigma^1")
    gh, ghB, SB = d.indexed("ghat"), d.indexed("ghat^B"), d.indexed("Sigma^B")
    d.random.family(gh, g, S1)
    d.define(ghB[i], sp.Sum(gh[b, i], (b, 1, B)) / B, why="ghat^B is the average of B sampled gradients")
    d.define(ghB[j], sp.Sum(gh[b, j], (b, 1, B)) / B, why="ghat^B is the average of B sampled gradients")
    d.define(SB[i, j], E((ghB[i] - g[i]) * (ghB[j] - g[j])), why="the covariance matrix at batch size B")
    d.note("Line 2 writes (sum_b ghat_b[i] - g[i]); read as sum_b (ghat_b[i] - g[i]) (the literal precedence "
           "would be off by (B - 1) g[i] and does not lead to line 3).")
    d.note("Lines 4 and 5 write 1/B^2 in front of the b = b' sum only; taken literally (the b != b' sum carries "
           "no 1/B^2). The equalities still hold because the b != b' sum is 0.")

    def dev(s, c):
        return gh[s, c] - g[c]

    off = 1 - sp.KroneckerDelta(b, bp)                   # the b' != b restriction
    (d.chain(SB[i, j])
     .eq(E((ghB[i] - g[i]) * (ghB[j] - g[j])), rule="definition of Sigma^B", label="line 1")
     .eq(E(sp.Sum(dev(b, i), (b, 1, B)) * sp.Sum(dev(b, j), (b, 1, B))) / B ** 2,
         rule="ghat^B = (1/B) sum_b ghat_b, g = (1/B) sum_b g", label="line 2")
     .eq(E(sp.Sum(dev(b, i) * dev(bp, j), (b, 1, B), (bp, 1, B))) / B ** 2,
         rule="product of sums is a double sum", label="line 3")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2
         + sp.Sum(off * E(dev(b, i) * dev(bp, j)), (b, 1, B), (bp, 1, B)),
         rule="linearity of E; split b = b' and b != b'",
         why="as written, 1/B^2 multiplies only the b = b' sum; the engine evaluates the b != b' sum to 0 "
             "(distinct samples are independent with mean-zero deviations), so the line is a true equality",
         label="line 4")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2
         + sp.Sum(off * E(dev(b, i)) * E(dev(bp, j)), (b, 1, B), (bp, 1, B)),
         rule="independence of distinct samples b != b'", why="1/B^2 again on the first sum only, as written",
         label="line 5")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2,
         rule="E(ghat_b[i] - g[i]) = 0", label="line 6")
     .eq(S1[i, j] / B, rule="each of the B terms is Sigma^1[i,j]", label="line 7"))
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
       title="eta = B eta_0 gives eta Sigma^B = eta_0 Sigma^1",
       source=Source(SGD_PROBLEMS, "Problem 5, solution (last line)"),
       statement=r"So for eta = B eta_0 we have eta Sigma^B = eta_0 Sigma^1 which yields the equivalence.")
def temperature(d):
    B = d.symbol("B", integer=True, positive=True)
    eta, eta0 = d.symbols("eta eta_0", positive=True)
    i, j = d.symbols("i j", integer=True)
    S1, SB = d.indexed("Sigma^1"), d.indexed("Sigma^B")
    cov = d.given(sp.Eq(SB[i, j], S1[i, j] / B), why="batch_size.covariance (the chain above)",
                  label="Sigma^B = Sigma^1/B")
    rate = d.given(sp.Eq(eta, B * eta0), why="the learning-rate scaling of the claim", label="scaling")
    d.step(sp.Eq(eta * SB[i, j], eta0 * S1[i, j]), rule="substitute eta = B eta_0 and Sigma^B = Sigma^1/B",
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
