"""Bias correction of running averages: the running average started at 0 is biased towards 0 early
(E mu^_t = (1 - (1 - 1/N)^t) mu, about (t/N) mu for t << N), the 1/t update is the plain average, and the
min(N, t) update is unbiased for every t. Encodes the SGD slides (003) "A Digression on Bias Correction of
Running Averages" and "Bias Correction of Running Averages" (two slides), and Problem 3 of the SGD problems
(000; Problem 2 of 001). Also holds the helpers other modules import (``on_sequences``,
``limit_estimates``, ``put_values``, ``LAW``, ``law_mean``, ``run_average``).
"""
# Bias correction of running averages (slides "A Digression on Bias Correction of Running Averages",
# "Bias Correction of Running Averages" (two slides); Problem 3 of the SGD problems, Problem 2 of the
# second problem set).
#
# * mu^_0 = 0, mu^_t = (1 - 1/N) mu^_{t-1} + x_t / N is biased towards 0 early on:
#   E mu^_1 = mu/N and E mu^_t = (1 - (1 - 1/N)^t) mu exactly, hence ~ (t/N) mu for t << N.
# * The 1/t update keeps mu^_t equal to the plain average of x_1..x_t.
# * The min(N, t) update is unbiased for every t, equals the plain average for t <= N and the ordinary
#   running average (weight 1/N) for t > N; for a constant input it returns the constant from t = 1.
#
# Inputs x_t are iid with mean mu (expectation algebra of proofs.expectation). The results for every t are
# proved by first-class induction (d.induction: the base case is checked too). Sequences are indexed entries
# (y[t], mu^[u + 1]); for the expectations M[t] = E mu^_t, with mu^_{t-1} a random variable of mean
# M_{t-1} = M[t-1]; partial sums S_t = x_1 + ... + x_t enter by their recursive definition from S_0 = 0.

import math
import re
from fractions import Fraction
from itertools import product

import sympy as sp
from sympy.core.function import AppliedUndef

from proofs import E, Source, claim
from proofs.sampling import free_atoms
from proofs.witness import expectation_values, nodes_as_symbols

TOPIC = "running averages"
SLIDES = "003_1009e14fdb7b0e79.txt"
SGD_PROBLEMS = "000_e701d70adf034ba3.txt"
SGD_PROBLEMS_2 = "001_6f3b02b455961dc3.txt"
DIGRESSION = 'slide "A Digression on Bias Correction of Running Averages"'
ONE_OVER_T = 'slide "Bias Correction of Running Averages" (first: the 1/t update)'
MIN_N_T = 'slide "Bias Correction of Running Averages" (second: the min(N, t) update)'

# A two-point input law for exact expectations by enumeration: x = 0 w.p. 1/3, x = 3 w.p. 2/3 (mean 2).
LAW = [(Fraction(0), Fraction(1, 3)), (Fraction(3), Fraction(2, 3))]


def law_mean():
    return sum(v * p for v, p in LAW)


def run_average(xs, weight, mu0=Fraction(0)):
    """The process: mu_t = (1 - a_t) mu_{t-1} + a_t x_t with a_t = weight(t), exactly. Returns mu_0..mu_T."""
    mus = [Fraction(mu0)]
    for t, x in enumerate(xs, start=1):
        a = Fraction(weight(t))
        mus.append((1 - a) * mus[-1] + a * Fraction(x))
    return mus


def exact_outcomes(weight, T):
    """The law of mu_t for t = 0..T: ``[(probability, mu_t), ...]`` per t over every input sequence of length T
    under LAW (2^T paths), the update run on each; exact rationals. What a witness averages whatever the
    statement writes inside E(...) over (:func:`proofs.witness.expectation_values`)."""
    out = [[] for _ in range(T + 1)]
    for path in product(LAW, repeat=T):
        p = Fraction(1)
        for _, q in path:
            p *= q
        mus = run_average([v for v, _ in path], weight)
        for t in range(T + 1):
            out[t].append((p, mus[t]))
    return out


def exact_expectations(weight, T):
    """E mu_t for t = 0..T by enumerating every input sequence of length T under LAW (2^T paths) and running
    the update on each; exact rationals."""
    Em = [Fraction(0)] * (T + 1)
    for path in product(LAW, repeat=T):
        p = Fraction(1)
        for _, q in path:
            p *= q
        mus = run_average([v for v, _ in path], weight)
        for t in range(T + 1):
            Em[t] += p * mus[t]
    return Em


