"""An example of a user's own derivation file: check it with `derivcheck check examples/my_derivation.py`."""
from fractions import Fraction

import sympy as sp

from proofs import Source, claim


@claim(id="example.ewa_fixed_point",
       title="The fixed point of an exponentially weighted average",
       source=Source("my-notes.tex", "Lemma 2"),
       statement="m = rho m + (1 - rho) c has the solution m = c")
def ewa_fixed_point(d):
    rho = d.symbol("rho", bounds=(0, 1))          # 0 < rho < 1
    c, m = d.symbols("c m", real=True)
    d.unknowns(m)
    d.given(sp.Eq(m, rho * m + (1 - rho) * c), why="m is a fixed point of the update")
    d.step(sp.Eq((1 - rho) * m, (1 - rho) * c), rule="collect m on the left")
    d.step(sp.Eq(m, c), rule="divide by 1 - rho (non-zero since rho < 1)")
    d.statement(sp.Eq(m, c))


@ewa_fixed_point.witness("exact")
def _iterate(w):
    """Run the update m <- rho m + (1 - rho) c exactly for 300 steps from m = 0."""
    rho, c, m = Fraction(9, 10), Fraction(7, 3), Fraction(0)
    for _ in range(300):
        m = rho * m + (1 - rho) * c
    gap = abs(m - c)           # the iterate approaches the claimed limit geometrically
    return w.observe(gap < Fraction(1, 10 ** 12), f"|m_300 - c| = {float(gap):.2e}",
                     method="iterate the update in exact rationals", n=300)
