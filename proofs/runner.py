"""Running claims: one worker process per file (claims in file order), at most ``jobs`` at once.

* Workers are forked (``multiprocessing`` 'fork' context) after the parent has
  imported SymPy, NumPy, the engine and the derivation modules, so a worker
  starts in milliseconds and needs no pickling of claims.
* Claims of one file run one after another in the same worker, so they share
  SymPy's caches (the catalog takes ~25% less CPU than with a process per
  claim); the grouping depends on files only, never on ``jobs``.
* A worker sends ``(id, ("ok", result.to_dict()))`` (or ``("raised", message,
  traceback)``) per claim through a one-way Pipe. The parent waits on the pipes
  and the process sentinels together; a claim over its ``timeout`` is killed
  with its worker and becomes verdict ``timeout`` ("timed out after S s"); a
  worker that dies without answering makes its current claim an ``error``.
  Either way the rest of that file continues in a fresh worker.
* Results come back sorted by claim id, so the output is the same for any ``jobs``.
* :func:`gather` / :func:`check` put loading, the cache and selection together
  for the CLI. A cache hit imports nothing heavy.
"""
from __future__ import annotations

import functools
import gc
import os
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, field

from . import isolation, loader, selection
from .cache import Cache
from .loader import LoadError, UsageError


# -- one claim per process ----------------------------------------------------------------------

def _default_check():
    from .engine import check_claim     # imports SymPy: only when something must be computed
    return check_claim


WARM_UP_MIN_CLAIMS = 3


def _size_hint(claim) -> int:
    code = [getattr(claim.build, "__code__", None)] + [getattr(w.fn, "__code__", None) for w in claim.witnesses]
    return sum(len(c.co_code) + 8 * len(c.co_consts) for c in code if c is not None)


def _preload() -> None:
    """Import the heavy libraries and the engine in the parent (never user code), so that every forked child,
    loader or worker, reuses them instead of importing them again."""
    for name in ("numpy", "sympy", "proofs.engine", "proofs.derivation", "proofs.witness", "proofs.expectation"):
        try:
            __import__(name)
        except ImportError:  # pragma: no cover - both are dependencies
            pass
    isolation.prepare()


_WARM = False


def _warm_up() -> None:
    """Warm SymPy's one-time machinery in the parent (~0.4 s once; saves 0.1-0.4 s in every
    forked worker). Done while the loader children import the files, or else while the first worker
    already runs; only once per process."""
    global _WARM
    if _WARM:
        return
    _WARM = True
    try:
        from .engine import warm_up
        warm_up()
    except Exception:  # noqa: BLE001 - warming up is an optimisation only
        pass


