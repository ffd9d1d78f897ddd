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


def test_math_removes_only_what_breaks_a_document():
    assert tex.math(r"\frac{a}{b} + \alpha") == r"\frac{a}{b} + \alpha"
    assert tex.math("E~ 5% #") == r"E{\sim} 5\% \#"
    assert tex.math(r"a \% b") == r"a \% b"
    assert tex.math("") == "{}"


@pytest.mark.parametrize("raw,out", [("12/7", r"\tfrac{12}{7}"), ("-3/4", r"-\tfrac{3}{4}"), ("5", "5"),
                                     ("1.5e-3", "1.5e-3"), ("sqrt(2)", r"\text{sqrt(2)}")])
def test_value(raw, out):
    assert tex.value(raw) == out


def test_label_keeps_only_safe_characters():
    assert tex.label("claim", "a.b_c d#e") == "claim:a.b-c-d-e"


@pytest.mark.skipif(find_engine() is None, reason="no TeX engine (pdflatex/latexmk) installed")
def test_escaped_text_compiles(tmp_path):
    from proofs.report.compile import compile_pdf
    doc = tmp_path / "t.tex"
    doc.write_text("\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{lmodern}\\usepackage{amssymb}"
                   "\\begin{document}" + tex.text(NASTY) + " " + tex.code("x_y.z") + " $" + tex.math("E~ 5% #")
                   + "$\\end{document}\n")
    res = compile_pdf(doc, tmp_path / "t.pdf", timeout=120)
    assert res.pages == 1


def test_text_with_math_keeps_dollar_spans_as_maths():
    assert tex.text_with_math(r"on $E = |w_1|$, 50% of $\eta$") == r"on $E = |w_1|$,\allowbreak{} 50\% of $\eta$"
    assert tex.text_with_math("no maths_here") == r"no maths\_\allowbreak{}here"
    assert tex.text_with_math("a lone $ sign") == r"a lone \$ sign"
