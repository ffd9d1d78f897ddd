"""LaTeX and plain-text printing with settings pinned in one place (reports and JSON share them).

Printing is memoised: SymPy objects are immutable and hashable, and the same
statement or relation is printed several times per claim. Text is never parsed
back into expressions.
"""
from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from .symbol_latex import entry, name_latex, register

SETTINGS = dict(order="lex", mul_symbol=None, fold_short_frac=False, long_frac_ratio=None,
                inv_trig_style="abbreviated", ln_notation=False, mat_delim="(", decimal_separator="period")


_MODIFIERS = {"~": "tilde", "'": "prime", "\x01": "hat"}
_HAT = re.compile(r"\^(?=_|$)")          # "m^_t", "m^": a hat, not an empty superscript


def _balanced(latex: str) -> bool:
    depth = 0
    for ch in latex:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _well_formed(latex: str) -> bool:
    return _balanced(latex) and not any(ord(c) < 32 for c in latex) and not re.search(r"\^_|_\^|\^\{\}|_\{\}|[\^_]$", latex)


@lru_cache(maxsize=None)
def _pretty_latex(name: str) -> str | None:
    """LaTeX for a symbol name SymPy prints badly, else None.

    ``mu~_t`` -> ``\\tilde{\\mu}_{t}``, ``alpha'`` -> ``{\\alpha}'``, ``m^_t`` -> ``\\hat{m}_{t}`` (SymPy's own
    modifier suffixes); a name that still prints malformed becomes ``\\text{...}`` of the name itself.
    """
    marked = _HAT.sub("\x01", name)
    cut = min([i for i in (marked.find("_"), marked.find("^")) if i > 0] or [len(marked)])
    base, rest, mods = marked[:cut], marked[cut:], ""
    while base and base[-1] in _MODIFIERS:
        base, mods = base[:-1], base[-1] + mods
    if mods and base:
        pretty = base + "".join(_MODIFIERS[m] for m in mods)
        out = sp.latex(sp.Symbol(pretty)) + rest if "{" in rest else sp.latex(sp.Symbol(pretty + rest))
    else:
        out = sp.latex(sp.Symbol(name))
        if _well_formed(out):
            return None
    if _well_formed(out):
        return out
    safe = "".join("\\" + ch + ("{}" if ch in "^~" else "") if ch in "_^~%#&{}$" else ch for ch in name)
    return r"\text{" + safe + "}"


def _written_order(terms: list) -> list:
    """Terms of a sum in the order people write them: the printer's order, except that a sum does not open
    with a negative term when it has a positive one (``1 - \\beta^t``, not ``-\\beta^t + 1``)."""
    if len(terms) > 1 and terms[0].could_extract_minus_sign():
        first = next((k for k, t in enumerate(terms) if not t.could_extract_minus_sign()), None)
        if first is not None:
            return [terms[first]] + terms[:first] + terms[first + 1:]
    return terms


class _LatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the names read as their authors wrote them (:mod:`proofs.symbol_latex`),
    an entry of a subscripted name in brackets (``\\Sigma_{\\Delta\\Phi}[k,l]``, never a double subscript)
    and sums in written order."""

    def _print_Symbol(self, expr, style="plain"):
        name = name_latex(expr.name)
        if name is not None:
            return name
        return _pretty_latex(expr.name) or super()._print_Symbol(expr, style)

    def _print_Indexed(self, expr):
        return entry(self._print(expr.base.label), ",".join(self._print(i) for i in expr.indices))

    def _as_ordered_terms(self, expr, order=None):
        return _written_order(list(super()._as_ordered_terms(expr, order=order)))


class _StrPrinter(StrPrinter):
    def _as_ordered_terms(self, expr, order=None):
        return _written_order(list(super()._as_ordered_terms(expr, order=order)))


_LATEX = {k: v for k, v in SETTINGS.items()}


@lru_cache(maxsize=4096)
def _latex_cached(obj) -> str:
    try:
        return _LatexPrinter(_LATEX).doprint(obj)
    except Exception:  # noqa: BLE001 - printing must never fail a check: the plain text, as LaTeX text
        return r"\text{" + "".join(_TEXT_ESCAPES.get(ch, ch) for ch in sp.sstr(obj)) + "}"


_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}", "%": r"\%",
                 "#": r"\#", "&": r"\&", "$": r"\$", "~": r"\textasciitilde{}"}


_RELOPS = {sp.Eq: "=", sp.Ne: r"\neq", sp.Lt: "<", sp.Le: r"\leq", sp.Gt: ">", sp.Ge: r"\geq"}


def to_sides(obj) -> list:
    """``[[lhs, op, rhs], ...]`` in LaTeX for a relation or a tuple of them (for aligned chains);
    a non-relation is ``["", "", latex]``."""
    if isinstance(obj, (tuple, list)):
        return [side for o in obj for side in to_sides(o)]
    op = _relop(obj)
    if op is not None:
        return [[to_latex(obj.lhs), op, to_latex(obj.rhs)]]
    return [["", "", to_latex(obj)]]


def _relop(obj) -> str | None:
    for cls, op in _RELOPS.items():
        if isinstance(obj, cls):
            return op
    return None


def _sstr(obj) -> str:
    return _StrPrinter({"order": SETTINGS["order"]}).doprint(obj)


@lru_cache(maxsize=4096)
def _text_cached(obj) -> str:
    if isinstance(obj, sp.Equality):
        return f"{_sstr(obj.lhs)} = {_sstr(obj.rhs)}"
    return _sstr(obj)


def register_name(name: str, latex: str) -> None:
    """Print the symbol called ``name`` as ``latex`` (``d.symbol(name, latex=...)``); the report still verifies
    it like any printed maths."""
    register(name, latex)
    _latex_cached.cache_clear()


def to_latex(obj) -> str:
    if isinstance(obj, (tuple, list)):
        return r",\quad ".join(to_latex(o) for o in obj)
    if isinstance(obj, sp.Basic):
        op = _relop(obj)
        if op is not None:       # exactly SymPy's "lhs op rhs", from the (cached) sides
            return f"{to_latex(obj.lhs)} {op} {to_latex(obj.rhs)}"
        return _latex_cached(obj)
    return str(obj)


def to_text(obj) -> str:
    if isinstance(obj, (tuple, list)):
        return "; ".join(to_text(o) for o in obj)
    if isinstance(obj, sp.Basic):
        return _text_cached(obj)
    return str(obj)
