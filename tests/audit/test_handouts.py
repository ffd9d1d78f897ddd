"""Acceptance on the handouts: `derivcheck audit ../shared/seeds/<file>` with the shipped declarations
(derivations/declarations/<stem>.toml, found by the file's name) gives these verdicts at these lines."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the checkout")


def _audit(stem: str) -> dict:
    path = next(SEEDS.glob(f"{stem}_*.txt"))
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "audit", str(path), "--format", "json", "-j", "1"],
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    assert data["format"] == "derivcheck-audit/1"
    return data["documents"][0]


@pytest.fixture(scope="module")
def audits():
    return {stem: _audit(stem) for stem in ("000", "002", "003", "004")}


def _at(doc, line):
    return [p for p in doc["pairs"] if p["line"] == line]


def test_002_eq34_first_holds_using_33_second_refuted(audits):
    pairs = _at(audits["002"], 187)
    assert [p["verdict"] for p in pairs] == ["proved", "refuted", "proved", "proved"]
    assert pairs[0]["how"].startswith("using (33a)") and set(pairs[0]["using"]) <= {"(33a)", "(33b)", "(33c)"}
    point = pairs[1]["counterexample"]["point"]
    assert pairs[1]["first_failing"] and point


def test_003_stationary_distributions_line_refuted(audits):
    pairs = _at(audits["003"], 413)
    assert pairs[-1]["verdict"] == "refuted"
    assert "2" in pairs[-1]["right"] and pairs[-1]["counterexample"]["point"]


def test_004_exercise5c_first_to_second_refuted(audits):
    assert [p["verdict"] for p in _at(audits["004"], 240)] == ["refuted"]


def test_004_exercise5a_induction_chain_holds(audits):
    verdicts = [p["verdict"] for line in (228, 229, 230, 231) for p in _at(audits["004"], line)]
    assert verdicts == ["proved"] * 4


def test_000_problem1a_split_chain_holds(audits):
    pairs = _at(audits["000"], 23)
    assert [p["verdict"] for p in pairs] == ["proved"] * 4
    assert all(p["how"].startswith("implied by line") for p in pairs)


def test_every_display_line_is_read_or_listed_with_a_reason(audits):
    for doc in audits.values():
        assert doc["rows"] > 0
        errors = [p for p in doc["pairs"] if p["verdict"] == "error"]
        assert doc["rows"] - doc["rows_parsed"] <= len(errors)
        for p in errors:
            assert p["detail"] and "\n" not in p["detail"] and p["line"] >= 1
