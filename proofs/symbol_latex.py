r"""How a symbol's *name* is written in LaTeX: ``Sigma_DeltaPhi`` is :math:`\Sigma_{\Delta\Phi}`.

Derivations name symbols in ASCII (``theta^{t+1}``, ``mu~_t``, ``w_1^(74)``, ``sigma^2_mu_inf``); SymPy's
printer translates a Greek name only when it is the whole name or the part before one ``_``/``^``, so
``theta^{t+1}`` comes out as the letters t-h-e-t-a and ``Sigma_DeltaPhi`` as Σ with the subscript
"DeltaPhi". :func:`name_latex` reads a name the way its author wrote it:

* a word is a Greek letter (``eta``, ``Delta``), a run of Greek letters and single capitals
  (``DeltaPhi`` -> ``\Delta\Phi``, ``DeltaW`` -> ``\Delta W``), a letter with an accent suffix
  (``ghat`` -> ``\hat{g}``, ``xbar`` -> ``\bar{x}``), ``inf``/``oo`` (``\infty``), a single letter, or
  a longer word set upright (``n_stop`` -> ``n_{\mathrm{stop}}``);
* after the base: ``'`` primes, ``*`` (a superscript star), ``~`` and a bare ``^`` (SymPy's tilde and
  hat suffixes: ``mu~_t``, ``m^_t``), then subscripts and superscripts, each a word, digits, ``{...}``
  (read recursively) or ``(...)`` (kept in parentheses: ``w_1^(74)`` -> ``w_{1}^{(74)}``); successive
  subscripts are one list (``sigma^2_mu_inf`` -> ``\sigma^{2}_{\mu,\infty}``).

A name made of such names and plain punctuation (``L(Phi*)``, ``dL/deta(0)``, ``<g_1>/<g_1^2>``,
``E_i||g_i||^2``) is read part by part; anything else (``W.grad2_A``) gives None, and the caller keeps
SymPy's own printing or sets the name as text. An author can give any name its LaTeX explicitly
(``d.symbol("Sigma_DeltaPhi", latex=r"\Sigma_{\Delta\Phi}")``); :func:`register` records it.

Invariants: a pure function of the name (plus what :func:`register` recorded); the output uses only
Greek-letter commands, ``\hat \bar \tilde \dot \mathrm \infty \ell \sum ...``, braces, ``_`` and ``^``, with one
subscript and one superscript at most per base, so it passes the report's verifier.

>>> name_latex("Sigma_DeltaPhi")
'\\Sigma_{\\Delta\\Phi}'
>>> name_latex("theta^{t+1}")
'\\theta^{t+1}'
>>> name_latex("w_1^(74)")
'w_{1}^{(74)}'
>>> name_latex("L(Phi*)")
'L(\\Phi^{*})'
>>> name_latex("W.grad2_A") is None
True
"""
from __future__ import annotations

import re
from functools import lru_cache

GREEK = frozenset("""alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi
rho varrho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi
Omega""".split())
ACCENTS = {"hat": r"\hat", "bar": r"\bar", "tilde": r"\tilde", "dot": r"\dot"}
_SUFFIX_ACCENT = {"~": r"\tilde", "^": r"\hat"}
_INFINITY = frozenset({"inf", "oo", "infty"})
_WORDS = {"ell": r"\ell", "sum": r"\sum", "prod": r"\prod", "exp": r"\exp", "log": r"\log", "min": r"\min",
          "max": r"\max", "lim": r"\lim", "Var": r"\operatorname{Var}", "Cov": r"\operatorname{Cov}"}

_EXPLICIT: dict = {}          # name -> LaTeX an author gave with d.symbol(..., latex=...)


def register(name: str, latex: str) -> None:
    """Print the symbol ``name`` as ``latex`` from now on (in this process; results carry the printed form)."""
    _EXPLICIT[str(name)] = str(latex)
    name_latex.cache_clear()


def explicit(name: str) -> str | None:
    return _EXPLICIT.get(name)


class _NotAName(Exception):
    pass


_WORD = re.compile(r"[A-Za-z]+")
_CHUNK = re.compile(r"[A-Z][a-z]*|[a-z]+")


