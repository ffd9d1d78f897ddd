"""Gradient verification by finite differences: with Delta w = eps u, the forward difference's error
|Delta L - <J, Delta w>| is o(eps), the central difference's o(eps^2), and the central condition is the
easier one to check with limited numerical accuracy. Encodes Assignment 1 (Gradient Verification in Lab 2,
eqs. (1)-(11)) of the assignments (002); the gradients of particular layers are in ``backprop``.
"""
# Gradient verification by finite differences (Assignment 1, eqs. (1)-(11)).
#
# With Delta w = eps u (||u|| = 1, so ||Delta w|| = eps) and <J, Delta w> = eps <J, u>:
#
# * (a) forward difference Delta L = L(w + Delta w) - L(w):  |Delta L - <J, Delta w>| << eps;
# * (b) central difference Delta L = (L(w + Delta w) - L(w - Delta w))/2:  |...| << eps^2;
# * "this condition is easier to check with limited numerical accuracy".
#
# Precise readings (checked): "<< eps^p" is o(eps^p) (a limit 0 after dividing by eps^p), and, for a
# smooth L, the exact order: (Delta L - <J, Delta w>) / eps^2 -> <u, H u>/2 (forward) and
# / eps^3 -> c_3 (central, c_3 = third-order Taylor coefficient along u). The last sentence is read
# in the standard rounding-error model (each evaluation of L carries an absolute error up to delta):
# the best achievable errors of the derivative estimates are 2 sqrt(|<u,Hu>| delta) (forward) and
# 3 |c_3|^(1/3) (delta/2)^(2/3) (central), so the central one is smaller by a factor ~ delta^(1/6) -> 0.
#
# Representation of L along the line w + eps u: its Taylor polynomial with symbolic coefficients,
# L(w + eps u) = L(w) + eps <J,u> + eps^2 <u,Hu>/2 + eps^3 c_3 + eps^4 R_+, and the same along -u
# with the coefficients of the direction -u (J.(-u) = -J.u, (-u).H(-u) = u.Hu, c_3(-u) = -c_3(u),
# checked for all dimensions n with symbolic sums). The remainder coefficients R_+, R_- are symbols:
# the limits only use that they stay bounded as eps -> 0 (true for L four times differentiable; the
# source's own hypotheses, differentiable resp. twice differentiable, give o(eps) resp. o(eps^2) by the
# same steps with Peano remainders).

import numpy as np
import sympy as sp

from proofs import Source, claim

TOPIC = "numerics"
DL_ASSIGNMENTS = "002_4657f5e75f199049.txt"


def _src(part: str) -> Source:
    return Source(DL_ASSIGNMENTS, f"Assignment 1 (Gradient Verification in Lab 2), {part}")


class Line:
    """L along the line w + eps u: Taylor coefficients and the values the differences use."""

    def __init__(self, d):
        self.d = d
        self.eps = d.symbol("epsilon", positive=True)
        self.L0 = d.symbol("L(w)", real=True)
        self.Lp = d.symbol("L(w+Dw)", real=True)
        self.Lm = d.symbol("L(w-Dw)", real=True)
        self.Ju = d.symbol("<J,u>", real=True)
        self.Q = d.symbol("<u,Hu>", real=True)
        self.C = d.symbol("c_3", real=True)
        self.Rp, self.Rm = d.symbol("R_+", real=True), d.symbol("R_-", real=True)
        self.DL = d.symbol("DeltaL", real=True)

    def taylor_plus(self):
        e = self.eps
        return self.d.given(
            sp.Eq(self.Lp, self.L0 + e * self.Ju + e ** 2 * self.Q / 2 + e ** 3 * self.C + e ** 4 * self.Rp),
            label="Taylor, +u",
            why=r"$L$ smooth along $u$ ($\|u\| = 1$, $\Delta w = \epsilon u$): Taylor polynomial to order 3, "
                r"remainder $\epsilon^4 R_+$ with $R_+$ bounded as $\epsilon \to 0$")

    def limit(self, body, p=1):
        return sp.Limit(body / self.eps ** p, self.eps, 0, "+")


# ------------------------------------------------------------------------------------------------
# (a) forward difference: (3) -> (4) -> (5) -> (6)
# ------------------------------------------------------------------------------------------------

def forward_build(d, *, constant=sp.Rational(1, 2)):
    T = Line(d)
    e, Ju, DL = T.eps, T.Ju, T.DL
    d.define(DL, T.Lp - T.L0, label="Delta L", why=r"$\Delta L = L(w + \Delta w) - L(w)$, as in the assignment")
    tp = T.taylor_plus()
    d.step(sp.Eq(T.limit(T.Lp - T.L0 - e * Ju), 0), using=tp, label="(3)",
           rule=r"definition of the derivative: $L(w + \Delta w) = L(w) + J \Delta w + o(\|\Delta w\|)$")
    d.step(sp.Eq(T.limit(e * Ju - (T.Lp - T.L0)), 0), using=tp, label="(4)",
           rule=r"rearrange: $\langle J, \Delta w \rangle = L(w + \Delta w) - L(w) + o(\|\Delta w\|)$")
    d.step(sp.Eq(T.limit(sp.Abs(e * Ju - DL)), 0), using=tp, label="(5)",
           rule=r"$|\langle J, \Delta w \rangle - \Delta L| = o(\|\Delta w\|) = o(\epsilon)$")
    rels = (sp.Eq(T.limit(sp.Abs(e * Ju - DL)), 0), sp.Eq(T.limit(DL - e * Ju, 2), constant * T.Q))
    d.step(rels, using=tp, label="(6)", rule=r"$\ll \epsilon$: $o(\epsilon)$, and for smooth $L$ exactly of order "
                                             r"$\epsilon^2$")
    d.statement(rels)


