"""Hostile builders and witnesses: whatever a claim does while it is checked, the run ends, the claim gets a
one-line verdict, the next claim of the same file is still checked, and nothing it started is left running.

One run of ``derivcheck check --format json --timeout 3 --max-memory 1024`` over a folder of cases; each
test asserts on its claims.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from tests.conftest import CLI
from tests.hostile.conftest import assert_gone

HEAD = "import os, signal, subprocess, sys, threading, time\nimport sympy as sp\nfrom proofs import Source, claim\n"


def case(cid: str, body: str, *, expected: str = "proved", witness: str = "") -> str:
    """A claim ``cid`` whose builder runs ``body`` and then proves (a+b)^2 = a^2+2ab+b^2; and a good claim
    ``cid.after`` below it in the same file."""
    fn = cid.replace(".", "_")
    body = "\n".join("    " + ln for ln in body.strip().splitlines())
    text = f'''
@claim(id="{cid}", title="hostile", source=Source("notes.txt", "1"), expected="{expected}")
def {fn}(d):
{body}
    a, b = d.symbols("a b", real=True)
    d.chain((a + b)**2).eq(a**2 + 2*a*b + b**2, rule="expand")
    d.statement(sp.Eq((a + b)**2, a**2 + 2*a*b + b**2))
'''
    if witness:
        wbody = "\n".join("    " + ln for ln in witness.strip().splitlines())
        text += f'''

@{fn}.witness("exact")
def _{fn}_witness(w):
{wbody}
    return w.exact({{w.S.a: 2, w.S.b: 3}})
'''
    text += f'''

@claim(id="{cid}.after", title="checked after the hostile one", source=Source("notes.txt", "2"))
def {fn}_after(d):
    a, b = d.symbols("a b", real=True)
    d.chain(a**2 - b**2).eq((a - b)*(a + b), rule="factor")
    d.statement(sp.Eq(a**2 - b**2, (a - b)*(a + b)))
'''
    return HEAD + text


def pid(note: str = "p.pid") -> str:
    return f"open(os.path.join({DIR!r}, 'pids'), 'a').write(f'{{{note}}}\\n')"


DIR = "@DIR@"

#: file -> (source, claim id, expected verdict, regex on the message or the witness detail)
CASES = {
    "loop": (case("hostile.loop", "while True:\n    pass"), "timeout", r"timed out after 3 s"),
    "loop_with_subprocess": (case("hostile.loop_sub", f"p = subprocess.Popen(['sleep', '1000'])\n{pid()}\n"
                                  "while True:\n    pass"), "timeout", r"timed out after 3 s"),
    "sigterm_ignored_loop": (case("hostile.sigterm_ignored", "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                  "while True:\n    pass"), "timeout", r"timed out after 3 s"),
    "sleep": (case("hostile.sleep", "time.sleep(1000)"), "timeout", r"timed out after 3 s"),
    "leaves_subprocess": (case("hostile.leaves_sub", f"p = subprocess.Popen(['sleep', '1000'])\n{pid()}"),
                          "proved", None),
    "forks": (case("hostile.forks", f"child = os.fork()\nif child == 0:\n    while True:\n        pass\n"
                   f"{pid('child')}"), "proved", None),
    "thread": (case("hostile.thread", "threading.Thread(target=time.sleep, args=(1000,)).start()"), "proved", None),
    "exit0": (case("hostile.exit0", "os._exit(0)"), "error", r"worker process died \(exit code 0\)"),
    "sigkill": (case("hostile.sigkill", "os.kill(os.getpid(), signal.SIGKILL)"), "error",
                r"worker process died \(killed by signal 9\)"),
    "sigterm_self": (case("hostile.sigterm_self", "os.kill(os.getpid(), signal.SIGTERM)\ntime.sleep(5)"), "error",
                     r"worker process died \(killed by signal 9\)"),
    "keyboard_interrupt": (case("hostile.kbd", "raise KeyboardInterrupt"), "error", r"KeyboardInterrupt"),
    "system_exit": (case("hostile.sysexit", "sys.exit(0)"), "error", r"SystemExit"),
    "recursion": (case("hostile.recursion", "def f():\n    return f()\nf()"), "error", r"RecursionError"),
    "memory_builder": (case("hostile.memory", "x = bytearray(3 * 2**30)"), "error",
                       r"MemoryError.*--max-memory 1024 MB"),
    "memory_witness": (case("hostile.memory_w", "pass", witness="import numpy\nx = numpy.ones(2**29)"),
                       "proved", r"MemoryError.*--max-memory 1024 MB"),
    "expected_timeout": (case("hostile.exp_timeout", "while True:\n    pass", expected="timeout"), "timeout",
                         r"timed out after 3 s"),
    "expected_error": (case("hostile.exp_error", "raise ValueError('broken')", expected="error"), "error",
                       r"ValueError: broken"),
    "define_relation": (case("hostile.define_rel", "x, y = d.symbols('x y')\nd.define(x, sp.Eq(y, 1))"), "error",
                        r"definition of x: got the relation Eq\(y, 1\); an expression is expected"),
    "sibling_in_builder": (case("hostile.sibling", "import _sibling\nassert _sibling.VALUE == 42"), "proved", None),
    "chdir": (case("hostile.chdir", "os.chdir('/')"), "proved", None),
    "prints": (case("hostile.prints", "print('{broken json')\nos.write(1, b'raw\\n')\nsys.stdout.write('x')"),
               "proved", None),
    "witness_none": (case("hostile.witness_none", "pass", witness="return None"), "proved", r"."),
    "witness_raises": (case("hostile.witness_raises", "pass", witness="raise RuntimeError('in the witness')"),
                       "proved", r"RuntimeError: in the witness"),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("claims")
    folder = root / "files"
    folder.mkdir()
    (folder / "_sibling.py").write_text("VALUE = 42\n")
    for name, (text, *_rest) in CASES.items():
        (folder / f"{name}.py").write_text(text.replace(DIR, str(root)))
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(CLI), "check", "--no-cache", "--timeout", "3", "--max-memory", "1024",
                           "-j", "2", "--format", "json", "files"], cwd=root, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    return proc, time.monotonic() - t0, root


def _claims(proc) -> dict:
    return {c["id"]: c for c in json.loads(proc.stdout)["claims"]}


def _id(name: str) -> str:
    return re.search(r'id="([^"]+)"', CASES[name][0]).group(1)


def test_the_run_ends_with_exit_1_and_valid_json(run):
    proc, seconds, _ = run
    assert proc.returncode == 1, proc.stderr
    assert len(_claims(proc)) == 2 * len(CASES)
    assert "Traceback" not in proc.stderr
    assert seconds < 200


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_claim_gets_its_verdict_and_the_next_claim_is_checked(run, name):
    claims = _claims(run[0])
    text, verdict, pattern = CASES[name]
    res = claims[_id(name)]
    assert res["verdict"] == verdict, res["message"]
    where = res["message"] + " " + " ".join(str(w.get("detail")) for w in res.get("witnesses") or [])
    assert "\n" not in res["message"]
    if pattern:
        assert re.search(pattern, where), where
    if verdict == "proved" and pattern:          # a witness that failed to run: never agrees
        assert [w["verdict"] for w in res["witnesses"]] == ["error"]
    assert claims[_id(name) + ".after"]["verdict"] == "proved"


def test_expected_error_or_timeout_is_never_as_expected(run):
    claims = _claims(run[0])
    for name in ("expected_timeout", "expected_error"):
        assert claims[_id(name)]["verdict"] in ("error", "timeout")
        assert claims[_id(name)]["as_expected"] is False
    proc = subprocess.run([sys.executable, str(CLI), "check", "--no-cache", "--timeout", "3", "files/expected_error.py"],
                          cwd=run[2], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert "never passes" in proc.stdout


def test_nothing_a_claim_started_is_left_running(run):
    pids = (run[2] / "pids").read_text().split()
    assert len(pids) == 3                       # loop_with_subprocess, leaves_subprocess, forks
    assert_gone(run[2] / "pids")
