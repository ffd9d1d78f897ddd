"""Momentum as a running average: y_t = (1 - 1/N) y_{t-1} + x_t is N times the running average of x_t."""
from fractions import Fraction

import sympy as sp

from derivations.bias_correction import on_sequences
from proofs import Source, claim

TOPIC = "momentum"
SGD_PROBLEMS = "000_e701d70adf034ba3.txt"
SGD_PROBLEMS_2 = "001_6f3b02b455961dc3.txt"


def iterate_momentum(N, xs, y0=Fraction(0)):
    """The process itself: y_t = (1 - 1/N) y_{t-1} + x_t, exactly in rationals. Returns y_0..y_T."""
    ys = [y0]
    for x in xs:
        ys.append((1 - Fraction(1, N)) * ys[-1] + x)
    return ys


def iterate_running_average(N, xs, mu0=Fraction(0)):
    """mu_t = (1 - 1/N) mu_{t-1} + x_t / N, exactly. Returns mu_0..mu_T."""
    mus = [mu0]
    for x in xs:
        mus.append((1 - Fraction(1, N)) * mus[-1] + Fraction(x) / N)
    return mus


@claim(id="momentum.constant_input_limit",
       title="Limit of the momentum recursion for a constant input",
       source=Source(SGD_PROBLEMS, "Problem 2 (a)"), also=(Source(SGD_PROBLEMS_2, "Problem 1 (a)"),),
       statement="y_inf = (1 - 1/N) y_inf + c, giving y_inf = N c")
def constant_input_limit(d):
    N = d.symbol("N", integer=True, positive=True)
    c = d.symbol("c", real=True)
    y = d.symbol("y_inf", real=True)
    d.unknowns(y)
    d.given(sp.Eq(y, (1 - 1 / N) * y + c), why="the limit must satisfy the update (the limit is assumed to exist)")
    d.step(sp.Eq(y, N * c), rule="solve for y_inf")
    d.statement(sp.Eq(y, N * c))


def aitken_limit(ys):
    """The limit of a sequence y_t = L + A r^t from three successive terms (Aitken's delta-squared), exact for
    the geometric convergence of a linear recursion with a constant input."""
    a, b, c = ys[-3:]
    den = c - 2 * b + a
    return c if den == 0 else (c * a - b * b) / den


@constant_input_limit.witness("exact")
def _constant_input_iterates(w):
    """Iterate the recursion from y_0 = 0 with x_t = c at (N, c) = (4, 3/2) and (3, -5/7); the limit of the
    iterates (Aitken's delta-squared on the last three, exact for this geometric convergence; the iterate after
    400 steps is within 1e-40 of it) is put for y_inf and the statement evaluated as written."""
    obs = []
    for N, c, T in ((4, Fraction(3, 2), 400), (3, Fraction(-5, 7), 400)):
        ys = iterate_momentum(N, [c] * T)
        lim = aitken_limit(ys)
        if abs(ys[-1] - lim) >= Fraction(1, 10 ** 40):
            return w.observe(False, f"N={N}, c={c}: the iterates have not settled after {T} steps",
                             method="iterate the update exactly", n=T)
        obs.append(w.exact({w.S.y_inf: lim, w.S.N: N, w.S.c: c},
                           method=f"iterate the update exactly ({T} steps), Aitken limit of the iterates", n=T))
    return obs


@claim(id="momentum.running_average_of_Nx",
       title="The momentum update is a running average of N x_t",
       source=Source(SGD_PROBLEMS, "Problem 2 (b)"), also=(Source(SGD_PROBLEMS_2, "Problem 1 (b)"),),
       statement="y_t = (1 - 1/N) y_{t-1} + (1/N)(N x_t)")
def running_average_of_Nx(d):
    N = d.symbol("N", integer=True, positive=True)
    y_prev, x_t = d.symbols("y_{t-1} x_t", real=True)
    d.chain((1 - 1 / N) * y_prev + x_t).eq((1 - 1 / N) * y_prev + sp.Mul(1 / N, N * x_t, evaluate=False),
                                           rule="rewrite x_t as (1/N)(N x_t)")
    d.statement(sp.Eq((1 - 1 / N) * y_prev + x_t, (1 - 1 / N) * y_prev + sp.Mul(1 / N, N * x_t, evaluate=False),
                      evaluate=False))


