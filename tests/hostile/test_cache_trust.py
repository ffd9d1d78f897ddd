"""A cache that never reports a verdict it did not compute for the current content.

Each case checks a file (filling ``.derivcheck_cache/``), then changes something the verdict depends on --
a module imported inside a builder, a helper shared by two files outside the checked folder, a data file a
builder or a witness reads -- or tampers with the stored entry (a flipped verdict, a changed id or expected,
an entry copied from another file, a foreign key), and checks again: the second run must recompute
(``cached`` false) and report what the current content gives. Untouched content must still be a hit.
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CLI

CLAIM = '''
import os, sys
import sympy as sp
from proofs import Source, claim

@claim(id="{id}", title="t", source=Source("notes.txt", "1"), expected="proved")
def build(d):
    a = d.symbols("a", real=True)
{body}
    d.chain(a * k).eq(a * 2, rule="algebra")
    d.statement(sp.Eq(a * k, a * 2, evaluate=False))
'''


def claim_file(cid: str, body: str) -> str:
    return CLAIM.format(id=cid, body="\n".join("    " + ln for ln in body.strip().splitlines()))


def run(cwd, *args, env=None):
    e = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    proc = subprocess.run([sys.executable, str(CLI), "check", "--format", "json", *map(str, args)], cwd=cwd, env=e,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    doc = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {"claims": []}
    return proc, {c["id"]: c for c in doc["claims"]}


def entries(cwd) -> list:
    return sorted(glob.glob(str(cwd / ".derivcheck_cache" / "*.json")))


def edit_entry(path, change) -> None:
    with open(path) as fh:
        entry = json.load(fh)
    change(entry)
    with open(path, "w") as fh:
        json.dump(entry, fh)


def twice(cwd, target, change, *args):
    """Check, ``change()``, check again: (first, second) claim dicts."""
    p1, first = run(cwd, target, *args)
    assert p1.returncode in (0, 1), p1.stderr
    change()
    p2, second = run(cwd, target, *args)
    return first, second, p2


# -- what a builder depends on ------------------------------------------------------------------

def test_a_module_imported_inside_a_builder_is_a_dependency(tmp_path):
    (tmp_path / "_consts.py").write_text("K = 2\n")
    (tmp_path / "c.py").write_text(claim_file("c.inner_import", "import _consts\nk = _consts.K"))
    first, second, proc = twice(tmp_path, "c.py", lambda: (tmp_path / "_consts.py").write_text("K = 3\n"))
    assert first["c.inner_import"]["verdict"] == "proved"
    assert second["c.inner_import"]["verdict"] == "refuted" and not second["c.inner_import"]["cached"]
    assert proc.returncode == 1


def test_a_helper_shared_by_two_files_outside_the_checked_folder(tmp_path):
    shared = tmp_path / "lib"
    shared.mkdir()
    (shared / "common_k.py").write_text("K = 2\n")
    work = tmp_path / "work"
    work.mkdir()
    body = f"sys.path.insert(0, {str(shared)!r})\nimport common_k\nk = common_k.K"
    (work / "one.py").write_text(claim_file("c.one", body))
    (work / "two.py").write_text(claim_file("c.two", body))
    first, second, _ = twice(work, ".", lambda: (shared / "common_k.py").write_text("K = 5\n"))
    assert {first[c]["verdict"] for c in ("c.one", "c.two")} == {"proved"}
    assert second["c.one"]["verdict"] == second["c.two"]["verdict"] == "refuted"


def test_a_helper_imported_at_load_from_another_folder(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "kmod.py").write_text("K = 2\n")
    text = f"import sys\nsys.path.insert(0, {str(tmp_path / 'lib')!r})\nimport kmod\n" + \
        claim_file("c.load_import", "k = kmod.K")
    (tmp_path / "c.py").write_text(text)
    first, second, _ = twice(tmp_path, "c.py", lambda: (tmp_path / "lib" / "kmod.py").write_text("K = 4\n"))
    assert (first["c.load_import"]["verdict"], second["c.load_import"]["verdict"]) == ("proved", "refuted")


@pytest.mark.parametrize("where", ["builder", "import"])
def test_a_data_file_read_is_a_dependency(tmp_path, where):
    data = tmp_path / "k.txt"
    data.write_text("2")
    read = f"k = int(open({str(data)!r}).read())"
    text = claim_file("c.data", read) if where == "builder" else \
        f"K_TEXT = open({str(data)!r}).read()\n" + claim_file("c.data", "k = int(K_TEXT)")
    (tmp_path / "c.py").write_text(text)
    first, second, _ = twice(tmp_path, "c.py", lambda: data.write_text("7"))
    assert (first["c.data"]["verdict"], second["c.data"]["verdict"]) == ("proved", "refuted")


def test_a_data_file_read_by_a_witness_is_a_dependency(tmp_path):
    data = tmp_path / "sample.txt"
    data.write_text("3")
    text = claim_file("c.wdata", "k = 2") + f'''

@build.witness("exact")
def _w(w):
    a = int(open({str(data)!r}).read())
    return w.exact({{w.S.a: a}})
'''
    (tmp_path / "c.py").write_text(text)
    first, second, _ = twice(tmp_path, "c.py", lambda: data.write_text("nan"))
    assert first["c.wdata"]["witnesses"][0]["verdict"] == "agrees"
    assert not second["c.wdata"]["cached"] and second["c.wdata"]["witnesses"][0]["verdict"] == "error"


def test_a_data_file_that_disappears(tmp_path):
    data = tmp_path / "k.txt"
    data.write_text("2")
    body = f"k = int(open({str(data)!r}).read()) if os.path.exists({str(data)!r}) else 9"
    (tmp_path / "c.py").write_text(claim_file("c.gone", body))
    first, second, _ = twice(tmp_path, "c.py", data.unlink)
    assert (first["c.gone"]["verdict"], second["c.gone"]["verdict"]) == ("proved", "refuted")


def test_untouched_content_is_a_hit_and_imports_nothing(tmp_path):
    marker = tmp_path / "imported"
    text = f"open({str(marker)!r}, 'a').write('x')\n" + claim_file("c.hit", "k = 2")
    (tmp_path / "c.py").write_text(text)
    first, second, _ = twice(tmp_path, "c.py", lambda: marker.unlink())
    assert second["c.hit"]["cached"] and second["c.hit"]["verdict"] == "proved"
    assert not marker.exists()


# -- a stored entry is not trusted as written ---------------------------------------------------

def _filled(tmp_path, k="3"):
    (tmp_path / "c.py").write_text(claim_file("c.stored", f"k = {k}"))
    proc, claims = run(tmp_path, "c.py")
    assert claims["c.stored"]["verdict"] == "refuted" and proc.returncode == 1
    (path,) = entries(tmp_path)
    return path


def _sha(path):
    import hashlib
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _result(entry):
    return entry["results"]["c.stored"]["result"]


@pytest.mark.parametrize("tamper", [
    lambda e: _result(e).update(verdict="proved"),
    lambda e: _result(e).update(verdict="proved", as_expected=True, message="proved"),
    lambda e: _result(e).update(id="someone.else"),
    lambda e: _result(e).update(expected="refuted"),
    lambda e: e["claims"][0].update(expected="refuted"),
    lambda e: e["deps"].update({e["path"]: _sha(e["path"])}),                 # true, but not what was signed
    lambda e: e["results"]["c.stored"]["reads"].update({os.path.realpath(__file__): _sha(os.path.realpath(__file__))}),
    lambda e: e.update(mac="0" * 64),
    lambda e: e.pop("mac"),
    lambda e: e.update(key="0" * 64),
], ids=["verdict", "verdict-and-message", "id", "expected", "meta-expected", "deps", "reads", "mac", "no-mac",
        "key"])
def test_an_edited_entry_is_ignored_and_recomputed(tmp_path, tamper):
    path = _filled(tmp_path)
    edit_entry(path, tamper)
    proc, claims = run(tmp_path, "c.py")
    assert claims["c.stored"]["verdict"] == "refuted" and not claims["c.stored"]["cached"]
    assert proc.returncode == 1
    assert "someone.else" not in proc.stdout


def test_an_entry_copied_from_another_file_is_ignored(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "c.py").write_text(claim_file("c.copied", "k = 2"))
    (tmp_path / "b" / "c.py").write_text(claim_file("c.copied", "k = 3"))
    run(tmp_path, "a/c.py")
    (good,) = entries(tmp_path)
    run(tmp_path, "b/c.py")
    (bad,) = [p for p in entries(tmp_path) if p != good]
    with open(good) as fh:
        text = fh.read()
    with open(bad, "w") as fh:
        fh.write(text)                           # a valid, signed entry, but for a/c.py
    proc, claims = run(tmp_path, "b/c.py")
    assert claims["c.copied"]["verdict"] == "refuted" and not claims["c.copied"]["cached"]


def test_an_entry_signed_with_another_key_is_ignored(tmp_path):
    _filled(tmp_path)
    proc, claims = run(tmp_path, "c.py", env={"DERIVCHECK_CACHE_SECRET": "another user's key " * 3})
    assert not claims["c.stored"]["cached"]
    proc, claims = run(tmp_path, "c.py")         # the own key's entry was rewritten by that run: recomputed
    assert claims["c.stored"]["verdict"] == "refuted"


@pytest.mark.parametrize("content", ["{", "[]", "null", "{\"format\": 2}", "[" * 100_000 + "]" * 100_000,
                                     "\x00\xff garbage"], ids=["truncated", "list", "null", "empty", "deep", "binary"])
def test_a_corrupt_entry_reads_as_a_miss_and_is_rewritten(tmp_path, content):
    path = _filled(tmp_path)
    with open(path, "w", errors="surrogateescape") as fh:
        fh.write(content)
    proc, claims = run(tmp_path, "c.py")
    assert not claims["c.stored"]["cached"] and claims["c.stored"]["verdict"] == "refuted"
    assert "Traceback" not in proc.stderr
    proc, claims = run(tmp_path, "c.py")
    assert claims["c.stored"]["cached"]


def test_an_entry_that_is_a_folder_does_not_break_the_check(tmp_path):
    path = _filled(tmp_path)
    os.unlink(path)
    os.mkdir(path)
    proc, claims = run(tmp_path, "c.py")
    assert claims["c.stored"]["verdict"] == "refuted" and proc.returncode == 1
    assert "Traceback" not in proc.stderr


def test_a_read_only_cache_folder_warns_and_checks(tmp_path):
    _filled(tmp_path)
    (tmp_path / "c.py").write_text(claim_file("c.stored", "k = 2"))
    os.chmod(tmp_path / ".derivcheck_cache", 0o500)
    try:
        proc, claims = run(tmp_path, "c.py")
    finally:
        os.chmod(tmp_path / ".derivcheck_cache", 0o700)
    assert claims["c.stored"]["verdict"] == "proved" and proc.returncode == 0
    if os.geteuid() != 0:                        # root writes anyway
        assert "warning: cannot write cache" in proc.stderr


# -- what is never cached ---------------------------------------------------------------------

@pytest.mark.parametrize("body, verdict", [("raise RuntimeError('flaky')", "error"),
                                           ("import time\ntime.sleep(100)", "timeout")])
def test_errors_and_timeouts_are_never_cached(tmp_path, body, verdict):
    flag = tmp_path / "broken"
    flag.write_text("1")
    text = claim_file("c.flaky", f"if os.path.exists({str(flag)!r}):\n" + "\n".join(
        "    " + ln for ln in body.splitlines()) + "\nk = 2")
    (tmp_path / "c.py").write_text(text)
    p1, first = run(tmp_path, "c.py", "--timeout", "2")
    assert first["c.flaky"]["verdict"] == verdict
    os.unlink(flag)                              # the file itself is unchanged; its data was read
    p2, second = run(tmp_path, "c.py", "--timeout", "2")
    assert second["c.flaky"]["verdict"] == "proved" and not second["c.flaky"]["cached"]


def test_a_witness_that_failed_to_run_is_never_cached(tmp_path):
    text = claim_file("c.wfail", "k = 2") + '''

@build.witness("exact")
def _w(w):
    raise RuntimeError("the witness broke")
'''
    (tmp_path / "c.py").write_text(text)
    run(tmp_path, "c.py")
    proc, claims = run(tmp_path, "c.py")
    assert not claims["c.wfail"]["cached"]


def test_another_seed_is_another_entry(tmp_path):
    (tmp_path / "c.py").write_text(claim_file("c.seed", "k = 2"))
    run(tmp_path, "c.py", "--seed", "1")
    proc, claims = run(tmp_path, "c.py", "--seed", "2")
    assert not claims["c.seed"]["cached"]
    proc, claims = run(tmp_path, "c.py", "--seed", "1")
    assert claims["c.seed"]["cached"]


# -- an edit while the run is under way (between the parent's key and the worker's import) -------------------

def test_an_edit_during_the_run_never_files_one_contents_verdict_under_anothers_key(tmp_path, monkeypatch):
    import cli
    from proofs import runner
    from proofs.cache import Cache
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "race.py"
    true_body, false_body = "k = 2", "k = 3"
    f.write_text(claim_file("race.claim", true_body))
    cache = Cache(seed=0, version=cli.__version__)       # the CLI's own cache, in the current folder
    plan = runner.gather(["race.py"], cache=cache)       # the key is taken from the content where k = 2
    f.write_text(claim_file("race.claim", false_body))  # the file changes before the worker imports it
    (res,) = runner.check(plan, cache=cache)
    assert res["verdict"] == "refuted"                  # computed from what was imported: k = 3
    f.write_text(claim_file("race.claim", true_body))   # back to the content the key was taken from
    proc, second = run(tmp_path, "race.py")
    assert second["race.claim"]["verdict"] == "proved" and second["race.claim"]["cached"] is False, proc.stderr
    proc, third = run(tmp_path, "race.py")
    assert third["race.claim"]["cached"] is True         # an honest entry is still a hit
