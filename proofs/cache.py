"""Result cache in ``.derivcheck_cache/`` (current directory), one entry per source file.

An entry is valid when its key -- sha256 of the file's bytes, the bytes of
every ``proofs/**/*.py`` (the tool itself), the versions of derivcheck, SymPy,
NumPy and Python, the seed and :data:`FORMAT` -- matches, and every recorded
dependency (project-local module imported by the file) still has the same
sha256. An entry stores the file's claims (metadata, so selection needs no
import) and the results that were computed (never ``error``/``timeout``, nor
results with a failed witness: the cache never decides what it did not
compute).

A hit needs neither SymPy, NumPy nor the derivation module: this module only
uses the standard library. Writes are atomic (tempfile + ``os.replace``); a
corrupt entry reads as a miss and is rewritten on the next store.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache

from .atomic import write_atomically

FORMAT = 1
DIRNAME = ".derivcheck_cache"
TOOL_DIR = os.path.dirname(os.path.abspath(__file__))

CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by derivcheck.\n"
                "# For information about cache directory tags, see https://bford.info/cachedir/\n")
GITIGNORE = "# Created by derivcheck automatically.\n*\n"


@lru_cache(maxsize=1)
def tool_digest() -> str:
    """sha256 over every ``.py`` file of the ``proofs`` package (path and bytes), in a fixed order."""
    h = hashlib.sha256()
    files = []
    for dirpath, dirnames, filenames in os.walk(TOOL_DIR):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        files += [os.path.join(dirpath, f) for f in filenames if f.endswith(".py")]
    for path in sorted(files):
        rel = os.path.relpath(path, TOOL_DIR).replace(os.sep, "/")
        h.update(rel.encode() + b"\0")
        with open(path, "rb") as fh:
            h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version(name)
        except PackageNotFoundError:
            pass
    except ImportError:  # pragma: no cover
        pass
    return "unknown"


@lru_cache(maxsize=4)
def versions(derivcheck_version: str = "unknown") -> dict:
    """Versions that change results, found without importing SymPy or NumPy."""
    return {
        "derivcheck": derivcheck_version,
        "sympy": _dist_version("sympy"),
        "numpy": _dist_version("numpy"),
        "python": ".".join(map(str, sys.version_info[:3])),
    }


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cacheable(result: dict) -> bool:
    """Only results whose verdict was computed: no error/timeout, no witness that failed to run."""
    if result.get("verdict") in ("error", "timeout"):
        return False
    return all(w.get("verdict") != "error" for w in result.get("witnesses") or [])


def atomic_write(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :mod:`proofs.atomic`)."""
    write_atomically(path, text)


class Cache:
    """``Cache(seed=0, version="0.1.0")``; ``enabled=False`` (``--no-cache``) neither reads nor writes."""

    def __init__(self, root: str = DIRNAME, *, seed: int = 0, version: str = "unknown", enabled: bool = True):
        self.root = root
        self.seed = seed
        self.version = version
        self.enabled = enabled
        self._keys: dict = {}

    # -- keys --------------------------------------------------------------------------------
    def key(self, path: str) -> str | None:
        """The entry key for the source file at ``path`` (``None`` if it cannot be read)."""
        if path in self._keys:
            return self._keys[path]
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        material = json.dumps({"format": FORMAT, "file": sha256_bytes(data), "tool": tool_digest(),
                               "versions": versions(self.version), "seed": self.seed}, sort_keys=True)
        self._keys[path] = k = sha256_bytes(material.encode())
        return k

    def entry_path(self, path: str, display: str = "") -> str:
        """One entry per (file, the way it was named, seed): results carry the name in ``file`` and messages."""
        name = sha256_bytes(f"{os.path.realpath(path)}\0{display}\0{self.seed}".encode())[:32]
        return os.path.join(self.root, name + ".json")

    # -- reading -----------------------------------------------------------------------------
    def lookup(self, path: str, display: str = "") -> dict | None:
        """The valid entry for ``path``, or ``None`` (missing, stale, corrupt, or cache disabled)."""
        if not self.enabled:
            return None
        key = self.key(path)
        try:
            with open(self.entry_path(path, display), encoding="utf-8") as fh:
                entry = json.load(fh)
        except (OSError, ValueError):
            return None
        if not self._well_formed(entry) or entry["key"] != key:
            return None
        for dep in entry["deps"].values():
            if not isinstance(dep, dict) or _file_sha(dep.get("path")) != dep.get("sha256"):
                return None
        return entry

    @staticmethod
    def _well_formed(entry) -> bool:
        return (isinstance(entry, dict) and entry.get("format") == FORMAT and isinstance(entry.get("key"), str)
                and isinstance(entry.get("deps"), dict) and isinstance(entry.get("claims"), list)
                and all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in entry["claims"])
                and isinstance(entry.get("results"), dict)
                and all(isinstance(r, dict) for r in entry["results"].values()))

    @staticmethod
    def cached_result(entry: dict, claim_id: str) -> dict | None:
        r = entry["results"].get(claim_id)
        if r is None:
            return None
        r = dict(r)
        r["cached"] = True
        return r

    # -- writing -----------------------------------------------------------------------------
    def _ensure_root(self) -> None:
        os.makedirs(self.root, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", GITIGNORE)):
            p = os.path.join(self.root, name)
            if not os.path.exists(p):
                atomic_write(p, text)

    def store(self, path: str, display: str, *, metas: list, deps: dict, results: list,
              previous: dict | None = None) -> None:
        """Record a loaded file's claims, dependencies and cacheable ``results`` (merged with a valid ``previous``)."""
        if not self.enabled:
            return
        key = self.key(path)
        if key is None:
            return
        kept = {}
        all_deps = {}
        if previous is not None and previous.get("key") == key:
            kept.update(previous.get("results", {}))
            all_deps.update(previous.get("deps", {}))
        all_deps.update(deps)
        ids = {m["id"] for m in metas}
        for r in results:
            if r.get("id") in ids and cacheable(r):
                r = dict(r)
                r["cached"] = False
                kept[r["id"]] = r
        kept = {k: v for k, v in kept.items() if k in ids}
        entry = {"format": FORMAT, "key": key, "file": display, "path": os.path.realpath(path),
                 "deps": dict(sorted(all_deps.items())), "claims": metas, "results": dict(sorted(kept.items()))}
        try:
            self._ensure_root()
            atomic_write(self.entry_path(path, display), json.dumps(entry, sort_keys=True, indent=1))
        except OSError as e:  # a read-only directory must not fail the check
            print(f"derivcheck: warning: cannot write cache in {self.root}: {e}", file=sys.stderr)


def _file_sha(path) -> str | None:
    if not isinstance(path, str):
        return None
    try:
        with open(path, "rb") as fh:
            return sha256_bytes(fh.read())
    except OSError:
        return None