@running_average_of_Nx.witness("exact")
def _same_iterates(w):
    """Run the momentum update and a running average fed N x_t side by side on random rational inputs (N = 5 and
    N = 3); at every step the statement is evaluated at the process's y_{t-1} and x_t, both sides, and each side
    is compared with the step it stands for: the left with the momentum iterate y_t, the right with the running
    average of N x_t (which must be the same sequence)."""
    obs = []
    ysym = sp.Symbol("y_t (momentum)")
    msym = sp.Symbol("mu_t (running average of N x)")
    stmt = w.statement
    for N in (5, 3):
        xs = [Fraction(int(k), 7) for k in w.rng.integers(-20, 21, size=40)]
        ys = iterate_momentum(N, xs, y0=Fraction(2, 3))
        avg = iterate_running_average(N, [N * x for x in xs], mu0=Fraction(2, 3))
        rels = (stmt, sp.Eq(stmt.lhs, ysym), sp.Eq(stmt.rhs, msym))
        for t in range(1, len(xs) + 1):
            o = w.exact({w.S["y_{t-1}"]: ys[t - 1], w.S.x_t: xs[t - 1], w.S.N: N, ysym: ys[t], msym: avg[t]},
                        relation=rels)
            if not o.holds:
                return w.observe(False, f"N = {N}, t = {t}: {o.detail}", method="both recursions iterated exactly",
                                 n=t)
        obs.append(w.observe(ys == avg, f"N = {N}: the statement holds at t = 1..40 and both sides are the "
                                        f"iterates; the two sequences identical: {ys == avg}",
                             method="both recursions iterated exactly", n=len(xs)))
    return obs


@claim(id="momentum.as_running_average",
       title="y_t equals N times the running average mu_t",
       source=Source(SGD_PROBLEMS, "Problem 2 (c)"), also=(Source(SGD_PROBLEMS_2, "Problem 1 (c)"),),
       statement="y_t = N mu_t")
def as_running_average(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    y, mu, x = d.indexed("y", real=True), d.indexed("mu", real=True), d.indexed("x", real=True)
    d.given(sp.Eq(y[0], 0), why="y_0 = 0")
    d.given(sp.Eq(mu[0], 0), why="mu_0 = 0")
    upd_y = d.given(sp.Eq(y[t], (1 - 1 / N) * y[t - 1] + x[t]), why="the momentum update", for_all=t)
    upd_mu = d.given(sp.Eq(mu[t], (1 - 1 / N) * mu[t - 1] + x[t] / N), why="the running average", for_all=t)
    # y_0 = N mu_0 = 0 is the initialisation; for t >= 1 by induction (base case t = 1 from y_0 = mu_0 = 0)
    with d.induction(sp.Eq(y[t], N * mu[t]), on=t, base=1, label="y_t = N mu_t by induction") as ind:
        (d.chain(y[t], using=[upd_y])
         .eq((1 - 1 / N) * y[t - 1] + x[t], rule="the momentum update")
         .eq((1 - 1 / N) * N * mu[t - 1] + x[t], rule="induction hypothesis", using=[ind.hypothesis])
         .eq(N * ((1 - 1 / N) * mu[t - 1] + x[t] / N), rule="factor out N")
         .eq(N * mu[t], rule="the running-average update", using=[upd_mu]))
    d.statement(sp.Eq(y[t], N * mu[t]))


def _at_t(S, name):
    """Sequence ``name`` at t as a derivation writes it: the entry name[t], or a plain symbol name_t."""
    return S[name][S.t] if name in S else S[f"{name}_t"]


@as_running_average.witness("exact")
def _side_by_side(w):
    """Iterate both recursions exactly on random rational inputs (N = 4); the statement at every t = 1..30 with
    every entry it names (y[k], mu[k], x[k]) given the process's value at the index it writes."""
    N = 4
    xs = [Fraction(int(k), 3) for k in w.rng.integers(-9, 10, size=30)]
    seqs = {"y": iterate_momentum(N, xs), "mu": iterate_running_average(N, xs), "x": [Fraction(0)] + xs}
    for t in range(1, len(xs) + 1):
        at = {sp.Symbol("t"): t, sp.Symbol("N"): N}
        o = w.exact(at, relation=on_sequences(w.statement, at, seqs))
        if not o.holds:
            return w.observe(False, f"fails first at t = {t}: {o.detail}", method="both recursions iterated exactly",
                             n=len(xs))
    return w.observe(True, f"the statement holds at every t = 1..{len(xs)}", method="both recursions iterated exactly",
                     n=len(xs))
