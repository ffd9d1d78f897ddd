"""Learning-rate schedules, written as a new user would.

* Linear warmup eta_t = eta_max t / T (t = 1..T) spends a total learning rate of eta_max (T + 1) / 2
  (Goyal et al. 2017, gradual warmup; an arithmetic sum with a symbolic number of terms).
* Cosine annealing (Loshchilov & Hutter, SGDR, ICLR 2017, eq. (5)):
  eta_t = eta_min + (eta_max - eta_min)(1 + cos(pi t / T)) / 2 starts at eta_max, ends at eta_min, and is
  symmetric: eta_t + eta_{T-t} = eta_max + eta_min for every integer step 0 <= t <= T.

Witnesses run schedulers step by step (a warmup scheduler accumulating its rates exactly; PyTorch's
recursive "chainable" form of cosine annealing in floating point).
"""
import math
from fractions import Fraction

import sympy as sp

from proofs import Eq, Source, claim

GOYAL = Source("Goyal et al., Accurate, Large Minibatch SGD (2017)", "Sec. 2.2, gradual warmup")
SGDR = Source("Loshchilov & Hutter, SGDR (ICLR 2017)", "eq. (5), cosine annealing")
TOPIC = "user corpus: schedules"


class LinearWarmup:
    """A step-wise warmup scheduler: rate eta_max * step / T after each call of ``step()``."""

    def __init__(self, eta_max, T):
        self.eta_max, self.T, self.n = eta_max, T, 0

    def step(self):
        self.n += 1
        return self.eta_max * Fraction(self.n, self.T)


def _warmup_witness(w):
    """Run the warmup scheduler for T = 1..15 steps (eta_max = 3/10), add up the rates it hands out exactly."""
    S = w.S
    total = sp.Symbol("total_measured")
    rel = sp.Eq(total, w.statement.rhs)
    obs = []
    for T in range(1, 16):
        sched = LinearWarmup(Fraction(3, 10), T)
        spent = sum(sched.step() for _ in range(T))
        obs.append(w.exact({total: spent, S.T: T, S.eta_max: Fraction(3, 10)}, relation=rel))
    bad = [o for o in obs if not o.holds]
    return w.observe(not bad, bad[0].detail if bad else "holds for T = 1..15",
                     method="the warmup scheduler run for T steps, exact", n=15)


def _warmup(d, *, slip=False):
    T = d.symbol("T", integer=True, positive=True)
    t = d.symbol("t", integer=True, positive=True)
    eta_max = d.symbol("eta_max", positive=True)
    tri = T * (T - 1) / 2 if slip else T * (T + 1) / 2     # the slip: 1 + ... + T = T (T - 1) / 2
    rhs = eta_max * (T - 1) / 2 if slip else eta_max * (T + 1) / 2
    (d.chain(sp.Sum(eta_max * t / T, (t, 1, T)))
     .eq(eta_max / T * sp.Sum(t, (t, 1, T)), rule="constants out of the sum")
     .eq(eta_max / T * tri, rule="1 + 2 + ... + T", label="arithmetic sum")
     .eq(rhs, rule="cancel T"))
    d.statement(Eq(sp.Sum(eta_max * t / T, (t, 1, T)), rhs))


@claim(id="corpus.schedules.warmup_total", title="sum_{t=1}^T eta_max t / T = eta_max (T + 1) / 2", source=GOYAL,
       statement="a linear warmup over T steps spends a total learning rate of eta_max (T + 1) / 2",
       witnesses=[(_warmup_witness, "exact")])
def warmup_total(d):
    _warmup(d)


@claim(id="corpus.schedules.warmup_total.wrong_off_by_one", title="(wrong) 1 + ... + T = T (T - 1) / 2",
       source=GOYAL, expected="refuted", statement="total = eta_max (T - 1) / 2",
       witnesses=[(_warmup_witness, "exact")])
def warmup_total_wrong(d):
    _warmup(d, slip=True)