@claim(id="gradcheck.forward_difference", title=r"Forward difference: $|\Delta \mathcal{L} - \langle J, \Delta w "
                                                r"\rangle| \ll \varepsilon$",
       source=_src("a), eqs. (1), (3)-(6)"), topic=TOPIC,
       statement=r"$\left|\Delta \mathcal{L} - \langle J, \Delta w \rangle\right| \ll \varepsilon$ for $\Delta "
                 r"\mathcal{L} = \mathcal{L}(w + \Delta w) - \mathcal{L}(w)$, $\|\Delta w\| = \varepsilon$",
       reading=r"$\lim_{\varepsilon \to 0^+} |\Delta \mathcal{L} - \langle J, \Delta w \rangle| / \varepsilon = 0$, "
               r"and for smooth $\mathcal{L}$, $\lim (\Delta \mathcal{L} - \langle J, \Delta w "
               r"\rangle)/\varepsilon^2 = \langle u, H u \rangle / 2$ (the error is $O(\varepsilon^2)$, no better "
               "in general)")
def forward_difference(d):
    forward_build(d)


# ------------------------------------------------------------------------------------------------
# (b) central difference: (7) -> (8) -> (9) -> (10) -> (11)
# ------------------------------------------------------------------------------------------------

def _direction_signs(d, T, *, q_sign=1):
    """The coefficients of L along -u from those along u, for every dimension n (symbolic sums)."""
    n = d.symbol("n", integer=True, positive=True)
    k, l, r = sp.symbols("k l r", integer=True, positive=True)
    d.sampler(lambda rnd: {n: rnd.choice((1, 2))})   # refutation points with small n: the triple sum stays cheap
    J, u, H, Tn = d.indexed("J"), d.indexed("u"), d.indexed("H"), d.indexed("T")
    Jv, Qv, Cv = d.symbol("<J,-u>", real=True), d.symbol("<-u,H(-u)>", real=True), d.symbol("c_3(-u)", real=True)

    def s1(f):
        return sp.Sum(f, (k, 1, n))

    def s2(f):
        return sp.Sum(sp.Sum(f, (l, 1, n)), (k, 1, n))

    def s3(f):
        return sp.Sum(sp.Sum(sp.Sum(f, (r, 1, n)), (l, 1, n)), (k, 1, n))

    def eq(a, b):
        return sp.Eq(a, b, evaluate=False)

    gJ = d.given((eq(Jv, s1(J[k] * (-u[k]))), eq(T.Ju, s1(J[k] * u[k]))), label="J Delta w",
                 why=r"$\langle J, v \rangle = \sum_k J_k v_k$")
    gQ = d.given((eq(Qv, s2(H[k, l] * (-u[k]) * (-u[l]))), eq(T.Q, s2(H[k, l] * u[k] * u[l]))),
                 label="<v, H v>", why=r"$\langle v, H v \rangle = \sum_{k,l} H_{kl} v_k v_l$")
    gC = d.given((eq(Cv, s3(Tn[k, l, r] * (-u[k]) * (-u[l]) * (-u[r])) / 6),
                  eq(T.C, s3(Tn[k, l, r] * u[k] * u[l] * u[r]) / 6)),
                 label="c_3(v)", why=r"$c_3(v) = \frac{1}{6} \sum_{k,l,r} T_{klr} v_k v_l v_r$, $T$ the third "
                                     "derivative")
    fJ = d.step(sp.Eq(Jv, -T.Ju), using=gJ, rule="linear in the displacement", label="<J, -Delta w>")
    fQ = d.step(sp.Eq(Qv, q_sign * T.Q), using=gQ, rule="the sign of the quadratic form has not changed",
                label="(8), quadratic form")
    fC = d.step(sp.Eq(Cv, -T.C), using=gC, rule="the cubic term changes sign", label="cubic term")
    e = T.eps
    tm = d.given(sp.Eq(T.Lm, T.L0 + e * Jv + e ** 2 * Qv / 2 + e ** 3 * Cv + e ** 4 * T.Rm), label="Taylor, -u",
                 why="the same expansion along the direction $-u$ (coefficients of $-u$), remainder "
                     r"$\epsilon^4 R_-$")
    return [tm, fJ, fQ, fC]


