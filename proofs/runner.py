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

from . import loader, selection
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
    """Import the heavy libraries in the parent so that forked workers reuse them."""
    for name in ("numpy", "sympy"):
        try:
            __import__(name)
        except ImportError:  # pragma: no cover - both are dependencies
            pass


def _warm_up() -> None:
    """Warm SymPy's one-time machinery in the parent (~0.4 s once; saves 0.1-0.4 s in every
    forked worker). The runner does this while the first worker already runs."""
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


def _worker(check, claims, seed: int, conn, debug: bool) -> None:
    """Check ``claims`` one after another (they share SymPy's caches), sending ``(id, msg)`` for each."""
    gc.set_threshold(50_000, 50, 50)     # a short-lived worker: collect rarely (cycles are still collected)
    try:
        os.dup2(2, 1)                   # the report owns stdout; a chatty claim writes to stderr
        sys.stdout = sys.stderr
    except OSError:  # pragma: no cover
        pass
    try:
        for claim in claims:
            msg = _check_one(check, claim, seed, debug)
            try:
                conn.send((claim.id, msg))
            except Exception as exc:
                conn.send((claim.id, ("raised", f"result could not be sent: {type(exc).__name__}: {exc}",
                                      traceback.format_exc())))
    finally:
        conn.close()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


class _Progress:
    """``[12/60] claim.id`` on stderr, only on a TTY and only once the run has lasted 0.5 s."""

    def __init__(self, total: int, stream=None, delay: float = 0.5):
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.delay = total, delay
        self.start = time.monotonic()
        try:
            self.enabled = self.stream.isatty()
        except (AttributeError, ValueError):
            self.enabled = False
        self.shown = False

    def update(self, done: int, current: str) -> None:
        if not self.enabled or time.monotonic() - self.start < self.delay:
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

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


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