def cosine_chainable(eta_max, eta_min, T):
    """PyTorch's CosineAnnealingLR recursion (the 'chainable' form): each rate from the previous one."""
    rates = [eta_max]
    for t in range(1, T + 1):
        prev = rates[-1]
        rates.append(eta_min + (prev - eta_min) * (1 + math.cos(math.pi * t / T)) /
                     (1 + math.cos(math.pi * (t - 1) / T)))
    return rates


def _cosine_witness(w):
    """Run the recursive scheduler (eta_max = 0.1, eta_min = 0.001) for T = 7, 10, 16; the statement at every
    integer t (the sum of the rates handed out at steps t and T - t)."""
    S = w.S
    A, B = sp.Symbol("eta_at_t"), sp.Symbol("eta_at_T_minus_t")
    # the statement's left side is lr(t) + lr(T - t): the two rates the scheduler handed out at t and T - t
    obs = []
    for T in (7, 10, 16):
        rates = cosine_chainable(0.1, 0.001, T)
        for t in range(T + 1):
            rel = sp.Eq(A + B, w.statement.rhs)
            obs.append(w.close({A: rates[t], B: rates[T - t]}, {A: 1e-15, B: 1e-15},
                               at={S.eta_max: 0.1, S.eta_min: 0.001, S.T: T, S.t: t}, relation=rel, floor=1e-12,
                               method="PyTorch-style recursive cosine annealing", n=T + 1))
    return obs


def _cosine(d, *, slip=False):
    T = d.symbol("T", integer=True, positive=True)
    t = d.symbol("t", integer=True, bounds=(0, T), closed=True)
    eta_max, eta_min = d.symbols("eta_max eta_min", positive=True)
    d.assume(eta_min < eta_max, why="the schedule anneals down")

    def lr(s):
        return eta_min + (eta_max - eta_min) * (1 + sp.cos(sp.pi * s / T)) / 2
    c = sp.cos(sp.pi * t / T)
    flipped = c if slip else -c                          # the slip: cos(pi - x) = cos(x)
    rhs = eta_max + eta_min + (eta_max - eta_min) * c if slip else eta_max + eta_min
    (d.chain(lr(t) + lr(T - t))
     .eq(2 * eta_min + (eta_max - eta_min) * (2 + c + sp.cos(sp.pi - sp.pi * t / T)) / 2, rule="add the two rates")
     .eq(2 * eta_min + (eta_max - eta_min) * (2 + c + flipped) / 2, rule="cos(pi - x) = -cos(x)",
         label="cos(pi - x)")
     .eq(rhs, rule="collect"))
    d.statement(Eq(lr(t) + lr(T - t), rhs))


@claim(id="corpus.schedules.cosine_symmetry", title="cosine annealing: eta_t + eta_{T-t} = eta_max + eta_min",
       source=SGDR, statement="for integer 0 <= t <= T: eta_t + eta_{T-t} = eta_max + eta_min",
       witnesses=[(_cosine_witness, "simulation")])
def cosine_symmetry(d):
    _cosine(d)


@claim(id="corpus.schedules.cosine_symmetry.wrong_cos_identity", title="(wrong) cos(pi - x) = cos(x)", source=SGDR,
       expected="refuted", statement="eta_t + eta_{T-t} = eta_max + eta_min + (eta_max - eta_min) cos(pi t / T)",
       witnesses=[(_cosine_witness, "simulation")])
def cosine_symmetry_wrong(d):
    _cosine(d, slip=True)


def _endpoints_witness(w):
    """The recursive scheduler's first and last rates (T = 9, 20) against the statement's two relations."""
    S = w.S
    first, last = sp.Symbol("eta_first"), sp.Symbol("eta_last")
    r0, rT = w.statement
    obs = []
    for T in (9, 20):
        rates = cosine_chainable(0.1, 0.001, T)
        at = {S.eta_max: 0.1, S.eta_min: 0.001, S.T: T}
        obs.append(w.close({first: rates[0]}, {first: 1e-15}, at=at, relation=sp.Eq(first, r0.rhs), floor=1e-12))
        obs.append(w.close({last: rates[T]}, {last: 1e-15}, at=at, relation=sp.Eq(last, rT.rhs), floor=1e-12,
                           method="PyTorch-style recursive cosine annealing", n=T + 1))
    return obs