def central_build(d, *, q_sign=1):
    """The source's chain. ``q_sign = -1`` is the classic slip "the quadratic form changes sign with the
    displacement" (a wrong variant): the following lines are then what that slip leads to."""
    T = Line(d)
    e, Ju, DL, Q = T.eps, T.Ju, T.DL, T.Q
    d.define(DL, (T.Lp - T.Lm) / 2, label="Delta L (central)",
             why=r"$\Delta L = (L(w + \Delta w) - L(w - \Delta w))/2$, as in b)")
    minus = _direction_signs(d, T, q_sign=q_sign)
    quad = q_sign * Q                  # the quadratic coefficient used for the displacement -Delta w
    left = (Q - quad) / 2              # what survives of the quadratic terms in L(w + Dw) - L(w - Dw) (0)
    tp = T.taylor_plus()
    both = [tp] + minus
    d.step(sp.Eq(T.limit(T.Lp - T.L0 - e * Ju - e ** 2 * Q / 2, 2), 0), using=tp, label="(7)",
           rule=r"second-order Taylor expansion about $w$, remainder $o(\|\Delta w\|^2)$")
    d.step(sp.Eq(T.limit(T.Lm - T.L0 + e * Ju - e ** 2 * quad / 2, 2), 0), using=minus, label="(8)",
           rule=r"the expansion for the displacement $-\Delta w$")
    d.step(sp.Eq(T.limit(T.Lp - T.Lm - 2 * e * Ju - e ** 2 * left, 2), 0), using=both, label="(9)",
           rule="subtract (8) from (7)")
    d.step(sp.Eq(T.limit(e * Ju - DL + e ** 2 * left / 2, 2), 0), using=both, label="(10)",
           rule=r"rearrange, $\Delta L = (\cdot)/2$")
    if left == 0:
        rels = (sp.Eq(T.limit(sp.Abs(e * Ju - DL), 2), 0), sp.Eq(T.limit(DL - e * Ju, 3), T.C))
    else:
        rels = (sp.Eq(T.limit(DL - e * Ju, 2), left / 2),)
    d.step(rels, using=both, label="(11)", rule=r"$\ll \epsilon^2$: $o(\epsilon^2)$, and for smooth $L$ exactly of "
                                                r"order $\epsilon^3$")
    d.statement(rels)


@claim(id="gradcheck.central_difference", title=r"Central difference: $|\Delta \mathcal{L} - \langle J, \Delta w "
                                                r"\rangle| \ll \varepsilon^2$",
       source=_src("b), eqs. (2), (7)-(11)"), topic=TOPIC,
       statement=r"for $\Delta \mathcal{L} = \frac{1}{2}(\mathcal{L}(w + \Delta w) - \mathcal{L}(w - \Delta w))$: "
                 r"$\left|\Delta \mathcal{L} - \langle J, \Delta w \rangle\right| \ll \varepsilon^2$",
       reading=r"$\lim_{\varepsilon \to 0^+} |\Delta \mathcal{L} - \langle J, \Delta w \rangle| / \varepsilon^2 = "
               r"0$, and for smooth $\mathcal{L}$, $\lim (\Delta \mathcal{L} - \langle J, \Delta w "
               r"\rangle)/\varepsilon^3 = c_3$ ($c_3 = \frac{1}{6} \frac{d^3}{d\varepsilon^3} \mathcal{L}(w + "
               r"\varepsilon u)$ at 0): the error is $O(\varepsilon^3)$, no better in general")
def central_difference(d):
    central_build(d)


# ------------------------------------------------------------------------------------------------
# witnesses for (a), (b): a real loss, differences measured in float64
# ------------------------------------------------------------------------------------------------

class LogisticLoss:
    """L(w) = mean_i log(1 + exp(-y_i x_i.w)) on fixed random data; its derivatives along a direction u
    are known in closed form (softplus), which gives the Taylor coefficients the claims' limits name."""

    def __init__(self, rng, m=40, dim=6):
        self.X = rng.standard_normal((m, dim))
        self.y = np.where(rng.random(m) < 0.5, -1.0, 1.0)
        self.w = rng.standard_normal(dim)
        u = rng.standard_normal(dim)
        self.u = u / np.linalg.norm(u)

    def __call__(self, w, dtype=np.float64):
        X, y, w = self.X.astype(dtype), self.y.astype(dtype), np.asarray(w, dtype=dtype)
        return np.logaddexp(dtype(0), -y * (X @ w)).mean(dtype=dtype)

    def coefficients(self):
        """<J, u>, <u, H u> and c_3 along u at w (closed forms of softplus' derivatives)."""
        z = -self.y * (self.X @ self.w)
        c = -self.y * (self.X @ self.u)
        s = 1 / (1 + np.exp(-z))
        grad = ((s * -self.y)[:, None] * self.X).mean(axis=0)        # the gradient J
        return (float(grad @ self.u), float((s * (1 - s) * c ** 2).mean()),
                float((s * (1 - s) * (1 - 2 * s) * c ** 3).mean()) / 6)


class _MpLine:
    """The logistic loss of a :class:`LogisticLoss` along its line w + eps u, evaluated in mpmath at 60 digits
    (L(eps) = mean_i softplus(z_i + eps c_i)), with its Taylor coefficients <J,u>, <u,Hu>, c_3 in closed form
    (softplus' derivatives), at the same precision: the process the limits are taken on, without float64 rounding."""

    def __init__(self, loss):
        import mpmath
        self.mp = mpmath.mp.clone()
        self.mp.dps = 60
        mp = self.mp
        self.z = [mp.mpf(float(v)) for v in -loss.y * (loss.X @ loss.w)]
        self.c = [mp.mpf(float(v)) for v in -loss.y * (loss.X @ loss.u)]
        s = [1 / (1 + mp.exp(-zi)) for zi in self.z]
        n = len(self.z)
        self.Ju = mp.fsum(si * ci for si, ci in zip(s, self.c)) / n
        self.Q = mp.fsum(si * (1 - si) * ci ** 2 for si, ci in zip(s, self.c)) / n
        self.C = mp.fsum(si * (1 - si) * (1 - 2 * si) * ci ** 3 for si, ci in zip(s, self.c)) / n / 6

    def L(self, eps):
        mp = self.mp
        return mp.fsum(mp.log1p(mp.exp(zi + eps * ci)) for zi, ci in zip(self.z, self.c)) / len(self.z)


