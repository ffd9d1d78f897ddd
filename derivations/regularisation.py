"""SGD + L2 regularisation with momentum: momentum on the stochastic gradient only, and on it and the
regulariser's gradient, each as a recurrence in theta; whether momentum on the L2 gradient is plain
momentum SGD with another lambda (an erratum in (34), corrected, and the EWA form). Encodes Assignment 5
(SGD + L2, eqs. (25)-(34)) of the assignments (002); weight decay against early stopping is in
``early_stopping``.
"""
# SGD + L2 regularisation with momentum: is momentum on the regulariser's gradient a re-parametrisation?
#
# Source: Assignment 5 of the deep-learning assignments (eqs. (25)-(34)).
#
# Algorithm (25) applies heavy-ball momentum to the stochastic gradient only,
# algorithm (26) to the stochastic gradient *and* the regulariser's gradient.
# Both are reduced to a second-order recurrence in theta alone ((29), (32)) and
# the coefficients are matched ((33a-c)). The source's solution of (33a) for
# lambda', eq. (34), flips the sign of mu*alpha*lambda and arrives at
# lambda' = (mu + 1) lambda; the correct map is lambda' = (1 - mu) lambda,
# mu' = mu (1 - alpha lambda), alpha' = alpha.
#
# All updates act coordinate-wise and linearly, so the derivation is written for
# one coordinate (theta, v, g scalars); the witnesses run 2-dimensional optimisers.

from fractions import Fraction

import sympy as sp

from proofs import Source, claim

TOPIC = "regularisation"
DL_ASSIGNMENTS = "002_4657f5e75f199049.txt"


def _src(eqs: str) -> Source:
    return Source(DL_ASSIGNMENTS, f"Assignment 5 (SGD + L2), {eqs}")


# ------------------------------------------------------------------------------------------------
# shared pieces of the derivations
# ------------------------------------------------------------------------------------------------

def _symbols(d):
    th1, th0, thm = d.symbols("theta^{t+1} theta^t theta^{t-1}", real=True)
    v0, vm = d.symbols("v^t v^{t-1}", real=True)
    vp0, vpm = d.symbols("v'^t v'^{t-1}", real=True)
    g = d.symbol("g~^t", real=True)
    alpha = d.symbol("alpha", positive=True)
    mu = d.symbol("mu", bounds=(0, 1))
    lam = d.symbol("lambda", positive=True)
    return th1, th0, thm, v0, vm, vp0, vpm, g, alpha, mu, lam


def _primed(d):
    return d.symbols("alpha' mu' lambda'", real=True)


def derive_recurrence_25(d, S, *, flip_alpha_lambda=False):
    """Givens (25a,b), (27a,b) and the steps (28), (29). Returns the fact (29)."""
    th1, th0, thm, v0, vm, vp0, vpm, g, alpha, mu, lam = S
    f25a = d.given(sp.Eq(v0, mu * vm + g), label="(25a)", why="momentum (EWA) applied to the stochastic gradient only")
    f25b = d.given(sp.Eq(th1, th0 - alpha * (v0 + lam * th0)), label="(25b)",
                   why=r"update with the regulariser's gradient $\lambda \theta^t$ added outside the momentum")
    f27a = d.step(sp.Eq(th1, th0 - alpha * (v0 + lam * th0)), rule="(25b) at time $t$", using=f25b, label="(27a)")
    f27b = d.given(sp.Eq(th0, thm - alpha * (vm + lam * thm)), label="(27b)", why="(25b) one time step earlier")
    f28 = d.step(sp.Eq(th1 - mu * th0, th0 - mu * thm - alpha * (g + lam * th0 - mu * lam * thm)),
                 rule=r"multiply (27b) by $\mu$ and subtract it from (27a); (25a): $v^t - \mu v^{t-1} = \tilde{g}^t$",
                 using=[f27a, f27b, f25a], label="(28)", solve_for=th1)
    sign = 1 if flip_alpha_lambda else -1
    f29 = d.step(sp.Eq(th1, (1 + mu + sign * alpha * lam) * th0 - mu * (1 - alpha * lam) * thm - alpha * g),
                 rule="rearrange (28)", using=f28, label="(29)")
    return f29