def _one_line(text, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _where(claim) -> str:
    return f"{claim.file or '?'}:{claim.line or 0}: claim {claim.id}"


def _error_dict(claim, verdict: str, message: str, seconds: float) -> dict:
    from .results import error_result
    expected = getattr(claim.expected, "value", claim.expected)
    return error_result(id=claim.id, title=claim.title, source=claim.source.to_dict(), verdict=verdict,
                        expected=str(expected), message=message, file=claim.file, topic=claim.topic,
                        seconds=round(seconds, 3)).to_dict()


def _debug_wrap(claim) -> None:
    """With ``--debug`` and a check function without a ``debug`` parameter: print the traceback of an
    exception escaping the builder or a witness.

    Runs inside the worker only (the claim object there is the worker's copy).
    The engine still turns the exception into a one-line ``error`` verdict.
    """
    def wrap(fn, what):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:
                sys.stderr.write(f"--- traceback ({what} of claim {claim.id}) ---\n{traceback.format_exc()}")
                sys.stderr.flush()
                raise
        return wrapper

    claim.build = wrap(claim.build, "builder")
    for w in claim.witnesses:
        w.fn = wrap(w.fn, f"witness {w.name}")


def _accepts_debug(fn) -> bool:
    import inspect
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "debug" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _check_one(check, claim, seed: int, debug: bool) -> tuple:
    t0 = time.perf_counter()
    try:
        if debug and _accepts_debug(check):
            result = check(claim, seed=seed, debug=True)
        else:
            if debug:
                _debug_wrap(claim)
            result = check(claim, seed=seed)
        res = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        if not res.get("seconds"):
            res["seconds"] = max(round(time.perf_counter() - t0, 3), 0.001)
        return ("ok", res, "")
    except BaseException as exc:        # the engine should never raise; report it if it does
        return ("raised", f"{type(exc).__name__}: {exc}", traceback.format_exc())


class FileJob:
    """A file's claims to run in a worker that imports the file itself (user code never runs in the parent)."""

    def __init__(self, source, owners, metas):
        self.source, self.owners, self.metas = source, frozenset(owners), list(metas)
        self.sha256 = None                  # of the bytes the worker compiled the file from

    @property
    def ids(self) -> list:
        return [m["id"] for m in self.metas]

    def claims(self) -> dict:
        """Import the file in this (child) process: ``{id: Claim}``; raises :class:`LoadError`."""
        loaded = loader.load(self.source, owners=self.owners, keep_path=True)
        self.sha256 = loaded.sha256
        return {c.id: c for c in loaded.claims}


def _send(conn, item) -> None:
    try:
        conn.send(item)
    except Exception as exc:             # an unpicklable result: say so instead of dying silently
        cid = item[0]
        conn.send((cid, ("raised", f"result could not be sent: {type(exc).__name__}: {exc}",
                         traceback.format_exc()), {}))


def _worker(check, job, seed: int, conn, debug: bool, parent: int, max_memory: float | None) -> None:
    """Check the job's claims one after another (they share SymPy's caches), sending ``(id, msg, reads)``.

    ``reads`` are the files read so far in this worker after the import (a superset for every later claim:
    a helper imported by an earlier claim's builder is not read again by a later one that uses it too).
    A :class:`FileJob` first imports its file here and sends ``(None, ("loaded",), {})``.
    """
    isolation.enter_child(parent, max_memory_mb=max_memory)
    gc.set_threshold(50_000, 50, 50)     # a short-lived worker: collect rarely (cycles are still collected)
    reads = isolation.ReadLog(ignore=(Cache.default_root(),)).start()
    seen: dict = {}
    try:
        if isinstance(job, FileJob):
            try:
                by_id, failure = job.claims(), None
            except LoadError as e:
                by_id, failure = {}, e.one_line()
            except BaseException as exc:  # noqa: BLE001
                by_id, failure = {}, f"{type(exc).__name__}: {exc}"
            reads.take()
            if job.sha256:
                # every result records the content it was computed from: an edit between the parent's key and
                # this import makes the cache entry fail its check instead of serving another content's verdict
                seen[os.path.realpath(job.source.path)] = job.sha256
            _send(conn, (None, ("loaded",), {}))
            order = [(cid, by_id.get(cid)) for cid in job.ids]
        else:
            failure, order = None, [(c.id, c) for c in job]
        for cid, claim in order:
            if claim is None:
                why = failure or "the claim was not defined when the worker imported the file"
                msg = ("raised", f"the worker could not import the file: {why}", "")
            else:
                msg = _check_one(check, claim, seed, debug)
            seen.update(reads.take())
            _send(conn, (cid, msg, dict(seen)))
    finally:
        conn.close()
        isolation.end_output()
        os._exit(0)


class _Progress:
    """Progress on the stream given (the CLI gives stderr, never stdout), never more than a line every few seconds.

    On a terminal: ``[12/60] claim.id``, redrawn in place once the run has lasted ``delay`` seconds, and erased
    at the end. Anywhere else (a CI log, a pipe): nothing for runs shorter than ``quiet`` seconds; then a whole
    line ``derivcheck: 12/60 claims checked (4 s); running claim.id`` every ``every`` seconds, and a last line
    when the run ends, so a log never sits silent while claims are checked. No stream (``None``): silent.
    """

    def __init__(self, total: int, stream=None, delay: float = 0.5, quiet: float = 2.0, every: float = 5.0):
        self.stream = stream
        self.total, self.delay, self.quiet, self.every = total, delay, quiet, every
        self.start = time.monotonic()
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError):
            self.tty = False
        self.shown = False
        self.next_line = self.start + quiet
        self.done = 0

    def update(self, done: int, current: str) -> None:
        self.done = done
        now = time.monotonic()
        if self.stream is None:
            return
        if not self.tty:
            if now >= self.next_line:
                self._line(f"{self._count(now)}; running {current}")
                self.next_line = now + self.every
            return
        if now - self.start < self.delay:
            return
        try:
            width = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            width = 0
        width = width if width > 20 else 80
        line = f"[{done}/{self.total}] {current}"[: max(width - 1, 10)]
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()
        self.shown = True

    def _count(self, now: float) -> str:
        from .render import count
        return f"derivcheck: {self.done}/{count(self.total, 'claim')} checked ({now - self.start:.0f} s)"

    def _line(self, text: str) -> None:
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (OSError, ValueError):    # a closed stderr never stops the run
            return
        self.shown = True

    def clear(self, done: int | None = None) -> None:
        """Erase the terminal line; in a log, a last line with the count reached (``done``)."""
        self.done = self.done if done is None else done
        if self.shown and self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        elif self.shown:
            self._line(self._count(time.monotonic()))


