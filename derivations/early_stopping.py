"""Weight decay and early stopping on the quadratic E = 1/2 beta_1 (w_1 - w_1*)^2 + 1/2 beta_2 (w_2 - w_2*)^2:
gradient descent in closed form, the fractions of the offsets left at early stopping, the L2-regularised
minimum (an erratum in its first line, corrected) and its limits, and why early stopping acts like weight
decay. Encodes Exercise 5 (a)-(d) of week 5 (004). Also holds the process helpers (``Process``,
``NotMeasured``, ``Undefined``) that ``gradient_flow``, ``sgd_basics`` and ``unitwise_rates`` import; L2
regularisation with momentum is in ``regularisation``.
"""
# Weight decay and early stopping on a quadratic basin (Gerstner, week 5, Exercise 5 (a)-(d)).
#
# E = 1/2 beta_1 (w_1 - w_1*)^2 + 1/2 beta_2 (w_2 - w_2*)^2 (15).
#
# (a) gradient descent with rate gamma: w_i(n) = w_i* + (1 - beta_i gamma)^n (w_i(0) - w_i*) (induction);
# (b) early stopping at n_stop = 1/(5 gamma beta_1) with beta_2 = 20 beta_1: the remaining fractions of the
#     initial offsets tend to exp(-1/5) and exp(-4) as gamma -> 0;
# (c) L2 regularisation: the minimum of E~ = E + lambda/2 sum w^2 is at w_i = beta_i w_i*/(lambda + beta_i)
#     (the source's first line drops the square on (w_i - w_i*): erratum, the result is right);
# (d) beta_2 >> lambda >> beta_1: w_1 -> 0, w_2 -> w_2*.

from fractions import Fraction

import sympy as sp

from proofs import claim, Eq, Source

TOPIC = "regularisation"
WEEK5 = "004_75a7c5df244e2fc1.txt"
R = sp.Rational
F = Fraction


def _src(part: str) -> Source:
    return Source(WEEK5, f"Exercise 5 (Weight decay and early stopping), solution {part}")


def gradient_descent(betas, wstar, w0, gamma, steps, lam=0):
    """Gradient descent on E (+ lambda/2 |w|^2): w_i <- w_i - gamma (beta_i (w_i - w_i*) + lambda w_i).
    Exact for Fraction inputs. Returns w(0..steps)."""
    ws = [tuple(w0)]
    for _ in range(steps):
        w = ws[-1]
        ws.append(tuple(w[i] - gamma * (betas[i] * (w[i] - wstar[i]) + lam * w[i]) for i in range(len(w))))
    return ws


# ------------------------------------------------------------------------------------------------
# Evaluating a statement as written on what a process produced (shared by the witnesses of this file and of
# gradient_flow, unitwise_rates, sgd_basics, regularisation)
# ------------------------------------------------------------------------------------------------
class NotMeasured(Exception):
    """The statement names something the process does not produce (or a point where it cannot run)."""


class Undefined(NotMeasured):
    """The statement's expression has no value at this point (0/0, 1/0; an inequality between non-real numbers):
    the point is skipped, as a point outside the expression's domain."""


DPS = 40


def _num(x):
    return sp.Float(x, DPS) if isinstance(x, float) else sp.sympify(x)