def _named(values: dict) -> dict:
    return {str(k): v for k, v in values.items()}


def on_sequences(rel, at: dict, seqs: dict):
    """The statement (a relation or a tuple of them) with the process's values put into the atoms it names
    (:func:`put_values` on each side), the relation operator kept as written."""
    rels = rel if isinstance(rel, tuple) else (rel,)
    out = tuple(type(r)(put_values(r.lhs, at, seqs), put_values(r.rhs, at, seqs), evaluate=False) for r in rels)
    return out if isinstance(rel, tuple) else out[0]


def put_values(expr, at: dict, seqs: dict):
    """``expr`` with the process's values put into the atoms it names: symbols and entries by name from ``at``
    (``{"t": 3, "N": 4, "Sigma[0, 1]": 1/2}`` or symbol keys); then finite sums are expanded; then every entry
    of a sequence named in ``seqs`` (``seqs[name]``: a list indexed from 0, or a function of the index) at the
    index the expression writes: ``name[k]`` (Indexed), ``name(k)`` (a function) or a plain symbol ``name_k`` /
    ``name_{t-1}``. So a
    statement that names another entry, a swapped sequence or a negated side is evaluated as written. An index
    outside the process raises."""
    names = _named(at)

    def entry(name, k):
        seq = seqs[name]
        if callable(seq):
            return _rat(seq(k))
        if not 0 <= k < len(seq):
            raise ValueError(f"the process has no entry {name}[{k}]")
        return _rat(seq[k])

    def plain(a):
        """A symbol written name_k, name_{t-1} (a derivation that writes entries as plain symbols)."""
        m = re.fullmatch(r"(.+?)_(?:\{([^{}]+)\}|([^{}_]+))", str(a))
        if m is None or m.group(1) not in seqs:
            return None
        try:
            k = sp.sympify(m.group(2) or m.group(3), locals={n: sp.Symbol(n) for n in names})
        except (sp.SympifyError, SyntaxError, TypeError):
            return None
        k = k.xreplace({sp.Symbol(n): _rat(v) for n, v in names.items()})
        return entry(m.group(1), int(k)) if k.is_Integer else None

    e = sp.sympify(expr)
    e = e.xreplace({a: _rat(names[str(a)]) for a in e.free_symbols | e.atoms(sp.Indexed) if str(a) in names})
    if e.has(sp.Sum, sp.Product, sp.Subs):
        e = e.doit()
    e = e.xreplace({a: v for a in e.free_symbols if isinstance(a, sp.Symbol) and (v := plain(a)) is not None})
    entries = {}
    for a in e.atoms(sp.Indexed):
        name = str(a.base.label)
        if name in seqs and len(a.indices) == 1 and a.indices[0].is_Integer:
            entries[a] = entry(name, int(a.indices[0]))
    for a in e.atoms(AppliedUndef):
        name = a.func.__name__
        if name in seqs and len(a.args) == 1 and a.args[0].is_Integer:
            entries[a] = entry(name, int(a.args[0]))
    return e.xreplace(entries)


def _rat(v):
    if isinstance(v, Fraction):
        return sp.Rational(v.numerator, v.denominator)
    return sp.sympify(v)


def limits_as_symbols(rel):
    """Each outermost ``Limit(...)`` of the statement replaced by a fresh symbol: (relation(s), {symbol: Limit}).
    A witness evaluates the limit's own body on the process and puts the extrapolated value in its place, so a
    change outside the limit (a negated side, another term) is still compared."""
    return nodes_as_symbols(rel, sp.Limit, "Lim")


