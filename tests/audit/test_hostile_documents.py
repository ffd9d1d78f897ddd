"""Hostile documents: each bad line is a one-line error (or timeout) naming file and line, and the rest of
the document is still audited. Run through the real command in a subprocess (the audit runs in workers)."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GOOD = r"$$(a+b)^2 = a^2 + 2ab + b^2$$"

HOSTILE = {
    "unbalanced_brace": r"$$\frac{1}{2 = 1$$",
    "unbalanced_left": r"$$\left( x + 1 = x + 1$$",
    "unknown_macro": r"$$\foo{x} = 1$$",
    "input": r"$$\input{/etc/passwd} = 1$$",
    "include": r"$$x = \include{secret}$$",
    "write18": r"$$\immediate\write18{touch /tmp/derivcheck-pwned} x = 1$$",
    "pdfobj": r"$$\pdfobj file {/etc/passwd} = 1$$",
    "def_loop": r"$$\def\x{\x}\x = 1$$",
    "catcode": r"$$\catcode`\$=12 x = 1$$",
    "csname": r"$$\csname input\endcsname{/etc/passwd} = 1$$",
    "huge_tower": r"$$10^{10^{10}} = 1$$",
    "huge_power": r"$$2^{100000} = 3$$",
    "deep_frac": "$$" + r"\frac{1}{" * 3000 + "x" + "}" * 3000 + " = 1$$",
    "long_sum": "$$" + " + ".join(f"x_{{{i}}}" for i in range(10000)) + " = 0$$",
    "many_ones": "$$" + "+".join(["1"] * 10000) + " = 10000$$",
    "ellipsis": r"$$x_1 + \dots + x_n = S$$",
    "empty_display": "$$ $$",
    "only_relation": "$$ = $$",
    "null_bytes": "$$x\x00 = 1$$",
}


def _audit(path: Path, *args, timeout=120):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "audit", str(path), "--format", "json", *args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=str(path.parent))
    return proc, time.monotonic() - t0


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_line_is_one_error_and_the_rest_is_audited(tmp_path, name):
    doc = tmp_path / f"{name}.md"
    doc.write_text(f"# {name}\n\n{GOOD}\n\n{HOSTILE[name]}\n\n{GOOD}\n", encoding="utf-8")
    proc, seconds = _audit(doc, "--timeout", "10")
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    pairs = data["documents"][0]["pairs"]
    by_line = {}
    for p in pairs:
        by_line.setdefault(p["line"], []).append(p)
    assert [p["verdict"] for p in by_line[3]] == ["proved"]
    assert [p["verdict"] for p in by_line[7]] == ["proved"]
    bad = by_line.get(5, [])
    for p in bad:
        assert p["verdict"] in ("error", "timeout", "not checked", "refuted", "unproved", "proved")
        assert "\n" not in p["detail"]
    if name not in ("many_ones", "empty_display"):
        assert bad and bad[0]["verdict"] in ("error", "timeout", "not checked"), bad
    assert not Path("/tmp/derivcheck-pwned").exists()
    assert seconds < 60


def test_no_file_is_read_or_written_by_a_hostile_document(tmp_path):
    doc = tmp_path / "x.tex"
    doc.write_text("\\begin{equation}\\input{secret.tex} = 1\\end{equation}\n\\input{secret.tex}\n", encoding="utf-8")
    (tmp_path / "secret.tex").write_text("TOPSECRET", encoding="utf-8")
    proc, _ = _audit(doc)
    assert "TOPSECRET" not in proc.stdout + proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.tex", "x.tex"]
