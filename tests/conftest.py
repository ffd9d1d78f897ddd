"""Shared test helpers: run ``python cli.py`` in a subprocess with the cwd in a temp dir (so the cache goes there)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "cli.py"


@pytest.fixture
def run_cli(tmp_path):
    def run(*args, cwd=None, timeout=120, python_flags=()):
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env.pop("NO_COLOR", None)
        return subprocess.run([sys.executable, *python_flags, str(CLI), *map(str, args)], cwd=cwd or tmp_path,
                              env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return run
