"""What the maths verifier lets through must compile, in every place the report puts maths.

Formulas like the catalog's are mutated at random (seeded: the same mutants every run): tokens deleted,
doubled, or replaced by whitelisted commands, environments, braces, scripts, ``&`` and ``\\\\``. The mutants
:func:`proofs.report.tex.check_math` accepts are put in a document with the report's preamble, in the
four places the report puts maths (a display, the cells of an aligned chain next to each other, inline text,
a figure caption), and compiled: a verified formula must never stop the compile. (A run of this by hand
found a zero-width display dividing by zero, a formula ending in a control space eating the display's
closing brace, ``x_\\models``, and a formula starting with a superscript joining the one before it; each is
now refused or fixed.)
"""
from __future__ import annotations

import random
import re
import shutil

import pytest

from proofs.report import document, tex

SEEDS = [
    r"\mathbb{E}\left[\frac{\left(\sum_{b=1}^{B} {\hat{g}}_{b}\right)^{2}}{B^{2}}\right]",
    r"\sum_{\substack{1 \leq b \leq B\\1 \leq c \leq B}} {\hat{g}}_{b} {\hat{g}}_{c}",
    r"\left. {dL/dx}_{j} \right|_{\substack{ j=1 }} = \begin{cases} a {g}_{1} & \text{for}\: N \geq 3 \\0 & "
    r"\text{otherwise} \end{cases}",
    r"R''(0)/2 = \frac{\left. \frac{\partial^{2}}{\partial \eta_{1}^{2}} \left(\eta_{1} G{\left(\Phi_{t},x_{t} "
    r"\right)}\right) \right|_{\substack{ \eta_{1}=0 }}}{2}",
    r"\hat{m}_{t} = \hat{m}_{t-1} \left(1 - \frac{1}{N \left(- p \left(1 - \frac{1}{N}\right) + 1\right)}\right)",
    r"N_{equiv} = n!^{m},\quad \left. n!^{m} \right|_{\substack{ n=3\\ m=2 }} = 36",
    r"\lim_{T \to \infty} \frac{1}{T} \sum_{t=1}^{T} \operatorname{Var}{\left(\Phi_{t} \right)} \leq \sqrt{\eta}",
    r"\left[\begin{matrix}\sigma^{2} & \rho\\\rho & \tau^{2}\end{matrix}\right] + \sqrt[3]{x} \cdot \tilde{w}",
    r"\left\Vert g \right\Vert^{2} \geq \min\left(\alpha, \beta\right) \langle J, u\rangle",
]
ATOMS = (["x", "1", "(", ")", "[", "]", "{", "}", "^", "_", "&", "'", " ", "\\\\", "\\,", "\\{", "\\}", "|", "!"]
         + ["\\" + w for w in sorted(tex._SYMBOLS | tex._ONE_ARG | tex._TWO_ARGS | tex._DELIMITED)]
         + ["\\begin{" + e + "}" for e in tex._ENVS] + ["\\end{" + e + "}" for e in tex._ENVS]
         + ["{cc}", "[3]", "\\text{a}"])
TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.")


def verified_mutants(seed: int, n: int = 250) -> list:
    rng, out = random.Random(seed), []
    for _ in range(200_000):
        toks = TOKEN.findall(rng.choice(SEEDS))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(toks) + 1)
            op = rng.random()
            if op < 0.4 and toks:
                del toks[min(i, len(toks) - 1)]
            elif op < 0.7 and toks:
                toks.insert(i, toks[min(i, len(toks) - 1)])
            else:
                toks.insert(i, rng.choice(ATOMS))
        s = "".join(toks)
        if tex.check_math(s) is None:
            out.append(s)
            if len(out) == n:
                break
    return out


PLACES = {
    "display": lambda a, b: r"\dcdisplay{" + a + "}",
    "aligned": lambda a, b: (r"\dcdisplay{\begin{aligned}" + a + " &" + b + " " + a + r" &&\quad \dcproved~\text{(1)}"
                             + " \\\\\n" + b + r" &= " + a + r"\end{aligned}}"),
    "inline": lambda a, b: r"Residual: $" + a + "$, and $" + b + "$.\n",
    "caption": lambda a, b: r"\begin{dcfigure}\caption{t $" + a + "$ u $" + b + r"$}\end{dcfigure}",
}


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize("place", list(PLACES))
def test_verified_maths_compiles_wherever_the_report_puts_it(tmp_path, place):
    from proofs.report.compile import compile_pdf
    found = verified_mutants(seed=len(place))
    assert len(found) == 250
    maths = [tex.math(s) for s in found]
    body = "\n".join(PLACES[place](a, b) for a, b in zip(maths, maths[1:] + maths[:1]))
    doc = tmp_path / "fuzz.tex"
    doc.write_text(document.PREAMBLE + "\\begin{document}\n" + body + "\n\\end{document}\n")
    result = compile_pdf(doc, tmp_path / "fuzz.pdf", timeout=120)
    assert result.pages and result.pages >= 1
