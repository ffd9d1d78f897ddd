"""What an audit found: one :class:`PairResult` per checked pair of lines, grouped by document.

Verdicts per pair: ``proved``, ``refuted``, ``unproved``, ``not checked``, ``error``, ``timeout``
(the engine's, plus *not checked* for what was deliberately not checked: prose, ``\\approx`` without a
precise form, a line that defines a name, a skipped display).

Invariants: ``refuted`` always carries a counterexample point that satisfies every premise in scope;
``proved`` lists the facts it used (``using``) and the assumptions it rests on (``assuming``); the JSON
form (:meth:`AuditResult.to_dict`) is the single source every renderer reads.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

PAIR_VERDICTS = ("proved", "refuted", "unproved", "not checked", "error", "timeout")
FAILING = ("refuted", "error", "timeout")


@dataclass
class PairResult:
    file: str
    line: int                         # 1-based line of the pair's right-hand row in the file
    display_line: int                 # 1-based first line of the display
    verdict: str
    relation: str = ""                # "=", "<=", ... as read
    left: str = ""                    # the two sides re-rendered as text from the parsed form
    right: str = ""
    left_latex: str = ""
    right_latex: str = ""
    written: str = ""                 # the author's row as written (text, never TeX to compile)
    how: str = ""                     # "identity", "using (33a), (33b)", "implied by line 30", ...
    detail: str = ""
    residual: str = ""
    counterexample: dict | None = None
    using: list = field(default_factory=list)
    assuming: list = field(default_factory=list)
    cell: int | None = None
    tag: str | None = None
    seconds: float = 0.0
    index: int = 0                    # 1-based position of the pair in its document

    @property
    def where(self) -> str:
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.file}:{cell}{self.line}"


@dataclass
class AuditResult:
    file: str
    kind: str = ""
    pairs: list = field(default_factory=list)
    problems: list = field(default_factory=list)       # one-line problems (unreadable declarations, ...)
    displays: int = 0
    rows: int = 0
    rows_parsed: int = 0
    seconds: float = 0.0
    error: str = ""                                     # the document could not be read at all

    def counts(self) -> dict:
        out = {v: 0 for v in PAIR_VERDICTS}
        for p in self.pairs:
            out[p.verdict] = out.get(p.verdict, 0) + 1
        return out

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(p.verdict in FAILING for p in self.pairs)

    def first_failing(self) -> dict:
        """display line -> the first pair of that display that is refuted."""
        out = {}
        for p in self.pairs:
            if p.verdict == "refuted" and p.display_line not in out:
                out[p.display_line] = p
        return out

    def to_dict(self) -> dict:
        d = asdict(self)
        d["counts"] = self.counts()
        firsts = {id(p) for p in self.first_failing().values()}
        for pd, p in zip(d["pairs"], self.pairs):
            pd["first_failing"] = id(p) in firsts
        return d