def _mpf(v, mp):
    return sp.Float(mp.nstr(v, 55), 55) if not isinstance(v, sp.Basic) else v


def _neville(hs, vals):
    """Polynomial extrapolation to h = 0 through the points (Neville); returns (value, error estimate: the change
    between the last two orders)."""
    n = len(hs)
    P = list(vals)
    prev = P[-1]
    best = P[-1]
    for k in range(1, n):
        for i in range(n - k):
            P[i] = (hs[i + k] * P[i] - hs[i] * P[i + 1]) / (hs[i + k] - hs[i])
        prev, best = best, P[0]
    return best, abs(best - prev)


def _limit_value(body_at, x0, direction, mp, mode="poly", hs=None):
    """The limit of a statement's own limit body as the variable approaches x0 from the side the statement writes,
    from the process's values along a sequence approaching x0. ``body_at(x)`` evaluates the body there.

    Returns (value, error, description); value is +-oo when the body diverges (|body| grows like a negative power
    of the distance: log-log slope < -1/2 over the last points). ``mode`` "poly": a finite limit is extrapolated
    with Neville's scheme (the body is smooth in the distance); "power": the distance is a scale (delta), a limit
    with positive log-log slope (> 0.05) is 0 (error: the last value), else the last value (error: last change)."""
    sign = -1 if str(direction) == "-" else 1
    if hs is None:
        hs = [mp.mpf(2) ** -k for k in range(6, 16)]
    vals = []
    for h in hs:
        v = body_at(x0 + sign * h)
        if v is None or not mp.isfinite(v):
            return (mp.inf, mp.mpf(0), "the body is not finite along the sequence")
        vals.append(v)
    tail = [(mp.log(h), mp.log(abs(v))) for h, v in zip(hs[-3:], vals[-3:]) if v != 0]
    slope = (tail[-1][1] - tail[0][1]) / (tail[-1][0] - tail[0][0]) if len(tail) >= 2 else mp.mpf(1)
    if slope < -0.5:
        return (mp.inf if vals[-1] > 0 else -mp.inf, mp.mpf(0), f"diverges (log-log slope {float(slope):.2f})")
    if mode == "power" and x0 == 0:
        if slope > 0.05:
            return (mp.mpf(0), abs(vals[-1]), f"-> 0 (log-log slope {float(slope):.3f}, last {mp.nstr(vals[-1], 4)})")
        if slope < -0.05:
            return (mp.inf if vals[-1] > 0 else -mp.inf, mp.mpf(0), f"diverges (log-log slope {float(slope):.3f})")
        return (vals[-1], abs(vals[-1] - vals[-2]), f"finite (log-log slope {float(slope):.3f})")
    v, err = _neville(hs[-7:], vals[-7:])
    return (v, err + abs(v) * mp.mpf(10) ** (-40), f"extrapolated {mp.nstr(v, 8)} +- {mp.nstr(err, 2)}")


def _evaluate_with_limits(w, rel, limit_value, outside, what, method):
    """Each Limit(...) of the relation becomes a symbol with the value ``limit_value(node)`` gives (value, error,
    description); the other atoms take ``outside``. A divergent limit makes the relation compare +-oo: it is decided
    as written. Otherwise w.close checks the relation with the limits' errors."""
    mp = None
    nodes = {}
    for node in sorted(sp.sympify(rel).atoms(sp.Limit), key=sp.default_sort_key):
        nodes[node] = sp.Symbol(f"Lim_{len(nodes) + 1}")
    vals, errs, descr, infinite = {}, {}, [], {}
    for node, sym in nodes.items():
        v, e, dsc, mp = limit_value(node)
        descr.append(f"{sp.sstr(node)[:70]}: {dsc}")
        if mp.isinf(v):
            infinite[sym] = sp.oo if v > 0 else -sp.oo
        else:
            vals[sym], errs[sym] = float(v), float(e)
    relx = rel.xreplace(nodes)
    if infinite or not nodes:
        lhs = sp.sympify(relx.lhs).xreplace({**infinite, **{s: sp.Float(v) for s, v in vals.items()}}).xreplace(outside)
        rhs = sp.sympify(relx.rhs).xreplace({**infinite, **{s: sp.Float(v) for s, v in vals.items()}}).xreplace(outside)
        try:
            holds = bool(type(rel)(lhs, rhs))
        except TypeError:
            holds = False
        return w.observe(holds, f"{what}: " + "; ".join(descr) + f"; {sp.sstr(rel)[:80]} reads {lhs} vs {rhs}",
                         method=method)
    o = w.close(vals, errs, at=outside, relation=relx, k=10, floor=1e-15, method=method)
    o.detail = f"{what}: " + "; ".join(descr) + "; " + o.detail
    return o


