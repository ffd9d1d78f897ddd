"""The pytest plugin (``proofs/pytest_plugin.py``): ``pytest --derivcheck`` on throw-away projects (pytester).

Runs are in-process (``inline_run``) where that suffices; the CLI and xdist runs are subprocesses.
"""
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "cli.py"

# claims in file order: slip (refuted, expected proved: fails), erratum (refuted as expected: passes),
# ewa (proved: passes), overclaim (proved, expected refuted: fails)
DERIVATION = '''
import os
import sympy as sp
from fractions import Fraction
from proofs import Source, claim

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "imports.log"), "a") as _log:
    _log.write(f"{os.getpid()}\\n")


@claim(id="demo.slip", title="a sign slip", source=Source("notes.tex", "Lemma 1"))
def slip(d):
    a, b = d.symbols("a b", real=True)
    d.step(sp.Eq((a + b) ** 2, a ** 2 + 2 * a * b + b ** 2), rule="expand")
    d.step(sp.Eq(a ** 2 + 2 * a * b + b ** 2, a ** 2 - 2 * a * b + b ** 2), rule="sign slip")
    d.statement(sp.Eq((a + b) ** 2, a ** 2 - 2 * a * b + b ** 2))


@slip.witness("exact")
def _slip_at_a_point(w):
    a, b = Fraction(1), Fraction(2)
    return w.observe((a + b) ** 2 == a * a - 2 * a * b + b * b, "evaluated at a=1, b=2", n=1)


@claim(id="demo.erratum", title="a known erratum", source=Source("notes.tex", "Lemma 2"), expected="refuted")
def erratum(d):
    a = d.symbol("a", positive=True)
    d.step(sp.Eq(a + a, 3 * a, evaluate=False), rule="add")
    d.statement(sp.Eq(a + a, 3 * a, evaluate=False))


@claim(id="demo.ewa", title="fixed point", source=Source("notes.tex", "Lemma 3"))
def ewa(d):
    rho = d.symbol("rho", bounds=(0, 1))
    c, m = d.symbols("c m", real=True)
    d.unknowns(m)
    d.given(sp.Eq(m, rho * m + (1 - rho) * c))
    d.step(sp.Eq((1 - rho) * m, (1 - rho) * c), rule="collect m")
    d.step(sp.Eq(m, c), rule="divide by 1 - rho")
    d.statement(sp.Eq(m, c))


@claim(id="demo.overclaim", title="proved but filed as an erratum", source=Source("notes.tex", "Lemma 4"),
       expected="refuted")
def overclaim(d):
    a = d.symbol("a", positive=True)
    d.step(sp.Eq(a + a, 2 * a, evaluate=False), rule="add")
    d.statement(sp.Eq(a + a, 2 * a, evaluate=False))
'''

WRONG_TEX = r"""\documentclass{article}
\begin{document}
% derivcheck: assume 0 < \rho < 1
% derivcheck: assume \sigma > 0
% derivcheck: unknown V
% derivcheck-audit
\begin{equation}
  V = \rho^{2} V + (1-\rho)^{2}\sigma^{2}
\end{equation}
\begin{align*}
  (1-\rho^2) V &= (1-\rho)^2 \sigma^2 \\
  V &= \frac{(1-\rho)^2}{1-\rho^2}\,\sigma^2 \\
    &= \frac{1-\rho}{1-\rho}\,\sigma^2 = \sigma^2 .
\end{align*}
\end{document}
"""

RIGHT_MD = r"""# Bias correction

<!-- derivcheck-audit -->
<!-- derivcheck: assume 0 < \beta < 1 -->
<!-- derivcheck: integer t -->
<!-- derivcheck: assume t \ge 1 -->

$$
\begin{aligned}
(1-\beta)\sum_{s=1}^{t} \beta^{t-s} &= (1-\beta)\frac{1-\beta^{t}}{1-\beta} \\
&= 1-\beta^{t}
\end{aligned}
$$
"""

ALL = {"demo.slip", "demo.erratum", "demo.ewa", "demo.overclaim"}


