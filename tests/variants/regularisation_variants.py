"""Deliberately wrong copies of the SGD + L2 momentum derivations (Assignment 5), user-file style.

Each is refuted by the symbolic check at the step that was broken and flagged by the
catalog's exact simulation of the optimisers (which tests the variant's own statement).
"""
import sympy as sp

from derivations.regularisation import (_primed, _symbols, _symbols_ewa, derive_matching,
                                         derive_recurrence_25, derive_recurrence_26, equivalence_simulation,
                                         equivalence_simulation_ewa, recurrence_25_simulation,
                                         recurrence_26_simulation)
from proofs import Source, claim

SRC = Source("002_4657f5e75f199049.txt", "Assignment 5 (SGD + L2), wrong variant")


@claim(id="variant.sgd_l2.mu_prime_sign", title="(33b) with mu' = mu (1 + alpha lambda), propagated into (34)",
       source=SRC, expected="refuted", witnesses=[(equivalence_simulation, "exact")])
def mu_prime_sign(d):
    S = _symbols(d)
    th1, th0, thm, v0, vm, vp0, vpm, g, alpha, mu, lam = S
    P = ap, mp, lp = _primed(d)
    f29 = derive_recurrence_25(d, S)
    f32 = derive_recurrence_26(d, S, P)
    f33, fa, fm = derive_matching(d, S, P, f29, f32, mu_prime=mu * (1 + alpha * lam))   # broken: sign
    ch = (d.chain(lp, using=f33)
          .eq((mp - mu + alpha * lam) / ap, rule="solve (33a) for lambda'")
          .eq((mu + mu * alpha * lam - mu + alpha * lam) / alpha, rule="insert (33b) and (33c)")
          .eq((mu + 1) * lam, rule="cancel and factor"))
    stmt = (sp.Eq(ap, alpha), sp.Eq(mp, mu * (1 + alpha * lam)), sp.Eq(lp, (mu + 1) * lam))
    d.step(stmt, rule="collect", using=[fa, fm, ch.fact])
    d.statement(stmt)


@claim(id="variant.sgd_l2.recurrence_flipped_sign",
       title="(29) with the sign of alpha lambda flipped in the coefficient of theta^t",
       source=SRC, expected="refuted", witnesses=[(recurrence_25_simulation, "exact")])
def recurrence_flipped_sign(d):
    S = _symbols(d)
    f29 = derive_recurrence_25(d, S, flip_alpha_lambda=True)                                # broken: (29)
    d.statement(f29.relation)


@claim(id="variant.sgd_l2.recurrence_dropped_theta_prev",
       title="(32) with the theta^{t-1} term dropped", source=SRC, expected="refuted",
       witnesses=[(recurrence_26_simulation, "exact")])
def recurrence_dropped_theta_prev(d):
    S = _symbols(d)
    f32 = derive_recurrence_26(d, S, _primed(d), drop_theta_prev=True)                      # broken: (32)
    d.statement(f32.relation)


@claim(id="variant.sgd_l2.ewa_same_step_size",
       title="EWA form with alpha' = alpha (the step size assumed unchanged, as in the heavy-ball form)",
       source=SRC, expected="refuted", witnesses=[(equivalence_simulation_ewa, "exact")])
def ewa_same_step_size(d):
    th1, th0, thm, v0, vm, vp0, vpm, g, alpha, q, lam = _symbols_ewa(d)
    ap, qp, lp = d.symbols("alpha' q' lambda'", real=True)
    fa = d.given(sp.Eq(v0, q * vm + (1 - q) * g))
    fb = d.given(sp.Eq(th1, th0 - alpha * (v0 + lam * th0)))
    fc = d.given(sp.Eq(th0, thm - alpha * (vm + lam * thm)))
    s1 = d.step(sp.Eq(th1 - q * th0, th0 - q * thm - alpha * ((1 - q) * g + lam * th0 - q * lam * thm)),
                rule="multiply by q and subtract", using=[fb, fc, fa], label="(28-EWA)", solve_for=th1)
    r1 = d.step(sp.Eq(th1, (1 + q - alpha * lam) * th0 - q * (1 - alpha * lam) * thm - alpha * (1 - q) * g),
                rule="rearrange", using=s1, label="(29-EWA)")
    ga = d.given(sp.Eq(vp0, qp * vpm + (1 - qp) * (g + lp * th0)))
    gb = d.given(sp.Eq(th1, th0 - ap * vp0))
    gc = d.given(sp.Eq(th0, thm - ap * vpm))
    s2 = d.step(sp.Eq(th1 - qp * th0, th0 - qp * thm - ap * (1 - qp) * (g + lp * th0)),
                rule="multiply by q' and subtract", using=[gb, gc, ga], label="(31-EWA)", solve_for=th1)
    r2 = d.step(sp.Eq(th1, (1 + qp - ap * (1 - qp) * lp) * th0 - qp * thm - ap * (1 - qp) * g),
                rule="rearrange", using=s2, label="(32-EWA)")
    d.unknowns(ap, qp, lp)
    m = d.step([sp.Eq(qp, q * (1 - alpha * lam)), sp.Eq(ap, alpha),                        # broken: alpha' = alpha
                sp.Eq(1 + qp - ap * (1 - qp) * lp, 1 + q - alpha * lam)],
               rule="match coefficients", using=[r1, r2], wrt=[th0, thm, g], label="(33-EWA)")
    stmt = (sp.Eq(qp, q * (1 - alpha * lam)), sp.Eq(ap, alpha),
            sp.Eq(lp, lam * (1 - q) / (1 - q * (1 - alpha * lam))))
    d.step(stmt, rule="solve for q', alpha', lambda'", using=m)
    d.statement(stmt)
