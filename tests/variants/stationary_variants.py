"""Wrong variants of the quadratic basin theorem (slides "Proof: Step 1", "Proof Step 2"),
written the way a user would: the model (Basin), Observation 1 and the definitions are the
catalog's; each variant writes the step it gets wrong and carries the error to the end.

Each must be refuted symbolically at the step named in ``BROKEN_STEP`` and flagged by the
catalog's witnesses (reused unchanged; they test each variant's own Step 1 line 4 and statement).
"""
import sympy as sp

from derivations.stationary import (SLIDES, Basin, _exact_stationary, _sgd_monte_carlo, observation1, step2)
from proofs import E, Source, claim

WITNESSES = [(_exact_stationary, "exact"), (_sgd_monte_carlo, "monte-carlo")]


def _step1(m, obs1, stat, *, eta2_sign=1, line3_coef=sp.Rational(1, 4)):
    """Step 1 as a user writes it, with the eta^2 sign and the line-3 coefficient as written."""
    d, eta = m.d, m.eta
    line2 = -2 * eta * m.cross() + eta2_sign * eta ** 2 * m.vnorm2
    l2 = (d.chain(E(line2))
          .eq(E(m.moved_norm2) - E(m.norm2), rule="expand the square", label="Step 1, line 2 (expansion)")
          .eq(0, rule="stationarity", using=[stat], label="Step 1, line 2"))
    l3 = (d.chain(E(m.quad_Hbar))
          .eq(E(m.quad_Hbar) + E(line2) / (4 * eta), rule="add line 2 / (4 eta)", using=[l2.fact],
              label="Step 1, line 3 (add line 2)")
          .eq(eta2_sign * line3_coef * eta * E(m.vnorm2), rule="E_i g_i = 0", label="Step 1, line 3"))
    return d.step(sp.Eq(m.L(eta), m.Lstar + eta2_sign * line3_coef * eta * E(m.vnorm2)),
                  rule="Observation 1 and line 3", using=[obs1, l3.fact], label="Step 1, line 4")


@claim(id="variant.stationary.eta2_sign_flipped", title="Step 1 with the eta^2 term's sign flipped, propagated",
       source=Source(SLIDES, "Proof: Step 1 (wrong variant)"), expected="refuted", witnesses=WITNESSES,
       statement="dL/deta at 0 = -(1/4) E_i ||g_i||^2")
def eta2_sign_flipped(d):
    m = Basin(d)
    obs1 = observation1(m, m.definitions())
    l4 = _step1(m, obs1, m.stationarity(), eta2_sign=-1)
    step2(m, obs1, l4, quarter=-sp.Rational(1, 4))
    d.statement((sp.Eq(m.L0, m.Lstar), sp.Eq(m.dL0, -m.G / 4)))


@claim(id="variant.stationary.half_not_quarter", title="Step 1 line 3 with eta/2 instead of eta/4: slope 1/2 E||g||^2",
       source=Source(SLIDES, "Proof: Step 1 (wrong variant)"), expected="refuted", witnesses=WITNESSES,
       statement="dL/deta at 0 = (1/2) E_i ||g_i||^2")
def half_not_quarter(d):
    m = Basin(d)
    obs1 = observation1(m, m.definitions())
    l4 = _step1(m, obs1, m.stationarity(), line3_coef=sp.Rational(1, 2))
    step2(m, obs1, l4, quarter=sp.Rational(1, 2))
    d.statement((sp.Eq(m.L0, m.Lstar), sp.Eq(m.dL0, m.G / 2)))


@claim(id="variant.stationary.obs1_drops_half", title="Observation 1 without the 1/2 of the quadratic form, propagated",
       source=Source(SLIDES, "Proof: Observation 1 (wrong variant)"), expected="refuted", witnesses=WITNESSES,
       statement="dL/deta at 0 = (1/2) E_i ||g_i||^2")
def obs1_drops_half(d):
    m = Basin(d)
    k, l, eta = m.k, m.l, m.eta
    full = m.sumkl(m.dp(k) * E(m.H(k, l)) * m.dp(l))            # DeltaPhi^T (E_i H_i) DeltaPhi, no 1/2
    obs1 = (d.chain(m.L(eta), using=[m.definitions()])
            .eq(E(m.Li) + E(m.sumk(E(m.g(k)) * m.dp(k))
                            + sp.Rational(1, 2) * m.sumkl(m.dp(k) * E(m.H(k, l)) * m.dp(l))),
                rule="linearity; E_i inside", label="Observation 1, line 2")
            .eq(m.Lstar + E(full), rule="E_i g_i = 0 (the 1/2 dropped)", label="Observation 1, line 3")).fact
    stat = m.stationarity()
    line2 = -2 * eta * m.cross() + eta ** 2 * m.vnorm2
    l2 = (d.chain(E(line2))
          .eq(E(m.moved_norm2) - E(m.norm2), rule="expand the square", label="Step 1, line 2 (expansion)")
          .eq(0, rule="stationarity", using=[stat], label="Step 1, line 2"))
    l3 = (d.chain(E(full))
          .eq(E(full) + E(line2) / (2 * eta), rule="add line 2 / (2 eta)", using=[l2.fact],
              label="Step 1, line 3 (add line 2)")
          .eq(eta / 2 * E(m.vnorm2), rule="E_i g_i = 0", label="Step 1, line 3"))
    l4 = d.step(sp.Eq(m.L(eta), m.Lstar + eta / 2 * E(m.vnorm2)), rule="Observation 1 and line 3",
                using=[obs1, l3.fact], label="Step 1, line 4")
    step2(m, obs1, l4, quarter=sp.Rational(1, 2))
    d.statement((sp.Eq(m.L0, m.Lstar), sp.Eq(m.dL0, m.G / 2)))


# 1-based index of the first wrong step (d.steps order; chains contribute one step per link)
BROKEN_STEP = {
    "variant.stationary.eta2_sign_flipped": 3,       # Step 1, line 2 (expansion)
    "variant.stationary.half_not_quarter": 6,        # Step 1, line 3
    "variant.stationary.obs1_drops_half": 2,         # Observation 1, line 3
}
BROKEN_LABEL = {
    "variant.stationary.eta2_sign_flipped": "Step 1, line 2 (expansion)",
    "variant.stationary.half_not_quarter": "Step 1, line 3",
    "variant.stationary.obs1_drops_half": "Observation 1, line 3",
}
VARIANTS = [eta2_sign_flipped, half_not_quarter, obs1_drops_half]