def difference_witness(w):
    """For every relation of the statement: each lim_{eps -> x0} body(eps) it writes is evaluated on the process,
    a logistic-regression loss along w + eps u evaluated in 60-digit arithmetic (L at w, w + eps u, w - eps u; Delta L
    from the claim's definition; <J,u>, <u,Hu>, c_3 its Taylor coefficients in closed form), along eps = x0 +- 2^-6
    .. 2^-15 from the side the statement writes, extrapolated to x0 (Neville; divergence when the body grows like a
    negative power), and the relation, both sides, is checked with those values (atoms outside a limit: eps = 3/10).
    The float64 convergence order of the derivative estimates (proofs.finite_diff.convergence_order) is reported."""
    from proofs.finite_diff import convergence_order
    S, rng = w.S, w.rng
    loss = LogisticLoss(rng)
    line = _MpLine(loss)
    mp = line.mp
    eps = S.epsilon
    defs = {f.relation.lhs: f.relation.rhs for f in w.d.definitions}
    coeffs = {S["<J,u>"]: line.Ju, S["<u,Hu>"]: line.Q, S.c_3: line.C}
    L0 = line.L(0)

    def atoms_at(e):
        e = mp.mpf(e)
        vals = {S["L(w)"]: L0, S["L(w+Dw)"]: line.L(e), S["L(w-Dw)"]: line.L(-e), eps: e}
        vals[S.DeltaL] = mp.mpf(str(sp.N(defs[S.DeltaL].xreplace({k: _mpf(v, mp) for k, v in vals.items()}), 55)))
        vals.update(coeffs)
        return vals

    def limit_value(node):
        body, var, x0, direction = node.args[0], node.args[1], node.args[2], node.args[3]
        if var != eps:
            return (mp.inf, mp.mpf(0), f"a limit in {var}, which the process does not vary", mp)

        def body_at(x):
            v = sp.N(body.xreplace({k: _mpf(val, mp) for k, val in atoms_at(x).items()}), 50)
            return mp.mpf(str(v)) if v.is_real and v.is_finite else None
        v, e, dsc = _limit_value(body_at, mp.mpf(str(sp.N(x0, 50))), direction, mp)
        return v, e, dsc, mp

    outside = {k: _mpf(v, mp) for k, v in atoms_at(mp.mpf(3) / 10).items()}
    obs = [_evaluate_with_limits(w, rel, limit_value, outside, f"relation {r + 1}",
                                 "60-digit finite differences of a logistic-regression loss")
           for r, rel in enumerate(w._relations())]
    Ju = loss.coefficients()[0]
    hs = 2.0 ** -np.arange(3, 9)
    fwd = convergence_order(lambda h: (loss(loss.w + h * loss.u) - loss(loss.w)) / h - Ju, hs)
    cen = convergence_order(lambda h: (loss(loss.w + h * loss.u) - loss(loss.w - h * loss.u)) / (2 * h) - Ju, hs)
    obs[0].detail += (f" | float64 convergence order of the derivative estimate: forward {fwd:.2f}, central {cen:.2f} "
                      f"(<J,u> = {mp.nstr(line.Ju, 6)}, <u,Hu> = {mp.nstr(line.Q, 6)}, c_3 = {mp.nstr(line.C, 6)})")
    _error_figure(w, loss, Ju, hs)
    return obs


def _error_figure(w, loss, Ju, tested):
    """Figure: the errors of the forward and central quotients on the witness's loss over eps = 1 .. 2^-30 (the
    truncation range the witness tests and the rounding floor below it), with reference slopes 1 and 2 fitted
    through the measured errors on the tested steps (slope fixed, intercept by least squares in log-log)."""
    hs = 2.0 ** -np.arange(0, 31)
    L0 = loss(loss.w)
    Lp = np.array([loss(loss.w + h * loss.u) for h in hs])
    Lm = np.array([loss(loss.w - h * loss.u) for h in hs])
    errors = {"forward": np.abs((Lp - L0) / hs - Ju), "central": np.abs((Lp - Lm) / (2 * hs) - Ju)}
    fig = w.figure("Error of the difference quotients on a logistic loss",
                   xlabel=r"step $\varepsilon = \Vert\Delta w\Vert$",
                   ylabel=r"$|\Delta L/\varepsilon - \langle J, u\rangle|$", xscale="log", yscale="log",
                   caption=r"Measured in float64 on this witness's logistic-regression loss: the error of the forward "
                           r"quotient $(L(w+\varepsilon u) - L(w))/\varepsilon$ and of the central quotient "
                           r"$(L(w+\varepsilon u) - L(w-\varepsilon u))/(2\varepsilon)$ against $\langle J, u\rangle$ "
                           r"from the analytic gradient, i.e. $|\Delta L - \langle J, \Delta w\rangle|/\varepsilon$. "
                           r"The witness tests $\varepsilon = 2^{-3}, \ldots, 2^{-8}$; the dashed reference lines of "
                           r"slope 1 and 2 are fitted through the measured errors there. For small steps the "
                           r"rounding error of $L$ (about $10^{-16}/\varepsilon$) takes over.")
    for name, err in errors.items():
        keep = err > 0                                   # an exact 0 (possible by rounding) has no place on a log axis
        fig.line(hs[keep], err[keep], label=f"{name} difference (measured)", style="points")
    ref = hs[hs >= 2.0 ** -16]
    for name, p in (("forward", 1), ("central", 2)):
        at = np.isin(hs, tested) & (errors[name] > 0)
        if at.any():
            c = np.exp(np.mean(np.log(errors[name][at]) - p * np.log(hs[at])))
            fig.line(ref, c * ref ** p, label=f"slope {p} (reference)", style="dashed")


forward_difference.add_witness(difference_witness, kind="finite-difference", name="logistic_loss")
central_difference.add_witness(difference_witness, kind="finite-difference", name="logistic_loss")