class Process:
    """What a witness measured, to be put into a statement as written.

    ``values``: {name: value} of the statement's symbols at the test point (parameters and measurements);
    ``quantities``: {name: f(env)} measurements that depend on other symbols (env: {name: value}), e.g. the
    minimiser of E~ as a function of beta_1, so that a ``Limit`` or ``Derivative`` in them re-runs the process;
    ``functions``: {name: f(env, *args)} for applied functions (iterates w_i(n), phi_1(t), ell(u, v));
    ``limits``: {name: (point, values(level))}: the sequence along which the process approaches the limit of that
    variable (level 0, 1, 2, ...: finer); a statement's Limit at another point is approached by a generic sequence
    and the quantities must be able to run there (else NotMeasured);
    ``steps``: {name: h} step of the central differences in that variable (default 1e-12 relative)."""

    def __init__(self, values=None, quantities=None, functions=None, limits=None, steps=None, order=1):
        self.values = {str(k): _num(v) for k, v in (values or {}).items()}
        self.quantities = {str(k): f for k, f in (quantities or {}).items()}
        self.functions = {str(k): f for k, f in (functions or {}).items()}
        self.limits = {str(k): v for k, v in (limits or {}).items()}
        self.steps = {str(k): v for k, v in (steps or {}).items()}
        self.order = order

    # -- evaluation -----------------------------------------------------------------------------------
    def ev(self, e, env, level=0):
        """The value of e (a SymPy expression of the statement) at env, as a 40-digit real number."""
        e = sp.sympify(e)
        if isinstance(e, sp.Symbol):
            name = str(e)
            if name in env:
                return env[name]
            if name in self.quantities:
                return self._real(self.quantities[name](env), e)
            raise NotMeasured(f"the process gives no value for {name}")
        if e.is_Number or isinstance(e, sp.NumberSymbol):
            return sp.Float(e, DPS) if e.is_finite else e
        if isinstance(e, sp.Limit):
            return self._limit(e, env, level)
        if isinstance(e, sp.Derivative):
            return self._derivative(e, env, level)
        if isinstance(e, sp.Subs):
            body, vs, pts = e.args
            new = dict(env)
            for v, p in zip(vs, pts):
                new[str(v)] = self.ev(p, env, level)
            return self.ev(body, new, level)
        if isinstance(e, sp.core.function.AppliedUndef):
            name = str(e.func)
            if name not in self.functions:
                raise NotMeasured(f"the process has no function {name}")
            args = [self.ev(a, env, level) for a in e.args]
            return self._real(self.functions[name](env, *args), e)
        if isinstance(e, sp.Indexed):
            name = str(e)
            if name in env:
                return env[name]
            base = str(e.base)
            if base in self.functions:
                args = [self.ev(a, env, level) for a in e.indices]
                return self._real(self.functions[base](env, *args), e)
            raise NotMeasured(f"the process gives no value for {e}")
        if isinstance(e, sp.core.relational.Relational):
            raise NotMeasured(f"a relation inside an expression: {e}")
        if isinstance(e, (sp.Sum, sp.Product)):
            body, *lims = e.args
            vals = []
            (v, lo, hi), rest = lims[0], lims[1:]
            lo, hi = self.ev(lo, env, level), self.ev(hi, env, level)
            lo_i, hi_i = int(round(float(lo))), int(round(float(hi)))
            inner = e.func(body, *rest) if rest else body
            for k in range(lo_i, hi_i + 1):
                vals.append(self.ev(inner, {**env, str(v): sp.Integer(k)}, level))
            out = sp.Add(*vals) if isinstance(e, sp.Sum) else sp.Mul(*vals)
            return self._real(out, e)
        if not e.args:
            raise NotMeasured(f"cannot evaluate {e}")
        args = [self.ev(a, env, level) for a in e.args]
        try:
            out = e.func(*args)
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise NotMeasured(f"{e} cannot be evaluated: {exc}")
        return self._real(out, e, allow_inf=True)

    @staticmethod
    def _real(v, e, allow_inf=False):
        """A finite number (complex values are kept: a limit or an equation may hold for them; an inequality
        treats a point where a side is not real as undefined). With allow_inf, an infinite intermediate value is
        passed on as SymPy's arithmetic does (1/(1 + zoo) = 0); a side that ends infinite is undefined."""
        v = sp.N(sp.sympify(v), DPS)
        if allow_inf and (v is sp.zoo or v in (sp.oo, -sp.oo)):
            return v
        if v.has(sp.nan, sp.zoo) or not v.is_number:
            raise Undefined(f"{e} is undefined at the process's values")
        if v in (sp.oo, -sp.oo):
            return v
        re, im = v.as_real_imag()
        if im == 0 or abs(im) <= 1e-30 * (1 + abs(re)):
            return sp.Float(re, DPS)
        return sp.Float(re, DPS) + sp.I * sp.Float(im, DPS)

    def _derivative(self, e, env, level):
        body, counts = e.expr, list(e.variable_count)
        if len(counts) != 1:
            var, k = counts[0]
            inner = sp.Derivative(body, *counts[1:])
            return self._derivative(sp.Derivative(inner, (var, k)), env, level)
        var, k = counts[0]
        name = str(var)
        if name not in env:
            raise NotMeasured(f"d/d{name}: the process has no value of {name} to differentiate at")
        x0 = env[name]
        h0 = sp.Float(self.steps.get(name, 1e-8 * (1 + abs(float(x0)))), DPS) / 2 ** level

        def f(x):
            return self.ev(body, {**env, name: x}, level)

        def central(h):
            if k == 1:
                return (f(x0 + h) - f(x0 - h)) / (2 * h)
            if k == 2:
                return (f(x0 + h) - 2 * f(x0) + f(x0 - h)) / h ** 2
            raise NotMeasured(f"derivative of order {k}")
        d1, d2 = central(h0), central(h0 / 2)
        return (4 * d2 - d1) / 3                                     # Richardson: error O(h^4)

    def _limit(self, e, env, level):
        """Evaluate the limit's expression along five points of the process's sequence (the ``limits`` entry of its
        variable if it approaches the same point, else 64 2^k -> oo or x0 +- 2^-k/64); the estimate is the finest
        three-round Richardson extrapolation (in the step, halving) or, if the values have settled faster than the
        extrapolations agree (e.g. exponentially), the finest value."""
        body, var, point, direction = e.args
        name = str(var)
        if name in self.limits and sp.sympify(self.limits[name][0]) == point:
            seq = self.limits[name][1]
            xs = [_num(x) for x in seq(level)] + [_num(x) for x in seq(level + 1)][-1:]
        elif point in (sp.oo, -sp.oo):
            xs = [sp.Integer(64 * 2 ** (k + level)) * (1 if point == sp.oo else -1) for k in range(5)]
        else:
            s = 1 if str(direction) in ("+", "+-") else -1
            xs = [point + s * sp.Rational(1, 64 * 2 ** (k + level)) for k in range(5)]
        vals = [self.ev(body, {**env, name: x}, level) for x in xs]
        if any(v is sp.zoo or v in (sp.oo, -sp.oo) for v in vals):
            raise NotMeasured(f"{e}: the expression diverges along the process's sequence")

        def richardson(v):
            table = [v]
            for r in range(1, len(v)):
                prev = table[-1]
                table.append([(2 ** r * prev[i + 1] - prev[i]) / (2 ** r - 1) for i in range(len(prev) - 1)])
            return table[-1][0]
        r0, r1 = richardson(vals[:4]), richardson(vals[1:])
        est = r1 if abs(r1 - r0) <= abs(vals[-1] - vals[-2]) else vals[-1]
        scale = 1 + abs(est)
        if abs(vals[-1] - vals[-2]) > 0.05 * scale + abs(vals[-2] - vals[-3]):
            raise NotMeasured(f"{e}: the process's values do not converge ("
                              + ", ".join(f"{float(v):.6g}" for v in vals) + ")")
        return est

    # -- the check --------------------------------------------------------------------------------------
    def judge(self, rel, *, at=None, k=10, rel_floor=1e-15, settle=1e-6):
        """(holds, text) for the relation rel as written (both sides, its own operator) at ``at`` (names ->
        values, added to ``values``): each side evaluated twice (finer derivative steps and limit sequences the
        second time); their change is the error bound, and must itself be small (a limit that has not settled
        is not a value)."""
        env = {**self.values, **{str(a): _num(v) for a, v in (at or {}).items()}}
        pts = ", ".join(f"{a}={_show(v)}" for a, v in (at or {}).items())
        where = f" at {pts}" if pts else ""
        if rel is sp.true or rel is True:
            return True, f"True{where}"
        if rel is sp.false or rel is False:
            return False, f"False{where}"
        try:
            l0, r0 = self.ev(rel.lhs, env, 0), self.ev(rel.rhs, env, 0)
            l1, r1 = self.ev(rel.lhs, env, 1), self.ev(rel.rhs, env, 1)
        except Undefined:
            raise
        except NotMeasured as exc:
            return False, f"{to_text_safe(rel)}{where}: {exc}"
        if any(v is sp.zoo for v in (l0, r0, l1, r1)):
            raise Undefined(f"{to_text_safe(rel)}{where}: a side is undefined (complex infinity)")
        inf = [v for v in (l0, r0, l1, r1) if v in (sp.oo, -sp.oo)]
        if inf:
            return False, f"{to_text_safe(rel)}{where}: a side is infinite"
        err = abs(l1 - l0) + abs(r1 - r0)
        scale = 1 + abs(l1) + abs(r1)
        if err > settle * scale:
            return False, (f"{to_text_safe(rel)}{where}: the sides did not settle with finer steps "
                           f"({_fv(l0)} -> {_fv(l1)}, {_fv(r0)} -> {_fv(r1)})")
        diff = l1 - r1
        op = type(rel)
        sym = {sp.Eq: "=", sp.Ne: "!=", sp.Le: "<=", sp.Lt: "<", sp.Ge: ">=", sp.Gt: ">"}.get(op)
        if sym is None:
            return False, f"{rel}: unknown relation"
        if op in (sp.Eq, sp.Ne):
            tol = k * err + rel_floor * scale
            ok = abs(diff) <= tol if op is sp.Eq else abs(diff) > tol
        else:
            if not (l1.is_real and r1.is_real):
                raise Undefined(f"{to_text_safe(rel)}{where}: a side is not real ({_fv(l1)}, {_fv(r1)})")
            tol = k * err + rel_floor * max(abs(l1), abs(r1))
            ok = {sp.Le: diff <= tol, sp.Lt: diff < -tol, sp.Ge: diff >= -tol, sp.Gt: diff > tol}[op]
        return bool(ok), (f"{to_text_safe(rel)}{where}: {_fv(l1)} {sym} {_fv(r1)} "
                          f"{'holds' if ok else 'fails'} (tolerance {float(tol):.2g})")

    def statement(self, w, *, points=({},), relation=None, method="", n=None, **kw):
        """One observation per relation of the statement (or ``relation``): it holds at every point of
        ``points`` ({name: value} added to ``values``)."""
        rels = w.statement if relation is None else relation
        rels = rels if isinstance(rels, tuple) else (rels,)
        obs = []
        for i, rel in enumerate(rels):
            res, skipped = [], []
            for pt in points:
                try:
                    res.append(self.judge(rel, at=pt, **kw))
                except Undefined as exc:
                    skipped.append(str(exc))
            head = f"relation {i + 1} of {len(rels)}: " if len(rels) > 1 else ""
            if not res:
                obs.append(w.observe(False, head + "undefined at every point: " + "; ".join(skipped[:2]),
                                     method=method, n=0))
                continue
            bad = [t for ok, t in res if not ok]
            if bad:
                detail = head + "fails: " + "; ".join(bad[:2]) + (f" (and {len(bad) - 2} more)" if len(bad) > 2 else "")
            else:
                detail = head + (f"holds at {len(res)} points; e.g. " if len(res) > 1 else "") + res[0][1]
            if skipped:
                detail += f" ({len(skipped)} points where it is undefined skipped, e.g. {skipped[0]})"
            obs.append(w.observe(not bad, detail, method=method, n=n if n is not None else len(res)))
        return obs


