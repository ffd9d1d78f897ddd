"""The report's LaTeX vocabulary: escaping, safe maths, values, labels."""
import pytest

from proofs.report import tex
from proofs.report.compile import find_engine

NASTY = "50% of $x_1 & y^2 #3 {a} \\ ~ <> | \" \u2248 \u03c3 \u2264 \u00e9 \U0001F600 \x07"


def test_text_escapes_every_special_character():
    import re
    out = tex.text(NASTY.split("\u2248")[0])          # the ASCII part
    for ch in "%$&#_~^":
        assert not re.search(r"(?<!\\)" + re.escape(ch), out.replace(r"\^{}", "")), ch
    assert r"50\%" in out and r"\$x\_" in out and r"\&" in out and r"\#3" in out and r"\{a\}" in out
    assert r"\textbackslash{}" in out and r"\textasciitilde{}" in out


def test_text_maps_or_replaces_non_ascii():
    out = tex.text("\u2248 \u03c3 \u2264 \u00e9 \U0001F600")
    assert out == r"$\approx$ $\sigma$ $\leq$ ? ?"
    assert all(ord(ch) < 128 for ch in tex.text(NASTY))


def test_code_is_typewriter_and_breakable():
    assert tex.code("a_b.c") == r"\texttt{a\_\allowbreak{}b.\allowbreak{}c}"


def test_math_passes_what_the_tool_prints_and_shows_anything_else_as_text():
    assert tex.math(r"\frac{a}{b} + \alpha") == r"\frac{a}{b} + \alpha"
    assert tex.math(r"a \% b") == r"a \% b"
    assert tex.math("  x\n +\t y ") == "x + y"               # white space folded, nothing else changed
    assert tex.math("") == "{}"
    shown = tex.math("E~ 5% #")
    assert shown.startswith(r"\text{") and r"\%" in shown and r"\#" in shown and "not typeset" in shown
    assert tex.check_math("E~ 5% #") == "the character '~' is not allowed"


@pytest.mark.parametrize("ok", [
    r"\mathbb{E}\left[\frac{\left(\sum_{b=1}^{B} {\hat{g}}_{b}\right)^{2}}{B^{2}}\right]",
    r"\sum_{\substack{1 \leq b \leq B\\1 \leq c \leq B}} g_{b}",
    r"\begin{cases} a & \text{for}\: N \geq 3 \\0 & \text{otherwise} \end{cases}",
    r"R''(0)/2 = \left. \frac{\partial}{\partial u} G{\left(u \right)} \right|_{\substack{ u=0 }}",
    r"x'^{2} + \sqrt[3]{x} + \frac\alpha\beta + \operatorname{Var}(x) + n!^{m}",
    r"\left[\begin{matrix}1 & 2\\3 & 4\end{matrix}\right] \leq \begin{array}{cc} a & b \end{array}",
])
def test_maths_the_tool_prints_is_verified(ok):
    assert tex.check_math(ok) is None


@pytest.mark.parametrize("bad,why", [
    (r"\immediate\pdfobj file {/etc/passwd}", r"\immediate is not allowed"),
    (r"\input{x}", r"\input is not allowed"), (r"\def\x{\x}\x", r"\def is not allowed"),
    ("^^5cinput", "'^^'"), (r"\csname input\endcsname", r"\csname"), ("\\catcode`\\^=12", "`"),
    (r"\frac{1}{", "unbalanced"), ("}{", "unbalanced"), (r"x^2^3", "double"), (r"x^2'", "prime"),
    (r"\left( x", r"\left without"), (r"x \right)", r"\right without"), ("a & b", "'&'"),
    (r"a \\ b", "outside an alignment"), (r"\begin{cases} a & b & c \end{cases}", "too many columns"),
    (r"\begin{verbatim} \end{verbatim}", "environment"), (r"\text{\input x}", "plain characters"),
    (r"\text{a^b}", "plain characters"), (r"\frac\input x", "argument"), ("x %", "'%'"), ("#1", "'#'"),
    ("{" * 50 + "}" * 50, "nested"), (r"\begin{array}{@{\input x}c} 1 \end{array}", "column spec"),
    (r"\begin{matrix} a \\[3pt] b \end{matrix}", "followed by"), ("x\u00e9", "U+00E9"), ("x\x00", "U+0000"),
    ("x\ufffe", "U+FFFE"), ("x" * 20001, "longer than"), ("$x$", "'$'"), ("x\\", "lone backslash"),
])
def test_anything_else_is_refused_with_a_reason(bad, why):
    assert why in (tex.check_math(bad) or "")
    shown = tex.math(bad)
    assert shown.startswith(r"\text{\small\ttfamily ") and "not typeset" in shown
    assert "^^" not in shown and len(shown) < 2000


@pytest.mark.parametrize("raw,out", [("12/7", r"\tfrac{12}{7}"), ("-3/4", r"-\tfrac{3}{4}"), ("5", "5"),
                                     ("1.5e-3", "1.5e-3"), ("sqrt(2)", r"\text{sqrt(2)}")])
def test_value(raw, out):
    assert tex.value(raw) == out


def test_label_keeps_only_safe_characters_and_stays_distinct():
    assert tex.label("claim", "a.b-c") == "claim:a.b-c"
    assert tex.label("claim", "a.b_c d#e").startswith("claim:a.b-c-d-e-")
    assert tex.label("claim", "a.b_c") != tex.label("claim", "a.b-c") != tex.label("claim", "a.b c")
    long = tex.label("claim", "x" * 100_000)
    assert len(long) < 130 and long != tex.label("claim", "x" * 99_999)


def test_text_is_cut_when_huge_and_never_breaks_a_paragraph():
    out = tex.text("a\n\nb\r\tc" + "x" * 10_000)
    assert "\n" not in out and "more characters not shown" in out and len(out) < tex.TEXT_LIMIT + 100
    assert tex.text("^^5c") == r"\^{}\^{}5c" and tex.text("[x]") == "{[}x{]}"
    assert tex.text("\ufffe\uffff\ud800") == "???"


@pytest.mark.skipif(find_engine() is None, reason="no TeX engine (pdflatex/latexmk) installed")
def test_escaped_text_compiles(tmp_path):
    from proofs.report.compile import compile_pdf
    doc = tmp_path / "t.tex"
    doc.write_text("\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}\\usepackage{amsmath,amssymb}"
                   "\\begin{document}" + tex.text(NASTY) + " " + tex.code("x_y.z") + " $" + tex.math("E~ 5% #")
                   + "$\\end{document}\n")
    res = compile_pdf(doc, tmp_path / "t.pdf", timeout=120)
    assert res.pages == 1


def test_text_with_math_keeps_dollar_spans_as_maths():
    assert tex.text_with_math(r"on $E = |w_1|$, 50% of $\eta$") == r"on $E = |w_1|$,\allowbreak{} 50\% of $\eta$"
    assert tex.text_with_math("no maths_here") == r"no maths\_\allowbreak{}here"
    assert tex.text_with_math("a lone $ sign") == r"a lone \$ sign"
