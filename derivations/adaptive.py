r"""Batch size coupling of RMSProp and Adam (SGD problems, Problem 4 (d)).

RMSProp and Adam keep a running average of the squared batch gradient of each coordinate i,

    s_{t+1}[i] = (1 - 1/N_s) s_t[i] + (1/N_s) ghat[i]^2,

where ghat = W.grad is the batch average of B per-example gradients (Problem 4 (a)).
Random model (one coordinate i): the per-example gradients ``ghat_b`` of a batch are iid with mean
g and variance sigma^2 (examples drawn with replacement, parameters held fixed, as in the source's
argument), declared with :meth:`proofs.expectation.RandomModel.family`; B is symbolic.

* E[ghat^2] = g^2 + sigma^2/B: the batch average hides the within-batch variance;
* the expected running average converges to E[ghat^2], which decreases with B and tends to
  g^2 (the "mean squared") as B -> oo, while the per-example second moment is g^2 + sigma^2.
"""
from fractions import Fraction

import numpy as np
import sympy as sp

from proofs import E, Source, claim

TOPIC = "adaptive methods"
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


@claim(id="adaptive.batch_mean_square", title="Mean square of the batch gradient: g^2 + sigma^2/B",
       source=SOURCE, also=ALSO, topic=TOPIC,
       statement="At batch sizes greater than 1 this fails to take into account the variance of the gradients "
                 "within the batch.",
       reading="E[ghat^2] = g^2 + sigma^2/B for ghat = (1/B) sum_b ghat_b, ghat_b iid with mean g and variance "
               "sigma^2: of the per-example variance only sigma^2/B reaches ghat^2")
def batch_mean_square(d):
    m = Batch(d)
    B, b, g, s2, gh = m.B, m.b, m.g, m.s2, m.gh
    c = d.symbol("c", integer=True, positive=True)
    ghat = m.batch_gradient()
    (d.chain(E(ghat ** 2))
     .eq(E(sp.Sum(gh[b] * gh[c], (b, 1, B), (c, 1, B))) / B ** 2, rule="square of a sum is a double sum")
     .eq((B * (s2 + g ** 2) + B * (B - 1) * g ** 2) / B ** 2,
         rule="E ghat_b^2 = sigma^2 + g^2 (B terms b = c); E ghat_b ghat_c = g^2 (B(B-1) terms b != c, independent)")
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
                 why="E s_{t+1} = (1 - 1/N_s) E s_t + (1/N_s) E ghat_t^2 (linearity; the ghat_t are iid); the limit "
                     "of E s_t (it converges: the factor is 1 - 1/N_s < 1) must satisfy it")
    fp1 = d.given(sp.Eq(S1, (1 - 1 / N) * S1 + E(m.batch_gradient(nxt) ** 2) / N), label="fixed point (B+1)",
                  why="the same at batch size B + 1")
    d.note("Read as a statement about the expectation of s_t: for finite B, s_t keeps fluctuating; its mean "
           "converges to E[ghat^2]. 'Reduced as the batch size increases' is read as E s_inf(B+1) < E s_inf(B) "
           "(strict because sigma^2 > 0; with no gradient noise nothing depends on B); 'converge to the mean "
           "squared rather than the second moment' as lim_{B -> oo} E s_inf(B) = g^2 < E ghat_1^2 = g^2 + sigma^2.")
    d.step(sp.Eq(S, E(m.batch_gradient() ** 2)), rule="solve the fixed point equation", using=[fp])
    at_b = d.step(sp.Eq(S, g ** 2 + s2 / B), rule="E ghat^2 = g^2 + sigma^2/B (adaptive.batch_mean_square)",
                  using=[fp], label="E s_inf(B)")
    at_b1 = d.step(sp.Eq(S1, g ** 2 + s2 / (B + 1)), rule="the same at batch size B + 1", using=[fp1],
                   label="E s_inf(B+1)")
    dec = d.step(sp.Lt(S1, S), rule="sigma^2/(B+1) < sigma^2/B", using=[at_b, at_b1],
                 label="reduced as the batch size increases")
    lim = d.step(sp.Eq(sp.Limit(S, B, sp.oo), g ** 2), rule="sigma^2/B -> 0", using=[at_b],
                 label="large batches: the mean squared")
    less = d.step(sp.Lt(sp.Limit(S, B, sp.oo), M2), rule="g^2 < g^2 + sigma^2", using=[at_b],
                  label="rather than the second moment")
    d.step((sp.Eq(S, g ** 2 + s2 / B), sp.Lt(S1, S), sp.Eq(sp.Limit(S, B, sp.oo), g ** 2),
            sp.Lt(sp.Limit(S, B, sp.oo), M2)), rule="collect", using=[at_b, at_b1, dec, lim, less])
    d.statement((sp.Eq(S, g ** 2 + s2 / B), sp.Lt(S1, S), sp.Eq(sp.Limit(S, B, sp.oo), g ** 2),
                 sp.Lt(sp.Limit(S, B, sp.oo), M2)))


@claim(id="adaptive.rmsprop_batch_scaling",
       title="RMSProp/Adam second-moment estimate shrinks with batch size towards the mean squared",
       source=SOURCE, also=ALSO, topic=TOPIC,
       statement="This implies that s_t[i] will be reduced as the batch size increases and in the limit of large "
                 "batches s_t[i] will converge to the mean squared rather than the second moment.",
       reading="E s_inf(B) = lim_t E s_t = g^2 + sigma^2/B; E s_inf(B+1) < E s_inf(B) (sigma^2 > 0); "
               "lim_{B -> oo} E s_inf(B) = g^2 (the mean squared) < g^2 + sigma^2 = E ghat_1^2 (the second moment)")
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
