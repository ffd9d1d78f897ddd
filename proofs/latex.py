"""LaTeX printing with settings pinned in one place (reports and JSON share them)."""
from __future__ import annotations

import sympy as sp

SETTINGS = dict(order="lex", mul_symbol=None, fold_short_frac=False, long_frac_ratio=None,
                inv_trig_style="abbreviated", ln_notation=False, mat_delim="(", decimal_separator="period")


def to_latex(obj) -> str:
    if isinstance(obj, (tuple, list)):
        return r",\quad ".join(to_latex(o) for o in obj)
    try:
        return sp.latex(obj, **SETTINGS)
    except Exception:  # noqa: BLE001 - printing must never fail a check
        return sp.latex(sp.sympify(str(obj))) if isinstance(obj, str) else str(obj)


def to_text(obj) -> str:
    if isinstance(obj, (tuple, list)):
        return "; ".join(to_text(o) for o in obj)
    if isinstance(obj, sp.Equality):
        return f"{sp.sstr(obj.lhs)} = {sp.sstr(obj.rhs)}"
    return sp.sstr(obj)
