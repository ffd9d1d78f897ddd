"""pytest plugin: ``pytest --derivcheck [PATHS]`` checks derivation files' claims and audits marked documents.

Registered through the ``pytest11`` entry point, so it is loaded by every pytest run in an environment
where derivcheck is installed. Without ``--derivcheck`` every hook returns at once: nothing is collected,
nothing is imported beyond this module, :mod:`proofs.hooks` and the standard library.

What is collected (the rules are :mod:`proofs.hooks`', shared with the pre-commit hooks)
-----------------------------------------------------------------------------------------
* A **derivation file** is a ``.py`` file (names starting with ``_`` or ``.``, and files in such folders
  below the invocation directory, are skipped, as by ``derivcheck check FOLDER``, unless named on the
  command line) whose source *imports from* ``proofs`` (``from proofs import claim``, ``import proofs``,
  ``from proofs.model import Claim``...). This is decided by reading the file and parsing it with
  :mod:`ast`; nothing in it is executed in the pytest process (a derivation file named on the command line,
  which pytest's Python collector would import, is made a :class:`DerivationFile` through
  ``pytest_pycollect_makemodule`` instead). Its claims are then found by
  the runner (:func:`proofs.runner.gather`), which imports the file in a forked child, or reads them from a
  valid cache entry. Each claim is an item ``PATH::CLAIM_ID`` (``examples/my_derivation.py::example.ewa_fixed_point``).
  A file that cannot be loaded, or a claim id already defined in another collected file, is an item
  ``PATH::derivcheck-load`` that fails with the loader's one-line message (the other claims still run).
* A **document to audit** is a ``.md``, ``.txt``, ``.tex`` or ``.ipynb`` file that carries the marker
  comment ``<!-- derivcheck-audit -->`` (Markdown, notebooks) or ``% derivcheck-audit`` (LaTeX) on a line
  of its own, or whose path matches a ``--derivcheck-audit=GLOB`` pattern. It is one item ``PATH::audit``,
  failing with the audit's text for its refuted (error, timeout) pairs and the document's summary line.

Invariants
----------
* User code never runs in the pytest process: claims are checked by :func:`proofs.runner.check` in forked
  workers (own process group, ``--derivcheck-timeout`` per claim, the runner's default 120 s, and
  ``--derivcheck-max-memory``), documents by :func:`proofs.audit.runner.audit_jobs`; every worker is
  ended before the item's result is reported.
* The pass rule is the CLI's: :func:`proofs.outcome.passed` for a claim (verdict equals ``expected`` and
  every witness agrees; an erratum expected ``refuted`` passes when refuted; an error or timeout never
  passes), and for a document the audit's (no pair refuted, no error, no timeout).
* The cache is the CLI's: same directory (``.derivcheck_cache/`` in the directory pytest was started
  from), same keys (the file named relative to that directory, as ``derivcheck check PATH`` names it; the
  CLI's seed and version), same validation; a verdict comes from the cache only when the entry validates
  for this content, else it is computed.
* A failure's message is built by the CLI's renderers: ``check``'s line for the claim
  (:func:`proofs.render.text.claim_line`), then the first failing step and the witnesses as ``show`` prints
  them; for a document, :func:`proofs.audit.render.render_text` restricted to its failing pairs.
* A file's selected claims are checked together in one worker (as by the CLI) when the first of them runs;
  in an xdist worker (``-n``), which cannot know which items it will be sent, each claim is checked on its
  own.
"""
from __future__ import annotations

import dataclasses
import fnmatch
import io
import os
from contextlib import contextmanager

import pytest

from .hooks import AUDIT_SUFFIXES, is_derivation_file, is_marked_document, own_cli

LOAD_ITEM = "derivcheck-load"
AUDIT_ITEM = "audit"


def pytest_addoption(parser):
    group = parser.getgroup("derivcheck", "derivcheck (symbolic derivation checks)")
    group.addoption("--derivcheck", action="store_true", default=False,
                    help="collect derivation files (.py importing from proofs) as one test per claim, and "
                         "documents marked '<!-- derivcheck-audit -->' / '% derivcheck-audit' as one audit test each")
    group.addoption("--derivcheck-audit", action="append", default=[], metavar="GLOB",
                    help="also audit .md/.txt/.tex/.ipynb files whose path (relative to the rootdir) or name "
                         "matches GLOB (repeatable)")
    group.addoption("--derivcheck-timeout", type=float, default=120.0, metavar="S",
                    help="seconds allowed per claim and per file import, as 'derivcheck check --timeout' (default 120)")
    group.addoption("--derivcheck-audit-timeout", type=float, default=20.0, metavar="S",
                    help="seconds allowed per pair of lines, as 'derivcheck audit --timeout' (default 20)")
    group.addoption("--derivcheck-max-memory", type=float, default=4096.0, metavar="MB",
                    help="memory each worker may allocate, as '--max-memory' (default 4096; 0: no limit)")
    group.addoption("--derivcheck-seed", type=int, default=0, metavar="N",
                    help="seed, as 'derivcheck check --seed' (default 0; part of the cache key)")
    group.addoption("--derivcheck-no-cache", action="store_true", default=False,
                    help="neither read nor write .derivcheck_cache/ (as 'derivcheck check --no-cache')")


