r"""The records shared by the audit modules: where text is, what was written, what it was read as.

Invariants: every record is immutable; line numbers are 1-based lines of the file as stored (for a
notebook, the line inside the cell, with the 1-based cell number in ``cell``); ``text`` fields hold the
author's characters unchanged (apart from the removal of ``\tag``/``\label`` and of the alignment ``&``
noted on each field).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Where:
    """A place in a document: ``file:line`` (``file:cell 3:line 2`` in a notebook), 1-based."""

    file: str
    line: int
    cell: int | None = None
    column: int | None = None      # 1-based column of the row's first character on that line, when known

    def __str__(self) -> str:
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.file}:{cell}{self.line}"


@dataclass(frozen=True)
class SourceRow:
    r"""One row of a display as written: the text between ``\\`` separators (or the whole display).

    ``text`` has ``\tag{..}`` and ``\label{..}`` removed (they are in ``tag`` and ``label``), and keeps
    the alignment ``&`` (the parser ignores it). A manual tag written as a trailing ``\quad (15)`` or
    ``\qquad (15)`` is also moved to ``tag``.
    """

    text: str
    where: Where
    tag: str | None = None          # "33a" for \tag{33a}
    label: str | None = None        # "eq:update" for \label{eq:update}


@dataclass(frozen=True)
class Display:
    r"""A display: ``$$..$$``, ``\[..\]``, or a LaTeX environment, split into rows.

    ``env`` is the outermost form ("$$", "\\[", "equation", "align*", ...); ``inner`` the environment
    inside it that makes rows (``split``, ``aligned``, ...) or ``None``. ``inline`` is True for ``$..$``
    maths (collected only when asked).
    """

    where: Where
    env: str
    rows: tuple[SourceRow, ...]
    inner: str | None = None
    inline: bool = False
    text: str = ""                  # the whole display as written, delimiters excluded


@dataclass(frozen=True)
class Heading:
    r"""A heading (``## Problem 2``, ``\section{...}``): it ends the section the definitions before it belong to."""

    where: Where
    level: int                      # 1 = "#" or \part/\chapter/\section, deeper is larger
    text: str = ""


@dataclass(frozen=True)
class Declaration:
    r"""One ``derivcheck:`` declaration: ``% derivcheck: assume 0 < \rho < 1``.

    ``keyword`` is the first word (``assume``, ``random``, ``function``, ``unknown``, ``given``, ``skip``,
    ``check``, ``reading``, ``sequence``, ``label``, ``constant``); ``text`` the rest, unparsed.
    ``scope`` is ``"document"`` (applies from here on), or ``"display"`` (applies to the next display
    only, and to the display at ``target`` for sidecar declarations). ``origin`` is where it was written
    (the document or the sidecar file).
    """

    keyword: str
    text: str
    where: Where
    scope: str = "document"
    target: Where | None = None


@dataclass(frozen=True)
class Notation:
    r"""What the parser must know to read a row as the author means it. Names are *canonical names*
    (see :func:`proofs.audit.parse.canonical_name`): ``\hat{\mu}``, ``\mathcal{L}``, ``w_{i}``, ``\Sigma``.

    * ``functions``: ``f(x)`` is an application of ``f`` only for these; otherwise a product.
    * ``labelled``: superscripts on these bases are part of the name (``\Sigma^B``), never powers.
    * ``sub_indexed``: subscripts on these bases are indices (``x_{t-1}`` is ``x[t - 1]``).
    * ``sup_indexed``: superscripts on these bases are indices (``\theta^{t+1}`` is ``\theta[t + 1]``).
    * ``symbols``: assumptions per canonical name (``{"N": {"integer": True, "positive": True}}``),
      applied when the symbol is created.
    * ``readings``: replacements of the author's text before parsing, ``(written, read as)``.
    """

    functions: frozenset = frozenset()
    labelled: frozenset = frozenset()
    sub_indexed: frozenset = frozenset()
    sup_indexed: frozenset = frozenset()
    symbols: tuple = ()             # ((name, ((assumption, value), ...)), ...): hashable
    readings: tuple = ()            # ((written, read_as), ...)

    def assumptions(self, name: str) -> dict:
        for n, items in self.symbols:
            if n == name:
                return dict(items)
        return {}


RELATIONS = ("=", "!=", "<", ">", "<=", ">=", "approx", "propto", "ll", "gg", "equiv", "to")


@dataclass(frozen=True)
class Row:
    """A parsed row: ``items`` are ``(relation, expression)`` in order; the first item's relation is
    ``None`` unless the row *continues* the previous row (it starts with a relation, as ``&= x`` does).
    ``remark`` is trailing text that is not maths to check (after ``\\quad``, ``\\text{..}``), verbatim.
    Relations are from :data:`RELATIONS`.
    """

    items: tuple[tuple[str | None, Any], ...]
    continues: bool = False
    remark: str = ""
    notes: tuple[str, ...] = field(default=())   # how something was read ("E_{i} read as E[...]")
