"""Gradient-norm clipping (Pascanu, Mikolov & Bengio, ICML 2013, Algorithm 1), written as a new user would:
clip(g) = g min(1, c / ||g||) for a 2-d gradient g = (g_1, g_2). With c > 0 and ||g|| > c stated as
assumptions, the clipped gradient has norm exactly c.

Witness: the clipping rule applied to random gradients whose norm exceeds the threshold; the norm measured.
"""
import numpy as np
import sympy as sp

from proofs import Eq, Source, claim

SRC = Source("Pascanu, Mikolov & Bengio, On the difficulty of training RNNs (ICML 2013)", "Algorithm 1")
TOPIC = "user corpus: clipping"


def clip_by_norm(g, c):
    """The clipping rule as optimisers implement it: rescale g when its norm exceeds c."""
    norm = float(np.linalg.norm(g))
    return g * min(1.0, c / norm)


def _clip_witness(w):
    """10 random gradients with ||g|| > c (c = 1.5): the norm of the clipped gradient against the statement."""
    S = w.S
    N = sp.Symbol("clipped_norm_measured")
    rel = sp.Eq(N, w.statement.rhs)
    obs, c = [], 1.5
    while len(obs) < 10:
        g = w.rng.normal(scale=3.0, size=2)
        if np.linalg.norm(g) <= c:
            continue
        out = clip_by_norm(g, c)
        obs.append(w.close({N: float(np.linalg.norm(out))}, {N: 1e-15 * c}, at={S.g_1: g[0], S.g_2: g[1], S.c: c},
                           relation=rel, floor=1e-12, method="clip-by-norm on random gradients", n=10))
    return obs


def _clipping(d, *, slip=False):
    g1, g2, c = d.symbols("g_1 g_2 c", real=True)
    r = sp.sqrt(g1 ** 2 + g2 ** 2)
    d.assume(c > 0, why="the clipping threshold is positive")
    d.assume(r > c, why="the gradient is clipped: ||g|| > c")
    s = sp.Min(1, c / r)
    clipped_norm = sp.sqrt((g1 * s) ** 2 + (g2 * s) ** 2)
    factored = r * s ** 2 if slip else r * s               # the slip: the square of the scale kept
    rhs = c ** 2 / r if slip else c
    (d.chain(clipped_norm)
     .eq(factored, rule="the scale min(1, c/||g||) >= 0 factors out of the norm", label="factor the scale")
     .eq(r * (c / r) ** (2 if slip else 1), rule="c / ||g|| < 1", label="min(1, c/||g||) = c/||g||")
     .eq(rhs, rule="cancel ||g||"))
    d.statement(Eq(clipped_norm, rhs))


@claim(id="corpus.clipping.clipped_norm", title="||clip(g)|| = c when ||g|| > c", source=SRC,
       statement="if ||g|| > c > 0 then ||g min(1, c/||g||)|| = c", witnesses=[(_clip_witness, "exact")])
def clipped_norm(d):
    _clipping(d)


@claim(id="corpus.clipping.clipped_norm.wrong_square", title="(wrong) the scale factored out squared", source=SRC,
       expected="refuted", statement="||clip(g)|| = c^2 / ||g||", witnesses=[(_clip_witness, "exact")])
def clipped_norm_wrong(d):
    _clipping(d, slip=True)