# ------------------------------------------------------------------------------------------------
# "Conclude that this condition is easier to check with limited numerical accuracy"
# ------------------------------------------------------------------------------------------------

def accuracy_build(d, *, central_exponent=sp.Rational(2, 3), limit=0):
    delta = d.symbol("delta", positive=True)
    eps = d.symbol("epsilon", positive=True)
    q2 = d.symbol("|<u,Hu>|", positive=True)
    c3 = d.symbol("|c_3|", positive=True)
    Mf, Mc = d.symbol("best error, forward", positive=True), d.symbol("best error, central", positive=True)
    d.note(r"Rounding model: every computed value of $L$ has absolute error at most $\delta$. The forward quotient "
           r"$\Delta L/\epsilon$ then errs by $|\langle u, Hu \rangle| \epsilon/2$ (truncation, from (6)) + "
           r"$2 \delta/\epsilon$ (rounding); the central one by $|c_3| \epsilon^2$ (from (11)) + $\delta/\epsilon$. "
           r"Each is convex in $\epsilon > 0$, so its stationary point is its minimum.")

    def err_f(e):
        return q2 * e / 2 + 2 * delta / e

    def err_c(e):
        return c3 * e ** 2 + delta / e

    ef = 2 * sp.sqrt(delta / q2)
    ec = (delta / (2 * c3)) ** sp.Rational(1, 3)
    best_f = 2 * sp.sqrt(q2 * delta)
    best_c = 3 * c3 ** sp.Rational(1, 3) * (delta / 2) ** central_exponent
    d.step(sp.Eq(sp.Subs(sp.Derivative(err_f(eps), eps), eps, ef), 0), using=[],
           rule="stationary point of the forward error", label="forward: best step")
    d.step(sp.Gt(sp.Derivative(err_f(eps), eps, 2), 0), using=[], rule="convex in "
                                                                       r"$\epsilon$", label="forward: convex")
    d.define(Mf, sp.Subs(err_f(eps), eps, ef), label="best forward error", why="the error at the best step")
    d.step(sp.Eq(Mf, best_f), using=[], rule="substitute", label="forward: best error")
    d.step(sp.Eq(sp.Subs(sp.Derivative(err_c(eps), eps), eps, ec), 0), using=[],
           rule="stationary point of the central error", label="central: best step")
    d.step(sp.Gt(sp.Derivative(err_c(eps), eps, 2), 0), using=[], rule="convex in "
                                                                       r"$\epsilon$", label="central: convex")
    d.define(Mc, sp.Subs(err_c(eps), eps, ec), label="best central error", why="the error at the best step")
    d.step(sp.Eq(Mc, best_c), using=[], rule="substitute", label="central: best error")
    (d.chain(sp.Limit(Mc / Mf, delta, 0, "+"), using=[])
     .eq(sp.Limit(best_c / best_f, delta, 0, "+"), rule="the two best errors", label="ratio")
     .eq(limit, rule=r"the ratio is a power of $\delta$", label="ratio -> 0"))
    rels = (sp.Eq(Mf, best_f), sp.Eq(Mc, best_c), sp.Eq(sp.Limit(Mc / Mf, delta, 0, "+"), limit))
    d.step(rels, using=[], rule="collect", label="conclusion: (2) is easier to check")
    d.statement(rels)


@claim(id="gradcheck.central_more_accurate",
       title="The central-difference condition is easier to check with limited numerical accuracy",
       source=_src("b), last sentence"), topic=TOPIC,
       statement=r"Conclude that this condition is easier to check with limited numerical accuracy",
       reading=r"with every evaluation of $\mathcal{L}$ accurate to $\delta$: the best achievable error of the "
               r"forward derivative estimate is $2 \sqrt{|\langle u, Hu \rangle| \delta}$, of the central one $3 "
               r"|c_3|^{1/3} (\delta/2)^{2/3}$; their ratio tends to 0 as $\delta \to 0$ (at float64: central about "
               "$10^{-11}$, forward about $10^{-8}$)")
def central_more_accurate(d):
    accuracy_build(d)


UNIT_ROUNDOFF = {np.float32: 2.0 ** -24, np.float64: 2.0 ** -53}
N_LOSSES = 16          # measured exponents have sd ~0.025 over seeds with 16 losses x 40 steps (tolerance 0.12)


def best_errors(loss, dtype, hs):
    """Minimum over the step grid of |estimate - <J, u>| for the forward and central quotients, L evaluated in
    ``dtype`` (the displaced points w +- h u are rounded to ``dtype`` too, as in practice)."""
    Ju = loss.coefficients()[0]
    w = loss.w.astype(dtype)
    L0 = float(loss(w, dtype))
    fwd, cen = [], []
    for h in hs:
        wp = (loss.w + h * loss.u).astype(dtype)
        wm = (loss.w - h * loss.u).astype(dtype)
        Lp, Lm = float(loss(wp, dtype)), float(loss(wm, dtype))
        fwd.append(abs((Lp - L0) / h - Ju))
        cen.append(abs((Lp - Lm) / (2 * h) - Ju))
    return min(fwd), min(cen)


def _exponent(expr, delta):
    """The power of delta in a monomial expression (coefficient * delta^p)."""
    coeff, p = sp.powsimp(sp.expand_power_base(expr, force=True), force=True).as_coeff_exponent(delta)
    if coeff.has(delta):
        raise ValueError(f"{expr} is not a monomial in {delta}")
    return float(p)


