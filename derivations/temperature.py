"""The temperature of SGD with per-example weights: the covariance of a weighted sum of iid per-example
gradients is the sum of the squared weights times Sigma_g, not the sum of the weights the source prints (an
erratum, corrected). Encodes Problem 6 (the stationary distribution with momentum) of the SGD problems
(000); the temperature at batch size B is in ``batch_size``.
"""
# The covariance of a weighted sum of per-example gradients (SGD problems, Problem 6).
#
#     DeltaPhi = sum_{i=1}^N alpha_i ghat_i,   ghat_1..ghat_N iid with mean g and covariance Sigma_g.
#
# The source asks to show Sigma_DeltaPhi = (sum_i alpha_i) Sigma_g. That is false unless
# sum_i alpha_i^2 = sum_i alpha_i (e.g. every alpha_i in {0, 1}): covariance is bilinear, the
# cross terms i != j vanish by independence, and each i contributes alpha_i^2 Sigma_g, so
#
#     Sigma_DeltaPhi = (sum_i alpha_i^2) Sigma_g.
#
# Random model: ``ghat[i, k]`` is coordinate k of the i-th per-example gradient, a vector iid family
# (mean ``g[k]``, covariance ``Sigma_g[k, l]``) declared with
# :meth:`proofs.expectation.RandomModel.family`; N and the weights alpha[i] are symbolic.

from fractions import Fraction

import numpy as np
import sympy as sp

from proofs import Cov, Source, claim

TOPIC = "stationary distributions"
SGD_PROBLEMS = "000_e701d70adf034ba3.txt"
SOURCE = Source(SGD_PROBLEMS, "Problem 6")


class WeightedSum:
    def __init__(self, d):
        self.N = d.symbol("N", integer=True, positive=True)
        self.i, self.j = d.symbols("i j", integer=True, positive=True)
        self.k, self.l = d.symbols("k l", integer=True, positive=True)
        self.alpha = d.indexed("alpha", real=True)
        self.gh, self.g, self.Sg = d.indexed("ghat"), d.indexed("g"), d.indexed("Sigma_g")
        self.SD = d.indexed("Sigma_DeltaPhi")
        d.random.family(self.gh, self.g, self.Sg)
        d.define(self.SD[self.k, self.l], Cov(self.dphi(self.k), self.dphi(self.l)),
                 why=r"$\Sigma_{\Delta\Phi}$ is the covariance matrix of $\Delta\Phi = \sum_i \alpha_i \hat{g}_i$")
        d.note(r"Assumed as in the source: the $\hat{g}_i$ are independent and identically distributed (small "
               r"updates), the $\alpha_i$ are fixed numbers.")

    def dphi(self, coord, idx=None):
        i = self.i if idx is None else idx
        return sp.Sum(self.alpha[i] * self.gh[i, coord], (i, 1, self.N))


@claim(id="temperature.weighted_sum_covariance",
       title=r"Covariance of a weighted sum of iid gradients (as printed: $(\sum_i \alpha_i) \Sigma_g$)",
       source=SOURCE, topic="stationary distributions", expected="refuted",
       statement=r"Show $\Sigma_{\Delta\Phi} = \left(\sum_{i} \alpha_{i}\right) \Sigma_{g}$",
       reading=r"for all $N$, weights $\alpha_1, \dots, \alpha_N$ and every entry $(k, l)$: "
               r"$\operatorname{Cov}(\Delta\Phi[k], \Delta\Phi[l]) = (\sum_i \alpha_i) \Sigma_g[k, l]$")
def weighted_sum_covariance(d):
    m = WeightedSum(d)
    k, l, i = m.k, m.l, m.i
    d.note("The source states the result without a derivation; it is checked as one step.")
    (d.chain(m.SD[k, l])
     .eq(sp.Sum(m.alpha[i], (i, 1, m.N)) * m.Sg[k, l], rule="the source's result", label="Problem 6"))
    d.statement(sp.Eq(m.SD[k, l], sp.Sum(m.alpha[i], (i, 1, m.N)) * m.Sg[k, l]))