def _fv(v):
    """A value for a detail line (real or complex)."""
    if v.is_real:
        return f"{float(v):.12g}"
    re, im = v.as_real_imag()
    return f"{float(re):.12g}{float(im):+.12g}i"


def _show(v):
    return str(v) if not isinstance(v, float) else f"{v:.6g}"


def to_text_safe(rel):
    try:
        from proofs.latex import to_text
        return to_text(rel)
    except Exception:                                              # noqa: BLE001
        return str(rel)


# ------------------------------------------------------------------------------------------------
# (a)
# ------------------------------------------------------------------------------------------------
@claim(id="early_stopping.gd_closed_form",
       title=r"Gradient descent on the quadratic: $w_i(n) = w_i^* + (1 - \beta_i\gamma)^n(w_i(0) - w_i^*)$",
       source=_src("(a), eq. (16) and the induction"),
       statement=r"$-\frac{\partial E}{\partial w_i} = -\beta_i(w_i - w_i^*)$ (16). Root: $w_i(1) = w_i(0) - "
                 r"\gamma\beta_i(w_i(0) - w_i^*) = w_i^* + (1 - \gamma\beta_i)(w_i(0) - w_i^*)$. Induction: "
                 r"$w_i(n+1) = w_i(n) - \gamma\beta_i(w_i(n) - w_i^*) = w_i^* + (1 - \gamma\beta_i)^n(w_i(0) - "
                 r"w_i^*) - \gamma\beta_i(w_i^* + (1 - \gamma\beta_i)^n(w_i(0) - w_i^*) - w_i^*) = w_i^* + (1 - "
                 r"\gamma\beta_i)(1 - \gamma\beta_i)^n(w_i(0) - w_i^*) = w_i^* + (1 - \gamma\beta_i)^{n+1}(w_i(0) - "
                 "w_i^*)$",
       reading=r"each coordinate $i$ separately ($E$ is a sum over $i$); $n \geq 0$")
