"""Averaging of stochastic gradients: the means, mean squares and ratios <g>/<g^2> of three weights'
gradient series, and the memory of the running average m(n+1) = rho m(n) + (1 - rho) x(n): its limit for a
constant input, its exponential weights, the share of old and of recent samples (an erratum, corrected),
and its window of about 1/(1 - rho) samples. Encodes Exercise 1 (a)-(f) of week 5 (004). Also holds
``WEEK5`` and ``observed_series``, which ``adam`` imports; running averages in general are in
``running_averages``.
"""
# Averaging of stochastic gradients and the exponential running average (Gerstner, week 5, Exercise 1).
#
# Three weights observe 100 gradients each (one pattern at a time):
#
# * w_1: 1.1, 0.9, 1.1, 0.9, ...          (period 2)
# * w_2: 0.1, 0.1, ...                    (period 1)
# * w_3: 1.1, 0, -0.9, 0, 1.1, 0, ...     (period 4)
#
# (a)-(c) are exact arithmetic on these series; (d)-(f) study the running average
# m(n+1) = rho m(n) + (1 - rho) x(n), rho in [0, 1).
#
# Encoding notes
# --------------
# * Finite sums the engine must *evaluate* (e.g. sum_{k=0}^{99} rho^k) are written
#   ``Subs(Sum(f(k), (k, lo, M)), M, hi)`` (``geo``): the engine evaluates Subs nodes (with ``doit``)
#   but never a bare ``Sum`` (engine gap, see the report); there, 0 < rho < 1 is given as
#   rho = 1/(1 + u), u > 0, so SymPy sums rho^k without a ``Piecewise`` case rho = 1.
# * Infinite geometric series (the n -> oo readings) are symbols determined by their shift
#   equation S = 1 + rho S (a linear solve); the engine would otherwise need a limit of a sum
#   (it cannot take one) or SymPy's infinite summation (slow).
# * Limits n -> oo are checked as "exact identity + a tail rho^{n+1} -> 0" where that is the
#   content, and limits rho -> 1 with epsilon = 1 - rho.
# * Approximate statements are checked in a precise form given in ``reading=``.

from fractions import Fraction

import numpy as np
import sympy as sp

from derivations.bias_correction import limit_estimates, on_sequences
from proofs import claim, Eq, Source

TOPIC = "running averages"
WEEK5 = "004_75a7c5df244e2fc1.txt"
R = sp.Rational

# ------------------------------------------------------------------------------------------------
# The observed series (100 samples each) and the process helpers shared by the witnesses
# ------------------------------------------------------------------------------------------------
PERIODS = {1: (Fraction(11, 10), Fraction(9, 10)),
           2: (Fraction(1, 10),),
           3: (Fraction(11, 10), Fraction(0), Fraction(-9, 10), Fraction(0))}
N_SAMPLES = 100


def observed_series(k: int, n: int = N_SAMPLES) -> list:
    """The gradients observed for w_k, one pattern at a time (the series as listed by the exercise)."""
    p = PERIODS[k]
    return [p[t % len(p)] for t in range(n)]


def running_average(rho, xs, m0=Fraction(0)):
    """The algorithm (*): m(n+1) = rho m(n) + (1 - rho) x(n). Returns m(0), ..., m(len(xs))."""
    ms = [m0]
    for x in xs:
        ms.append(rho * ms[-1] + (1 - rho) * x)
    return ms


def _src(part: str) -> Source:
    return Source(WEEK5, f"Exercise 1 (Averaging of stochastic gradients), solution {part}")


def geo(body, k, lo, hi):
    """sum_{k=lo}^{hi} body, written so that the engine evaluates it (see the module docstring)."""
    M = sp.Symbol("M", integer=True)
    return sp.Subs(sp.Sum(body, (k, lo, M)), M, hi)


def _frac(v) -> Fraction:
    v = sp.nsimplify(v) if not isinstance(v, sp.Rational) else v
    return Fraction(int(v.p), int(v.q))


def _num(v) -> float:
    return float(sp.N(v, 30))


# ------------------------------------------------------------------------------------------------
# (a), (b): means and mean squares
# ------------------------------------------------------------------------------------------------
def _data_given(d, sym, k, square=False):
    vals = [sp.Rational(v.numerator, v.denominator) ** (2 if square else 1) for v in observed_series(k)]
    what = "squared gradients" if square else "gradients"
    return d.given(Eq(sym, sp.Mul(sp.Add(*vals, evaluate=False), R(1, 100), evaluate=False)),
                   why=f"the mean of the 100 observed {what} of $w_{k}$, as listed", label=f"data w_{k}")


def _plus(*terms):
    return sp.Add(*terms, evaluate=False)


@claim(id="gradient_averaging.means",
       title="Mean gradients of the three weights: 1, 0.1, 0.05",
       source=_src("(a)"),
       statement=r"$\langle g_1 \rangle = \frac{1}{100} \sum_{i=1}^{50} (1.1 + 0.9) = 1$, $\langle g_2 \rangle = "
                 r"\frac{1}{100} \sum_{i=1}^{100} 0.1 = 0.1$, $\langle g_3 \rangle = \frac{1}{100} \sum_{i=1}^{25} "
                 "(1.1 + 0 - 0.9 + 0) = 0.05$")
def means(d):
    i = d.symbol("i", integer=True, positive=True)
    g1, g2, g3 = d.symbols("<g_1> <g_2> <g_3>", real=True)
    facts = []
    for sym, k, reps, period, value in ((g1, 1, 50, _plus(R(11, 10), R(9, 10)), 1),
                                        (g2, 2, 100, R(1, 10), R(1, 10)),
                                        (g3, 3, 25, _plus(R(11, 10), 0, -R(9, 10), 0), R(1, 20))):
        data = _data_given(d, sym, k)
        ch = (d.chain(sym, using=[data])
              .eq(sp.Sum(period, (i, 1, reps)) / 100, rule=f"the series has period {len(PERIODS[k])}: "
                  f"{reps} repetitions over 100 samples", label=f"<g_{k}>, grouping")
              .eq(value, rule="arithmetic", label=f"<g_{k}>, value"))
        facts.append(ch.fact)
    stmt = (Eq(g1, 1), Eq(g2, R(1, 10)), Eq(g3, R(1, 20)))
    d.step(stmt, rule="collect", using=facts)
    d.statement(stmt)