def run_claims(claims, *, check=None, jobs: int | None = None, timeout: float = 120.0, seed: int = 0,
               debug: bool = False, progress_stream=None, by_file: bool = True) -> list:
    """Check ``claims`` (``Claim`` objects) in forked workers; result dicts sorted by id.

    One worker per file (``by_file``) checks that file's claims in file order, so claims share SymPy's
    caches; which claims share a worker does not depend on ``jobs``. ``timeout`` is per claim: a claim
    over it is killed with its worker, and the rest of its file continues in a new worker.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    claims = sorted(claims, key=lambda c: c.id)
    if not claims:
        return []
    if check is None:
        check = _default_check()
    _preload()
    gc.collect()
    gc.freeze()                          # see below: children inherit without copying GC-touched pages
    warm = len(claims) >= WARM_UP_MIN_CLAIMS and check is _default_check()
    ctx = multiprocessing.get_context("fork")
    pending = deque(_groups(claims, by_file))
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pending)))
    running: dict = {}           # recv connection -> [process, deque of claims left, start, deadline]
    results: dict = {}
    progress = _Progress(len(claims), progress_stream)

    def finish(msg, proc, claim, elapsed):
        if msg is None:
            code = proc.exitcode
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            res = _error_dict(claim, "error", f"{_where(claim)}: worker process died ({how})", elapsed)
        elif msg[0] == "ok":
            res = msg[1]
            if not res.get("seconds"):
                res["seconds"] = round(elapsed, 3)
            if not res.get("file"):
                res["file"] = claim.file
        else:
            if debug and msg[2]:
                sys.stderr.write(f"--- traceback (checker, claim {claim.id}) ---\n{msg[2]}")
            res = _error_dict(claim, "error", f"{_where(claim)}: internal error in the checker: {_one_line(msg[1])}",
                              elapsed)
        results[claim.id] = res

    def stop(proc):
        if proc.is_alive():
            proc.terminate()
            proc.join(1.0)
        if proc.is_alive():
            proc.kill()
            proc.join(5.0)

    def retire(conn, proc, left):
        """The worker is done (or dead): close it; claims it did not reach run in a new worker."""
        stop(proc)
        conn.close()
        del running[conn]
        if left:
            pending.appendleft(list(left))

    try:
        while pending or running:
            while pending and len(running) < (1 if warm else jobs):
                group = pending.popleft()
                recv, send = ctx.Pipe(duplex=False)
                sys.stdout.flush()
                sys.stderr.flush()
                proc = ctx.Process(target=_worker, args=(check, group, seed, send, debug),
                                   name=f"derivcheck:{group[0].id}", daemon=True)
                start = time.monotonic()
                proc.start()
                send.close()
                running[recv] = [proc, deque(group), start, start + timeout]
            if warm:                     # overlap the parent's warm-up with the first (biggest) group
                _warm_up()
                warm = False
                gc.collect()
                gc.freeze()              # inherited objects stay out of the children's GC: fewer copied pages
                continue
            now = time.monotonic()
            next_deadline = min(v[3] for v in running.values())
            wait_for = max(0.0, min(next_deadline - now, 0.25 if progress.enabled else next_deadline - now))
            ready = set(wait(list(running) + [v[0].sentinel for v in running.values()], timeout=wait_for))
            for conn in list(running):
                proc, left, start, deadline = running[conn]
                while left and conn.poll():      # every answer already sent, in order
                    try:
                        cid, msg = conn.recv()
                    except (EOFError, OSError):
                        break
                    now = time.monotonic()
                    claim = left.popleft()
                    if cid != claim.id:  # pragma: no cover - the worker sends in order
                        msg = ("raised", f"worker answered for {cid!r} instead of {claim.id!r}", "")
                    finish(msg, proc, claim, now - start)
                    start = now
                    running[conn][2:] = [start, start + timeout]
                if not left:
                    proc.join(5.0)
                    retire(conn, proc, left)
                    continue
                now = time.monotonic()
                if proc.sentinel in ready or not proc.is_alive():
                    proc.join(5.0)
                    claim = left.popleft()
                    finish(None, proc, claim, now - start)
                    retire(conn, proc, left)
                elif now >= deadline:
                    stop(proc)
                    claim = left.popleft()
                    results[claim.id] = _error_dict(claim, "timeout", f"timed out after {timeout:g} s", now - start)
                    retire(conn, proc, left)
            if running:
                progress.update(len(results), min(v[1][0].id for v in running.values()))
    finally:
        for conn, (proc, *_rest) in list(running.items()):
            stop(proc)
            conn.close()
        progress.clear()
    return [results[c.id] for c in claims]


# -- loading, cache and selection together ------------------------------------------------------

@dataclass
class FileState:
    source: loader.SourceFile
    metas: list
    entry: dict | None = None           # a valid cache entry
    loaded: loader.Loaded | None = None  # set when the file was imported in this run


@dataclass
class Plan:
    files: list                          # FileState, in file order
    selected: list                       # meta dicts of the selected claims
    errors: list = field(default_factory=list)   # LoadError
    ids: list = field(default_factory=list)


def _load_into(state: FileState, owners, errors) -> bool:
    try:
        state.loaded = loader.load(state.source, owners=owners)
    except LoadError as e:
        errors.append(e)
        return False
    state.metas = [loader.claim_meta(c, state.source) for c in state.loaded.claims]
    return True


def gather(targets, *, keyword: str | None = None, cache: Cache | None = None, exact_id: str | None = None) -> Plan:
    """Resolve PATH/ID arguments, read the cache or import each file, drop duplicate ids, select.

    Raises :class:`UsageError` for a missing path, an unknown id or a bad ``-k``.
    """
    files, ids = loader.find_sources(targets)
    selection.parse(keyword)                         # a bad -k fails before anything is imported
    owners = {f.path for f in files}
    errors: list = []
    states = []
    for sf in files:
        entry = cache.lookup(sf.path, sf.display) if cache is not None else None
        state = FileState(source=sf, metas=list(entry["claims"]) if entry else [], entry=entry)
        if entry is None and not _load_into(state, owners, errors):
            continue
        states.append(state)
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
    return Plan(files=states, selected=chosen, errors=errors, ids=ids)


def check(plan: Plan, *, cache: Cache | None = None, check_fn=None, jobs: int | None = None,
          timeout: float = 120.0, seed: int = 0, debug: bool = False, progress_stream=None) -> list:
    """Results (dicts sorted by id) for ``plan.selected``: from the cache where valid, else computed."""
    wanted = {m["id"] for m in plan.selected}
    results: dict = {}
    to_run = []
    owners = {s.source.path for s in plan.files}
    for state in plan.files:
        mine = [m["id"] for m in state.metas if m["id"] in wanted]
        if not mine:
            continue
        missing = []
        for cid in mine:
            hit = Cache.cached_result(state.entry, cid) if state.entry is not None else None
            if hit is not None:
                results[cid] = hit
            else:
                missing.append(cid)
        if not missing:
            continue
        if state.loaded is None and not _load_into(state, owners, plan.errors):
            continue
        by_id = {c.id: c for c in state.loaded.claims}
        to_run += [by_id[cid] for cid in missing if cid in by_id]
    for res in run_claims(to_run, check=check_fn, jobs=jobs, timeout=timeout, seed=seed, debug=debug,
                          progress_stream=progress_stream):
        res.setdefault("cached", False)
        results[res["id"]] = res
    if cache is not None:
        store(plan, cache, results)
    return [results[k] for k in sorted(results)]


def store(plan: Plan, cache: Cache, results: dict) -> None:
    """Write an entry for every file imported in this run (its claims, deps and fresh results)."""
    for state in plan.files:
        if state.loaded is None:
            continue
        metas = [loader.claim_meta(c, state.source) for c in state.loaded.claims]
        fresh = [results[m["id"]] for m in metas if m["id"] in results and not results[m["id"]].get("cached")]
        cache.store(state.source.path, state.source.display, metas=metas, deps=state.loaded.deps,
                    results=fresh, previous=state.entry)
