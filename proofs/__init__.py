"""derivcheck's checking engine and the authoring API for derivations.

Authors import from here::

    import sympy as sp
    from proofs import claim, Source, E, Var, Cov

Importing this package is cheap (no SymPy); ``E``, ``Var``, ``Cov`` and ``Eq``
(an equation kept as written) load SymPy on first use.
"""
from .model import Claim, Source, claim, witness_kind
from .verdicts import Verdict, WitnessVerdict

__all__ = ["Claim", "Source", "claim", "witness_kind", "Verdict", "WitnessVerdict", "E", "Var", "Cov", "Eq"]
__version__ = "0.1.0"


def __getattr__(name):
    if name == "Eq":
        from .derivation import Eq
        return Eq
    if name in ("E", "Var", "Cov"):
        from . import expectation
        return getattr(expectation, name)
    raise AttributeError(f"module 'proofs' has no attribute {name!r}")