def accuracy_witness(w):
    """Measure the best achievable forward and central errors (minimum over 40 steps eps = 1e-13 .. 1) on
    logistic-regression losses evaluated in float32 and in float64 (median over 16 random losses and directions).
    The statement's delta-exponents are compared with log(best64/best32)/log(u64/u32) (u = unit roundoff; +-0.12),
    its limit of the ratio with the measured trend (limit 0: the ratio must shrink from float32 to float64, and
    at float64 the central error must be below the forward one)."""
    S, rng = w.S, w.rng
    delta = S.delta
    hs = np.logspace(-13, 0, 40)
    res = {np.float32: [], np.float64: []}
    for _ in range(N_LOSSES):
        loss = LogisticLoss(rng)
        for dt in res:
            res[dt].append(best_errors(loss, dt, hs))
    med = {dt: np.median(np.array(v), axis=0) for dt, v in res.items()}
    du = np.log(UNIT_ROUNDOFF[np.float64] / UNIT_ROUNDOFF[np.float32])
    measured = {"forward": np.log(med[np.float64][0] / med[np.float32][0]) / du,
                "central": np.log(med[np.float64][1] / med[np.float32][1]) / du}
    rels = w._relations()
    obs = []
    for col, (rel, which) in enumerate(zip(rels[:2], ("forward", "central"))):
        p = _exponent(rel.rhs, delta)
        ok = abs(measured[which] - p) <= 0.12
        obs.append(w.observe(ok, f"best {which} error ~ delta^{p:.3g} claimed, measured exponent "
                                 f"{measured[which]:.3f} (best error {med[np.float32][col]:.2g} at float32, "
                                 f"{med[np.float64][col]:.2g} at float64)",
                             method="float32 and float64 evaluations of logistic-regression losses", n=N_LOSSES))
    r32, r64 = med[np.float32][1] / med[np.float32][0], med[np.float64][1] / med[np.float64][0]
    lim = rels[2].rhs
    if lim == 0:
        ok, said = r64 < r32 and r64 < 1, "-> 0"
    elif lim == sp.oo:
        ok, said = r64 > r32, "-> oo"
    else:
        ok, said = abs(np.log(r64 / r32)) < 0.25 * abs(du) / 6, f"-> {lim}"
    obs.append(w.observe(ok, f"ratio central/forward of the best errors claimed {said}: measured {r32:.3g} at float32, "
                             f"{r64:.3g} at float64 (central {med[np.float64][1]:.2g} vs forward "
                             f"{med[np.float64][0]:.2g})", method="float32 and float64 evaluations", n=N_LOSSES))
    return obs


central_more_accurate.add_witness(accuracy_witness, kind="finite-difference", name="best_errors")


class _PolyLine:
    """A loss that is exactly a polynomial of degree 2 (least squares) or 3 (least squares + a cubic term) along
    every line, evaluated in mpmath at 60 digits: L(w) = mean_i (r_i^2/2 + kappa r_i^3/6), r_i = x_i.w - y_i.
    Along u (||u|| = 1): <J,u>, <u,Hu> and c_3 = (1/6) d^3/deps^3 L(w + eps u) in closed form."""

    def __init__(self, rng, kappa, mp, m=6, dim=4):
        self.mp = mp
        X = rng.standard_normal((m, dim))
        y = rng.standard_normal(m)
        w = rng.standard_normal(dim)
        u = rng.standard_normal(dim)
        u = u / np.linalg.norm(u)
        self.r0 = [mp.mpf(float(v)) for v in X @ w - y]
        self.a = [mp.mpf(float(v)) for v in X @ u]
        self.kappa = mp.mpf(kappa)
        n = mp.mpf(m)
        self.Ju = mp.fsum((r + self.kappa * r ** 2 / 2) * a for r, a in zip(self.r0, self.a)) / n
        self.Q = mp.fsum((1 + self.kappa * r) * a ** 2 for r, a in zip(self.r0, self.a)) / n
        self.C = self.kappa * mp.fsum(a ** 3 for a in self.a) / n / 6

    def L(self, eps):
        k = self.kappa
        return self.mp.fsum((r + eps * a) ** 2 / 2 + k * (r + eps * a) ** 3 / 6
                            for r, a in zip(self.r0, self.a)) / len(self.r0)