def _groups(claims, by_file: bool) -> list:
    """Claims of one file form one group, in file order (line, then id); a claim without a file is alone."""
    groups: dict = {}
    for c in claims:
        key = ("file", c.file) if by_file and getattr(c, "file", None) else ("claim", c.id)
        groups.setdefault(key, []).append(c)
    out = [sorted(g, key=lambda c: (getattr(c, "line", 0) or 0, c.id)) for g in groups.values()]
    # biggest groups first (builder + witnesses code size: a deterministic proxy for cost), so the slowest
    # file does not start last; results are still reported sorted by id
    return sorted(out, key=lambda g: (-sum(_size_hint(c) for c in g), g[0].id))


@dataclass
class _Info:
    """What the parent knows of a claim it did not import (from its metadata): enough for an error result."""

    id: str
    title: str
    source: object
    expected: str
    file: str
    line: int
    topic: str

    @classmethod
    def of(cls, meta: dict) -> "_Info":
        return cls(id=meta["id"], title=meta.get("title", ""), source=_SourceDict(meta.get("source") or {}),
                   expected=meta.get("expected", ""), file=meta.get("file", ""), line=meta.get("line", 0),
                   topic=meta.get("topic", ""))


class _SourceDict(dict):
    def to_dict(self) -> dict:
        return dict(self)


def run_claims(claims, *, check=None, jobs: int | None = None, timeout: float = 120.0, seed: int = 0,
               debug: bool = False, progress_stream=None, by_file: bool = True,
               max_memory: float | None = None) -> list:
    """Check ``claims`` (``Claim`` objects, already in memory) in forked workers; result dicts sorted by id.

    One worker per file (``by_file``) checks that file's claims in file order, so claims share SymPy's
    caches; which claims share a worker does not depend on ``jobs``. ``timeout`` is per claim: a claim
    over it is killed with its worker, and the rest of its file continues in a new worker.
    """
    groups = [(g, g) for g in _groups(claims, by_file)]
    return [r for r, _ in _run(groups, check=check, jobs=jobs, timeout=timeout, seed=seed, debug=debug,
                               progress_stream=progress_stream, max_memory=max_memory)]


def run_files(file_jobs, *, check=None, jobs: int | None = None, timeout: float = 120.0, seed: int = 0,
              debug: bool = False, progress_stream=None, max_memory: float | None = None) -> list:
    """Check :class:`FileJob` s, each in workers that import the file themselves: ``[(result, reads)]``."""
    def size(job):
        return -len(job.metas)
    groups = [(job, [_Info.of(m) for m in job.metas]) for job in sorted(file_jobs, key=lambda j: (size(j), j.ids))]
    return _run(groups, check=check, jobs=jobs, timeout=timeout, seed=seed, debug=debug,
                progress_stream=progress_stream, max_memory=max_memory)


def _remaining(job, left) -> object:
    """The part of ``job`` still to run: the claims in ``left`` (a deque of claims or infos)."""
    if isinstance(job, FileJob):
        ids = {i.id for i in left}
        return FileJob(job.source, job.owners, [m for m in job.metas if m["id"] in ids])
    return list(left)