def corrected_build(d, *, power=2):
    m = WeightedSum(d)
    k, l, i, j, a = m.k, m.l, m.i, m.j, m.alpha
    (d.chain(m.SD[k, l])
     .eq(Cov(m.dphi(k), m.dphi(l, j)), rule=r"definition of $\Sigma_{\Delta\Phi}$")
     .eq(sp.Sum(a[i] * a[j] * Cov(m.gh[i, k], m.gh[j, l]), (i, 1, m.N), (j, 1, m.N)),
         rule="covariance is bilinear")
     .eq(sp.Sum(a[i] ** 2 * Cov(m.gh[i, k], m.gh[i, l]), (i, 1, m.N)),
         rule=r"independence: $\operatorname{Cov}(\hat{g}_i, \hat{g}_j) = 0$ for $i \neq j$")
     .eq(sp.Sum(a[i] ** power, (i, 1, m.N)) * m.Sg[k, l], rule="identically distributed: "
                                                               r"$\operatorname{Cov}(\hat{g}_i) = \Sigma_g$"))
    d.statement(sp.Eq(m.SD[k, l], sp.Sum(a[i] ** power, (i, 1, m.N)) * m.Sg[k, l]))


@claim(id="temperature.weighted_sum_covariance.corrected",
       title=r"Covariance of a weighted sum of iid gradients: $(\sum_i \alpha_i^2) \Sigma_g$",
       source=Source(SGD_PROBLEMS, "Problem 6, corrected"), topic="stationary distributions",
       corrects="temperature.weighted_sum_covariance",
       statement=r"$\Sigma_{\Delta\Phi} = \left(\sum_{i} \alpha_{i}^2\right) \Sigma_{g}$",
       reading=r"for all $N$, weights $\alpha_1, \dots, \alpha_N$ and every entry $(k, l)$: "
               r"$\operatorname{Cov}(\Delta\Phi[k], \Delta\Phi[l]) = (\sum_i \alpha_i^2) \Sigma_g[k, l]$")
def weighted_sum_covariance_corrected(d):
    corrected_build(d)


# ------------------------------------------------------------------------------------------------
# Witness: per-example gradients of a real layer, N drawn iid, weighted with momentum-like weights
# ------------------------------------------------------------------------------------------------

# y = W x with W = (1, -1), loss_k = (y_k - t_k)^2 / 2; the per-example gradient in W is (y_k - t_k) x_k.
LAYER_W = (Fraction(1), Fraction(-1))
DATASET = [((2, 1), -1), ((1, 0), -1), ((1, 1), -1), ((0, 2), 0), ((-1, 1), -3), ((2, 2), 0)]
WEIGHTS = (Fraction(1), Fraction(1, 2), Fraction(1, 4), Fraction(1, 8))    # alpha_i = mu^(i-1), mu = 1/2
ENTRIES = ((0, 0), (0, 1), (1, 1))


def per_example_gradients():
    """Backprop of the layer for each training point (exact): dloss_k/dW = (W.x_k - t_k) x_k."""
    out = []
    for x, t in DATASET:
        r = sum(w * xi for w, xi in zip(LAYER_W, x)) - t
        out.append(tuple(r * xi for xi in x))
    return out


def gradient_moments():
    """Exact mean g and covariance Sigma_g (ddof 0) of the gradient of one uniformly drawn training point."""
    p = per_example_gradients()
    K = len(p)
    g = [sum(v[c] for v in p) / K for c in range(2)]
    cov = [[sum((v[a] - g[a]) * (v[b] - g[b]) for v in p) / K for b in range(2)] for a in range(2)]
    return g, cov


def replicates_needed(w, rel_err=0.20, share=3):
    """Power calculation: the largest coefficient of variation of a product of deviations of one gradient
    (a weighted sum of several has a smaller one), relative error ``rel_err``, power 0.99."""
    from proofs.stats import sample_size
    p = np.array([[float(c) for c in v] for v in per_example_gradients()])
    dev = p - p.mean(axis=0)
    cvs = [(dev[:, a] * dev[:, b]).std() / abs((dev[:, a] * dev[:, b]).mean()) for a, b in ENTRIES]
    return sample_size(rel_err, w.alpha / share, 0.99, cv=max(cvs))


# weights the process does not use (alpha_i outside 1..N): a statement that sums them gets them, never 0
UNUSED = {-2: Fraction(-3, 2), -1: Fraction(3, 4), 0: Fraction(-5, 4)}


