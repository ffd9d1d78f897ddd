"""derivcheck command line: ``list``, ``check``, ``show``, ``report``.

Exit codes
----------
0  every selected claim passes (verdict == expected, every witness agrees)
1  some claim does not pass (wrong verdict, error, timeout, witness not agreeing)
2  usage error, or a file that cannot be loaded (a syntax or import error, a
   duplicate claim id). Every other claim is still checked and reported;
   2 takes precedence over 1.
3  internal error of derivcheck itself
5  nothing selected

This module imports only the standard library's light parts at import time
and for argument parsing: ``--help`` must not pay for SymPy or NumPy. Every
heavy import happens inside the command functions.
"""
from __future__ import annotations

import argparse
import os
import sys

__version__ = "0.1.0"

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL, EXIT_EMPTY = 0, 1, 2, 3, 5


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not x > 0 or x == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return x


def _megabytes(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of megabytes") from None
    if not x >= 0 or x == float("inf"):
        raise argparse.ArgumentTypeError("must be a number of megabytes, 0 for no limit")
    return x


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


FORMAT_HELP = {"text": "text (the default): a line per item and a summary line",
               "json": "json: machine-readable (what check and audit write is what 'report --from' reads)",
               "junit": "junit: JUnit XML for a CI test tab",
               "markdown": "markdown: GitHub-flavoured Markdown, maths in $...$, for a CI job summary or a pull "
                           "request (the summary table, then what is not as expected)"}
JOBS_HELP = ("workers (default: number of CPUs): files checked at once; the claims of one file run one after "
             "another in one worker")


def _format_help(formats) -> str:
    return "; ".join(FORMAT_HELP[f] for f in formats)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="derivcheck", allow_abbrev=False,
        description="Check derivations of deep-learning optimisation maths, step by step, symbolically "
                    "(SymPy) and with numeric witnesses.",
        epilog="Exit codes: 0 all selected claims pass; 1 some claim does not pass; 2 usage error or a file "
               "that cannot be loaded (takes precedence over 1; the other claims are still checked); "
               "3 internal error; 5 nothing selected.")
    p.add_argument("-V", "--version", action="version", version=f"derivcheck {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp, formats):
        sp.add_argument("targets", nargs="*", metavar="PATH|ID",
                        help="a .py file or folder of them (recursive; names starting with '_' or '.' are "
                             "skipped), or a claim id (or dotted id prefix). Default: the built-in catalog.")
        sp.add_argument("-k", dest="keyword", metavar="EXPR",
                        help="select claims whose id, title or topic contain the words, combined with "
                             "and/or/not and parentheses (like pytest -k)")
        sp.add_argument("--format", choices=formats, default="text", help=_format_help(formats))
        sp.add_argument("--debug", action="store_true", help="print full tracebacks")

    def running(sp):
        sp.add_argument("--timeout", type=_positive_float, default=120.0, metavar="S",
                        help="seconds allowed per claim, and for importing each file (default 120)")
        sp.add_argument("--max-memory", type=_megabytes, default=4096.0, metavar="MB",
                        help="memory each worker may allocate beyond the libraries it starts with; more is an "
                             "error naming the limit (default 4096; 0: no limit)")
        sp.add_argument("--seed", type=_int, default=0, metavar="N", help="seed for numeric witnesses (default 0)")
        sp.add_argument("--no-cache", action="store_true", help="neither read nor write .derivcheck_cache/")

    sp = sub.add_parser("list", help="list claims: id, expected verdict, title, source", allow_abbrev=False)
    common(sp, ("text", "json"))
    sp.add_argument("--no-cache", action="store_true", help="neither read nor write .derivcheck_cache/")
    sp.add_argument("--timeout", type=_positive_float, default=120.0, metavar="S",
                    help="seconds allowed for importing each file (default 120)")

    sp = sub.add_parser("check", help="check claims and report", allow_abbrev=False)
    common(sp, ("text", "json", "junit", "markdown"))
    sp.add_argument("-j", dest="jobs", type=_positive_int, default=None, metavar="N", help=JOBS_HELP)
    running(sp)
    sp.add_argument("-o", dest="output", metavar="FILE", help="write the report to FILE (atomically)")

    sp = sub.add_parser("show", help="check one claim and show every step and witness", allow_abbrev=False)
    sp.add_argument("claim_id", metavar="ID")
    sp.add_argument("paths", nargs="*", metavar="PATH", help="files or folders defining the claim "
                                                             "(default: the built-in catalog)")
    sp.add_argument("--format", choices=("text", "json"), default="text", help=_format_help(("text", "json")))
    sp.add_argument("--debug", action="store_true", help="print full tracebacks")
    running(sp)

    sp = sub.add_parser("report", help="write a LaTeX verification report (and with --pdf, compile it)",
                        allow_abbrev=False,
                        description="Check claims (or re-render saved results with --from) and write a standalone "
                                    "LaTeX document: summary, errata first, then one section per topic; figures "
                                    "need matplotlib (pip install 'derivcheck[report]'). The .tex, its figures "
                                    "folder and the PDF are written atomically.")
    sp.add_argument("targets", nargs="*", metavar="PATH|ID",
                    help="as for check; with --from, ids (or dotted prefixes) to keep from the saved results")
    sp.add_argument("-k", dest="keyword", metavar="EXPR", help="select claims as for check")
    sp.add_argument("-o", dest="output", metavar="FILE", default="report.tex",
                    help="the .tex to write (default report.tex); figures go to FILE-stem-figures/")
    sp.add_argument("--pdf", action="store_true", help="also compile FILE.pdf with latexmk or pdflatex")
    sp.add_argument("--from", dest="from_json", metavar="RESULTS.json",
                    help="render results saved by 'check --format json -o RESULTS.json' without re-checking")
    sp.add_argument("--title", default="derivcheck verification report", help="the document's title")
    sp.add_argument("-j", dest="jobs", type=_positive_int, default=None, metavar="N", help=JOBS_HELP)
    sp.add_argument("--debug", action="store_true", help="print full tracebacks")
    running(sp)

    sp = sub.add_parser("audit", allow_abbrev=False,
                        help="check the display maths of LaTeX, Markdown or notebook files, line by line",
                        description="Read the displays ($$..$$, \\[..\\], equation, align, split, ...) of each "
                                    "file with derivcheck's own grammar and check every pair of adjacent lines "
                                    "symbolically under the declarations (derivcheck: comments in the file, "
                                    "--declare FILE, or a sidecar found by the file's name). Nothing in a file is "
                                    "executed.")
    sp.add_argument("files", nargs="+", metavar="FILE", help=".md, .txt, .tex or .ipynb files")
    sp.add_argument("--declare", metavar="FILE", help="a TOML file of declarations for the files (a sidecar)")
    sp.add_argument("--inline", action="store_true", help="also check inline $...$ maths")
    sp.add_argument("--format", choices=("text", "json", "junit", "markdown"), default="text",
                    help=_format_help(("text", "json", "junit", "markdown")))
    sp.add_argument("-o", dest="output", metavar="FILE", help="write the report to FILE (atomically)")
    sp.add_argument("-j", dest="jobs", type=_positive_int, default=None, metavar="N",
                    help="workers (default: number of CPUs): files at once, and a file's pairs shared between "
                         "them")
    sp.add_argument("--timeout", type=_positive_float, default=20.0, metavar="S",
                    help="seconds allowed per pair of lines (default 20)")
    sp.add_argument("--max-memory", type=_megabytes, default=4096.0, metavar="MB",
                    help="memory each worker may allocate (default 4096; 0: no limit)")
    sp.add_argument("--seed", type=_int, default=0, metavar="N", help="seed for counterexample search (default 0)")
    sp.add_argument("--debug", action="store_true", help="print full tracebacks")
    return p


# -- helpers ------------------------------------------------------------------------------------

def _err(msg: str) -> None:
    sys.stderr.write(msg.rstrip("\n") + "\n")
    sys.stderr.flush()


def _report_load_errors(errors, debug: bool) -> None:
    for e in errors:
        if debug and getattr(e, "traceback", ""):
            _err(e.traceback)
        _err(e.one_line())


def _cache(args):
    from proofs.cache import Cache
    return Cache(seed=getattr(args, "seed", 0), version=__version__, enabled=not getattr(args, "no_cache", False))


def _write_output(path: str, text: str) -> None:
    from proofs.cache import atomic_write
    atomic_write(path, text)


# -- commands -----------------------------------------------------------------------------------

def cmd_list(args) -> int:
    from proofs import runner

    cache = _cache(args)
    plan = runner.gather(args.targets, keyword=args.keyword, cache=cache, timeout=args.timeout)
    runner.store(plan, cache, {})  # list: imports once, then the claims are known without importing
    _report_load_errors(plan.errors, args.debug)
    errors = [e.to_dict() for e in plan.errors]
    if args.format == "json":
        from proofs.render.json_format import render_list
    else:
        from proofs.render.text import render_list
    sys.stdout.write(render_list(plan.selected, errors))
    if errors:
        return EXIT_USAGE
    return EXIT_OK if plan.selected else EXIT_EMPTY


def _bad_output(path: str) -> bool:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or os.path.isdir(path):
        _err(f"derivcheck: error: -o {path}: no such folder, or it is a folder")
        return True
    return False


def _run_checks(args):
    """Gather, check and summarise the selected claims: (results, summary, load errors)."""
    import time

    from proofs import runner
    from proofs.cache import versions
    from proofs.outcome import summarize

    t0 = time.monotonic()
    cache = _cache(args)
    plan = runner.gather(args.targets, keyword=args.keyword, cache=cache, jobs=args.jobs, timeout=args.timeout,
                         max_memory=args.max_memory, warm=True)
    results = runner.check(plan, cache=cache, jobs=args.jobs, timeout=args.timeout, seed=args.seed,
                           debug=args.debug, progress_stream=sys.stderr,
                           max_memory=args.max_memory) if plan.selected else []
    _report_load_errors(plan.errors, args.debug)
    summary = summarize(results, errors=[e.to_dict() for e in plan.errors], seed=args.seed,
                        versions=versions(__version__), seconds=time.monotonic() - t0)
    return results, summary, plan.errors


def cmd_check(args) -> int:
    from proofs.outcome import exit_code
    from proofs.render import render_check, use_color

    if args.output and _bad_output(args.output):
        return EXIT_USAGE
    results, summary, load_errors = _run_checks(args)
    if args.output:
        try:
            _write_output(args.output, render_check(args.format, results, summary, color=False))
        except OSError as e:
            _err(f"derivcheck: error: cannot write {args.output}: {e.strerror or e}")
            return EXIT_USAGE
        from proofs.render.text import summary_line
        sys.stdout.write(summary_line(summary) + "\n")
    else:
        color = args.format == "text" and use_color(sys.stdout)
        sys.stdout.write(render_check(args.format, results, summary, color=color))
    sys.stdout.flush()
    code = exit_code(results, load_errors)
    if code == EXIT_EMPTY:
        _err("derivcheck: no claims selected")
    return code


def cmd_report(args) -> int:
    from proofs.outcome import exit_code
    from proofs.report import build

    if _bad_output(args.output):
        return EXIT_USAGE
    if args.from_json:
        audit = _audit_report(args)
        if audit is not None:
            return audit
        load_errors = []                 # a malformed record: one line each, exit 2, the valid ones still reported
        try:
            results, summary = build.load_results(args.from_json, ids=args.targets, keyword=args.keyword,
                                                  on_bad_record=load_errors.append)
        except build.ResultsError as e:
            _err(f"derivcheck: error: {e}")
            return EXIT_USAGE
        for line in load_errors:
            _err(f"derivcheck: error: {line}")
    else:
        results, summary, load_errors = _run_checks(args)
    if not results:
        if not load_errors:
            _err("derivcheck: no claims selected")
        return EXIT_USAGE if load_errors else EXIT_EMPTY
    try:
        written = build.write_report(results, summary, args.output, pdf=args.pdf, title=args.title,
                                     warn=_err)
    except build.ReportError as e:
        _err(f"derivcheck: error: {e}")
        return EXIT_USAGE
    sys.stdout.write("".join(f"wrote {path}\n" for path in written))
    from proofs.render.text import summary_line
    sys.stdout.write(summary_line(summary) + "\n")
    return exit_code(results, load_errors)


def _audit_report(args) -> int | None:
    """``report --from`` an audit's JSON (``audit --format json``): the audit report; None for claim results."""
    from proofs.audit import report as audit_report
    from proofs.report import build
    try:
        data = build._read_json(args.from_json)
    except build.ResultsError:
        return None                      # load_results reports it, with the same message
    if not (isinstance(data, dict) and data.get("format") == audit_report.FORMAT):
        return None
    docs, problems = audit_report.load(data, args.from_json)
    for line in problems:
        _err(f"derivcheck: error: {line}")
    if not docs:
        return EXIT_USAGE if problems else EXIT_EMPTY
    title = args.title if args.title != "derivcheck verification report" else "derivcheck audit"
    try:
        written = audit_report.write(docs, args.output, pdf=args.pdf, title=title)
    except build.ReportError as e:
        _err(f"derivcheck: error: {e}")
        return EXIT_USAGE
    sys.stdout.write("".join(f"wrote {path}\n" for path in written))
    failed = any(p["verdict"] in ("refuted", "error", "timeout") for d in docs for p in d["pairs"])
    return EXIT_USAGE if problems else (EXIT_FAIL if failed else EXIT_OK)


def cmd_show(args) -> int:
    from proofs import runner
    from proofs.outcome import exit_code
    from proofs.render import use_color

    cache = _cache(args)
    plan = runner.gather(args.paths, cache=cache, exact_id=args.claim_id, timeout=args.timeout,
                         max_memory=args.max_memory)
    _report_load_errors(plan.errors, args.debug)
    if not plan.selected:
        _err(f"derivcheck: error: no claim with id {args.claim_id!r}")
        return EXIT_USAGE
    results = runner.check(plan, cache=cache, jobs=1, timeout=args.timeout, seed=args.seed, debug=args.debug,
                           progress_stream=sys.stderr, max_memory=args.max_memory)
    results[0]["corrected_by"] = _corrected_by(plan, args.claim_id)
    if args.format == "json":
        from proofs.render.json_format import dumps
        from proofs.results import SCHEMA
        sys.stdout.write(dumps({"schema": SCHEMA, "claim": results[0]}))
    else:
        from proofs.render.text import render_show
        sys.stdout.write(render_show(results[0], color=use_color(sys.stdout)))
    return exit_code(results, plan.errors)


def _corrected_by(plan, claim_id: str) -> list:
    """Ids of the claims, in the files searched, that declare ``corrects=claim_id`` (sorted)."""
    metas = [m for state in plan.files for m in (state.all_metas or state.metas)]
    return sorted({m["id"] for m in metas if m.get("corrects") == claim_id})


def cmd_audit(args) -> int:
    from proofs.audit.command import run_audit
    return run_audit(args, write=_write_output, err=_err, bad_output=_bad_output)


COMMANDS = {"list": cmd_list, "check": cmd_check, "show": cmd_show, "report": cmd_report, "audit": cmd_audit}


class Terminated(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so every worker's process group is ended on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum, _frame):
    raise Terminated(signum)


def _catch_termination() -> None:
    import signal
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, _terminate)
        except (ValueError, OSError):  # pragma: no cover - not the main thread
            pass


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:          # argparse: --help/--version exit 0, usage errors exit 2
        return int(e.code or 0) if isinstance(e.code, int) else EXIT_USAGE
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _catch_termination()
    for stream in (sys.stdout, sys.stderr):      # a title or message SymPy cannot encode never aborts the output
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _err("derivcheck: interrupted")
        return 130
    except Terminated as t:
        _err(f"derivcheck: terminated by signal {t.signum}; every worker was stopped")
        return 128 + t.signum
    except BrokenPipeError:          # `derivcheck check | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:  # pragma: no cover
            pass
        return EXIT_FAIL
    except Exception as exc:
        from proofs.loader import UsageError
        from proofs.selection import SelectionError
        if isinstance(exc, (UsageError, SelectionError)):
            _err(f"derivcheck: error: {exc}")
            return EXIT_USAGE
        if debug:
            import traceback
            traceback.print_exc()
        msg = " ".join(str(exc).split())
        _err(f"derivcheck: internal error: {type(exc).__name__}: {msg}" + ("" if debug else " (use --debug for the traceback)"))
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