def _run(groups, *, check, jobs, timeout, seed, debug, progress_stream, max_memory) -> list:
    """Run ``[(job, infos)]``; ``[(result dict, reads)]`` sorted by claim id."""
    import multiprocessing
    from multiprocessing.connection import wait

    total = sum(len(infos) for _, infos in groups)
    if not total:
        return []
    if check is None:
        check = _default_check()
    _preload()
    gc.collect()
    gc.freeze()                          # see below: children inherit without copying GC-touched pages
    warm = total >= WARM_UP_MIN_CLAIMS and check is _default_check() and not _WARM
    ctx = multiprocessing.get_context("fork")
    pending = deque(groups)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pending)))
    running: dict = {}           # recv connection -> [process, job, deque of infos left, start, deadline]
    results: dict = {}
    order = sorted(i.id for _, infos in groups for i in infos)
    progress = _Progress(total, progress_stream)
    parent = os.getpid()

    def finish(msg, proc, info, elapsed, reads):
        if msg is None:
            code = proc.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            res = _error_dict(info, "error", f"{_where(info)}: worker process died ({how})", elapsed)
        elif msg[0] == "ok":
            res = msg[1]
            if not res.get("seconds"):
                res["seconds"] = round(elapsed, 3)
            if not res.get("file"):
                res["file"] = info.file
        else:
            if debug and msg[2]:
                sys.stderr.write(f"--- traceback (checker, claim {info.id}) ---\n{msg[2]}")
            text = isolation.memory_note(_one_line(msg[1]), max_memory)
            res = _error_dict(info, "error", f"{_where(info)}: internal error in the checker: {text}", elapsed)
        _note_memory(res, max_memory)
        results[info.id] = (res, reads or {})

    def stop(proc):
        isolation.kill_group(proc.pid)
        proc.join(5.0)

    def retire(conn, proc, job, left):
        """The worker is done (or dead): close it; claims it did not reach run in a new worker."""
        stop(proc)
        conn.close()
        del running[conn]
        if left:
            pending.appendleft((_remaining(job, left), list(left)))

    try:
        while pending or running:
            while pending and len(running) < (1 if warm else jobs):
                job, infos = pending.popleft()
                recv, send = ctx.Pipe(duplex=False)
                sys.stdout.flush()
                sys.stderr.flush()
                proc = ctx.Process(target=_worker, args=(check, job, seed, send, debug, parent, max_memory),
                                   name=f"derivcheck:{infos[0].id}", daemon=True)
                start = time.monotonic()
                proc.start()
                isolation.adopt(proc.pid)
                send.close()
                running[recv] = [proc, job, deque(infos), start, start + timeout]
            if warm:                     # overlap the parent's warm-up with the first (biggest) group
                _warm_up()
                warm = False
                gc.collect()
                gc.freeze()              # inherited objects stay out of the children's GC: fewer copied pages
                continue
            now = time.monotonic()
            next_deadline = min(v[4] for v in running.values())
            wait_for = max(0.0, min(next_deadline - now, 0.25, 3600.0))     # 0.25: progress stays current
            ready = set(wait(list(running) + [v[0].sentinel for v in running.values()], timeout=wait_for))
            for conn in list(running):
                proc, job, left, start, deadline = running[conn]
                while left and conn.poll():      # every answer already sent, in order
                    try:
                        cid, msg, reads = conn.recv()
                    except (EOFError, OSError):
                        break
                    except Exception as exc:     # noqa: BLE001 - a garbled message: the claim is an error
                        cid, msg, reads = left[0].id, ("raised", f"unreadable answer: {exc}", ""), {}
                    now = time.monotonic()
                    if cid is None:              # the worker imported the file: the first claim's time starts
                        running[conn][3:] = [now, now + timeout]
                        start = now
                        continue
                    info = left.popleft()
                    if cid != info.id:  # pragma: no cover - the worker sends in order
                        msg = ("raised", f"worker answered for {cid!r} instead of {info.id!r}", "")
                    finish(msg, proc, info, now - start, reads)
                    start = now
                    running[conn][3:] = [start, start + timeout]
                deadline = running[conn][4]
                if not left:
                    proc.join(5.0)
                    retire(conn, proc, job, left)
                    continue
                now = time.monotonic()
                if proc.sentinel in ready or not proc.is_alive():
                    proc.join(5.0)
                    info = left.popleft()
                    finish(None, proc, info, now - start, {})
                    retire(conn, proc, job, left)
                elif now >= deadline:
                    stop(proc)
                    info = left.popleft()
                    results[info.id] = (_error_dict(info, "timeout", f"timed out after {timeout:g} s", now - start),
                                        {})
                    retire(conn, proc, job, left)
            if running:
                progress.update(len(results), min(v[2][0].id for v in running.values()))
    finally:
        for conn, (proc, *_rest) in list(running.items()):
            stop(proc)
            conn.close()
        progress.clear(len(results))
    return [results[cid] for cid in order]


def _note_memory(res: dict, max_memory) -> None:
    """Name the memory limit wherever a result or witness reports a ``MemoryError``."""
    if isinstance(res.get("message"), str):
        res["message"] = isolation.memory_note(res["message"], max_memory)
    for w in res.get("witnesses") or []:
        if isinstance(w, dict) and isinstance(w.get("detail"), str):
            w["detail"] = isolation.memory_note(w["detail"], max_memory)


# -- loading, cache and selection together ------------------------------------------------------

