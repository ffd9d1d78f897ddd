"""Result cache in ``.derivcheck_cache/`` (current directory), one entry per source file.

What a cached verdict rests on (the README's "What the cache trusts")
--------------------------------------------------------------------
An entry is used only when all of this holds, else it is ignored and the claims are recomputed:

* its ``key`` -- sha256 of the file's bytes, the bytes of every ``proofs/**/*.py`` (the tool itself), the
  versions of derivcheck, SymPy, NumPy and Python, the seed and :data:`FORMAT` -- matches;
* it names this file (real path and the name it was given on the command line);
* every file read while the file was imported (``deps``: helper modules wherever they live, data files)
  still has the recorded sha256, and so does every file read while *that claim* was checked (modules
  imported inside a builder, data files a builder or witness reads; recorded by an audit hook in the
  worker, :class:`proofs.isolation.ReadLog`), the checked file itself among them with the sha256 of the
  bytes the worker compiled it from (:class:`proofs.loader._SourceLoader`, never a stale ``.pyc``), so an
  edit between the key and the worker's import can never file one content's verdict under another's key;
* a stored result's ``id`` and ``expected`` are those of the claim it is filed under, its verdict was
  computed (never ``error``/``timeout``, nor a witness that failed to run), and
* the entry's HMAC-SHA256 verifies under this user's secret key
  (``$XDG_CACHE_HOME/derivcheck/cache-secret``, made on first use with mode 0600, or
  ``DERIVCHECK_CACHE_SECRET``): an entry edited by hand, copied from another machine or restored from
  someone else's CI cache is ignored. Whoever can read that key (or edit the tool) can forge entries; the
  cache does not defend against them, and ``--no-cache`` ignores it altogether.

Not tracked: the network, the clock, environment variables, and files a claim reads through a process it
starts. A claim that depends on them should not be cached (run with ``--no-cache``).

A hit needs neither SymPy, NumPy nor the derivation module: this module only uses the standard library.
Writes are atomic (tempfile + ``os.replace``); a corrupt entry reads as a miss and is rewritten.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
from functools import lru_cache

from .atomic import write_atomically

FORMAT = 2
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


SECRET_ENV = "DERIVCHECK_CACHE_SECRET"


def _secret_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "derivcheck", "cache-secret")


@lru_cache(maxsize=1)
def secret() -> bytes | None:
    """This user's key for signing cache entries (made on first use); ``None`` when there is none."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode()
    path = _secret_path()
    try:
        with open(path, "rb") as fh:
            data = fh.read().strip()
        if len(data) >= 32:
            return data
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(path + f".{os.getpid()}.tmp", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32).hex().encode())
        try:
            os.link(path + f".{os.getpid()}.tmp", path)     # first writer wins; a racing run reads its key
        except FileExistsError:
            pass
        finally:
            os.unlink(path + f".{os.getpid()}.tmp")
        with open(path, "rb") as fh:
            data = fh.read().strip()
        return data if len(data) >= 32 else None
    except OSError:
        return None


def _mac(entry: dict, key: bytes) -> str:
    body = {k: v for k, v in entry.items() if k != "mac"}
    return hmac.new(key, json.dumps(body, sort_keys=True, ensure_ascii=True).encode(), hashlib.sha256).hexdigest()


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
        name = sha256_bytes(f"{os.path.realpath(path)}\0{display}\0{self.seed}".encode("utf-8", "surrogateescape"))[:32]
        return os.path.join(self.root, name + ".json")

    @staticmethod
    def default_root() -> str:
        return os.path.abspath(DIRNAME)

    # -- reading -----------------------------------------------------------------------------
    def lookup(self, path: str, display: str = "") -> dict | None:
        """The valid entry for ``path``, or ``None`` (missing, stale, corrupt, forged, or cache disabled)."""
        if not self.enabled:
            return None
        key, sig = self.key(path), secret()
        if key is None or sig is None:
            return None
        try:
            with open(self.entry_path(path, display), encoding="utf-8") as fh:
                entry = json.load(fh)
        except (OSError, ValueError, RecursionError):
            return None
        if not self._well_formed(entry) or not hmac.compare_digest(str(entry.get("mac")), _mac(entry, sig)):
            return None
        if entry["key"] != key or entry["path"] != os.path.realpath(path) or entry["file"] != display:
            return None
        if not _unchanged(entry["deps"]):
            return None
        return entry

    @staticmethod
    def _well_formed(entry) -> bool:
        def files(d):
            return isinstance(d, dict) and all(isinstance(k, str) and (v is None or isinstance(v, str))
                                               for k, v in d.items())
        return (isinstance(entry, dict) and entry.get("format") == FORMAT and isinstance(entry.get("key"), str)
                and isinstance(entry.get("path"), str) and isinstance(entry.get("file"), str)
                and files(entry.get("deps")) and isinstance(entry.get("claims"), list)
                and all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in entry["claims"])
                and isinstance(entry.get("results"), dict)
                and all(isinstance(r, dict) and isinstance(r.get("result"), dict) and files(r.get("reads"))
                        for r in entry["results"].values()))

    def cached_result(self, entry: dict, claim_id: str) -> dict | None:
        """The stored result of ``claim_id`` if it still stands for that claim (see the module docstring)."""
        stored = entry["results"].get(claim_id)
        meta = next((m for m in entry["claims"] if m.get("id") == claim_id), None)
        if stored is None or meta is None:
            return None
        r = stored["result"]
        if r.get("id") != claim_id or r.get("expected") != meta.get("expected") or not cacheable(r):
            return None
        if not _unchanged(stored["reads"]):
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

    def store(self, path: str, display: str, *, metas: list, deps: dict | None, results: list,
              reads: dict | None = None, previous: dict | None = None) -> None:
        """Record a file's claims, the files its import read (``deps``; ``None``: keep ``previous``'s) and its
        cacheable ``results`` with the files each claim read (``reads``), merged with a valid ``previous``."""
        if not self.enabled:
            return
        key, sig = self.key(path), secret()
        if key is None or sig is None:
            return
        kept = {}
        all_deps = {}
        if previous is not None and previous.get("key") == key:
            kept.update(previous.get("results", {}))
            if deps is None:
                all_deps.update(previous.get("deps", {}))
        if deps is None and previous is None:
            return                       # nothing says what the import read: store nothing
        all_deps.update(deps or {})
        ids = {m["id"] for m in metas}
        for r in results:
            if r.get("id") in ids and cacheable(r):
                r = dict(r)
                r["cached"] = False
                kept[r["id"]] = {"result": r, "reads": dict((reads or {}).get(r["id"]) or {})}
        kept = {k: v for k, v in kept.items() if k in ids}
        entry = {"format": FORMAT, "key": key, "file": display, "path": os.path.realpath(path),
                 "deps": dict(sorted(all_deps.items())), "claims": metas, "results": dict(sorted(kept.items()))}
        entry["mac"] = _mac(entry, sig)
        try:
            self._ensure_root()
            atomic_write(self.entry_path(path, display), json.dumps(entry, sort_keys=True, indent=1))
        except (OSError, TypeError, ValueError) as e:  # a read-only directory must not fail the check
            print(f"derivcheck: warning: cannot write cache in {self.root}: {e}", file=sys.stderr)


def _unchanged(files: dict) -> bool:
    """Every recorded file still has its recorded sha256 (a file that could not be read must still be missing)."""
    return all(_file_sha(p) == digest for p, digest in files.items())


def _file_sha(path) -> str | None:
    if not isinstance(path, str):
        return None
    try:
        with open(path, "rb") as fh:
            return sha256_bytes(fh.read())
    except OSError:
        return None
