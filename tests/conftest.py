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


# Hypothesis profiles (tests/test_soundness_properties.py): "ci" is the default, derandomised so every run draws
# the same examples; HYPOTHESIS_PROFILE=local runs a longer, randomised search (print_blob: a failure can be
# replayed with @reproduce_failure). Neither writes an example database into the checkout.
from hypothesis import HealthCheck, Phase, settings  # noqa: E402

_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)   # no "explain": slow here
settings.register_profile("ci", derandomize=True, max_examples=15, deadline=None, database=None, phases=_PHASES,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("local", max_examples=200, deadline=None, database=None, print_blob=True, phases=_PHASES,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
