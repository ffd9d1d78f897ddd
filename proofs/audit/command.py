"""``derivcheck audit``: files in, verdicts out; exit codes as for ``check``.

Exit codes: 0 every pair proved, unproved or not checked; 1 some pair refuted, an error or a timeout;
2 a file that cannot be read or a usage error (the other files are still audited); 5 no display in
any file.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

SIDECAR_DIRS = (Path(__file__).resolve().parent.parent.parent / "derivations" / "declarations",)


def run_audit(args, *, write, err, bad_output) -> int:
    from .check import Settings
    from .documents import kind_of
    from .render import RENDERERS
    from .runner import Job, audit_jobs

    if args.output and bad_output(args.output):
        return 2
    usage = False
    jobs = []
    for f in args.files:
        if not os.path.isfile(f):
            err(f"derivcheck: error: {f}: no such file")
            usage = True
            continue
        if kind_of(f) is None:
            err(f"derivcheck: error: {f}: not a .md, .txt, .tex or .ipynb file")
            usage = True
            continue
        jobs.append(Job(path=f, name=f, sidecar_dirs=tuple(str(d) for d in SIDECAR_DIRS), declare=args.declare))
    if args.declare and not os.path.isfile(args.declare):
        err(f"derivcheck: error: --declare {args.declare}: no such file")
        return 2
    settings = Settings(pair_timeout=args.timeout, seed=args.seed, debug=args.debug,
                        stage_timeout=min(2.0, args.timeout / 4))
    workers = args.jobs or os.cpu_count() or 1
    results = audit_jobs(jobs, settings, workers=workers, max_memory=args.max_memory or None,
                         inline=args.inline) if jobs else []
    dicts = [r.to_dict() for r in results]
    for r in results:
        if r.error:
            err(f"derivcheck: error: {' '.join(r.error.split())}")
            usage = True
    text = RENDERERS[args.format](dicts)
    if args.output:
        try:
            write(args.output, text)
        except OSError as e:
            err(f"derivcheck: error: cannot write {args.output}: {e.strerror or e}")
            return 2
        from .render import summary, summary_line
        sys.stdout.write(summary_line(summary(dicts)) + "\n")
    else:
        sys.stdout.write(text)
    sys.stdout.flush()
    if usage:
        return 2
    if any(r.failed for r in results):
        return 1
    if not any(r.displays for r in results):
        err("derivcheck: no displays found")
        return 5
    return 0
