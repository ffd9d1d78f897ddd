"""The built-in catalog as a list of claims, for the regression tests (no CLI involved)."""
import importlib
import pkgutil

import derivations
from proofs.model import Claim


def catalog_claims() -> list[Claim]:
    out = []
    for info in sorted(pkgutil.iter_modules(derivations.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"derivations.{info.name}")
        for value in vars(mod).values():
            if isinstance(value, Claim) and value not in out:
                value.topic = value.topic or getattr(mod, "TOPIC", info.name)
                value.file = value.file or mod.__file__
                out.append(value)
    return sorted(out, key=lambda c: c.id)


VARIANTS_DIR = __import__("pathlib").Path(__file__).parent / "variants"


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