@means.witness("exact")
def _means_from_series(w):
    S = w.S
    vals = {S[f"<g_{k}>"]: sum(observed_series(k)) / N_SAMPLES for k in (1, 2, 3)}
    return w.exact(vals, method="average of the 100 observed gradients (fractions.Fraction)", n=N_SAMPLES)


@claim(id="gradient_averaging.mean_squares",
       title="Mean squared gradients: 1.01, 0.01, 0.505",
       source=_src("(b)"),
       statement=r"$\langle g_1^2 \rangle = \frac{1}{100} \sum_{i=1}^{50} (1.1^2 + 0.9^2) = 1.01$, $\langle g_2^2 "
                 r"\rangle = \frac{1}{100} \sum_{i=1}^{100} 0.1^2 = 0.01$, $\langle g_3^2 \rangle = \frac{1}{100} "
                 r"\sum_{i=1}^{25} (1.1^2 + 0 + (-0.9)^2 + 0^2) = 0.505$")
def mean_squares(d):
    i = d.symbol("i", integer=True, positive=True)
    s1, s2, s3 = d.symbols("<g_1^2> <g_2^2> <g_3^2>", positive=True)

    def sq(v):
        return sp.Pow(v, 2, evaluate=False)

    facts = []
    for sym, k, reps, period, value in ((s1, 1, 50, _plus(sq(R(11, 10)), sq(R(9, 10))), R(101, 100)),
                                        (s2, 2, 100, sq(R(1, 10)), R(1, 100)),
                                        (s3, 3, 25, _plus(sq(R(11, 10)), 0, sq(-R(9, 10)), sq(sp.S.Zero)),
                                         R(101, 200))):
        data = _data_given(d, sym, k, square=True)
        ch = (d.chain(sym, using=[data])
              .eq(sp.Sum(period, (i, 1, reps)) / 100, rule=f"the series has period {len(PERIODS[k])}",
                  label=f"<g_{k}^2>, grouping")
              .eq(value, rule="arithmetic", label=f"<g_{k}^2>, value"))
        facts.append(ch.fact)
    stmt = (Eq(s1, R(101, 100)), Eq(s2, R(1, 100)), Eq(s3, R(101, 200)))
    d.step(stmt, rule="collect", using=facts)
    d.statement(stmt)


@mean_squares.witness("exact")
def _mean_squares_from_series(w):
    S = w.S
    vals = {S[f"<g_{k}^2>"]: sum(x * x for x in observed_series(k)) / N_SAMPLES for k in (1, 2, 3)}
    return w.exact(vals, method="average of the 100 squared observed gradients (fractions.Fraction)", n=N_SAMPLES)


# ------------------------------------------------------------------------------------------------
# (c): ratios
# ------------------------------------------------------------------------------------------------
@claim(id="gradient_averaging.ratios",
       title=r"$\langle g \rangle / \langle g^2 \rangle$: 0.99, 10 and about 0.1",
       source=_src("(c)"),
       statement=r"$\langle g_1 \rangle / \langle g_1^2 \rangle = 0.99$, $\langle g_2 \rangle / \langle g_2^2 "
                 r"\rangle = 10$, $\langle g_3 \rangle / \langle g_3^2 \rangle \approx 0.1$",
       reading="exactly $100/101$, 10 and $10/101$; 0.99 and 0.1 are these to the precision written ($|100/101 - "
               r"0.99| \leq 0.005$, $|10/101 - 0.1| \leq 0.05$)")
def ratios(d):
    g = d.symbols("<g_1> <g_2> <g_3>", real=True)
    s = d.symbols("<g_1^2> <g_2^2> <g_3^2>", positive=True)
    q = d.symbols("<g_1>/<g_1^2> <g_2>/<g_2^2> <g_3>/<g_3^2>", real=True)
    means_ = d.given((Eq(g[0], 1), Eq(g[1], R(1, 10)), Eq(g[2], R(1, 20))), why="(a)", label="(a)")
    squares = d.given((Eq(s[0], R(101, 100)), Eq(s[1], R(1, 100)), Eq(s[2], R(101, 200))), why="(b)",
                      label="(b)")
    facts = []
    for k, exact, written in ((0, R(100, 101), "0.99"), (1, 10, None), (2, R(10, 101), "0.1")):
        ratio = d.given(Eq(q[k], g[k] / s[k]), why="the ratio divides (a) by (b)", label=f"ratio {k + 1}")
        ch = d.chain(q[k], using=[ratio, means_, squares]).eq(exact, rule="divide (a) by (b)",
                                                              label=f"ratio {k + 1}, exact")
        facts.append(ch.fact)
        if written is not None:
            d.approx(exact, written, label=f"ratio {k + 1} = {written}")
    stmt = (Eq(q[0], R(100, 101)), Eq(q[1], 10), Eq(q[2], R(10, 101)))
    d.step(stmt, rule="collect", using=facts)
    d.statement(stmt)


@ratios.witness("exact")
def _ratios_from_series(w):
    vals = {}
    for k in (1, 2, 3):
        xs = observed_series(k)
        vals[w.S[f"<g_{k}>/<g_{k}^2>"]] = (sum(xs) / N_SAMPLES) / (sum(x * x for x in xs) / N_SAMPLES)
    return w.exact(vals, method="mean / mean square of the observed series (fractions.Fraction)", n=N_SAMPLES)


# ------------------------------------------------------------------------------------------------
# (d): the recursion unrolled; a constant input is reached
# ------------------------------------------------------------------------------------------------
@claim(id="gradient_averaging.constant_input_limit",
       title=r"The running average (*) converges to $\bar{x}$ for a constant input",
       source=_src("(d)"),
       statement=r"$m(n+1) = \rho m(n) + (1-\rho)x(n) = \rho[\rho m(n-1) + (1-\rho)x(n-1)] + (1-\rho)x(n) = "
                 r"\rho^{n+1}m(0) + (1-\rho) \sum_{k=0}^n \rho^k x(n-k) = \rho^{n+1}m(0) + \bar{x} \cdot (1-\rho) "
                 r"\sum_{k=0}^n \rho^k$; $n \rightarrow \infty$: $m(n+1) \approx \bar{x} \cdot (1-\rho) "
                 r"\frac{1}{1-\rho} = \bar{x}$",
       reading=r"for $0 < \rho < 1$: $m(n+1) - \bar{x} = \rho^{n+1} (m(0) - \bar{x})$ with $\rho^{n+1} \to 0$, so "
               r"$m(n+1) \to \bar{x}$ for every $m(0)$; for $\rho = 0$, $m(n+1) = x(n) = \bar{x}$ at once")