def limit_estimates(w, relation, var: str, point, direction, samples, *, max_err: float = 1e-3, seqs=None,
                    formula: bool = False):
    """The statement's limits evaluated on the process: every outermost ``Limit(body, x, x0, dir)`` of
    ``relation`` must be the one the process approaches (x named ``var``, x0 == ``point``, the side
    ``direction`` ("+"/"-"; ignored for oo)); its own body is evaluated at each sample (``samples``: three
    ``{name: value}`` of the process along the approach, with step h, h/2, h/4 in 1/x or x - x0; entries of the
    sequences ``seqs`` as in :func:`put_values`) and extrapolated by two Richardson rounds. Returns (relation
    with the limits as symbols, {symbol: estimate}, {symbol: error}, problem) where problem is a sentence when
    the statement's limit is not the process's or its body does not settle (error above ``max_err``), else
    None. With ``formula=True`` (the body is a formula of the process's parameters, nothing measured) a limit in
    another variable or at another point is not a problem: its body is evaluated along that limit itself (the
    other values from the last sample)."""
    rel, limits = limits_as_symbols(relation)
    vals, errs = {}, {}
    for sym, lim in limits.items():
        body, x, x0, side = lim.args
        along = samples
        if str(x) != var or sp.sympify(x0) != sp.sympify(point) or (x0 != sp.oo and str(side) != direction):
            if not formula:
                return rel, vals, errs, (f"the statement's limit {lim} is not the limit the process approaches "
                                         f"({var} -> {point}{'' if point == sp.oo else direction})")
            if x0 in (sp.oo, -sp.oo):
                steps = [x0 / sp.oo * 100 * 2 ** j for j in range(3)]
            else:
                steps = [x0 + (1 if str(side) == "+" else -1) * sp.Rational(1, 100 * 2 ** j) for j in range(3)]
            along = [{**_named(samples[-1]), str(x): v} for v in steps]
        seq = []
        for at in along:
            v = put_values(body, at, seqs or {})
            if not v.is_number:
                raise ValueError(f"the process gives no value for {sorted(map(str, v.free_symbols))} in {body}")
            f = complex(sp.N(v, 30))
            if f.imag != 0 or not math.isfinite(f.real):
                return rel, vals, errs, f"the body {body} of {lim} is {v} along the approach"
            seq.append(f.real)
        r1a, r1b = 2 * seq[1] - seq[0], 2 * seq[2] - seq[1]
        est, err = (4 * r1b - r1a) / 3, abs((4 * r1b - r1a) / 3 - r1b)
        if not err <= max_err * max(1.0, abs(est)):
            return rel, vals, errs, (f"the body {body} of {lim} does not settle along the approach (values "
                                     + ", ".join(f"{v:.6g}" for v in seq) + ")")
        vals[sym], errs[sym] = est, err
    return rel, vals, errs, None


# ------------------------------------------------------------------------------------------------
# A Digression on Bias Correction
# ------------------------------------------------------------------------------------------------
@claim(id="bias_correction.first_mean",
       title=r"$\mathbb{E} \hat{\mu}_1 = \mu/N$",
       source=Source(SLIDES, DIGRESSION + ", 'For mu = E x'"),
       statement=r"For $\mu \doteq E x$ we have $E \hat{\mu}_1 = \mu/N$.")
