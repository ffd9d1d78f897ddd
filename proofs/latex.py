"""LaTeX and plain-text printing with settings pinned in one place (reports and JSON share them).

Printing is memoised: SymPy objects are immutable and hashable, and the same
statement or relation is printed several times per claim. Text is never parsed
back into expressions.
"""
from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp

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


@lru_cache(maxsize=4096)
def _latex_cached(obj) -> str:
    try:
        names = {}
        for sym in obj.atoms(sp.Symbol):
            pretty = _pretty_latex(sym.name)
            if pretty:
                names[sym] = pretty
        return sp.latex(obj, **SETTINGS, **({"symbol_names": names} if names else {}))
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


@lru_cache(maxsize=4096)
def _text_cached(obj) -> str:
    if isinstance(obj, sp.Equality):
        return f"{sp.sstr(obj.lhs)} = {sp.sstr(obj.rhs)}"
    return sp.sstr(obj)


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
