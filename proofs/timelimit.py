"""Bounding the time of one stage of a check.

Inside a worker process the engine runs in the main thread, so an interval
timer (``SIGALRM``) can interrupt pure-Python SymPy code. Where signals are not
available (another thread, or a platform without ``setitimer``) stages run
unbounded and the runner's per-claim kill is the only limit.

Invariant: ``time_limit`` restores the previous handler and timer on exit, so
limits nest (an inner limit never extends an outer one beyond its deadline); after
the deadline the alarm repeats every 0.1 s until the stage has stopped.
"""
from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager


class StageTimeout(Exception):
    pass


def _signals_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float | None):
    if not seconds or seconds <= 0 or not _signals_usable():
        yield
        return
    start = time.monotonic()
    old_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if old_remaining and old_remaining < seconds:
        seconds = old_remaining          # never outlive an enclosing limit

    def _raise(signum, frame):
        raise StageTimeout(f"stage exceeded {seconds:.3g} s")

    old_handler = signal.signal(signal.SIGALRM, _raise)
    # the timer repeats: an exception raised where Python swallows it (a garbage-collector callback prints
    # "Exception ignored") would otherwise leave the stage unbounded; the next tick interrupts it again
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_remaining:
            left = old_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
