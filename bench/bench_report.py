"""Wall-clock benchmark of ``derivcheck report --from`` (a script, not a test).

    python bench/bench_report.py [--repeat N] [--pdf]

Checks the whole catalog once (``check --format json -o results.json``), then measures the median of N
runs of ``python cli.py report --from results.json -o report.tex`` in a fresh temporary directory:
LaTeX and every figure, target 5 s. With ``--pdf`` it also times one ``--pdf`` compile, reported
separately (the target excludes it).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "cli.py"
TARGET = 5.0


def run(args, cwd):
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(CLI), *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    return time.perf_counter() - t0, proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--pdf", action="store_true", help="also time one compile (not part of the target)")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="derivcheck-bench-report-") as cwd:
        t, proc = run(["check", "--no-cache", "--format", "json", "-o", "results.json"], cwd)
        if proc.returncode not in (0, 1):
            print(f"check failed ({proc.returncode}): {proc.stderr[-500:]}")
            return 2
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; catalog checked in {t:.1f} s")
        times = []
        for _ in range(opts.repeat):
            t, proc = run(["report", "--from", "results.json", "-o", "report.tex"], cwd)
            if proc.returncode not in (0, 1):
                print(f"report failed ({proc.returncode}): {proc.stderr[-500:]}")
                return 2
            times.append(t)
        med = statistics.median(times)
        figs = len(list(Path(cwd, "report-figures").glob("*.pdf")))
        size = Path(cwd, "report.tex").stat().st_size
        ok = med <= TARGET
        print(f"report --from  {med:6.3f} s   target {TARGET:.1f} s   {'ok' if ok else 'SLOW'}   "
              f"(runs: {', '.join(f'{x:.3f}' for x in times)}; {figs} figures, .tex {size // 1024} KiB)")
        if opts.pdf:
            t, proc = run(["report", "--from", "results.json", "-o", "report.tex", "--pdf"], cwd)
            status = "ok" if proc.returncode in (0, 1) else f"failed: {proc.stderr.strip()[-300:]}"
            print(f"report --pdf   {t:6.3f} s   (compile included; no target)   {status}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
