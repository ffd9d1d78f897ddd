"""A user-style claim the engine cannot prove: it divides by a learning rate that the author never said is
non-zero, so the side condition eta != 0 stays open (it fails at eta = 0). For the report's golden file of
an *unproved* claim. Its witness runs the update and agrees wherever eta != 0."""
import sympy as sp

from proofs import Source, claim


@claim(id="golden.divide_by_step_size",
       title="Recovering the gradient from an SGD step",
       source=Source("golden-notes.tex", "eq. (3)"),
       statement="w' = w - eta g gives g = (w - w') / eta",
       expected="unproved")
def divide_by_step_size(d):
    w, w1, g, eta = d.symbols("w w' g eta", real=True)
    step = d.given(sp.Eq(w1, w - eta * g), why="one SGD step")
    d.step(sp.Eq(g, (w - w1) / eta), rule="solve the step for g", using=[step])
    d.statement(sp.Eq(g, (w - w1) / eta))


@divide_by_step_size.witness("exact")
def _run_step(w):
    """Take one SGD step with exact rationals for 30 random (w, g, eta != 0) and read g back."""
    from fractions import Fraction
    ok = True
    for _ in range(30):
        w0, g, eta = (Fraction(int(v), 7) for v in w.rng.integers(-50, 50, size=3))
        if eta == 0:
            continue
        w_next = w0 - eta * g
        ok = ok and (w0 - w_next) / eta == g
    return w.observe(ok, "g = (w - w')/eta recovered exactly for 30 random steps with eta != 0",
                     method="exact rational steps", n=30)