def gd_closed_form(d):
    beta, gamma = d.symbols("beta_i gamma", positive=True)
    w, ws = d.symbols("w_i w_i*", real=True)
    wf = sp.Function("w_i", real=True)          # the iterates w_i(n) (the weight variable w_i keeps d.S["w_i"])
    n = d.symbol("n", integer=True, nonnegative=True)
    w0 = wf(0)
    Ei = R(1, 2) * beta * (w - ws) ** 2
    g = d.chain(-sp.Derivative(Ei, w)).eq(-beta * (w - ws), rule="differentiate (15)", label="(16)")
    d.note("The gradient step is written with the derivative of $E$ evaluated at the current weight.")
    root_upd = d.given(Eq(wf(1), w0 - gamma * sp.Subs(sp.Derivative(Ei, w), w, w0)),
                       why="one gradient step from $w_i(0)$", label="step 0")
    root = (d.chain(wf(1), using=[root_upd])
            .eq(w0 - gamma * beta * (w0 - ws), rule="(16)", label="root, line 1")
            .eq(ws + (1 - gamma * beta) * (w0 - ws), rule="rearrange", label="root, line 2"))
    upd = d.given(Eq(wf(n + 1), wf(n) - gamma * sp.Subs(sp.Derivative(Ei, w), w, wf(n))),
                  why="gradient step from $w_i(n)$", label="step n")
    # P(n): w_i(n+1) = w_i* + (1 - gamma beta_i)^{n+1} (w_i(0) - w_i*) for every n >= 0: the base case n = 0 is the
    # root, and the hypothesis P(n - 1) is the source's w_i(n) = w_i* + (1 - gamma beta_i)^n (w_i(0) - w_i*)
    wn = ws + (1 - gamma * beta) ** n * (w0 - ws)
    P = Eq(wf(n + 1), ws + (1 - gamma * beta) ** (n + 1) * (w0 - ws))
    with d.induction(P, on=n, base=0, label="induction") as ind:
        (d.chain(wf(n + 1), using=[upd])
         .eq(wf(n) - gamma * beta * (wf(n) - ws), rule="(16)", label="induction, line 1")
         .eq(wn - gamma * beta * (wn - ws), rule="hypothesis", using=[ind.hypothesis], label="induction, line 2")
         .eq(ws + (1 - gamma * beta) * (1 - gamma * beta) ** n * (w0 - ws), rule="collect", label="induction, line 3")
         .eq(ws + (1 - gamma * beta) ** (n + 1) * (w0 - ws), rule="powers", label="induction, line 4"))
    stmt = (g.fact.relation, root.fact.relation, P)
    d.step(stmt, rule="collect", using=[g.fact, root.fact, ind.fact])
    d.statement(stmt)


def _iterate(beta, wstar, w0, gamma, k):
    """w_i(k) of gradient descent on 1/2 beta (w - w*)^2 from w0, run exactly (Fractions); for k < 0 the step is
    run backwards (it is invertible for gamma beta != 1), so the process has every integer index."""
    if k != int(k):
        raise NotMeasured(f"w_i({k}): the iterates have integer indices")
    k = int(k)
    w = w0
    for _ in range(abs(k)):
        w = w - gamma * beta * (w - wstar) if k > 0 else wstar + (w - wstar) / (1 - gamma * beta)
    return w


def _as_index(x):
    v = float(x)
    if abs(v - round(v)) > 1e-20:
        raise NotMeasured(f"w_i({v}): the iterates have integer indices")
    return round(v)


@gd_closed_form.witness("exact")
def _gd_run(w):
    """Gradient descent on (15) run exactly in both coordinates (beta = (3/2, 20), w* = (7/4, -2), w(0) = (3, 5),
    gamma = 1/50, and a second run with beta = (2/7, 9/4), w* = (-5/3, 1/2), w(0) = (-1/4, 13/3), gamma = 1/3); every
    relation of the statement is evaluated as written at n = 0..12 with the iterates w_i(k) the run produced (the
    step run backwards for k < 0), the weight variable w_i = 5/3 and the derivative of (16) by a Richardson central
    difference of the expression the statement differentiates."""
    runs = [((F(3, 2), F(20)), (F(7, 4), F(-2)), (F(3), F(5)), F(1, 50)),
            ((F(2, 7), F(9, 4)), (F(-5, 3), F(1, 2)), (F(-1, 4), F(13, 3)), F(1, 3))]
    obs = []
    for betas, wstar, w0, gamma in runs:
        for i in range(2):
            b, s_, z = betas[i], wstar[i], w0[i]

            def it(env, k, b=b, s_=s_, z=z):
                return _iterate(b, s_, z, gamma, _as_index(k))

            def named(shift, b=b, s_=s_, z=z):
                return lambda env: _iterate(b, s_, z, gamma, _as_index(env["n"]) + shift)
            proc = Process(values={"beta_i": b, "w_i*": s_, "gamma": gamma, "w_i": F(5, 3)},
                           functions={"w_i": it},
                           quantities={"w_i(0)": lambda env, z=z: z, "w_i(1)": lambda env, it=it: it(env, 1),
                                       "w_i(n)": named(0), "w_i(n+1)": named(1)})
            obs += proc.statement(w, points=[{"n": n} for n in range(13)],
                                  method=f"gradient descent run exactly, beta_i = {b}, w_i* = {s_}, w_i(0) = {z}, "
                                         f"gamma = {gamma}")
    return obs


# ------------------------------------------------------------------------------------------------
# (b)
# ------------------------------------------------------------------------------------------------
@claim(id="early_stopping.stopping_fractions",
       title=r"Early stopping at $n_{\text{stop}} = 1/(5\gamma\beta_1)$, $\beta_2 = 20\beta_1$: remaining fractions "
             r"$\exp(-1/5)$, $\exp(-4)$",
       source=_src("(b)"),
       statement=r"Using the hint with $(1 + x \cdot 5\gamma\beta_1)^{n_{\text{stop}}} = (1 - "
                 r"\beta_1\gamma)^{n_{\text{stop}}}$ and solving for $x$ we find $w_1(n_{\text{stop}}) \approx "
                 r"w_1^* + \exp(-1/5)(w_1(0) - w_1^*) \approx w_1(0)$ and $w_2(n_{\text{stop}}) \approx w_2^* + "
                 r"\exp(-4)(w_2(0) - w_2^*) \approx w_2^*$",
       reading=r"as $\gamma \to 0$ with $n_{\text{stop}} = 1/(5\gamma\beta_1)$: $(1 - "
               r"\beta_1\gamma)^{n_{\text{stop}}} \to \exp(-1/5) = 0.82$ and $(1 - \beta_2\gamma)^{n_{\text{stop}}} "
               r"\to \exp(-4) = 0.018$ ($\beta_2 = 20\beta_1$): $w_1$ has moved only 18% of the way to $w_1^*$ "
               r"('$\approx w_1(0)$'), $w_2$ all but 1.8% ('$\approx w_2^*$')")