@pytest.fixture(autouse=True, scope="module")
def _heavy_modules_imported_once():
    """In-process runs restore ``sys.modules`` afterwards; NumPy's C core cannot be imported twice in a process,
    so import what the runner preloads before the first run (the plugin itself imports it only when needed)."""
    from proofs import runner
    runner._preload()


@pytest.fixture
def project(pytester):
    """A throw-away project: a derivation file, a wrong marked .tex, a right marked .md, an unmarked .md (the
    wrong one's twin), a helper module that does not import proofs and a private helper that does."""
    pytester.makefile(".py", **{"notes/derivation": DERIVATION})
    pytester.makefile(".tex", **{"notes/wrong": WRONG_TEX})
    pytester.makefile(".md", **{"notes/right": RIGHT_MD})
    pytester.makefile(".md", **{"notes/unmarked": RIGHT_MD.replace("<!-- derivcheck-audit -->", "").replace(
        "1-\\beta^{t}\n\\end", "1-\\beta^{t+1}\n\\end")})
    pytester.makefile(".py", **{"notes/plain": "x = 1\n"})
    pytester.makefile(".py", **{"notes/_helper": "from proofs import claim\n"})
    return pytester


def _calls(reprec):
    """{nodeid: report} of the items' call phase."""
    return {r.nodeid: r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"}


def _cli(cwd, *args):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, str(CLI), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_node_ids_and_what_is_collected(project):
    result = project.runpytest("--derivcheck", "--collect-only", "-q", "-p", "no:cacheprovider")
    ids = {line for line in result.outlines if "::" in line}
    assert ids == {f"notes/derivation.py::{c}" for c in ALL} | {"notes/wrong.tex::audit", "notes/right.md::audit"}
    # the claims come in file order
    order = [line.split("::")[1] for line in result.outlines if line.startswith("notes/derivation.py::")]
    assert order == ["demo.slip", "demo.erratum", "demo.ewa", "demo.overclaim"]


def test_without_the_option_nothing_is_collected_or_imported(project):
    project.makepyfile(test_ordinary="def test_ok():\n    assert True\n")
    reprec = project.inline_run("-p", "no:cacheprovider", "notes", "test_ordinary.py")
    reprec.assertoutcome(passed=1)
    assert set(_calls(reprec)) == {"test_ordinary.py::test_ok"}
    assert not (project.path / "notes" / "imports.log").exists()


def test_verdicts_errata_and_the_failure_message(project):
    reprec = project.inline_run("--derivcheck", "-p", "no:cacheprovider", "notes/derivation.py")
    calls = _calls(reprec)
    outcome = {nid.split("::")[1]: r.outcome for nid, r in calls.items()}
    assert outcome == {"demo.slip": "failed", "demo.erratum": "passed", "demo.ewa": "passed",
                       "demo.overclaim": "failed"}
    slip = str(calls["notes/derivation.py::demo.slip"].longrepr)
    lines = [line.strip() for line in slip.splitlines()]
    assert lines[0].startswith("demo.slip  refuted [expected proved]")
    assert "refuted at step 2: at a=1, b=1: 4 != 0 (exact rational)" in lines       # where, and the counterexample
    step = lines.index("first failing step:")
    assert lines[step + 1].startswith("[2] refuted")
    assert lines[step + 2:step + 4] == ["rule: sign slip", "a**2 + 2*a*b + b**2 = a**2 - 2*a*b + b**2"]
    witnesses = lines.index("witnesses:")
    assert lines[witnesses + 1].startswith("exact slip_at_a_point: agrees  observed fails")
    assert lines[witnesses + 2] == "evaluated at a=1, b=2"
    assert "Traceback" not in slip
    over = str(calls["notes/derivation.py::demo.overclaim"].longrepr)
    assert "verdict proved, expected refuted" in over
    # user code ran only in forked children, never in this (the pytest) process
    pids = set((project.path / "notes" / "imports.log").read_text().split())
    assert pids and str(os.getpid()) not in pids


def test_k_selects_claims(project):
    reprec = project.inline_run("--derivcheck", "-p", "no:cacheprovider", "notes", "-k", "erratum or ewa")
    assert set(_calls(reprec)) == {"notes/derivation.py::demo.erratum", "notes/derivation.py::demo.ewa"}
    reprec.assertoutcome(passed=2)


def test_x_stops_at_the_first_failure(project):
    reprec = project.inline_run("--derivcheck", "-p", "no:cacheprovider", "notes/derivation.py", "-x")
    calls = _calls(reprec)
    assert list(calls) == ["notes/derivation.py::demo.slip"]
    assert calls["notes/derivation.py::demo.slip"].failed


def test_lf_reruns_only_the_failed_claims(project):
    first = _calls(project.inline_run("--derivcheck", "notes/derivation.py"))
    assert {n for n, r in first.items() if r.failed} == {"notes/derivation.py::demo.slip",
                                                       "notes/derivation.py::demo.overclaim"}
    second = project.inline_run("--derivcheck", "notes/derivation.py", "--lf")
    assert set(_calls(second)) == {"notes/derivation.py::demo.slip", "notes/derivation.py::demo.overclaim"}
    second.assertoutcome(failed=2)


def test_audit_documents(project):
    reprec = project.inline_run("--derivcheck", "-p", "no:cacheprovider", "notes", "-k", "audit")
    calls = _calls(reprec)
    assert set(calls) == {"notes/wrong.tex::audit", "notes/right.md::audit"}
    assert calls["notes/right.md::audit"].passed
    wrong = calls["notes/wrong.tex::audit"]
    assert wrong.failed
    text = str(wrong.longrepr)
    assert "notes/wrong.tex:13: ✗ refuted" in text
    assert "counterexample: at \\rho = 1/2, \\sigma = 1; left = 1/3, right = 1" in text
    assert "✓" not in text.splitlines()[0]                   # only failing pairs are listed
    assert "1 refuted" in text.splitlines()[-1]


def test_audit_glob_option_for_unmarked_documents(project):
    reprec = project.inline_run("--derivcheck", "-p", "no:cacheprovider", "notes", "-k", "audit",
                                "--derivcheck-audit", "notes/unm*.md")
    calls = _calls(reprec)
    assert set(calls) == {"notes/wrong.tex::audit", "notes/right.md::audit", "notes/unmarked.md::audit"}
    assert calls["notes/unmarked.md::audit"].failed
    assert "refuted" in str(calls["notes/unmarked.md::audit"].longrepr)


def test_a_file_that_cannot_be_loaded_is_one_failing_item(project):
    project.makefile(".py", **{"notes/broken": "from proofs import claim\n\ndef f(:\n"})
    reprec = project.inline_run("--derivcheck", "-p", "no:cacheprovider", "notes", "-k", "not audit")
    calls = _calls(reprec)
    broken = calls["notes/broken.py::derivcheck-load"]
    assert broken.failed and "SyntaxError" in str(broken.longrepr)
    assert len(str(broken.longrepr).splitlines()) == 1
    assert calls["notes/derivation.py::demo.ewa"].passed     # the other file is still checked


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_the_timeout_is_the_runners_and_nothing_is_left_running(pytester):
    pytester.makefile(".py", loops='''
import os, subprocess
from proofs import Source, claim

@claim(id="demo.loops", title="never ends", source=Source("x", "y"))
def loops(d):
    child = subprocess.Popen(["sleep", "60"])
    with open("pids.txt", "a") as fh:
        fh.write(f"{os.getpid()}\\n{child.pid}\\n")
    while True:
        pass
''')
    pytester.makefile(".py", hangs_at_import="from proofs import claim\nwhile True:\n    pass\n")
    reprec = pytester.inline_run("--derivcheck", "-p", "no:cacheprovider", "--derivcheck-timeout", "1.5",
                                 "loops.py", "hangs_at_import.py")
    calls = _calls(reprec)
    loops = calls["loops.py::demo.loops"]
    assert loops.failed and "timed out after 1.5 s" in str(loops.longrepr)
    hangs = calls["hangs_at_import.py::derivcheck-load"]
    assert hangs.failed and "importing the file took longer than 1.5 s" in str(hangs.longrepr)
    pids = [int(p) for p in (pytester.path / "pids.txt").read_text().split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in pids if _alive(p)]
    for p in left:
        os.kill(p, 9)
    assert not left, f"left running: {left}"


def test_the_cache_is_shared_with_the_cli(project):
    cli = _cli(project.path, "check", "notes/derivation.py")
    assert cli.returncode == 1, cli.stderr                 # two claims do not pass
    result = project.runpytest_subprocess("--derivcheck", "-p", "no:cacheprovider", "notes/derivation.py")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["derivcheck: 4 claims run, 4 from the cache"])
    # the content changes: nothing of the old entry is reported
    path = project.path / "notes" / "derivation.py"
    path.write_text(path.read_text().replace('expected="refuted")\ndef overclaim', 'expected="proved")\ndef overclaim'))
    result = project.runpytest_subprocess("--derivcheck", "-p", "no:cacheprovider", "notes/derivation.py")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["derivcheck: 4 claims run, 0 from the cache"])
    # and what pytest computed is a cache hit for the CLI
    cli = _cli(project.path, "check", "notes/derivation.py", "--format", "json")
    assert cli.returncode == 1
    claims = json.loads(cli.stdout)["claims"]
    assert {c["id"]: (c["verdict"], c["cached"]) for c in claims} == {
        "demo.slip": ("refuted", True), "demo.erratum": ("refuted", True), "demo.ewa": ("proved", True),
        "demo.overclaim": ("proved", True)}


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed")
def test_xdist(project):
    result = project.runpytest_subprocess("--derivcheck", "-p", "no:cacheprovider", "--derivcheck-no-cache",
                                          "-n", "2", "notes")
    result.assert_outcomes(passed=3, failed=3)
    out = result.stdout.str()
    for nodeid in ("notes/derivation.py::demo.slip", "notes/derivation.py::demo.overclaim", "notes/wrong.tex::audit"):
        assert f"FAILED {nodeid}" in out
    assert "derivcheck: 4 claims run, 0 from the cache" in out