def first_mean(d):
    N = d.symbol("N", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    s2 = d.symbol("sigma^2", positive=True)
    x1 = d.random.scalar("x_1", mean=mu, var=s2, real=True)
    m0, m1 = d.symbols("mu^_0 mu^_1", real=True)
    start = d.given(sp.Eq(m0, 0), why=r"$\hat{\mu}_0 = 0$", label="mu^_0 = 0")
    upd = d.given(sp.Eq(m1, (1 - 1 / N) * m0 + x1 / N), why="the update at $t = 1$", label="update")
    (d.chain(E(m1), using=[upd, start])
     .eq(E((1 - 1 / N) * 0 + x1 / N), rule=r"the update with $\hat{\mu}_0 = 0$")
     .eq(mu / N, rule=r"linearity, $\mathbb{E}\, x_1 = \mu$"))
    d.statement(sp.Eq(E(m1), mu / N))


def _expectation_witness(T_values, N=5):
    """The running average with N = 5 on every input sequence (law: 0 w.p. 1/3, 3 w.p. 2/3), exactly; the
    statement's E(...) averaged over those outcomes of mu^_t (whatever it writes inside E), compared at each t."""
    def witness(w):
        laws = exact_outcomes(lambda t: Fraction(1, N), max(T_values))
        at = {w.S.N: N, w.S.mu: law_mean()}
        obs = []
        for T in T_values:
            name = "mu^_t" if "t" in w.S else f"mu^_{T}"
            here = {**at, w.S.t: T} if "t" in w.S else at
            rel, vals = expectation_values(w.statement, [(p, {w.S[name]: m}) for p, m in laws[T]], at=here)
            obs.append(w.exact({**vals, **here}, relation=rel,
                               method=f"enumerate all 2^{max(T_values)} input sequences"))
        return obs if "t" in w.S else obs[0]
    return witness


first_mean.add_witness(_expectation_witness([1]), kind="exact", name="enumerate_inputs")


@claim(id="bias_correction.expected_running_average",
       title=r"$\mathbb{E} \hat{\mu}_t = (1 - (1 - \frac{1}{N})^t) \mu$",
       source=Source(SLIDES, DIGRESSION + ", 'For t << N' (the exact expression behind it)"),
       statement=r"$E \hat{\mu}_t = (1 - (1 - \frac{1}{N})^t) \mu$ (the exact value; the slide states $E "
                 r"\hat{\mu}_t \approx (t/N)\mu$ for $t \ll N$)",
       reading=r"iid inputs with mean $\mu$, $\hat{\mu}_0 = 0$, every $t \geq 0$ and $N > 1$ ($\rho = 1 - 1/N$ in "
               "$(0, 1)$)")
def expected_running_average(d):
    rho = d.symbol("rho", bounds=(0, 1))
    N = d.symbol("N", positive=True)
    d.define(N, 1 / (1 - rho), why=r"$\rho = 1 - 1/N$")
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    s2, v = d.symbols("sigma^2 v_{t-1}", positive=True)
    M = d.indexed("M", real=True)                   # M[t] = E mu^_t
    Mprev = d.symbol("M_{t-1}", real=True)
    xt = d.random.scalar("x_t", mean=mu, var=s2, real=True)
    mprev = d.random.scalar("mu^_{t-1}", mean=Mprev, var=v, real=True)
    m_t = d.symbol("mu^_t", real=True)
    r = 1 - 1 / N
    d.given(sp.Eq(M[0], 0), why=r"$\hat{\mu}_0 = 0$, so $\mathbb{E}\, \hat{\mu}_0 = 0$", label="M_0 = 0")
    prev = d.given(sp.Eq(Mprev, M[t - 1]), why=r"$M_{t-1} = \mathbb{E}\, \hat{\mu}_{t-1}$", label="def M_{t-1}")
    upd = d.given(sp.Eq(m_t, r * mprev + xt / N), why="the update", label="update")
    mean = d.given(sp.Eq(M[t], E(m_t)), why=r"$M_t = \mathbb{E}\, \hat{\mu}_t$", label="def M_t")
    with d.induction(sp.Eq(M[t], (1 - r ** t) * mu), on=t, base=1, label="E mu^_t by induction") as ind:
        (d.chain(M[t], using=[mean])
         .eq(E(m_t), rule=r"$M_t = \mathbb{E}\, \hat{\mu}_t$")
         .eq(E(r * mprev + xt / N), rule="the update", using=[upd])
         .eq(r * Mprev + mu / N, rule=r"linearity of $\mathbb{E}$; $\mathbb{E}\, \hat{\mu}_{t-1} = M_{t-1}$, "
                                      r"$\mathbb{E}\, x_t = \mu$")
         .eq(r * (1 - r ** (t - 1)) * mu + mu / N, rule="induction hypothesis", using=[prev, ind.hypothesis])
         .eq((1 - r ** t) * mu, rule="$(1 - 1/N) + 1/N = 1$", label="E mu^_t"))
    (d.chain(E(m_t))
     .eq(M[t], rule=r"$M_t = \mathbb{E}\, \hat{\mu}_t$", using=[mean])
     .eq((1 - r ** t) * mu, rule="by induction", using=[ind.fact]))
    d.statement(sp.Eq(E(m_t), (1 - r ** t) * mu))


expected_running_average.add_witness(_expectation_witness([1, 2, 5, 8]), kind="exact", name="enumerate_inputs")


@claim(id="bias_correction.early_bias",
       title=r"$\mathbb{E} \hat{\mu}_t \approx (t/N)\mu$ for $t \ll N$",
       source=Source(SLIDES, DIGRESSION + ", 'For t << N'"),
       statement=r"For $t \ll N$ we have $E \hat{\mu}_t \approx (t/N)\mu$.",
       reading=r"for fixed $t$ and $\mu \neq 0$: $\lim_{N \to \infty} N\,\mathbb{E}\,\hat{\mu}_t / (t \mu) = 1$, "
               r"with $\mathbb{E}\,\hat{\mu}_t = (1 - (1 - 1/N)^t) \mu$ (bias_correction.expected_running_average); "
               "the relative error is $(t - 1)/(2N) + O(1/N^2)$")
def early_bias(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True, nonzero=True)
    Em = d.symbol("E mu^_t", real=True)
    exact = d.given(sp.Eq(Em, (1 - (1 - 1 / N) ** t) * mu), why="bias_correction.expected_running_average",
                    label="E mu^_t")
    (d.chain(sp.Limit(N * Em / (t * mu), N, sp.oo), using=[exact])
     .eq(sp.Limit(N * (1 - (1 - 1 / N) ** t) / t, N, sp.oo), rule=r"the exact expectation; cancel $\mu$")
     .eq(1, rule=r"$N (1 - (1 - 1/N)^t) = t - \frac{t(t-1)}{2N} + \cdots \to t$"))
    d.statement(sp.Eq(sp.Limit(N * Em / (t * mu), N, sp.oo), 1))


@early_bias.witness("exact")
def _early_bias_ratio(w):
    """Exact E mu^_t (t = 3 and t = 5) by enumeration for N = 1000, 2000, 4000; the body of each limit the
    statement writes is evaluated there with the measured E mu^_t (whatever it writes), extrapolated to N -> oo
    (Richardson in 1/N), and the whole statement (both sides, with the extrapolated limits in place of the
    Limit nodes) compared; error bound from the two successive extrapolations."""
    rel, limits = limits_as_symbols(w.statement)
    method = "exact E mu^_t by enumeration, N = 1000, 2000, 4000; Richardson extrapolation"
    obs = []
    mu = law_mean()
    for t in (3, 5):
        vals, errs = {}, {}
        Em = {N: exact_expectations(lambda s, N=N: Fraction(1, N), t)[t] for N in (1000, 2000, 4000)}
        for sym, lim in limits.items():
            inner, var, to = lim.args[0], lim.args[1], lim.args[2]
            if var != w.S.N or to != sp.oo:
                return w.observe(False, f"the statement's limit is {lim}, not the N -> oo limit the process "
                                        "can approach", method=method)
            value = {}
            for N in (1000, 2000, 4000):
                v = w.value(inner, {w.S["E mu^_t"]: Em[N], w.S.N: N, w.S.t: t, w.S.mu: mu})
                if not v.is_number:
                    raise ValueError(f"the limit's expression {inner} names more than E mu^_t, N, t, mu")
                value[N] = v
            r1 = 2 * value[2000] - value[1000]
            r2 = 2 * value[4000] - value[2000]
            vals[sym], errs[sym] = float(r2), float(abs(r2 - r1))
        here = on_sequences(rel, {w.S.t: t, w.S.mu: mu}, {})
        left = set().union(*(r.free_symbols for r in (here if isinstance(here, tuple) else (here,)))) - set(vals)
        if left:
            return w.observe(False, f"outside the limits the statement still names {sorted(map(str, left))} "
                                    f"(N has gone to oo)", method=method)
        obs.append(w.close(vals, errs, relation=here, floor=1e-12, method=f"{method}, t = {t}", n=3))
    return obs


# ------------------------------------------------------------------------------------------------
# The 1/t update
# ------------------------------------------------------------------------------------------------
@claim(id="bias_correction.one_over_t_average",
       title=r"The $1/t$ update keeps $\hat{\mu}_t$ equal to the average of $x_1, \dots, x_t$",
       source=Source(SLIDES, ONE_OVER_T),
       statement=r"The following running average maintains the invariant that $\hat{\mu}_t$ is exactly the average "
                 r"of $x_1, \dots, x_t$: $\hat{\mu}_0 = 0$, $\hat{\mu}_t = \left(1 - \frac{1}{t}\right) "
                 r"\hat{\mu}_{t-1} + \left(\frac{1}{t}\right) x_t$",
       reading=r"$\hat{\mu}_t = S_t / t$ with $S_t = x_1 + \dots + x_t$, for every $t \geq 1$ (induction; $t = u + "
               r"1$ in the step so that the hypothesis at $t - 1 = u \geq 1$ divides by $u \neq 0$)")
def one_over_t_average(d):
    u = d.symbol("u", integer=True, nonnegative=True)
    mh, x, S = d.indexed("mu^", real=True), d.indexed("x", real=True), d.indexed("S", real=True)
    d.given(sp.Eq(mh[0], 0), why=r"$\hat{\mu}_0 = 0$", label="mu^_0 = 0")
    upd = d.given(sp.Eq(mh[u + 1], (1 - 1 / (u + 1)) * mh[u] + x[u + 1] / (u + 1)), why="the update at $t = u + 1$",
                  label="update", for_all=u)
    d.given(sp.Eq(S[0], 0), why="$S_0 = 0$ (the empty sum; $S_1 = x_1$)", label="def S_0")
    srec = d.given(sp.Eq(S[u + 1], S[u] + x[u + 1]), why="$S_{u+1} = S_u + x_{u+1}$ (definition of the partial sum)",
                   label="def S_{u+1}", for_all=u)
    d.note(r"The slide's 'but this fails to track a moving average for $t \gg N$' is qualitative: the newest input "
           r"gets weight $1/t \to 0$, every input the same weight; bias_correction.min_equals_average has the fix.")
    P = sp.Eq(mh[u + 1], S[u + 1] / (u + 1))
    # induction on u from u = 0 (t = 1: mu^_1 = x_1 = S_1); in the step u >= 1, so the hypothesis
    # mu^_u = S_u / u divides by u != 0
    with d.induction(P, on=u, base=0, label="the invariant by induction") as ind:
        (d.chain(mh[u + 1], using=[upd])
         .eq((1 - 1 / (u + 1)) * mh[u] + x[u + 1] / (u + 1), rule="the update")
         .eq((1 - 1 / (u + 1)) * S[u] / u + x[u + 1] / (u + 1), rule="induction hypothesis", using=[ind.hypothesis])
         .eq((S[u] + x[u + 1]) / (u + 1), rule=r"$\bigl(1 - \frac{1}{u+1}\bigr) / u = \frac{1}{u+1}$")
         .eq(S[u + 1] / (u + 1), rule="definition of $S_{u+1}$", using=[srec], label="invariant"))
    d.statement(P)


@one_over_t_average.witness("exact")
def _one_over_t_iterates(w):
    """Run the 1/t update exactly on random rational inputs; the statement at u = 1..29 (t = u + 1 = 2..30) with
    every entry it names (mu^[k], S[k], x[k]) given the process's value: the iterate, the partial sum of the
    inputs, the input."""
    xs = [Fraction(int(k), 3) for k in w.rng.integers(-30, 31, size=30)]
    mus = run_average(xs, lambda t: Fraction(1, t))
    seqs = {"mu^": mus, "S": [sum(xs[:k]) for k in range(len(xs) + 1)], "x": [Fraction(0)] + xs}
    for u in range(1, len(xs)):
        o = w.exact({sp.Symbol("u"): u}, relation=on_sequences(w.statement, {"u": u}, seqs))
        if not o.holds:
            return w.observe(False, f"fails at t = {u + 1}: {o.detail}", method="the 1/t update iterated exactly",
                             n=u + 1)
    return w.observe(True, f"the statement holds at t = 2..{len(xs)}",
                     method="the 1/t update iterated exactly", n=len(xs))


# ------------------------------------------------------------------------------------------------
# The min(N, t) update
# ------------------------------------------------------------------------------------------------
@claim(id="bias_correction.min_constant_input",
       title=r"Constant input $c$: the $\min(t, N)$ update gives $y_t = c$ for all $t \geq 1$",
       source=Source(SGD_PROBLEMS, "Problem 3 (Bias Correction), solution"),
       also=(Source(SGD_PROBLEMS_2, "Problem 2 (Bias Correction), solution"),),
       statement=r"$y_t = \left(1 - \frac{1}{\min(t, N)}\right) y_{t-1} + \frac{1}{\min(t, N)} x_t$; if $x_t = c$ "
                 r"for all $t \ge 1$: For t = 1 we get $y_1 = x_1 = c$. We then get that $y_{t+1}$ is a convex "
                 "combination of $y_t$ and $x_t$ which maintains the invariant that $y_t = c$.")
def min_constant_input(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    c = d.symbol("c", real=True)
    y = d.indexed("y", real=True)
    d.note("The handouts' solution says $y_{t+1}$ is a convex combination of $y_t$ and $x_t$; the update uses "
           "$x_{t+1}$. With $x_t = c$ for every $t$ the two are the same, so the argument stands.")
    d.note(r"$y_0$ is arbitrary: at $t = 1$ its weight is $1 - 1/\min(1, N) = 0$.")
    m = sp.Min(t, N)
    upd = d.given(sp.Eq(y[t], (1 - 1 / m) * y[t - 1] + c / m), why="the update at $t$ with $x_t = c$", label="update",
                  for_all=t)
    # base case t = 1: min(1, N) = 1, so y_1 = x_1 = c whatever y_0 is
    with d.induction(sp.Eq(y[t], c), on=t, base=1, label="the invariant by induction") as ind:
        (d.chain(y[t], using=[upd])
         .eq((1 - 1 / m) * y[t - 1] + c / m, rule="the update")
         .eq((1 - 1 / m) * c + c / m, rule="invariant at $t - 1$", using=[ind.hypothesis])
         .eq(c, rule="a convex combination of $c$ and $c$", label="invariant"))
    d.statement(sp.Eq(y[t], c))


@min_constant_input.witness("exact")
def _min_constant_iterates(w):
    """Run the min(t, N) update (N = 3) exactly on x_t = c = 7/2 from a non-zero y_0; the statement at t = 1..20
    with every entry y[k] it names given the iterate y_k."""
    N, c = 3, Fraction(7, 2)
    ys = run_average([c] * 20, lambda t: Fraction(1, min(t, N)), mu0=Fraction(-5))
    S = w.S
    for t in range(1, 20):
        at = {S.t: t, S.c: c, S.N: N}
        o = w.exact(at, relation=on_sequences(w.statement, at, {"y": ys}))
        if not o.holds:
            return w.observe(False, f"fails at t = {t}: {o.detail}", method="the update iterated exactly", n=t)
    return w.observe(True, "the statement holds at t = 1..19 (N = 3, c = 7/2, y_0 = -5)",
                     method="the update iterated exactly", n=20)


@claim(id="bias_correction.min_unbiased",
       title=r"The $\min(N, t)$ running average is unbiased for every $t \geq 1$",
       source=Source(SLIDES, MIN_N_T + ", 'avoids the initial bias toward zero'"),
       statement=r"$\hat{\mu}_t = \left(1 - \frac{1}{\min(N, t)}\right) \hat{\mu}_{t-1} + \left(\frac{1}{\min(N, "
                 r"t)}\right) x_t$ avoids the initial bias toward zero",
       reading=r"for iid $x_t$ with mean $\mu$: $\mathbb{E}\,\hat{\mu}_t = \mu$ for every $t \geq 1$ (induction)")
def min_unbiased(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    mu = d.symbol("mu", real=True)
    s2, v = d.symbols("sigma^2 v_{t-1}", positive=True)
    M = d.indexed("M", real=True)                   # M[t] = E mu^_t
    Mprev = d.symbol("M_{t-1}", real=True)
    xt = d.random.scalar("x_t", mean=mu, var=s2, real=True)
    mprev = d.random.scalar("mu^_{t-1}", mean=Mprev, var=v, real=True)
    mt = d.symbol("mu^_t", real=True)
    m = sp.Min(N, t)
    d.given(sp.Eq(M[0], 0), why=r"$\hat{\mu}_0 = 0$ (its weight at $t = 1$ is 0 anyway)", label="M_0 = 0")
    prev = d.given(sp.Eq(Mprev, M[t - 1]), why=r"$M_{t-1} = \mathbb{E}\, \hat{\mu}_{t-1}$", label="def M_{t-1}")
    upd = d.given(sp.Eq(mt, (1 - 1 / m) * mprev + xt / m), why="the update at $t$", label="update")
    mean = d.given(sp.Eq(M[t], E(mt)), why=r"$M_t = \mathbb{E}\, \hat{\mu}_t$", label="def M_t")
    # base case t = 1: min(N, 1) = 1, so mu^_1 = x_1 and E mu^_1 = mu
    with d.induction(sp.Eq(M[t], mu), on=t, base=1, label="E mu^_t = mu by induction") as ind:
        (d.chain(M[t], using=[mean])
         .eq(E(mt), rule=r"$M_t = \mathbb{E}\, \hat{\mu}_t$")
         .eq(E((1 - 1 / m) * mprev + xt / m), rule="the update", using=[upd])
         .eq((1 - 1 / m) * Mprev + mu / m, rule=r"linearity of $\mathbb{E}$")
         .eq((1 - 1 / m) * mu + mu / m, rule="induction hypothesis", using=[prev, ind.hypothesis])
         .eq(mu, rule="the weights sum to 1", label="unbiased"))
    (d.chain(E(mt))
     .eq(M[t], rule=r"$M_t = \mathbb{E}\, \hat{\mu}_t$", using=[mean])
     .eq(mu, rule="by induction", using=[ind.fact]))
    d.statement(sp.Eq(E(mt), mu))


@min_unbiased.witness("exact")
def _min_unbiased_enumeration(w):
    """The min(N, t) update (N = 3) on all 2^8 input sequences, exactly; the statement's E(...) averaged over the
    outcomes of mu^_t for t = 1..8."""
    N = 3
    laws = exact_outcomes(lambda t: Fraction(1, min(N, t)), 8)
    obs = []
    for t in range(1, 9):
        at = {w.S.mu: law_mean(), w.S.t: t}
        rel, vals = expectation_values(w.statement, [(p, {w.S["mu^_t"]: m}) for p, m in laws[t]], at=at)
        obs.append(w.exact({**vals, **at}, relation=rel, method="enumerate all 2^8 input sequences"))
    return obs


@claim(id="bias_correction.min_equals_average",
       title=r"The $\min(N, t)$ update is the $1/t$ update for $t \leq N$ and the $1/N$ running average for $t \geq "
             "N$",
       source=Source(SLIDES, MIN_N_T),
       statement=r"$\hat{\mu}_t = \left(1 - \frac{1}{\min(N, t)}\right) \hat{\mu}_{t-1} + \left(\frac{1}{\min(N, "
                 r"t)}\right) x_t$ avoids the initial bias toward zero while still tracking a moving average",
       reading=r"for $t \leq N$ ($N = t + k$, $k \geq 0$) the update is the $1/t$ update, so $\hat{\mu}_t$ is the "
               r"plain average of $x_1, \dots, x_t$ (bias_correction.one_over_t_average); for $t \geq N$ ($t = N + "
               "k$) it is the ordinary running average with weight $1/N$")
def min_equals_average(d):
    N = d.symbol("N", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    k = d.symbol("k", integer=True, nonnegative=True)
    mp, x = d.symbols("mu^_{t-1} x_t", real=True)

    def update(m):
        return (1 - 1 / m) * mp + x / m

    early = sp.Eq(update(sp.Min(t + k, t, evaluate=False)), update(t), evaluate=False)
    late = sp.Eq(update(sp.Min(N, N + k, evaluate=False)), update(N), evaluate=False)
    d.step((early, late), rule=r"$\min(t + k, t) = t$ and $\min(N, N + k) = N$", using=[], label="the two regimes")
    d.statement((early, late))


@min_equals_average.witness("exact")
def _min_vs_average(w):
    """Run the min(N, t) update (N = 5), the 1/t update and the 1/N running average exactly on the same random
    inputs: the statement's first relation at t <= N (updates evaluated at the min-average's own previous
    value), its second at t >= N; and the min-average equals the plain average for t <= N."""
    N = 5
    xs = [Fraction(int(v), 2) for v in w.rng.integers(-10, 11, size=15)]
    mins = run_average(xs, lambda t: Fraction(1, min(N, t)))
    S = w.S
    early, late = w.statement
    obs = []
    for t in range(1, len(xs) + 1):
        # one step of each update from the min-average's previous value, as the statement compares them
        vals = {S["mu^_{t-1}"]: mins[t - 1], S.x_t: xs[t - 1]}
        if t <= N:
            obs.append(w.exact({**vals, S.t: t, S.k: N - t}, relation=early, method="one step of each update"))
            obs.append(w.observe(mins[t] == sum(xs[:t]) / t, f"t = {t}: min-average {mins[t]} vs plain average "
                                 f"{sum(xs[:t]) / t}", method="the min(N, t) update iterated exactly"))
        if t >= N:
            obs.append(w.exact({**vals, S.N: N, S.k: t - N}, relation=late, method="one step of each update"))
    return obs