def derive_recurrence_26(d, S, P, *, drop_theta_prev=False):
    """Givens (26a,b), (30a,b) and the steps (31), (32). Returns the fact (32)."""
    th1, th0, thm, v0, vm, vp0, vpm, g, alpha, mu, lam = S
    ap, mp, lp = P
    f26a = d.given(sp.Eq(vp0, mp * vpm + g + lp * th0), label="(26a)",
                   why="momentum applied to the stochastic gradient and the regulariser's gradient")
    d.note(r"(26a) as printed reads $\mu' v^{t-1}$; the momentum buffer of algorithm (26) is evidently meant, so it "
           r"is encoded as $\mu' {v'}^{t-1}$.")
    f26b = d.given(sp.Eq(th1, th0 - ap * vp0), label="(26b)")
    f30a = d.step(sp.Eq(th1, th0 - ap * vp0), rule="(26b) at time $t$", using=f26b, label="(30a)")
    f30b = d.given(sp.Eq(th0, thm - ap * vpm), label="(30b)", why="(26b) one time step earlier")
    f31 = d.step(sp.Eq(th1 - mp * th0, th0 - mp * thm - ap * (g + lp * th0)),
                 rule=r"multiply (30b) by $\mu'$ and subtract it from (30a); (26a): "
                      r"${v'}^t - \mu' {v'}^{t-1} = \tilde{g}^t + \lambda' \theta^t$",
                 using=[f30a, f30b, f26a], label="(31)", solve_for=th1)
    prev = 0 if drop_theta_prev else -mp * thm
    f32 = d.step(sp.Eq(th1, (1 + mp - ap * lp) * th0 + prev - ap * g),
                 rule="rearrange (31)", using=f31, label="(32)")
    return f32


def derive_matching(d, S, P, f29, f32, *, mu_prime=None):
    """(33a-c) by matching the coefficients of theta^t, theta^{t-1}, g~^t; then alpha' and mu' read off."""
    th1, th0, thm, v0, vm, vp0, vpm, g, alpha, mu, lam = S
    ap, mp, lp = P
    d.unknowns(ap, mp, lp)
    mu_prime = mu * (1 - alpha * lam) if mu_prime is None else mu_prime
    f33 = d.step([sp.Eq(1 + mp - ap * lp, 1 + mu - alpha * lam), sp.Eq(mp, mu_prime), sp.Eq(ap, alpha)],
                 rule="match coefficients", using=[f29, f32], wrt=[th0, thm, g], label="(33a-c)",
                 why=r"the two recurrences coincide for every $\theta^t$, $\theta^{t-1}$, $\tilde{g}^t$")
    fa = d.step(sp.Eq(ap, alpha), rule="read off (33c)", using=f33, label="alpha'")
    fm = d.step(sp.Eq(mp, mu_prime), rule="read off (33b)", using=f33, label="mu'")
    return f33, fa, fm


# ------------------------------------------------------------------------------------------------
# (29) and (32): the recurrences
# ------------------------------------------------------------------------------------------------

@claim(id="sgd_l2.recurrence_momentum_on_gradient",
       title=r"SGD + L2 with momentum on the stochastic gradient only, as a recurrence in $\theta$",
       source=_src("eqs. (25), (27)-(29)"), topic=TOPIC,
       statement=r"$\theta^{t+1} = (1 + \mu - \alpha\lambda)\theta^t - \mu(1 - \alpha\lambda)\theta^{t-1} - "
                 r"\alpha\tilde{g}^t$")
def recurrence_25(d):
    S = _symbols(d)
    f29 = derive_recurrence_25(d, S)
    d.statement(f29.relation)


@claim(id="sgd_l2.recurrence_momentum_on_both",
       title=r"SGD with momentum on the stochastic gradient and the L2 gradient, as a recurrence in $\theta$",
       source=_src("eqs. (26), (30)-(32)"), topic=TOPIC,
       statement=r"$\theta^{t+1} = (1 + \mu' - \alpha' \lambda')\theta^t - \mu' \theta^{t-1} - \alpha' \tilde{g}^t$")
