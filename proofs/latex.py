"""LaTeX and plain-text printing with settings pinned in one place (reports and JSON share them).

Printing is memoised: SymPy objects are immutable and hashable, and the same
statement or relation is printed several times per claim. Text is never parsed
back into expressions.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

SETTINGS = dict(order="lex", mul_symbol=None, fold_short_frac=False, long_frac_ratio=None,
                inv_trig_style="abbreviated", ln_notation=False, mat_delim="(", decimal_separator="period")


@lru_cache(maxsize=4096)
def _latex_cached(obj) -> str:
    try:
        return sp.latex(obj, **SETTINGS)
    except Exception:  # noqa: BLE001 - printing must never fail a check
        return str(obj)


@lru_cache(maxsize=4096)
def _text_cached(obj) -> str:
    if isinstance(obj, sp.Equality):
        return f"{sp.sstr(obj.lhs)} = {sp.sstr(obj.rhs)}"
    return sp.sstr(obj)


def to_latex(obj) -> str:
    if isinstance(obj, (tuple, list)):
        return r",\quad ".join(to_latex(o) for o in obj)
    if isinstance(obj, sp.Basic):
        return _latex_cached(obj)
    return str(obj)


def to_text(obj) -> str:
    if isinstance(obj, (tuple, list)):
        return "; ".join(to_text(o) for o in obj)
    if isinstance(obj, sp.Basic):
        return _text_cached(obj)
    return str(obj)
