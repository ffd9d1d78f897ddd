"""Finding and importing the files that define claims.

* The built-in catalog is every module of the ``derivations`` package, located
  with ``importlib.util.find_spec`` (which does not execute the package), so it
  works from a checkout and when installed.
* A user's file is imported under a unique module name with its folder on
  ``sys.path`` during the import, so sibling helpers (``import _helpers``)
  import; helpers from the user's folder are dropped from ``sys.modules``
  afterwards so two folders with a ``helpers.py`` each never see each other's.
* Claims are the :class:`proofs.model.Claim` objects in the module's globals,
  also inside module-level lists and tuples. The loader sets ``claim.file``
  and ``claim.line``.
* Anything going wrong while importing becomes a :class:`LoadError`
  ``path:line: Kind: message`` (one line; the traceback is kept for
  ``--debug``). Nothing read from a file is ever passed to ``eval``/``exec``:
  files are imported as Python modules, which is what they are.
* For the cache, each load records the project-local modules the file
  depends on (see :func:`dependencies`).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import site
import sys
import sysconfig
import traceback
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from types import ModuleType

from .model import Claim

CATALOG_PACKAGE = "derivations"
TOOL_DIR = os.path.dirname(os.path.abspath(__file__))          # proofs/: hashed as the tool itself
PROJECT_ROOT = os.path.dirname(TOOL_DIR)


class UsageError(Exception):
    """A problem with the command line (missing path, unknown id, bad -k): exit 2."""


class LoadError(Exception):
    """A file that cannot be loaded, or a claim that cannot be accepted (duplicate id)."""

    def __init__(self, path: str, line: int, message: str, tb: str = ""):
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message, self.traceback = path, line, message, tb

    def one_line(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": self.path, "line": self.line, "message": self.message, "text": self.one_line()}


@dataclass(frozen=True)
class SourceFile:
    """A file to load. ``module`` is the dotted name of a catalog module, ``None`` for a user file."""

    path: str              # absolute, real path (cache key, identity)
    display: str           # as shown to the user and stored in results
    module: str | None = None
    folder: str = ""       # the user's folder (recursion root, or the file's folder)

    @property
    def short_module(self) -> str:
        return self.module or os.path.splitext(os.path.basename(self.path))[0]


@dataclass
class Loaded:
    source: SourceFile
    claims: list
    deps: dict = field(default_factory=dict)    # module name -> {"path", "sha256"}
    sha256: str | None = None                   # of the bytes the file was compiled from (a file, not a module)


# -- finding files ------------------------------------------------------------------------------

def _skip(name: str) -> bool:
    return name.startswith(("_", "."))


def catalog_files() -> list:
    """Every module of the ``derivations`` package (recursively, skipping ``_private`` names)."""
    spec = importlib.util.find_spec(CATALOG_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"the built-in catalog (package {CATALOG_PACKAGE!r}) cannot be found")
    out = []
    for base in spec.submodule_search_locations:
        base = os.path.realpath(base)
        for dirpath, dirnames, filenames in os.walk(base):
            rel_dir = os.path.relpath(dirpath, base)
            dirnames[:] = sorted(d for d in dirnames if not _skip(d)
                                 and os.path.isfile(os.path.join(dirpath, d, "__init__.py")))
            for fn in sorted(filenames):
                if not fn.endswith(".py") or _skip(fn):
                    continue
                parts = [] if rel_dir == "." else rel_dir.split(os.sep)
                parts.append(fn[:-3])
                out.append(SourceFile(path=os.path.join(dirpath, fn),
                                      display="/".join([CATALOG_PACKAGE, *parts]) + ".py",
                                      module=".".join([CATALOG_PACKAGE, *parts]), folder=base))
    return sorted(out, key=lambda s: s.display)


def shown(path: str) -> str:
    """``path`` as printed: control characters, and bytes that are not UTF-8 (``surrogateescape``), as
    ``\\xNN`` escapes, so a file name can neither break an output line nor fail to encode."""
    out = []
    for ch in path:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        elif o < 32 or 0x7F <= o < 0xA0 or 0xD800 <= o <= 0xDFFF or o in (0x2028, 0x2029, 0xFFFE, 0xFFFF):
            out.append(f"\\x{o:02x}" if o < 256 else f"\\u{o:04x}")
        else:
            out.append(ch)
    return "".join(out)


def user_files(arg: str) -> list:
    """The ``.py`` files named by a PATH argument (a file, or a folder searched recursively)."""
    if os.path.isfile(arg):
        if not arg.endswith(".py"):
            raise UsageError(f"{shown(arg)}: not a Python file (.py)")
        path = os.path.realpath(arg)
        return [SourceFile(path=path, display=shown(os.path.normpath(arg)), folder=os.path.dirname(path))]
    if not os.path.isdir(arg):
        raise UsageError(f"{shown(arg)}: no such file or folder")
    root = os.path.realpath(arg)
    out = []
    for dirpath, dirnames, filenames in os.walk(arg):
        dirnames[:] = sorted(d for d in dirnames if not _skip(d))
        for fn in sorted(filenames):
            if fn.endswith(".py") and not _skip(fn):
                p = os.path.join(dirpath, fn)
                out.append(SourceFile(path=os.path.realpath(p), display=shown(os.path.normpath(p)), folder=root))
    return out


def looks_like_path(arg: str) -> bool:
    return arg.endswith(".py") or "/" in arg or os.sep in arg or arg in (".", "..")


def find_sources(targets) -> tuple:
    """Split positional arguments into files to load and claim ids.

    An argument that exists on disk is a PATH; one that looks like a path
    (contains a slash or ends in ``.py``) but does not exist is a usage error;
    anything else is a claim ID. With no PATH the catalog is used.
    """
    files, ids, seen = [], [], set()
    for t in targets:
        if os.path.exists(t):
            for sf in user_files(t):
                if sf.path not in seen:
                    seen.add(sf.path)
                    files.append(sf)
        elif looks_like_path(t):
            raise UsageError(f"{shown(t)}: no such file or folder")
        else:
            ids.append(t)
    if not any(os.path.exists(t) for t in targets):
        files = catalog_files()
    return files, ids


# -- classifying modules (for dependencies) -----------------------------------------------------

def _norm(p: str) -> str:
    return os.path.normcase(os.path.realpath(p))


def _excluded_dirs() -> list:
    dirs = set()
    paths = sysconfig.get_paths()
    for k in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(k):
            dirs.add(paths[k])
    try:
        dirs.update(site.getsitepackages())
    except Exception:  # pragma: no cover - some virtualenvs lack it
        pass
    user_site = getattr(site, "getusersitepackages", lambda: None)()
    if user_site:
        dirs.add(user_site)
    dirs.update({sys.prefix, sys.base_prefix, sys.exec_prefix})
    return [_norm(d) for d in dirs if d]


_EXCLUDED = None


def _depth_under(path: str, root: str) -> int:
    """Length of ``root`` when ``path`` is inside it, else -1."""
    if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
        return len(root)
    return -1


def is_local(path: str, local_roots=()) -> bool:
    """Is the module file at ``path`` part of the project or the user's folders (not stdlib/site-packages)?

    The deepest matching folder decides, so a virtualenv inside the project is
    still "installed", and the catalog installed into site-packages is still local.
    Modules of the tool itself (``proofs/``) are not dependencies: they are hashed whole.
    """
    global _EXCLUDED
    if _EXCLUDED is None:
        _EXCLUDED = _excluded_dirs()
    p = _norm(path)
    if _depth_under(p, _norm(TOOL_DIR)) >= 0:
        return False
    local = max((_depth_under(p, _norm(r)) for r in local_roots), default=-1)
    excluded = max((_depth_under(p, r) for r in _EXCLUDED), default=-1)
    if local >= 0 or excluded >= 0:
        return local >= excluded
    return True


def _project_roots(sf: SourceFile) -> list:
    roots = [sf.folder or os.path.dirname(sf.path)]
    spec_dirs = []
    try:
        spec = importlib.util.find_spec(CATALOG_PACKAGE)
        spec_dirs = list(spec.submodule_search_locations or []) if spec else []
    except (ImportError, ValueError):  # pragma: no cover
        pass
    roots += spec_dirs
    if os.path.isfile(os.path.join(PROJECT_ROOT, "pyproject.toml")):
        roots.append(PROJECT_ROOT)
    return roots


def sha256_file(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _module_file(mod) -> str | None:
    f = getattr(mod, "__file__", None)
    if not isinstance(f, str) or not f.endswith(".py") or not os.path.isfile(f):
        return None
    return f


def dependencies(module: ModuleType, new_modules, local_roots) -> dict:
    """Project-local modules a loaded file depends on: name -> {"path", "sha256"}.

    The union of (a) the local modules imported while the file was imported
    (the ``sys.modules`` difference) and (b) the local modules reachable from
    its globals (module objects, and the ``__module__`` of functions, classes
    and claims), transitively. (b) catches helpers another file imported first.
    """
    own = getattr(module, "__name__", None)
    names = set()

    def consider(name):
        if not isinstance(name, str) or name == own or name in names:
            return None
        mod = sys.modules.get(name)
        f = _module_file(mod)
        if f is None or not is_local(f, local_roots):
            return None
        names.add(name)
        return mod

    for name in new_modules:
        consider(name)
    queue = [module] + [sys.modules[n] for n in list(names) if n in sys.modules]
    seen = set()
    while queue:
        mod = queue.pop()
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        for value in list(vars(mod).values()):
            try:                        # a global may raise when looked at: it is then no dependency
                if isinstance(value, ModuleType):
                    name = value.__name__
                elif isinstance(value, Claim):
                    name = getattr(value.build, "__module__", None)
                elif isinstance(value, type) or callable(value):
                    name = getattr(value, "__module__", None)
                else:
                    continue
            except Exception:  # noqa: BLE001
                continue
            dep = consider(name)
            if dep is not None:
                queue.append(dep)
    out = {}
    for name in sorted(names):
        f = _module_file(sys.modules.get(name))
        if f is not None:
            out[name] = {"path": os.path.realpath(f), "sha256": sha256_file(f)}
    return out


# -- importing ----------------------------------------------------------------------------------

def _unique_name(path: str) -> str:
    stem = "".join(ch if ch.isalnum() else "_" for ch in os.path.splitext(os.path.basename(path))[0])
    return f"derivcheck_user_{hashlib.sha256(os.fsencode(path)).hexdigest()[:12]}_{stem}"


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _load_error(sf: SourceFile, exc: BaseException) -> LoadError:
    """``path:line: Kind: message`` for an exception raised while importing ``sf``."""
    tb_text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    kind = type(exc).__name__
    line = 0
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and _norm(frame.filename) == _norm(sf.path):
            line = frame.lineno or 0
    if isinstance(exc, SyntaxError):
        msg = exc.msg or str(exc)
        if exc.filename and _norm(exc.filename) == _norm(sf.path):
            line = exc.lineno or 0
            return LoadError(sf.display, line, f"{kind}: {_one_line(msg)}", tb_text)
        where = f" (in {exc.filename}:{exc.lineno})" if exc.filename else ""
        return LoadError(sf.display, line, f"{kind}: {_one_line(msg)}{where}", tb_text)
    if isinstance(exc, SystemExit):
        return LoadError(sf.display, line, f"SystemExit: the file called exit({exc.code!r}) on import", tb_text)
    detail = _one_line(str(exc)) if str(exc) else ""
    return LoadError(sf.display, line, f"{kind}: {detail}" if detail else kind, tb_text)


class _SourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles a user's file from the bytes it reads now, never from a cached ``.pyc`` (whose check is the
    file's mtime in seconds and its size: an edit within the second that keeps the size would run the old
    code), and remembers their sha256, so a result is tied to the content that produced it."""

    sha256: str | None = None

    def get_code(self, fullname):
        data = self.get_data(self.path)
        self.sha256 = hashlib.sha256(data).hexdigest()
        return compile(data, self.path, "exec", dont_inherit=True)


