"""A tiny LaTeX vocabulary for reports: escaping text, verifying printed maths, labels, fitting.

Data is never TeX: everything here takes text read from results (a JSON file may be hostile) and returns
LaTeX that can only typeset it.

Invariants
----------
* ``text(s)`` is safe in LaTeX text mode for any ``str``: every special character is escaped, every
  non-ASCII character is either mapped to a pdflatex-safe command or replaced by ``?`` (so U+FFFE, lone
  surrogates and other non-characters become ``?``), control characters and line breaks become spaces (no
  empty line, so no ``\\par`` inside a macro argument), and text longer than ``TEXT_LIMIT`` characters is
  cut with a visible note. No two ``^`` are ever adjacent in the output (TeX's ``^^5c`` notation).
* ``math(s)`` takes maths printed by :func:`proofs.latex.to_latex` (SymPy's LaTeX printer and the tool's own
  macros) and passes it on only if :func:`check_math` verifies it: a tokenizer and a small parser accept only
  whitelisted control sequences with the right arguments, balanced braces, matched ``\\left``/``\\right`` and
  ``\\begin``/``\\end`` of whitelisted environments, ``&`` and ``\\\\`` only inside those, no double scripts,
  no ``$ # % ^^ ~``, no non-ASCII, at most ``MATH_LIMIT`` characters and ``DEPTH_LIMIT`` nested groups.
  What passes is re-emitted token by token (white space folded to one space), so the TeX read is exactly
  what was verified. Anything else is shown as escaped typewriter text with a visible note, never as TeX.
  (``\\input``, ``\\pdfobj``, ``\\catcode``, ``\\csname``, ``\\def`` ... are not on the list, so a results
  file cannot read a file, loop or change how TeX reads.)
* Everything here is a pure function of its arguments: same input, same bytes.
"""
from __future__ import annotations

import hashlib
import re

from ..symbol_latex import GREEK as _GREEK_NAMES
from ..symbol_latex import name_latex

TEXT_LIMIT = 5000        # characters of one text field shown (the catalog's longest is under 2,000)
CODE_LIMIT = 500         # characters of an identifier, file name or value in typewriter type
MATH_LIMIT = 20000       # characters of one formula (the catalog's longest is about 5,200)
DEPTH_LIMIT = 40         # nested groups, \left...\right pairs and environments in one formula
SHOWN_LIMIT = 300        # characters of a formula that failed verification shown as text

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\^{}", "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}", '"': r"\textquotedbl{}", "[": "{[}", "]": "{]}",
}
# after these a line may break (long formulas written as text in the sources)
_BREAK_AFTER = set("=,;/+_")

_UNICODE = {
    "\u00a0": "~", "\u2013": "--", "\u2014": "---", "\u2018": "`", "\u2019": "'", "\u201c": "``", "\u201d": "''",
    "\u2026": r"\ldots{}", "\u00b7": r"\textperiodcentered{}", "\u00b0": r"\textdegree{}",
    "\u00d7": r"$\times$", "\u00b1": r"$\pm$", "\u2212": "-", "\u2248": r"$\approx$", "\u2260": r"$\neq$",
    "\u2264": r"$\leq$", "\u2265": r"$\geq$", "\u226a": r"$\ll$", "\u226b": r"$\gg$", "\u2192": r"$\to$",
    "\u2190": r"$\leftarrow$", "\u21d2": r"$\Rightarrow$", "\u221e": r"$\infty$", "\u2211": r"$\sum$",
    "\u220f": r"$\prod$", "\u221a": r"$\surd$", "\u2202": r"$\partial$", "\u2207": r"$\nabla$",
    "\u2208": r"$\in$", "\u222b": r"$\int$", "\u2032": "'",
}
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho varsigma "
          "sigma tau upsilon phi chi psi omega").split()
for _i, _name in enumerate(_GREEK):
    if _name not in ("omicron", "varsigma"):
        _UNICODE[chr(0x3B1 + _i)] = rf"$\{_name}$"
