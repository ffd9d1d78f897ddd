"""Shared by the pytest plugin and the pre-commit hooks: which files they look at (decided without running
anything), and derivcheck's own command line.

* A **derivation file** is a ``.py`` file whose name does not start with ``_`` or ``.`` (as for
  ``derivcheck check FOLDER``) and whose source imports from ``proofs`` (``from proofs import claim``,
  ``import proofs``, ``from proofs.model import Claim``, ...). The source is parsed with :mod:`ast`, never
  imported or executed; a file that mentions ``proofs`` but cannot be parsed counts, so that the loader
  (in a child process) reports its error. Claims made only by a helper from another package, in a file
  that never imports from ``proofs``, are not found this way: name such files to ``derivcheck check``.
* A **document to audit** is a ``.md``, ``.txt``, ``.tex`` or ``.ipynb`` file carrying the marker comment
  ``<!-- derivcheck-audit -->`` (Markdown, a line of a notebook's Markdown cell) or ``% derivcheck-audit``
  (LaTeX) on a line of its own (so a text that only mentions the marker, in backticks, is not marked).
  The marker is not a ``derivcheck:`` declaration, so ``derivcheck audit`` ignores it.

Only the standard library; files over :data:`MAX_SCAN_BYTES` are not looked at. :func:`own_cli` is the
``cli`` module installed beside this package, never a project's own ``cli.py`` that happens to be on
``sys.path``.
"""
from __future__ import annotations

import ast
import os
import re
import sys

AUDIT_SUFFIXES = (".md", ".txt", ".tex", ".ipynb")
MARKER = "derivcheck-audit"
MAX_SCAN_BYTES = 20 * 2 ** 20
_MD_MARK = re.compile(r"^[ \t]*<!--[ \t]*derivcheck-audit[ \t]*-->[ \t]*$", re.M)
_NOTEBOOK_MARK = re.compile(r'^[ \t]*"<!--[ \t]*derivcheck-audit[ \t]*-->(?:\\n)?",?[ \t]*$', re.M)   # a cell's line
_TEX_MARK = re.compile(r"^[ \t]*%+[ \t]*derivcheck-audit[ \t]*$", re.M)


def _read(path) -> bytes | None:
    try:
        if os.path.getsize(path) > MAX_SCAN_BYTES:
            return None
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _imports_proofs(node) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module == "proofs" or (node.module or "").startswith("proofs."))
    if isinstance(node, ast.Import):
        return any(a.name == "proofs" or a.name.startswith("proofs.") for a in node.names)
    return False


def is_derivation_file(path) -> bool:
    """A ``.py`` file (not ``_private``) whose source imports from ``proofs``; decided by :mod:`ast`, never run."""
    name = os.path.basename(str(path))
    if not name.endswith(".py") or name.startswith(("_", ".")):
        return False
    data = _read(path)
    if data is None or b"proofs" not in data:
        return False
    try:
        tree = ast.parse(data, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return any(_imports_proofs(n) for n in ast.walk(tree))


def is_marked_document(path) -> bool:
    """A ``.md``/``.txt``/``.tex``/``.ipynb`` file carrying the audit marker (read as text, never run)."""
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix not in AUDIT_SUFFIXES:
        return False
    data = _read(path)
    if data is None or MARKER.encode() not in data:
        return False
    text = data.decode("utf-8", "replace")
    mark = {".tex": _TEX_MARK, ".ipynb": _NOTEBOOK_MARK}.get(suffix, _MD_MARK)
    return bool(mark.search(text))


def own_cli():
    """derivcheck's ``cli`` module: the ``cli.py`` beside the ``proofs`` package (a checkout or site-packages)."""
    import importlib.util
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cli.py")
    for name in ("cli", "_derivcheck_cli"):
        mod = sys.modules.get(name)
        if mod is not None and os.path.realpath(getattr(mod, "__file__", "") or "") == os.path.realpath(here):
            return mod
    spec = importlib.util.spec_from_file_location("_derivcheck_cli", here)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["_derivcheck_cli"] = mod
    spec.loader.exec_module(mod)
    return mod