def _word(w: str) -> str:
    """One word of a name as LaTeX."""
    if w in GREEK:
        return "\\" + w
    if w in _INFINITY:
        return r"\infty"
    if w in _WORDS:
        return _WORDS[w]
    if len(w) == 1:
        return w
    for suffix, cmd in ACCENTS.items():
        base = w[: -len(suffix)]
        if w.endswith(suffix) and base and (len(base) == 1 or base in GREEK):
            return f"{cmd}{{{_word(base)}}}"
    chunks = _CHUNK.findall(w)
    if "".join(chunks) == w and any(c in GREEK for c in chunks) and all(c in GREEK or len(c) == 1 for c in chunks):
        out = ""
        for c in chunks:                       # DeltaPhi -> \Delta\Phi, DeltaW -> \Delta W
            out += ("\\" + c) if c in GREEK else ((" " if out.startswith("\\") or out else "") + c)
        return out
    return r"\mathrm{" + w + "}"


def _group(s: str, i: int, open_: str, close: str) -> tuple[str, int]:
    """The text between ``s[i] == open_`` and its matching ``close``, and the index after it."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == open_:
            depth += 1
        elif s[j] == close:
            depth -= 1
            if depth == 0:
                return s[i + 1:j], j + 1
    raise _NotAName(s)


def _inner(s: str) -> str:
    """The contents of ``{...}`` in a name: words translated, numbers and ``+ - , = *`` kept."""
    out, i = [], 0
    while i < len(s):
        ch = s[i]
        m = _WORD.match(s, i)
        if m:
            w = m.group(0)
            out.append(_word(w) + (" " if w in GREEK and m.end() < len(s) and s[m.end()].isalpha() else ""))
            i = m.end()
        elif s.startswith((">=", "<="), i):
            out.append(r"\geq " if s[i] == ">" else r"\leq ")
            i += 2
        elif ch.isdigit() or ch in "+-,=() ":
            out.append(ch)
            i += 1
        elif ch == "*":
            out.append("*")
            i += 1
        elif ch in "_^" and i + 1 < len(s):
            script, i = _script(s, i + 1)
            out.append(ch + "{" + script + "}")
        else:
            raise _NotAName(s)
    return "".join(out)


def _script(s: str, i: int) -> tuple[str, int]:
    """A subscript or superscript starting at ``s[i]``: ``{...}``, ``(...)``, a word or digits."""
    if i >= len(s):
        raise _NotAName(s)
    if s[i] == "{":
        body, j = _group(s, i, "{", "}")
        return _inner(body), j
    if s[i] == "(":
        body, j = _group(s, i, "(", ")")
        return "(" + _inner(body) + ")", j
    m = _SCRIPT_TOKEN.match(s, i)
    if not m:
        raise _NotAName(s)
    word, digits, other = m.groups()
    if other:
        return other, m.end()
    return (_word(word) + (" " if word in GREEK and digits else "") if word else "") + (digits or ""), m.end()


_SCRIPT_TOKEN = re.compile(r"(?=[A-Za-z0-9])([A-Za-z]+)?(\d+)?|([+-])")


def index_latex(indices: str) -> str | None:
    """The indices of an entry (``"k, l"``, ``"t + 1"``, ``"1, 2"``) as LaTeX, or None."""
    try:
        return _inner(indices.replace(" ", ""))
    except _NotAName:
        return None


_ENTRY = re.compile(r"^([^\[\]]+)\[([^\[\]]*)\]$")


@lru_cache(maxsize=None)
def name_latex(name: str) -> str | None:
    """The LaTeX of the symbol name ``name`` (see the module doc), or None when it is not a name of that form.
    An entry ``base[i, j]`` (a witness's measured ``Sigma_DeltaPhi[1,2]``) is the base's LaTeX with the
    indices as a subscript, or in brackets when the base already has one (``\\Sigma_{\\Delta\\Phi}[1,2]``)."""
    if name in _EXPLICIT:
        return _EXPLICIT[name]
    m = _ENTRY.match(name)
    try:
        if m:
            base, idx = name_latex(m.group(1).strip()), index_latex(m.group(2))
            if base is None or idx is None:
                return None
            return entry(base, idx)
        return _name(name)
    except _NotAName:
        pass
    try:
        return _phrase(name)
    except _NotAName:
        return None


# a name inside a longer name ("Delta w_1", "L(Phi*)", "E_i||g_i||^2", "dL/deta(0)"): a word with its suffixes
_NAME_CHUNK = re.compile(r"[A-Za-z]+(?:['*~]|\^(?=[_'\s()|/,<>=+-]|$)|_(?:\{[^{}]*\}|[A-Za-z0-9]+|[+-])"
                         r"|\^(?:\{[^{}]*\}|\([^()]*\)|[A-Za-z0-9]+))*")
_SEPARATORS = {" ": r"\,", "(": "(", ")": ")", ",": ",", "/": "/", "+": "+", "-": "-", "=": "=", ".": ".",
               "<": r"\langle ", ">": r"\rangle ", "|": "|"}


def _phrase(name: str) -> str:
    """A name made of names and plain punctuation, each part read as :func:`_name` reads a name."""
    out, i = [], 0
    if len(name) > 80 or not re.search(r"[A-Za-z]", name):
        raise _NotAName(name)
    while i < len(name):
        m = _NAME_CHUNK.match(name, i)
        if m:
            chunk = m.group(0)
            word = re.match(r"[A-Za-z]+", chunk).group(0)
            if word == chunk and word[0] == "d" and len(word) > 1 and (word[1:] in GREEK or len(word) == 2) and \
                    "/" in name:                       # dL/deta: a derivative's d
                out.append(r"\mathrm{d}" + _word(word[1:]))
            else:
                out.append(_name(chunk))
            i = m.end()
            continue
        if name.startswith("||", i):
            out.append(r"\|")
            i += 2
        elif name[i] in "^_" and out and out[-1] in (")", r"\|", "|"):   # a script on a bracket: ||g||^2
            op = name[i]
            script, i = _script(name, i + 1)
            out.append(f"{op}{{{script}}}")
        elif name[i].isdigit():
            j = i
            while j < len(name) and name[j].isdigit():
                j += 1
            out.append(name[i:j])
            i = j
        elif name[i] in _SEPARATORS:
            out.append(_SEPARATORS[name[i]])
            i += 1
        else:
            raise _NotAName(name)
    return "".join(out).strip()


def entry(base: str, indices: str) -> str:
    """``base`` indexed by ``indices`` (both LaTeX): a subscript, or brackets when ``base`` has a subscript
    already (never a double subscript)."""
    if _top_level(base, "_"):
        return f"{base}[{indices}]"
    return f"{{{base}}}_{{{indices}}}" if _top_level(base, "^") else f"{base}_{{{indices}}}"


def _top_level(latex: str, ch: str) -> bool:
    depth = 0
    for c in latex:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if c == ch and depth == 0:
            return True
    return False


def _name(name: str) -> str:
    m = _WORD.match(name)
    if not m:
        raise _NotAName(name)
    base, i = _word(m.group(0)), m.end()
    primes, star, subs, sups = "", False, [], []
    while i < len(name):
        ch = name[i]
        if ch == "'":
            primes += "'"
            i += 1
        elif ch == "*":
            star = True
            i += 1
        elif ch in _SUFFIX_ACCENT and (i + 1 == len(name) or name[i + 1] in "_'^"):
            if subs or sups or primes:
                raise _NotAName(name)
            base = f"{_SUFFIX_ACCENT[ch]}{{{base}}}"
            i += 1
        elif ch == "_":
            script, i = _script(name, i + 1)
            subs.append(script)
        elif ch == "^":
            script, i = _script(name, i + 1)
            sups.append(script)
        else:
            raise _NotAName(name)
    if len(sups) > 1:
        raise _NotAName(name)
    out = base
    if primes:                                 # a prime is a superscript: {v'}^{t-1}, never v'^{t-1}
        out = "{" + out + primes + "}"
    if subs:
        out += "_{" + ",".join(subs) + "}"
    sup = sups[0] if sups else ""
    if star:
        sup = (sup + ",*") if sup else "*"
    if sup:
        out += "^{" + sup + "}"
    return out
