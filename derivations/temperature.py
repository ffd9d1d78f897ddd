r"""The covariance of a weighted sum of per-example gradients (SGD problems, Problem 6).

    DeltaPhi = sum_{i=1}^N alpha_i ghat_i,   ghat_1..ghat_N iid with mean g and covariance Sigma_g.

The source asks to show Sigma_DeltaPhi = (sum_i alpha_i) Sigma_g. That is false unless
sum_i alpha_i^2 = sum_i alpha_i (e.g. every alpha_i in {0, 1}): covariance is bilinear, the
cross terms i != j vanish by independence, and each i contributes alpha_i^2 Sigma_g, so

    Sigma_DeltaPhi = (sum_i alpha_i^2) Sigma_g.

Random model: ``ghat[i, k]`` is coordinate k of the i-th per-example gradient, a vector iid family
(mean ``g[k]``, covariance ``Sigma_g[k, l]``) declared with
:meth:`proofs.expectation.RandomModel.family`; N and the weights alpha[i] are symbolic.
"""
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
                 why="Sigma_DeltaPhi is the covariance matrix of DeltaPhi = sum_i alpha_i ghat_i")
        d.note("Assumed as in the source: the ghat_i are independent and identically distributed (small updates), "
               "the alpha_i are fixed numbers.")

    def dphi(self, coord, idx=None):
        i = self.i if idx is None else idx
        return sp.Sum(self.alpha[i] * self.gh[i, coord], (i, 1, self.N))


@claim(id="temperature.weighted_sum_covariance",
       title="Covariance of a weighted sum of iid gradients (as printed: sum of the weights)",
       source=SOURCE, topic="stationary distributions", expected="refuted",
       statement=r"Show Sigma_DeltaPhi = (sum_i alpha_i) Sigma_g",
       reading="for all N, weights alpha_1..alpha_N and every entry (k, l): "
               "Cov(DeltaPhi[k], DeltaPhi[l]) = (sum_i alpha_i) Sigma_g[k, l]")
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
     .eq(Cov(m.dphi(k), m.dphi(l, j)), rule="definition of Sigma_DeltaPhi")
     .eq(sp.Sum(a[i] * a[j] * Cov(m.gh[i, k], m.gh[j, l]), (i, 1, m.N), (j, 1, m.N)),
         rule="covariance is bilinear")
     .eq(sp.Sum(a[i] ** 2 * Cov(m.gh[i, k], m.gh[i, l]), (i, 1, m.N)),
         rule="independence: Cov(ghat_i, ghat_j) = 0 for i != j")
     .eq(sp.Sum(a[i] ** power, (i, 1, m.N)) * m.Sg[k, l], rule="identically distributed: Cov(ghat_i) = Sigma_g"))
    d.statement(sp.Eq(m.SD[k, l], sp.Sum(a[i] ** power, (i, 1, m.N)) * m.Sg[k, l]))


@claim(id="temperature.weighted_sum_covariance.corrected",
       title="Covariance of a weighted sum of iid gradients: sum of the squared weights",
       source=Source(SGD_PROBLEMS, "Problem 6, corrected"), topic="stationary distributions",
       corrects="temperature.weighted_sum_covariance",
       statement=r"Sigma_DeltaPhi = (sum_i alpha_i^2) Sigma_g",
       reading="for all N, weights alpha_1..alpha_N and every entry (k, l): "
               "Cov(DeltaPhi[k], DeltaPhi[l]) = (sum_i alpha_i^2) Sigma_g[k, l]")
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


def _scalar_statement(w, weights):
    """The statement at N = len(weights) and the given alpha_i, with its Indexed entries as plain symbols."""
    S = w.S
    k, l, N, a = S["k"], S["l"], S["N"], S["alpha"]
    SD, Sg = sp.Symbol("Sigma_DeltaPhi_kl"), sp.Symbol("Sigma_g_kl")
    rel = w.statement.xreplace({S["Sigma_DeltaPhi"][k, l]: SD, S["Sigma_g"][k, l]: Sg, N: len(weights)}).doit()
    rel = rel.xreplace({a[i + 1]: sp.Rational(v.numerator, v.denominator) for i, v in enumerate(weights)})
    return rel, SD, Sg


def weighted_sum_witness(w, weights=WEIGHTS):
    """Draw R sets of N = 4 training points (iid, with replacement), form DeltaPhi = sum_i alpha_i ghat_i from
    their backpropagated gradients, estimate Cov(DeltaPhi) entrywise and test the claim's statement."""
    from proofs.stats import covariance_se
    base, SD, Sg = _scalar_statement(w, weights)
    _, cov = gradient_moments()
    pop = np.array([[float(c) for c in v] for v in per_example_gradients()])
    alpha = np.array([float(v) for v in weights])
    R = replicates_needed(w)
    idx = w.rng.integers(0, len(pop), size=(R, len(weights)))
    dphi = np.einsum("i,rik->rk", alpha, pop[idx])                     # (R, 2)
    out = []
    for a, b in ENTRIES:
        est, se = covariance_se(dphi[:, a], dphi[:, b])
        entry = sp.Symbol(f"Sigma_DeltaPhi[{a + 1},{b + 1}]")
        rel = base.xreplace({SD: entry})
        out.append(w.estimate({entry: est}, {entry: se}, at={Sg: cov[a][b]}, relation=rel, n=R, share=len(ENTRIES),
                              method=f"entry ({a},{b}): {R} weighted sums of N={len(weights)} iid per-example "
                                     f"gradients, alpha = {', '.join(map(str, weights))}"))
    return out


weighted_sum_covariance.add_witness(weighted_sum_witness, kind="monte-carlo", name="weighted_sum")
weighted_sum_covariance_corrected.add_witness(weighted_sum_witness, kind="monte-carlo", name="weighted_sum")