def stopping_fractions(d):
    b1, gamma = d.symbols("beta_1 gamma", positive=True)
    b2 = d.symbol("beta_2", positive=True)
    x1, x2 = d.symbols("x_1 x_2", real=True)
    d.unknowns(x1, x2)
    ratio = d.given(Eq(b2, 20 * b1), why=r"$\beta_2 = 20 \beta_1$", label="beta_2")
    nstop = 1 / (5 * gamma * b1)
    h1 = d.given(Eq(1 + x1 * 5 * gamma * b1, 1 - b1 * gamma), why="the hint's form $(1 + x/n)^n$ for $i = 1$",
                 label="hint, i = 1")
    h2 = d.given(Eq(1 + x2 * 5 * gamma * b1, 1 - b2 * gamma), why="the hint's form for $i = 2$", label="hint, i = 2")
    s1 = d.step(Eq(x1, -R(1, 5)), rule="solve for $x$", using=[h1], label="x = -1/5")
    s2 = d.step(Eq(x2, -4), rule="solve for $x$", using=[h2, ratio], label="x = -4")
    l1 = d.chain(sp.Limit((1 - b1 * gamma) ** nstop, gamma, 0, "+")).eq(sp.exp(-R(1, 5)),
                                                                         rule=r"$(1 + x/n)^n \to \exp(x)$",
                                                                         label="i = 1")
    l2 = d.chain(sp.Limit((1 - b2 * gamma) ** nstop, gamma, 0, "+"), using=[ratio]).eq(
        sp.exp(-4), rule=r"$(1 + x/n)^n \to \exp(x)$", label="i = 2")
    stmt = (l1.fact.relation, l2.fact.relation)
    d.step(stmt, rule="collect", using=[l1.fact, l2.fact, ratio, s1, s2])
    d.statement(stmt)


def _gamma_sequence(beta_1, N0=50):
    """gamma = 1/(5 beta_1 N), N = N0 2^k: the step sizes at which n_stop = N is an integer (halving gamma)."""
    return lambda level: [F(1) / (5 * beta_1 * N0 * 2 ** (k + level)) for k in range(4)]


@stopping_fractions.witness("exact")
def _stopping_run(w):
    """The statement's limits as written, at beta_1 = 3/2 and 2/7 (beta_2 = 20 beta_1, its given): the expression under
    each limit evaluated along gamma = 1/(5 beta_1 N), N = 50 .. 800 (where n_stop = N), Richardson-extrapolated to
    gamma -> 0 and compared with its right side; and gradient descent on (15) run exactly with gamma = 1/(5N)
    (n_stop = N) for N = 50, 100, 200: the remaining fractions (w_i(n_stop) - w_i*)/(w_i(0) - w_i*) extrapolated to
    gamma -> 0 must equal the statement's right sides (what the limits are said to be)."""
    S = w.S
    obs = []
    for b1 in (F(3, 2), F(2, 7)):
        proc = Process(values={"beta_1": b1, "beta_2": 20 * b1}, limits={"gamma": (0, _gamma_sequence(b1))})
        obs += proc.statement(w, method=f"the statement's limits along gamma = 1/(5 beta_1 N), beta_1 = {b1}")
    fr = {0: [], 1: []}
    Ns = (50, 100, 200)
    for N in Ns:
        ws = gradient_descent((F(1), F(20)), (F(0), F(0)), (F(1), F(1)), F(1, 5 * N), N)
        for i in (0, 1):
            fr[i].append(float(ws[N][i]))
    for i in (0, 1):
        v = fr[i]
        e1, e2 = 2 * v[1] - v[0], 2 * v[2] - v[1]
        sym = sp.Symbol(f"fraction_{i + 1}")
        rhs = w.statement[i].rhs
        if rhs.free_symbols - {S.beta_1, S.beta_2}:
            obs.append(w.observe(False, f"the right side {rhs} names more than beta_1, beta_2",
                                 method="gradient descent run exactly"))
            continue
        target = w.value(rhs, {S.beta_1: 1, S.beta_2: 20})
        obs.append(w.close({sym: e2}, {sym: abs(e2 - e1) + 1e-12}, relation=sp.Eq(sym, target), k=3,
                           method=f"gradient descent run exactly, n_stop = N = {Ns}; fractions "
                                  + ", ".join(f"{x:.5f}" for x in v) + "; Richardson in 1/N", n=len(Ns)))
    return obs


# ------------------------------------------------------------------------------------------------
# (c)
# ------------------------------------------------------------------------------------------------
def _l2_symbols(d):
    b1, b2, lam = d.symbols("beta_1 beta_2 lambda", positive=True)
    w1, w2, s1, s2 = d.symbols("w_1 w_2 w_1* w_2*", real=True)
    Et, c = d.symbols("E~ c", real=True)
    return (b1, b2), lam, (w1, w2), (s1, s2), Et, c


def _sum2(f):
    """sum over the two coordinates i = 1, 2 of f(i)."""
    return sp.Add(f(0), f(1), evaluate=False)


def _l2_claim(d, first_line_square: bool):
    B, lam, W, Ws, Et, c = _l2_symbols(d)
    E = R(1, 2) * B[0] * (W[0] - Ws[0]) ** 2 + R(1, 2) * B[1] * (W[1] - Ws[1]) ** 2
    defE = d.given(Eq(Et, E + lam / 2 * (W[0] ** 2 + W[1] ** 2)),
                   why=r"$\tilde{E} = E + \frac{\lambda}{2} \sum_j w_j^2$ with $E$ from (15)",
                   label="E~")
    d.define(c, R(1, 2) * _sum2(lambda i: B[i] * lam * Ws[i] ** 2 / (B[i] + lam)),
             why="the constant left over by completing the square (it does not depend on $w$)")
    d.note(r"The source sums over $j$ with terms in $i$; read as $\sum_i$ over the two coordinates (written out). "
           r"The brackets of line 1 are read as $\frac{1}{2} \sum_i [\beta_i (\ldots) + \lambda w_i^2]$, as line 2 "
           "continues.")
    p = 2 if first_line_square else 1
    ch = (d.chain(Et, using=[defE])
          .eq(R(1, 2) * _sum2(lambda i: B[i] * (W[i] - Ws[i]) ** p + lam * W[i] ** 2), rule="insert (15)",
              label="line 1")
          .eq(R(1, 2) * _sum2(lambda i: (B[i] + lam) * W[i] ** 2 - 2 * B[i] * W[i] * Ws[i] + B[i] * Ws[i] ** 2),
              rule="expand the square", label="line 2")
          .eq(R(1, 2) * _sum2(lambda i: (B[i] + lam) * (W[i] ** 2 - 2 * B[i] / (B[i] + lam) * W[i] * Ws[i]
                                                       + B[i] / (B[i] + lam) * Ws[i] ** 2)),
              rule=r"factor out $\beta_i + \lambda$", label="line 3")
          .eq(R(1, 2) * _sum2(lambda i: (B[i] + lam) * (W[i] - B[i] / (B[i] + lam) * Ws[i]) ** 2) + c,
              rule="complete the square", label="line 4"))
    hat = [B[i] * Ws[i] / (lam + B[i]) for i in (0, 1)]
    stmt = tuple(Eq(sp.Subs(sp.Derivative(Et, W[i]), W[i], hat[i]), 0) for i in (0, 1)) + tuple(
        sp.Gt(sp.Derivative(Et, W[i], 2), 0) for i in (0, 1))
    d.step(stmt, rule=r"hence: a quadratic in each $w_i$ with curvature $\beta_i + \lambda > 0$ is minimal where "
                      "its derivative vanishes", using=[ch.fact], label="minimum")
    d.statement(stmt)


