"""Bad command lines: each a one-line ``derivcheck: error: ...`` (or argparse's usage error) and exit 2, or for
values that are merely extreme, a normal run. Exit 5 when nothing is selected."""
from __future__ import annotations

import pytest

from tests.hostile.test_process_signals import GOOD

DEEP_NOT = "not " * 30_000 + "fine"          # 120 kB: about the longest argument Linux passes
DEEP_PARENS = "(" * 5000 + "fine" + ")" * 5000


@pytest.mark.parametrize("args, pattern", [
    (["-k", DEEP_NOT], r"derivcheck: error: -k: expression nested too deeply"),
    (["-k", DEEP_PARENS], r"derivcheck: error: -k: expression nested too deeply"),
    (["-k", "(fine"], r"derivcheck: error: "),
    (["-k", "fine and"], r"derivcheck: error: "),
    (["--timeout", "0"], r"--timeout: must be a positive number of seconds"),
    (["--timeout", "-1"], r"--timeout: must be a positive number of seconds"),
    (["--timeout", "nan"], r"--timeout: must be a positive number of seconds"),
    (["--timeout", "inf"], r"--timeout: must be a positive number of seconds"),
    (["--timeout", "soon"], r"--timeout: 'soon' is not a number"),
    (["--max-memory", "-5"], r"--max-memory: must be a number of megabytes"),
    (["--max-memory", "lots"], r"--max-memory: 'lots' is not a number of megabytes"),
    (["-j", "0"], r"-j: must be at least 1"),
    (["--seed", "1.5"], r"--seed: '1.5' is not an integer"),
    (["--format", "yaml"], r"--format: invalid choice"),
    (["no.such.claim"], r"derivcheck: error: unknown claim id: no.such.claim"),
    (["missing/dir"], r"derivcheck: error: missing/dir: no such file or folder"),
    (["notes.txt"], r"derivcheck: error: notes.txt: not a Python file"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None)
def test_a_bad_command_line_is_one_line_and_exit_2(run_cli, write, args, pattern):
    import re
    write("fine.py", GOOD)
    write("notes.txt", "not python")
    proc = run_cli("check", "--no-cache", *args, "fine.py")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("usage:")
             and not ln.startswith(" ")]
    assert len(lines) == 1 and re.search(pattern, lines[0]), proc.stderr[:500]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("timeout", ["1e300", "1e9", "0.5e3"])
def test_an_extreme_but_valid_timeout_runs_normally(run_cli, write, timeout):
    write("fine.py", GOOD)
    proc = run_cli("check", "--no-cache", "--timeout", timeout, "fine.py")
    assert proc.returncode == 0, proc.stderr
    assert "hostile.fine" in proc.stdout


def test_max_memory_0_means_no_limit(run_cli, write):
    write("fine.py", GOOD)
    assert run_cli("check", "--no-cache", "--max-memory", "0", "fine.py").returncode == 0


@pytest.mark.parametrize("files", [{"empty.py": ""}, {"only_helpers.py": "def helper():\n    return 1\n"},
                                   {"_skipped.py": GOOD}])
def test_nothing_selected_is_exit_5(run_cli, write, tmp_path, files):
    (tmp_path / "d").mkdir()
    for name, text in files.items():
        write(f"d/{name}", text)
    proc = run_cli("check", "--no-cache", "d")
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "no claims selected" in proc.stderr


def test_list_bounds_each_import_too(run_cli, write):
    import time
    write("fine.py", GOOD)
    write("loops.py", "while True:\n    pass\n")
    t0 = time.monotonic()
    proc = run_cli("list", "--no-cache", "--timeout", "1", ".")
    assert time.monotonic() - t0 < 30
    assert proc.returncode == 2
    assert "hostile.fine" in proc.stdout
    assert "loops.py:0: importing the file took longer than 1 s (--timeout)" in proc.stderr
