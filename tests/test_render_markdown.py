"""``--format markdown`` read the way GitHub reads it: parsed with markdown-it-py (CommonMark, GFM tables and
strikethrough) and its dollar-math plugin, then checked node by node.

* every ``$...$`` and ``$$`` span is a maths node holding exactly the LaTeX the results carry;
* text never turns into emphasis, links, HTML, strikethrough or maths, whatever characters it holds;
* a table row keeps its header's columns, even with ``|`` inside maths or text.
"""
import pytest

pytest.importorskip("markdown_it")
pytest.importorskip("mdit_py_plugins")

from markdown_it import MarkdownIt  # noqa: E402
from mdit_py_plugins.dollarmath import dollarmath_plugin  # noqa: E402

from proofs.outcome import summarize  # noqa: E402
from proofs.render import render_check  # noqa: E402
from proofs.render import markdown  # noqa: E402

# LaTeX with everything that trips Markdown: norms and absolute values (|), subscripts (_), products (*),
# braces, backslashes
HARD_LATEX = r"\left\|w_{i}\right\|^{2} * \left|g_{t}\right| = \frac{a_{1} * b_{2}}{c_{3}} + E\left[x_{k}\right]"
STEP_LATEX = r"\sum_{k=0}^{n} \rho^{k} \cdot x_{t-k} = \left|\mu_{t}\right| \leq \|v\|_{2}"
HOSTILE_TEXT = "a*b*c and _x_ and [link](http://e.org) <b>bold</b> ~~gone~~ $5 and $6 `tick` | pipe & co"


def _md():
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").use(dollarmath_plugin)


def _tokens(source: str) -> list:
    out = []

    def walk(tokens):
        for t in tokens:
            out.append(t)
            walk(t.children or [])
    walk(_md().parse(source))
    return out


def _failing_result(**kw) -> dict:
    r = dict(id="demo.norm_bound", title=f"A bound {HOSTILE_TEXT}", topic="", source={"file": "notes_1.txt",
             "locator": "eq. (3)"}, also=[], statement="||w||^2 |g| = ...", statement_latex=HARD_LATEX,
             verdict="refuted", expected="proved", message="refuted at step 2: ...", first_failing_step=2,
             result_verdict=None, corrects=None, reading="", loud="", givens=[], assuming=[], notes=[],
             file="demo.py", seconds=0.1, cached=False,
             counterexample={"point": {"w_2": "1", "g_t": "-1/2"}, "lhs": "3*a", "rhs": "a*b", "relation": "!=",
                             "arithmetic": "exact rational"},
             steps=[{"index": 1, "rule": "expand", "why": "", "relation": "x = x", "latex": "x = x",
                     "verdict": "proved", "detail": "", "stage": "expand", "label": "", "premises": []},
                    {"index": 2, "rule": f"insert (3) {HOSTILE_TEXT}", "why": "", "relation": "|mu_t| <= ||v||_2",
                     "latex": STEP_LATEX, "verdict": "refuted", "detail": "fails at w_2=1", "stage": "numeric",
                     "label": "(4)", "premises": ["(3)"],
                     "counterexample": {"point": {"w_2": "1", "g_t": "-1/2"}, "lhs": "3*a", "rhs": "a*b",
                                        "relation": "!=", "arithmetic": "exact rational"}}],
             witnesses=[{"kind": "exact", "name": "run_it", "verdict": "agrees", "observed": "fails",
                         "detail": f"measured {HOSTILE_TEXT}"}])
    r.update(kw)
    return r


def _passing_result(**kw) -> dict:
    r = dict(id="demo.ok", title="fine", topic="", source={"file": "notes_1.txt", "locator": "eq. (1)"}, also=[],
             statement="x = x", statement_latex="x = x", verdict="proved", expected="proved", message="",
             steps=[], witnesses=[{"kind": "exact", "name": "w", "verdict": "agrees", "observed": "holds",
                                   "detail": ""}], file="demo.py")
    r.update(kw)
    return r