def _best_error(line, delta, central):
    """The best achievable error of the forward / central derivative estimate when every value of L carries an
    error of at most delta: the worst case over the rounding errors (they add up against the truncation error:
    |truncation| + 2 delta/eps, resp. + delta/eps), minimised over the step eps > 0 (golden-section search on
    log eps; the worst-case error is unimodal in eps). Returns (minimum, its error from the search)."""
    mp = line.mp
    L0 = line.L(0)

    def worst(le):
        e = mp.exp(le)
        if central:
            return abs((line.L(e) - line.L(-e)) / (2 * e) - line.Ju) + delta / e
        return abs((line.L(e) - L0) / e - line.Ju) + 2 * delta / e

    lo, hi = mp.log(delta) / 2 - 8, mp.log(delta) / 3 + 8      # contains both optimal steps, delta^(1/2), ^(1/3)
    g = (mp.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = worst(a), worst(b)
    for _ in range(70):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = worst(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = worst(b)
    best = min(fa, fb)
    return best, abs(fa - fb) + best * mp.mpf(10) ** -45


def accuracy_model_witness(w):
    """The rounding model the statement is about, run on losses whose restriction to the line is exactly the
    Taylor polynomial the model uses: every value of L carries an error of at most delta, the errors take their
    worst case, and the step is chosen best (golden-section search). A least-squares loss (exactly quadratic along
    the line) gives the best forward error, a loss with a cubic term (exactly cubic) the best central error;
    <u,Hu>, c_3 of the loss used. Every relation is evaluated as written: relations naming the best central error
    on the cubic loss, the others on the quadratic one, the atoms outside a limit at delta = 2^-20 and 3e-9 (two
    points), and a Limit(body, delta, x0) by evaluating the statement's own body on the process along delta -> x0
    from the side it writes (delta = 10^-10 .. 10^-30 for x0 = 0: the limit is 0 if |body| decays like a positive
    power of delta, infinite if it grows; else extrapolated)."""
    import mpmath
    S, rng = w.S, w.rng
    mp = mpmath.mp.clone()
    mp.dps = 50
    delta = S.delta
    Mf, Mc = S["best error, forward"], S["best error, central"]
    q2, c3 = S["|<u,Hu>|"], S["|c_3|"]

    def draw(kappa):
        while True:        # coefficients away from 1 and from each other (no degenerate test point)
            line = _PolyLine(rng, kappa, mp)
            q, c = abs(line.Q), abs(line.C)
            if abs(mp.log(q)) > 0.3 and (kappa == 0 or (abs(mp.log(c)) > 0.3 and abs(mp.log(q / c)) > 0.3)):
                return line
    quad = draw(0)
    cubic = draw(1.5)
    cache = {}

    def best(line, d, central):
        key = (id(line), d, central)
        if key not in cache:
            cache[key] = _best_error(line, d, central=central)
        return cache[key]

    def values(line, d, names):
        """The process's values of the atoms in ``names`` (only the best errors named are computed)."""
        vals, errs = {q2: abs(line.Q), c3: abs(line.C), delta: d}, {}
        for s, central in ((Mf, False), (Mc, True)):
            if s in names:
                vals[s], errs[s] = best(line, d, central)
        return vals, errs

    limits = {}

    obs = []
    for r, rel in enumerate(w._relations()):
        line = cubic if rel.has(Mc) else quad
        which = "cubic" if line is cubic else "quadratic"

        def limit_value(node, line=line):
            if (node, id(line)) not in limits:
                limits[node, id(line)] = limit_value_(node, line)
            return limits[node, id(line)]

        def limit_value_(node, line):
            body, var, x0, direction = node.args
            if var != delta:
                return (mp.inf, mp.mpf(0), f"a limit in {var}, which the process does not vary", mp)

            def body_at(d):
                vals, _ = values(line, d, body.free_symbols)
                v = sp.N(body.xreplace({k: sp.Float(mp.nstr(x, 55), 55) for k, x in vals.items()}), 50)
                return mp.mpf(str(v)) if v.is_real and v.is_finite else None
            x0 = mp.mpf(str(sp.N(x0, 50)))
            if x0 == 0:
                v, e, dsc = _limit_value(body_at, x0, direction, mp, mode="power",
                                         hs=[mp.mpf(10) ** -k for k in range(10, 31, 5)])
            else:
                v, e, dsc = _limit_value(body_at, x0, direction, mp, hs=[mp.mpf(2) ** -k for k in range(6, 14)])
            return v, e, dsc, mp

        for d in (mp.mpf(2) ** -20, mp.mpf("3e-9")):
            free = {s for s in rel.free_symbols}
            vals, errs = values(line, d, free)
            meas = {s: float(vals[s]) for s in (Mf, Mc) if s in free}
            at = {s: sp.Float(mp.nstr(vals[s], 55), 55) for s in (q2, c3, delta) if s in free}
            if meas and not rel.atoms(sp.Limit):
                resid = sp.N((sp.sympify(rel.lhs) - sp.sympify(rel.rhs)).xreplace(
                    {**at, **{s: sp.Float(mp.nstr(vals[s], 55), 55) for s in meas}}), 30)
                if not resid.is_real:          # e.g. (-2)^(1/3): a real best error cannot equal a non-real number
                    obs.append(w.observe(False, f"relation {r + 1} at delta = {mp.nstr(d, 4)}: the two sides differ "
                                                f"by the non-real {resid}", method="worst-case rounding model"))
                    continue
                o = w.close(meas, {s: float(errs[s]) + abs(meas[s]) * 2.0 ** -52 for s in meas}, at=at,
                            relation=rel, k=10, floor=1e-30,
                            method="worst-case rounding of delta on an exactly polynomial loss, best step")
                o.detail = (f"relation {r + 1} on the {which} loss at delta = {mp.nstr(d, 4)}: "
                            + ", ".join(f"{s} = {v:.10g}" for s, v in meas.items()) + "; " + o.detail)
                obs.append(o)
            else:
                vals, errs = values(line, d, free | {Mf, Mc} if free - {q2, c3, delta} else free)
                outside = {s: sp.Float(mp.nstr(vals[s], 55), 55) for s in vals}
                obs.append(_evaluate_with_limits(w, rel, limit_value, outside,
                                                 f"relation {r + 1} on the {which} loss at delta = {mp.nstr(d, 4)}",
                                                 "worst-case rounding of delta on an exactly polynomial loss"))
    return obs


central_more_accurate.add_witness(accuracy_model_witness, kind="finite-difference", name="rounding_model")