def recurrence_26(d):
    S = _symbols(d)
    P = _primed(d)
    f32 = derive_recurrence_26(d, S, P)
    d.statement(f32.relation)


# ------------------------------------------------------------------------------------------------
# (33)-(34): the equivalence, as the source solves it, and corrected
# ------------------------------------------------------------------------------------------------

@claim(id="sgd_l2.momentum_equivalence",
       title=r"Momentum on the L2 gradient is SGD (25) with $\lambda' = (\mu + 1)\lambda$",
       source=_src("eqs. (33)-(34)"), topic=TOPIC, expected="refuted",
       statement=r"$\alpha' = \alpha$, $\mu' = \mu(1 - \alpha\lambda)$, $\lambda' = (\mu' - \mu + \alpha "
                 r"\lambda)/\alpha' = (\mu + \mu \alpha \lambda - \mu + \alpha \lambda)/\alpha = \mu \lambda + "
                 r"\lambda = (\mu + 1)\lambda$")
def momentum_equivalence(d):
    S = _symbols(d)
    th1, th0, thm, v0, vm, vp0, vpm, g, alpha, mu, lam = S
    P = ap, mp, lp = _primed(d)
    f29 = derive_recurrence_25(d, S)
    f32 = derive_recurrence_26(d, S, P)
    f33, fa, fm = derive_matching(d, S, P, f29, f32)
    ch = (d.chain(lp, using=f33)
          .eq((mp - mu + alpha * lam) / ap, rule=r"solve (33a) for $\lambda'$", label="(34), equality 1")
          .eq(sp.Mul(sp.Add(mu, mu * alpha * lam, -mu, alpha * lam, evaluate=False), 1 / alpha, evaluate=False),
              rule="insert (33b) and (33c)", label="(34), equality 2")
          .eq(mu * lam + lam, rule="cancel", label="(34), equality 3")
          .eq((mu + 1) * lam, rule="factor", label="(34), equality 4"))
    stmt = (sp.Eq(ap, alpha), sp.Eq(mp, mu * (1 - alpha * lam)), sp.Eq(lp, (mu + 1) * lam))
    d.step(stmt, rule="collect (33c), (33b) and (34)", using=[fa, fm, ch.fact])
    d.statement(stmt)


@claim(id="sgd_l2.momentum_equivalence.corrected",
       title=r"Momentum on the L2 gradient is SGD (25) with $\lambda' = (1 - \mu)\lambda$, $\mu' = \mu(1 - "
             r"\alpha\lambda)$",
       source=_src("eqs. (33)-(34), corrected"), topic=TOPIC, corrects="sgd_l2.momentum_equivalence",
       statement=r"$\alpha' = \alpha$, $\mu' = \mu(1 - \alpha\lambda)$, $\lambda' = (1 - \mu)\lambda$")
def momentum_equivalence_corrected(d):
    S = _symbols(d)
    th1, th0, thm, v0, vm, vp0, vpm, g, alpha, mu, lam = S
    P = ap, mp, lp = _primed(d)
    f29 = derive_recurrence_25(d, S)
    f32 = derive_recurrence_26(d, S, P)
    f33, fa, fm = derive_matching(d, S, P, f29, f32)
    d.note(r"(33b) gives $\mu' = \mu - \mu \alpha \lambda$; inserting it into "
           r"$\lambda' = (\mu' - \mu + \alpha \lambda)/\alpha'$ gives "
           r"$(\alpha \lambda - \mu \alpha \lambda)/\alpha$: the regulariser is *weakened* by the factor $1 - \mu$.")
    ch = (d.chain(lp, using=f33)
          .eq((mp - mu + alpha * lam) / ap, rule=r"solve (33a) for $\lambda'$", label="(34), equality 1")
          .eq(sp.Mul(sp.Add(mu, -mu * alpha * lam, -mu, alpha * lam, evaluate=False), 1 / alpha, evaluate=False),
              rule="insert (33b) and (33c)", label="(34), equality 2")
          .eq(lam - mu * lam, rule="cancel", label="(34), equality 3")
          .eq((1 - mu) * lam, rule="factor", label="(34), equality 4"))
    stmt = (sp.Eq(ap, alpha), sp.Eq(mp, mu * (1 - alpha * lam)), sp.Eq(lp, (1 - mu) * lam))
    d.step(stmt, rule="collect (33c), (33b) and (34)", using=[fa, fm, ch.fact])
    d.statement(stmt)


