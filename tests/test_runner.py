"""The process runner, with fake check functions (no engine needed)."""
import io
import os
import sys
import time

import pytest

from proofs.model import Source, claim
from proofs.results import ClaimResult
from proofs.runner import _Progress, run_claims


def make_claim(cid, expected="proved"):
    @claim(id=cid, title=f"title of {cid}", source=Source("notes.txt", "eq. (1)"), expected=expected, topic="fake")
    def build(d):
        pass
    build.file = "fake.py"
    return build


def ok_result(c, verdict="proved"):
    return ClaimResult(id=c.id, title=c.title, topic=c.topic, source=c.source.to_dict(), also=[], statement="",
                       statement_latex="", verdict=verdict, expected=c.expected.value, message="fine", file=c.file)


def check_ok(c, *, seed):
    return ok_result(c)


def check_sleeps_forever(c, *, seed):
    while True:
        time.sleep(1)


def check_raises(c, *, seed):
    raise ValueError("engine bug\nwith a second line")


def check_exits(c, *, seed):
    os._exit(3)


def check_prints(c, *, seed):
    print("noise from the claim")
    return ok_result(c)


def test_results_come_back_as_dicts_sorted_by_id():
    claims = [make_claim(i) for i in ("c.two", "a.one", "b.three")]
    for jobs in (1, 3):
        res = run_claims(claims, check=check_ok, jobs=jobs, timeout=20)
        assert [r["id"] for r in res] == ["a.one", "b.three", "c.two"]
        assert all(r["verdict"] == "proved" and r["as_expected"] for r in res)
        assert all(r["seconds"] > 0 for r in res)


def test_seed_is_passed_through():
    def check(c, *, seed):
        r = ok_result(c)
        r.message = f"seed={seed}"
        return r

    (r,) = run_claims([make_claim("s.x")], check=check, seed=42, timeout=20)
    assert r["message"] == "seed=42"


def test_a_claim_over_its_timeout_is_killed_and_reported():
    claims = [make_claim("t.hangs"), make_claim("t.fine")]

    def check(c, *, seed):
        return check_sleeps_forever(c, seed=seed) if c.id == "t.hangs" else ok_result(c)

    t0 = time.monotonic()
    res = {r["id"]: r for r in run_claims(claims, check=check, jobs=1, timeout=0.5)}
    assert time.monotonic() - t0 < 10
    assert res["t.hangs"]["verdict"] == "timeout"
    assert res["t.hangs"]["message"] == "timed out after 0.5 s"
    assert res["t.hangs"]["expected"] == "proved" and res["t.hangs"]["title"] == "title of t.hangs"
    assert res["t.fine"]["verdict"] == "proved"


def test_timeout_kills_a_worker_that_ignores_sigterm():
    import signal

    def check(c, *, seed):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            pass

    t0 = time.monotonic()
    (r,) = run_claims([make_claim("t.stubborn")], check=check, timeout=0.3)
    assert r["verdict"] == "timeout"
    assert time.monotonic() - t0 < 10


def test_a_check_that_raises_becomes_a_one_line_error():
    (r,) = run_claims([make_claim("e.raises")], check=check_raises, timeout=20)
    assert r["verdict"] == "error"
    assert "e.raises" in r["message"] and "fake.py" in r["message"]
    assert "ValueError: engine bug with a second line" in r["message"]
    assert "\n" not in r["message"]


def test_a_worker_that_dies_becomes_an_error():
    (r,) = run_claims([make_claim("e.exits")], check=check_exits, timeout=20)
    assert r["verdict"] == "error"
    assert "worker process died (exit code 3)" in r["message"] and "e.exits" in r["message"]


def test_debug_prints_the_checker_traceback(capfd):
    run_claims([make_claim("e.raises")], check=check_raises, timeout=20, debug=True)
    assert "Traceback" in capfd.readouterr().err


def test_debug_wraps_builders_when_the_check_has_no_debug_parameter(capfd):
    def check(c, *, seed):
        try:
            c.build(None)
        except ZeroDivisionError:
            return ok_result(c, verdict="error")
        return ok_result(c)

    @claim(id="e.build", title="t", source=Source("n", "l"))
    def broken(d):
        return 1 / 0

    (r,) = run_claims([broken], check=check, timeout=20, debug=True)
    assert r["verdict"] == "error"
    assert "ZeroDivisionError" in capfd.readouterr().err


def test_claim_output_goes_to_stderr_not_stdout(capfd):
    (r,) = run_claims([make_claim("p.prints")], check=check_prints, timeout=20)
    assert r["verdict"] == "proved"
    out, err = capfd.readouterr()
    assert "noise from the claim" not in out
    assert "noise from the claim" in err


def test_at_most_jobs_workers_at_once(tmp_path):
    def check(c, *, seed):
        (tmp_path / f"{c.id}.start").write_text(repr(time.monotonic()))
        time.sleep(0.3)
        (tmp_path / f"{c.id}.end").write_text(repr(time.monotonic()))
        return ok_result(c)

    claims = [make_claim(f"j.{i}") for i in range(5)]
    run_claims(claims, check=check, jobs=2, timeout=20)
    spans = [(float((tmp_path / f"{c.id}.start").read_text()), float((tmp_path / f"{c.id}.end").read_text()))
             for c in claims]
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most <= 2


def test_no_claims_no_work():
    assert run_claims([], check=check_ok) == []


def test_progress_only_on_a_tty_and_cleared():
    class FakeTty(io.StringIO):
        def isatty(self):
            return True

    tty = FakeTty()
    p = _Progress(3, tty, delay=0.0)
    p.update(1, "a.claim")
    p.clear()
    assert "[1/3] a.claim" in tty.getvalue() and tty.getvalue().endswith("\r\x1b[K")
    plain = io.StringIO()
    p = _Progress(3, plain, delay=0.0)
    p.update(1, "a.claim")
    p.clear()
    assert plain.getvalue() == ""
    late = FakeTty()
    p = _Progress(3, late, delay=60)
    p.update(1, "a.claim")
    p.clear()
    assert late.getvalue() == ""


@pytest.mark.skipif(sys.platform == "win32", reason="fork only")
def test_parent_state_is_inherited_by_fork():
    marker = {"value": 7}

    def check(c, *, seed):
        r = ok_result(c)
        r.message = str(marker["value"])
        return r

    (r,) = run_claims([make_claim("f.inherit")], check=check, timeout=20)
    assert r["message"] == "7"
