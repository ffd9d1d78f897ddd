"""Wall-clock benchmark of the derivcheck CLI (a script, not a test).

    python bench/bench_cli.py [--repeat N] [ID ...]

Measures, each as the median of N runs of ``python cli.py ...`` in a fresh
temporary directory (so the cache starts empty):

(a) ``--help``                                   target 0.3 s
(b) ``check`` on the headline claims, ``--no-cache`` (cold)  target 3 s
(c) the same ``check`` again with a filled cache (warm)     target 0.5 s

The headline claims are the IDs given on the command line, else
``derivations.HEADLINE`` when the catalog defines it, else the first six ids of
``cli.py list``. With ``--catalog`` the whole built-in catalog is checked instead,
against the catalog targets (10 s cold, 1 s warm).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "cli.py"
TARGETS = {"help": 0.3, "cold": 3.0, "warm": 0.5}
CATALOG_TARGETS = {"help": 0.3, "cold": 10.0, "warm": 1.0}


def run(args, cwd) -> tuple:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(CLI), *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    return time.perf_counter() - t0, proc


def headline_ids(cwd) -> list:
    sys.path.insert(0, str(ROOT))
    try:
        import derivations
        ids = list(getattr(derivations, "HEADLINE", []) or [])
    except Exception:
        ids = []
    if ids:
        return ids
    _, proc = run(["list", "--format", "json"], cwd)
    return [c["id"] for c in json.loads(proc.stdout)["claims"]][:6]


def median_time(args, cwd, repeat, fresh_cache=False) -> tuple:
    times, last = [], None
    for _ in range(repeat):
        if fresh_cache:
            subprocess.run(["rm", "-rf", os.path.join(cwd, ".derivcheck_cache")], check=False)
        t, last = run(args, cwd)
        times.append(t)
    return statistics.median(times), times, last


def report(name, seconds, times) -> bool:
    target = TARGETS[name]
    ok = seconds <= target
    runs = ", ".join(f"{t:.3f}" for t in times)
    print(f"{name:5s} {seconds:7.3f} s   target {target:.1f} s   {'ok' if ok else 'SLOW'}   (runs: {runs})")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ids", nargs="*", help="claim ids to check (default: the headline claims)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--catalog", action="store_true", help="check the whole catalog (targets 10 s cold, 1 s warm)")
    opts = ap.parse_args()
    if opts.catalog:
        TARGETS.update(CATALOG_TARGETS)
    with tempfile.TemporaryDirectory(prefix="derivcheck-bench-") as cwd:
        ids = [] if opts.catalog else (opts.ids or headline_ids(cwd))
        subprocess.run(["rm", "-rf", os.path.join(cwd, ".derivcheck_cache")], check=False)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; claims: {', '.join(ids) or 'the whole catalog'}")
        help_t, help_runs, _ = median_time(["--help"], cwd, opts.repeat)
        cold_t, cold_runs, cold = median_time(["check", *ids, "--no-cache"], cwd, max(3, opts.repeat // 2))
        run(["check", *ids], cwd)                                  # fill the cache
        warm_t, warm_runs, warm = median_time(["check", *ids], cwd, opts.repeat)
        ok = report("help", help_t, help_runs)
        ok &= report("cold", cold_t, cold_runs)
        ok &= report("warm", warm_t, warm_runs)
        for name, proc in (("cold", cold), ("warm", warm)):
            if proc.returncode != 0:
                print(f"note: the {name} check exited {proc.returncode}: {proc.stdout.strip().splitlines()[-1:]}"
                      f" {proc.stderr.strip()[:300]}")
        if "cached" not in warm.stdout:
            print("note: the warm run reported no cached claims")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