@dataclass
class FileState:
    source: loader.SourceFile
    metas: list
    entry: dict | None = None           # a valid cache entry
    deps: dict | None = None            # set when the file was imported in this run: {path: sha256}
    all_metas: list | None = None       # every claim the import found (duplicates included), for the cache


@dataclass
class Plan:
    files: list                          # FileState, in file order
    selected: list                       # meta dicts of the selected claims
    errors: list = field(default_factory=list)   # LoadError
    ids: list = field(default_factory=list)
    owners: frozenset = frozenset()


def _load_child(sf, owners, conn, parent: int, max_memory) -> None:
    """In a forked child: import ``sf``, send ``("ok", metas, deps)`` or ``("error", LoadError args)``."""
    isolation.enter_child(parent, max_memory_mb=max_memory)
    reads = isolation.ReadLog(ignore=(Cache.default_root(),)).start()
    try:
        try:
            loaded = loader.load(sf, owners=owners)
            metas = [loader.claim_meta(c, sf) for c in loaded.claims]
            deps = reads.take()
            deps.pop(os.path.realpath(sf.path), None)       # the file itself is in the cache key
            msg = ("ok", metas, deps)
        except LoadError as e:
            msg = ("error", (e.path, e.line, e.message, e.traceback))
        except BaseException as exc:  # noqa: BLE001 - anything the file does on inspection
            msg = ("error", (sf.display, 0, f"{type(exc).__name__}: {_one_line(exc)}", traceback.format_exc()))
        try:
            conn.send(msg)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable title
            conn.send(("error", (sf.display, 0, f"claims could not be read: {type(exc).__name__}: {exc}", "")))
    finally:
        conn.close()
        isolation.end_output()
        os._exit(0)