def pytest_configure(config):
    config.addinivalue_line("markers", "derivcheck: a claim or document checked by derivcheck")
    if config.getoption("derivcheck", False):
        config.stash[_STATE] = _State(config)


def _enabled(config) -> bool:
    return _STATE in config.stash


# -- recognising files without running them (proofs.hooks) --------------------------------------

def _skipped_dir(path, root) -> bool:
    """Is ``path`` inside a folder the CLI would skip (a name starting with ``_`` or ``.``) below ``root``?"""
    try:
        rel = os.path.relpath(os.path.dirname(str(path)), str(root))
    except ValueError:
        return False
    if rel.startswith(".."):
        return False
    return any(part.startswith(("_", ".")) for part in rel.split(os.sep) if part not in ("", "."))


# -- collection -----------------------------------------------------------------------------------

def _test_module(path, config) -> bool:
    """Does pytest's Python collector take ``path`` for a test module (``python_files``, or a conftest)?"""
    if path.name == "conftest.py":
        return True
    return any(fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch(str(path), p) for p in config.getini("python_files"))


def _left_to_python_plugin(path, parent) -> bool:
    """pytest's Python collector imports every ``.py`` file named on the command line, test module or not; for
    a derivation file it asks :func:`pytest_pycollect_makemodule` below, which makes it a :class:`DerivationFile`
    instead (so the file is collected once, and never imported by pytest)."""
    return (parent.config.pluginmanager.has_plugin("python") and parent.session.isinitpath(path)
            and not _test_module(path, parent.config))


def pytest_collect_file(file_path, parent):
    if not _enabled(parent.config):
        return None
    state = parent.config.stash[_STATE]
    if file_path.suffix == ".py":
        if not is_derivation_file(file_path) or _left_to_python_plugin(file_path, parent):
            return None
        if parent.session.isinitpath(file_path) or not _skipped_dir(file_path, state.root):
            return DerivationFile.from_parent(parent, path=file_path)
        return None
    if file_path.suffix.lower() in AUDIT_SUFFIXES and (state.audit_glob(file_path) or is_marked_document(file_path)):
        return AuditFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    """A derivation file named on the command line (see :func:`_left_to_python_plugin`)."""
    if not _enabled(parent.config) or not parent.session.isinitpath(module_path):
        return None
    if _test_module(module_path, parent.config) or not is_derivation_file(module_path):
        return None                      # pytest's own Module, as usual
    return DerivationFile.from_parent(parent, path=module_path)


class DerivationFile(pytest.File):
    """A derivation file: one :class:`ClaimItem` per claim (file order), found in a forked child or the cache."""

    def collect(self):
        state = self.config.stash[_STATE]
        display = state.display(self.path)
        from proofs import runner
        from proofs.loader import LoadError, UsageError
        try:
            with state.in_invocation_dir():
                cache = state.new_cache()
                plan = runner.gather([display], cache=cache, timeout=state.timeout, max_memory=state.max_memory)
                runner.store(plan, cache, {})            # as 'derivcheck list': the claims known without importing
        except (UsageError, LoadError) as e:
            yield LoadErrorItem.from_parent(self, name=LOAD_ITEM, message=f"{display}: {e}")
            return
        state.plans[display] = plan
        problems = [e.one_line() for e in plan.errors]
        for meta in sorted(plan.selected, key=lambda m: (m.get("line") or 0, m["id"])):
            other = state.claim_files.setdefault(meta["id"], display)
            if other != display:
                problems.append(f"{display}:{meta.get('line') or 0}: duplicate claim id {meta['id']!r} "
                                 f"(also defined in {other})")
                continue
            yield ClaimItem.from_parent(self, name=meta["id"], meta=meta, display=display)
        if problems:
            yield LoadErrorItem.from_parent(self, name=LOAD_ITEM, message="\n".join(problems))


class AuditFile(pytest.File):
    def collect(self):
        yield AuditItem.from_parent(self, name=AUDIT_ITEM)


# -- items ----------------------------------------------------------------------------------------

class DerivcheckFailure(Exception):
    """A claim or document that does not pass; the message is the CLI's rendering."""


