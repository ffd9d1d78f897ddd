"""ADAM and minibatches (Gerstner, week 5, Exercise 2).

Rescaling the ADAM averaging constants rho_1, rho_2 from minibatch size 128 to 512:

* rho_1 (the gradient average): keep the number of *samples* n averaged over fixed,
  n/s = 1/(1 - rho_{1,s}), which gives rho_{1,512} = 4 rho_{1,128} - 3;
* rho_2 (the squared-gradient average): averaging *within* a minibatch (of gradients) and
  *between* minibatches (of squared gradients) differ, shown with the series of Exercise 1:
  for w_3, r -> 0.2525 at batch size 2 and 0.0025 at batch size 4, for w_1, r = 1 at both.

The infinite geometric series (after many minibatches, n -> oo) are symbols determined by their shift
equations (S = 1 + rho S; the even-k series S_e = 1 + rho^2 S_e, the odd one rho S_e), a linear solve:
the engine does not sum series itself (see ``derivations/gradient_averaging.py``).
"""
from fractions import Fraction

import numpy as np
import sympy as sp

from derivations.gradient_averaging import WEEK5, observed_series
from proofs import claim, Eq, Source

TOPIC = "adaptive methods"
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
       title="rho_1 for minibatch size 512: rho_{1,512} = 4 rho_{1,128} - 3 (0.99 -> 0.96)",
       source=_src(", rho_1"),
       statement="n/s ~ 1/(1 - rho_{1,s}); n ~ s/(1 - rho_{1,s}); n ~ 128/(1 - rho_{1,128}) = 512/(1 - rho_{1,512}); "
                 "1 - rho_{1,512} = 4(1 - rho_{1,128}); rho_{1,512} = 4 rho_{1,128} - 3. E.g. rho_1 = 0.99 for "
                 "minibatch size 128 gives rho_1 = 0.96 for minibatch size 512.",
       reading="'~' read as the matching rule: the number of samples averaged, n = s/(1 - rho_{1,s}) (the "
               "exponential window of Exercise 1 counted in minibatches of s samples), is the same on both "
               "machines. The map needs rho_{1,128} > 3/4 to give rho_{1,512} > 0.")
def rho1_rescaling(d):
    n, s = d.symbols("n s", positive=True)
    rs = d.symbol("rho_{1,s}", bounds=(0, 1))
    r128 = d.symbol("rho_{1,128}", bounds=(R(3, 4), 1))
    r512 = d.symbol("rho_{1,512}", real=True)
    d.unknowns(r512)
    rule = d.given(sp.Eq(n / s, 1 / (1 - rs)), why="averaging over n samples in minibatches of s: n/s minibatches "
                   "~ the window 1/(1 - rho_1) of Exercise 1 (f)", label="n/s", solve_for=n)
    f1 = d.step(sp.Eq(n, s / (1 - rs)), rule="multiply by s", using=[rule], label="n")
    m128 = d.given(sp.Eq(n, 128 / (1 - r128)), why="line 2 at s = 128", label="s = 128")
    m512 = d.given(sp.Eq(n, 512 / (1 - r512)), why="line 2 at s = 512, the same n", label="s = 512")
    d.step(sp.Eq(128 / (1 - r128), 512 / (1 - r512)), rule="the same n on both machines", using=[m128, m512],
           label="line 3")
    d.step(sp.Eq(1 - r512, 4 * (1 - r128)), rule="cross-multiply, divide by 128", using=[m128, m512],
           label="line 4")
    f5 = d.step(sp.Eq(r512, 4 * r128 - 3), rule="solve", using=[m128, m512], label="line 5")
    ex = d.chain(sp.Subs(4 * r128 - 3, r128, R(99, 100))).eq(R(96, 100), rule="4 * 0.99 - 3", label="example")
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
       title="Squared-gradient average for w_3 at minibatch size 2: r ~ 0.2525",
       source=_src(", rho_2, w_3 with minibatch size 2"),
       statement="r ~ (0.5(1.1 + 0))^2 (1-rho) sum_{k even}^n rho^k + (0.5(-0.9 + 0))^2 (1-rho) sum_{k odd}^n rho^k "
                 "~ (0.5(1.1 + 0))^2 (0.5) + (0.5(-0.9 + 0))^2 (0.5) = 0.2525",
       reading="r_oo, the squared-gradient average after many minibatches (n -> oo, the newest minibatch "
               "being (1.1, 0)), is exactly line 1 with infinite sums; (1-rho) sum_{k even} rho^k = 1/(1+rho) -> 1/2 "
               "and (1-rho) sum_{k odd} rho^k = rho/(1+rho) -> 1/2, so lim_{rho -> 1-} r_oo = 0.2525")
