"""The hostile-input corpus (issue 9): broken or hostile inputs, one test per case.

Every case runs the real command line in a subprocess (``run_cli`` from ``tests/conftest.py``, cwd in a temp
dir) and asserts the exit code, the shape of the message, that the other claims were still checked, and that
nothing the run started is left running (:func:`assert_gone`). Files are grouped by the issue's headings:
``test_report_*`` (data is never TeX, output stays valid), ``test_cache_*`` (a cache that never reports a
verdict it did not compute), ``test_process_*`` (nothing hangs, nothing is left behind, exit codes),
``test_witness_*`` (NaN is evidence of nothing).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process reusing the pid
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def assert_gone(pidfile: Path, wait: float = 5.0) -> None:
    """Every pid written (one per line) to ``pidfile`` by a hostile claim has ended within ``wait`` seconds."""
    pids = [int(x) for x in pidfile.read_text().split()] if pidfile.exists() else []
    deadline = time.monotonic() + wait
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    for p in left:              # do not leave them behind the test either
        try:
            os.kill(p, 9)
        except OSError:
            pass
    assert not left, f"left running: {left}"


@pytest.fixture
def write(tmp_path):
    """``write("name.py", text)`` puts a file under the test's temp dir and returns its path."""
    def put(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return path
    return put