def _render(results, errors=()):
    return render_check("markdown", results, summarize(results, errors=list(errors)))


def test_every_math_span_is_a_math_node_with_exactly_our_latex():
    out = _render([_failing_result(), _passing_result()])
    maths = [t.content.strip() for t in _tokens(out) if t.type in ("math_inline", "math_block")]
    # the statement in the table and as a display, the failing step as a display; nothing else is maths
    assert sorted(maths) == sorted([HARD_LATEX, HARD_LATEX, STEP_LATEX]), maths
    assert "$$\n" + HARD_LATEX + "\n$$" in out


def test_text_never_becomes_markup():
    out = _render([_failing_result()])
    kinds = {t.type for t in _tokens(out)}
    assert not kinds & {"em_open", "link_open", "html_inline", "html_block", "s_open", "image"}, kinds
    tokens = _tokens(out)
    strong = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "strong_open"]
    assert strong == ["all", "1", "1", "Does not pass:", "Statement:", "First failing step:", "Counterexample:",
                      "Witnesses:"]       # the totals row and our labels: nothing from the results' text
    texts = "".join(t.content for t in _tokens(out) if t.type in ("text", "code_inline"))
    assert f"A bound {HOSTILE_TEXT}" in texts          # the title reads exactly as written
    assert f"measured {HOSTILE_TEXT}" in texts          # and so does the witness's detail


def test_maths_an_author_wrote_in_a_title_rule_or_reading_is_maths_and_the_rest_text():
    def authored(**kw):
        r = _failing_result(title="Bound on $\\|w_i\\|^2$ for $a_i * b_j$ (costs $5 and $ 6)", statement_latex="",
                            statement="every $g_i$ with $|g_i| < a$ holds", **kw)
        r["steps"][1]["rule"] = "insert $x_{t-1}$ into (3)"
        return r
    out = _render([authored(), authored(id="demo.erratum", expected="refuted")])   # a failure, and an erratum
    tokens = _tokens(out)
    maths = [t.content for t in tokens if t.type == "math_inline"]
    assert maths.count("\\|w_i\\|^2") == 1 and maths.count("a_i * b_j") == 1     # the failing claim's title
    assert maths.count("x_{t-1}") == 2             # its rule, and the erratum's in the errata table
    assert maths.count("g_i") == 2 and maths.count("|g_i| < a") == 2               # statement: table and section
    assert not {t.type for t in tokens} & {"em_open", "link_open", "html_inline", "s_open"}
    texts = "".join(t.content for t in tokens if t.type == "text")
    assert "(costs $5 and $ 6)" in texts                     # unpaired or spaced dollars stay text
    row = next(ln for ln in out.splitlines() if ln.startswith("| `demo.erratum` |"))
    assert r"(insert $x_{t-1}$ into (3))" in row and r"$\|g_i\| < a$" in out


def test_table_rows_keep_their_columns_with_pipes_in_maths_and_text():
    out = _render([_failing_result(), _failing_result(id="demo.second", statement_latex=r"|x| = \|y\|")])
    md = _md()
    tokens = md.parse(out)
    tables, row = [], None
    for t in tokens:
        if t.type == "table_open":
            tables.append([])
        elif t.type == "tr_open":
            row = []
        elif t.type in ("th_open", "td_open"):
            row.append(t)
        elif t.type == "tr_close":
            tables[-1].append(len(row))
    assert len(tables) == 2                     # per source, and not as expected
    for widths in tables:
        assert len(set(widths)) == 1, widths
    cells = [t for t in _tokens(out) if t.type == "math_inline"]
    assert [c.content for c in cells] == [HARD_LATEX, r"|x| = \|y\|"]