def constant_input_limit(d):
    rho = d.symbol("rho", bounds=(0, 1))
    n = d.symbol("n", integer=True, nonnegative=True)   # (*) holds from n = 0 on: the induction starts there
    k = d.symbol("k", integer=True, nonnegative=True)
    M = sp.Symbol("M", integer=True)
    xbar, m0 = d.symbols("xbar m(0)", real=True)
    m, x = d.indexed("m"), d.indexed("x")
    r = d.symbol("r", positive=True)
    d.given(Eq(m[0], m0), why="the initial value $m(0)$", label="m(0)")
    upd_n = d.given(Eq(m[n + 1], rho * m[n] + (1 - rho) * x[n]), why="the algorithm (*) at step "
                                                                     "$n$", label="(*) at n",
                    for_all=n)

    def unrolled(t):            # sum_{k=0}^{t} rho^k x(t-k)
        return sp.Subs(sp.Sum(rho ** k * x[M - k], (k, 0, M)), M, t)

    param = d.given(Eq(rho, 1 / (1 + r)), why=r"$0 < \rho < 1$ written $\rho = 1/(1 + r)$, $r > 0$ (SymPy then sums "
                                              r"$\rho^k$ without a case $\rho = 1$)", label="0 < rho < 1")
    d.note("The sum is written Subs(Sum(rho^k x(M-k), (k, 0, M)), M, n) so that the engine evaluates it; "
           r"'$x = \bar{x}$' is stated for the summand's index $x(M - k)$.")
    d.note("The solution's 'repeat' is an induction on $n$: $P(n)$ is the unrolled form of $m(n+1)$; its base case "
           "$n = 0$ is (*) at $n = 0$, and the inductive step uses the unrolled form of $m(n)$ (the hypothesis "
           "$P(n - 1)$); line 2, one more unrolling, is checked as written.")
    P = Eq(m[n + 1], rho ** (n + 1) * m0 + (1 - rho) * unrolled(n))
    with d.induction(P, on=n, base=0, label="repeat: induction on n") as ind:
        upd_n1 = d.given(Eq(m[n], rho * m[n - 1] + (1 - rho) * x[n - 1]), why=r"(*) at step $n - 1$ ($n \geq 1$)",
                         label="(*) at n-1")
        peel = d.given(Eq(unrolled(n), x[n] + rho * unrolled(n - 1)),
                       why="split off the term $k = 0$ of the sum and shift the index (not "
                           "checked: the engine cannot shift or peel sums with a symbolic "
                           "range)", label="sum split", solve_for=unrolled(n))
        ch = d.chain(m[n + 1], using=[upd_n]).eq(rho * m[n] + (1 - rho) * x[n], rule="(*)", label="line 1")
        d.step(Eq(rho * m[n] + (1 - rho) * x[n], rho * (rho * m[n - 1] + (1 - rho) * x[n - 1]) + (1 - rho) * x[n]),
               rule="(*) at $n - 1$", using=[upd_n1], label="line 2")
        (ch.eq(rho * (rho ** n * m0 + (1 - rho) * unrolled(n - 1)) + (1 - rho) * x[n],
               rule="induction hypothesis: the unrolled form of m(n)", using=[ind.hypothesis])
         .eq(rho ** (n + 1) * m0 + (1 - rho) * unrolled(n), rule="repeat: induction on $n$", using=[peel],
             label="line 3"))
    const = d.given(Eq(x[M - k], xbar), why=r"all values of $x$ are identical: $x(j) = \bar{x}$ for every $j$",
                    label="x = xbar")
    ch = (d.chain(m[n + 1], using=[ind.fact])
          .eq(rho ** (n + 1) * m0 + (1 - rho) * unrolled(n), rule="repeat: induction on $n$")
          .eq(rho ** (n + 1) * m0 + xbar * (1 - rho) * geo(rho ** k, k, 0, n), rule=r"$x(k) = \bar{x}$",
              using=[const], label="line 4")
          .eq(rho ** (n + 1) * m0 + xbar * (1 - rho ** (n + 1)), rule="geometric series", using=[const, param],
              label="geometric series"))
    const_n = d.given((Eq(x[n], xbar), Eq(x[n - 1], xbar)), why=r"$x(n) = x(n-1) = \bar{x}$", label="x(n) = xbar")
    d.step(Eq(sp.Add(sp.Mul(0, m[n], evaluate=False), sp.Mul(1 - 0, x[n], evaluate=False), evaluate=False),
                 xbar), rule=r"$\rho = 0$: $m(n+1) = x(n)$ at every step", using=[const_n], label="rho = 0")
    gap = d.step(Eq(m[n + 1] - xbar, rho ** (n + 1) * (m0 - xbar)), rule=r"subtract $\bar{x}$", using=[ch.fact],
                 label="distance to xbar")
    tail = d.chain(sp.Limit(rho ** (n + 1), n, sp.oo), using=[param]).eq(0, rule=r"$0 < \rho < 1$", label="n -> oo")
    stmt = (gap.relation, tail.fact.relation)
    d.step(stmt, rule="collect", using=[ch.fact, param])
    d.statement(stmt)


