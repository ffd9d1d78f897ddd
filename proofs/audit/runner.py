"""Running audits: each document in its own child process, pairs streamed back as they are decided.

Invariants (the same as for derivation files, :mod:`proofs.isolation`):

* a document is read and checked only in a child (own process group, memory limit, dies with the
  parent), so SymPy stuck in C code on one line cannot hang the run;
* each pair has a soft limit (``pair_timeout``, an interval timer inside the child) and a hard one
  (the parent kills the child ``HARD_GRACE`` seconds later); a killed pair is reported ``timeout`` and a
  new child resumes at the next pair (reading and facts are recomputed; nothing already decided is
  checked again), so nothing before or after it is lost;
* results come back in document order.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait

from .. import isolation
from .results import AuditResult, PairResult

HARD_GRACE = 10.0


@dataclass
class Job:
    path: str
    name: str                         # how the file is named in output
    sidecar_dirs: tuple = ()
    declare: str | None = None        # --declare FILE


def open_document(job: Job, inline: bool = False):
    """Read ``job``'s document and attach its sidecar declarations (``--declare``, or found by name)."""
    from pathlib import Path

    from .documents import attach_sidecar, find_sidecar, load_sidecar, read_document
    doc = read_document(job.path, inline=inline, display_name=job.name)
    sidecar = Path(job.declare) if job.declare else find_sidecar(job.path, [Path(d) for d in job.sidecar_dirs])
    if sidecar is not None:
        doc = attach_sidecar(doc, load_sidecar(sidecar))
    return doc


class Shard:
    """The pairs one worker checks. Workers sharing a document read it all, in order, and *claim* each pair: the
    first to reach a pair not yet claimed checks it (a shared counter of the highest index claimed), so a slow pair
    never holds the others back. Without a counter, a lone worker checks every pair after ``after``. A worker's
    decision for an index is made once and remembered (the checker asks before and after checking a pair)."""

    def __init__(self, after: int = 0, claims=None):
        self.after = after
        self.claims = claims            # multiprocessing.Value("q") shared by the document's workers, or None
        self._mine: dict = {}

    def __call__(self, index: int) -> bool:
        if index in self._mine:
            return self._mine[index]
        mine = index > self.after
        if mine and self.claims is not None:
            with self.claims.get_lock():
                mine = index > self.claims.value
                if mine:
                    self.claims.value = index
        self._mine[index] = mine
        return mine


def _child(job: Job, settings, shard: Shard, send, parent: int, max_memory, inline: bool) -> None:
    isolation.enter_child(parent, max_memory_mb=max_memory)
    from .check import audit_document
    try:
        doc = open_document(job, inline)
    except Exception as e:  # noqa: BLE001 - any unreadable document is one line
        send.send(("fatal", f"{job.name}: {' '.join(str(e).split())}"))
        send.close()
        return

    def before(line, index):
        send.send(("start", (line, index)))

    def on_pair(r: PairResult):
        send.send(("pair", r.__dict__))

    try:
        res = audit_document(doc, settings, on_pair=on_pair, before_pair=before, mine=shard)
        send.send(("done", dict(kind=res.kind, problems=res.problems, displays=res.displays, rows=res.rows,
                                rows_parsed=res.rows_parsed)))
    except Exception as e:  # noqa: BLE001
        send.send(("fatal", f"{job.name}: internal error while auditing: {type(e).__name__}: "
                            f"{' '.join(str(e).split())[:200]}\n{traceback.format_exc() if settings.debug else ''}"))
    send.close()
    isolation.end_output()


def audit_jobs(jobs: list[Job], settings, *, workers: int = 1, max_memory=None, inline: bool = False,
               progress=None) -> list[AuditResult]:
    """Audit ``jobs``; with more workers than documents, each document's pairs are shared out between workers
    (every one reads the whole document, each checks its share), and merged back in document order."""
    ctx = mp.get_context("fork")
    parent = os.getpid()
    workers = max(1, workers)
    results = {j.path: AuditResult(file=j.name) for j in jobs}
    started = {j.path: time.monotonic() for j in jobs}
    shards = max(1, min(4, workers // max(1, len(jobs))))
    claims = {j.path: (ctx.Value("q", 0) if shards > 1 else None) for j in jobs}
    pending = deque((j, Shard(0, claims[j.path])) for j in jobs for _ in range(shards))
    running: dict = {}
    hard = settings.pair_timeout + HARD_GRACE

    def launch(job, shard):
        recv, send = ctx.Pipe(duplex=False)
        sys.stdout.flush()
        sys.stderr.flush()
        proc = ctx.Process(target=_child, args=(job, settings, shard, send, parent, max_memory, inline),
                           daemon=True, name=f"derivcheck-audit:{job.name}")
        proc.start()
        isolation.adopt(proc.pid)
        send.close()
        running[recv] = dict(proc=proc, job=job, shard=shard, last=shard.after, line=None, index=None,
                             deadline=time.monotonic() + hard, done=False)

    def retire(conn):
        st = running.pop(conn)
        isolation.kill_group(st["proc"].pid)
        st["proc"].join(5.0)
        conn.close()
        return st

    try:
        while pending or running:
            while pending and len(running) < workers:
                launch(*pending.popleft())
            now = time.monotonic()
            timeout = max(0.0, min(st["deadline"] for st in running.values()) - now)
            ready = wait(list(running), timeout=min(timeout, 1.0))
            for conn in list(running):
                st = running[conn]
                res = results[st["job"].path]
                gone = False
                while conn in ready and conn.poll():
                    try:
                        kind, payload = conn.recv()
                    except (EOFError, OSError):
                        gone = True
                        break
                    st["deadline"] = time.monotonic() + hard
                    if kind == "start":
                        st["line"], st["index"] = payload
                    elif kind == "pair":
                        res.pairs.append(PairResult(**payload))
                        st["last"] = payload["index"]
                        st["line"] = st["index"] = None
                        if progress:
                            progress(res.pairs[-1])
                    elif kind == "done":
                        for k, v in payload.items():
                            if k in ("problems",) and getattr(res, k) and v:
                                v = list(dict.fromkeys(list(getattr(res, k)) + list(v)))
                            setattr(res, k, v)
                        st["done"] = True
                    elif kind == "fatal":
                        res.error = payload
                        st["done"] = True
                if st["done"] or gone:
                    retire(conn)
                    if not st["done"]:
                        res.error = res.error or f"{st['job'].name}: the audit process died"
                    continue
                if time.monotonic() >= st["deadline"]:
                    retire(conn)
                    line = st["line"] or 0
                    index = st["index"] or st["last"] + 1
                    res.pairs.append(PairResult(file=st["job"].name, line=line, display_line=line, verdict="timeout",
                                                index=index,
                                                detail=f"not decided within {hard:g} s; the checker was stopped"))
                    # a new worker goes on after it (with the others, through the shared claims)
                    pending.appendleft((st["job"], Shard(index, claims[st["job"].path])))
    finally:
        for conn in list(running):
            retire(conn)
    for j in jobs:
        r = results[j.path]
        r.pairs.sort(key=lambda p: p.index)
        r.seconds = time.monotonic() - started[j.path]
    return [results[j.path] for j in jobs]