def rho2_w3_batch2(d):
    rho = d.symbol("rho", bounds=(0, 1))
    r = d.symbol("r_oo", positive=True)
    Se, So = d.symbol("sum_{k even} rho^k", positive=True), d.symbol("sum_{k odd} rho^k", positive=True)
    a2, b2 = _sq(_half(R(11, 10), 0)), _sq(_half(-R(9, 10), 0))
    line1 = d.given(Eq(r, a2 * (1 - rho) * Se + b2 * (1 - rho) * So),
                    why="the EWA unrolled (Exercise 1 (d), m(0) forgotten as n -> oo) over the minibatch gradients "
                        "0.5(1.1 + 0) (k even) and 0.5(-0.9 + 0) (k odd), newest first", label="line 1")
    d.unknowns(Se, So)
    shift = d.given((Eq(Se, 1 + rho ** 2 * Se), Eq(So, rho * Se)),
                    why="the series over even k starts with 1 and repeats itself shifted by two; the odd one is "
                        "rho times the even one (0 < rho < 1: both converge)", label="even/odd series")
    d.note("The infinite sums over even and odd k are determined by their shift equations (a linear solve), "
           "which is cheaper for the engine than summing rho^{2j} and taking n -> oo.")
    half = d.chain((1 - rho) * Se, using=[shift]).eq(1 / (1 + rho), rule="solve the shift equation",
                                                     label="(1-rho) sum_{k even} rho^k")
    d.chain(sp.Limit((1 - rho) * Se, rho, 1, "-"), using=[half.fact]).eq(R(1, 2), rule="rho -> 1",
                                                                          label="~ 0.5")
    ch = (d.chain(r, using=[line1, shift])
          .eq(a2 / (1 + rho) + b2 * rho / (1 + rho), rule="even and odd geometric series", label="even/odd sums"))
    lim = (d.chain(sp.Limit(r, rho, 1, "-"), using=[ch.fact])
           .eq(a2 * R(1, 2) + b2 * R(1, 2), rule="1/(1+rho), rho/(1+rho) -> 1/2", label="line 2")
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
       title="Squared-gradient average for w_3 at minibatch size 4: r = 0.0025",
       source=_src(", rho_2, w_3 with minibatch size 4"),
       statement="r ~ (0.25(1.1 + 0 + (-0.9) + 0))^2 (1-rho) sum_{k=0}^n rho^k = 0.0025",
       reading="every minibatch of 4 has the gradient 0.05; after many minibatches (n -> oo, the initial value "
               "forgotten) r = 0.0025 (1 - rho) sum_{k>=0} rho^k = 0.0025, for every 0 < rho < 1")
def rho2_w3_batch4(d):
    rho = d.symbol("rho", bounds=(0, 1))
    S = d.symbol("sum_{k>=0} rho^k", positive=True)
    d.unknowns(S)
    shift = d.given(Eq(S, 1 + rho * S), why="the geometric series starts with 1 and repeats itself shifted by one "
                    "(0 < rho < 1: it converges); n -> oo", label="geometric series")
    g = sp.Mul(R(1, 4), sp.Add(R(11, 10), 0, -R(9, 10), 0, evaluate=False), evaluate=False)
    ch = (d.chain(_sq(g) * (1 - rho) * S, using=[shift])
          .eq(R(25, 10000), rule="(1 - rho) sum_k rho^k = 1; (0.05)^2", label="n -> oo"))
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
       title="Squared-gradient average for w_1: r = 1 at minibatch sizes 2 and 4",
       source=_src(", rho_2, w_1"),
       statement="For w_1 with minibatch size 2 and 4, we get r = 1 in both cases.",
       reading="every minibatch of 2 or 4 of the w_1 series has the gradient 1; after many minibatches (n -> oo) "
               "r = (1 - rho) sum_{k>=0} rho^k = 1 for every 0 < rho < 1, at both sizes")
def rho2_w1(d):
    rho = d.symbol("rho", bounds=(0, 1))
    S = d.symbol("sum_{k>=0} rho^k", positive=True)
    d.unknowns(S)
    shift = d.given(Eq(S, 1 + rho * S), why="the geometric series starts with 1 and repeats itself shifted by one "
                    "(0 < rho < 1: it converges); n -> oo", label="geometric series")
    g2 = _half(R(11, 10), R(9, 10))
    g4 = sp.Mul(R(1, 4), sp.Add(R(11, 10), R(9, 10), R(11, 10), R(9, 10), evaluate=False), evaluate=False)
    c2 = d.chain(_sq(g2) * (1 - rho) * S, using=[shift]).eq(1, rule="(0.5(1.1 + 0.9))^2 = 1; (1-rho) sum_k rho^k = 1",
                                                            label="size 2")
    c4 = d.chain(_sq(g4) * (1 - rho) * S, using=[shift]).eq(
        1, rule="(0.25(1.1 + 0.9 + 1.1 + 0.9))^2 = 1; (1-rho) sum_k rho^k = 1", label="size 4")
    stmt = (c2.fact.relation, c4.fact.relation)
    d.step(stmt, rule="collect", using=[shift])
    d.statement(stmt)


@rho2_w1.witness("exact")
def _w1_ewa(w):
    """Minibatches of 2 (relation 1) and 4 (relation 2) of the w_1 series at rho = 9/10 and 1/2 (see
    series_witness)."""
    return series_witness(w, 1, (2, 4))


@claim(id="adam_minibatch.no_scaling",
       title="No straightforward scaling relationship between rho_2 and the minibatch size",
       source=_src(", rho_2, conclusion"),
       statement="which are very different results. For w_1 with minibatch size 2 and 4, we get r = 1 in both cases. "
                 "As a result, there is no straightforward scaling relationship between rho_2 and the minibatch size.",
       reading="the factor by which minibatching changes the squared-gradient average (rho -> 1) depends on the "
               "series, not on the batch size alone: r(4)/r(1) is 1/1.01 for w_1 but 0.0025/0.505 = 1/202 for w_3 "
               "(r(1) = <g^2> of Exercise 1 (b)); so no rescaling of rho_2 by the batch size can keep r")
def no_scaling(d):
    r1, r4 = d.symbols("r_{w1}(1) r_{w1}(4)", positive=True)
    t1, t2, t4 = d.symbols("r_{w3}(1) r_{w3}(2) r_{w3}(4)", positive=True)
    vals = d.given((sp.Eq(r1, R(101, 100)), sp.Eq(r4, 1), sp.Eq(t1, R(101, 200)), sp.Eq(t2, R(2525, 10000)),
                    sp.Eq(t4, R(25, 10000))),
                   why="r at batch size 1 is <g^2> (Exercise 1 (b), rho -> 1); at 2 and 4 the claims above",
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
