"""The result cache: hits, invalidation, corruption, --no-cache, and a warm path that imports nothing heavy."""
import json
import shutil
import time
from pathlib import Path

from proofs.cache import Cache, atomic_write, cacheable

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _claims(proc):
    return {c["id"]: c for c in json.loads(proc.stdout)["claims"]}


def _imported(proc):
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}


def _copy_good(tmp_path):
    shutil.copy(FIXTURES / "good" / "square.py", tmp_path / "square.py")
    return "square.py"


def test_second_run_is_cached_same_verdicts_and_much_faster(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    t0 = time.perf_counter()
    cold = run_cli("check", f, "--format", "json")
    t_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm = run_cli("check", f, "--format", "json")
    t_warm = time.perf_counter() - t0
    assert cold.returncode == warm.returncode == 0
    a, b = _claims(cold), _claims(warm)
    assert not any(c["cached"] for c in a.values())
    assert all(c["cached"] for c in b.values())
    assert {k: v["verdict"] for k, v in a.items()} == {k: v["verdict"] for k, v in b.items()}
    assert {k: v["witnesses"] for k, v in a.items()} == {k: v["witnesses"] for k, v in b.items()}
    assert t_warm < 0.6 * t_cold, (t_cold, t_warm)
    cache = tmp_path / ".derivcheck_cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert "*" in (cache / ".gitignore").read_text().split()


def test_warm_run_imports_neither_sympy_numpy_nor_the_derivation(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    assert run_cli("check", f).returncode == 0
    warm = run_cli("check", f, "-k", "square", python_flags=("-X", "importtime"))
    assert warm.returncode == 0
    roots = {m.split(".")[0] for m in _imported(warm)}
    assert not roots & {"sympy", "numpy", "mpmath"}
    assert not any("square" in m for m in _imported(warm))
    assert "proofs.engine" not in _imported(warm)


def test_editing_the_file_invalidates(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    run_cli("check", f)
    with open(tmp_path / f, "a") as fh:
        fh.write("\n# an edit\n")
    proc = run_cli("check", f, "--format", "json")
    assert not any(c["cached"] for c in _claims(proc).values())


def test_editing_an_imported_helper_invalidates(run_cli, tmp_path):
    shutil.copytree(FIXTURES / "with_helper", tmp_path / "with_helper")
    run_cli("check", "with_helper")
    assert all(c["cached"] for c in _claims(run_cli("check", "with_helper", "--format", "json")).values())
    with open(tmp_path / "with_helper" / "_algebra.py", "a") as fh:
        fh.write("\n# an edit to the helper\n")
    proc = run_cli("check", "with_helper", "--format", "json")
    (c,) = _claims(proc).values()
    assert c["cached"] is False and c["verdict"] == "proved"
    assert _claims(run_cli("check", "with_helper", "--format", "json"))["helper.square"]["cached"] is True


def test_a_different_seed_is_a_miss(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    run_cli("check", f)
    proc = run_cli("check", f, "--seed", "1", "--format", "json")
    assert not any(c["cached"] for c in _claims(proc).values())


def test_no_cache_never_writes_the_folder(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    proc = run_cli("check", f, "--no-cache")
    assert proc.returncode == 0
    assert not (tmp_path / ".derivcheck_cache").exists()


def test_list_uses_the_cache_and_no_cache_leaves_no_folder(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    assert run_cli("list", f, "--no-cache").returncode == 0
    assert not (tmp_path / ".derivcheck_cache").exists()
    run_cli("check", f)
    warm = run_cli("list", f, python_flags=("-X", "importtime"))
    assert warm.returncode == 0 and "demo.square" in warm.stdout
    assert not {m.split(".")[0] for m in _imported(warm)} & {"sympy", "numpy"}


def test_no_cache_does_not_read_either(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    run_cli("check", f)
    proc = run_cli("check", f, "--no-cache", "--format", "json")
    assert not any(c["cached"] for c in _claims(proc).values())


def test_corrupt_cache_file_is_ignored_and_rewritten(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    run_cli("check", f)
    entries = [p for p in (tmp_path / ".derivcheck_cache").glob("*.json")]
    assert len(entries) == 1
    entries[0].write_text("{ not json")
    proc = run_cli("check", f, "--format", "json")
    assert proc.returncode == 0
    assert not any(c["cached"] for c in _claims(proc).values())
    json.loads(entries[0].read_text())
    entries[0].write_text(json.dumps({"format": 1, "key": 5}))        # valid JSON, wrong shape
    assert run_cli("check", f).returncode == 0
    assert all(c["cached"] for c in _claims(run_cli("check", f, "--format", "json")).values())


def test_errors_and_timeouts_are_never_cached(run_cli, tmp_path):
    shutil.copy(FIXTURES / "bad" / "undefined_symbol.py", tmp_path / "undefined_symbol.py")
    shutil.copy(FIXTURES / "bad" / "hung.py", tmp_path / "hung.py")
    run_cli("check", ".", "--timeout", "1")
    proc = run_cli("check", ".", "--timeout", "1", "--format", "json")
    claims = _claims(proc)
    assert claims["bad.undefined_symbol"]["verdict"] == "error" and not claims["bad.undefined_symbol"]["cached"]
    assert claims["bad.hung"]["verdict"] == "timeout" and not claims["bad.hung"]["cached"]
    assert claims["bad.hung_neighbour"]["cached"] is True


def test_selection_subsets_merge_into_one_entry(run_cli, tmp_path):
    f = _copy_good(tmp_path)
    run_cli("check", f, "-k", "difference")
    proc = run_cli("check", f, "--format", "json")
    claims = _claims(proc)
    assert claims["demo.difference_of_squares"]["cached"] is True
    assert claims["demo.square"]["cached"] is False
    assert all(c["cached"] for c in _claims(run_cli("check", f, "--format", "json")).values())


# -- unit level ---------------------------------------------------------------------------------

def test_cacheable():
    assert cacheable({"verdict": "proved", "witnesses": [{"verdict": "agrees"}]})
    assert cacheable({"verdict": "refuted", "witnesses": [{"verdict": "disagrees"}]})
    assert not cacheable({"verdict": "error"})
    assert not cacheable({"verdict": "timeout"})
    assert not cacheable({"verdict": "proved", "witnesses": [{"verdict": "error"}]})


def test_store_and_lookup_with_dependencies(tmp_path):
    src = tmp_path / "claims.py"
    src.write_text("x = 1\n")
    dep = tmp_path / "helper.py"
    dep.write_text("y = 2\n")
    c = Cache(str(tmp_path / "cache"), seed=3, version="test")
    assert c.lookup(str(src)) is None
    meta = [{"id": "a.b", "title": "t", "topic": "", "expected": "proved"}]
    deps = {str(dep): __import__("hashlib").sha256(dep.read_bytes()).hexdigest()}
    results = [{"id": "a.b", "verdict": "proved", "expected": "proved", "witnesses": []},
               {"id": "zz", "verdict": "proved", "expected": "proved"}]
    c.store(str(src), "claims.py", metas=meta, deps=deps, results=results)
    assert c.lookup(str(src), "other/name.py") is None
    entry = c.lookup(str(src), "claims.py")
    assert entry is not None and list(entry["results"]) == ["a.b"]
    assert c.cached_result(entry, "a.b")["cached"] is True
    assert Cache(str(tmp_path / "cache"), seed=4, version="test").lookup(str(src), "claims.py") is None
    assert Cache(str(tmp_path / "cache"), seed=3, version="other").lookup(str(src), "claims.py") is None
    dep.write_text("y = 3\n")
    assert Cache(str(tmp_path / "cache"), seed=3, version="test").lookup(str(src), "claims.py") is None


def test_disabled_cache_does_nothing(tmp_path):
    src = tmp_path / "claims.py"
    src.write_text("x = 1\n")
    c = Cache(str(tmp_path / "cache"), enabled=False)
    c.store(str(src), "claims.py", metas=[], deps={}, results=[])
    assert c.lookup(str(src)) is None
    assert not (tmp_path / "cache").exists()


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    p = tmp_path / "out.txt"
    atomic_write(str(p), "one")
    atomic_write(str(p), "two")
    assert p.read_text() == "two"
    assert [x.name for x in tmp_path.iterdir()] == ["out.txt"]
