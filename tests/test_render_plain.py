"""Maths in titles, statements and readings for the terminal (proofs/render/plain.py)."""
import doctest

import pytest

from proofs.render import plain as plain_module
from proofs.render.plain import plain


@pytest.mark.parametrize("text, shown", [
    (r"$\mathcal{L}(\Phi^*) = \mathcal{L}(\eta) - 2\mathcal{L}(\eta/2)$ (sign slip)", "L(Φ^*) = L(η) − 2L(η/2) (sign slip)"),
    (r"$\mathbb{E}[\|g_i\|^2]$ and $\operatorname{Var}(x)$", "E[‖g_i‖^2] and Var(x)"),
    (r"$\hat{m}_t = \frac{m_t}{1 - \beta^t}$", "m̂_t = (m_t)/(1 − β^t)"),
    (r"$\sqrt{\Delta t}\,\eta\,\epsilon$", "√(Δ t) η ε"),
    (r"$t \to \infty$, $a \le b$", "t → ∞, a ≤ b"),
    ("no maths, 5 $ and a lone dollar", "no maths, 5 $ and a lone dollar"),
    (r"an escaped \$5 and \$6", r"an escaped \$5 and \$6"),
])
def test_spans_read_as_text(text, shown):
    assert plain(text) == shown


def test_the_module_examples():
    assert doctest.testmod(plain_module).failed == 0


def test_show_prints_titles_without_latex(run_cli):
    proc = run_cli("show", "stationary.extrapolation")
    head = proc.stdout.splitlines()[0]
    assert "\\mathcal" not in head and "$" not in head and "L(Φ^*)" in head
