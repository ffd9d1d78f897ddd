"""Speed of `derivcheck audit` (issue 10's targets; measured here, never asserted in tests):

* parse: <= 5 ms per display row, median (every row of the five handouts and the user corpus, warm);
* check: <= 100 ms per checked pair, median (every pair of the handouts that reached the engine);
* a whole handout in <= 3 s cold: `derivcheck audit FILE` as a new process, default workers, wall clock.

    python -m bench.audit_speed
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
CORPUS = ROOT / "tests" / "audit" / "corpus"


def _quantiles(xs):
    xs = sorted(xs)
    if not xs:
        return 0.0, 0.0, 0.0
    return statistics.median(xs), xs[min(len(xs) - 1, int(0.9 * len(xs)))], xs[-1]


def parse_times() -> list:
    from proofs.audit.documents import read_document
    from proofs.audit.parse import ParseError, parse_row
    from proofs.audit.source import Display, Notation
    rows = []
    for p in sorted(SEEDS.glob("*.txt")) + sorted(CORPUS.iterdir()):
        for item in read_document(p).items:
            if isinstance(item, Display):
                rows += [r.text for r in item.rows]
    for text in rows[:20]:                    # warm the grammar and SymPy's caches
        try:
            parse_row(text, Notation())
        except ParseError:
            pass
    out = []
    for text in rows:
        t0 = time.perf_counter()
        try:
            parse_row(text, Notation())
        except ParseError:
            pass
        out.append(time.perf_counter() - t0)
    return out


def pair_times() -> list:
    from proofs.audit.check import Settings
    from proofs.audit.command import SIDECAR_DIRS
    from proofs.audit.runner import Job, audit_jobs
    jobs = [Job(path=str(p), name=p.name, sidecar_dirs=tuple(map(str, SIDECAR_DIRS))) for p in sorted(SEEDS.glob("*.txt"))]
    out = []
    for r in audit_jobs(jobs, Settings(), workers=1):
        out += [p.seconds for p in r.pairs if p.verdict not in ("error",) and p.how not in ("definition",)
                and "checked by another worker" not in p.detail and p.seconds > 0]
    return out


def cold_times() -> dict:
    out = {}
    for p in sorted(SEEDS.glob("*.txt")):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "cli.py"), "audit", str(p)], capture_output=True, cwd=str(ROOT))
        out[p.name] = time.perf_counter() - t0
    return out


def main() -> int:
    if not SEEDS.is_dir():
        sys.stderr.write("bench.audit_speed: ../shared/seeds is not beside the checkout\n")
        return 2
    pm, p90, pmax = _quantiles(parse_times())
    cm, c90, cmax = _quantiles(pair_times())
    cold = cold_times()
    print("| measure | median | p90 | max | target |")
    print("|---|---|---|---|---|")
    print(f"| parse, ms per row | {pm * 1e3:.2f} | {p90 * 1e3:.2f} | {pmax * 1e3:.1f} | median <= 5 |")
    print(f"| check, ms per pair | {cm * 1e3:.0f} | {c90 * 1e3:.0f} | {cmax * 1e3:.0f} | median <= 100 |")
    for name, sec in cold.items():
        print(f"| `derivcheck audit {name}`, s cold | {sec:.2f} | | | <= 3 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