def _import(sf: SourceFile, keep_path: bool = False) -> ModuleType:
    if sf.module is not None:
        return importlib.import_module(sf.module)
    name = _unique_name(sf.path)
    spec = importlib.util.spec_from_file_location(name, sf.path, loader=_SourceLoader(name, sf.path))
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a loader
        raise ImportError(f"cannot import {sf.display}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = os.path.dirname(sf.path)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        if not keep_path:
            try:
                sys.path.remove(folder)
            except ValueError:  # pragma: no cover - the file removed it itself
                pass
    return module


def collect_claims(module: ModuleType, sf: SourceFile, owners=frozenset()) -> list:
    """The claims a module defines: module globals, and members of module-level lists/tuples.

    A claim whose builder lives in another file being loaded in the same run
    (``owners``) belongs to that file and is skipped here (re-exported claims).
    """
    found, seen = [], set()
    me = _norm(sf.path)

    def consider(obj):
        try:
            if type(obj) is not Claim and not isinstance(obj, Claim) or id(obj) in seen:
                return
        except Exception:  # noqa: BLE001 - an object whose __class__ raises is not a claim
            return
        seen.add(id(obj))
        problem = claim_problem(obj)
        if problem:
            code = getattr(getattr(obj, "build", None), "__code__", None)
            line = code.co_firstlineno if code is not None and _norm(code.co_filename or "") == me else 0
            raise LoadError(sf.display, line, problem)
        code = getattr(obj.build, "__code__", None)
        home = _norm(code.co_filename) if code is not None and code.co_filename else me
        if home != me and home in owners:
            return
        obj.file = sf.display
        if not obj.topic:            # a module's TOPIC names the topic of its claims (else the file's stem)
            obj.topic = str(getattr(module, "TOPIC", "") or os.path.splitext(os.path.basename(sf.display))[0])
        if code is not None and home == me:
            obj.line = code.co_firstlineno
        found.append(obj)

    for value in list(vars(module).values()):
        try:
            is_claim, is_sequence = isinstance(value, Claim), isinstance(value, (list, tuple))
        except Exception:  # noqa: BLE001 - a global whose __class__ raises is neither
            continue
        if is_claim:
            consider(value)
        elif is_sequence:
            for item in value:
                consider(item)
    return found


def claim_problem(c: Claim) -> str:
    """Why a :class:`Claim` (perhaps built by hand, ``Claim(...)``) cannot be accepted; ``""`` if it can.

    Ids are one printable token (letters, digits, ``_ . -``): an id can never forge an output line.
    """
    from .model import Source, Verdict, _ID_RE
    cid = c.id
    if not isinstance(cid, str) or not _ID_RE.match(cid) or len(cid) > 200:
        return f"claim id {_one_line(repr(cid), 80)} must be letters, digits, '_', '.', '-' (at most 200)"
    if not isinstance(c.title, str):
        return f"claim {cid}: title must be a string, not {type(c.title).__name__}"
    if not isinstance(c.source, Source):
        return f"claim {cid}: source must be a Source(file, locator), not {type(c.source).__name__}"
    if not all(isinstance(s, Source) for s in (c.also or ())):
        return f"claim {cid}: also= must list Source(file, locator) values"
    try:
        Verdict(getattr(c.expected, "value", c.expected))
    except (ValueError, TypeError):
        return f"claim {cid}: expected={c.expected!r} is not a verdict"
    if not callable(c.build):
        return f"claim {cid}: the builder is not callable"
    for name in ("topic", "statement", "reading", "not_checkable"):
        if not isinstance(getattr(c, name, ""), str):
            return f"claim {cid}: {name} must be a string"
    return ""


def load(sf: SourceFile, *, owners=frozenset(), keep_path: bool = False) -> Loaded:
    """Import ``sf`` and collect its claims; raise :class:`LoadError` (never anything else but KeyboardInterrupt).

    ``keep_path`` (in a worker, which checks this one file and then ends): the file's folder stays on
    ``sys.path`` and its helpers stay imported, so a builder may import a sibling module when it runs.
    """
    before = set(sys.modules)
    try:
        with redirect_stdout(sys.stderr):       # a chatty user file must not corrupt a JSON report
            module = _import(sf, keep_path)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:                 # SyntaxError, ImportError, SystemExit, anything
        if not keep_path:
            _forget_user_helpers(before, sf)
        raise _load_error(sf, exc) from None
    roots = _project_roots(sf)
    new = set(sys.modules) - before
    try:
        claims = collect_claims(module, sf, {_norm(o) for o in owners})
        deps = dependencies(module, new, roots)
    except LoadError:
        raise
    except Exception as exc:                     # a global that raises when looked at
        raise _load_error(sf, exc) from None
    finally:
        if not keep_path:
            _forget_user_helpers(before, sf, keep=getattr(module, "__name__", None))
    return Loaded(source=sf, claims=claims, deps=deps,
                  sha256=getattr(getattr(module, "__loader__", None), "sha256", None))


def _forget_user_helpers(before, sf: SourceFile, keep=None) -> None:
    """Drop modules this load imported through the user's folder on ``sys.path``.

    Only modules whose dotted name matches their place under the file's folder
    (``helpers`` -> ``<folder>/helpers.py``) are dropped, so two folders with a
    ``helpers.py`` each never see each other's, and the next file in the same
    folder re-imports (and so records) its own helpers. The tool is never touched.
    """
    if sf.module is not None:
        return
    folder = _norm(os.path.dirname(sf.path))
    for name in set(sys.modules) - set(before):
        if name == keep:
            continue
        f = _module_file(sys.modules.get(name))
        if f is None:
            continue
        f = _norm(f)
        if _depth_under(f, _norm(TOOL_DIR)) >= 0 or _depth_under(f, folder) < 0:
            continue
        rel = os.path.relpath(f, folder)
        expect = name.replace(".", os.sep)
        if rel in (expect + ".py", os.path.join(expect, "__init__.py")):
            del sys.modules[name]


def claim_meta(c: Claim, sf: SourceFile) -> dict:
    """What selection, ``list`` and the cache need to know about a claim without importing it."""
    expected = getattr(c.expected, "value", c.expected)
    return {
        "id": c.id,
        "title": c.title,
        "topic": c.topic,
        "expected": str(expected),
        "source": c.source.to_dict(),
        "file": c.file or sf.display,
        "line": c.line,
        "module": sf.short_module,
        "witnesses": len(c.witnesses),
        "corrects": c.corrects,          # the erratum this claim corrects: show finds an erratum's corrections
    }
