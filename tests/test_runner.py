"""The process runner, with fake check functions (no engine needed)."""
import io
import os
import re
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


def test_progress_on_a_tty_in_place_and_in_a_log_line_by_line():
    class FakeTty(io.StringIO):
        def isatty(self):
            return True

    tty = FakeTty()
    p = _Progress(3, tty, delay=0.0)
    p.update(1, "a.claim")
    p.clear()
    assert "[1/3] a.claim" in tty.getvalue() and tty.getvalue().endswith("\r\x1b[K")
    plain = io.StringIO()                       # not a terminal: silent for a short run
    p = _Progress(3, plain, delay=0.0)
    p.update(1, "a.claim")
    p.clear(3)
    assert plain.getvalue() == ""
    log = io.StringIO()                         # a long run in a CI log: whole lines, at most one per `every`
    p = _Progress(3, log, quiet=0.0, every=60.0)
    p.update(1, "a.claim")
    p.update(2, "b.claim")
    p.clear(3)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in log.getvalue()
    assert re.fullmatch(r"derivcheck: 1/3 claims checked \(0 s\); running a\.claim", lines[0])
    assert lines[1] == "derivcheck: 3/3 claims checked (0 s)"
    silent = _Progress(3, None, quiet=0.0)      # no stream: nothing, anywhere
    silent.update(1, "a.claim")
    silent.clear(3)
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


def file_claims(path, ids):
    out = []
    for line, cid in enumerate(ids, start=1):
        c = make_claim(cid)
        c.file, c.line = path, line
        out.append(c)
    return out


def check_reports_pid(c, *, seed):
    r = ok_result(c)
    r.message = str(os.getpid())
    return r


def test_claims_of_one_file_share_a_worker_for_any_jobs():
    claims = file_claims("a.py", ["a.1", "a.2", "a.3"]) + file_claims("b.py", ["b.1", "b.2"])
    for jobs in (1, 2, 4):
        res = {r["id"]: r["message"] for r in run_claims(claims, check=check_reports_pid, jobs=jobs, timeout=20)}
        assert res["a.1"] == res["a.2"] == res["a.3"]
        assert res["b.1"] == res["b.2"] != res["a.1"]
        assert str(os.getpid()) not in res.values()


def test_claims_of_a_file_run_in_file_order(tmp_path):
    log = tmp_path / "order"

    def check(c, *, seed):
        with open(log, "a") as fh:
            fh.write(c.id + "\n")
        return ok_result(c)

    claims = file_claims("z.py", ["z.c", "z.a", "z.b"])      # lines 1, 2, 3
    run_claims(claims, check=check, jobs=1, timeout=20)
    assert log.read_text().split() == ["z.c", "z.a", "z.b"]


def test_a_timeout_inside_a_file_kills_one_claim_and_the_rest_of_the_file_still_runs():
    claims = file_claims("f.py", ["f.before", "f.hangs", "f.after"])

    def check(c, *, seed):
        return check_sleeps_forever(c, seed=seed) if c.id == "f.hangs" else check_reports_pid(c, seed=seed)

    res = {r["id"]: r for r in run_claims(claims, check=check, jobs=1, timeout=0.5)}
    assert res["f.hangs"]["verdict"] == "timeout"
    assert res["f.before"]["verdict"] == res["f.after"]["verdict"] == "proved"
    assert res["f.before"]["message"] != res["f.after"]["message"]      # a fresh worker took over


def test_the_timeout_is_per_claim_not_per_file():
    claims = file_claims("s.py", [f"s.{i}" for i in range(4)])

    def check(c, *, seed):
        time.sleep(0.3)
        return ok_result(c)

    res = run_claims(claims, check=check, jobs=1, timeout=0.8)    # 1.2 s for the file, 0.3 s a claim
    assert [r["verdict"] for r in res] == ["proved"] * 4


def test_a_worker_dying_inside_a_file_costs_one_claim():
    claims = file_claims("d.py", ["d.1", "d.2", "d.3"])

    def check(c, *, seed):
        return check_exits(c, seed=seed) if c.id == "d.2" else ok_result(c)

    res = {r["id"]: r for r in run_claims(claims, check=check, jobs=2, timeout=20)}
    assert res["d.2"]["verdict"] == "error" and "worker process died (exit code 3)" in res["d.2"]["message"]
    assert res["d.1"]["verdict"] == res["d.3"]["verdict"] == "proved"