class ClaimItem(pytest.Item):
    def __init__(self, *, meta: dict, display: str, **kwargs):
        super().__init__(**kwargs)
        self.meta, self.display = meta, display
        self.add_marker("derivcheck")
        if meta.get("topic"):
            self.extra_keyword_matches.add(str(meta["topic"]))

    def runtest(self):
        from proofs.outcome import passed
        result = self.config.stash[_STATE].result_for(self)
        self.user_properties += [("derivcheck_verdict", str(result.get("verdict"))),
                                 ("derivcheck_cached", bool(result.get("cached")))]
        if not passed(result):
            raise DerivcheckFailure(claim_failure_text(result))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DerivcheckFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        line = self.meta.get("line") or 0
        return self.path, (line - 1 if line else None), f"derivcheck claim {self.name}"


class LoadErrorItem(pytest.Item):
    def __init__(self, *, message: str, **kwargs):
        super().__init__(**kwargs)
        self.message = message
        self.add_marker("derivcheck")

    def runtest(self):
        raise DerivcheckFailure(self.message)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DerivcheckFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"derivcheck: loading {self.path.name}"


class AuditItem(pytest.Item):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_marker("derivcheck")

    def runtest(self):
        state = self.config.stash[_STATE]
        result = state.audit(self)
        counts = result.get("counts") or {}
        self.user_properties += [("derivcheck_" + k.replace(" ", "_"), n) for k, n in sorted(counts.items())]
        for problem in result.get("problems") or []:
            self.add_report_section("call", "derivcheck", problem)
        if result["failed"]:
            raise DerivcheckFailure(audit_failure_text(result))
        if not result.get("displays"):
            pytest.skip(f"{state.display(self.path)}: no display maths found")

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DerivcheckFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"derivcheck audit {self.path.name}"


# -- messages (the CLI's renderers) ---------------------------------------------------------------

def claim_failure_text(result: dict) -> str:
    """What ``check`` prints for a claim that does not pass (verdict, reason, where it is refuted and the
    counterexample), then its first failing step and its witnesses as ``show`` prints them."""
    from proofs.render import text
    out = [line.strip() if i else line for i, line in enumerate(text.claim_line(result))]
    steps = result.get("steps") or []
    first = result.get("first_failing_step")
    step = next((s for s in steps if s.get("index") == first), None) if first is not None else None
    if step is None:                     # unproved, or refuted at a step the result does not name
        step = next((s for s in steps if s.get("verdict") not in ("proved", None)), None)
    if step is not None:
        claim_cex = result.get("counterexample") if text.refutation(result) else None
        out.append("first failing step:")
        out += text._show_step(step, claim_cex, False)
    witnesses = result.get("witnesses") or []
    if witnesses:
        out.append("witnesses:")
        for w in witnesses:
            out += text._show_witness(w, False)
    return "\n".join(out)


def audit_failure_text(result: dict) -> str:
    """The audit's text report of the document, keeping only the pairs that fail (refuted, error, timeout)."""
    from proofs.audit.render import render_text
    from proofs.audit.results import FAILING
    shown = dict(result)
    shown["pairs"] = [p for p in result.get("pairs") or [] if p.get("verdict") in FAILING]
    failing = render_text([shown]).splitlines()
    whole = render_text([result]).splitlines()
    if result.get("error"):
        return "\n".join(whole)
    return "\n".join(failing[:-1] + whole[-1:])     # the failing pairs, then the document's own summary line


# -- the session's state: cache, batches, results ------------------------------------------------

