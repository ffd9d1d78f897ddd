"""The command line, end to end: real ``python cli.py`` subprocesses in a temp cwd."""
import json
import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = FIXTURES / "good"
WRONG = FIXTURES / "wrong_expected"
BAD = FIXTURES / "bad"


def _no_traceback(proc):
    assert "Traceback" not in proc.stdout
    assert "Traceback" not in proc.stderr


def _json(proc):
    return json.loads(proc.stdout)


# -- --help ------------------------------------------------------------------------------------

def test_help_is_fast_and_imports_nothing_heavy(run_cli):
    t0 = time.perf_counter()
    proc = run_cli("--help", python_flags=("-X", "importtime"))
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 0
    assert "check" in proc.stdout and "list" in proc.stdout and "show" in proc.stdout
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert not {m for m in imported if m.split(".")[0] in ("sympy", "numpy", "proofs", "derivations")}
    assert elapsed < 2.0          # the 0.3 s target is measured by bench/bench_cli.py


@pytest.mark.parametrize("command", ["check", "list", "show"])
def test_subcommand_help_imports_nothing_heavy(run_cli, command):
    proc = run_cli(command, "--help", python_flags=("-X", "importtime"))
    assert proc.returncode == 0
    assert " sympy" not in proc.stderr and " numpy" not in proc.stderr


# -- exit codes --------------------------------------------------------------------------------

def test_exit_0_when_every_claim_passes(run_cli):
    proc = run_cli("check", GOOD / "square.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^demo\.square\s+proved\s+witness: agrees", proc.stdout, re.M)
    assert "2 passed, 0 failed" in proc.stdout


def test_exit_1_when_expected_verdict_is_wrong(run_cli):
    proc = run_cli("check", WRONG)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "proved [expected refuted]" in proc.stdout
    _no_traceback(proc)


def test_exit_2_unknown_option(run_cli):
    proc = run_cli("check", "--no-such-option")
    assert proc.returncode == 2
    assert "unrecognized arguments" in proc.stderr


def test_exit_2_missing_path(run_cli):
    proc = run_cli("check", "no/such/file.py")
    assert proc.returncode == 2
    assert "no/such/file.py" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    _no_traceback(proc)


def test_exit_2_unknown_claim_id(run_cli):
    proc = run_cli("check", "demo.no_such_claim", GOOD)
    assert proc.returncode == 2
    assert "unknown claim id" in proc.stderr and "demo.no_such_claim" in proc.stderr