def test_the_examples_folder():
    """``pytest --derivcheck examples/`` from the checkout, as the README says (without the cache: it would go
    into the checkout)."""
    r = subprocess.run([sys.executable, "-m", "pytest", "--derivcheck", "--derivcheck-no-cache", "-p",
                        "no:cacheprovider", "-v", "examples/"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "examples/my_derivation.py::example.ewa_fixed_point PASSED" in r.stdout
    assert "1 passed" in r.stdout


def test_what_counts_as_a_derivation_file_or_a_marked_document(tmp_path):
    from proofs.hooks import is_derivation_file, is_marked_document

    def write(name, text):
        (tmp_path / name).write_text(text)
        return tmp_path / name

    assert is_derivation_file(write("a.py", "from proofs import claim\n"))
    assert is_derivation_file(write("b.py", "import proofs.model as m\n"))
    assert is_derivation_file(write("c.py", "from proofs import claim\ndef f(:\n"))      # the loader reports it
    assert not is_derivation_file(write("_helper.py", "from proofs import claim\n"))
    assert not is_derivation_file(write("d.py", "# from proofs import claim\nx = 'proofs'\n"))
    assert not is_derivation_file(write("e.py", "from .proofs import claim\n"))         # a relative import
    assert not is_derivation_file(write("f.txt", "from proofs import claim\n"))
    assert is_marked_document(write("a.md", "text\n<!-- derivcheck-audit -->\n$$x$$\n"))
    assert is_marked_document(write("a.tex", "%  derivcheck-audit\n"))
    assert not is_marked_document(write("b.md", "mark with `<!-- derivcheck-audit -->` on a line\n"))
    assert not is_marked_document(write("b.tex", "\\verb|% derivcheck-audit|\n"))
    assert not is_marked_document(write("c.md", "<!-- derivcheck: audit -->\n"))
    assert not is_marked_document(ROOT / "README.md")      # mentions the marker, is not marked


def test_a_file_named_on_the_command_line_is_collected_once(project):
    result = project.runpytest("--derivcheck", "--collect-only", "-p", "no:cacheprovider", "notes/derivation.py")
    tree = [line.strip() for line in result.outlines if line.strip().startswith("<")]
    assert tree.count("<DerivationFile derivation.py>") == 1
    assert not any("Module" in line for line in tree)
