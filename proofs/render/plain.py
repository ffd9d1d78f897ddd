r"""Maths written as ``$...$`` in a title, the source's words or a reading, for a terminal: Unicode text.

``$\mathcal{L}(\Phi^*) = \mathcal{L}(\eta) - 2\mathcal{L}(\eta/2)$`` reads ``L(Φ*) = L(η) − 2L(η/2)``. Only the
common commands are translated (Greek letters, accents, ``\frac``, ``\sqrt``, ``\mathbb{E}``, relations and
operators); any other command keeps its name without the backslash, braces are dropped, and ``^``/``_``
stay as written (``x_t``, ``\beta^t``). Text outside ``$...$`` is left as it is.

Invariant: a pure function of the text; the output never contains ``$`` pairs it translated, and nothing is
evaluated or parsed as maths (a span is only rewritten).

>>> plain(r"bias of $\hat{m}_t = \frac{m_t}{1 - \beta^t}$ in Adam")
'bias of m̂_t = (m_t)/(1 − β^t) in Adam'
"""
from __future__ import annotations

import re

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ",
    "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_SYMBOLS = {
    "cdot": "·", "times": "×", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠",
    "approx": "≈", "to": "→", "infty": "∞", "sum": "Σ", "prod": "Π", "partial": "∂", "nabla": "∇",
    "in": "∈", "ll": "≪", "gg": "≫", "propto": "∝", "pm": "±", "ldots": "…", "dots": "…", "cdots": "⋯",
    "langle": "⟨", "rangle": "⟩", "|": "‖", "lVert": "‖", "rVert": "‖", "Vert": "‖", "ell": "ℓ",
    "top": "ᵀ", "prime": "′", "sqrt": "√", "lim": "lim", "log": "log", "exp": "exp", "min": "min",
    "max": "max", "quad": "  ", "qquad": "   ", ",": " ", ";": " ", "!": "", " ": " ",
    "left": "", "right": "", "bigl": "", "bigr": "", "Bigl": "", "Bigr": "", "big": "", "Big": "",
}
_ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "dot": "\u0307"}
_FONTS = ("mathcal", "mathbb", "mathrm", "mathbf", "operatorname", "text", "mathit", "boldsymbol")
_SPAN = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")
_GROUP = r"\{([^{}]*)\}"


def _span(latex: str) -> str:
    s = latex
    for _ in range(4):                                    # nested groups, innermost first
        s = re.sub(r"\\[dt]?frac" + _GROUP + _GROUP, r"(\1)/(\2)", s)
        s = re.sub(r"\\sqrt" + _GROUP, r"√(\1)", s)
        s = re.sub(r"\\(" + "|".join(_ACCENTS) + r")" + _GROUP,
                   lambda m: _accent(_span(m.group(2)), _ACCENTS[m.group(1)]), s)
        s = re.sub(r"\\(?:" + "|".join(_FONTS) + r")" + _GROUP, r"\1", s)
    s = re.sub(r"\\([A-Za-z]+|[|,;! ])", lambda m: _GREEK.get(m.group(1), _SYMBOLS.get(m.group(1), m.group(1))), s)
    s = s.replace("{", "").replace("}", "").replace(" - ", " − ")
    return re.sub(r"\s+", " ", s).strip()


def _accent(text: str, mark: str) -> str:
    return text + mark if len(text) == 1 else text + "^" + {"\u0302": "", "\u0303": "~", "\u0304": "-",
                                                           "\u0307": "."}[mark]


def plain(text) -> str:
    """``text`` with each ``$...$`` span written as Unicode text (see the module doc)."""
    return _SPAN.sub(lambda m: _span(m.group(1)), str(text))