def test_the_failing_claim_section_has_statement_step_counterexample_and_witness():
    out = _render([_failing_result(), _passing_result()])
    assert "### Not as expected (1)" in out and "demo.ok" not in out.split("### Not as expected")[1]
    section = out.split("#### `demo.norm_bound`: refuted, expected proved", 1)[1]
    assert "**Does not pass:** verdict refuted, expected proved" in section
    assert "**First failing step:** step 2 (4): refuted (rule: insert (3)" in section
    assert "$$\n" + STEP_LATEX + "\n$$" in section
    assert "**Counterexample:** `at g_t=-1/2, w_2=1: 3*a != a*b (exact rational)`" in section
    assert "- exact `run_it` agrees (observed: the statement fails): measured " in section


def test_an_unproved_or_witness_failure_shows_why():
    unproved = _failing_result(id="demo.open", verdict="unproved", first_failing_step=None, counterexample=None)
    unproved["steps"][1].update(verdict="unproved", counterexample=None, detail="no exact reduction found")
    disagreeing = _passing_result(id="demo.wit", witnesses=[{"kind": "estimate", "name": "mc", "verdict": "disagrees",
                                                            "observed": "fails", "detail": "z = 9.1"}])
    out = _render([unproved, disagreeing])
    assert "**First failing step:** step 2 (4): unproved" in out and "no exact reduction found" in out
    assert "**Counterexample:**" not in out
    assert "**Does not pass:** witness mc disagrees: z = 9.1" in out


def test_no_section_when_everything_is_as_expected_and_load_errors_are_listed():
    out = _render([_passing_result()])
    assert "Not as expected" not in out and "$" not in out.split("\n\n", 1)[1]
    out = _render([_passing_result()], errors=[{"file": "x.py", "text": "x.py:3: SyntaxError: bad *thing*"}])
    assert "### Files that could not be loaded (1)" in out and r"x.py:3: SyntaxError: bad \*thing\*" in out


@pytest.mark.parametrize("raw", ["plain", "a_b c_d", "x_1 * y_2", "_lead", "trail_", "$x$", "[a](b)", "<i>x</i>",
                                 "|a|b|", r"back\slash", "~~s~~", "&amp;", "`code`"])
def test_text_escaping_round_trips(raw):
    rendered = _md().render(markdown.text(raw)).strip()
    assert rendered == "<p>" + raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</p>"


@pytest.mark.parametrize("raw", ["- item", "+ item", "2. two", "10) ten", "# heading", "> quote", "=== x", "---",
                                 "1.5 is a number", "3 steps"])
def test_a_line_never_starts_a_block(raw):
    rendered = _md().render(markdown.line(raw)).strip()
    assert rendered == "<p>" + raw.replace(">", "&gt;") + "</p>"
    assert markdown.line("1.5 is a number") == "1.5 is a number"       # escaped only where it could act


def test_code_span_with_backticks():
    assert markdown.code("a`b") == "``a`b``"
    assert _md().render(markdown.code("`x`")).strip() == "<p><code>`x`</code></p>"


def test_audit_markdown_keeps_its_maths_and_escapes_its_text():
    from proofs.audit.render import render_markdown
    pair = {"file": "notes_v2.md", "line": 5, "verdict": "refuted", "left_latex": HARD_LATEX, "relation": "=",
            "right_latex": r"\|v\|_{2}", "counterexample": {"point": {"w_1": "1"}, "lhs": "2*a*b", "rhs": "a*b*c"}}
    doc = {"file": "notes_v2.md", "rows": 3, "rows_parsed": 3, "counts": {"refuted": 1}, "pairs": [pair]}
    out = render_markdown([doc])
    tokens = _tokens(out)
    assert [t.content for t in tokens if t.type == "math_inline"] == [HARD_LATEX, r"\|v\|_{2}"]
    assert not {t.type for t in tokens} & {"em_open", "link_open", "html_inline", "s_open"}
    assert "left = 2*a*b, right = a*b*c" in "".join(t.content for t in tokens if t.type == "text")