L2_READING = (r"$\tilde{E}$ is quadratic in each $w_i$ with curvature $\beta_i + \lambda > 0$, so it is minimal "
              r"exactly where $\frac{\partial \tilde{E}}{\partial w_i} = 0$; the statement: $\frac{\partial "
              r"\tilde{E}}{\partial w_i} = 0$ at $w_i = \beta_i w_i^*/(\lambda + \beta_i)$ and $\frac{\partial^2 "
              r"\tilde{E}}{\partial w_i^2} > 0$")


@claim(id="early_stopping.weight_decay_minimum",
       title=r"The L2-regularised minimum is at $w_i = \beta_i w_i^*/(\lambda + \beta_i)$ (first line as printed)",
       source=_src("(c)"), expected="refuted",
       statement=r"$\tilde{E} = \frac{1}{2} \sum_j \beta_i(w_i - w_i^*) + \lambda w_i^2 = \frac{1}{2} \sum_j "
                 r"(\beta_i + \lambda) w_i^2 - 2\beta_i w_i w_i^* + \beta_i (w_i^*)^2 = \frac{1}{2} \sum_j (\beta_i "
                 r"+ \lambda) \left( w_i^2 - 2 \frac{\beta_i}{\beta_i + \lambda} w_i w_i^* + \frac{\beta_i}{\beta_i "
                 r"+ \lambda} (w_i^*)^2 \right) = \frac{1}{2} \sum_j (\beta_i + \lambda) \left( w_i - "
                 r"\frac{\beta_i}{\beta_i + \lambda} w_i^* \right)^2 + c$. Hence, $\tilde{E}$ is minimized for $w_i "
                 r"= \frac{\beta_i}{\beta_i + \lambda} w_i^*$.",
       reading=L2_READING)
def weight_decay_minimum(d):
    _l2_claim(d, first_line_square=False)


@claim(id="early_stopping.weight_decay_minimum.corrected",
       title=r"The L2-regularised minimum is at $w_i = \beta_i w_i^*/(\lambda + \beta_i)$ (the square restored in "
             "line 1)",
       source=_src("(c), corrected"), corrects="early_stopping.weight_decay_minimum",
       statement=r"$\tilde{E} = \frac{1}{2} \sum_i [\beta_i(w_i - w_i^*)^2 + \lambda w_i^2] = \dots = \frac{1}{2} "
                 r"\sum_i (\beta_i + \lambda) \left( w_i - \frac{\beta_i}{\beta_i + \lambda} w_i^* \right)^2 + c$, "
                 r"so $\tilde{E}$ is minimized for $w_i = \beta_i w_i^*/(\lambda + \beta_i)$",
       reading=L2_READING)
def weight_decay_minimum_corrected(d):
    _l2_claim(d, first_line_square=True)


def _E_tilde(env):
    """E~ of the process: E of (15) plus lambda/2 |w|^2, from its definition, at the env's weights and parameters."""
    g = env.get
    return sum(g(f"beta_{i}") / 2 * (g(f"w_{i}") - g(f"w_{i}*")) ** 2 + g("lambda") / 2 * g(f"w_{i}") ** 2
               for i in (1, 2))


L2_POINTS = [dict(B=(F(3, 2), F(7)), lam=F(2), Ws=(F(5, 3), F(-4)), W=(F(-7, 4), F(9, 5))),
             dict(B=(F(1, 5), F(1, 7)), lam=F(1, 3), Ws=(F(-2, 5), F(3, 4)), W=(F(4, 3), F(-3, 8)))]


