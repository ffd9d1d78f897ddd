"""pytest plugin: ``pytest --derivcheck`` (work in progress; without ``--derivcheck`` it does nothing)."""
from __future__ import annotations


def pytest_addoption(parser):
    group = parser.getgroup("derivcheck")
    group.addoption("--derivcheck", action="store_true", default=False,
                    help="check derivation files' claims (and documents marked for auditing) as test items")