for _ch, _name in zip("\u0393\u0394\u0398\u039b\u039e\u03a0\u03a3\u03a6\u03a8\u03a9",
                      "Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split()):
    _UNICODE[_ch] = rf"$\{_name}$"


def _escape(ch: str) -> str:
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    if ord(ch) < 128:
        return ch if ch.isprintable() else " "       # control characters, tabs and line breaks: a space
    return _UNICODE.get(ch, "?")


def _cut(s, limit: int) -> tuple:
    """``(s, note)``: ``s`` as a ``str`` cut to ``limit`` characters, and the note saying how much was cut."""
    s = str(s)
    if len(s) <= limit:
        return s, ""
    return s[:limit], f" [... {len(s) - limit:,} more characters not shown]"


def text(s, limit: int = TEXT_LIMIT) -> str:
    """Escape ``s`` for LaTeX text mode (see the module invariants)."""
    s, note = _cut(s, limit)
    return "".join(_escape(ch) + (r"\allowbreak{}" if ch in _BREAK_AFTER else "") for ch in s) + note


def code(s, limit: int = CODE_LIMIT) -> str:
    """An identifier (claim id, file name) in typewriter type, breakable after ``.``, ``_``, ``/`` and ``-``."""
    s, note = _cut(s, limit)
    return (r"\texttt{" + "".join(_escape(ch) + (r"\allowbreak{}" if ch in "._/-" else "") for ch in s) + "}"
            + note)


# ------------------------------------------------------------------------------------------------
# maths: a verifier of the LaTeX the tool itself prints
# ------------------------------------------------------------------------------------------------
# control words that take no argument: symbols, operators, relations, arrows, dots, spacing, styles
_SYMBOLS = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu xi pi varpi
rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi
Psi Omega digamma varGamma varDelta varTheta varLambda varXi varPi varSigma varUpsilon varPhi varPsi varOmega
ell hbar hslash imath jmath aleph beth Re Im wp partial nabla infty emptyset varnothing prime backprime forall
exists nexists neg lnot top bot angle triangle Box checkmark
pm mp times div cdot ast star circ bullet cap cup wedge vee land lor oplus ominus otimes oslash odot setminus
sqcup sqcap uplus dagger ddagger amalg bmod
leq geq le ge neq ne equiv approx sim simeq cong propto ll gg subset supset subseteq supseteq in ni notin mid
nmid parallel perp models vdash dashv leqslant geqslant lesssim gtrsim prec succ preceq succeq asymp doteq
nleq ngeq not colon
to gets rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow mapsto longrightarrow
longleftarrow Longrightarrow Longleftarrow longmapsto implies iff uparrow downarrow updownarrow Uparrow
Downarrow nearrow searrow
langle rangle lfloor rfloor lceil rceil vert Vert lvert rvert lVert rVert lbrace rbrace lbrack rbrack backslash
ldots cdots vdots ddots dots dotsc dotsb
sum prod coprod int iint iiint oint bigcup bigcap bigoplus bigotimes bigvee bigwedge
lim limsup liminf sup inf max min arg det exp log ln lg sin cos tan cot sec csc arcsin arccos arctan sinh cosh
tanh coth gcd deg dim hom ker Pr
quad qquad displaystyle textstyle scriptstyle scriptscriptstyle
""".split())
_ONE_ARG = frozenset("""
hat bar tilde dot ddot vec check breve acute grave widehat widetilde overline underline mathring
mathbb mathrm mathbf mathcal mathit mathsf mathtt mathfrak boldsymbol operatorname sqrt text substack boxed pmod
""".split())
_TWO_ARGS = frozenset("frac dfrac tfrac binom dbinom tbinom overset underset stackrel".split())
# control words that may stand alone as an argument or script (``x_\\alpha``, ``\\frac\\pi2``): single math
# characters (\\mathchardef), never macros (``x_\\models`` or ``\\sqrt\\cdots`` do not compile)
_SINGLE = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa lambda mu nu xi pi varpi
rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi
Psi Omega digamma varGamma varDelta varTheta varLambda varXi varPi varSigma varUpsilon varPhi varPsi varOmega
ell imath jmath aleph beth Re Im wp partial nabla infty prime
""".split())
_DELIMITED = frozenset("left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm "
                       "Bigm".split())
# what may follow \left, \right, \middle, \big...
_DELIM_CHARS = frozenset("()[]./|<>")
_DELIM_SYMBOLS = frozenset("{}|")
_DELIM_WORDS = frozenset("langle rangle lfloor rfloor lceil rceil vert Vert lvert rvert lVert rVert lbrace rbrace "
                         "lbrack rbrack backslash uparrow downarrow updownarrow Uparrow Downarrow".split())