# ------------------------------------------------------------------------------------------------
# EWA form (closing remark of the source)
# ------------------------------------------------------------------------------------------------

@claim(id="sgd_l2.momentum_equivalence_ewa",
       title=r"In EWA form ($q$, $1 - q$) momentum on the L2 gradient is SGD (25) with the same $\lambda$",
       source=_src("closing remark after (34)"), topic=TOPIC,
       statement="If we used EWA form (with $q$ and $1-q$), the equivalence can be shown by the same method.",
       reading=r"$v^t = q v^{t-1} + (1-q) \tilde{g}^t$, $\theta^{t+1} = \theta^t - \alpha (v^t + \lambda \theta^t)$ "
               r"equals $v'^t = q' v'^{t-1} + (1-q')(\tilde{g}^t + \lambda' \theta^t)$, $\theta^{t+1} = \theta^t - "
               r"\alpha' v'^t$ with $q' = q (1 - \alpha \lambda)$, $\alpha' = \alpha (1 - q)/(1 - q')$, $\lambda' = "
               r"\lambda$")
def momentum_equivalence_ewa(d):
    th1, th0, thm, v0, vm, vp0, vpm, g, alpha, q, lam = _symbols_ewa(d)
    ap, qp, lp = d.symbols("alpha' q' lambda'", real=True)
    fa = d.given(sp.Eq(v0, q * vm + (1 - q) * g), label="(25a-EWA)")
    fb = d.given(sp.Eq(th1, th0 - alpha * (v0 + lam * th0)), label="(25b)")
    fc = d.given(sp.Eq(th0, thm - alpha * (vm + lam * thm)), label="(25b) at t-1")
    s1 = d.step(sp.Eq(th1 - q * th0, th0 - q * thm - alpha * ((1 - q) * g + lam * th0 - q * lam * thm)),
                rule=r"multiply (25b) at $t-1$ by $q$ and subtract; (25a-EWA): $v^t - q v^{t-1} = (1-q) \tilde{g}^t$",
                using=[fb, fc, fa], label="(28-EWA)", solve_for=th1)
    r1 = d.step(sp.Eq(th1, (1 + q - alpha * lam) * th0 - q * (1 - alpha * lam) * thm - alpha * (1 - q) * g),
                rule="rearrange", using=s1, label="(29-EWA)")
    ga = d.given(sp.Eq(vp0, qp * vpm + (1 - qp) * (g + lp * th0)), label="(26a-EWA)")
    gb = d.given(sp.Eq(th1, th0 - ap * vp0), label="(26b)")
    gc = d.given(sp.Eq(th0, thm - ap * vpm), label="(26b) at t-1")
    s2 = d.step(sp.Eq(th1 - qp * th0, th0 - qp * thm - ap * (1 - qp) * (g + lp * th0)),
                rule="multiply (26b) at $t-1$ by $q'$ and subtract; (26a-EWA)", using=[gb, gc, ga], label="(31-EWA)",
                solve_for=th1)
    r2 = d.step(sp.Eq(th1, (1 + qp - ap * (1 - qp) * lp) * th0 - qp * thm - ap * (1 - qp) * g),
                rule="rearrange", using=s2, label="(32-EWA)")
    d.unknowns(ap, qp, lp)
    d.note(r"Matching the coefficients of $\tilde{g}^t$, $\theta^{t-1}$, $\theta^t$ (in that order, each solved for "
           r"one new parameter) gives $q' = q (1 - \alpha \lambda)$, $\alpha' = \alpha (1-q)/(1-q')$ and "
           r"$\lambda' = \lambda$: in EWA form the regularisation strength is unchanged and the learning rate "
           "absorbs the change.")
    m = d.step([sp.Eq(qp, q * (1 - alpha * lam)), sp.Eq(ap, alpha * (1 - q) / (1 - qp)),
                sp.Eq(1 + qp - ap * (1 - qp) * lp, 1 + q - alpha * lam)],
               rule="match coefficients", using=[r1, r2], wrt=[th0, thm, g], label="(33-EWA)")
    stmt = (sp.Eq(qp, q * (1 - alpha * lam)), sp.Eq(ap, alpha * (1 - q) / (1 - q * (1 - alpha * lam))),
            sp.Eq(lp, lam))
    d.step(stmt, rule=r"solve (33-EWA) for $q'$, $\alpha'$, $\lambda'$", using=m)
    d.statement(stmt)


