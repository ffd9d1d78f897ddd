"""Whether a claim result passes: the one place that decides it.

A claim *passes* when its verdict equals its expected verdict and every
numeric witness agrees. Everything else (CLI exit code, text colour, JUnit
failure, summary counts) asks this module.

Works on result dicts (``ClaimResult.to_dict()`` shape) so it needs neither
SymPy nor the engine.
"""
from __future__ import annotations

WITNESS_ORDER = ("agrees", "disagrees", "error")
INCOMPLETE = ("error", "timeout")   # verdicts meaning "could not be checked"


def failure_reason(result: dict) -> str:
    """Why ``result`` does not pass; ``""`` when it passes."""
    verdict, expected = result.get("verdict"), result.get("expected")
    if verdict in INCOMPLETE:            # an error or a timeout is never "as expected", whatever was expected
        msg = result.get("message") or verdict
        never = " (an error or a timeout never passes, even when expected)" if verdict == expected else ""
        return f"{verdict}: {msg}{never}"
    if verdict != expected:
        if verdict in INCOMPLETE:
            msg = result.get("message") or verdict
            return f"{verdict}: {msg}"
        return f"verdict {verdict}, expected {expected}"
    bad = [w for w in result.get("witnesses") or [] if w.get("verdict") != "agrees"]
    if bad:
        w = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        detail = f": {w.get('detail')}" if w.get("detail") else ""
        return f"witness {w.get('name') or w.get('kind')} {w.get('verdict')}{detail}{more}"
    return ""


def is_erratum(result: dict) -> bool:
    """The claim records a false result of its source (``expected: refuted``): refuted is its passing verdict."""
    return result.get("expected") == "refuted"


def passed(result: dict) -> bool:
    """True when ``verdict == expected`` and every witness verdict is ``agrees``."""
    return not failure_reason(result)


def witness_summary(result: dict) -> str:
    """One word for a claim's witnesses: ``disagrees`` > ``error`` > ``agrees``; ``none`` without witnesses."""
    verdicts = [w.get("verdict") for w in result.get("witnesses") or []]
    if not verdicts:
        return "none"
    for v in ("disagrees", "error"):
        if v in verdicts:
            return v
    if all(v == "agrees" for v in verdicts):
        return "agrees"
    return "error"


def is_failure_kind_error(result: dict) -> bool:
    """The claim could not be checked (verdict error or timeout): JUnit ``<error>`` rather than ``<failure>``."""
    return result.get("verdict") in INCOMPLETE


def summarize(results: list, *, errors=(), seed: int = 0, versions: dict | None = None,
              seconds: float = 0.0) -> dict:
    """The summary dict shared by every renderer (JSON ``summary``)."""
    by_verdict: dict = {}
    witnesses = {v: 0 for v in WITNESS_ORDER}
    n_passed = 0
    for r in results:
        by_verdict[r.get("verdict")] = by_verdict.get(r.get("verdict"), 0) + 1
        for w in r.get("witnesses") or []:
            v = w.get("verdict")
            witnesses[v if v in witnesses else "error"] += 1
        n_passed += passed(r)
    return {
        "total": len(results),
        "passed": n_passed,
        "failed": len(results) - n_passed,
        "by_verdict": by_verdict,
        "witnesses": witnesses,
        "errors": [dict(e) for e in errors],
        "cached": sum(1 for r in results if r.get("cached")),
        "seed": seed,
        "versions": dict(versions or {}),
        "seconds": round(seconds, 3),
    }


def exit_code(results: list, errors=()) -> int:
    """0 all pass; 1 some claim does not pass; 2 a load error (wins over 1); 5 nothing selected."""
    if errors:
        return 2
    if not results:
        return 5
    return 0 if all(passed(r) for r in results) else 1
