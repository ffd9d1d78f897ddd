"""Finding and importing claim files (in-process)."""
import os
import sys
import textwrap
from pathlib import Path

import pytest

from proofs import loader
from proofs.cache import Cache
from proofs.loader import LoadError, UsageError
from proofs.model import Claim
from proofs.runner import gather

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _source(path):
    (sf,) = loader.user_files(str(path))
    return sf


def test_loads_claims_and_sets_file_and_line():
    sf = _source(FIXTURES / "good" / "square.py")
    loaded = loader.load(sf)
    by_id = {c.id: c for c in loaded.claims}
    assert set(by_id) == {"demo.square", "demo.difference_of_squares"}
    sq = by_id["demo.square"]
    assert isinstance(sq, Claim)
    assert sq.file == sf.display and sq.file.endswith("square.py")
    assert sq.line == 7          # the line of the builder (its decorator)
    assert len(sq.witnesses) == 1
    meta = loader.claim_meta(sq, sf)
    assert meta["id"] == "demo.square" and meta["expected"] == "proved" and meta["line"] == 7
    assert meta["source"] == {"file": "notes.txt", "locator": "eq. (1)"}


def test_claims_inside_module_level_lists_and_tuples():
    loaded = loader.load(_source(FIXTURES / "collect" / "in_list.py"))
    assert sorted(c.id for c in loaded.claims) == ["collect.power_2", "collect.power_3", "collect.power_4"]


def test_syntax_error_is_one_line_with_the_line_number():
    with pytest.raises(LoadError) as e:
        loader.load(_source(FIXTURES / "bad" / "syntax_error.py"))
    err = e.value
    assert err.line == 9 and err.message.startswith("SyntaxError: ")
    assert err.one_line().endswith(f"syntax_error.py:9: {err.message}") and "\n" not in err.one_line()
    assert "Traceback" in err.traceback


def test_import_error_names_the_import_line():
    with pytest.raises(LoadError) as e:
        loader.load(_source(FIXTURES / "bad" / "import_error.py"))
    assert e.value.line == 4
    assert e.value.message.startswith("ModuleNotFoundError: ")


def test_exception_at_import_time(tmp_path):
    f = tmp_path / "raises.py"
    f.write_text("x = 1\n\nraise ValueError('bad\\nvalue')\n")
    with pytest.raises(LoadError) as e:
        loader.load(_source(f))
    assert e.value.line == 3 and e.value.message == "ValueError: bad value"


def test_exit_at_import_time_is_a_load_error(tmp_path):
    f = tmp_path / "exits.py"
    f.write_text("import sys\nsys.exit(4)\n")
    with pytest.raises(LoadError) as e:
        loader.load(_source(f))
    assert e.value.line == 2 and "SystemExit" in e.value.message


def test_bad_claim_id_at_import_is_a_load_error(tmp_path):
    f = tmp_path / "bad_id.py"
    f.write_text(textwrap.dedent("""\
        from proofs import Source, claim

        @claim(id="has spaces", title="t", source=Source("n", "l"))
        def c(d):
            pass
        """))
    with pytest.raises(LoadError) as e:
        loader.load(_source(f))
    assert e.value.line == 3 and e.value.message.startswith("ValueError: claim id 'has spaces'")


def test_sibling_helpers_import_and_are_recorded_as_dependencies():
    sf = loader.user_files(str(FIXTURES / "with_helper"))
    assert [os.path.basename(s.path) for s in sf] == ["uses_helper.py"]       # _algebra.py is skipped
    loaded = loader.load(sf[0])
    assert [c.id for c in loaded.claims] == ["helper.square"]
    assert list(loaded.deps) == ["_algebra"]
    assert loaded.deps["_algebra"]["path"].endswith("_algebra.py") and len(loaded.deps["_algebra"]["sha256"]) == 64
    assert "_algebra" not in sys.modules          # dropped so another folder's _algebra cannot be confused
    assert str(FIXTURES / "with_helper") not in sys.path


