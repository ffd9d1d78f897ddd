"""Every way of ending a run is clean: SIGINT, SIGTERM, SIGHUP and ``kill -9`` of the parent, a reader that
stops reading, and a reader that waits for end-of-file (``derivcheck check . | tee log``) while a claim has
started a process of its own. Nothing the run started is left running afterwards."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import CLI
from tests.hostile.conftest import alive, assert_gone

HANGS = '''
import os, subprocess
import sympy as sp
from proofs import Source, claim

@claim(id="hostile.hangs", title="starts a process, then hangs", source=Source("notes.txt", "1"))
def hangs(d):
    p = subprocess.Popen(["sleep", "1000"])
    with open(os.path.join({root!r}, "pids"), "a") as fh:
        fh.write(f"{{os.getpid()}}\\n{{p.pid}}\\n")
    while True:
        pass
'''

GOOD = '''
import sympy as sp
from proofs import Source, claim

@claim(id="hostile.fine", title="a true identity", source=Source("notes.txt", "2"))
def fine(d):
    a, b = d.symbols("a b", real=True)
    d.chain((a + b)**2).eq(a**2 + 2*a*b + b**2, rule="expand")
    d.statement(sp.Eq((a + b)**2, a**2 + 2*a*b + b**2))
'''


def _start(root, *args):
    (root / "hangs.py").write_text(HANGS.format(root=str(root)))
    return subprocess.Popen([sys.executable, str(CLI), "check", "--no-cache", *args, "hangs.py"], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def _wait_for_pids(root, n=2, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (root / "pids").exists() and len((root / "pids").read_text().split()) >= n:
            return
        time.sleep(0.05)
    raise AssertionError("the hanging claim never started")


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM),
                                       (signal.SIGHUP, 128 + signal.SIGHUP)])
def test_a_signal_to_the_parent_stops_every_worker_and_what_it_started(tmp_path, sig, code):
    proc = _start(tmp_path)
    _wait_for_pids(tmp_path)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("derivcheck: "), err
    assert "Traceback" not in err
    assert_gone(tmp_path / "pids")


def test_kill_9_of_the_parent_leaves_nothing_running(tmp_path):
    proc = _start(tmp_path)
    _wait_for_pids(tmp_path)
    proc.kill()
    proc.wait(timeout=10)
    assert_gone(tmp_path / "pids", wait=10.0)      # the watchdog polls every 0.5 s


def test_a_reader_waiting_for_end_of_file_is_not_kept_waiting(tmp_path):
    """``derivcheck check . | tee log``: the pipe closes when the run ends, although the claim's own process
    inherited it; the timeout then ends that process too."""
    proc = _start(tmp_path, "--timeout", "2")
    t0 = time.monotonic()
    out, err = proc.communicate(timeout=60)      # reads stdout and stderr to end-of-file
    assert time.monotonic() - t0 < 30
    assert proc.returncode == 1
    assert "timed out after 2 s" in out
    assert_gone(tmp_path / "pids")


def test_a_reader_that_stops_reading_ends_the_run(tmp_path):
    """``derivcheck check . | head -1``: no traceback, no hang, nothing left behind."""
    (tmp_path / "many.py").write_text("\n".join(GOOD.replace("hostile.fine", f"hostile.fine{i}")
                                                .replace("def fine", f"def fine{i}") for i in range(30)))
    shell = f"{sys.executable} {CLI} check --no-cache many.py | head -1"
    proc = subprocess.run(["bash", "-c", shell], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith("hostile.fine")
    assert "Traceback" not in proc.stderr
    time.sleep(0.5)
    assert not _descendants_named(str(CLI))


def _descendants_named(word):
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
                with open(f"/proc/{pid}/stat") as fh:
                    ppid = int(fh.read().split(")")[-1].split()[1])
            except OSError:
                continue
            if word in cmd and "many.py" in cmd and ppid != os.getpid() and alive(int(pid)):
                out.append(int(pid))
    return out
