"""Symbol names read as their authors wrote them (proofs/symbol_latex.py) and printed by proofs/latex.py."""
import doctest

import pytest
import sympy as sp

from proofs import symbol_latex
from proofs.latex import register_name, to_latex, to_text
from proofs.report.tex import check_math
from proofs.symbol_latex import name_latex

NAMES = {
    "Sigma_DeltaPhi": r"\Sigma_{\Delta\Phi}",
    "Sigma_g": r"\Sigma_{g}",
    "theta^{t+1}": r"\theta^{t+1}",
    "theta^{t-1}": r"\theta^{t-1}",
    "theta^t": r"\theta^{t}",
    "mu~_t": r"\tilde{\mu}_{t}",
    "m^_t": r"\hat{m}_{t}",
    "mu^": r"\hat{\mu}",
    "ghat^B": r"\hat{g}^{B}",
    "xbar": r"\bar{x}",
    "alpha'": r"{\alpha'}",
    "v'^{t-1}": r"{v'}^{t-1}",
    "w_1*": r"w_{1}^{*}",
    "w_1^(74)": r"w_{1}^{(74)}",
    "sigma^2_mu_inf": r"\sigma_{\mu,\infty}^{2}",
    "n_stop": r"n_{\mathrm{stop}}",
    "N_mu1": r"N_{\mu 1}",
    "rho_{1,512}": r"\rho_{1,512}",
    "DeltaW": r"\Delta W",
    "R_+": r"R_{+}",
    "ell": r"\ell",
    "Sigma_DeltaPhi[1, 2]": r"\Sigma_{\Delta\Phi}[1,2]",
    "alpha[1]": r"\alpha_{1}",
    "L(Phi*)": r"L(\Phi^{*})",
    "E_i||g_i||^2": r"E_{i}\|g_{i}\|^{2}",
    "<g_1>/<g_1^2>": r"\langle g_{1}\rangle /\langle g_{1}^{2}\rangle",
    "dL/deta(0)": r"\mathrm{d}L/\mathrm{d}\eta(0)",
    "sum_{k>=0} rho^k": r"\sum_{k\geq 0}\,\rho^{k}",
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_names_are_read_as_written_and_verify(name):
    latex = name_latex(name)
    assert latex == NAMES[name]
    assert check_math(latex) is None


@pytest.mark.parametrize("name", ["W.grad2_A", "x^2^3", "x_", "a{b", "", "ab\\input{x}", "x" * 200 + "(y)"])
def test_other_names_are_left_to_the_caller(name):
    assert name_latex(name) is None


def test_the_module_examples():
    assert doctest.testmod(symbol_latex).failed == 0


def test_entries_never_get_a_double_subscript():
    k, l, i = sp.symbols("k l i")
    assert to_latex(sp.IndexedBase("Sigma_DeltaPhi")[k, l]) == r"\Sigma_{\Delta\Phi}[k,l]"
    assert to_latex(sp.IndexedBase("alpha")[i]) == r"\alpha_{i}"
    assert to_latex(sp.IndexedBase("Sigma^B")[k, l]) == r"{\Sigma^{B}}_{k,l}"
    assert "DeltaPhi" not in to_latex(sp.Symbol("Sigma_DeltaPhi[1,1]"))


def test_sums_open_with_a_positive_term():
    beta, t, x = sp.symbols("beta t x")
    assert to_latex(1 - beta**t) == r"1 - \beta^{t}"
    assert to_text(1 - beta**t) == "1 - beta**t"
    assert to_latex(x**2 - 2 * x + 1) == "x^{2} - 2 x + 1"
    assert to_latex(-x - 1) == "- x - 1"                 # nothing positive to open with


def test_an_author_can_name_a_symbol_in_latex():
    register_name("Gfoo_test", r"\mathcal{G}")
    assert to_latex(sp.Symbol("Gfoo_test") + 1) == r"\mathcal{G} + 1"


def test_the_derivation_api_takes_latex():
    from proofs import Source, claim
    from proofs.engine import check_claim

    @claim(id="t.latex_name", title="a symbol named in LaTeX", source=Source("t.tex", "here"))
    def c(d):
        g = d.symbol("Gbar_t", latex=r"\bar{\mathcal{G}}")
        s = d.indexed("Sig_xy", latex=r"\Sigma_{xy}")
        k = d.symbol("k", integer=True)
        d.step(sp.Eq(2 * g + s[k], s[k] + g + g, evaluate=False))
        d.statement(sp.Eq(2 * g + s[k], s[k] + g + g, evaluate=False))
    r = check_claim(c).to_dict()
    assert r["verdict"] == "proved"
    assert r["statement_latex"] == r"2 \bar{\mathcal{G}} + \Sigma_{xy}[k] = 2 \bar{\mathcal{G}} + \Sigma_{xy}[k]"
