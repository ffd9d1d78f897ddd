"""Two well-known rewritings of momentum, written the way a new user would.

* Heavy ball (Polyak 1964): v_t = mu v_{t-1} + g_t, w_t = w_{t-1} - eta v_t is the second-order recursion
  w_t = w_{t-1} - eta g_t + mu (w_{t-1} - w_{t-2}). The previous step is stated as w_{t-1} - w_{t-2} = -eta v_{t-1}
  and solved for v_{t-1} (dividing by eta, with eta > 0 and 0 < mu < 1 stated as assumptions).
* Nesterov momentum (Sutskever et al. 2013 form) in the look-ahead variable u_t = w_t + mu v_t
  (Bengio et al. 2013, "Advances in optimizing recurrent networks", eq. 7):
  u_t = u_{t-1} + mu^2 v_{t-1} - (1 + mu) eta g_t, with g_t the gradient at u_{t-1}.

Witnesses run both optimisers on a noisy quadratic in exact rationals and test the statement at every step.
"""
from fractions import Fraction

from proofs import Eq, Source, claim

TOPIC = "user corpus: momentum"
POLYAK = Source("Polyak 1964; Sutskever et al., ICML 2013", "heavy-ball momentum as a two-step recursion")
BENGIO = Source("Bengio, Boulanger-Lewandowski & Pascanu, ICASSP 2013", "Nesterov momentum, eq. (7)")


def _noisy_gradient(rng, h, w):
    """Gradient of L(w) = h w^2 / 2 plus a random rational perturbation (a stochastic gradient)."""
    return h * w + Fraction(int(rng.integers(-6, 7)), 5)


def _heavy_ball_witness(w):
    """Run heavy ball (eta = 1/4, mu = 9/10, h = 3) for 25 steps from w_0 = 2, v_0 = 0 in exact rationals;
    test the statement at t = 2..25 with the run's w_t, w_{t-1}, w_{t-2}, g_t."""
    eta, mu, h = Fraction(1, 4), Fraction(9, 10), Fraction(3)
    ws, v, obs = [Fraction(2)], Fraction(0), []
    gs = [None]
    for t in range(1, 26):
        g = _noisy_gradient(w.rng, h, ws[-1])
        v = mu * v + g
        ws.append(ws[-1] - eta * v)
        gs.append(g)
    S = w.S
    for t in range(2, 26):
        obs.append(w.exact({S.w_t: ws[t], S["w_{t-1}"]: ws[t - 1], S["w_{t-2}"]: ws[t - 2], S.g_t: gs[t],
                            S.eta: eta, S.mu: mu}))
    bad = [(t, o) for t, o in zip(range(2, 26), obs) if not o.holds]
    return w.observe(not bad, f"fails at t = {bad[0][0]}: {bad[0][1].detail}" if bad else
                     "holds at t = 2..25", method="heavy ball on a noisy quadratic, exact rationals", n=24)


def _heavy_ball(d, *, slip=False):
    eta = d.symbol("eta", real=True)
    mu = d.symbol("mu", real=True)
    w_t, w1, w2, v_t, v1, g = d.symbols("w_t w_{t-1} w_{t-2} v_t v_{t-1} g_t", real=True)
    d.assume(eta > 0, why="a learning rate is positive")
    d.assume(mu > 0, why="momentum coefficient")
    d.assume(mu < 1, why="momentum coefficient")
    upd_v = d.given(Eq(v_t, mu * v1 + g), why="velocity update at t", label="velocity")
    upd_w = d.given(Eq(w_t, w1 - eta * v_t), why="weight update at t", label="weights")
    prev = d.given(Eq(w1 - w2, -eta * v1), why="the step taken at t - 1 is -eta v_{t-1}", label="step t-1")
    vprev = d.step(Eq(v1, (w2 - w1) / eta), rule="solve the update at t - 1 for v_{t-1} (divide by eta > 0)",
                   using=[prev], label="v_{t-1}")
    last = w1 - eta * g - mu * (w1 - w2) if slip else w1 - eta * g + mu * (w1 - w2)
    (d.chain(w_t, using=[upd_w])
     .eq(w1 - eta * v_t, rule="weight update")
     .eq(w1 - eta * (mu * v1 + g), rule="velocity update", using=[upd_v])
     .eq(w1 - eta * g - mu * eta * v1, rule="expand")
     .eq(last, rule="insert v_{t-1}", using=[vprev], label="insert v_{t-1}"))
    d.statement(Eq(w_t, last))


