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
