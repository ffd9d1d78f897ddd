"""Wrong variants of the batch-size derivations (Problem 5), written the way a user would.

Each is a plausible mistake; a wrong step in the middle propagates to a wrong result. Each must be
refuted symbolically at the step named in ``BROKEN_STEP`` and flagged by the catalog's witness,
which is reused unchanged (it tests each variant's own statement).
"""
import sympy as sp

from derivations.batch_size import SGD_PROBLEMS, batch_covariance_witness, temperature_witness
from proofs import E, Source, claim

WITNESS = [(batch_covariance_witness, "monte-carlo")]


def _setup(d):
    """Symbols, the iid family ghat[b, i] and the definitions of ghat^B and Sigma^B."""
    B = d.symbol("B", integer=True, positive=True)
    i, j = d.symbols("i j", integer=True)
    b, bp = d.symbols("b b'", integer=True, positive=True)
    g, S1 = d.indexed("g"), d.indexed("Sigma^1")
    gh, ghB, SB = d.indexed("ghat"), d.indexed("ghat^B"), d.indexed("Sigma^B")
    d.random.family(gh, g, S1)
    d.define(ghB[i], sp.Sum(gh[b, i], (b, 1, B)) / B)
    d.define(ghB[j], sp.Sum(gh[b, j], (b, 1, B)) / B)
    d.define(SB[i, j], E((ghB[i] - g[i]) * (ghB[j] - g[j])))

    def dev(s, c):
        return gh[s, c] - g[c]
    return B, i, j, b, bp, g, S1, ghB, SB, dev


@claim(id="variant.batch_size.over_B_squared", title="Sigma^B = Sigma^1 / B^2 (the 1/B^2 kept to the end)",
       source=Source(SGD_PROBLEMS, "Problem 5 (wrong variant)"), expected="refuted", witnesses=WITNESS,
       statement="Sigma^B[i,j] = (1/B^2) Sigma^1[i,j]")
def over_B_squared(d):
    B, i, j, b, bp, g, S1, ghB, SB, dev = _setup(d)
    (d.chain(SB[i, j])
     .eq(E((ghB[i] - g[i]) * (ghB[j] - g[j])), rule="definition")
     .eq(E(sp.Sum(dev(b, i), (b, 1, B)) * sp.Sum(dev(b, j), (b, 1, B))) / B ** 2, rule="pull out 1/B")
     .eq(E(sp.Sum(dev(b, i) * dev(bp, j), (b, 1, B), (bp, 1, B))) / B ** 2, rule="double sum")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2, rule="cross terms vanish")
     .eq(S1[i, j] / B ** 2, rule="each term is Sigma^1 (forgot that there are B of them)"))
    d.statement(sp.Eq(SB[i, j], S1[i, j] / B ** 2))


@claim(id="variant.batch_size.line3_over_B", title="1/B instead of 1/B^2 in line 3, propagated",
       source=Source(SGD_PROBLEMS, "Problem 5 (wrong variant)"), expected="refuted", witnesses=WITNESS,
       statement="Sigma^B[i,j] = Sigma^1[i,j]")
def line3_over_B(d):
    B, i, j, b, bp, g, S1, ghB, SB, dev = _setup(d)
    off = 1 - sp.KroneckerDelta(b, bp)
    (d.chain(SB[i, j])
     .eq(E((ghB[i] - g[i]) * (ghB[j] - g[j])), rule="definition")
     .eq(E(sp.Sum(dev(b, i), (b, 1, B)) * sp.Sum(dev(b, j), (b, 1, B))) / B ** 2, rule="pull out 1/B")
     .eq(E(sp.Sum(dev(b, i) * dev(bp, j), (b, 1, B), (bp, 1, B))) / B, rule="double sum")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B
         + sp.Sum(off * E(dev(b, i) * dev(bp, j)), (b, 1, B), (bp, 1, B)) / B, rule="split b = b', b != b'")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B, rule="independence")
     .eq(S1[i, j], rule="B terms Sigma^1"))
    d.statement(sp.Eq(SB[i, j], S1[i, j]))


@claim(id="variant.batch_size.cross_terms_kept", title="b != b' terms taken as Sigma^1 instead of 0, propagated",
       source=Source(SGD_PROBLEMS, "Problem 5 (wrong variant)"), expected="refuted", witnesses=WITNESS,
       statement="Sigma^B[i,j] = Sigma^1[i,j]")
def cross_terms_kept(d):
    B, i, j, b, bp, g, S1, ghB, SB, dev = _setup(d)
    off = 1 - sp.KroneckerDelta(b, bp)
    (d.chain(SB[i, j])
     .eq(E((ghB[i] - g[i]) * (ghB[j] - g[j])), rule="definition")
     .eq(E(sp.Sum(dev(b, i), (b, 1, B)) * sp.Sum(dev(b, j), (b, 1, B))) / B ** 2, rule="pull out 1/B")
     .eq(E(sp.Sum(dev(b, i) * dev(bp, j), (b, 1, B), (bp, 1, B))) / B ** 2, rule="double sum")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2
         + sp.Sum(off * E(dev(b, i) * dev(bp, j)), (b, 1, B), (bp, 1, B)) / B ** 2, rule="split b = b', b != b'")
     .eq(sp.Sum(E(dev(b, i) * dev(b, j)), (b, 1, B)) / B ** 2
         + sp.Sum(off * S1[i, j], (b, 1, B), (bp, 1, B)) / B ** 2,
         rule="every pair has covariance Sigma^1 (independence forgotten)")
     .eq((B * S1[i, j] + B * (B - 1) * S1[i, j]) / B ** 2, rule="count the terms")
     .eq(S1[i, j], rule="simplify"))
    d.statement(sp.Eq(SB[i, j], S1[i, j]))


@claim(id="variant.batch_size.temperature_B_squared", title="eta = B^2 eta_0 claimed to give eta Sigma^B = eta_0 Sigma^1",
       source=Source(SGD_PROBLEMS, "Problem 5 (wrong variant)"), expected="refuted",
       witnesses=[(temperature_witness, "monte-carlo")],
       statement="for eta = B^2 eta_0 we have eta Sigma^B = eta_0 Sigma^1")
def temperature_B_squared(d):
    B = d.symbol("B", integer=True, positive=True)
    eta, eta0 = d.symbols("eta eta_0", positive=True)
    i, j = d.symbols("i j", integer=True)
    S1, SB = d.indexed("Sigma^1"), d.indexed("Sigma^B")
    cov = d.given(sp.Eq(SB[i, j], S1[i, j] / B), label="Sigma^B = Sigma^1/B")
    rate = d.given(sp.Eq(eta, B ** 2 * eta0), label="scaling")
    d.step(sp.Eq(eta * SB[i, j], eta0 * S1[i, j]), rule="substitute", using=[cov, rate])
    d.statement(sp.Eq(eta * SB[i, j], eta0 * S1[i, j]))


BROKEN_STEP = {
    "variant.batch_size.over_B_squared": 5,
    "variant.batch_size.line3_over_B": 3,
    "variant.batch_size.cross_terms_kept": 5,
    "variant.batch_size.temperature_B_squared": 1,
}
VARIANTS = [over_B_squared, line3_over_B, cross_terms_kept, temperature_B_squared]