def _endpoints(d, *, slip=False):
    T = d.symbol("T", integer=True, positive=True)
    t = d.symbol("t", integer=True, nonnegative=True)
    eta_max, eta_min = d.symbols("eta_max eta_min", positive=True)
    lr = eta_min + (eta_max - eta_min) * (1 + sp.cos(sp.pi * t / T)) / 2
    end = eta_max if slip else eta_min                  # the slip: cos(pi) = 1
    d.chain(sp.Subs(lr, t, 0)).eq(eta_min + (eta_max - eta_min) * (1 + 1) / 2, rule="cos 0 = 1") \
        .eq(eta_max, rule="collect")
    d.chain(sp.Subs(lr, t, T)).eq(eta_min + (eta_max - eta_min) * (1 + (1 if slip else -1)) / 2,
                                         rule="cos(pi) = -1", label="cos(pi)") \
        .eq(end, rule="collect")
    d.statement((Eq(sp.Subs(lr, t, 0), eta_max), Eq(sp.Subs(lr, t, T), end)))


@claim(id="corpus.schedules.cosine_endpoints", title="cosine annealing starts at eta_max and ends at eta_min",
       source=SGDR, statement="eta_0 = eta_max and eta_T = eta_min", witnesses=[(_endpoints_witness, "simulation")])
def cosine_endpoints(d):
    _endpoints(d)


@claim(id="corpus.schedules.cosine_endpoints.wrong_cos_pi", title="(wrong) cos(pi) = 1: the schedule ends at eta_max",
       source=SGDR, expected="refuted", statement="eta_0 = eta_max and eta_T = eta_max",
       witnesses=[(_endpoints_witness, "simulation")])
def cosine_endpoints_wrong(d):
    _endpoints(d, slip=True)


def _warmup_peak_witness(w):
    """Run the warmup scheduler (eta_max = 3/10) for T = 1..12 and test the statement with every rate it hands out
    (the statement's left side, the rate at step t, replaced by the scheduler's rate)."""
    S = w.S
    rate = sp.Symbol("rate_measured")
    rel = w.statement.func(rate, w.statement.rhs)
    bad = []
    for T in range(1, 13):
        sched = LinearWarmup(Fraction(3, 10), T)
        for t in range(1, T + 1):
            r = sched.step()
            val = rel.xreplace({rate: sp.Rational(r.numerator, r.denominator), S.eta_max: sp.Rational(3, 10),
                                S.T: T, S.t: t})
            if val is not sp.true:
                bad.append((T, t, r))
    return w.observe(not bad, f"fails at (T, t, rate) = {bad[0]}" if bad else "holds at every step, T = 1..12",
                     method="the warmup scheduler, exact", n=78)


def _warmup_peak(d, *, slip=False):
    T = d.symbol("T", integer=True, positive=True)
    t = d.symbol("t", integer=True, bounds=(1, T), closed=True)
    eta_max = d.symbol("eta_max", positive=True)
    rate = eta_max * t / T
    if slip:                                         # the slip: "every warmup rate is at least 2 eta_max / T"
        d.step(rate >= 2 * eta_max / T, rule="t >= 2 during warmup", label="lower bound")
        d.statement(rate >= 2 * eta_max / T)
    else:
        d.step(rate <= eta_max, rule="t <= T", label="upper bound")
        d.statement(rate <= eta_max)


@claim(id="corpus.schedules.warmup_at_most_peak", title="warmup rate eta_max t / T <= eta_max for 1 <= t <= T",
       source=GOYAL, statement="during warmup (1 <= t <= T) the rate never exceeds eta_max",
       witnesses=[(_warmup_peak_witness, "exact")])
def warmup_at_most_peak(d):
    _warmup_peak(d)


@claim(id="corpus.schedules.warmup_at_most_peak.wrong_lower_bound",
       title="(wrong) every warmup rate is >= 2 eta_max / T", source=GOYAL, expected="refuted",
       statement="eta_max t / T >= 2 eta_max / T for 1 <= t <= T",
       witnesses=[(_warmup_peak_witness, "exact")])
def warmup_at_most_peak_wrong(d):
    _warmup_peak(d, slip=True)
