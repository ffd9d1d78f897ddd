r"""Rows to chains, chains to the pairs to check.

A display is a list of rows; each parsed row is a list of ``(relation, expression)`` items. A row that
starts with a relation (``&= x``) *continues* the chain of the row before; any other row starts a new
chain. So ::

    \sigma^2 &= A \\          chain 1: sigma^2 = A
    0 &= B \\                 chain 2: 0 = B = C
      &= C \\
    \sigma^2 &= D             chain 3: sigma^2 = D

Each adjacent pair of a chain is checked with its own relation (never ``Eq(Eq(..))``); the first pair
of a chain that follows another chain may also be read as an equation implied by the previous one, when
the display has unknowns (:mod:`proofs.audit.check` decides).

Invariant: a row that could not be parsed breaks the chain: a continuation after it has no left side
and is reported "not checked", never paired with an expression from before the gap.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .source import Row, SourceRow


@dataclass
class Pair:
    """One checked relation ``left rel right``; ``start`` is the first expression of its chain and
    ``position`` the 1-based index of ``right`` in the chain (1: the chain's first pair)."""

    left: Any
    rel: str
    right: Any
    row: SourceRow
    start: Any
    position: int
    chain: int                   # 0-based index of the chain in the display
    left_row: SourceRow | None = None
    left_index: int = 0          # index of ``left`` among the items of ``left_row`` (and of ``right`` in ``row``)
    right_index: int = 0
    exact_start: bool = True     # every link from ``start`` to ``left`` is "=" (so start = left is an equation)


@dataclass
class Gap:
    """A row that gives nothing to check: unparsed, a continuation without a left side, or a lone
    expression. ``reason`` is one line."""

    row: SourceRow
    reason: str
    verdict: str = "not checked"


@dataclass
class Reading:
    pairs: list = field(default_factory=list)     # Pair and Gap, in row order
    chains: list = field(default_factory=list)    # each a list of (rel, expr, SourceRow, item index)

    def last_chain(self, rows) -> list | None:
        """The chain the next display may continue: the last one, if the last row was read."""
        if not rows or rows[-1][1] is None or not self.chains:
            return None
        return self.chains[-1]


def read_chains(rows: list[tuple[SourceRow, Row | None, str]], carry: list | None = None) -> Reading:
    """``rows``: ``(source row, parsed row or None, error text)``. Returns the pairs in order.

    ``carry``: the last chain of the display before, which a display starting with a relation
    (``$$= x$$``, common in slides) continues."""
    out = Reading()
    current: list | None = None
    if carry:
        current = list(carry)
        out.chains.append(current)
    for src, row, error in rows:
        if row is None:
            out.pairs.append(Gap(src, error, verdict="error"))
            current = None
            continue
        items = list(row.items)
        if row.continues:
            if current is None:
                out.pairs.append(Gap(src, "continues a row that was not read (no left side to compare with)"))
                continue
        else:
            current = []
            out.chains.append(current)
        for k, (rel, expr) in enumerate(items):
            if rel is None:
                current.append((None, expr, src, k))
                continue
            if not current:
                out.pairs.append(Gap(src, f"relation {rel} without a left side"))
                continue
            left_rel, left, left_src, left_k = current[-1]
            exact = all(c[0] in (None, "=") for c in current)
            current.append((rel, expr, src, k))
            out.pairs.append(Pair(left=left, rel=rel, right=expr, row=src, start=current[0][1],
                                  position=len(current) - 1, chain=len(out.chains) - 1, left_row=left_src,
                                  left_index=left_k, right_index=k, exact_start=exact))
        if len(current) == 1 and not row.continues:
            out.pairs.append(Gap(src, "an expression without a relation: nothing to check"))
    return out
