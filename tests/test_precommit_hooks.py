"""The pre-commit hooks (``.pre-commit-hooks.yaml``, entry ``derivcheck-pre-commit`` = ``proofs.precommit``).

The entry is tested directly (fast); the hooks as users get them with ``pre-commit try-repo`` on a throw-away
git repository (slow: pre-commit builds a virtualenv and pip-installs derivcheck into it, so it needs the
package index; skipped only when pre-commit itself is not installed).

try-repo takes a repository's HEAD plus its *tracked* uncommitted changes; a new module not yet added to git
would be missing from that, so the test hands try-repo a snapshot of the working tree (tracked and
untracked files, .gitignore respected) committed in a temporary repository.
"""
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

DERIVATION = '''
import sympy as sp
from proofs import Source, claim


@claim(id="hook.erratum", title="a known erratum", source=Source("notes.tex", "Lemma 2"), expected="refuted")
def erratum(d):
    a = d.symbol("a", positive=True)
    d.step(sp.Eq(a + a, 3 * a, evaluate=False), rule="add")
    d.statement(sp.Eq(a + a, 3 * a, evaluate=False))


@claim(id="hook.double", title="a + a = 2 a", source=Source("notes.tex", "Lemma 3"))
def double(d):
    a = d.symbol("a", positive=True)
    d.step(sp.Eq(a + a, 2 * a, evaluate=False), rule="add")
    d.statement(sp.Eq(a + a, 2 * a, evaluate=False))
'''

WRONG_DERIVATION = DERIVATION.replace('expected="refuted")', 'expected="proved")')

# importing this would leave a file behind: it must never be imported (it is not a derivation file)
TRAP = 'open("IMPORTED", "w").write("the hook imported a module that is not a derivation file")\n'

WRONG_TEX = r"""\documentclass{article}
\begin{document}
% derivcheck: assume 0 < \rho < 1
% derivcheck: assume \sigma > 0
% derivcheck: unknown V
% derivcheck-audit
\begin{align*}
  V &= \rho^{2} V + (1-\rho)^{2}\sigma^{2} \\
  (1-\rho^2) V &= (1-\rho)^2 \sigma^2 \\
  V &= \frac{(1-\rho)^2}{1-\rho^2}\,\sigma^2 \\
    &= \frac{1-\rho}{1-\rho}\,\sigma^2 = \sigma^2 .
\end{align*}
\end{document}
"""

UNMARKED_WRONG_MD = r"""# Not marked for auditing

$$
(a + b)^2 = a^2 + b^2
$$
"""

MARKED_RIGHT_MD = r"""<!-- derivcheck-audit -->

$$
(a + b)^2 = a^2 + 2ab + b^2
$$
"""


def _entry(cwd, *args):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "proofs.precommit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "derivation.py").write_text(DERIVATION)
    (tmp_path / "wrong_derivation.py").write_text(WRONG_DERIVATION)
    (tmp_path / "trap.py").write_text(TRAP)
    (tmp_path / "notes.tex").write_text(WRONG_TEX)
    (tmp_path / "README.md").write_text(UNMARKED_WRONG_MD)
    (tmp_path / "right.md").write_text(MARKED_RIGHT_MD)
    return tmp_path


def test_manifest_is_valid():
    clientlib = pytest.importorskip("pre_commit.clientlib", reason="pre-commit is not installed")
    hooks = {h["id"]: h for h in clientlib.load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == {"derivcheck-check", "derivcheck-audit"}
    assert hooks["derivcheck-check"]["entry"] == "derivcheck-pre-commit check"
    assert hooks["derivcheck-check"]["types"] == ["python"]
    assert hooks["derivcheck-audit"]["entry"] == "derivcheck-pre-commit audit"
    assert hooks["derivcheck-audit"]["types_or"] == ["markdown", "tex"]


def test_check_entry_hands_on_only_derivation_files(files):
    r = _entry(files, "check", "derivation.py", "trap.py")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "hook.erratum" in r.stdout and "hook.double" in r.stdout and "trap" not in r.stdout
    r = _entry(files, "check", "wrong_derivation.py", "trap.py")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "hook.erratum" in r.stdout and "expected proved" in r.stdout
    r = _entry(files, "check", "trap.py")                    # nothing to check: passes, says nothing
    assert (r.returncode, r.stdout) == (0, "")
    assert not (files / "IMPORTED").exists()


def test_check_entry_passes_options_on(files):
    r = _entry(files, "check", "--timeout", "derivation.py", "derivation.py")   # a value that names a file
    assert r.returncode == 2 and "--timeout" in r.stderr                       # is the option's value
    r = _entry(files, "check", "--format", "json", "derivation.py")
    assert r.returncode == 0 and r.stdout.lstrip().startswith("{")


def test_audit_entry_hands_on_only_marked_documents(files):
    r = _entry(files, "audit", "notes.tex", "README.md", "right.md")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "notes.tex:11: ✗ refuted" in r.stdout and "README.md" not in r.stdout and "right.md" in r.stdout
    r = _entry(files, "audit", "README.md", "right.md")
    assert r.returncode == 0, r.stdout + r.stderr
    r = _entry(files, "audit", "--all", "README.md")          # --all: every file passed is audited
    assert r.returncode == 1 and "README.md:4: ✗ refuted" in r.stdout


def _git(*args, cwd):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.invalid", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=120)


def _snapshot(dest: Path) -> Path:
    """The working tree (tracked and untracked files, .gitignore respected) committed in a new repository."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True, timeout=60).stdout.split(b"\0")
    for name in filter(None, listed):
        src = ROOT / os.fsdecode(name)
        if src.is_file():
            (dest / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / os.fsdecode(name))
    _git("init", "-q", cwd=dest)
    _git("add", "-A", cwd=dest)
    _git("commit", "-q", "-m", "snapshot", cwd=dest)
    return dest


@pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None, reason="pre-commit is not installed")
@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs git and a git checkout of derivcheck")
def test_try_repo(files, tmp_path_factory):
    source = _snapshot(tmp_path_factory.mktemp("derivcheck-src"))
    (files / "wrong_derivation.py").unlink()
    _git("init", "-q", cwd=files)
    _git("add", "-A", cwd=files)
    env = dict(os.environ, PRE_COMMIT_COLOR="never", GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    r = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(source), "--all-files", "--verbose"], cwd=files,
                       env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out                                      # the audit fails, the check passes
    assert "derivcheck check" in out and "derivcheck audit" in out, out
    check = out[out.index("derivcheck check"):]
    assert check.split("\n")[0].rstrip().endswith("Passed"), out
    assert "hook.erratum" in check and "hook.double" in check, out   # --verbose: a passing hook's output
    audit = out[out.index("derivcheck audit"):]
    assert audit.split("\n")[0].rstrip().endswith("Failed"), out
    assert "notes.tex:11: ✗ refuted" in out and "right.md" in out
    assert "README.md" not in out                                       # not marked: not audited
    assert not (files / "IMPORTED").exists()                            # not a derivation file: never imported
