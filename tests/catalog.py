"""The built-in catalog as a list of claims, for the regression tests (loaded as the CLI loads it)."""
from pathlib import Path

from proofs.loader import catalog_files, load
from proofs.model import Claim


def catalog_claims() -> list[Claim]:
    claims = [c for sf in catalog_files() for c in load(sf).claims]
    return sorted(claims, key=lambda c: c.id)


VARIANTS_DIR = Path(__file__).parent / "variants"


def variant_module(name: str):
    """Load ``tests/variants/<name>.py`` the way the CLI loads a user's file."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"variants_{name}", VARIANTS_DIR / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def variant_claims(name_or_module) -> dict:
    """The claims of a variants file (a user-style file of wrong variants), by id."""
    mod = variant_module(name_or_module) if isinstance(name_or_module, str) else name_or_module
    return {v.id: v for v in vars(mod).values() if isinstance(v, Claim)}


def assert_caught(result, step_index: int) -> None:
    """A wrong variant: refuted at the broken step with a counterexample, and every witness observed it fail."""
    assert result.verdict == "refuted", result.message
    assert result.first_failing_step == step_index, result.message
    assert result.counterexample is not None
    assert result.witnesses and all(w.observed == "fails" for w in result.witnesses), \
        [w.detail for w in result.witnesses]


def witness_context(c, name: str, seed: int = 0):
    """The context the engine gives witness ``name`` of claim ``c`` (the same seeded stream)."""
    from proofs.derivation import Derivation
    from proofs.witness import WitnessContext
    return WitnessContext(c, Derivation(c), seed=seed, name=name)


def assert_caught_at(result, label: str) -> None:
    """A wrong variant refuted at the step labelled ``label``, with a counterexample, and every witness
    observed it fail (so it agrees with the refutation)."""
    r = result
    assert r.verdict == "refuted", r.message
    assert r.steps[r.first_failing_step - 1].label == label, r.message
    assert r.counterexample is not None
    assert r.witnesses and all(w.observed == "fails" for w in r.witnesses), [w.detail for w in r.witnesses]
    assert all(w.verdict == "agrees" for w in r.witnesses)