def test_exit_2_syntax_error_and_the_other_file_is_still_checked(run_cli, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(BAD / "syntax_error.py", folder / "syntax_error.py")
    shutil.copy(GOOD / "square.py", folder / "square.py")
    proc = run_cli("check", "mixed")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert re.search(r"^demo\.square\s+proved", proc.stdout, re.M)
    assert re.search(r"^demo\.difference_of_squares\s+proved", proc.stdout, re.M)
    errors = [line for line in proc.stderr.splitlines() if "SyntaxError" in line]
    assert errors == ["mixed/syntax_error.py:9: SyntaxError: invalid syntax. Perhaps you forgot a comma?"] or \
        (len(errors) == 1 and errors[0].startswith("mixed/syntax_error.py:9: SyntaxError: "))
    _no_traceback(proc)


def test_exit_2_takes_precedence_over_1(run_cli, tmp_path):
    shutil.copy(BAD / "syntax_error.py", tmp_path / "syntax_error.py")
    shutil.copy(WRONG / "square_expected_refuted.py", tmp_path / "wrong.py")
    proc = run_cli("check", tmp_path)
    assert proc.returncode == 2
    assert "proved [expected refuted]" in proc.stdout


def test_exit_5_when_k_matches_nothing(run_cli):
    proc = run_cli("check", GOOD, "-k", "nothing_matches_this")
    assert proc.returncode == 5
    assert "no claims selected" in proc.stderr


def test_exit_2_malformed_k(run_cli):
    proc = run_cli("check", GOOD, "-k", "square and (")
    assert proc.returncode == 2
    assert "-k" in proc.stderr
    _no_traceback(proc)


def test_k_and_id_selection(run_cli):
    proc = run_cli("check", GOOD, "-k", "square and not difference", "--format", "json")
    assert proc.returncode == 0
    assert [c["id"] for c in _json(proc)["claims"]] == ["demo.square"]
    proc = run_cli("check", "demo.difference_of_squares", GOOD, "--format", "json")
    assert [c["id"] for c in _json(proc)["claims"]] == ["demo.difference_of_squares"]
    proc = run_cli("check", "demo", GOOD, "--format", "json")      # dotted prefix
    assert len(_json(proc)["claims"]) == 2


def test_internal_error_is_one_line_and_exit_3(monkeypatch, capsys):
    import cli

    def boom(args):
        raise RuntimeError("something inside broke\nsecond line")

    monkeypatch.setitem(cli.COMMANDS, "check", boom)
    assert cli.main(["check"]) == 3
    err = capsys.readouterr().err
    assert err.strip().splitlines() == ["derivcheck: internal error: RuntimeError: something inside broke second line "
                                        "(use --debug for the traceback)"]
    assert cli.main(["check", "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


# -- formats -----------------------------------------------------------------------------------

def test_json_output_has_the_schema_fields(run_cli):
    from proofs.results import SCHEMA
    proc = run_cli("check", GOOD, WRONG, "--format", "json")
    assert proc.returncode == 1
    data = _json(proc)
    assert data["schema"] == SCHEMA
    ids = [c["id"] for c in data["claims"]]
    assert ids == sorted(ids) == ["demo.difference_of_squares", "demo.square", "wrong.square_expected_refuted"]
    s = data["summary"]
    for key in ("total", "passed", "failed", "by_verdict", "witnesses", "errors", "seed", "versions", "seconds"):
        assert key in s
    assert (s["total"], s["passed"], s["failed"]) == (3, 2, 1)
    assert s["by_verdict"] == {"proved": 3}
    assert s["witnesses"] == {"agrees": 2, "disagrees": 0, "error": 0}
    assert set(s["versions"]) >= {"derivcheck", "sympy", "numpy", "python"}
    for c in data["claims"]:
        assert {"verdict", "expected", "steps", "witnesses", "message", "seconds", "cached"} <= set(c)
    assert proc.stdout == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_junit_parses_with_one_testcase_per_claim(run_cli):
    proc = run_cli("check", GOOD, WRONG, BAD / "no_steps.py", "--format", "junit")
    assert proc.returncode == 1
    suite = ET.fromstring(proc.stdout)
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    assert sorted(c.get("name") for c in cases) == ["bad.no_steps", "demo.difference_of_squares", "demo.square",
                                                     "wrong.square_expected_refuted"]
    by_name = {c.get("name"): c for c in cases}
    assert by_name["demo.square"].find("failure") is None and by_name["demo.square"].find("error") is None
    assert by_name["demo.square"].get("classname") == "algebra demo"
    assert by_name["wrong.square_expected_refuted"].find("failure") is not None
    assert by_name["bad.no_steps"].find("error") is not None
    assert suite.get("tests") == "4" and suite.get("failures") == "1" and suite.get("errors") == "1"


def test_output_file_is_written_and_stdout_has_the_summary(run_cli, tmp_path):
    proc = run_cli("check", GOOD, "--format", "json", "-o", "report.json")
    assert proc.returncode == 0
    data = json.loads((tmp_path / "report.json").read_text())
    assert len(data["claims"]) == 2
    assert proc.stdout.strip().splitlines() == [proc.stdout.strip()]
    assert "2 passed, 0 failed" in proc.stdout
    proc = run_cli("check", GOOD, "-o", "report.txt")
    text = (tmp_path / "report.txt").read_text()
    assert "demo.square" in text and "\x1b[" not in text


def test_no_colour_when_not_a_tty(run_cli):
    proc = run_cli("check", WRONG)
    assert "\x1b[" not in proc.stdout


def test_j1_and_j2_give_identical_json_apart_from_seconds(run_cli):
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "seconds"}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    runs = [run_cli("check", GOOD, WRONG, FIXTURES / "collect", "--no-cache", "--format", "json", "-j", j)
            for j in ("1", "2")]
    assert [p.returncode for p in runs] == [1, 1]
    a, b = (strip(_json(p)) for p in runs)
    assert a == b
    assert len(a["claims"]) == 6


# -- bad input ---------------------------------------------------------------------------------

ENGINE_ERRORS = [
    ("undefined_symbol.py", "bad.undefined_symbol", "error"),
    ("step_not_expression.py", "bad.step_not_expression", "error"),
    ("no_steps.py", "bad.no_steps", "error"),
]


@pytest.mark.parametrize("name, claim_id, verdict", ENGINE_ERRORS)
def test_engine_side_bad_input_is_a_one_line_error(run_cli, name, claim_id, verdict):
    proc = run_cli("check", BAD / name, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (c,) = _json(proc)["claims"]
    assert c["id"] == claim_id and c["verdict"] == verdict
    assert claim_id in c["message"] and "\n" not in c["message"]
    assert name in c["message"]
    _no_traceback(proc)


def test_witness_that_raises_is_reported_not_crashed(run_cli):
    proc = run_cli("check", BAD / "witness_raises.py", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (c,) = _json(proc)["claims"]
    # the engine may report the claim as error or keep its verdict and mark the witness error
    assert c["verdict"] == "error" or [w["verdict"] for w in c["witnesses"]] == ["error"]
    text = c["message"] if c["verdict"] == "error" else c["witnesses"][0]["detail"]
    assert "bad.witness_raises" in text and "\n" not in text and "blew up" in text
    _no_traceback(proc)


def test_step_not_expression_names_the_step(run_cli):
    proc = run_cli("check", BAD / "step_not_expression.py", "--format", "json")
    (c,) = _json(proc)["claims"]
    assert "step 1" in c["message"]


def test_import_error_is_a_load_error(run_cli):
    proc = run_cli("check", BAD / "import_error.py")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if "import_error.py" in line]
    assert len(lines) == 1 and re.search(r"import_error\.py:4: ModuleNotFoundError: .*derivcheck_no_such_module_xyz",
                                         lines[0])
    _no_traceback(proc)


def test_hung_claim_times_out_and_the_others_are_reported(run_cli):
    t0 = time.perf_counter()
    proc = run_cli("check", BAD / "hung.py", "--timeout", "2", "-j", "1", "--format", "json")
    assert time.perf_counter() - t0 < 30
    assert proc.returncode == 1, proc.stderr
    claims = {c["id"]: c for c in _json(proc)["claims"]}
    assert claims["bad.hung"]["verdict"] == "timeout"
    assert claims["bad.hung"]["message"] == "timed out after 2 s"
    assert claims["bad.hung_neighbour"]["verdict"] == "proved"
    _no_traceback(proc)


def test_whole_bad_folder(run_cli):
    proc = run_cli("check", BAD, "--timeout", "2", "--format", "json")
    assert proc.returncode == 2                     # load errors win over failing claims
    data = _json(proc)
    verdicts = {c["id"]: c["verdict"] for c in data["claims"]}
    assert verdicts["bad.hung"] == "timeout" and verdicts["bad.hung_neighbour"] == "proved"
    assert verdicts["bad.no_steps"] == verdicts["bad.undefined_symbol"] == "error"
    assert sorted(e["file"].rsplit("/", 1)[-1] for e in data["summary"]["errors"]) == ["import_error.py",
                                                                                      "syntax_error.py"]
    _no_traceback(proc)


def test_debug_prints_tracebacks(run_cli):
    proc = run_cli("check", BAD / "undefined_symbol.py", "--debug")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "NameError" in proc.stderr
    proc = run_cli("check", BAD / "syntax_error.py", "--debug")
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr and "SyntaxError" in proc.stderr


def test_duplicate_ids_name_both_places(run_cli):
    proc = run_cli("check", FIXTURES / "dupes")
    assert proc.returncode == 2
    line = next(line for line in proc.stderr.splitlines() if "duplicate claim id" in line)
    assert "second.py:6" in line and "first.py:6" in line


# -- list and show -----------------------------------------------------------------------------

def test_list_text_and_json(run_cli):
    proc = run_cli("list", GOOD)
    assert proc.returncode == 0
    assert re.search(r"^demo\.square\s+proved\s+Square of a sum\s+\[notes\.txt eq\. \(1\)\]", proc.stdout, re.M)
    proc = run_cli("list", GOOD, "--format", "json", "-k", "difference")
    data = _json(proc)
    assert [c["id"] for c in data["claims"]] == ["demo.difference_of_squares"]
    assert data["claims"][0]["source"] == {"file": "notes.txt", "locator": "eq. (2)"}


def test_list_catalog(run_cli):
    proc = run_cli("list", "--format", "json")
    assert proc.returncode in (0, 2), proc.stderr     # 2 only if a catalog module is broken right now
    claims = _json(proc)["claims"]
    assert claims and all(c["file"].startswith("derivations/") for c in claims)


def test_show_prints_steps_and_witnesses(run_cli):
    proc = run_cli("show", "demo.square", GOOD)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "demo.square: Square of a sum" in out
    assert re.search(r"^    \[1\] proved  \(engine stage: \w+\)\n        rule: expand$", out, re.M)
    assert "witnesses (1):" in out and "exact" in out
    assert out.rstrip().splitlines()[-1] == "proved, as expected"
    proc = run_cli("show", "demo.nope", GOOD)
    assert proc.returncode == 2


def test_show_refuted_step_lists_counterexample(run_cli, tmp_path):
    (tmp_path / "false.py").write_text(
        "import sympy as sp\nfrom proofs import Source, claim\n\n\n"
        "@claim(id='demo.false_square', title='A false square', source=Source('notes.txt', 'eq. (9)'),\n"
        "       expected='refuted')\n"
        "def false_square(d):\n"
        "    a, b = d.symbols('a b', real=True)\n"
        "    d.chain((a + b)**2).eq(a**2 + b**2, rule='expand')\n"
        "    d.statement(sp.Eq((a + b)**2, a**2 + b**2))\n")
    proc = run_cli("show", "demo.false_square", "false.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"\[1\] refuted", proc.stdout)
    assert "counterexample" in proc.stdout


# -- pure parts: outcome and renderers ---------------------------------------------------------

def _result(**kw):
    base = dict(id="t.x", title="T", topic="", source={"file": "f", "locator": "l"}, verdict="proved",
                expected="proved", message="", witnesses=[], steps=[], seconds=0.5, cached=False, loud="", file="f.py")
    base.update(kw)
    return base


def test_outcome_passed_and_reasons():
    from proofs.outcome import exit_code, failure_reason, passed, witness_summary
    ok = _result(witnesses=[{"verdict": "agrees", "name": "w"}])
    assert passed(ok) and failure_reason(ok) == "" and witness_summary(ok) == "agrees"
    wrong = _result(verdict="refuted")
    assert not passed(wrong) and failure_reason(wrong) == "verdict refuted, expected proved"
    dis = _result(witnesses=[{"verdict": "agrees", "name": "a"}, {"verdict": "disagrees", "name": "b", "detail": "x"}])
    assert not passed(dis) and "witness b disagrees" in failure_reason(dis) and witness_summary(dis) == "disagrees"
    t = _result(verdict="timeout", message="timed out after 2 s")
    assert failure_reason(t) == "timeout: timed out after 2 s"
    assert exit_code([ok]) == 0 and exit_code([ok, wrong]) == 1 and exit_code([]) == 5
    assert exit_code([ok], errors=[{"file": "x"}]) == 2 and exit_code([], errors=[{"file": "x"}]) == 2
    assert witness_summary(_result()) == "none"


def test_show_prints_a_counterexample_once_whatever_the_step_detail_says():
    from proofs.render.text import render_show
    cex = {"point": {"y (from the premises)": "2", "x": "1"}, "lhs": "2", "rhs": "3", "relation": "!=",
           "arithmetic": "exact rational"}
    step = {"index": 1, "rule": "expand", "relation": "x + 1 = 3", "verdict": "refuted", "stage": "numeric",
            "detail": "fails at x=1: 2 != 3 (exact rational)", "counterexample": cex, "premises": ["(1)", "(1)"]}
    r = _result(verdict="refuted", expected="refuted", first_failing_step=1, counterexample=cex, steps=[step],
                message="refuted at step 1: at x=1, y (from the premises)=2: 2 != 3")
    out = render_show(r)
    assert out.count("x=1") == 1 and "  counterexample: at x=1, y (from the premises)=2: 2 != 3 (exact rational)" in out
    assert "using: (1)\n" in out and out.rstrip().endswith("refuted, as expected (erratum)")


def test_text_renderer_colour_and_loud_line():
    from proofs.outcome import summarize
    from proofs.render import render_check
    rs = [_result(), _result(id="t.y", verdict="unproved", loud="symbolic proved but witness disagrees")]
    s = summarize(rs, seed=0, versions={}, seconds=1.0)
    plain = render_check("text", rs, s)
    assert "\x1b[" not in plain
    assert "!! symbolic proved but witness disagrees" in plain
    assert "unproved [expected proved]" in plain
    coloured = render_check("text", rs, s, color=True)
    assert "\x1b[32m" in coloured and "\x1b[33m" in coloured


def test_use_color_respects_no_color(monkeypatch):
    from proofs.render import use_color

    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())
    monkeypatch.setenv("NO_COLOR", "")          # no-color.org: only a non-empty value turns colour off
    assert use_color(Tty())


def test_junit_escapes_and_is_valid_xml():
    from proofs.outcome import summarize
    from proofs.render import render_check
    rs = [_result(id="t.<&>", verdict="error", message='bad "quote" & <tag> \x01')]
    xml = render_check("junit", rs, summarize(rs, errors=[{"file": "a.py", "line": 1, "message": "m", "text": "a.py:1: m"}]))
    suite = ET.fromstring(xml)
    assert [c.get("name") for c in suite.findall("testcase")] == ["t.<&>", "a.py"]
    assert suite.find("testcase/error").get("message").startswith("error: bad \"quote\"")


# -- errata, witnesses, progress, help: what a student and a CI log see ------------------------------

ERRATA = """\
import time

import sympy as sp

from proofs import Source, claim


@claim(id="demo.bound", title="y stays below 1 (as printed)", source=Source("notes.txt", "eq. (5)"),
       expected="refuted")
def bound(d):
    x = d.symbol("x", bounds=(0, 1))
    y = d.symbol("y", real=True)
    d.given(sp.Eq(y, 2 * x), label="(4)", why="the definition of y")
    d.assume(x > sp.Rational(1, 3), why="the source's regime")
    d.step((y > 0, y < 1), rule="(4) with 0 < x < 1")
    d.statement((y > 0, y < 1))


@bound.witness("exact")
def _bound_run(w):
    return w.observe(False, "x = 3/4 gives y = 3/2, not below 1")


@claim(id="demo.bound.corrected", title="y stays below 2", source=Source("notes.txt", "eq. (5), corrected"),
       corrects="demo.bound")
def bound_corrected(d):
    x = d.symbol("x", bounds=(0, 1))
    y = d.symbol("y", real=True)
    d.given(sp.Eq(y, 2 * x), label="(4)")
    d.step(y < 2, rule="(4) with x < 1")
    d.statement(y < 2)


@bound_corrected.witness("exact")
def _corrected_run(w):
    return w.observe(True, "y = 2x < 2 on a grid of x")


@claim(id="demo.one_step", title="A single step, no witness", source=Source("notes.txt", "eq. (6)"))
def one_step(d):
    a = d.symbol("a", real=True)
    d.step(sp.Eq(a * (a + 1), a**2 + a), rule="expand")
    d.statement(sp.Eq(a * (a + 1), a**2 + a))
"""


@pytest.fixture
def errata(tmp_path):
    (tmp_path / "errata.py").write_text(ERRATA)
    return "errata.py"


def test_show_an_erratum_as_a_student_reads_it(run_cli, errata):
    proc = run_cli("show", "demo.bound", errata)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    lines = out.rstrip().splitlines()
    assert lines[-1] == "refuted, as expected (erratum)" and "PASS" not in out
    assert "  corrected by: demo.bound.corrected" in lines
    assert "  givens (1):" in lines and "    (4): y = 2*x" in lines and "        why: the definition of y" in lines
    assert "  assumptions (unchecked) (1):" in lines and any(ln.endswith(": x > 1/3") for ln in lines)
    assert "  verdict:   refuted at step 1 (erratum, as expected)" in lines
    # the counterexample once, in one order, and an inequality read as one (no '=' ... '!=' pair)
    assert out.count("x=1/2, y=1") == 1
    assert "  counterexample: at x=1/2, y=1: y < 1 fails (1 - y = 0, not > 0) (exact rational)" in lines
    assert "!=" not in out and "violates" not in out
    assert "        counterexample: the one above" in lines
    # the engine's stage apart from the author's rule; repeated premises once
    assert "    [1] refuted  (engine stage: sign)" in lines and "        rule: (4) with 0 < x < 1" in lines
    assert " via " not in out
    assert "        using: step 1" in lines and "step 1, step 1" not in out
    data = json.loads(run_cli("show", "demo.bound", errata, "--format", "json").stdout)["claim"]
    assert data["steps"][-1]["premises"] == ["step 1", "step 1"]      # the result keeps what the engine recorded
    assert data["corrected_by"] == ["demo.bound.corrected"]


def test_show_a_correction_and_a_one_step_claim(run_cli, errata):
    out = run_cli("show", "demo.bound.corrected", errata).stdout
    assert "  corrects:  demo.bound (the erratum this claim corrects)" in out and "corrected by" not in out
    out = run_cli("show", "demo.one_step", errata).stdout
    assert "  message:   proved: 1 step and the conclusion reduce exactly" in out
    assert "    no witness: nothing ran the process this claim is about" in out
    assert out.rstrip().splitlines()[-1] == "proved, as expected"


def test_check_marks_errata_and_claims_without_a_witness_in_plain_text(run_cli, errata):
    proc = run_cli("check", errata)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "\x1b[" not in proc.stdout
    assert re.search(r"^demo\.bound\s+refuted \(erratum, as expected\)\s+witness: agrees", proc.stdout, re.M)
    assert re.search(r"^demo\.bound\.corrected\s+proved\s+witness: agrees", proc.stdout, re.M)
    flagged = re.search(r"^demo\.one_step\s+proved\s+witness: none.*\n    no witness: (.*)$", proc.stdout, re.M)
    assert flagged and "only the symbolic check speaks for it" in flagged.group(1)
    assert proc.stdout.count("no witness:") == 1


def test_check_explains_an_unexpected_refutation_with_the_counterexample_once(run_cli, tmp_path):
    (tmp_path / "slip.py").write_text(ERRATA.replace('expected="refuted")', 'expected="proved")'))
    proc = run_cli("check", "slip.py")
    assert proc.returncode == 1
    block = proc.stdout.split("demo.bound ", 1)[1].split("\ndemo.", 1)[0].splitlines()
    assert block[0].split() == ["refuted", "[expected", "proved]", "witness:", "agrees", block[0].split()[-1]]
    assert block[1:] == ["    verdict refuted, expected proved",
                         "    refuted at step 1: at x=1/2, y=1: y < 1 fails (1 - y = 0, not > 0) (exact rational)",
                         "    the stated result is false as well (refuted from the givens)"]
    assert "violates" not in proc.stdout


def test_progress_lines_on_stderr_for_a_long_run_without_a_terminal(run_cli, tmp_path):
    (tmp_path / "slow.py").write_text(ERRATA.replace(
        'def one_step(d):\n', 'def one_step(d):\n    time.sleep(2.6)\n'))
    proc = run_cli("check", "slow.py", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    progress = [ln for ln in proc.stderr.splitlines() if ln.startswith("derivcheck: ")]
    assert progress and len(progress) <= 3, proc.stderr        # a line every few seconds, not a flood
    assert re.fullmatch(r"derivcheck: \d/3 claims checked \(\d+ s\); running demo\.\w+", progress[0])
    assert progress[-1].startswith("derivcheck: 3/3 claims checked")
    assert "derivcheck:" not in proc.stdout and "\r" not in proc.stderr
    quick = run_cli("check", "errata.py", "--no-cache")
    assert "claims checked" not in quick.stderr                # a short run stays silent


def test_version_short_and_long(run_cli):
    for flag in ("-V", "--version"):
        proc = run_cli(flag)
        assert proc.returncode == 0 and re.fullmatch(r"derivcheck \d+\.\d+\.\d+\n", proc.stdout), proc.stdout


@pytest.mark.parametrize("command", ["check", "report"])
def test_help_says_what_markdown_and_j_mean(run_cli, command):
    out = " ".join(run_cli(command, "--help").stdout.split())
    assert "files checked at once; the claims of one file run one after another in one worker" in out
    if command == "check":
        assert "markdown: GitHub-flavoured Markdown" in out and "junit: JUnit XML for a CI test tab" in out


def test_check_markdown_lists_what_is_not_as_expected(run_cli):
    proc = run_cli("check", WRONG, GOOD, "--format", "markdown")
    assert proc.returncode == 1
    out = proc.stdout
    assert out.startswith("| source | claims |") and "### Not as expected (1)" in out
    section = out.split("#### `wrong.square_expected_refuted`: proved, expected refuted", 1)[1]
    assert "**Does not pass:** verdict proved, expected refuted" in section
    assert "$$\n\\left(a + b\\right)^{2} = a^{2} + 2 a b + b^{2}\n$$" in section