def _symbols_ewa(d):
    th1, th0, thm = d.symbols("theta^{t+1} theta^t theta^{t-1}", real=True)
    v0, vm = d.symbols("v^t v^{t-1}", real=True)
    vp0, vpm = d.symbols("v'^t v'^{t-1}", real=True)
    g = d.symbol("g~^t", real=True)
    alpha = d.symbol("alpha", positive=True)
    q = d.symbol("q", bounds=(0, 1))
    lam = d.symbol("lambda", positive=True)
    return th1, th0, thm, v0, vm, vp0, vpm, g, alpha, q, lam


# ------------------------------------------------------------------------------------------------
# witnesses: both optimisers, run exactly in rational arithmetic
# ------------------------------------------------------------------------------------------------

ALPHA, MU, LAM = Fraction(1, 10), Fraction(3, 5), Fraction(1, 5)
H = ((Fraction(2), Fraction(1, 2)), (Fraction(1, 2), Fraction(1)))       # loss 1/2 theta^T H theta
THETA0 = (Fraction(1), Fraction(-2))
STEPS = 30


def _noise(w, T=STEPS):
    """A fixed sequence of stochastic-gradient noise (rationals, from the witness's seeded stream)."""
    raw = w.rng.integers(-8, 9, size=(T + 1, 2))
    return [tuple(Fraction(int(a), 8) for a in row) for row in raw]


def _grad(theta, noise):
    """g~^t = H theta^t + noise_t (stochastic gradient of the quadratic loss)."""
    return tuple(H[i][0] * theta[0] + H[i][1] * theta[1] + noise[i] for i in range(2))


def run_momentum_on_gradient(alpha, mu, lam, noise, T=STEPS, theta0=THETA0, ewa=False):
    """Algorithm (25) (or its EWA form): returns theta^0..theta^T and g~^0..g~^{T-1}."""
    theta, v = list(theta0), [Fraction(0)] * 2
    thetas, grads = [tuple(theta)], []
    for t in range(T):
        gt = _grad(theta, noise[t])
        grads.append(gt)
        v = [mu * v[i] + ((1 - mu) * gt[i] if ewa else gt[i]) for i in range(2)]
        theta = [theta[i] - alpha * (v[i] + lam * theta[i]) for i in range(2)]
        thetas.append(tuple(theta))
    return thetas, grads


def run_momentum_on_both(alpha_p, mu_p, lam_p, noise, theta1, T=STEPS, theta0=THETA0, ewa=False):
    """Algorithm (26) (or its EWA form), started so that its first step lands on ``theta1``:
    v'^0 = (theta^0 - theta^1)/alpha'. Returns theta^0..theta^T."""
    thetas = [tuple(theta0), tuple(theta1)]
    vp = [(theta0[i] - theta1[i]) / alpha_p for i in range(2)]
    theta = list(theta1)
    for t in range(1, T):
        gt = _grad(theta, noise[t])
        if ewa:
            vp = [mu_p * vp[i] + (1 - mu_p) * (gt[i] + lam_p * theta[i]) for i in range(2)]
        else:
            vp = [mu_p * vp[i] + gt[i] + lam_p * theta[i] for i in range(2)]
        theta = [theta[i] - alpha_p * vp[i] for i in range(2)]
        thetas.append(tuple(theta))
    return thetas


