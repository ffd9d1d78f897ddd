"""Child processes that can neither hang a run nor outlive it, and the files they read.

Every piece of a user's code (importing a derivation file, building a claim, running a witness) runs in a
process forked from the parent, never in the parent itself. :func:`enter_child` is the first thing such a
child does; it establishes these invariants:

* **Own process group.** The child leads a new process group, so whatever it starts (a witness's
  subprocess, a pool) is in that group, and :func:`kill_group` ends all of it at once. The parent also
  calls :func:`adopt` right after the fork (both sides set the group: no window where a kill misses).
* **Dies with the parent.** ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` (Linux) plus a watchdog thread that polls
  ``getppid()``: when the parent is gone (``kill -9`` included) the child kills its whole group.
  SIGTERM to the child does the same. Only a process that leaves the group on purpose (``setsid``)
  escapes; that is documented, not prevented.
* **Bounded memory.** ``RLIMIT_AS`` is set to what the child inherited plus ``max_memory_mb``; an
  allocation beyond it raises ``MemoryError`` in the child (numpy and Python alike), which the runner
  reports as an ``error`` naming the limit.
* **Reads are recorded.** :class:`ReadLog` (an audit hook) records every file the child opens for reading
  outside the interpreter's own installation and the tool, with its sha256, so the cache can depend on
  modules imported inside a builder and on data files a builder reads.
* stdout is the report's: the child's ``stdout`` (fd 1 too) goes to stderr.
"""
from __future__ import annotations

import functools
import hashlib
import os
import signal
import sys
import sysconfig
import threading

DEFAULT_MAX_MEMORY_MB = 4096
TOOL_DIR = os.path.dirname(os.path.abspath(__file__))
_PR_SET_PDEATHSIG = 1


def _vm_size() -> int:
    """Bytes of address space this process uses now (0 when unknown)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _kill_own_group(*_args) -> None:
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)
    finally:                                     # pragma: no cover - killpg killed us already
        os._exit(137)


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the watchdog alone
        pass
    if os.getppid() != parent:          # the parent died before prctl took effect
        _kill_own_group()

    def watch():
        import time
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                _kill_own_group()

    threading.Thread(target=watch, name="derivcheck-watchdog", daemon=True).start()


def _limit_memory(max_memory_mb: float | None) -> None:
    if not max_memory_mb:
        return
    try:
        import resource
        limit = _vm_size() + int(max_memory_mb * 2**20)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # pragma: no cover - no limit rather than no run
        pass


def prepare() -> None:
    """In the parent, before forking: do once what every child would otherwise do again."""
    _system_dirs()
    try:
        import ctypes  # noqa: F401 - for prctl in _die_with_parent
        import resource  # noqa: F401
    except ImportError:  # pragma: no cover
        pass


def enter_child(parent: int, *, max_memory_mb: float | None = None) -> None:
    """Make the current (just forked) process a well-behaved child of ``parent``; see the module docstring."""
    try:
        os.setpgid(0, 0)
    except OSError:  # pragma: no cover - the parent's adopt() did it
        pass
    signal.signal(signal.SIGTERM, _kill_own_group)
    signal.signal(signal.SIGHUP, _kill_own_group)
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the parent handles Ctrl-C and ends the group
    _die_with_parent(parent)
    _limit_memory(max_memory_mb)
    try:
        os.dup2(2, 1)                   # the report owns stdout; a chatty claim writes to stderr
    except OSError:  # pragma: no cover
        pass
    sys.stdout = sys.stderr = _LineTracker(sys.__stderr__)


class _LineTracker:
    """A text stream that remembers whether the last thing written ended a line (see :func:`end_output`)."""

    def __init__(self, stream):
        self._stream, self.at_line_start = stream, True

    def write(self, text):
        n = self._stream.write(text)
        if text:
            self.at_line_start = str(text).endswith("\n")
        return n

    def __getattr__(self, name):
        return getattr(self._stream, name)


def end_output() -> None:
    """Flush the child's output and end its last line, so the parent's messages start on a line of their own."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if isinstance(stream, _LineTracker) and not stream.at_line_start:
                stream.write("\n")
            stream.flush()
        except (OSError, ValueError):
            pass


def adopt(pid: int) -> None:
    """Parent side of :func:`enter_child`: put ``pid`` in its own group (whichever side runs first wins)."""
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass


def kill_group(pid: int | None) -> None:
    """SIGKILL the process group led by ``pid`` (the child and all it started), and ``pid`` itself."""
    if not pid:
        return
    for kill, target in ((os.killpg, pid), (os.kill, pid)):
        try:
            kill(target, signal.SIGKILL)
        except OSError:
            pass


def memory_note(text: str, max_memory_mb: float | None) -> str:
    """``text`` with the memory limit named when it reports a ``MemoryError``."""
    if max_memory_mb and "MemoryError" in text and "--max-memory" not in text:
        return f"{text} (over the per-worker memory limit, --max-memory {max_memory_mb:g} MB)"
    return text


# -- files read by a child ----------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _system_dirs() -> tuple:
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, TOOL_DIR,
            "/proc", "/sys", "/dev", "/etc", "/usr/lib", "/usr/share", "/usr/local/lib"}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            dirs.add(sysconfig.get_paths()[key])
        except KeyError:  # pragma: no cover
            pass
    return tuple(sorted({os.path.realpath(d) for d in dirs if d}))


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class ReadLog:
    """Files opened for reading in this process since :meth:`start` (or the last :meth:`take`).

    Only one instance per process takes effect (audit hooks cannot be removed); ``start`` is cheap to call
    again. Paths under the interpreter, its site-packages, the tool itself, ``/proc``, ``/dev``, ``/etc``
    and ``__pycache__`` are not recorded: they are covered by the versions and the tool digest in the
    cache key, or are not content.
    """

    _installed = None

    def __init__(self, ignore=()):
        self.paths: set = set()
        self.ignore = _system_dirs() + tuple(os.path.realpath(p) for p in ignore)
        self.active = False

    def start(self) -> "ReadLog":
        if ReadLog._installed is None:
            ReadLog._installed = self
            sys.addaudithook(ReadLog._hook)
        else:
            ReadLog._installed.ignore = self.ignore
        ReadLog._installed.active = True
        return ReadLog._installed

    @staticmethod
    def _hook(event, args):
        log = ReadLog._installed
        if log is None or not log.active or event != "open":
            return
        try:
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if not isinstance(path, str):
                return
            if isinstance(mode, str) and any(c in mode for c in "wax+"):
                return
            if isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
                return
            log.paths.add(path)
        except Exception:  # noqa: BLE001 - an audit hook must never raise into user code
            pass

    def take(self) -> dict:
        """``{realpath: sha256}`` of the files read since the last take (unreadable ones as ``None``)."""
        paths, self.paths = self.paths, set()
        was, self.active = self.active, False       # hashing opens files too
        try:
            out = {}
            for p in paths:
                real = os.path.realpath(p)
                if (real in out or real.endswith(".pyc") or f"{os.sep}__pycache__{os.sep}" in real
                        or any(_under(real, d) for d in self.ignore) or not os.path.isfile(real)):
                    continue
                out[real] = sha256_file(real)
            return dict(sorted(out.items()))
        finally:
            self.active = was


def sha256_file(path: str) -> str | None:
    try:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None