@constant_input_limit.witness("exact")
def _constant_input_iterates(w):
    """Run (*) exactly with a constant input xbar = 3/7 from m(0) = 5 for rho in {1/2, 9/10}: the statement's
    relations without a limit are evaluated at n = 0, 1, 2, 9, 59 with every entry m[k] they name given the
    iterate m(k); the body of each limit (n -> oo) is evaluated at n = 100, 200, 400 and extrapolated, and the
    relation compared as written; the iterate after 700 steps is within 1e-30 of xbar; rho = 0 separately."""
    xbar, m0, T = Fraction(3, 7), Fraction(5), 700
    obs = []
    rels = w.statement if isinstance(w.statement, tuple) else (w.statement,)
    plain = tuple(r for r in rels if not r.has(sp.Limit))
    limits = tuple(r for r in rels if r.has(sp.Limit))
    for rho in (Fraction(1, 2), Fraction(9, 10)):
        ms = running_average(rho, [xbar] * T, m0=m0)
        base = {"m(0)": m0, "xbar": xbar, "rho": rho}
        steps = (0, 1, 2, 9, 59)
        if plain:
            bad = [(t, o) for t in steps
                   for o in [w.exact({sp.Symbol("n"): t, sp.Symbol("rho"): rho},
                                     relation=on_sequences(plain, {**base, "n": t}, {"m": ms}))] if not o.holds]
            obs.append(w.observe(not bad, f"rho={rho}: the relations without a limit at n = {steps}"
                                 + ("" if not bad else f"; fail first at n = {bad[0][0]}: {bad[0][1].detail}"),
                                 method="(*) iterated exactly", n=60))
        if limits:
            rel, vals, errs, problem = limit_estimates(w, limits, "n", sp.oo, "-",
                                                       [{**base, "n": n} for n in (100, 200, 400)])
            if problem:
                obs.append(w.observe(False, f"rho={rho}: {problem}", method="limit n -> oo", n=3))
            else:
                obs.append(w.close(vals, {k: v + 1e-30 for k, v in errs.items()},
                                   relation=on_sequences(rel, base, {"m": ms}), floor=1e-12,
                                   method=f"rho={rho}: limit bodies at n = 100, 200, 400, Richardson", n=3))
        gap = abs(ms[-1] - xbar)
        obs.append(w.observe(gap < Fraction(1, 10 ** 30), f"rho={rho}: |m({T}) - xbar| = {float(gap):.3g}",
                             method="(*) iterated exactly", n=T))
    ms0 = running_average(Fraction(0), [xbar] * 5, m0=m0)
    obs.append(w.observe(ms0[1:] == [xbar] * 5, f"rho = 0: m(1..5) = {[str(v) for v in ms0[1:]]}, xbar = {xbar}",
                         method="(*) with rho = 0", n=5))
    return obs


# ------------------------------------------------------------------------------------------------
# (e): exponential weights
# ------------------------------------------------------------------------------------------------
@claim(id="gradient_averaging.exponential_weights",
       title=r"For $1 - \rho \ll 1$ the running average weights $x(n-k)$ by $(1-\rho) \exp[-(1-\rho)k]$",
       source=_src("(e)"),
       statement=r"$\exp[-(1 - \rho)k] = \exp(-(1 - \rho))^k \approx (1 + (-(1 - \rho)))^k = \rho^k$, so $m(n + 1) "
                 r"= (1 - \rho) \sum_{k=0}^n \rho^k x(n - k) \approx (1 - \rho) \sum_{k=0}^n \exp[-(1 - \rho)k] "
                 r"\cdot x(n - k)$",
       reading=r"with $\epsilon = 1 - \rho \to 0^+$: $\exp(-\epsilon) = 1 - \epsilon + O(\epsilon^2)$ (the error "
               r"over $\epsilon^2$ tends to $\frac{1}{2}$), and the weights differ in total by $\mathrm{TV} = "
               r"\sum_{k \geq 0} (1-\rho) |\exp(-(1-\rho)k) - \rho^k| = \frac{1-\rho}{1 - \exp(-(1-\rho))} - 1$, "
               r"which tends to 0 like $(1-\rho)/2$; hence $|m(n+1) - (1-\rho) \sum_k \exp(-(1-\rho)k) x(n-k)| \leq "
               r"\sup |x| \cdot \mathrm{TV} \to 0$ uniformly in $n$ ($m(0) = 0$)")
def exponential_weights(d):
    rho = d.symbol("rho", bounds=(0, 1))
    q = d.symbol("q", bounds=(0, 1))
    eps = d.symbol("epsilon", bounds=(0, 1))
    k = d.symbol("k", integer=True, nonnegative=True)
    TV = d.symbol("TV", positive=True)
    to_eps = d.given((Eq(rho, 1 - eps), Eq(q, sp.exp(-eps))),
                     why=r"$\epsilon = 1 - \rho$ ($\rho \to 1^-$ is $\epsilon \to 0^+$); $q = \exp(-(1-\rho))$ is "
                         "the base of the exponential weights", label="epsilon = 1 - rho")
    Sq, Sr = d.symbol("sum_{k>=0} q^k", positive=True), d.symbol("sum_{k>=0} rho^k", positive=True)
    d.unknowns(Sq, Sr)
    series_ = d.given((Eq(Sq, 1 + q * Sq), Eq(Sr, 1 + rho * Sr)),
                      why="each geometric series starts with 1 and repeats itself shifted by one "
                          r"($0 < q, \rho < 1$: they converge)", label="geometric series")
    d.note("The infinite geometric series are determined by their shift equations (a linear solve; the engine does "
           r"not sum series itself, see the report). $q = \exp(-(1-\rho))$ is inserted inside the limits "
           r"$\epsilon = 1 - \rho \to 0^+$ only, because the engine cannot show $1 - \exp(-\epsilon) \neq 0$ (a "
           "side condition) outside a limit.")
    (d.chain(sp.exp(-(1 - rho) * k))
     .eq(sp.exp(-(1 - rho)) ** k, rule=r"$\exp(a k) = \exp(a)^k$", label="line 1"))
    d.chain(sp.Limit((q - (1 + (-(1 - rho)))) / (1 - rho) ** 2, eps, 0, "+"), using=[to_eps]).eq(
        R(1, 2), rule=r"Taylor: $\exp(e) = 1 + e + e^2/2 + \cdots$",
        label="line 2: exp(-(1-rho)) ~ 1 + (-(1-rho)) up to O((1-rho)^2)")
    d.chain((1 + (-(1 - rho))) ** k).eq(rho ** k, rule="arithmetic", label="line 3")
    below = d.given(sp.Ge(q, rho), why=r"$1 - u \leq \exp(-u)$ (convexity of $\exp$), so every weight "
                                       r"$\exp(-(1-\rho)k) = q^k \geq \rho^k$ and "
                                       r"$|\exp(-(1-\rho)k) - \rho^k| = q^k - \rho^k$", label="q >= rho")
    tvdef = d.given(Eq(TV, (1 - rho) * Sq - (1 - rho) * Sr),
                    why=r"total difference of the weights (its terms are $\geq 0$ by '$q \geq \rho$')", label="TV")
    tv = (d.chain(TV, using=[tvdef, series_])
          .eq((1 - rho) / (1 - q) - 1, rule="two geometric series", label="TV, closed form")
          .eq((q - rho) / (1 - q), rule="common denominator", label="TV, one fraction"))
    prem = [tv.fact, to_eps]
    l1 = d.chain(sp.Limit(TV / (1 - rho), eps, 0, "+"), using=prem).eq(
        R(1, 2), rule=r"$q = \exp(-(1-\rho))$; limit", label="TV ~ (1-rho)/2")
    d.note(r"$\mathrm{TV}/(1-\rho) \to 1/2$ implies $\mathrm{TV} \to 0$: the exponential weights approximate the "
           r"true weights $\rho^k$ in total to $O(1-\rho)$.")
    d.statement(l1.fact.relation, by=l1.fact)


