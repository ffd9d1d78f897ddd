"""Result records: what checking a claim produced. Plain data, JSON-ready.

These dicts are the single source of truth for every renderer (text, JSON,
JUnit, LaTeX): renderers are pure functions of them, so saved results can be
re-rendered without re-checking.

Invariant: ``to_dict`` output contains only str/int/float/bool/None/list/dict
and is deterministic for the same inputs (no timestamps, sorted keys on dump).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

SCHEMA = "derivcheck/1"


@dataclass
class Counterexample:
    """A point where a relation fails, with both sides evaluated exactly."""

    point: dict            # symbol name -> exact value (str)
    lhs: str
    rhs: str
    arithmetic: str = "exact rational"   # or "50-digit"
    relation: str = "!="                 # "!=" (lhs and rhs of an equation differ) or "violates" (an inequality)

    def describe(self) -> str:
        pt = ", ".join(f"{k}={v}" for k, v in self.point.items())
        return f"at {pt}: {self.lhs} {self.relation} {self.rhs}"


@dataclass
class ConditionResult:
    condition: str         # e.g. "2 - 1/N != 0"
    verdict: str           # proved / refuted / unproved
    detail: str = ""


@dataclass
class StepResult:
    index: int             # 1-based position in the derivation
    rule: str
    why: str
    relation: str          # the step's claimed relation, as text
    latex: str
    verdict: str
    detail: str
    stage: str = ""        # cascade stage that decided
    residual: str | None = None
    counterexample: Counterexample | None = None
    conditions: list = field(default_factory=list)
    premises: list = field(default_factory=list)   # labels of the facts it uses
    label: str = ""        # the source's label, e.g. "(29)"
    seconds: float = 0.0
    sides: list = field(default_factory=list)      # [[lhs, op, rhs], ...] in LaTeX, for aligned chains


@dataclass
class WitnessResult:
    kind: str
    name: str
    verdict: str           # agrees / disagrees / error (relative to the claim verdict)
    observed: str | None   # "holds" / "fails" / None (the witness's own observation)
    detail: str
    method: str = ""
    n: int | None = None   # sample size, number of steps, number of points
    estimate: str | None = None
    se: str | None = None
    predicted: str | None = None
    seconds: float = 0.0
    figures: list = field(default_factory=list)   # proofs.figure.Figure.to_dict() records


@dataclass
class ClaimResult:
    id: str
    title: str
    topic: str
    source: dict
    also: list
    statement: str
    statement_latex: str
    verdict: str
    expected: str
    message: str
    steps: list = field(default_factory=list)
    witnesses: list = field(default_factory=list)
    first_failing_step: int | None = None
    result_verdict: str | None = None   # the stated result checked directly from the givens
    counterexample: Counterexample | None = None
    corrects: str | None = None
    reading: str = ""
    loud: str = ""                      # non-empty when symbolic and numeric witnesses contradict
    givens: list = field(default_factory=list)   # premises stated by the source: {label, kind, relation, latex, why}
    assuming: list = field(default_factory=list)  # unchecked assumptions the verdict rests on ("relation (why)")
    notes: list = field(default_factory=list)
    file: str = ""
    seconds: float = 0.0
    cached: bool = False

    @property
    def as_expected(self) -> bool:
        return self.verdict == self.expected

    def to_dict(self) -> dict:
        d = asdict(self)
        d["as_expected"] = self.as_expected
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ClaimResult":
        d = dict(d)
        d.pop("as_expected", None)
        steps = []
        for s in d.get("steps", []):
            s = dict(s)
            if s.get("counterexample"):
                s["counterexample"] = Counterexample(**s["counterexample"])
            s["conditions"] = [ConditionResult(**c) for c in s.get("conditions", [])]
            steps.append(StepResult(**s))
        d["steps"] = steps
        d["witnesses"] = [WitnessResult(**w) for w in d.get("witnesses", [])]
        if d.get("counterexample"):
            d["counterexample"] = Counterexample(**d["counterexample"])
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


def error_result(*, id: str, title: str = "", source: dict | None = None, verdict: str = "error",
                 expected: str = "proved", message: str, file: str = "", topic: str = "",
                 seconds: float = 0.0) -> ClaimResult:
    """A result for a claim that could not be checked at all (load error, crash, timeout)."""
    return ClaimResult(id=id, title=title, topic=topic, source=source or {"file": file, "locator": ""},
                       also=[], statement="", statement_latex="", verdict=verdict, expected=expected,
                       message=message, file=file, seconds=seconds)