class _State:
    def __init__(self, config):
        self.config = config
        self.root = str(config.invocation_params.dir)
        self.timeout = config.getoption("derivcheck_timeout")
        self.audit_timeout = config.getoption("derivcheck_audit_timeout")
        self.max_memory = config.getoption("derivcheck_max_memory") or None
        self.seed = config.getoption("derivcheck_seed")
        self.globs = list(config.getoption("derivcheck_audit") or [])
        for name, value in (("--derivcheck-timeout", self.timeout), ("--derivcheck-audit-timeout", self.audit_timeout)):
            if not value > 0 or value == float("inf"):
                raise pytest.UsageError(f"{name}: must be a positive number of seconds")
        if self.max_memory is not None and not self.max_memory > 0:
            raise pytest.UsageError("--derivcheck-max-memory: must be a number of megabytes, 0 for no limit")
        self.no_cache = config.getoption("derivcheck_no_cache")
        self.cache = self.new_cache()
        self.claim_files: dict = {}          # claim id -> the file that defined it first
        self.results: dict = {}              # nodeid -> result dict, for items of a batch not yet run
        self.done: set = set()               # nodeids whose result was asked for (not checked again for a batch)
        self.plans: dict = {}                # display -> the runner's Plan for that file at collection
        # an xdist worker cannot know which items it will be sent (xdist sets 'dist' to 'no' in workers)
        self.per_item = hasattr(config, "workerinput")

    def new_cache(self):
        """The CLI's cache (``cli._cache``: its directory, seed and version). A new object for every file's
        collection and every batch, so each key is computed from the file's bytes at that moment, as in a CLI run."""
        from argparse import Namespace
        return own_cli()._cache(Namespace(seed=self.seed, no_cache=self.no_cache))

    def display(self, path) -> str:
        """The file as ``derivcheck check`` run from the invocation directory names it (the cache's key)."""
        from proofs.loader import shown
        try:
            rel = os.path.relpath(str(path), self.root)
        except ValueError:               # another drive
            rel = str(path)
        return shown(os.path.normpath(rel))

    def audit_glob(self, path) -> bool:
        if not self.globs:
            return False
        try:
            rel = os.path.relpath(str(path), str(self.config.rootpath))
        except ValueError:
            rel = str(path)
        return any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(os.path.basename(str(path)), g) for g in self.globs)

    @contextmanager
    def in_invocation_dir(self):
        """Paths and the cache are relative to where pytest was started, as for the CLI run from there."""
        here = os.getcwd()
        if here == self.root:
            yield
            return
        os.chdir(self.root)
        try:
            yield
        finally:
            os.chdir(here)

    def _batch(self, item) -> list:
        if self.per_item:
            return [item]
        return [i for i in item.session.items
                if isinstance(i, ClaimItem) and i.path == item.path and i.nodeid not in self.results
                and (i is item or i.nodeid not in self.done)]

    def result_for(self, item) -> dict:
        self.done.add(item.nodeid)
        if item.nodeid in self.results:
            return self.results.pop(item.nodeid)
        batch = self._batch(item)
        if item not in batch:
            batch.insert(0, item)
        by_id = {i.meta["id"]: i for i in batch}
        from proofs import runner
        from proofs.loader import LoadError, UsageError
        from proofs.results import error_result
        with self.in_invocation_dir():
            cache = self.new_cache()
            try:
                if not cache.enabled and item.display in self.plans:    # nothing to re-read: what collection found
                    plan = dataclasses.replace(self.plans[item.display])
                else:                    # the entry as it is now (merged into, not overwritten), or a fresh import
                    plan = runner.gather([item.display], cache=cache, timeout=self.timeout,
                                         max_memory=self.max_memory)
            except (UsageError, LoadError) as e:
                plan, failure = None, f"{item.display}: {e}"
            else:
                failure = "; ".join(e.one_line() for e in plan.errors)
            if plan is not None:
                plan.selected = [m for m in plan.selected if m["id"] in by_id]
            got = runner.check(plan, cache=cache, jobs=1, timeout=self.timeout, seed=self.seed,
                               progress_stream=io.StringIO(), max_memory=self.max_memory) \
                if plan is not None and plan.selected else []
        for r in got:
            it = by_id.pop(r["id"], None)
            if it is not None:
                self.results[it.nodeid] = r
        for cid, it in by_id.items():         # no longer defined, or the file no longer loads
            why = failure or f"the claim is no longer defined in {it.display}"
            self.results[it.nodeid] = error_result(
                id=cid, title=it.meta.get("title", ""), source=it.meta.get("source") or {}, verdict="error",
                expected=str(it.meta.get("expected", "")), message=why, file=it.display,
                topic=it.meta.get("topic", "")).to_dict()
        return self.results.pop(item.nodeid)

    def audit(self, item) -> dict:
        from proofs.audit.check import Settings
        from proofs.audit.command import SIDECAR_DIRS
        from proofs.audit.runner import Job, audit_jobs
        display = self.display(item.path)
        settings = Settings(pair_timeout=self.audit_timeout, seed=self.seed,
                            stage_timeout=min(2.0, self.audit_timeout / 4))
        with self.in_invocation_dir():
            job = Job(path=display, name=display, sidecar_dirs=tuple(str(d) for d in SIDECAR_DIRS))
            res = audit_jobs([job], settings, workers=1, max_memory=self.max_memory)[0]
        out = res.to_dict()
        out["failed"] = res.failed
        return out


_STATE = pytest.StashKey[_State]()


# -- summary --------------------------------------------------------------------------------------

def pytest_report_header(config):
    if _enabled(config):
        state = config.stash[_STATE]
        cache = state.cache.root if state.cache.enabled else "off"
        return [f"derivcheck: timeout {state.timeout:g} s per claim, seed {state.seed}, cache {cache}"]
    return None


def pytest_terminal_summary(terminalreporter, config):
    if not _enabled(config):
        return
    checked = cached = 0
    for reports in terminalreporter.stats.values():
        for rep in reports:
            if getattr(rep, "when", None) != "call":
                continue
            props = dict(getattr(rep, "user_properties", ()) or ())
            if "derivcheck_cached" in props:
                checked += 1
                cached += bool(props["derivcheck_cached"])
    if checked:
        terminalreporter.write_line(f"derivcheck: {checked} claim{'s' * (checked != 1)} run, "
                                    f"{cached} from the cache")