@claim(id="corpus.momentum.heavy_ball_two_step", title="heavy ball: w_t = w_{t-1} - eta g_t + mu (w_{t-1} - w_{t-2})",
       source=POLYAK, statement="w_t = w_{t-1} - eta g_t + mu (w_{t-1} - w_{t-2})",
       witnesses=[(_heavy_ball_witness, "exact")])
def heavy_ball_two_step(d):
    _heavy_ball(d)


@claim(id="corpus.momentum.heavy_ball_two_step.wrong_sign", title="(wrong) - mu (w_{t-1} - w_{t-2})",
       source=POLYAK, expected="refuted", statement="w_t = w_{t-1} - eta g_t - mu (w_{t-1} - w_{t-2})",
       witnesses=[(_heavy_ball_witness, "exact")])
def heavy_ball_two_step_wrong(d):
    _heavy_ball(d, slip=True)


def _nesterov_witness(w):
    """Run Nesterov momentum (v_t = mu v_{t-1} - eta grad(w_{t-1} + mu v_{t-1}), w_t = w_{t-1} + v_t) for 25 steps
    on a noisy quadratic (eta = 1/5, mu = 4/5, h = 2), exact; u_t = w_t + mu v_t; the statement at t = 1..25."""
    eta, mu, h = Fraction(1, 5), Fraction(4, 5), Fraction(2)
    wt, v = Fraction(3), Fraction(1, 2)
    S, obs = w.S, []
    for t in range(1, 26):
        u_prev, v_prev = wt + mu * v, v
        g = _noisy_gradient(w.rng, h, u_prev)           # the gradient is taken at the look-ahead point
        v = mu * v - eta * g
        wt = wt + v
        obs.append(w.exact({S.u_t: wt + mu * v, S["u_{t-1}"]: u_prev, S["v_{t-1}"]: v_prev, S.g_t: g,
                            S.eta: eta, S.mu: mu}))
    bad = [(t, o) for t, o in enumerate(obs, start=1) if not o.holds]
    return w.observe(not bad, f"fails at t = {bad[0][0]}: {bad[0][1].detail}" if bad else "holds at t = 1..25",
                     method="Nesterov momentum on a noisy quadratic, exact rationals", n=25)


def _nesterov(d, *, slip=False):
    eta = d.symbol("eta", positive=True)
    mu = d.symbol("mu", bounds=(0, 1))
    w_t, w1, v_t, v1, u_t, u1, g = d.symbols("w_t w_{t-1} v_t v_{t-1} u_t u_{t-1} g_t", real=True)
    s = 1 if slip else -1                                  # the slip: + eta g_t
    upd_v = d.given(Eq(v_t, mu * v1 - eta * g), why="velocity update; g_t is the gradient at u_{t-1}",
                    label="velocity")
    upd_w = d.given(Eq(w_t, w1 + v_t), why="weight update", label="weights")
    look = d.given(Eq(u_t, w_t + mu * v_t), why="the look-ahead point", label="u_t")
    look1 = d.given(Eq(w1 + mu * v1, u1), why="the look-ahead point at t - 1", label="u_{t-1}")
    (d.chain(u_t, using=[look])
     .eq(w_t + mu * v_t, rule="definition of u_t")
     .eq(w1 + (1 + mu) * v_t, rule="weight update", using=[upd_w])
     .eq(w1 + (1 + mu) * (mu * v1 + s * eta * g), rule="velocity update", using=[upd_v], label="insert v_t")
     .eq(u1 - mu * v1 + (1 + mu) * (mu * v1 + s * eta * g), rule="w_{t-1} = u_{t-1} - mu v_{t-1}", using=[look1])
     .eq(u1 + mu ** 2 * v1 + s * (1 + mu) * eta * g, rule="collect", label="u_t"))
    d.statement(Eq(u_t, u1 + mu ** 2 * v1 + s * (1 + mu) * eta * g))


@claim(id="corpus.momentum.nesterov_lookahead", title="Nesterov: u_t = u_{t-1} + mu^2 v_{t-1} - (1 + mu) eta g_t",
       source=BENGIO, statement="u_t = u_{t-1} + mu^2 v_{t-1} - (1 + mu) eta g_t",
       witnesses=[(_nesterov_witness, "exact")])
def nesterov_lookahead(d):
    _nesterov(d)


@claim(id="corpus.momentum.nesterov_lookahead.wrong_sign", title="(wrong) velocity update inserted with + eta g_t",
       source=BENGIO, expected="refuted", statement="u_t = u_{t-1} + mu^2 v_{t-1} + (1 + mu) eta g_t",
       witnesses=[(_nesterov_witness, "exact")])
def nesterov_lookahead_wrong(d):
    _nesterov(d, slip=True)
