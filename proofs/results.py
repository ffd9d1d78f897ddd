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
    rows: list = field(default_factory=list)      # compared quantities (proofs.witness.Observation.rows), all observations


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
        """``verdict == expected``; an ``error`` or ``timeout`` is never as expected (see proofs.outcome)."""
        return self.verdict == self.expected and self.verdict not in ("error", "timeout")

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


# ------------------------------------------------------------------------------------------------
# checking a record read back from JSON (``report --from``): data, so every type is checked
# ------------------------------------------------------------------------------------------------
class _Opt:
    """A schema: ``None`` or ``inner``."""

    def __init__(self, inner):
        self.inner = inner


class _List:
    """A schema: a list of ``inner``."""

    def __init__(self, inner):
        self.inner = inner


class _Map:
    """A schema: an object whose keys are strings and values ``inner``."""

    def __init__(self, inner):
        self.inner = inner


_STR, _INT, _NUM, _BOOL = (str,), (int,), (int, float), (bool,)
_SCALAR = (str, int, float, bool, type(None))
_SOURCE = {"file": _STR, "locator": _STR}
_COUNTEREXAMPLE = {"point": _Map(_SCALAR), "lhs": _SCALAR, "rhs": _SCALAR, "arithmetic": _STR, "relation": _STR}
_FIGURE = {"title": _STR, "caption": _STR, "xlabel": _STR, "ylabel": _STR, "xscale": _STR, "yscale": _STR,
           "equal_aspect": _BOOL,
           "series": _List({"label": _STR, "style": _STR, "x": _List(_NUM), "y": _List(_NUM)}),
           "marks": _List({"axis": _STR, "at": _NUM, "label": _STR})}
_STEP = {"index": _INT, "rule": _STR, "why": _STR, "relation": _STR, "latex": _STR, "verdict": _STR,
         "detail": _STR, "stage": _STR, "residual": _Opt(_STR), "counterexample": _Opt(_COUNTEREXAMPLE),
         "conditions": _List({"condition": _STR, "verdict": _STR, "detail": _STR}), "premises": _List(_STR),
         "label": _STR, "seconds": _NUM, "sides": _List(_List(_STR))}
_WITNESS = {"kind": _STR, "name": _STR, "verdict": _STR, "observed": _Opt(_STR), "detail": _STR, "method": _STR,
            "n": _Opt(_INT), "estimate": _SCALAR, "se": _SCALAR, "predicted": _SCALAR, "seconds": _NUM,
            "figures": _List(_FIGURE)}
_CLAIM = {"id": _STR, "title": _STR, "topic": _STR, "source": _SOURCE, "also": _List(_SOURCE), "statement": _STR,
          "statement_latex": _STR, "verdict": _STR, "expected": _STR, "message": _STR, "steps": _List(_STEP),
          "witnesses": _List(_WITNESS), "first_failing_step": _Opt(_INT), "result_verdict": _Opt(_STR),
          "counterexample": _Opt(_COUNTEREXAMPLE), "corrects": _Opt(_STR), "reading": _STR, "loud": _STR,
          "givens": _List({"label": _STR, "kind": _STR, "relation": _STR, "latex": _STR, "why": _STR}),
          "assuming": _List(_STR), "notes": _List(_STR), "file": _STR, "seconds": _NUM, "cached": _BOOL,
          "as_expected": _BOOL}
_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", type(None): "null"}


def _describe(schema) -> str:
    if isinstance(schema, dict):
        return "an object"
    if isinstance(schema, (_List, _Map)):
        return "a list" if isinstance(schema, _List) else "an object"
    if isinstance(schema, _Opt):
        return _describe(schema.inner) + " or null"
    if schema == _NUM:
        return "a number"
    return " or ".join(dict.fromkeys(_NAMES[t] for t in schema))


def _problem(value, schema, where: str) -> str | None:
    """The first place where ``value`` does not fit ``schema``, as ``where: expected ..., got ...``."""
    if isinstance(schema, _Opt):
        return None if value is None else _problem(value, schema.inner, where)
    if isinstance(schema, tuple):
        ok = isinstance(value, schema) and not (isinstance(value, bool) and bool not in schema)
        return None if ok else f"{where}: expected {_describe(schema)}, got {_json_type(value)}"
    if isinstance(schema, _List):
        if not isinstance(value, list):
            return f"{where}: expected a list, got {_json_type(value)}"
        for i, item in enumerate(value):
            p = _problem(item, schema.inner, f"{where}[{i}]")
            if p:
                return p
        return None
    if not isinstance(value, dict):
        return f"{where}: expected an object, got {_json_type(value)}"
    if isinstance(schema, _Map):
        for k, v in value.items():
            p = _problem(v, schema.inner, f"{where}.{k}")
            if p:
                return p
        return None
    for key, sub in schema.items():
        if key in value:
            p = _problem(value[key], sub, f"{where}.{key}" if where else key)
            if p:
                return p
    return None


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true or false", int: "an integer",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def record_problem(record) -> str | None:
    """None when ``record`` (one claim read back from a results file) has the shape and types
    ``ClaimResult.to_dict()`` gives (missing keys are allowed, except ``id``; unknown keys are ignored), else
    the first problem, e.g. ``steps[2].sides[0]: expected a list, got a string``. A ``sides`` entry must be
    ``[lhs, op, rhs]``; ``verdict`` and ``expected`` must be verdicts."""
    from .verdicts import CLAIM_VERDICTS
    if not isinstance(record, dict):
        return f"expected an object, got {_json_type(record)}"
    if not isinstance(record.get("id"), str) or not record["id"]:
        return "no id (a non-empty string)"
    p = _problem(record, _CLAIM, "")
    if p:
        return p
    for key in ("verdict", "expected"):
        if key in record and record[key] not in CLAIM_VERDICTS:
            return f"{key}: {record[key][:40]!r} is not a verdict ({', '.join(CLAIM_VERDICTS)})"
    for i, st in enumerate(record.get("steps") or []):
        for j, side in enumerate(st.get("sides") or []):
            if len(side) != 3:
                return f"steps[{i}].sides[{j}]: expected [lhs, op, rhs], got {len(side)} strings"
    return None
