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


def statement_truth(claim_verdict: Verdict, result_verdict: str | None = None,
                    refuted_at_conclusion: bool = False) -> str:
    """What the symbolic check established about the *statement*: ``holds``, ``fails`` or ``unknown``.

    A claim refuted at a middle step says nothing about its statement by itself: the statement holds
    when it was proved directly from the givens (``result_verdict`` proved), fails when the conclusion
    or the direct check was refuted, and is unknown otherwise.
    """
    if claim_verdict is Verdict.PROVED:
        return "holds"
    if claim_verdict is Verdict.REFUTED:
        if refuted_at_conclusion or result_verdict == Verdict.REFUTED.value:
            return "fails"
        if result_verdict == Verdict.PROVED.value:
            return "holds"
    return "unknown"


def witness_verdict(claim_verdict: Verdict, holds: bool | None, truth: str | None = None) -> WitnessVerdict:
    """Compare a witness observation with what the symbolic check established (see class doc).

    ``truth`` (from :func:`statement_truth`) refines a refuted claim: a witness that sees the statement
    hold agrees with "the result holds; step k is wrong" and with "step k is wrong; the result was not
    decided", and disagrees only where the statement itself was refuted (or ``truth`` is not given).
    """
    if holds is None:
        return WitnessVerdict.ERROR
    if claim_verdict is Verdict.REFUTED:
        # a witness that sees the claim fail confirms the erratum (in the statement or, for an erratum in a
        # middle step, in the step it ran); one that sees the statement hold contradicts only a refuted
        # statement, never "the result holds; step k is wrong" or an undecided result
        if not holds:
            return WitnessVerdict.AGREES
        return WitnessVerdict.DISAGREES if (truth or "fails") == "fails" else WitnessVerdict.AGREES
    return WitnessVerdict.AGREES if holds else WitnessVerdict.DISAGREES