def _frac(v):
    v = sp.nsimplify(v) if not isinstance(v, sp.Rational) else v
    if not v.is_Rational:
        raise ValueError(f"parameter map gives a non-rational value {v}")
    return Fraction(int(v.p), int(v.q))


def _parameter_map(w, names, at):
    """(lambda', mu', alpha') (or EWA names) from the claim's statement, evaluated at ``at``: every relation of the
    statement (both sides, as written) is solved for the primed parameters. Returns a list of solutions
    ({name: Fraction}); a value that is not rational is kept to 60 digits (as a Fraction of its binary value), so
    the run shows it does not reproduce (25). Raises ValueError if the statement does not determine them."""
    rels = w.statement if isinstance(w.statement, tuple) else (w.statement,)
    syms = [w.S[n] for n in names]
    pt = {k: sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else v for k, v in at.items()}
    eqs = [sp.Eq(sp.sympify(r.lhs).xreplace(pt), sp.sympify(r.rhs).xreplace(pt)) for r in rels]
    if any(e is sp.false for e in eqs):
        raise ValueError("a relation of the statement is false at the run's parameters")
    eqs = [e for e in eqs if e is not sp.true]
    sols = sp.solve(eqs, syms, dict=True)
    full = [s_ for s_ in sols if all(v in s_ and not s_[v].free_symbols for v in syms)]
    if not full:
        raise ValueError(f"the statement does not determine {', '.join(names)} (solutions: {sols})")
    out = []
    for s_ in full:
        vals = {}
        for n, v in zip(names, syms):
            x = s_[v]
            if x.is_Rational:
                vals[n] = Fraction(int(x.p), int(x.q))
            else:
                xv = sp.N(x, 60)
                if not xv.is_real:
                    raise ValueError(f"{n} = {x} is not real")
                vals[n] = Fraction(str(xv))
        out.append(vals)
    return out


def _compare(w, ref, other, what):
    gaps = [max(abs(a - b) for a, b in zip(x, y)) for x, y in zip(ref, other)]
    first = next((t for t, gp in enumerate(gaps) if gp != 0), None)
    n = len(ref) - 1
    if first is None:
        return w.observe(True, f"{what}: the two theta trajectories coincide exactly for t = 0..{n}",
                         method="both optimisers iterated exactly (fractions.Fraction) on a quadratic loss "
                                "with fixed stochastic-gradient noise", n=n)
    return w.observe(False, f"{what}: the trajectories first differ at t = {first} (max |gap| {float(gaps[first]):.3g}); "
                            f"max |gap| over t <= {n}: {float(max(gaps)):.3g}",
                     method="both optimisers iterated exactly (fractions.Fraction) on a quadratic loss "
                            "with fixed stochastic-gradient noise", n=n)


def _equivalence_runs(w, names, ewa):
    """Run (25) (or its EWA form) with (alpha, mu or q, lambda) and (26) with every solution of the claim's statement
    for the primed parameters, side by side."""
    S = w.S
    base = {S.alpha: ALPHA, S.q if ewa else S.mu: MU, S["lambda"]: LAM}
    method = "the statement solved for the primed parameters at the run's (alpha, mu, lambda)"
    try:
        pms = _parameter_map(w, names, base)
    except (ValueError, NotImplementedError) as exc:
        return w.observe(False, f"alpha={ALPHA}, {'q' if ewa else 'mu'}={MU}, lambda={LAM}: {exc}", method=method)
    noise = _noise(w)
    ref, _ = run_momentum_on_gradient(ALPHA, MU, LAM, noise, ewa=ewa)
    obs = []
    for pm in pms:
        claimed = ", ".join(f"{n}={pm[n]}" for n in names)
        try:
            other = run_momentum_on_both(pm[names[0]], pm[names[1]], pm[names[2]], noise, ref[1], ewa=ewa)
        except ZeroDivisionError:
            obs.append(w.observe(False, f"claimed {claimed}: (26) cannot be run with these parameters (division by "
                                        "zero), so it cannot reproduce (25)", method=method))
            continue
        obs.append(_compare(w, ref, other, f"alpha={ALPHA}, {'q' if ewa else 'mu'}={MU}, lambda={LAM}; claimed "
                                           f"{claimed}"))
    return obs