def weight_decay_witness(w):
    """E~ evaluated from its definition (E of (15) plus lambda/2 |w|^2) at random points must equal every line of the
    claim's chain (lines 1-4); every relation of the statement is evaluated as written with E~ from its definition
    (its derivatives by Richardson central differences) at two parameter sets, one with beta_i + lambda < 1; and
    gradient descent on E~, run exactly to convergence (contraction < 1e-30), must end at the claim's minimiser."""
    S = w.S
    B = (F(3, 2), F(7))
    lam, Ws = F(2), (F(5, 3), F(-4))
    vals = {S.beta_1: B[0], S.beta_2: B[1], S["lambda"]: lam, S["w_1*"]: Ws[0], S["w_2*"]: Ws[1]}
    c_def = next(f.relation.rhs for f in w.d.definitions if f.relation.lhs == S.c)
    lines = [st for st in w.d.steps if st.label.startswith("line ")]
    bad = []
    for _ in range(4):
        pt = (F(int(w.rng.integers(-9, 10)), 4), F(int(w.rng.integers(-9, 10)), 3))
        Etil = sum(F(1, 2) * B[i] * (pt[i] - Ws[i]) ** 2 + lam / 2 * pt[i] ** 2 for i in range(2))
        at = {**vals, S.w_1: pt[0], S.w_2: pt[1]}
        at[S.c] = w.value(c_def, at)
        for st in lines:
            got = w.value(st.relation.rhs, at)
            if got != sp.Rational(Etil.numerator, Etil.denominator):
                bad.append(f"{st.label} at w = ({pt[0]}, {pt[1]}): {got} != E~ = {Etil}")
    obs = [w.observe(not bad, "every line of the chain equals E~ at 4 random points" if not bad else "; ".join(bad[:2]),
                     method="E~ evaluated from its definition (exact)", n=4)]
    for P in L2_POINTS:
        proc = Process(values={"beta_1": P["B"][0], "beta_2": P["B"][1], "lambda": P["lam"], "w_1*": P["Ws"][0],
                               "w_2*": P["Ws"][1], "w_1": P["W"][0], "w_2": P["W"][1]},
                       quantities={"E~": _E_tilde})
        obs += proc.statement(w, method=f"E~ from its definition, beta = {P['B']}, lambda = {P['lam']}, "
                                        f"w* = {P['Ws']}; derivatives by central differences")
    gamma = 1 / (B[1] + lam)                                  # contraction factor <= 1 - (beta_1 + lambda) gamma
    ws = gradient_descent(B, Ws, (F(0), F(0)), gamma, 250, lam=lam)
    wmin = ws[-1]
    for i in range(2):
        rel = w.statement[i]
        subs = [a for a in sp.preorder_traversal(rel) if isinstance(a, sp.Subs)]
        if not subs:
            obs.append(w.observe(False, f"relation {i + 1} names no point w_{i + 1} = ... (Subs) to compare with the "
                                        "minimiser", method="gradient descent on E~"))
            continue
        point = subs[0].args[2][0]                            # the claimed minimiser inside Subs(dE~/dw_i, w_i, .)
        claimed = w.value(point, vals)
        sym = sp.Symbol(f"w_{i + 1}_min")
        if not claimed.is_number:
            obs.append(w.observe(False, f"the claimed minimiser {point} names more than the parameters",
                                 method="gradient descent on E~"))
            continue
        obs.append(w.close({sym: float(wmin[i])}, {sym: 1e-25}, relation=sp.Eq(sym, claimed), k=1, floor=1e-15,
                           method="gradient descent on E~ run exactly for 250 steps", n=250))
    return obs


weight_decay_minimum.add_witness(weight_decay_witness, kind="exact", name="minimise_E_tilde")
weight_decay_minimum_corrected.add_witness(weight_decay_witness, kind="exact", name="minimise_E_tilde")


# ------------------------------------------------------------------------------------------------
# (d)
# ------------------------------------------------------------------------------------------------
@claim(id="early_stopping.weight_decay_limits",
       title=r"$\beta_2 \gg \lambda \gg \beta_1$: the L2 minimum has $w_1 \approx 0$ and $w_2 \approx w_2^*$",
       source=_src("(d)"),
       statement=r"With $\beta_2 \gg \lambda \gg \beta_1$ the solution is $w_1 = \frac{\beta_1}{\beta_1 + \lambda} "
                 r"w_1^* \approx 0$ and $w_2 = \frac{\beta_2}{\beta_2 + \lambda} w_2^* \approx w_2^*$",
       reading=r"$\lim_{\beta_1 \to 0} w_1 = 0$ and $\lim_{\beta_2 \to \infty} w_2 = w_2^*$ ($\lambda$ fixed); more "
               r"precisely, for $w_i^* \neq 0$, $0 \leq w_1/w_1^* \leq \beta_1/\lambda$ and $0 \leq 1 - w_2/w_2^* "
               r"\leq \lambda/\beta_2$")
def weight_decay_limits(d):
    b1, b2, lam = d.symbols("beta_1 beta_2 lambda", positive=True)
    s1, s2 = d.symbols("w_1* w_2*", real=True, nonzero=True)
    m1, m2 = d.symbols("w_1 w_2", real=True)
    sol = d.given((Eq(m1, b1 / (b1 + lam) * s1), Eq(m2, b2 / (b2 + lam) * s2)), why=r"the minimum of $\tilde{E}$ "
                                                                                    "from (c)",
                  label="(c)")
    l1 = d.chain(sp.Limit(m1, b1, 0, "+"), using=[sol]).eq(0, rule=r"$\beta_1/\lambda \to 0$", label="w_1 -> 0")
    l2 = d.chain(sp.Limit(m2, b2, sp.oo), using=[sol]).eq(s2, rule=r"$\lambda/\beta_2 \to 0$", label="w_2 -> w_2*")
    rs = [d.step(sp.Ge(m1 / s1, 0), rule="a ratio of positive numbers", using=[sol], label="w_1/w_1* >= 0"),
          d.step(sp.Le(m1 / s1, b1 / lam), rule=r"$\beta_1 + \lambda > \lambda$", using=[sol], label="bound w_1"),
          d.step(sp.Ge(1 - m2 / s2, 0), rule=r"$\beta_2 < \beta_2 + \lambda$", using=[sol], label="w_2/w_2* <= 1"),
          d.step(sp.Le(1 - m2 / s2, lam / b2), rule=r"$\beta_2 + \lambda > \beta_2$", using=[sol], label="bound w_2")]
    stmt = (l1.fact.relation, l2.fact.relation) + tuple(r.relation for r in rs)
    d.step(stmt, rule="collect", using=[sol])
    d.statement(stmt)


def _l2_minimiser(env, i):
    """w_i at the minimum of E~, by gradient descent on the (decoupled) coordinate i with rate 0.9/(beta_i + lambda)
    (contraction 1/10 per step), 44 steps at 40 digits, at the env's beta_i, lambda, w_i*."""
    import mpmath
    with mpmath.workdps(DPS):
        b, lam, s_ = (mpmath.mpf(sp.Float(env[k], DPS)) for k in (f"beta_{i}", "lambda", f"w_{i}*"))
        g = mpmath.mpf(9) / (10 * (b + lam))
        v = mpmath.mpf(0)
        for _ in range(44):
            v = v - g * (b * (v - s_) + lam * v)
        return sp.Float(v, DPS)


LIMIT_POINTS = [dict(beta_1=F(1, 10), beta_2=F(10), **{"lambda": F(1), "w_1*": F(2), "w_2*": F(3)}),
                dict(beta_1=F(1, 5), beta_2=F(1, 7), **{"lambda": F(1, 3), "w_1*": F(-2, 5), "w_2*": F(3, 4)}),
                dict(beta_1=F(1, 3), beta_2=F(6), **{"lambda": F(3), "w_1*": F(1, 4), "w_2*": F(1, 5)}),
                dict(beta_1=F(3, 2), beta_2=F(5, 2), **{"lambda": F(2, 3), "w_1*": F(-7, 3), "w_2*": F(-5, 2)})]


