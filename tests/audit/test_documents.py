r"""The document reader (proofs/audit/documents.py): displays, rows, declarations and their exact lines.

One test per behaviour; the seeds in /work/shared/seeds are the real inputs (counts set by hand with
``grep -o '\$\$' | wc -l`` halved, and by reading them).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from proofs.audit.documents import (
    DocumentError, Sidecar, SidecarEntry, attach_sidecar, find_sidecar, kind_of, load_sidecar, read_document,
    read_text, MAX_BYTES,
)
from proofs.audit.source import Declaration, Display, Where

SEEDS = Path("/work/shared/seeds")
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="the shared seeds are not on this machine")


def md(text, **kw):
    return read_text(text, "markdown", name="doc.md", **kw)


def tex(text, **kw):
    return read_text(text, "latex", name="doc.tex", **kw)


def rows_of(display):
    return [(r.text, r.where.line, r.where.column, r.tag, r.label) for r in display.rows]


def seed(name):
    path = next(SEEDS.glob(name + "_*.txt"))
    return path, read_document(path)


# ---------------------------------------------------------------------------------------------- kinds

def test_kind_of_by_suffix():
    assert [kind_of(p) for p in ("a.md", "a.MARKDOWN", "a.txt", "a.tex", "a.latex", "a.ipynb", "a.py", "a")] == \
        ["markdown", "markdown", "markdown", "latex", "latex", "notebook", None, None]


def test_read_document_unknown_suffix_and_missing_file(tmp_path):
    (tmp_path / "a.py").write_text("$$x$$")
    with pytest.raises(DocumentError, match=r"a\.py: unknown document kind"):
        read_document(tmp_path / "a.py")
    with pytest.raises(DocumentError, match="no such file"):
        read_document(tmp_path / "gone.md")


def test_display_name_is_where_file(tmp_path):
    p = tmp_path / "notes.md"
    p.write_text("intro\n$$a = b$$\n")
    d = read_document(p, display_name="notes.md")
    assert d.path == "notes.md" and d.displays[0].where == Where("notes.md", 2, None, 1)
    assert read_document(p).displays[0].where.file == str(p)


# --------------------------------------------------------------------------------------- Markdown maths

def test_markdown_dollar_display_one_line_with_text_around():
    d = md("Text $$a = b$$ more $$c = d$$ end.\n")
    assert [x.text for x in d.displays] == ["a = b", "c = d"]
    assert [(x.where.line, x.where.column, x.env) for x in d.displays] == [(1, 6, "$$"), (1, 21, "$$")]
    assert rows_of(d.displays[0]) == [("a = b", 1, 8, None, None)]


def test_markdown_dollar_display_over_many_lines_keeps_text_as_written():
    d = md("x\n\n$$\na &= b \\\\\n  &= c\n$$\n")
    (disp,) = d.displays
    assert disp.where.line == 3 and disp.text == "\na &= b \\\\\n  &= c\n"
    assert rows_of(disp) == [("a &= b", 4, 1, None, None), ("&= c", 5, 3, None, None)]


def test_markdown_bracket_display():
    (disp,) = md("before\n\\[ g = h \\]\nafter \\\\[ not maths\n").displays
    assert (disp.env, disp.text, disp.where.line) == ("\\[", " g = h ", 2)
    assert rows_of(disp) == [("g = h", 2, 4, None, None)]


def test_markdown_bare_environment():
    (disp,) = md("Prose.\n\\begin{align}\np &= q \\\\\n  &= r \\tag{4}\n\\end{align}\n").displays
    assert disp.env == "align" and disp.inner is None
    assert rows_of(disp) == [("p &= q", 3, 1, None, None), ("&= r", 4, 3, "4", None)]


def test_markdown_align_inside_dollars_is_transparent():
    (disp,) = md("$$\\begin{align} a &= b \\\\ &= c \\end{align}$$").displays
    assert disp.inner == "align" and [r.text for r in disp.rows] == ["a &= b", "&= c"]


def test_inline_maths_only_when_asked():
    text = "Let $x$ be and \\(y\\) too.\n\n$$x = y$$\n"
    assert [x.env for x in md(text).displays] == ["$$"]
    d = md(text, inline=True)
    assert [(x.env, x.inline, x.text) for x in d.displays] == [("$", True, "x"), ("\\(", True, "y"), ("$$", False, "x = y")]
    assert d.displays[0].where == Where("doc.md", 1, None, 5)
    assert rows_of(d.displays[0]) == [("x", 1, 6, None, None)]


def test_inline_dollar_rules_escaped_dollar_and_currency():
    d = md("Costs \\$5 and $5 and $10; and $a$ ok; $ b$ no; a blank\n\n$c\n\nd$ no.\n", inline=True)
    assert [x.text for x in d.displays] == ["a"]


def test_inline_maths_does_not_hide_a_display():
    d = md("$a $$b = c$$ d$\n")
    assert [x.text for x in d.displays] == ["b = c"]


def test_code_fences_and_code_spans_are_not_maths():
    text = ("```python\n$$ not = maths $$\n<!-- derivcheck: assume x > 0 -->\n```\n"
            "~~~\n\\begin{equation} no \\end{equation}\n~~~\n"
            "Inline `$$x = 1$$` and ``a `$y$` b`` code.\n"
            "$$ real = 1 $$\n")
    d = md(text, inline=True)
    assert [(x.text, x.where.line) for x in d.displays] == [(" real = 1 ", 9)]
    assert d.declarations == () and d.problems == ()


def test_unclosed_code_fence_is_a_problem():
    d = md("$$a$$\n```\n$$b$$\n")
    assert [x.text for x in d.displays] == ["a"]
    assert d.problems == ("doc.md:2: code fence ``` opened here is never closed; rest of file read as code",)


def test_equation_number_on_the_line_after_a_display_becomes_its_tag():
    d = md("$$a = b.$$\n (12)\n\n$$c = d$$\n(a) next part\n")
    assert [r.tag for x in d.displays for r in x.rows] == ["12", None]


# ----------------------------------------------------------------------------------------- declarations

def test_html_comment_declaration_single_line():
    d = md("x\n<!-- derivcheck: assume 0 < \\rho < 1 -->\n$$a$$\n")
    (decl,) = d.declarations
    assert decl == Declaration("assume", "0 < \\rho < 1", Where("doc.md", 2, None, 6), "document", None)
    assert isinstance(d.items[0], Declaration) and isinstance(d.items[1], Display)


def test_html_comment_with_several_declarations_over_lines():
    d = md("<!--\nderivcheck: function f\n  a note that is not a declaration\nderivcheck: given (3) (4)\n"
           "-->\n$$a$$\n")
    assert [(x.keyword, x.text, x.where.line, x.where.column, x.scope) for x in d.declarations] == \
        [("function", "f", 2, 1, "document"), ("given", "(3) (4)", 4, 1, "display")]


def test_declaration_scope_by_keyword():
    d = md("<!-- derivcheck: skip -->\n<!-- derivcheck: check -->\n<!-- derivcheck: given (1) -->\n"
           "<!-- derivcheck: unknown x -->\n<!-- derivcheck: labelled \\Sigma -->\n")
    assert [(x.keyword, x.scope, x.target) for x in d.declarations] == [
        ("skip", "display", None), ("check", "display", None), ("given", "display", None),
        ("unknown", "document", None), ("labelled", "document", None)]


def test_derivcheck_line_outside_a_comment_is_prose():
    assert md("derivcheck: assume x > 0\n\n$$a$$\n").declarations == ()


def test_unknown_keyword_is_a_problem_and_dropped():
    d = md("\n<!-- derivcheck: bogus x -->\n<!-- derivcheck: -->\n")
    assert d.declarations == ()
    assert d.problems[0].startswith("doc.md:2: unknown derivcheck keyword 'bogus'")
    assert d.problems[1] == "doc.md:3: derivcheck: with no keyword; ignored"


def test_items_are_in_document_order():
    d = md("$$a$$\n<!-- derivcheck: skip -->\n$$b$$\n<!-- derivcheck: assume c -->\n")
    assert [getattr(i, "text", None) for i in d.items] == ["a", "", "b", "c"]


# --------------------------------------------------------------------------------------------- LaTeX

@pytest.mark.parametrize("env", ["equation", "equation*", "align", "align*", "gather", "gather*", "multline",
                                 "multline*", "flalign", "eqnarray"])
def test_latex_environments(env):
    d = tex(f"Prose \\section{{S}}\n\\begin{{{env}}}\n  a &= b \\\\\n  c &= d\n\\end{{{env}}}\nafter\n")
    (disp,) = d.displays
    assert (disp.env, disp.where.line, disp.where.column, disp.inner) == (env, 2, 1, None)
    assert rows_of(disp) == [("a &= b", 3, 3, None, None), ("c &= d", 4, 3, None, None)]


def test_latex_bracket_and_dollar_displays():
    d = tex("\\[ x = 1 \\]\n$$ y = 2 $$\n")
    assert [(x.env, x.text) for x in d.displays] == [("\\[", " x = 1 "), ("$$", " y = 2 ")]


@pytest.mark.parametrize("inner", ["split", "aligned", "gathered"])
def test_latex_inner_environment_rows(inner):
    d = tex(f"\\begin{{equation}}\\label{{eq:a}}\n\\begin{{{inner}}}\n  a &= b \\\\\n  &= c\n"
            f"\\end{{{inner}}}\n\\end{{equation}}\n")
    (disp,) = d.displays
    assert disp.inner == inner
    assert rows_of(disp) == [("a &= b", 3, 3, None, "eq:a"), ("&= c", 4, 3, None, None)]


def test_latex_alignat_argument_is_not_a_row():
    (disp,) = tex("\\begin{alignat}{2}\nx &= y & z &= w\n\\end{alignat}\n").displays
    assert rows_of(disp) == [("x &= y & z &= w", 2, 1, None, None)]


def test_latex_percent_declarations_and_escaped_percent():
    d = tex("Rate 5\\% here. % derivcheck: assume 0 < \\rho < 1\n%% derivcheck: skip\n"
            "\\begin{align}\n a &= b \\\\ % a comment with $$ and \\\\ in it\n &= c\n\\end{align}\n"
            "% $$ commented = out $$\n")
    assert [(x.keyword, x.text, x.where.line, x.scope) for x in d.declarations] == \
        [("assume", "0 < \\rho < 1", 1, "document"), ("skip", "", 2, "display")]
    (disp,) = d.displays
    assert [r.text for r in disp.rows] == ["a &= b", "&= c"]
    assert "% a comment" in disp.text          # the display text is as written


def test_latex_declaration_inside_a_display_comes_before_it():
    d = tex("\\begin{align}\n% derivcheck: given (1)\na &= b\n\\end{align}\n")
    assert [type(i).__name__ for i in d.items] == ["Declaration", "Display"]


def test_latex_prose_definitions_verbatim_and_after_end_document_are_ignored():
    d = tex("\\newcommand{\\beq}{\\begin{equation}}\n\\newcommand{\\eeq}{\\end{equation}}\n"
            "\\begin{document}\n\\input{/etc/passwd} \\include{x} \\write18{rm -rf /}\n"
            "\\begin{verbatim}\n\\begin{equation} v \\end{equation}\n\\end{verbatim}\n"
            "\\verb|$$ w $$| and \\[ z = 1 \\]\n\\end{document}\n\\begin{equation} late \\end{equation}\n")
    assert [(x.text, x.where.line) for x in d.displays] == [(" z = 1 ", 8)]
    assert d.problems == ()


def test_latex_inline_when_asked():
    d = tex("Let $x$ and \\(y\\).\n", inline=True)
    assert [(x.env, x.text) for x in d.displays] == [("$", "x"), ("\\(", "y")]
    assert tex("Let $x$ and \\(y\\).\n").displays == ()


# ------------------------------------------------------------------------------------------------ rows

def test_rows_split_at_top_level_only():
    (disp,) = md("$$ \\frac{a \\\\ b}{c} = \\begin{cases} 1 \\\\ 2 \\end{cases} \\\\[2pt] \\substack{x\\\\y} = z "
                 "\\\\* w = v $$").displays
    assert [r.text for r in disp.rows] == ["\\frac{a \\\\ b}{c} = \\begin{cases} 1 \\\\ 2 \\end{cases}",
                                           "\\substack{x\\\\y} = z", "w = v"]


def test_rows_tags_labels_and_dropped_commands():
    (disp,) = tex("\\begin{align}\na &= b \\tag{33a} \\\\\n&= c \\tag*{A}\\label{eq:c} \\\\\n"
                  "&= d \\nonumber \\\\\n&= e \\notag\\\\\n\\intertext{so}\n&= f \\quad (15)\\\\\n"
                  "&= g \\qquad (33b) \\\\ \\\\\n\\end{align}\n").displays
    assert rows_of(disp) == [("a &= b", 2, 1, "33a", None), ("&= c", 3, 1, "A", "eq:c"), ("&= d", 4, 1, None, None),
                             ("&= e", 5, 1, None, None), ("&= f", 7, 1, "15", None), ("&= g", 8, 1, "33b", None)]


def test_manual_tag_only_at_the_end_and_short():
    (disp,) = md("$$ a \\quad (15) = b \\\\ c = d \\quad (\\text{by } x) \\\\ e = f \\quad (*) $$").displays
    assert [(r.text, r.tag) for r in disp.rows] == [("a \\quad (15) = b", None),
                                                    ("c = d \\quad (\\text{by } x)", None), ("e = f", "*")]


def test_one_row_display_with_tag():
    (disp,) = md("$$\\mu' = \\mu(1 - \\alpha\\lambda),\\tag{33b}$$").displays
    assert rows_of(disp) == [("\\mu' = \\mu(1 - \\alpha\\lambda),", 1, 3, "33b", None)]


def test_empty_display_has_no_rows():
    d = md("$$ $$ and $$ \\\\ & \\\\ $$")
    assert [x.rows for x in d.displays] == [(), ()]


# ------------------------------------------------------------------------------------------------ seeds

@needs_seeds
@pytest.mark.parametrize("name, displays, inline", [("000", 25, 67), ("001", 0, 0), ("002", 41, 91),
                                                     ("003", 84, 88), ("004", 33, 156)])
def test_seed_display_counts(name, displays, inline):
    path, d = seed(name)
    assert len(d.displays) == displays and d.problems == () and d.declarations == ()
    with_inline = read_document(path, inline=True).displays
    assert sum(x.inline for x in with_inline) == inline and sum(not x.inline for x in with_inline) == displays


@needs_seeds
def test_seed_004_aligned_rows_on_their_lines():
    _, d = seed("004")
    (disp,) = [x for x in d.displays if x.where.line == 227]
    assert disp.inner == "aligned" and disp.env == "$$"
    assert [r.where.line for r in disp.rows] == [228, 229, 230, 231]
    assert disp.rows[0].text == "w_i(n+1) &= w_i(n) - \\gamma\\beta_i(w_i(n) - w_i^*)"
    assert [r.text[:3] for r in disp.rows[1:]] == ["&= "] * 3
    (star,) = [x for x in d.displays if x.where.line == 24]
    assert [(r.text, r.tag) for r in star.rows] == [("m(n+1) = \\rho m(n) + (1-\\rho)x(n)", "*")]
    tags = [x.rows[0].tag for x in d.displays if 133 <= x.where.line <= 219]
    assert [t for t in tags if t] == [str(i) for i in range(1, 17)] and tags.count(None) == 2   # lines 195, 209


@needs_seeds
def test_seed_002_tagged_one_row_displays():
    _, d = seed("002")
    (disp,) = [x for x in d.displays if any(r.tag == "34" for r in x.rows)]
    assert disp.where.line == 187 and len(disp.rows) == 1
    assert disp.rows[0].text == ("\\lambda' = (\\mu' - \\mu + \\alpha \\lambda)/\\alpha' = (\\mu + \\mu \\alpha \\lambda "
                                 "- \\mu + \\alpha \\lambda)/\\alpha = \\mu \\lambda + \\lambda = (\\mu + 1)\\lambda.")
    tags = {r.tag: x.where.line for x in d.displays for r in x.rows if r.tag}
    assert tags["33a"] == 179 and tags["12"] == 63 and tags["19"] == 95        # (12), (19): on the next line
    (cases,) = [x for x in d.displays if x.where.line == 95]
    assert len(cases.rows) == 1                                                  # \\ inside cases is not a row


@needs_seeds
def test_seed_000_split_on_one_line_has_four_rows():
    _, d = seed("000")
    (disp,) = [x for x in d.displays if x.where.line == 23]
    assert disp.inner == "split"
    assert [(r.where.line, r.where.column) for r in disp.rows] == [(23, 17), (23, 151), (23, 256), (23, 347)]
    assert disp.rows[1].text.startswith("0 &= ") and disp.rows[3].text.endswith("\\sigma_x^2")


# --------------------------------------------------------------------------------------------- notebooks

def notebook(tmp_path, cells, name="nb.ipynb"):
    p = tmp_path / name
    p.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return p


def test_notebook_markdown_cells_with_cell_and_line(tmp_path):
    p = notebook(tmp_path, [
        {"cell_type": "code", "source": ["$$ x = 1 $$\n"], "outputs": []},
        {"cell_type": "markdown", "source": ["# T\n", "<!-- derivcheck: assume a > 0 -->\n", "$$\n",
                                             "a &= b \\\\\n", "  &= c\n", "$$\n"]},
        {"cell_type": "raw", "source": "$$ r $$"},
        {"cell_type": "markdown", "source": "text\n\n$$ y = 2 $$"},
    ])
    d = read_document(p)
    assert d.kind == "notebook"
    (decl,) = d.declarations
    assert (decl.where.cell, decl.where.line) == (2, 2)
    first, second = d.displays
    assert first.where == Where(str(p), 3, 2, 1)
    assert [(r.where.cell, r.where.line, r.where.column) for r in first.rows] == [(2, 4, 1), (2, 5, 3)]
    assert (second.where.cell, second.where.line, second.text) == (4, 3, " y = 2 ")
    assert str(second.where) == f"{p}:cell 4:3"


def test_notebook_unterminated_display_skips_rest_of_cell_only(tmp_path):
    p = notebook(tmp_path, [{"cell_type": "markdown", "source": "$$a$$\n$$ open"},
                            {"cell_type": "markdown", "source": "$$b$$"}])
    d = read_document(p, display_name="nb.ipynb")
    assert [x.text for x in d.displays] == ["a", "b"]
    assert d.problems == ("nb.ipynb:cell 1:2: unterminated $$ display opened here; rest of cell skipped",)


def test_notebook_malformed_json(tmp_path):
    p = tmp_path / "bad.ipynb"
    p.write_text('{"cells": [\n  {"cell_type": "markdown",\n  "source": [}\n]}')
    with pytest.raises(DocumentError, match=r"bad\.ipynb:3: not a notebook: malformed JSON"):
        read_document(p)
    p.write_text("[1, 2]")
    with pytest.raises(DocumentError, match="not a notebook"):
        read_document(p)


# ----------------------------------------------------------------------------------------------- sidecar

DOC = ("Intro\n\n$$v^t = \\mu v^{t-1} + \\tilde{g}^t; \\tag{25a}$$\n\n"
       "$$\\lambda' = (\\mu' - \\mu + \\alpha \\lambda)/\\alpha' \\tag{34}$$\n\n"
       "$$\\begin{aligned}\na &= b \\\\\n&= c\n\\end{aligned}$$\n")


def sidecar(tmp_path, body, name="doc.md.derivcheck.toml"):
    p = tmp_path / name
    p.write_text(body)
    return p


def test_load_sidecar_declarations_and_lines(tmp_path):
    p = sidecar(tmp_path, '# for doc.md\ndeclare = ["function \\\\mathcal{L}",\n  "assume 0 < \\\\alpha"]\n\n'
                          '[[display]]\nline = 5\ndeclare = ["given (25a)", "unknown \\\\lambda\'"]\n')
    s = load_sidecar(p)
    assert isinstance(s, Sidecar) and s.problems == ()
    assert [(e.selector, e.declaration.keyword, e.declaration.text, e.declaration.where.line, e.declaration.scope)
            for e in s] == [(None, "function", "\\mathcal{L}", 2, "document"),
                            (None, "assume", "0 < \\alpha", 3, "document"),
                            (("line", 5), "given", "(25a)", 7, "display"),
                            (("line", 5), "unknown", "\\lambda'", 7, "display")]
    assert s.declarations[0].where.file == str(p)


@pytest.mark.parametrize("selector, line", [("line = 5", 5), ('tag = "34"', 5), ('tag = "(25a)"', 3),
                                            ("contains = \"\\\\lambda' = (\\\\mu'\"", 5),
                                            ('contains = "a&=b"', 7), ("line = 9", 7)])
def test_attach_sidecar_each_selector(tmp_path, selector, line):
    s = load_sidecar(sidecar(tmp_path, f'declare = ["assume x > 0"]\n[[display]]\n{selector}\ndeclare = ["skip"]\n'))
    d = attach_sidecar(md(DOC), s)
    assert d.problems == ()
    assert isinstance(d.items[0], Declaration) and d.items[0].keyword == "assume" and d.items[0].scope == "document"
    k = next(i for i, x in enumerate(d.items) if isinstance(x, Declaration) and x.keyword == "skip")
    target = d.items[k + 1]
    assert isinstance(target, Display) and target.where.line == line
    assert d.items[k].target == target.where and d.items[k].scope == "display"


def test_attach_sidecar_selector_matching_nothing_is_a_problem(tmp_path):
    p = sidecar(tmp_path, '[[display]]\ntag = "99"\ndeclare = ["skip"]\n')
    d = attach_sidecar(md(DOC), load_sidecar(p))
    assert d.problems == (f'{p}:2: [[display]] tag = "99" matches no display in doc.md; its declarations are not used',)
    assert d.declarations == ()


def test_attach_sidecar_problem_lines_stay_one_line(tmp_path):
    p = sidecar(tmp_path, '[[display]]\ncontains = "\\\\nu\\nx"\ndeclare = ["skip"]\n'
                          '[[display]]\ncontains = "="\ndeclare = ["check"]\n')
    d = attach_sidecar(md(DOC), load_sidecar(p))
    assert d.problems == (f'{p}:2: [[display]] contains = "\\\\nu\\nx" matches no display in doc.md; '
                          f'its declarations are not used',
                          f'{p}:5: [[display]] contains = "=" matches 3 displays in doc.md; used the first, at doc.md:3')
    assert [(x.keyword, x.target.line) for x in d.declarations] == [("check", 3)]


def test_sidecar_cell_and_line_in_a_notebook(tmp_path):
    nb = notebook(tmp_path, [{"cell_type": "markdown", "source": "$$a = 1$$"},
                             {"cell_type": "markdown", "source": "x\n$$a = 2$$"}])
    s = load_sidecar(sidecar(tmp_path, '[[display]]\ncell = 2\nline = 2\ndeclare = ["skip"]\n'))
    d = attach_sidecar(read_document(nb), s)
    assert [type(x).__name__ for x in d.items] == ["Display", "Declaration", "Display"]
    assert d.items[1].target == d.items[2].where and d.items[2].where.cell == 2


def test_attach_sidecar_accepts_pairs():
    decl = Declaration("given", "(25a)", Where("side.toml", 1), "display")
    d = attach_sidecar(md(DOC), [(("tag", "34"), decl)])
    assert [type(x).__name__ for x in d.items] == ["Display", "Declaration", "Display", "Display"]


def test_sidecar_unknown_keyword_is_a_problem(tmp_path):
    s = load_sidecar(sidecar(tmp_path, 'declare = ["assume a", "nonsense b"]\n'))
    assert [e.declaration.keyword for e in s] == ["assume"]
    assert len(s.problems) == 1 and "unknown derivcheck keyword 'nonsense'" in s.problems[0]


def test_sidecar_top_level_display_keyword_is_a_problem(tmp_path):
    s = load_sidecar(sidecar(tmp_path, 'declare = ["given (1)", "integer N"]\n', name="side.toml"))
    assert [e.declaration.keyword for e in s] == ["integer"]
    assert s.problems == (f"{tmp_path / 'side.toml'}:1: given applies to one display; put it in a [[display]] "
                          f"table (declaration ignored)",)


@pytest.mark.parametrize("body, message", [
    ('declare = ["a"\n[[display]]\n', r"side\.toml:2: bad TOML"),
    ('declar = ["assume a"]\n', r"side\.toml:1: unknown key 'declar'"),
    ('declare = "assume a"\n', r"side\.toml:1: 'declare' must be a list of strings"),
    ('declare = [1]\n', r"'declare' must be a list of strings"),
    ('[[display]]\nline = "5"\ndeclare = ["skip"]\n', r"side\.toml:2: 'line' must be a positive integer"),
    ('[[display]]\nline = 5\ntag = "1"\ndeclare = ["skip"]\n', r"exactly one of line, tag, contains"),
    ('[[display]]\nline = 5\ncolour = "red"\ndeclare = ["skip"]\n', r"side\.toml:3: unknown key 'colour'"),
    ('[[display]]\ntag = "5"\n', r"needs 'declare'"),
])
def test_bad_sidecar_is_a_document_error(tmp_path, body, message):
    with pytest.raises(DocumentError, match=message):
        load_sidecar(sidecar(tmp_path, body, name="side.toml"))


def test_find_sidecar(tmp_path):
    doc = tmp_path / "docs" / "notes.md"
    doc.parent.mkdir()
    doc.write_text("$$a$$")
    other = tmp_path / "sidecars"
    other.mkdir()
    assert find_sidecar(doc, [other]) is None
    (other / "notes.toml").write_text("")
    assert find_sidecar(doc, [tmp_path, other]) == other / "notes.toml"
    beside = tmp_path / "docs" / "notes.md.derivcheck.toml"
    beside.write_text("")
    assert find_sidecar(doc, [other]) == beside


# ----------------------------------------------------------------------------------------------- hostile

def test_unterminated_dollar_display_keeps_items_before():
    d = md("$$a$$\n<!-- derivcheck: assume x -->\ntext\n$$ b = c\nmore\n")
    assert [x.text for x in d.displays] == ["a"] and len(d.declarations) == 1
    assert d.problems == ("doc.md:4: unterminated $$ display opened here; rest of file skipped",)


def test_unterminated_environment_and_comment():
    d = tex("\\[ a \\]\n\\begin{align}\nb &= c\n% derivcheck: assume z\n")
    assert [x.text for x in d.displays] == [" a "] and d.declarations == ()
    assert d.problems == ("doc.tex:2: unterminated \\begin{align} environment opened here; rest of file skipped",)
    d = md("$$a$$\n<!-- never closed\n$$b$$\n")
    assert [x.text for x in d.displays] == ["a"]
    assert d.problems == ("doc.md:2: unterminated HTML comment opened here; rest of file skipped",)


def test_file_over_the_size_limit_is_refused(tmp_path):
    p = tmp_path / "big.md"
    p.write_bytes(b"$$a$$\n" * (MAX_BYTES // 6 + 10))
    with pytest.raises(DocumentError, match=r"big\.md: \d+ bytes is more than"):
        read_document(p)
    with pytest.raises(DocumentError, match="more than"):
        read_text("x" * (MAX_BYTES + 1), "markdown")


def test_non_utf8_bytes_are_replaced_and_reported(tmp_path):
    p = tmp_path / "latin.md"
    p.write_bytes(b"line one\ncaf\xe9\n$$a = b$$\n")
    d = read_document(p, display_name="latin.md")
    assert [x.text for x in d.displays] == ["a = b"]
    assert d.problems == ("latin.md:2: bytes that are not UTF-8 (first here); read with U+FFFD in their place",)


def test_crlf_line_endings():
    d = md("a\r\n$$\r\nx = 1 \\\\\r\ny = 2\r\n$$\r\n")
    assert [(r.text, r.where.line) for r in d.displays[0].rows] == [("x = 1", 3), ("y = 2", 4)]


@pytest.mark.parametrize("text", [
    "$$" + "{" * 100_000 + "x" + "}" * 100_000 + "$$\n",
    "$$" + "{" * 100_000 + "$$\n",
    "$$" + "\\tag{" * 30_000 + "$$\n",
    "$$" + "\\begin{cases}" * 20_000 + "\\end{x}" * 20_000 + "$$\n",
    "$$ " + "a + " * 25_000 + " $$\n",
    "$a " * 40_000 + "\n",
    "".join("`" * k + " " for k in range(1, 400)) + "\n",
    "\\newcommand{" * 20_000,
    "\\verb|" * 20_000,
])
def test_deep_braces_and_long_lines_do_not_hang(text):
    for kind in ("markdown", "latex"):
        start = time.perf_counter()
        read_text(text, kind, inline=True)
        assert time.perf_counter() - start < 5


def test_input_in_prose_is_ignored_and_nothing_is_followed(tmp_path):
    p = tmp_path / "doc.tex"
    p.write_text("\\input{/etc/passwd}\n\\include{/etc/shadow}\nSome $$x = 1$$ prose.\n")
    d = read_document(p, display_name="doc.tex")
    assert [x.text for x in d.displays] == ["x = 1"] and d.problems == ()
    d = md("\\input{/etc/passwd}\n")
    assert d.items == () and d.problems == ()


# -- headings end a section (definitions do not carry past them) ----------------------------------

def test_headings_are_read_in_document_order_and_not_inside_maths_or_code():
    from proofs.audit.source import Heading
    md = read_text("# One\n\n$$\nx = 1\n$$\n\n```\n# not a heading\n```\n\n## Two\n\n$$\ny = 2\n$$\n", "markdown")
    kinds = [(type(i).__name__, i.where.line) for i in md.items]
    assert kinds == [("Heading", 1), ("Display", 3), ("Heading", 11), ("Display", 13)]
    assert [i.level for i in md.items if isinstance(i, Heading)] == [1, 2]
    tex = read_text("\\section*{Problem 1}\n\\[ a = b \\]\n% \\section{commented}\n\\subsection{Part (b)}\n\\[ c = d \\]\n",
                    "latex")
    heads = [(i.where.line, i.level, i.text) for i in tex.items if isinstance(i, Heading)]
    assert heads == [(1, 1, "Problem 1"), (4, 2, "Part (b)")]
