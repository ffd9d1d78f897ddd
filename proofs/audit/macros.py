r"""The macro table of the audit parser: what each LaTeX command means to us.

Every command the parser accepts is in :data:`COMMANDS` (or is one of the text commands of
:data:`TEXT_COMMANDS`, which the lexer reads together with their ``{...}`` argument). A command that is
in neither table is an *unknown command*: the row is not read (``ParseError("unknown command \foo")``).
Nothing here is ever executed or expanded: ``\def``, ``\input``, ``\write``, ``\csname``, ``\catcode``
are simply not in the table.

:data:`COMMANDS` maps the command as written to ``(kind, canonical)``. ``kind`` is the token type the
grammar (``grammar.lark``) sees, or one of the *lexical* kinds the scanner in :mod:`.parse` consumes
before the grammar sees anything:

=============  ==============================================================================
kind           meaning
=============  ==============================================================================
``GREEK``      a letter; ``canonical`` is its name (``\alpha``); ``\ell`` too
``SYMCMD``     a constant: ``\infty``
``ACCENT``     ``\hat`` etc.; ``canonical`` is the accent used in names (``\widehat`` -> ``\hat``)
``FONT``       ``\mathcal`` etc.; ``canonical`` is the font used in names (``\bm`` -> ``\boldsymbol``)
``FRAC``       ``\frac \dfrac \tfrac``
``SQRT``       ``\sqrt``
``BIGOP``      ``\sum`` (``Sum``) and ``\prod`` (``Product``)
``LIM``        ``\lim``
``FUNC``       a named function; ``canonical`` is the SymPy function's name (``\ln`` -> ``log``)
``PARTIAL``    ``\partial``;  ``NABLA``: ``\nabla``
``PRIMECMD``   ``\prime``; ``STARCMD``: ``\star \ast``; ``TOPCMD``: ``\top \intercal`` (superscripts)
``TIMES``      ``\cdot \times``;  ``DIV``: ``\div``
``REL``        a relation; ``canonical`` is its name in :data:`proofs.audit.source.RELATIONS`, or
               ``sim`` / ``in`` (only meaningful in subscripts: ``E_{y \sim P}``, ``\sum_{i \in S}``)
``LANGLE``     ``\langle``; ``RANGLE``: ``\rangle``
``BAR``        ``\vert`` (an absolute-value bar, opening or closing as ``|`` is)
``BAR_OPEN``   ``\lvert``; ``BAR_CLOSE``: ``\rvert``
``NORM``       ``\| \Vert``; ``NORM_OPEN``: ``\lVert``; ``NORM_CLOSE``: ``\rVert``
``LPAR``       ``\{``; ``RPAR``: ``\}`` (grouping, as parentheses)
---------      ------------------------------------------------------------------------------
``SPACE``      spacing and style that means nothing to the maths: dropped
``QUAD``       ``\quad \qquad``: dropped, or the start of the row's remark (see :mod:`.parse`)
``REMARK``     ``\sim \forall``: at the top level of a row, the start of the remark
``SIZE``       ``\big \Big ...``: dropped (the delimiter after it counts); ``SIZE_L``/``SIZE_R`` force
               a following ``|`` to open/close
``LEFT``       ``\left``; ``RIGHT``: ``\right`` (paired; ``\left. ... \right|_{x=0}`` is an evaluation)
=============  ==============================================================================

:data:`UNSUPPORTED` maps commands we recognise but do not read to the one-line error message.
"""
from __future__ import annotations

GREEK_LOWER = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
               "xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega").split()
GREEK_UPPER = "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()

ACCENTS = {
    "\\hat": "\\hat", "\\widehat": "\\hat",
    "\\tilde": "\\tilde", "\\widetilde": "\\tilde",
    "\\bar": "\\bar", "\\overline": "\\bar",
    "\\dot": "\\dot", "\\ddot": "\\ddot",
    "\\vec": "\\vec",
}

FONTS = {
    "\\mathcal": "\\mathcal", "\\mathbf": "\\mathbf", "\\mathrm": "\\mathrm", "\\mathsf": "\\mathsf",
    "\\mathbb": "\\mathbb", "\\boldsymbol": "\\boldsymbol", "\\bm": "\\boldsymbol", "\\mathit": "\\mathit",
}