def _max_weighting_error(rho: float, n: int, inputs) -> float:
    """Run (*) from m(0) = 0 over each input sequence (floats) and compare m(n) with the exponentially
    weighted sum (1-rho) sum_k exp(-(1-rho)k) x(n-1-k); the largest absolute difference."""
    worst = 0.0
    w_exp = (1 - rho) * np.exp(-(1 - rho) * np.arange(n))
    for xs in inputs:
        m = 0.0
        for x in xs:
            m = rho * m + (1 - rho) * x
        approx = float(np.dot(w_exp, xs[::-1]))
        worst = max(worst, abs(m - approx))
    return worst


@exponential_weights.witness("simulation")
def _weighting_error_rate(w):
    """TV = sup over inputs |x| <= 1 of the error of the exponential-weight formula, measured by running (*) on
    x = 1 and on random +-1 sequences at rho = 1 - 1/N (N = 40, 80, 160, n = 30 N samples); the body of the
    statement's limit (epsilon = 1 - rho -> 0+) is evaluated at the measured TV and rho (whatever it writes),
    extrapolated (Richardson in 1/N) and the statement compared as written."""
    samples = []
    for Nw in (40, 80, 160):
        n = 30 * Nw
        inputs = [np.ones(n)] + [w.rng.choice((-1.0, 1.0), size=n) for _ in range(3)]
        rho = 1 - 1 / Nw
        tv = _max_weighting_error(rho, n, inputs)
        samples.append({"TV": tv, "rho": R(Nw - 1, Nw), "epsilon": R(1, Nw), "q": sp.exp(-R(1, Nw)), "k": 1})
    rel, vals, errs, problem = limit_estimates(w, w.statement, "epsilon", 0, "+", samples)
    if problem:
        return w.observe(False, problem, method="(*) run in floating point", n=3)
    return w.close(vals, {k: v + 1e-6 for k, v in errs.items()}, relation=rel, k=3,
                   method="(*) run in floating point at rho = 1 - 1/N, N = 40, 80, 160; Richardson in 1/N", n=3)


# ------------------------------------------------------------------------------------------------
# (f): how far back the average reaches
# ------------------------------------------------------------------------------------------------
@claim(id="gradient_averaging.old_samples_share",
       title=r"Samples more than 100 steps back carry the share $\rho^{100}$ of the running average",
       source=_src("(f)"),
       statement=r"$\frac{\sum_{k=100}^n w_k}{\sum_{k=0}^n w_k} \approx (1 - \rho) \sum_{k=100}^n \rho^k \approx 1 "
                 r"- (1 - \rho) \sum_{k=0}^{99} \rho^k = 1 - (1 - \rho) \left( \frac{1 - \rho^{100}}{1 - \rho} "
                 r"\right) = \rho^{100}$, with $w_k = (1 - \rho)\rho^k$",
       reading=r"as $n \to \infty$ (the $\approx$ are exact in the limit, where $\sum_{k=0}^n w_k \to 1$): $\sum_{k "
               r"\geq 100} w_k / \sum_{k \geq 0} w_k = (1-\rho) \sum_{k \geq 100} \rho^k = 1 - (1-\rho) "
               r"\sum_{k=0}^{99} \rho^k = \rho^{100}$, for $0 < \rho < 1$")
def old_samples_share(d):
    rho = d.symbol("rho", bounds=(0, 1))
    u = d.symbol("u", positive=True)
    k = d.symbol("k", integer=True, nonnegative=True)
    S, T = d.symbol("sum_{k>=0} rho^k", positive=True), d.symbol("sum_{k>=100} rho^k", positive=True)
    d.unknowns(S, T)
    series_ = d.given((Eq(S, 1 + rho * S), Eq(T, S - geo(rho ** k, k, 0, 99))),
                      why=r"the geometric series starts with 1 and repeats itself shifted by one ($0 < \rho < 1$); "
                          r"it splits into the terms $k \leq 99$ and the tail $k \geq 100$", label="geometric series")
    param = d.given(Eq(rho, 1 / (1 + u)), why=r"$0 < \rho < 1$ written $\rho = 1/(1 + u)$, $u > 0$ (SymPy then sums "
                                              r"$\rho^k$ without a case $\rho = 1$)", label="0 < rho < 1")
    d.note(r"$w_k = (1-\rho) \rho^k$ is written out; $n \to \infty$ makes the sums infinite series, which are "
           "determined by their shift equation (the engine does not sum series itself); the finite sum over "
           r"$k \leq 99$ is summed by the engine.")
    ch = (d.chain((1 - rho) * T / ((1 - rho) * S))
          .eq((1 - rho) * T, rule=r"the total weight $(1-\rho) \sum_k \rho^k$ is 1", using=[series_], label="line 1")
          .eq(1 - (1 - rho) * geo(rho ** k, k, 0, 99), rule="the weights sum to 1", using=[series_, param],
              label="line 2")
          .eq(1 - (1 - rho) * ((1 - rho ** 100) / (1 - rho)), rule="geometric series", using=[param], label="line 3")
          .eq(rho ** 100, rule="cancel", label="line 4"))
    d.statement(ch.fact.relation)


