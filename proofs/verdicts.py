"""Verdicts: the closed vocabulary of outcomes.

Invariants
----------
* ``PROVED`` is only ever produced by an exact symbolic reduction.
* ``REFUTED`` is only ever produced with a counterexample confirmed in exact
  (rational) or 50-digit arithmetic.
* Numeric agreement alone yields ``UNPROVED``.
* ``NOT_CHECKABLE`` marks a statement with nothing to compute; it always
  carries a one-line reason.
"""
from __future__ import annotations

from enum import Enum


class Verdict(str, Enum):
    PROVED = "proved"
    REFUTED = "refuted"
    UNPROVED = "unproved"
    ERROR = "error"
    TIMEOUT = "timeout"
    NOT_CHECKABLE = "not checkable"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


class WitnessVerdict(str, Enum):
    """Whether a numeric witness agrees with the claim's symbolic verdict.

    A witness first *observes* whether the statement holds for the process it
    ran (``holds`` / ``fails``), without knowing the symbolic verdict. The
    engine then compares: for a proved claim the witness agrees when the
    statement holds; for a refuted claim it agrees when the statement fails
    (it confirms the erratum). For an unproved claim it agrees when it holds.
    A not-checkable claim may carry a witness too: it agrees when it observes the
    statement hold in the process it ran (evidence, never a verdict change).
    """

    AGREES = "agrees"
    DISAGREES = "disagrees"
    ERROR = "error"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


CLAIM_VERDICTS = tuple(v.value for v in Verdict)
WITNESS_VERDICTS = tuple(v.value for v in WitnessVerdict)


def combine_steps(verdicts: list[Verdict]) -> Verdict:
    """Verdict of a chain from its steps' verdicts, in order.

    The first refuted step decides (it is the *first failing step*); before
    that, errors and timeouts win over unproved; all proved gives proved.
    """
    for v in verdicts:
        if v in (Verdict.REFUTED, Verdict.ERROR, Verdict.TIMEOUT):
            return v
    if any(v is Verdict.UNPROVED for v in verdicts):
        return Verdict.UNPROVED
    return Verdict.PROVED


def witness_verdict(claim_verdict: Verdict, holds: bool | None) -> WitnessVerdict:
    """Compare a witness observation with the symbolic verdict (see class doc)."""
    if holds is None:
        return WitnessVerdict.ERROR
    if claim_verdict is Verdict.REFUTED:
        return WitnessVerdict.AGREES if not holds else WitnessVerdict.DISAGREES
    return WitnessVerdict.AGREES if holds else WitnessVerdict.DISAGREES