def equivalence_simulation(w):
    """Run (25) with (alpha, mu, lambda) and (26) with the claim's (alpha', mu', lambda') side by side; the primed
    parameters are what the statement's relations, as written, determine (each solution is run)."""
    return _equivalence_runs(w, ["alpha'", "mu'", "lambda'"], ewa=False)


def equivalence_simulation_ewa(w):
    """The EWA forms of (25) and (26) side by side, (alpha', q', lambda') from the statement as written."""
    return _equivalence_runs(w, ["alpha'", "q'", "lambda'"], ewa=True)


def _recurrence_on_trajectory(w, thetas, grads, params, what):
    """Check the claim's recurrence theta^{t+1} = ... on every coordinate of a simulated trajectory."""
    S = w.S
    rel = w.statement
    resid = sp.Add(rel.lhs, -rel.rhs)
    worst, first = Fraction(0), None
    checked = 0
    for t in range(1, len(thetas) - 1):
        for i in range(2):
            at = dict(params)
            at.update({S["theta^{t+1}"]: thetas[t + 1][i], S["theta^t"]: thetas[t][i],
                       S["theta^{t-1}"]: thetas[t - 1][i], S["g~^t"]: grads[t][i]})
            r = w.value(resid, at)
            if r.free_symbols:
                raise ValueError(f"the recurrence has symbols the optimiser does not give: {r.free_symbols}")
            checked += 1
            if r != 0:
                r = _frac(r)
                if first is None:
                    first = t
                worst = max(worst, abs(r))
    method = "optimiser iterated exactly (fractions.Fraction) on a quadratic loss with fixed gradient noise"
    if first is None:
        return w.observe(True, f"{what}: the recurrence holds exactly at all {checked} (t, coordinate) pairs, "
                               f"t = 1..{len(thetas) - 2}", method=method, n=checked)
    return w.observe(False, f"{what}: the recurrence fails first at t = {first}; max |lhs - rhs| = {float(worst):.3g}",
                     method=method, n=checked)


def recurrence_25_simulation(w):
    S = w.S
    noise = _noise(w)
    thetas, grads = run_momentum_on_gradient(ALPHA, MU, LAM, noise)
    return _recurrence_on_trajectory(w, thetas, grads, {S.alpha: ALPHA, S.mu: MU, S["lambda"]: LAM},
                                     f"algorithm (25) with alpha={ALPHA}, mu={MU}, lambda={LAM}")


def recurrence_26_simulation(w):
    S = w.S
    ap, mp, lp = Fraction(1, 8), Fraction(1, 2), Fraction(1, 3)
    noise = _noise(w)
    theta1 = (Fraction(3, 4), Fraction(-1))
    thetas = run_momentum_on_both(ap, mp, lp, noise, theta1)
    grads = [_grad(th, noise[t]) for t, th in enumerate(thetas)]
    return _recurrence_on_trajectory(w, thetas, grads, {S["alpha'"]: ap, S["mu'"]: mp, S["lambda'"]: lp},
                                     f"algorithm (26) with alpha'={ap}, mu'={mp}, lambda'={lp}")


recurrence_25.add_witness(recurrence_25_simulation, kind="exact")
recurrence_26.add_witness(recurrence_26_simulation, kind="exact")
momentum_equivalence.add_witness(equivalence_simulation, kind="exact")
momentum_equivalence_corrected.add_witness(equivalence_simulation, kind="exact")
momentum_equivalence_ewa.add_witness(equivalence_simulation_ewa, kind="exact")