@weight_decay_limits.witness("exact")
def _weight_decay_runs(w):
    """Minimise E~ by gradient descent (contraction 10^-44, 40 digits) wherever the statement needs w_1, w_2: every
    relation is evaluated as written at four parameter sets (lambda below and above 1, w_i* of both signs and
    magnitudes), the limits along beta_1 = 2^-k/64 -> 0 and beta_2 = 64 2^k -> oo with the minimiser re-computed
    at each beta and Richardson-extrapolated."""
    proc = Process(quantities={"w_1": lambda env: _l2_minimiser(env, 1), "w_2": lambda env: _l2_minimiser(env, 2)},
                   limits={"beta_1": (0, lambda lv: [F(1, 64 * 2 ** (k + lv)) for k in range(4)]),
                           "beta_2": (sp.oo, lambda lv: [F(64 * 2 ** (k + lv)) for k in range(4)])})
    return proc.statement(w, points=LIMIT_POINTS, method="gradient descent on E~ at the parameters and along the limits")


@claim(id="early_stopping.same_as_early_stopping",
       title="From $w(0) = 0$, early stopping as in (b) leaves $w_1$ near 0 and brings $w_2$ near $w_2^*$, like "
             "weight decay",
       source=_src("(d), last sentence"),
       statement=r"If $w_1(0) \approx 0$ we get the same result as with early stopping in b.",
       reading=r"with $w(0) = 0$ and the schedule of (b) ($n_{\text{stop}} = 1/(5\gamma\beta_1)$, $\beta_2 = "
               r"20\beta_1$, $\gamma \to 0$): $w_1(n_{\text{stop}})/w_1^* \to 1 - \exp(-1/5) = 0.18$ and "
               r"$w_2(n_{\text{stop}})/w_2^* \to 1 - \exp(-4) = 0.98$, the pattern of weight decay with $\beta_2 "
               r"\gg \lambda \gg \beta_1$ ($w_1/w_1^* \to 0$, $w_2/w_2^* \to 1$); 'the same' holds qualitatively "
               "($w_1$ keeps 18% of the way at this schedule, where weight decay tends to 0)")
def same_as_early_stopping(d):
    b1, gamma = d.symbols("beta_1 gamma", positive=True)
    b2 = d.symbol("beta_2", positive=True)
    s1, s2 = d.symbols("w_1* w_2*", real=True, nonzero=True)
    n = d.symbol("n_stop", positive=True)
    q1, q2 = d.symbols("w_1(n_stop)/w_1* w_2(n_stop)/w_2*", real=True)
    ratio = d.given(Eq(b2, 20 * b1), why=r"$\beta_2 = 20 \beta_1$", label="beta_2")
    sched = d.given(Eq(n, 1 / (5 * gamma * b1)), why="the stopping time of (b)", label="n_stop")
    a = d.given((Eq(q1, (s1 + (1 - gamma * b1) ** n * (0 - s1)) / s1), Eq(q2, (s2 + (1 - gamma * b2) ** n * (0 - s2)) / s2)),
                why="(a) with $w(0) = 0$, divided by $w_i^*$", label="(a), w(0) = 0")
    f1 = d.chain(q1, using=[a]).eq(1 - (1 - gamma * b1) ** n, rule="cancel $w_1^*$", label="fraction 1")
    f2 = d.chain(q2, using=[a]).eq(1 - (1 - gamma * b2) ** n, rule="cancel $w_2^*$", label="fraction 2")
    l1 = d.chain(sp.Limit(q1, gamma, 0, "+"), using=[f1.fact, sched]).eq(1 - sp.exp(-R(1, 5)), rule="(b)",
                                                                           label="w_1: 1 - exp(-1/5)")
    l2 = d.chain(sp.Limit(q2, gamma, 0, "+"), using=[f2.fact, sched, ratio]).eq(1 - sp.exp(-4), rule="(b)",
                                                                                 label="w_2: 1 - exp(-4)")
    stmt = (l1.fact.relation, l2.fact.relation)
    d.step(stmt, rule="collect", using=[f1.fact, f2.fact, sched, ratio])
    d.statement(stmt)


@same_as_early_stopping.witness("exact")
def _from_zero(w):
    """Gradient descent from w(0) = 0 with beta_2 = 20 beta_1 (its given) and n_stop = 1/(5 gamma beta_1) steps, run
    at 40 digits wherever the statement names w_i(n_stop)/w_i*; the statement's limits are evaluated as written
    along gamma = 1/(5 beta_1 N), N = 25 .. 800 (Richardson-extrapolated to gamma -> 0), at beta_1 = 1, w* = (2, -3)
    and beta_1 = 3/7, w* = (-5/4, 1/3)."""
    def fraction(i):
        def f(env):
            b1, gamma = env["beta_1"], env["gamma"]
            n = 1 / (5 * gamma * b1)
            if abs(n - round(n)) > 1e-20 or n < 1:
                raise NotMeasured(f"n_stop = 1/(5 gamma beta_1) = {float(n):.6g} is not a number of steps")
            import mpmath
            with mpmath.workdps(DPS):
                b = mpmath.mpf(sp.Float(b1 if i == 1 else 20 * b1, DPS))
                s_, gm = mpmath.mpf(sp.Float(env[f"w_{i}*"], DPS)), mpmath.mpf(sp.Float(gamma, DPS))
                v = mpmath.mpf(0)
                for _ in range(int(round(n))):
                    v = v - gm * b * (v - s_)
                return sp.Float(v / s_, DPS)
        return f
    obs = []
    for b1, ws in ((F(1), (F(2), F(-3))), (F(3, 7), (F(-5, 4), F(1, 3)))):
        proc = Process(values={"beta_1": b1, "beta_2": 20 * b1, "w_1*": ws[0], "w_2*": ws[1]},
                       quantities={"w_1(n_stop)/w_1*": fraction(1), "w_2(n_stop)/w_2*": fraction(2)},
                       limits={"gamma": (0, _gamma_sequence(b1, N0=25))})
        obs += proc.statement(w, method=f"gradient descent from 0 at 40 digits, beta_1 = {b1}, w* = {ws}")
    return obs