# Commands whose argument is a word rather than maths; the lexer reads ``\cmd{word}`` as one TEXT token
# (``\mathrm{Var}``, ``\text{ for all }``). With an argument that is not a plain word (``\mathrm{\Delta}``),
# ``\mathrm`` and ``\mathit`` fall back to being fonts.
TEXT_COMMANDS = ("text", "textrm", "textit", "textbf", "textsf", "mbox", "mathrm", "operatorname", "mathit")
PROSE_COMMANDS = ("text", "textrm", "textit", "textbf", "textsf", "mbox")   # prose: may start a remark

FUNCTIONS = {   # written -> SymPy function name (sympy.<name>)
    "\\exp": "exp", "\\log": "log", "\\ln": "log",
    "\\sin": "sin", "\\cos": "cos", "\\tan": "tan", "\\cot": "cot", "\\sec": "sec", "\\csc": "csc",
    "\\sinh": "sinh", "\\cosh": "cosh", "\\tanh": "tanh", "\\coth": "coth",
    "\\arcsin": "asin", "\\arccos": "acos", "\\arctan": "atan",
    "\\min": "Min", "\\max": "Max",
}

RELATION_COMMANDS = {
    "\\neq": "!=", "\\ne": "!=",
    "\\le": "<=", "\\leq": "<=", "\\leqslant": "<=",
    "\\ge": ">=", "\\geq": ">=", "\\geqslant": ">=",
    "\\approx": "approx", "\\simeq": "approx",
    "\\propto": "propto", "\\ll": "ll", "\\gg": "gg", "\\equiv": "equiv",
    "\\to": "to", "\\rightarrow": "to",
    "\\in": "in",
}
RELATION_CHARS = {"=": "=", "<": "<", ">": ">"}

SPACING = ("\\,", "\\;", "\\:", "\\!", "\\ ", "\\>", "\\thinspace", "\\medspace", "\\thickspace",
           "\\enspace", "\\negthinspace", "\\displaystyle", "\\textstyle", "\\limits", "\\nolimits")
QUADS = ("\\quad", "\\qquad")
SIZES = ("\\big", "\\Big", "\\bigg", "\\Bigg", "\\bigm", "\\Bigm")
SIZES_L = ("\\bigl", "\\Bigl", "\\biggl", "\\Biggl")
SIZES_R = ("\\bigr", "\\Bigr", "\\biggr", "\\Biggr")

COMMANDS: dict[str, tuple[str, str]] = {}
COMMANDS.update({"\\" + g: ("GREEK", "\\" + g) for g in GREEK_LOWER + GREEK_UPPER})
COMMANDS["\\ell"] = ("GREEK", "\\ell")
COMMANDS["\\infty"] = ("SYMCMD", "\\infty")
COMMANDS.update({k: ("ACCENT", v) for k, v in ACCENTS.items()})
COMMANDS.update({k: ("FONT", v) for k, v in FONTS.items()})
COMMANDS.update({k: ("FUNC", v) for k, v in FUNCTIONS.items()})
COMMANDS.update({k: ("REL", v) for k, v in RELATION_COMMANDS.items()})
COMMANDS.update({k: ("SPACE", "") for k in SPACING})
COMMANDS.update({k: ("QUAD", "") for k in QUADS})
COMMANDS.update({k: ("SIZE", "") for k in SIZES})
COMMANDS.update({k: ("SIZE_L", "") for k in SIZES_L})
COMMANDS.update({k: ("SIZE_R", "") for k in SIZES_R})
COMMANDS.update({
    "\\frac": ("FRAC", "\\frac"), "\\dfrac": ("FRAC", "\\frac"), "\\tfrac": ("FRAC", "\\frac"),
    "\\sqrt": ("SQRT", "\\sqrt"),
    "\\sum": ("BIGOP", "Sum"), "\\prod": ("BIGOP", "Product"),
    "\\lim": ("LIM", "\\lim"),
    "\\partial": ("PARTIAL", "\\partial"), "\\nabla": ("NABLA", "\\nabla"),
    "\\prime": ("PRIMECMD", "'"), "\\star": ("STARCMD", "*"), "\\ast": ("STARCMD", "*"),
    "\\top": ("TOPCMD", "\\top"), "\\intercal": ("TOPCMD", "\\top"),
    "\\cdot": ("TIMES", "\\cdot"), "\\times": ("TIMES", "\\times"), "\\div": ("DIV", "/"),
    "\\sim": ("REMARK", "sim"), "\\forall": ("REMARK", "forall"),
    "\\langle": ("LANGLE", "\\langle"), "\\rangle": ("RANGLE", "\\rangle"),
    "\\vert": ("BAR", "|"), "\\lvert": ("BAR_OPEN", "|"), "\\rvert": ("BAR_CLOSE", "|"),
    "\\|": ("NORM", "\\|"), "\\Vert": ("NORM", "\\|"), "\\lVert": ("NORM_OPEN", "\\|"),
    "\\rVert": ("NORM_CLOSE", "\\|"),
    "\\{": ("LPAR", "\\{"), "\\}": ("RPAR", "\\}"),
    "\\left": ("LEFT", ""), "\\right": ("RIGHT", ""),
})