# environments: the most '&' a row may have (None: an array, counted from its column spec)
_ENVS = {"matrix": 9, "pmatrix": 9, "bmatrix": 9, "Bmatrix": 9, "vmatrix": 9, "Vmatrix": 9, "smallmatrix": 9,
         "cases": 1, "aligned": 19, "array": None}
_MATH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-=()[]<>,.;:!?/*|@\"")
_MATH_SYMBOLS = frozenset("{}|,;:! %#&_$")            # control symbols: \{ \} \| \, \; \: \! \<space> \% ...
_TEXT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?()[]/*+-=@'")
_TEXT_SYMBOLS = frozenset("{}_&%#$ ,")


class _Bad(Exception):
    """Maths that is not what the tool prints; ``str()`` says why, in a few words."""


def _tokens(s: str) -> list:
    """``[(kind, value)]``: ``cw`` (control word), ``cs`` (control symbol), ``sp`` (white space), ``ch``."""
    if "^^" in s:
        raise _Bad("'^^' is not allowed")
    out, i, n = [], 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            j = i + 1
            while j < n and ("a" <= s[j] <= "z" or "A" <= s[j] <= "Z"):
                j += 1
            if j > i + 1:
                out.append(("cw", s[i + 1:j]))
                i = j
                continue
            if j >= n:
                raise _Bad("a lone backslash at the end")
            out.append(("cs", s[j]))
            i = j + 1
            continue
        if ch in " \t\n\r":
            while i < n and s[i] in " \t\n\r":
                i += 1
            out.append(("sp", " "))
            continue
        if ch in "{}^_&'" or ch in _MATH_CHARS:
            out.append(("ch", ch))
            i += 1
            continue
        if ord(ch) >= 128:
            raise _Bad(f"the character U+{ord(ch):04X} is not allowed")
        raise _Bad(f"the character {ch!r} is not allowed" if ch.isprintable() else
                   f"the control character U+{ord(ch):04X} is not allowed")
    return out


class _Parser:
    """Recursive descent over the tokens; raises :class:`_Bad` at the first thing the tool never prints."""

    def __init__(self, toks: list):
        self.toks, self.i, self.depth = toks, 0, 0

    def _peek(self):
        while self.i < len(self.toks) and self.toks[self.i][0] == "sp":
            self.i += 1
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _next(self):
        tok = self._peek()
        if tok is None:
            raise _Bad("it ends too early")
        self.i += 1
        return tok

    def _enter(self):
        self.depth += 1
        if self.depth > DEPTH_LIMIT:
            raise _Bad(f"more than {DEPTH_LIMIT} nested groups")

    def run(self) -> None:
        first = self._peek()
        if first is not None and first[0] == "ch" and first[1] in "^_'":
            # the report puts formulas side by side (lhs op rhs): one starting with a script would attach it
            # to the end of the one before (a double superscript)
            raise _Bad("it starts with a superscript, subscript or prime")
        self.i = 0
        self._list("top")

    def _list(self, kind: str, amps: int | None = 0, env: str = "") -> None:
        """A list of maths up to its end: ``}`` (``group``, ``substack``), ``\\right`` (``left``),
        ``\\end{env}`` (``env``) or the end of input (``top``). ``amps``: '&' allowed per row."""
        self._enter()
        sup = sub = prime = False
        row_amps = 0
        while True:
            tok = self._peek()
            if tok is None:
                if kind != "top":
                    raise _Bad({"left": r"a \left without \right", "env": rf"\begin{{{env}}} without \end"}.get(
                        kind, "unbalanced braces"))
                break
            self.i += 1
            t, v = tok
            nucleus = True
            if t == "ch" and v == "}":
                if kind in ("group", "substack"):
                    break
                raise _Bad("unbalanced braces")
            if t == "ch" and v == "{":
                self._list("group")
            elif t == "ch" and v in "^_":
                if (v == "^" and sup and not prime) or (v == "_" and sub):
                    raise _Bad("a double superscript or subscript")
                self._arg(script=True)
                sup, sub, prime = sup or v == "^", sub or v == "_", False
                nucleus = False
            elif t == "ch" and v == "'":
                if sup and not prime:
                    raise _Bad("a prime after a superscript")
                sup = prime = True
                nucleus = False
            elif t == "ch" and v == "&":
                row_amps += 1
                if amps is None or kind not in ("env",) or row_amps > amps:
                    raise _Bad("'&' outside an alignment, or too many columns")
            elif t == "cs" and v == "\\":
                if kind not in ("env", "substack"):
                    raise _Bad(r"'\\' outside an alignment")
                after = self._peek()
                if after is not None and after[0] == "ch" and after[1] in "[*":
                    raise _Bad(r"'\\' followed by '[' or '*'")
                row_amps = 0
            elif t == "cs":
                if v not in _MATH_SYMBOLS:
                    raise _Bad(f"\\{v} is not allowed in maths")
            elif t == "cw":
                if v == "right":
                    if kind != "left":
                        raise _Bad(r"a \right without \left")
                    self._delimiter(v)
                    break
                if v == "end":
                    if kind != "env":
                        raise _Bad(r"an \end without \begin")
                    if self._env_name() != env:
                        raise _Bad(rf"\begin{{{env}}} ended by another \end")
                    break
                self._command(v, kind)
            elif t == "ch" and v not in _MATH_CHARS:  # pragma: no cover - _tokens lets nothing else through
                raise _Bad(f"the character {v!r} is not allowed")
            if nucleus:
                sup = sub = prime = False
        self.depth -= 1

    def _command(self, v: str, kind: str) -> None:
        if v in _SYMBOLS:
            return
        if v in _DELIMITED:
            if v == "middle" and kind != "left":
                raise _Bad(r"a \middle outside \left...\right")
            self._delimiter(v)
            if v == "left":
                self._list("left")
            return
        if v == "begin":
            name = self._env_name()
            if name not in _ENVS:
                raise _Bad(f"the environment {name!r} is not allowed")
            amps = _ENVS[name]
            if amps is None:
                amps = self._array_spec()
            self._list("env", amps, name)
            return
        if v in _TWO_ARGS:
            self._arg()
            self._arg()
            return
        if v in _ONE_ARG:
            if v == "sqrt":
                self._optional()
            if v == "text":
                self._text_arg()
            elif v == "substack":
                tok = self._next()
                if tok != ("ch", "{"):
                    raise _Bad(r"\substack without a braced argument")
                self._list("substack")
            else:
                self._arg()
            return
        raise _Bad(f"\\{v} is not allowed in maths")

    def _arg(self, script: bool = False) -> None:
        """One argument: a braced group, or a single character or symbol that takes no argument."""
        t, v = self._next()
        if t == "ch" and v == "{":
            self._list("group")
        elif (t == "ch" and v in _MATH_CHARS) or (t == "cw" and v in _SINGLE):
            return
        else:
            raise _Bad("a " + ("superscript or subscript" if script else "command") + " without its argument")

    def _optional(self) -> None:
        """``\\sqrt``'s ``[n]``: maths without ``]`` at its own level."""
        tok = self._peek()
        if tok != ("ch", "["):
            return
        self.i += 1
        start = self.i
        level = 0
        while True:
            t, v = self._next()
            if t == "ch" and v == "{":
                level += 1
            elif t == "ch" and v == "}":
                level -= 1
                if level < 0:
                    raise _Bad("unbalanced braces")
            elif t == "ch" and v == "]" and level == 0:
                break
        inner = _Parser(self.toks[start:self.i - 1])
        inner.depth = self.depth
        inner._list("top")

    def _text_arg(self) -> None:
        """``\\text``'s argument: plain characters and a few escaped ones, in braces."""
        t, v = self._next()
        if t == "ch" and v in _TEXT_CHARS and v != " ":
            return
        if (t, v) != ("ch", "{"):
            raise _Bad(r"\text without its argument")
        level = 0
        while True:
            t, v = self.toks[self.i] if self.i < len(self.toks) else (None, None)
            self.i += 1
            if t is None:
                raise _Bad("unbalanced braces")
            if t == "sp" or (t == "ch" and v in _TEXT_CHARS) or (t == "cs" and v in _TEXT_SYMBOLS):
                continue
            if t == "ch" and v == "{":
                level += 1
                if level > DEPTH_LIMIT:
                    raise _Bad(f"more than {DEPTH_LIMIT} nested groups")
            elif t == "ch" and v == "}":
                if level == 0:
                    return
                level -= 1
            else:
                raise _Bad(r"only plain characters are allowed in \text")

    def _delimiter(self, what: str) -> None:
        t, v = self._next()
        if not ((t == "ch" and v in _DELIM_CHARS) or (t == "cs" and v in _DELIM_SYMBOLS)
                or (t == "cw" and v in _DELIM_WORDS)):
            raise _Bad(f"\\{what} without a delimiter")

    def _env_name(self) -> str:
        if self._next() != ("ch", "{"):
            raise _Bad(r"\begin or \end without a braced name")
        name = ""
        while True:
            t, v = self.toks[self.i] if self.i < len(self.toks) else (None, None)
            self.i += 1
            if t == "ch" and v == "}":
                return name
            if t != "ch" or not v.isalpha() or len(name) > 20:
                raise _Bad("a malformed environment name")
            name += v

    def _array_spec(self) -> int:
        if self._next() != ("ch", "{"):
            raise _Bad("an array without its column spec")
        cols = 0
        while True:
            t, v = self._next()
            if t == "ch" and v == "}":
                break
            if t == "ch" and v in "lcr":
                cols += 1
            elif not (t == "ch" and v == "|"):
                raise _Bad("an array column spec other than l, c, r and |")
        if not 1 <= cols <= 20:
            raise _Bad("an array with no or too many columns")
        return cols - 1


def check_math(s) -> str | None:
    """None when ``s`` is maths the tool prints (see the module invariants), else why not, in a few words."""
    try:
        _verified(s)
    except _Bad as e:
        return str(e)
    return None


def _verified(s) -> str:
    if not isinstance(s, str):
        raise _Bad(f"not a string ({type(s).__name__})")
    if len(s) > MATH_LIMIT:
        raise _Bad(f"longer than {MATH_LIMIT:,} characters ({len(s):,})")
    toks = _tokens(s)
    _Parser(toks).run()
    while toks and toks[-1][0] == "sp":       # white space at the ends (never the space of a control space)
        toks.pop()
    while toks and toks[0][0] == "sp":
        toks.pop(0)
    out = []
    for k, (t, v) in enumerate(toks):
        if t == "cw":
            nxt = toks[k + 1] if k + 1 < len(toks) else None
            out.append("\\" + v + (" " if nxt is not None and nxt[0] == "ch" and nxt[1].isalpha() else ""))
        elif t == "cs":
            out.append("\\" + v)
        else:
            out.append(v)
    return "".join(out)


def unverified(s, why: str) -> str:
    """Maths that failed verification, for a maths context: escaped typewriter text and a visible note."""
    shown, note = _cut(s if isinstance(s, str) else repr(s), SHOWN_LIMIT)
    return (r"\text{\small\ttfamily " + "".join(_escape(ch) for ch in shown) + text(note) + r"\ \textrm{\textit{[not typeset: "
            + text(why, 200) + "]}}}")


def math(s) -> str:
    """Verified maths, re-emitted (see the module invariants); anything else as text; empty gives ``{}``."""
    if s is None or (isinstance(s, str) and not s.strip()):
        return "{}"
    try:
        out = _verified(s)
    except _Bad as e:
        return unverified(s, str(e))
    return out or "{}"


_INLINE_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")


def math_spans(s) -> list:
    """The ``$...$`` spans of a figure title or caption (matplotlib's mathtext, a subset of LaTeX maths)."""
    return [m.group(1) for m in _INLINE_MATH.finditer(str(s))]


def text_with_math(s, limit: int = TEXT_LIMIT) -> str:
    """Text in which ``$...$`` spans are maths (figure titles and captions): a span that passes
    :func:`check_math` is typeset as maths, any other as text; everything else goes through :func:`text`."""
    s, note = _cut(s, limit)
    out, pos = [], 0
    for m in _INLINE_MATH.finditer(s):
        span = m.group(1)
        why = check_math(span)
        out.append(text(s[pos:m.start()]) + (f"${math(span)}$" if why is None else
                                              r"\texttt{" + text(m.group(0), SHOWN_LIMIT) + "}"
                                              + r" \textit{[not typeset: " + text(why, 200) + "]}"))
        pos = m.end()
    return "".join(out) + text(s[pos:]) + note


def heading(s, limit: int = 300) -> str:
    """A section title: :func:`text_with_math`, with a plain-text form for the PDF's bookmarks
    (``\\texorpdfstring``: maths in a bookmark would be dropped with a warning)."""
    typeset = text_with_math(s, limit)
    if typeset == text(s, limit):
        return typeset
    plain = text(_INLINE_MATH.sub(lambda m: _bookmark(m.group(1)), str(s)), limit).replace(r"\allowbreak{}", "")
    return r"\texorpdfstring{" + typeset + "}{" + plain + "}"


_BOOKMARK_WORDS = {"sum": "sum", "prod": "prod", "leq": "<=", "le": "<=", "geq": ">=", "ge": ">=", "neq": "!=",
                   "infty": "inf", "to": "->", "cdot": "*", "times": "x", "approx": "~", "lim": "lim", "log": "log",
                   "exp": "exp", "min": "min", "max": "max", "partial": "d", "nabla": "grad", "sqrt": "sqrt",
                   "ll": "<<", "gg": ">>", "in": "in", "ell": "l"}


def _bookmark(latex: str) -> str:
    """Maths for a PDF bookmark (plain text): Greek letters by name, ``\\frac{a}{b}`` as a/b, other commands
    and braces dropped."""
    latex = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}",
                   lambda m: "/".join(p if p.isalnum() else f"({p})" for p in m.groups()), latex)
    latex = re.sub(r"\\([A-Za-z]+)", lambda m: m.group(1) if m.group(1) in _GREEK_NAMES else
                   f" {_BOOKMARK_WORDS[m.group(1)]} " if m.group(1) in _BOOKMARK_WORDS else " ", latex)
    latex = re.sub(r"\\[,;:! ]", " ", latex)                 # thin and other spaces
    latex = re.sub(r"(^|\s)[_^]", r"\1", latex.replace("{", "").replace("}", ""))   # a script of a dropped command
    return re.sub(r"\s+", " ", latex).strip()


def name(s) -> str:
    """A symbol's name as the reader knows it (``Sigma_DeltaPhi[1, 2]`` as $\\Sigma_{\\Delta\\Phi}[1,2]$,
    ``theta^{t+1}`` as $\\theta^{t+1}$, see :mod:`proofs.symbol_latex`); a name of another form, or one whose
    LaTeX does not verify, in typewriter type. Trailing words (`` (from the premises)``) stay text."""
    s = str(s)
    base, tail = (s.split(" ", 1)[0], " " + s.split(" ", 1)[1]) if " " in s and "[" not in s else (s, "")
    latex = name_latex(base) if len(s) <= CODE_LIMIT else None
    if latex is None or check_math(latex) is not None:
        return code(s)
    return f"${latex}$" + (text(tail) if tail else "")


_RATIONAL = re.compile(r"^(-?)(\d{1,200})/(\d{1,200})$")


def value(v) -> str:
    """An exact value as printed in a counterexample ("12/7", "-3", "sqrt(2)") as maths."""
    s = str(v).strip()
    m = _RATIONAL.match(s)
    if m:
        return rf"{m.group(1)}\tfrac{{{m.group(2)}}}{{{m.group(3)}}}"
    if len(s) <= 200 and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", s):
        return s
    return r"\text{" + text(s, CODE_LIMIT) + "}"


def label(kind: str, key: str) -> str:
    """A cross-reference label: only characters hyperref and LaTeX accept everywhere, at most about 120 of
    them; a key that had to be changed or cut also gets a digest of the whole key, so two keys that differ
    only in punctuation get two labels."""
    key = str(key)
    safe = re.sub(r"[^A-Za-z0-9.:-]", "-", key)
    if safe != key or len(safe) > 100:
        safe = safe[:100] + "-" + digest(key)
    return kind + ":" + safe


def digest(s, n: int = 10) -> str:
    """The first ``n`` hex digits of the SHA-256 of ``s`` (any ``str``, lone surrogates included)."""
    return hashlib.sha256(str(s).encode("utf-8", "surrogatepass")).hexdigest()[:n]