def ewa_share_of_old_samples(rho, age: int, n: int):
    """Run (*) from m(0) = 0 on the indicator of samples older than ``age`` steps (x = 1 for the first
    n - age samples, 0 for the last age) and on x = 1; the ratio is the share of the old samples.
    Exact for a Fraction rho, floating point for a float rho."""
    one, zero = (Fraction(1), Fraction(0)) if isinstance(rho, Fraction) else (1.0, 0.0)
    old = running_average(rho, [one] * (n - age) + [zero] * age, m0=zero)[-1]
    total = running_average(rho, [one] * n, m0=zero)[-1]
    return old / total


@old_samples_share.witness("exact")
def _share_by_running(w):
    """Run (*) from m(0) = 0 at rho = 9/10 (exactly) and 0.99 (floating point) over n = 100 + 40/(1 - rho)
    samples, on x = 1 (m = the total weight (1-rho) sum_{k<n} rho^k) and on the indicator of the samples older than
    100 steps (m = their weight): the series sum_{k>=0} rho^k and sum_{k>=100} rho^k are these weights over
    (1 - rho), up to the tail rho^n; the statement is evaluated with them, both sides, as written."""
    obs = []
    S = w.S
    Ssym, Tsym = S["sum_{k>=0} rho^k"], S["sum_{k>=100} rho^k"]
    for rho in (Fraction(9, 10), 0.99):
        n = 100 + int(40 / (1 - rho))
        one, zero = (Fraction(1), Fraction(0)) if isinstance(rho, Fraction) else (1.0, 0.0)
        old = running_average(rho, [one] * (n - 100) + [zero] * 100, m0=zero)[-1]
        total = running_average(rho, [one] * n, m0=zero)[-1]
        bound = (float(rho) ** (n - 100) + (0 if isinstance(rho, Fraction) else 1e-13 * n)) / (1 - float(rho))
        how = "exactly" if isinstance(rho, Fraction) else "in floating point"
        at = {"rho": Fraction(rho).limit_denominator(1000)}
        obs.append(w.close({Ssym: float(total / (1 - rho)), Tsym: float(old / (1 - rho))},
                           {Ssym: bound, Tsym: bound}, relation=on_sequences(w.statement, at, {}), k=1, floor=1e-15,
                           method=f"(*) iterated {how} at rho = {rho}, n = {n}", n=n))
    return obs


@claim(id="gradient_averaging.old_samples_share_value",
       title=r"At $\rho = 0.99$, $\rho^{100} \approx 0.366$: roughly one third",
       source=_src("(f)"),
       statement=r"$\rho^{100} \approx 0.366$ [at $\rho = 0.99$], so samples more than 100 steps in the past will "
                 "account for roughly one third of $m$",
       reading=r"$0.99^{100} = 0.36603\dots$, 0.366 to the three decimals written")
def old_samples_share_value(d):
    f = d.approx(R(99, 100) ** 100, "0.366", label="0.99^100")
    d.statement(f.relation)


@old_samples_share_value.witness("simulation")
def _value_by_running(w):
    """The share of samples older than 100 steps in m(4100) at rho = 0.99, (*) iterated in floating point: the
    statement's left side (the exact value 0.99^100 it writes) must be this share to the precision of the run
    (1e-12), its right side (the decimal written) to half a unit of the third decimal."""
    share = ewa_share_of_old_samples(0.99, 100, 100 + 4000)
    sym = sp.Symbol("share")
    method = "share of samples older than 100 steps in m(4100), rho = 0.99, (*) iterated in floating point"
    stmt = w.statement
    return [w.close({sym: share}, {sym: 1e-12}, relation=sp.Eq(sym, stmt.lhs), k=1, floor=1e-12,
                    method=method + " (the exact value written)", n=4100),
            w.close({sym: share}, {sym: 0.0005}, relation=sp.Eq(sym, stmt.rhs), k=1, floor=1e-12,
                    method=method + " (the decimal written: tolerance half a unit of the third decimal)", n=4100)]


@claim(id="gradient_averaging.time_constant_limit",
       title=r"$\rho^{1/(1-\rho)}$ tends to $\exp(-1) \approx 0.368$ as $\rho \to 1$",
       source=_src("(f)"),
       statement=r"The value of $\rho^{1/(1-\rho)}$ converges to $\exp(-1) \approx 0.368$ for increasing values of "
                 r"$\rho$ (which follows from the fact that $x \approx -\ln(1 - x)$ for small values of $x$)",
       reading=r"$\lim_{x \to 0} -\ln(1-x)/x = 1$; $\lim_{\rho \to 1^-} \rho^{1/(1-\rho)} = \exp(-1) = 0.3679$ "
               r"(0.368 to three decimals); this is the share of samples older than $1/(1-\rho)$ steps ('roughly "
               "one third')")
def time_constant_limit(d):
    rho = d.symbol("rho", bounds=(0, 1))
    x = d.symbol("x", positive=True)
    d.chain(sp.Limit(-sp.log(1 - x) / x, x, 0, "+")).eq(1, rule=r"Taylor: $-\ln(1-x) = x + x^2/2 + \cdots$",
                                                         label="x ~ -ln(1-x)")
    ch = (d.chain(sp.Limit(rho ** (1 / (1 - rho)), rho, 1, "-"))
          .eq(sp.Limit(sp.exp(sp.log(1 - (1 - rho)) / (1 - rho)), rho, 1, "-"), rule=r"$\rho^a = \exp(a \ln \rho)$",
              label="exp form")
          .eq(sp.exp(-1), rule=r"$\ln(1 - (1-\rho)) \sim -(1-\rho)$, with $x = 1 - \rho$", label="limit"))
    d.approx(sp.exp(-1), "0.368", label="exp(-1) ~ 0.368")
    d.statement(ch.fact.relation, by=ch.fact)


def _extrapolated_share(w, window, Ns=(50, 100, 200)):
    """Share of the most recent ``window(N)`` samples in m(n), n -> oo, at rho = 1 - 1/N, by running (*)
    exactly; returns the shares and the Richardson extrapolation 2 s(2N) - s(N) to N -> oo."""
    shares = []
    for Nw in Ns:
        rho = 1 - Fraction(1, Nw)
        nrec = window(rho)
        # the most recent nrec samples carry m = 1 - rho^nrec after nrec steps of x = 1 (older ones are 0)
        recent = running_average(rho, [Fraction(1)] * nrec)[-1]
        shares.append(float(recent))
    return shares, 2 * shares[2] - shares[1], abs((2 * shares[2] - shares[1]) - (2 * shares[1] - shares[0]))