UNSUPPORTED: dict[str, str] = {}
for _c in ("\\dots", "\\ldots", "\\cdots", "\\vdots", "\\ddots", "\\dotsc", "\\dotsb", "\\dotsm"):
    UNSUPPORTED[_c] = f"ellipsis {_c} is not supported"
for _c in ("\\begin", "\\end"):
    UNSUPPORTED[_c] = f"environment {_c}{{...}} inside a row is not supported"
for _c in ("\\leftarrow", "\\gets", "\\Leftarrow", "\\Rightarrow", "\\implies", "\\impliedby", "\\iff",
           "\\Leftrightarrow", "\\leftrightarrow", "\\mapsto", "\\longrightarrow", "\\Longrightarrow"):
    UNSUPPORTED[_c] = f"arrow {_c} is not supported"
for _c in ("\\int", "\\iint", "\\oint"):
    UNSUPPORTED[_c] = f"integral {_c} is not supported"
for _c in ("\\sup", "\\inf", "\\arg", "\\argmin", "\\argmax", "\\det", "\\dim", "\\ker", "\\gcd", "\\Pr",
           "\\deg", "\\hom", "\\lg", "\\liminf", "\\limsup", "\\exists", "\\nexists"):
    UNSUPPORTED[_c] = f"{_c} is not supported"
for _c in ("\\pm", "\\mp"):
    UNSUPPORTED[_c] = f"{_c} (two readings in one) is not supported"
for _c in ("\\subset", "\\subseteq", "\\supset", "\\supseteq", "\\notin", "\\cup", "\\cap", "\\setminus"):
    UNSUPPORTED[_c] = f"set operation {_c} is not supported"
UNSUPPORTED["\\\\"] = "row break \\\\ inside a row"
UNSUPPORTED["\\mid"] = "\\mid is not supported"
del _c

#: Delimiters that may follow ``\left`` / ``\right`` (as written, after the command) -> kind
LEFT_DELIMITERS = {"(": "(", "[": "[", "\\{": "\\{", "|": "bar", "\\vert": "bar", "\\lvert": "bar",
                   "\\|": "norm", "\\Vert": "norm", "\\lVert": "norm", "\\langle": "angle", ".": "dot"}
RIGHT_DELIMITERS = {")": "(", "]": "[", "\\}": "\\{", "|": "bar", "\\vert": "bar", "\\rvert": "bar",
                    "\\|": "norm", "\\Vert": "norm", "\\rVert": "norm", "\\rangle": "angle", ".": "dot"}


def lookup(command: str) -> tuple[str, str] | None:
    """``(kind, canonical)`` for a command as written, or None when it is not in the table."""
    return COMMANDS.get(command)


__all__ = ["COMMANDS", "UNSUPPORTED", "TEXT_COMMANDS", "PROSE_COMMANDS", "FUNCTIONS", "ACCENTS", "FONTS",
           "GREEK_LOWER", "GREEK_UPPER", "LEFT_DELIMITERS", "RIGHT_DELIMITERS", "lookup"]