def load_files(sources, *, owners=frozenset(), jobs: int | None = None, timeout: float = 120.0,
               max_memory: float | None = None, warm: bool = False) -> dict:
    """Import each file in a child of its own (at most ``jobs`` at once, each within ``timeout`` s).

    ``{path: ("ok", metas, deps) | ("error", LoadError)}``. A file that loops at import, ends the process
    (``os._exit``), is killed by a signal, or starts threads and processes cannot affect the parent or the
    other files: the child's whole process group ends with it.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    _preload()
    ctx = multiprocessing.get_context("fork")
    pending = deque(sources)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pending) or 1))
    running: dict = {}
    out: dict = {}
    parent = os.getpid()

    def fail(sf, message):
        out[sf.path] = ("error", LoadError(sf.display, 0, message))

    try:
        while pending or running:
            while pending and len(running) < jobs:
                sf = pending.popleft()
                recv, send = ctx.Pipe(duplex=False)
                sys.stdout.flush()
                sys.stderr.flush()
                proc = ctx.Process(target=_load_child, args=(sf, owners, send, parent, max_memory),
                                   name=f"derivcheck-load:{sf.short_module}", daemon=True)
                proc.start()
                isolation.adopt(proc.pid)
                send.close()
                running[recv] = (proc, sf, time.monotonic() + timeout)
            if warm and len(sources) >= WARM_UP_MIN_CLAIMS:
                warm = False
                _warm_up()               # while the children import; every worker forked later inherits it
                gc.collect()
                gc.freeze()
            next_deadline = min(v[2] for v in running.values())
            wait(list(running) + [v[0].sentinel for v in running.values()],
                 timeout=max(0.0, min(next_deadline - time.monotonic(), 3600.0)))
            for conn in list(running):
                proc, sf, deadline = running[conn]
                msg = None
                if conn.poll():
                    try:
                        msg = conn.recv()
                    except Exception:  # noqa: BLE001 - EOF: the child died mid-message
                        msg = None
                elif proc.is_alive() and time.monotonic() < deadline:
                    continue
                alive = proc.is_alive()
                isolation.kill_group(proc.pid)
                proc.join(5.0)
                conn.close()
                del running[conn]
                if msg is not None and msg[0] == "ok":
                    out[sf.path] = ("ok", msg[1], msg[2])
                elif msg is not None:
                    out[sf.path] = ("error", LoadError(*msg[1]))
                elif alive:
                    fail(sf, f"importing the file took longer than {timeout:g} s (--timeout); "
                             "nothing of it was checked")
                else:
                    code = proc.exitcode
                    how = f"was killed by signal {-code}" if code is not None and code < 0 else \
                        f"ended the process with exit code {code}"
                    fail(sf, f"importing the file {how}; nothing of it was checked")
    finally:
        for conn, (proc, *_rest) in list(running.items()):
            isolation.kill_group(proc.pid)
            proc.join(5.0)
            conn.close()
    return out


def gather(targets, *, keyword: str | None = None, cache: Cache | None = None, exact_id: str | None = None,
           jobs: int | None = None, timeout: float = 120.0, max_memory: float | None = None,
           warm: bool = False) -> Plan:
    """Resolve PATH/ID arguments, read the cache or import each file (in a child), drop duplicate ids, select.

    Raises :class:`UsageError` for a missing path, an unknown id or a bad ``-k``.
    """
    files, ids = loader.find_sources(targets)
    selection.parse(keyword)                         # a bad -k fails before anything is imported
    owners = frozenset(f.path for f in files)
    errors: list = []
    states = []
    to_load = []
    for sf in files:
        entry = cache.lookup(sf.path, sf.display) if cache is not None else None
        states.append(FileState(source=sf, metas=list(entry["claims"]) if entry else [], entry=entry,
                                all_metas=list(entry["claims"]) if entry else None))
        if entry is None:
            to_load.append(sf)
    loaded = load_files(to_load, owners=owners, jobs=jobs, timeout=timeout, max_memory=max_memory,
                        warm=warm) if to_load else {}
    kept_states = []
    for state in states:
        got = loaded.get(state.source.path)
        if got is not None:
            if got[0] == "error":
                errors.append(got[1])
                continue
            state.metas, state.deps, state.all_metas = list(got[1]), dict(got[2]), list(got[1])
        kept_states.append(state)
    states = kept_states
    # duplicate ids: the first definition (in file order, then line) wins
    first: dict = {}
    for state in states:
        kept = []
        for m in state.metas:
            if m["id"] in first:
                f = first[m["id"]]
                errors.append(LoadError(m["file"], m["line"], f"duplicate claim id {m['id']!r} "
                                        f"(also defined at {f['file']}:{f['line']})"))
                continue
            first[m["id"]] = m
            kept.append(m)
        state.metas = kept
    all_metas = [m for s in states for m in s.metas]
    if exact_id is not None:
        chosen = [m for m in all_metas if m["id"] == exact_id]
        unknown = [] if chosen else [exact_id]
    else:
        chosen, unknown = selection.select(all_metas, ids=ids, keyword=keyword)
    if unknown and not errors:
        raise UsageError("unknown claim id" + ("s" if len(unknown) > 1 else "") + ": " + ", ".join(unknown))
    chosen = sorted(chosen, key=lambda m: m["id"])
    return Plan(files=states, selected=chosen, errors=errors, ids=ids, owners=owners)


def check(plan: Plan, *, cache: Cache | None = None, check_fn=None, jobs: int | None = None,
          timeout: float = 120.0, seed: int = 0, debug: bool = False, progress_stream=None,
          max_memory: float | None = None) -> list:
    """Results (dicts sorted by id) for ``plan.selected``: from the cache where valid, else computed."""
    wanted = {m["id"] for m in plan.selected}
    results: dict = {}
    reads: dict = {}
    file_jobs = []
    for state in plan.files:
        mine = [m for m in state.metas if m["id"] in wanted]
        missing = []
        for m in mine:
            hit = cache.cached_result(state.entry, m["id"]) if (cache is not None and state.entry) else None
            if hit is not None:
                results[m["id"]] = hit
            else:
                missing.append(m)
        if missing:
            file_jobs.append(FileJob(state.source, plan.owners, missing))
    for res, got in run_files(file_jobs, check=check_fn, jobs=jobs, timeout=timeout, seed=seed, debug=debug,
                              progress_stream=progress_stream, max_memory=max_memory):
        res["cached"] = False
        results[res["id"]] = res
        reads[res["id"]] = got
    if cache is not None:
        store(plan, cache, results, reads)
    return [results[k] for k in sorted(results)]


def store(plan: Plan, cache: Cache, results: dict, reads: dict | None = None) -> None:
    """Write an entry for every file imported in this run (its claims, deps and fresh results)."""
    for state in plan.files:
        if state.deps is None and not any(m["id"] in (reads or {}) for m in state.metas):
            continue
        fresh = [results[m["id"]] for m in state.metas if m["id"] in results and not results[m["id"]].get("cached")]
        cache.store(state.source.path, state.source.display, metas=state.all_metas or state.metas,
                    deps=state.deps if state.deps is not None else None, results=fresh,
                    reads={cid: r for cid, r in (reads or {}).items()}, previous=state.entry)
