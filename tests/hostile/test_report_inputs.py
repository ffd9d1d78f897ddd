"""Issue 9, "output stays valid": huge, broken and malformed inputs to ``report`` and the JUnit renderer.

* Output validity: a 1 MB title, a 10 MB detail, a figure title ``$\\frac{1}{$``, blank lines, ``]`` in an item
  label, thousands of premises and sides, maths nested 1000 deep or 100k characters long, lone surrogates,
  U+FFFE and escape sequences: all in one results file, compiled once; one test per case.
* Output paths TeX would misread (``r%1.tex``, ``r#1.tex``, ``with space.tex``, ``odd ~$&{}^_.tex``): the
  figure is drawn, included and compiled.
* Figures: ids differing only in case or punctuation get their own files; a user's own files in the figures
  folder are never deleted or overwritten; the tool's stale figures are.
* Malformed ``--from`` files and records (wrong types, missing id, duplicate ids, 100k-deep JSON, non-UTF-8, a
  5000-digit number, a file over the size limit, a folder): exit 2 and one line naming the file, record and
  field, never a traceback or "internal error".
* JUnit XML stays well-formed whatever the results hold (U+FFFE, U+FFFF, surrogates, control characters).
"""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from proofs.report import tex
from proofs.results import SCHEMA
from tests.hostile.test_report_injection import (HAVE_TEX, NO_TEX, WARNING, claim, figure, run_cli, sections_of,
                                                 witness, write_results)

MB = 2**20


# -- output validity: one results file, compiled once ------------------------------------------------

def _with_step(**over) -> list:
    return [dict(claim("_")["steps"][0], **over)]


VALIDITY = {
    "huge_title": dict(title="T" * MB),
    "huge_detail": dict(witnesses=[witness(detail="d " * (5 * MB))]),
    "broken_figure_title": dict(witnesses=[witness(figures=[figure(title=r"t $\frac{1}{$ u")])]),
    "blank_lines": dict(title="first\n\nsecond", reading="a\n\n\nb", notes=["x\r\n\r\ny"]),
    "brackets_in_labels": dict(givens=[{"label": "g]x[", "kind": "premise", "relation": "r", "latex": "x > 0",
                                        "why": "]"}], steps=_with_step(label="(3]")),
    "many_premises_and_sides": dict(steps=_with_step(premises=[f"p{i}" for i in range(3000)],
                                                     sides=[["x", "=", "x"]] * 3000)),
    "deep_maths": dict(statement_latex="{" * 1000 + "x" + "}" * 1000),
    "long_maths": dict(statement_latex="x + " * 25_000 + "x"),
    "non_characters": dict(title="a\ud800b\ufffec\uffff\x00d\x1b[31m", reading="\U0010ffff\ufdd0",
                           statement_latex="x\ufffe"),
    "escape_in_id": dict(statement_latex=r"\input{x}"),
    "huge_id": dict(),
    "lone_dollar_and_percent": dict(witnesses=[witness(figures=[figure(title="50% of $x", caption="a $ b % c")])]),
}
IDS = {"escape_in_id": "val.esc\x1b[2J\x07", "huge_id": "val." + "i" * 10_000}


def validity_id(case: str) -> str:
    return IDS.get(case, f"val.{case}")


@pytest.fixture(scope="module")
def validity(tmp_path_factory):
    work = tmp_path_factory.mktemp("validity")
    claims = [claim(validity_id(c), **over) for c, over in VALIDITY.items()]
    summary = {"seed": "not a number", "versions": ["not", "a", "map"], "errors": [1, "two", {"file": "f"}]}
    results = write_results(work / "val.json", claims, summary)
    out = work / "r.tex"
    proc, seconds = run_cli("report", "--from", results, "-o", out, *(["--pdf"] if HAVE_TEX else []), cwd=work)
    return {"proc": proc, "seconds": seconds, "tex": out.read_text() if out.exists() else "",
            "pdf": out.with_suffix(".pdf"), "log": out.with_suffix(".log"), "results": results}