def test_two_folders_with_same_helper_name_do_not_collide(tmp_path):
    for name, value in (("one", 1), ("two", 2)):
        d = tmp_path / name
        d.mkdir()
        (d / "helpers.py").write_text(f"VALUE = {value}\n")
        (d / f"claims_{name}.py").write_text("from helpers import VALUE\n")
    a = loader.user_files(str(tmp_path / "one" / "claims_one.py"))[0]
    b = loader.user_files(str(tmp_path / "two" / "claims_two.py"))[0]
    loader.load(a)
    loaded_b = loader.load(b)
    assert loaded_b.deps["helpers"]["path"] == os.path.realpath(tmp_path / "two" / "helpers.py")


def test_dependencies_found_through_globals_when_already_imported(tmp_path):
    (tmp_path / "shared_helper.py").write_text("def f():\n    return 1\n")
    (tmp_path / "a.py").write_text("import shared_helper\n")
    (tmp_path / "b.py").write_text("from shared_helper import f\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import shared_helper  # noqa: F401 - imported first, so loading b.py imports nothing new
        loaded = loader.load(loader.user_files(str(tmp_path / "b.py"))[0])
        assert "shared_helper" in loaded.deps
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("shared_helper", None)


def test_user_files_recurse_and_skip_private_names(tmp_path):
    for rel in ("a.py", "_private.py", ".hidden.py", "sub/b.py", "_skipdir/c.py", ".git/d.py", "notes.txt"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    found = [os.path.relpath(s.path, tmp_path) for s in loader.user_files(str(tmp_path))]
    assert found == ["a.py", os.path.join("sub", "b.py")]


def test_find_sources_splits_paths_and_ids(tmp_path):
    files, ids = loader.find_sources([str(FIXTURES / "good"), "demo.square"])
    assert ids == ["demo.square"] and len(files) == 1
    with pytest.raises(UsageError):
        loader.find_sources(["no/such/dir"])
    with pytest.raises(UsageError):
        loader.find_sources(["missing.py"])
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(UsageError):
        loader.find_sources([str(tmp_path / "x.txt")])


def test_catalog_files_are_the_derivations_modules():
    files = loader.catalog_files()
    assert files, "the derivations package has no modules"
    for sf in files:
        assert sf.display.startswith("derivations/") and sf.module.startswith("derivations.")
        assert not os.path.basename(sf.path).startswith("_")


def test_catalog_loads_without_duplicates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = gather([], cache=Cache(enabled=False))
    assert not [e for e in plan.errors if "duplicate" in e.message]
    assert plan.selected


def test_duplicate_ids_are_load_errors_naming_both_places(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = gather([str(FIXTURES / "dupes")], cache=Cache(enabled=False))
    assert [m["id"] for m in plan.selected] == ["dupe.same_id"]
    (err,) = plan.errors
    assert err.path.endswith("second.py") and err.line == 6
    assert "duplicate claim id 'dupe.same_id'" in err.message and "first.py:6" in err.message


def test_duplicate_id_inside_one_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "twice.py").write_text(textwrap.dedent("""\
        from proofs import Source, claim

        @claim(id="x.same", title="one", source=Source("n", "l"))
        def one(d):
            pass

        @claim(id="x.same", title="two", source=Source("n", "l"))
        def two(d):
            pass
        """))
    plan = gather(["twice.py"], cache=Cache(enabled=False))
    assert [m["title"] for m in plan.selected] == ["one"]
    assert len(plan.errors) == 1 and "twice.py:3" in plan.errors[0].message


def test_topic_comes_from_the_module_TOPIC(tmp_path):
    from proofs.loader import find_sources, load
    f = tmp_path / "my_topic.py"
    f.write_text("import sympy as sp\nfrom proofs import claim, Source\nTOPIC = 'my subject'\n"
                 "@claim(id='t.topic', title='t', source=Source('f', 'l'))\n"
                 "def c(d):\n    a = d.symbol('a')\n    d.chain(a).eq(a)\n    d.statement(sp.Eq(a, a, evaluate=False))\n")
    g = tmp_path / "no_topic.py"
    g.write_text(f.read_text().replace("TOPIC = 'my subject'\n", "").replace("t.topic", "t.notopic"))
    sources = find_sources([str(f), str(g)])[0]
    claims = {c.id: c for sf in sources for c in load(sf).claims}
    assert claims["t.topic"].topic == "my subject"
    assert claims["t.notopic"].topic == "no_topic"
