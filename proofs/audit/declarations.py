r"""Declarations: what an author tells derivcheck about a document's notation and premises.

Written in the document as comments that do not render (``% derivcheck: assume 0 < \rho < 1`` in LaTeX,
``<!-- derivcheck: function \mathcal{L} -->`` in Markdown) or in a TOML sidecar; the syntax is the same:

============  =========================================  ==============================================
keyword       example                                    meaning
============  =========================================  ==============================================
assume        ``assume 0 < \rho < 1``                    a premise of every later line (bounds refine the
              ``assume N \ge 1, \alpha > 0``             symbol; SymPy assumptions follow from them)
integer       ``integer N, t``                           these symbols are integers
function      ``function \mathcal{L}, w_i``              ``f(x)`` is an application of ``f``
unknown       ``unknown \sigma^2``                       equations in it are read as equations to solve:
                                                         a line holds if the previous equation implies it
sequence      ``sequence x, \theta^``                    subscripts (``x_t``) or, with ``^``,
                                                         superscripts (``\theta^{t+1}``) are indices
labelled      ``labelled \Sigma, \hat{g}``               superscripts on these are labels, not powers
random        ``random x, y``                            independent random scalars (for ``E``, ``Var``)
given         ``given (33a) (33b)``, ``given eq:upd``    for the next display: the facts it may use (by
              ``given w_i(n) = w_i^* + c^n``             tag or label), or a premise written out
fact          ``fact y_i = (w_i^T x + b_i)/\|w_i\|``     a premise of later lines (in a sidecar's
                                                         ``[[display]]``: of that display), like a tagged
                                                         line; it does not restrict the facts in scope
reading       ``reading \frac{1}{B^{2}} as \frac{1}{B}`` replace the author's text before reading it
approx        ``approx as n \to \infty``                 what ``\approx`` means from here on: the sides differ
              ``approx up to O(\eta^2) as \eta \to 0``    by something tending to 0 / bounded times the order
constant      ``constant c independent of w_i``          a line with c holds if a c free of w_i makes
                                                         it hold ("+ c, a constant that does not depend
                                                         on w_i")
skip / check  ``skip``                                   do not check the next display / check its
                                                         defining first line too
============  =========================================  ==============================================

Invariant: a declaration is parsed by the same grammar as the document (never ``eval``); a declaration
that cannot be read is a one-line problem naming the file and line, and is otherwise ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .source import Declaration, Notation

KEYWORDS = ("assume", "integer", "function", "unknown", "sequence", "labelled", "random", "given", "reading",
            "skip", "check", "constant", "fact", "approx")
DISPLAY_KEYWORDS = ("given", "skip", "check")


class DeclarationError(Exception):
    """A declaration that cannot be read; the message is one line without the location."""


def split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at ``sep`` outside braces, brackets and parentheses; parts stripped, empty dropped."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _names(text: str) -> list[str]:
    from .parse import canonical_name
    out = []
    for part in split_top(text):
        try:
            out.append(canonical_name(part))
        except Exception as e:  # noqa: BLE001 - the parser's error becomes the declaration's problem
            raise DeclarationError(f"cannot read the name {part!r}: {e}") from None
    if not out:
        raise DeclarationError("names expected")
    return out


@dataclass
class Premises:
    """What declarations contribute to checking: assumption relations, unknown expressions, random names.

    ``assumptions`` are ``(op, lhs, rhs)`` triples as :func:`proofs.audit.parse.parse_relation` gives them.
    """

    assumptions: list = field(default_factory=list)
    assumption_text: list = field(default_factory=list)
    unknowns: list = field(default_factory=list)
    random: list = field(default_factory=list)
    integers: set = field(default_factory=set)
    constants: dict = field(default_factory=dict)        # name -> expressions it does not depend on
    facts: list = field(default_factory=list)            # declared facts: (text, [(op, lhs, rhs)...])
    approx: tuple | None = None                          # (text, variable, point, order or None): what \approx means


@dataclass
class DisplayOptions:
    """Display-scope declarations for one display."""

    skip: bool = False
    check_definitions: bool = False
    given_refs: list = field(default_factory=list)       # tags or labels, as written without parentheses
    given_relations: list = field(default_factory=list)  # (text, [(op, lhs, rhs)...]) written out
    restricted: bool = False                             # a `given` names the facts: only those are in scope
    readings: list = field(default_factory=list)         # (written, meant) for this display only
    approx: tuple | None = None                          # as Premises.approx, for this display only
    facts: list = field(default_factory=list)            # (text, [(op, lhs, rhs)...]): premises added, not restricting

    @property
    def strict(self) -> bool:
        """The first line of each chain is a claimed consequence (``check``, or facts named by ``given``)."""
        return self.check_definitions or self.restricted


class DeclarationState:
    """The declarations in force while a document is read, in order.

    :meth:`apply` takes one document-scope declaration; :meth:`for_display` takes the display-scope ones
    collected for the next display. ``notation`` is rebuilt after each document-scope declaration.
    """

    def __init__(self):
        self.functions: set = set()
        self.labelled: set = set()
        self.sub_indexed: set = set()
        self.sup_indexed: set = set()
        self.symbols: dict = {}
        self.readings: list = []
        self.premises = Premises()
        self.notation = Notation()

    def _rebuild(self) -> None:
        syms = tuple(sorted((n, tuple(sorted(a.items()))) for n, a in self.symbols.items()))
        self.notation = Notation(functions=frozenset(self.functions), labelled=frozenset(self.labelled),
                                 sub_indexed=frozenset(self.sub_indexed), sup_indexed=frozenset(self.sup_indexed),
                                 symbols=syms, readings=tuple(self.readings))

    def _assume_symbol(self, name: str, **assumptions) -> None:
        self.symbols.setdefault(name, {"real": True}).update(assumptions)

    def apply(self, decl: Declaration) -> None:
        """Apply one document-scope declaration; raises :class:`DeclarationError` with a one-line reason."""
        from .parse import parse_expression, parse_relation
        kw, text = decl.keyword, decl.text.strip()
        if kw == "function":
            self.functions.update(_names(text))
        elif kw == "labelled":
            self.labelled.update(_names(text))
        elif kw == "sequence":
            for part in split_top(text):
                sup = part.rstrip().endswith("^") or "^" in part
                base = part.split("^", 1)[0].strip() if sup else part
                (self.sup_indexed if sup else self.sub_indexed).update(_names(base))
        elif kw == "integer":
            for n in _names(text):
                self._assume_symbol(n, integer=True)
                self.premises.integers.add(n)
        elif kw == "constant":
            # "constant c independent of w_i": a line with c holds if some c not depending on w_i makes it hold
            if " independent of " in text:
                names, of = text.split(" independent of ", 1)
                try:
                    wrt = [parse_expression(v, self.notation) for v in split_top(of)]
                except Exception as e:  # noqa: BLE001
                    raise DeclarationError(f"cannot read {of!r}: {e}") from None
                for n in _names(names):
                    self.premises.constants[n] = wrt
            else:
                _names(text)      # an ordinary symbol, named for the reader
        elif kw == "random":
            words = text.split()
            if words and words[-1] == "independent":
                text = " ".join(words[:-1])
            self.premises.random.extend(_names(text))
        elif kw == "unknown":
            for part in split_top(text):
                try:
                    self.premises.unknowns.append(parse_expression(part, self.notation))
                except Exception as e:  # noqa: BLE001
                    raise DeclarationError(f"cannot read the unknown {part!r}: {e}") from None
        elif kw == "assume":
            for part in split_top(text):
                try:
                    rels = parse_relation(part, self.notation)
                except Exception as e:  # noqa: BLE001
                    raise DeclarationError(f"cannot read the assumption {part!r}: {e}") from None
                if not rels:
                    raise DeclarationError(f"the assumption {part!r} is not a relation")
                self.premises.assumptions.extend(rels)
                self.premises.assumption_text.append(part)
                for op, lhs, rhs in rels:
                    self._sign_from(op, lhs, rhs)
        elif kw == "reading":
            if " as " not in text:
                raise DeclarationError("reading needs the form 'reading WRITTEN as MEANT'")
            written, meant = text.split(" as ", 1)
            if not written.strip():
                raise DeclarationError("reading: the written text is empty")
            self.readings.append((written.strip(), meant.strip()))
        elif kw == "approx":
            self.premises.approx = approx_form(text, self.notation)
        elif kw == "fact":
            try:
                rels = parse_relation(text, self.notation)
            except Exception as e:  # noqa: BLE001
                raise DeclarationError(f"cannot read the fact {text!r}: {e}") from None
            self.premises.facts.append((text, rels))
        elif kw in DISPLAY_KEYWORDS:
            raise DeclarationError(f"{kw} applies to one display (internal: routed as document scope)")
        else:
            raise DeclarationError(f"unknown keyword {kw!r}; known: {', '.join(KEYWORDS)}")
        self._rebuild()

    def _sign_from(self, op: str, lhs, rhs) -> None:
        """A bound of a symbol against zero becomes a SymPy assumption of that symbol (``0 < \\rho``)."""
        for sym, other, o in ((rhs, lhs, op), (lhs, rhs, _flip(op))):
            if isinstance(sym, sp.Symbol) and other == 0:
                # 0 op sym
                if o == "<":
                    self._assume_symbol(sym.name, positive=True)
                elif o == "<=":
                    self._assume_symbol(sym.name, nonnegative=True)
                elif o == ">":
                    self._assume_symbol(sym.name, negative=True)
                elif o == ">=":
                    self._assume_symbol(sym.name, nonpositive=True)
                elif o == "!=":
                    self._assume_symbol(sym.name, nonzero=True)
            elif isinstance(sym, sp.Symbol) and other.is_number and other.is_positive and o in ("<", "<="):
                self._assume_symbol(sym.name, positive=True)

    def for_display(self, decls: list) -> DisplayOptions:
        from .parse import parse_relation
        opts = DisplayOptions()
        for decl in decls:
            kw, text = decl.keyword, decl.text.strip()
            if kw == "skip":
                opts.skip = True
            elif kw == "check":
                opts.check_definitions = True
            elif kw == "approx":
                opts.approx = approx_form(text, self.notation)
            elif kw == "fact":
                try:
                    opts.facts.append((text, parse_relation(text, self.notation)))
                except Exception as e:  # noqa: BLE001
                    raise DeclarationError(f"cannot read the fact {text!r}: {e}") from None
            elif kw == "reading":
                if " as " not in text or not text.split(" as ", 1)[0].strip():
                    raise DeclarationError("reading needs the form 'reading WRITTEN as MEANT'")
                written, meant = text.split(" as ", 1)
                opts.readings.append((written.strip(), meant.strip()))
            elif kw == "given":
                opts.restricted = True
                refs = _refs(text)
                if refs is not None:
                    opts.given_refs.extend(refs)
                    continue
                try:
                    rels = parse_relation(text, self.notation)
                except Exception as e:  # noqa: BLE001
                    raise DeclarationError(f"cannot read the given {text!r}: {e}") from None
                opts.given_relations.append((text, rels))
        return opts


def approx_form(text: str, notation) -> tuple:
    r"""``as n 	o \infty`` (the two sides differ by something that tends to 0) or ``up to O(\eta^2) as \eta 	o 0``
    (their difference divided by the order stays bounded): ``(text, variable, point, order or None)``."""
    import re

    from .parse import parse_expression
    m = re.fullmatch(r"\s*(?:up to\s+O\s*\((?P<order>.+)\)\s+)?as\s+(?P<var>.+?)\s*(?:\\to|\\rightarrow)\s*(?P<pt>.+?)\s*",
                     text)
    if not m:
        raise DeclarationError(r"approx needs 'as VAR \to POINT' or 'up to O(ORDER) as VAR \to POINT'")
    try:
        var = parse_expression(m.group("var"), notation)
        point = parse_expression(m.group("pt"), notation)
        order = parse_expression(m.group("order"), notation) if m.group("order") else None
    except Exception as e:  # noqa: BLE001
        raise DeclarationError(f"cannot read {text!r}: {e}") from None
    if not isinstance(var, sp.Symbol):
        raise DeclarationError(f"approx: {m.group('var')!r} is not a single variable")
    return text.strip(), var, point, order


def _refs(text: str) -> list[str] | None:
    """``(33a) (33b), eq:upd`` -> ``["33a", "33b", "eq:upd"]``; None when the text is a relation instead."""
    import re
    parts = [p for p in re.split(r"[\s,]+", text) if p]
    out = []
    for p in parts:
        m = re.fullmatch(r"\(([A-Za-z0-9.*'\-]+)\)|([A-Za-z][A-Za-z0-9_.:\-]*:[A-Za-z0-9_.:\-]+)", p)
        if not m:
            return None
        out.append(m.group(1) or m.group(2))
    return out or None


def _flip(op: str) -> str:
    return {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)


__all__ = ["DeclarationError", "DeclarationState", "DisplayOptions", "Premises", "KEYWORDS", "split_top"]