def _entry_symbols(expr, name, values):
    """The Indexed entries ``name[p, q]`` of ``expr`` with integer indices, as plain symbols (w.estimate takes
    symbols); returns (expression, {symbol: value}) or None if an entry is outside the 2 x 2 matrix."""
    rep, vals = {}, {}
    for a in sp.sympify(expr).atoms(sp.Indexed):
        if str(a.base) != name:
            continue
        p, q = (int(x) if x.is_Integer else None for x in a.indices)
        if p is None or q is None:
            raise ValueError(f"the entry {a} has a non-numeric index at the test point")
        if not (1 <= p <= 2 and 1 <= q <= 2):
            return None
        sym = sp.Symbol(f"{name}[{p},{q}]")
        rep[a] = sym
        vals[sym] = values[p - 1][q - 1]
    return sp.sympify(expr).xreplace(rep), vals


def weighted_sum_witness(w, weight_sets=(WEIGHTS, (Fraction(1, 2), Fraction(1)))):
    """For each weight set (N = 4 and N = 2): draw R sets of N training points (iid, with replacement), form
    DeltaPhi = sum_i alpha_i ghat_i from their backpropagated gradients and estimate its covariance matrix. The
    statement is evaluated, both sides, at each entry (k, l) in (1,1), (1,2), (2,2) with N, the weights (alpha_i
    outside 1..N, which the process does not use, get fixed nonzero values), the measured Sigma_DeltaPhi entries
    it names and the population's exact Sigma_g entries. A point where the statement names an entry outside the
    2 x 2 matrices is not applicable and skipped."""
    from proofs.stats import covariance_se
    S = w.S
    k, l, N, al = S["k"], S["l"], S["N"], S["alpha"]
    _, cov = gradient_moments()
    pop = np.array([[float(c) for c in v] for v in per_example_gradients()])
    R = replicates_needed(w)
    share = len(ENTRIES) * len(weight_sets)
    out, skipped = [], []
    for weights in weight_sets:
        alpha = np.array([float(v) for v in weights])
        idx = w.rng.integers(0, len(pop), size=(R, len(weights)))
        dphi = np.einsum("i,rik->rk", alpha, pop[idx])                     # (R, 2)
        est = [[covariance_se(dphi[:, a], dphi[:, b]) for b in range(2)] for a in range(2)]
        avals = {**{al[i]: UNUSED[i] for i in UNUSED}, **{al[i + 1]: v for i, v in enumerate(weights)}}
        for a, b in ENTRIES:
            at = {k: a + 1, l: b + 1, N: len(weights)}
            sides = []
            for side in (w.statement.lhs, w.statement.rhs):
                e = sp.sympify(side).xreplace(at).doit().xreplace(avals)
                sides.append(e)
            rel = sp.Eq(*sides, evaluate=False)
            means = [[x[0] for x in row] for row in est]
            ses = [[x[1] for x in row] for row in est]
            parts = []
            for side in (rel.lhs, rel.rhs):
                m = _entry_symbols(side, "Sigma_DeltaPhi", means)
                m_se = _entry_symbols(side, "Sigma_DeltaPhi", ses)
                c = m and _entry_symbols(m[0], "Sigma_g", cov)
                if m is None or c is None:
                    break
                parts.append((c[0], m[1], c[1], m_se[1]))
            if len(parts) < 2:
                skipped.append(f"N={len(weights)}, (k,l)=({a + 1},{b + 1})")
                continue
            r2 = sp.Eq(parts[0][0], parts[1][0], evaluate=False)
            vals = {**parts[0][1], **parts[1][1]}
            exact = {**parts[0][2], **parts[1][2]}
            se = {**parts[0][3], **parts[1][3]}
            if not vals:
                out.append(w.exact(exact, relation=r2, method="the statement names no measured entry; exact "
                                                              "population covariance"))
                continue
            out.append(w.estimate(vals, se, at=exact, relation=r2, n=R, share=share,
                                  method=f"N={len(weights)}, entry (k,l)=({a + 1},{b + 1}): {R} weighted sums of "
                                         f"iid per-example gradients, alpha = {', '.join(map(str, weights))}"))
    if not out:
        out.append(w.observe(False, "the statement names no entry of the 2 x 2 covariance at any test point",
                             method="weighted sums of per-example gradients"))
    if skipped:
        out[-1].detail += f" (not applicable, outside the 2 x 2 matrices: {'; '.join(skipped)})"
    return out


weighted_sum_covariance.add_witness(weighted_sum_witness, kind="monte-carlo", name="weighted_sum")
weighted_sum_covariance_corrected.add_witness(weighted_sum_witness, kind="monte-carlo", name="weighted_sum")
