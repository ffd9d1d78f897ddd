"""Hostile files at import time: each is imported in a child of its own, within ``--timeout``.

One run of ``derivcheck check --format json`` over a folder holding every case and a good file; each test
asserts on its own file: exactly one one-line error on stderr naming the file (exit 2 overall), or for a
file that behaves, its claims checked. The good file's claims are always checked, nothing is left running,
and the JSON on stdout stays valid whatever the files print.
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

GOOD = '''
import sympy as sp
from proofs import Source, claim

@claim(id="{id}", title="a true identity", source=Source("notes.txt", "eq. (1)"))
def good(d):
    a, b = d.symbols("a b", real=True)
    d.chain((a + b)**2).eq(a**2 + 2*a*b + b**2, rule="expand")
    d.statement(sp.Eq((a + b)**2, a**2 + 2*a*b + b**2))
'''

BY_HAND = '''
from proofs.model import Claim, Source
def build(d):
    pass
{body}
'''

#: file name -> (source, None for "loads and its claim is checked" or a regex the one stderr line must match)
CASES = {
    "loop_at_import.py": ("while True:\n    pass\n", r"importing the file took longer than 3 s"),
    "exit7_at_import.py": ("import os\nos._exit(7)\n", r"ended the process with exit code 7"),
    "sigkill_at_import.py": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
                             r"was killed by signal 9"),
    "sys_exit_at_import.py": ("import sys\nsys.exit(3)\n", r"SystemExit: the file called exit\(3\)"),
    "raise_at_import.py": ("raise RuntimeError('boom at import')\n", r":1: RuntimeError: boom at import"),
    "keyboard_interrupt_at_import.py": ("raise KeyboardInterrupt\n", r"KeyboardInterrupt"),
    "syntax_error.py": ("def f(:\n", r":1: SyntaxError"),
    "nul_bytes.py": ("x = 1\x00\x01\n", r"(SyntaxError|ValueError)"),
    "import_missing.py": ("import no_such_module_anywhere\n", r"ModuleNotFoundError: No module named"),
    "recursion_at_import.py": ("def f():\n    return f()\nf()\n", r"RecursionError"),
    "memory_at_import.py": ("x = bytearray(8 * 2**30)\n", r"MemoryError"),
    "raising_iterable_global.py": ("class Bad(list):\n    def __iter__(self):\n        raise RuntimeError('no')\n"
                                   "items = Bad([1])\n", r"RuntimeError: no"),
    "source_none.py": (BY_HAND.format(body="c = Claim(id='hand.none', title='t', source=None, build=build)"),
                       r"claim hand\.none: source must be a Source\(file, locator\), not NoneType"),
    "newline_id.py": (BY_HAND.format(body="c = Claim(id='hand.x\\nFORGED proved', title='t', "
                                          "source=Source('n', '1'), build=build)"),
                      r"claim id 'hand\.x\\nFORGED proved' must be letters"),
    "int_id.py": (BY_HAND.format(body="c = Claim(id=5, title='t', source=Source('n', '1'), build=build)"),
                  r"claim id 5 must be letters"),
    "bad_expected.py": (BY_HAND.format(body="c = Claim(id='hand.e', title='t', source=Source('n', '1'), "
                                            "build=build, expected='banana')"),
                        r"claim hand\.e: expected='banana' is not a verdict"),
    "title_not_text.py": (BY_HAND.format(body="c = Claim(id='hand.t', title=object(), source=Source('n', '1'), "
                                              "build=build)"), r"claim hand\.t: title must be a string"),
    "builder_not_callable.py": (BY_HAND.format(body="c = Claim(id='hand.b', title='t', source=Source('n', '1'), "
                                                    "build=42)"), r"claim hand\.b: the builder is not callable"),
    # files that misbehave but whose claims are fine: they load, and their claims are checked
    "thread_at_import.py": ("import threading, time\n"
                            "threading.Thread(target=time.sleep, args=(1000,)).start()\n"
                            + GOOD.format(id="hostile.thread_at_import"), None),
    "subprocess_at_import.py": ("import subprocess\np = subprocess.Popen(['sleep', '1000'])\n"
                                "open('pids', 'a').write(f'{p.pid}\\n')\n"
                                + GOOD.format(id="hostile.subprocess_at_import"), None),
    "chatty_at_import.py": ("import os, sys\nprint('hello from import')\nos.write(1, b'raw fd 1 bytes\\n')\n"
                            "sys.stdout.write('{not json')\n" + GOOD.format(id="hostile.chatty_at_import"), None),
    "raising_class_global.py": ("class Evil:\n    @property\n    def __class__(self):\n"
                                "        raise RuntimeError('looked at')\n    def __eq__(self, other):\n"
                                "        raise RuntimeError('compared')\n    __hash__ = None\n"
                                "evil = Evil()\nevils = [Evil()]\n" + GOOD.format(id="hostile.raising_class_global"),
                                None),
    "recursion_limit_at_import.py": ("import sys\nsys.setrecursionlimit(10**6)\n"
                                     + GOOD.format(id="hostile.recursion_limit"), None),
    "sigterm_ignored_at_import.py": ("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                     + GOOD.format(id="hostile.sigterm_ignored"), None),
    "chdir_at_import.py": ("import os\nos.chdir('/')\n" + GOOD.format(id="hostile.chdir_at_import"), None),
    "caf\udce9_latin1_name.py": (GOOD.format(id="hostile.non_utf8_name"), None),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("load")
    folder = root / "files"
    folder.mkdir()
    (folder / "ok.py").write_text(GOOD.format(id="ok.square"))
    for name, (text, _) in CASES.items():
        path = (folder / name) if "\udce9" not in name else folder / name
        with open(bytes(path) if "\udce9" in name else path, "w") as fh:
            fh.write(text)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(CLI), "check", "--no-cache", "--timeout", "3", "--max-memory", "1024",
                           "--format", "json", "files"], cwd=root, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL, errors="surrogateescape")
    return proc, time.monotonic() - t0, root


def _lines_about(stderr: str, name: str) -> list:
    shown = name.replace("\udce9", "\\xe9")
    return [ln for ln in stderr.splitlines() if f"files/{shown}:" in ln]


def test_the_run_ends_with_exit_2_and_valid_json(run):
    proc, seconds, _root = run
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert {c["id"] for c in doc["claims"]} >= {"ok.square"}
    assert "Traceback" not in proc.stderr
    assert seconds < 120


def test_the_good_file_is_checked(run):
    doc = json.loads(run[0].stdout)
    (ok,) = [c for c in doc["claims"] if c["id"] == "ok.square"]
    assert ok["verdict"] == "proved"


@pytest.mark.parametrize("name", [n for n, (_, rx) in CASES.items() if rx is not None])
def test_a_file_that_cannot_be_loaded_is_one_line_naming_it(run, name):
    proc = run[0]
    lines = _lines_about(proc.stderr, name)
    assert len(lines) == 1, proc.stderr
    assert re.match(rf"^files/{re.escape(name)}:\d+: ", lines[0])
    assert re.search(CASES[name][1], lines[0]), lines[0]
    assert not any(ln.lstrip().startswith("FORGED") for ln in (proc.stdout + proc.stderr).splitlines())


@pytest.mark.parametrize("name", [n for n, (_, rx) in CASES.items() if rx is None])
def test_a_file_that_misbehaves_but_defines_good_claims_is_checked(run, name):
    proc = run[0]
    assert not _lines_about(proc.stderr, name), proc.stderr
    doc = json.loads(proc.stdout)
    shown = name.replace("\udce9", "\\xe9")
    mine = [c for c in doc["claims"] if c["file"] == f"files/{shown}"]
    assert mine and all(c["verdict"] == "proved" for c in mine), [c["id"] for c in doc["claims"]]


def test_nothing_started_at_import_is_left_running(run):
    assert_gone(run[2] / "pids")


def test_a_non_utf8_file_name_is_printed_escaped_in_text_output(tmp_path):
    with open(bytes(tmp_path / "caf\udce9.py"), "w") as fh:
        fh.write(GOOD.format(id="hostile.latin1"))
    with open(bytes(tmp_path / "new\nline.py"), "w") as fh:
        fh.write(GOOD.format(id="hostile.newline_name"))
    (tmp_path / "broken\rname.py").write_text("raise ValueError('x')\n")
    proc = subprocess.run([sys.executable, str(CLI), "check", "--no-cache", "."], cwd=tmp_path, capture_output=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "hostile.latin1" in out and "hostile.newline_name" in out
    assert re.search(r"^broken\\x0dname\.py:1: ValueError: x$", err, re.M), err
    assert all(not ln.startswith("line.py") for ln in out.splitlines() + err.splitlines())