@time_constant_limit.witness("exact")
def _old_share_limit(w):
    """Samples older than N = 1/(1-rho) steps: their share 1 - (share of the most recent N) measured by
    running (*) at rho = 1 - 1/N, N = 50, 100, 200 and extrapolated to rho -> 1, compared with the right side;
    and the statement itself with the body of its limit evaluated at those rho and extrapolated to rho -> 1-."""
    shares, ext, err = _extrapolated_share(w, lambda rho: int(round(1 / (1 - rho))))
    sym = sp.Symbol("old_share")
    obs = [w.close({sym: 1 - ext}, {sym: err + 1e-6}, relation=sp.Eq(sym, w.statement.rhs), k=3,
                   method="(*) iterated exactly at rho = 1 - 1/N, N = 50, 100, 200; Richardson in 1/N", n=3)]
    rel, vals, errs, problem = limit_estimates(w, w.statement, "rho", 1, "-",
                                               [{"rho": 1 - Fraction(1, Nw)} for Nw in (50, 100, 200)])
    if problem:
        obs.append(w.observe(False, problem, method="limit rho -> 1-", n=3))
    else:
        obs.append(w.close(vals, {k: v + 1e-6 for k, v in errs.items()}, relation=rel, k=3,
                           method="the limit's body at rho = 1 - 1/N, N = 50, 100, 200; Richardson in 1/N", n=3))
    return obs


def _recent_window_claim(d, window, exact_line):
    rho = d.symbol("rho", bounds=(0, 1))
    window_expr = window(rho)
    nw = d.symbol("n_window", positive=True)
    k = d.symbol("k", integer=True, nonnegative=True)
    d.define(nw, window_expr, why="the number of most recent samples, as the sentence states it")
    d.note("Share of the most recent $n$ samples in $m$ as the history grows: "
           r"$(1-\rho) \sum_{k=0}^{n-1} \rho^k = 1 - \rho^n$ (the total weight tends to 1); 'roughly two thirds' is "
           r"read as $1 - \exp(-1) = 0.632$, the complement of the 'one third' $\exp(-1)$ just computed.")
    ch = (d.chain(sp.Limit((1 - rho) * geo(rho ** k, k, 0, nw - 1), rho, 1, "-"))
          .eq(sp.Limit(1 - rho ** nw, rho, 1, "-"), rule="geometric series", label="share")
          .eq(exact_line, rule=r"$\rho^{1/(1-\rho)} \to \exp(-1)$", label="limit"))
    d.approx(1 - sp.exp(-1), "0.632", label="1 - exp(-1) ~ 0.632 (roughly two thirds)")
    d.statement(ch.fact.relation, by=ch.fact)


@claim(id="gradient_averaging.recent_samples_share",
       title=r"The most recent $n = \rho^{1/(1-\rho)}$ samples carry about two thirds of the average (as printed)",
       source=_src("(f)"), expected="refuted",
       statement=r"So, for large enough $\rho$, the most recent $n = \rho^{1/(1-\rho)}$ samples account for roughly "
                 "two thirds of the exponential moving average ($n$ is the time constant)",
       reading=r"$\lim_{\rho \to 1^-}$ (share of the most recent $n = \rho^{1/(1-\rho)}$ samples) $= 1 - \exp(-1)$")
def recent_samples_share(d):
    _recent_window_claim(d, lambda rho: rho ** (1 / (1 - rho)), 1 - sp.exp(-1))


@claim(id="gradient_averaging.recent_samples_share.corrected",
       title=r"The most recent $n = 1/(1-\rho)$ samples carry the share $1 - \rho^{1/(1-\rho)} \to 1 - 1/e \approx "
             "0.63$",
       source=_src("(f), corrected"), corrects="gradient_averaging.recent_samples_share",
       statement=r"the most recent $n = 1/(1-\rho)$ samples account for $1 - \rho^{1/(1-\rho)} \to 1 - \exp(-1) "
                 r"\approx 0.632$ (roughly two thirds) of the exponential moving average",
       reading=r"$\lim_{\rho \to 1^-}$ (share of the most recent $1/(1-\rho)$ samples) $= 1 - \exp(-1)$; "
               r"$\rho^{1/(1-\rho)} \approx 0.37$ is the share of the older samples, not a number of samples")
def recent_samples_share_corrected(d):
    _recent_window_claim(d, lambda rho: 1 / (1 - rho), 1 - sp.exp(-1))


def recent_share_witness(w):
    """The window as the claim defines it (n(rho), rounded up to whole samples), its share in m measured by
    running (*) at rho = 1 - 1/N, N = 50, 100, 200, extrapolated to rho -> 1, compared with the right side; and
    the statement itself with the body of its limit evaluated at those rho and the process's window n_window,
    extrapolated to rho -> 1-."""
    S = w.S
    nw = S["n_window"]
    window = next(f.relation.rhs for f in w.d.definitions if f.relation.lhs == nw)

    def count(rho):
        v = float(sp.N(window.xreplace({S["rho"]: sp.Rational(rho.numerator, rho.denominator)}), 20))
        return max(int(np.ceil(v - 1e-9)), 0)

    shares, ext, err = _extrapolated_share(w, count)
    sym = sp.Symbol("recent_share")
    obs = [w.close({sym: ext}, {sym: err + 1e-6}, relation=sp.Eq(sym, w.statement.rhs), k=3,
                   method="(*) iterated exactly at rho = 1 - 1/N, N = 50, 100, 200 (shares "
                          + ", ".join(f"{s:.4f}" for s in shares) + "); Richardson in 1/N", n=3)]
    samples = []
    for Nw in (50, 100, 200):
        rho = 1 - Fraction(1, Nw)
        samples.append({"rho": rho, "n_window": count(rho)})
    rel, vals, errs, problem = limit_estimates(w, w.statement, "rho", 1, "-", samples)
    if problem:
        obs.append(w.observe(False, problem, method="limit rho -> 1-", n=3))
    else:
        obs.append(w.close(vals, {k: v + 1e-6 for k, v in errs.items()}, relation=rel, k=3,
                           method="the limit's body at rho = 1 - 1/N and the process's window, N = 50, 100, 200; "
                                  "Richardson in 1/N", n=3))
    return obs


