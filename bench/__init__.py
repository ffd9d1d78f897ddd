"""Benchmarks and measurement scripts (targets live here, not in the tests)."""