@pytest.mark.parametrize("case", list(VALIDITY))
def test_output_stays_valid(validity, case):
    proc, text = validity["proc"], validity["tex"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr         # nothing a terminal would obey
    assert all(ord(ch) < 128 for ch in text) and "^^" not in text
    assert max(len(line) for line in text.splitlines()) <= 20_000
    cid = validity_id(case)
    part = sections_of(text, cid)
    assert part, case
    flat = part.replace(r"\allowbreak{}", "")
    if case == "huge_title":
        assert "more characters not shown" in part and len(part) < 100_000
    elif case == "huge_detail":
        assert "more characters not shown" in part and len(part) < 100_000
    elif case == "broken_figure_title":
        assert r"\texttt{\$\textbackslash{}frac\{1\}\{\$}" in part
        assert any(m and m["claim"] == cid and "figure 1 title" in m["field"]
                   for m in map(WARNING.match, proc.stderr.splitlines()))
    elif case == "blank_lines":
        assert part.startswith("first  second}\n") and r"\textbf{Read as:} a   b" in part
    elif case == "brackets_in_labels":
        assert r"\item[{g{]}x{[}}]" in part                # braced: no bracket can close the label
    elif case == "many_premises_and_sides":
        assert "2,950 more premises not shown" in flat and "2,950 more sides not shown" not in flat
        assert part.count(r"\dcdisplay{") < 100
    elif case in ("deep_maths", "long_maths"):
        why = "nested groups" if case == "deep_maths" else "longer than 20,000 characters"
        assert "not typeset" in flat and why in flat
    elif case == "non_characters":
        assert "a?b?c? d" in part
    elif case == "escape_in_id":
        line = [w for w in proc.stderr.splitlines() if "val.esc" in w]
        assert len(line) == 1 and WARNING.match(line[0]) and r"\x1b[2J\x07" in line[0]
    elif case == "huge_id":
        assert tex.label("claim", cid) in part and len(tex.label("claim", cid)) < 130
    elif case == "lone_dollar_and_percent":
        assert r"50\% of \$x" in part
    if not HAVE_TEX:
        pytest.skip(NO_TEX)
    assert validity["pdf"].is_file() and validity["seconds"] < 90
    log = validity["log"].read_text(errors="replace")
    assert not re.search(r"^!|^\S+\.tex:\d+: ", log, re.M)


# -- output paths TeX would misread ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["r%1.tex", "r#1.tex", "with space.tex", "odd ~$&{}^_.tex"])
def test_an_output_name_with_tex_specials_keeps_its_figures(tmp_path, name):
    pytest.importorskip("matplotlib", reason="figures need matplotlib")
    results = write_results(tmp_path / "res.json", [claim("fig.one", witnesses=[witness(figures=[figure()])])])
    out = tmp_path / name
    proc, _ = run_cli("report", "--from", results, "-o", out, *(["--pdf"] if HAVE_TEX else []), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    [path] = re.findall(r"\\includegraphics\[[^]]*\]\{([^}]*)\}", text)
    assert re.fullmatch(r"[A-Za-z0-9_-]+-figures/[a-z0-9-]+\.pdf", path), path
    assert (tmp_path / path).is_file()
    if not HAVE_TEX:
        pytest.skip(NO_TEX)
    assert out.with_suffix(".pdf").is_file()
    assert path in out.with_suffix(".log").read_text(errors="replace")       # pdflatex read the figure


# -- figure files: distinct per claim, never a user's file deleted or overwritten --------------------

def test_ids_differing_only_in_case_or_punctuation_get_their_own_figures(tmp_path):
    pytest.importorskip("matplotlib", reason="figures need matplotlib")
    ids = ["fig.a_b", "fig.a-b", "fig.A_b", "fig.a.b"]
    claims = [claim(i, witnesses=[witness(figures=[figure(title=f"figure of {i}")])]) for i in ids]
    results = write_results(tmp_path / "res.json", claims)
    proc, _ = run_cli("report", "--from", results, "-o", tmp_path / "r.tex", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "r.tex").read_text()
    paths = {i: re.findall(r"\\includegraphics\[[^]]*\]\{([^}]*)\}", sections_of(text, i)) for i in ids}
    assert all(len(p) == 1 for p in paths.values()), paths
    assert len({p[0] for p in paths.values()}) == len(ids)
    assert len(list((tmp_path / "r-figures").glob("*.pdf"))) == len(ids)


def test_a_report_never_deletes_or_overwrites_a_users_own_files(tmp_path):
    pytest.importorskip("matplotlib", reason="figures need matplotlib")
    from proofs.report.figures import figure_file_name
    folder = tmp_path / "paper-figures"
    folder.mkdir()
    mine = folder / "my-plot.pdf"
    mine.write_bytes(b"%PDF-1.5 the user's own plot")
    squatted = folder / figure_file_name("fig.two", "w", 1)          # the name a figure would get
    squatted.write_bytes(b"%PDF-1.5 the user's file that happens to have that name")
    one = write_results(tmp_path / "one.json", [claim("fig.one", witnesses=[witness(figures=[figure()])]),
                                                claim("fig.two", witnesses=[witness(figures=[figure()])])])
    proc, _ = run_cli("report", "--from", one, "-o", tmp_path / "paper.tex", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert squatted.read_bytes().endswith(b"happens to have that name")
    assert "was not written by derivcheck" in proc.stderr and "fig.two" in proc.stderr
    drawn = folder / figure_file_name("fig.one", "w", 1)
    assert drawn.is_file()
    two = write_results(tmp_path / "two.json", [claim("fig.three")])
    proc, _ = run_cli("report", "--from", two, "-o", tmp_path / "paper.tex", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not drawn.exists()                        # the tool's own figure, no longer drawn: removed
    assert mine.read_bytes() == b"%PDF-1.5 the user's own plot" and squatted.is_file()


def test_a_malformed_figure_record_is_not_drawn_and_the_rest_is_reported(tmp_path):
    pytest.importorskip("matplotlib", reason="figures need matplotlib")
    bad = dict(figure(title="no x values"), series=[{"label": "a", "style": "solid", "y": [1.0]}])
    nan = dict(figure(title="nan"), series=[{"label": "a", "style": "solid", "x": [1.0], "y": [float("nan")]}])
    results = write_results(tmp_path / "res.json", [claim("fig.bad", witnesses=[witness(figures=[bad, nan, figure()])])])
    proc, _ = run_cli("report", "--from", results, "-o", tmp_path / "r.tex", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [w for w in proc.stderr.splitlines() if "not drawn" in w]
    assert len(lines) == 2 and "figure 1 not drawn: malformed figure record" in lines[0]
    assert "figure 2 not drawn" in lines[1]
    assert len(re.findall(r"\\includegraphics", (tmp_path / "r.tex").read_text())) == 1


# -- malformed --from files and records: exit 2, one line ----------------------------------------------

def _doc(*claims) -> str:
    return json.dumps({"schema": SCHEMA, "claims": list(claims)})


MALFORMED = {
    "steps_not_a_list": (_doc(claim("m.a", steps="abc")), "claims[0] (claim 'm.a'): steps: expected a list"),
    "side_of_two": (_doc(claim("m.a", steps=_with_step(sides=[["x", "="]]))),
                    "steps[0].sides[0]: expected [lhs, op, rhs]"),
    "figures_not_a_list": (_doc(claim("m.a", witnesses=[dict(witness(), figures={"a": 1})])),
                           "witnesses[0].figures: expected a list"),
    "figure_x_strings": (_doc(claim("m.a", witnesses=[witness(figures=[dict(figure(), series=[
        {"label": "a", "style": "solid", "x": ["1"], "y": [1]}])])])), "series[0].x[0]: expected a number"),
    "figure_title_not_text": (_doc(claim("m.a", witnesses=[witness(figures=[dict(figure(), title=["t"])])])),
                              "figures[0].title: expected a string"),
    "missing_id": (_doc(claim("m.a"), {"title": "no id"}), "claims[1]: no id"),
    "record_not_an_object": (_doc(claim("m.a"), 7), "claims[1]: expected an object, got an integer"),
    "verdict_with_escape": (_doc(claim("m.a", verdict="proved\x1b[2J")), "verdict: 'proved\\x1b[2J' is not a verdict"),
    "duplicate_id": (_doc(claim("m.a"), claim("m.b"), claim("m.a")), "claims[2] (claim 'm.a'): a second record"),
    "point_not_an_object": (_doc(claim("m.a", counterexample={"point": [1], "lhs": "1", "rhs": "2"})),
                            "counterexample.point: expected an object"),
    "deep_json": ('{"schema": "derivcheck/1", "claims": ' + "[" * 100_000 + "]" * 100_000 + "}",
                  "nested too deeply"),
    "not_utf8": (b'{"schema": "derivcheck/1", "claims": [], "x": "\xff\xfe"}', "not UTF-8"),
    "huge_integer": ('{"schema": "derivcheck/1", "claims": [{"id": "m.a", "seconds": ' + "9" * 5000 + "}]}",
                     "not JSON"),
    "too_large": (None, "too large"),
    "a_folder": ("folder", "is a folder"),
    "claims_not_a_list": (json.dumps({"schema": SCHEMA, "claims": {"m.a": {}}}), "not a derivcheck results file"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_results_file_is_one_line_and_exit_2(tmp_path, case):
    content, expected = MALFORMED[case]
    path = tmp_path / "bad.json"
    if content is None:                  # a sparse file over the size limit: refused before it is read
        with open(path, "wb") as fh:
            fh.truncate(257 * MB)
    elif content == "folder":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    proc, seconds = run_cli("report", "--from", path, "-o", tmp_path / "r.tex", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"derivcheck: error: --from '{path}'"), lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr and "\x1b" not in proc.stderr
    assert len(lines[0]) < 600 and seconds < 30


def test_every_bad_record_is_named_and_the_exit_is_2(tmp_path):
    """Today the CLI stops at the first bad record (one line, with the count of the others); if it passes
    ``on_bad_record`` (the valid records still reported), each bad record gets its own line. Either way: 2."""
    path = tmp_path / "bad.json"
    path.write_text(_doc(claim("m.ok"), claim("m.a", steps=3), claim("m.b", notes="x"), claim("m.c", title=1)))
    out = tmp_path / "r.tex"
    proc, _ = run_cli("report", "--from", path, "-o", out, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert "claims[1] (claim 'm.a'): steps" in lines[0]
    if out.exists():
        assert len(lines) == 3 and "claims[3] (claim 'm.c'): title" in lines[2]
        assert r"\texttt{m.\allowbreak{}ok}" in out.read_text()
    else:
        assert len(lines) == 1 and lines[0].endswith("(and 2 more malformed records)")


def test_with_a_callback_the_valid_records_are_still_loaded(tmp_path):
    from proofs.report import build
    path = tmp_path / "bad.json"
    path.write_text(_doc(claim("m.ok"), claim("m.a", steps=3), claim("m.ok2")))
    lines = []
    claims, summary = build.load_results(path, on_bad_record=lines.append)
    assert [c["id"] for c in claims] == ["m.ok", "m.ok2"] and summary["total"] == 2
    assert len(lines) == 1 and "claims[1] (claim 'm.a')" in lines[0]


# -- JUnit XML stays well-formed ---------------------------------------------------------------------

NASTY = "a\ufffeb\uffffc\ud800d\x00e\x01f\x1b[0m\x0bg\x7f h\U0001f600"


@pytest.mark.parametrize("where", ["message", "witness_detail", "id_topic_file", "versions", "huge"])
def test_junit_is_well_formed_whatever_the_results_hold(where):
    from proofs.outcome import summarize
    from proofs.render.junit import render_check
    r = claim("j.a")
    summary_extra = {}
    if where == "message":
        r.update(verdict="error", message=NASTY, loud=NASTY)
    elif where == "witness_detail":
        r.update(witnesses=[dict(witness(detail=NASTY), verdict="disagrees")])
    elif where == "id_topic_file":
        r.update(id="j." + NASTY, topic=NASTY, file=NASTY, assuming=[NASTY], seconds="NaN")
    elif where == "versions":
        summary_extra = {"versions": {NASTY: NASTY}}
    else:
        r.update(verdict="error", message=NASTY * (2 * MB // len(NASTY)))
    summary = summarize([r], errors=[{"file": NASTY, "text": NASTY}], **summary_extra)
    xml = render_check([r], summary)
    xml.encode("utf-8")                               # no lone surrogate left
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuite" and len(root.findall("testcase")) == 2
    assert len(xml) < 1_000_000


def test_check_junit_of_a_witness_detail_with_non_characters_parses(tmp_path):
    src = tmp_path / "odd.py"
    src.write_text('from proofs import Source, claim\nimport sympy as sp\n\n'
                   '@claim(id="odd.detail", title="t", source=Source("n.tex", "1"), statement="x = x")\n'
                   'def odd(d):\n    x = d.symbol("x", real=True)\n'
                   '    d.step(sp.Eq(x + x, 2 * x, evaluate=False), rule="collect")\n'
                   '    d.statement(sp.Eq(x + x, 2 * x, evaluate=False))\n\n'
                   '@odd.witness("exact")\ndef _w(w):\n'
                   '    return w.observe(False, "bad \\ufffe detail \\uffff \\x01 \\x1b[31m", method="m", n=1)\n')
    out = tmp_path / "out.xml"
    proc, _ = run_cli("check", src, "--no-cache", "-j", "1", "--format", "junit", "-o", out, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    root = ET.parse(out).getroot()
    [failure] = root.iter("failure")
    assert "bad \ufffd detail \ufffd" in failure.get("message")


def test_a_lone_surrogate_survives_the_json_round_trip_into_a_report(tmp_path):
    from proofs.outcome import summarize
    from proofs.render.json_format import render_check
    r = claim("j.\ud800", title="t\udfff", witnesses=[witness(detail="d\ud800")])
    path = tmp_path / "res.json"
    path.write_bytes(render_check([r], summarize([r])).encode("utf-8"))      # writable as UTF-8
    assert json.loads(path.read_text("utf-8"))["claims"][0]["id"] == "j.\ud800"
    proc, _ = run_cli("report", "--from", path, "-o", tmp_path / "r.tex", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert r"\texttt{j.\allowbreak{}?}" in (tmp_path / "r.tex").read_text()