recent_samples_share.add_witness(recent_share_witness, kind="exact", name="recent_share")
recent_samples_share_corrected.add_witness(recent_share_witness, kind="exact", name="recent_share")


@claim(id="gradient_averaging.window_length",
       title=r"Friend's claim: the window extends over about $1/(1-\rho)$ samples, so $\rho = 0.99$ for 100 samples",
       source=_src("(f), the friend's statement"),
       statement="The algo (*) performs a running average of the time series $x(n)$ with an exponentially weighted "
                 r"window that extends roughly over $1/(1-\rho)$ samples. Therefore, if you want to include about "
                 r"100 samples in the average, you should choose $\rho = 0.99$.",
       reading=r"the equivalent flat window (the total weight divided by the weight $w_0 = 1 - \rho$ of the newest "
               r"sample) has length $\sum_{k \geq 0} w_k / w_0 = 1/(1-\rho)$; $1/(1-\rho) = 100$ gives $\rho = "
               r"0.99$. (As the solution adds, samples older than $1/(1-\rho)$ steps still carry $\exp(-1)$ of the "
               "weight.)")
def window_length(d):
    rho = d.symbol("rho", bounds=(0, 1))
    rho100 = d.symbol("rho_100", real=True)
    S = d.symbol("sum_{k>=0} rho^k", positive=True)
    d.unknowns(S, rho100)
    series_ = d.given(Eq(S, 1 + rho * S), why="the geometric series starts with 1 and repeats itself shifted by "
                                              r"one ($0 < \rho < 1$: it converges)", label="geometric series")
    ch = (d.chain((1 - rho) * S / (1 - rho), using=[series_])
          .eq(1 / (1 - rho), rule="geometric series", label="window length"))
    want = d.given(Eq(1 / (1 - rho100), 100), why="a window of 100 samples", label="100 samples")
    pick = d.step(Eq(rho100, R(99, 100)), rule=r"solve for $\rho$", using=[want])
    stmt = (ch.fact.relation, Eq(rho100, R(99, 100)))
    d.step(stmt, rule="collect", using=[series_, pick])
    d.statement(stmt)


def _window_of(rf: float):
    """Run (*) on an impulse (x = 1 at the newest sample) and on x = 1 throughout, in floating point: the ratio of
    the total weight to the newest weight (the equivalent flat window) and a bound on its error."""
    n = int(40 / (1 - rf))
    newest = running_average(rf, [0.0] * (n - 1) + [1.0], m0=0.0)[-1]
    total = running_average(rf, [1.0] * n, m0=0.0)[-1]
    return total / newest, (rf ** n + 1e-13 * n) / newest, n


@window_length.witness("simulation")
def _window_by_running(w):
    """The equivalent flat window sum_{k>=0} rho^k = total weight / newest weight, measured by running (*) at
    rho = 3/4 and 0.9, is put for the series in the statement; the rho that gives a window of 100 samples is found
    by bisection on the measured window length and put for rho_100; the statement is evaluated as written."""
    S = w.S
    obs = []
    series = S["sum_{k>=0} rho^k"]
    rels = w.statement if isinstance(w.statement, tuple) else (w.statement,)
    with_rho100 = tuple(r for r in rels if r.has(S.rho_100))
    without = tuple(r for r in rels if not r.has(S.rho_100))
    for rho in (Fraction(3, 4), Fraction(9, 10)):
        length, bound, n = _window_of(float(rho))
        if without:
            obs.append(w.close({series: length}, {series: bound}, relation=on_sequences(without, {"rho": rho}, {}),
                               k=2, method=f"(*) iterated in floating point at rho = {rho}, n = {n}", n=n))
    lo, hi = 0.5, 0.9999
    for _ in range(50):                                  # the window length grows with rho
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _window_of(mid)[0] < 100 else (lo, mid)
    rho100 = (lo + hi) / 2
    length, bound, n = _window_of(rho100)
    if with_rho100:
        obs.append(w.close({S.rho_100: rho100}, {S.rho_100: (hi - lo) + 1e-10}, k=2,
                           relation=on_sequences(with_rho100, {"rho": Fraction(99, 100)}, {}),
                           method=f"bisection on the window measured by (*): {length:.9f} samples at rho = "
                                  f"{rho100:.12f}", n=n))
    _weights_figure(w, Fraction(rho100).limit_denominator(10 ** 6), length, 1 / (1 - rho100))
    return obs


def _weights_figure(w, rho: Fraction, length: float, claimed):
    """Figure: the weight (*) gives the input k steps back, read off by running (*) from m(0) = 0 on a unit impulse
    x(0) = 1 (by linearity and time invariance m(k+1) is that weight), with the measured equivalent flat window
    (height w_0, length = total weight / w_0) and the claimed window 1/(1-rho) as a vertical mark."""
    rf = float(rho)
    K = min(round(5 / (1 - rf)), 2000)               # five windows, within the figure's point budget
    weights = running_average(rf, [1.0] + [0.0] * (K - 1), m0=0.0)[1:]
    fig = w.figure(rf"Weights of the running average at $\rho = {rf:g}$", xlabel="samples back $k$",
                   ylabel="weight $w_k$ of $x(n-k)$",
                   caption=rf"The weights of the running average $m(n+1) = \rho\, m(n) + (1-\rho)\, x(n)$ at "
                           rf"$\rho = {rf:g}$, measured by running it from $m(0) = 0$ on a unit impulse. Dashed: the "
                           rf"flat window with the same total weight and the same newest weight $w_0$, of measured "
                           rf"length {length:.6g}; the vertical line is the claimed window length $1/(1-\rho)$.")
    fig.line(range(K), weights, label="weights applied by (*) (measured)", style="solid")
    fig.line([0, length, length], [weights[0], weights[0], 0.0], label="flat window, same total weight (measured)",
             style="dashed")
    try:
        fig.vline(float(claimed), label=rf"$1/(1-\rho) = {float(claimed):.6g}$ (claimed)")
    except (TypeError, ValueError):                  # not a number: nothing to mark
        pass
