"""A tiny LaTeX vocabulary for reports: escaping text, making printed maths safe, labels, fitting.

Invariants
----------
* ``text(s)`` is safe in LaTeX text mode for any ``str``: every special character is escaped and every
  non-ASCII character is either mapped to a pdflatex-safe command or replaced by ``?``, so a report
  never fails to compile because of what a source or a user wrote.
* ``math(s)`` takes LaTeX printed by :func:`proofs.latex.to_latex` (trusted, balanced) and only removes
  what would break a document (``%``, ``#``, a stray ``~``); it never reinterprets maths.
* Everything here is a pure function of its arguments: same input, same bytes.
"""
from __future__ import annotations

import re

_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\^{}", "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "|": r"\textbar{}", '"': r"\textquotedbl{}",
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
    "\u2208": r"$\in$", "\u2211": r"$\sum$", "\u222b": r"$\int$", "\u2032": "'",
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
        return ch if ch.isprintable() or ch in "\n\t" else " "
    return _UNICODE.get(ch, "?")


def text(s) -> str:
    """Escape ``s`` for LaTeX text mode (see the module invariants)."""
    return "".join(_escape(ch) + (r"\allowbreak{}" if ch in _BREAK_AFTER else "") for ch in str(s))


def code(s) -> str:
    """An identifier (claim id, file name) in typewriter type, breakable after ``.``, ``_``, ``/`` and ``-``."""
    return r"\texttt{" + "".join(_escape(ch) + (r"\allowbreak{}" if ch in "._/-" else "") for ch in str(s)) + "}"


_STRAY_TIE = re.compile(r"(?<!\\)~")
_COMMENT = re.compile(r"(?<!\\)%")
_HASH = re.compile(r"(?<!\\)#")


def math(s) -> str:
    """Printed maths made safe to embed (see the module invariants); empty input gives ``{}``."""
    s = str(s or "").strip()
    if not s:
        return "{}"
    s = _COMMENT.sub(r"\\%", s)
    s = _HASH.sub(r"\\#", s)
    s = _STRAY_TIE.sub(r"{\\sim}", s)
    return "".join(ch if ord(ch) < 128 else "?" for ch in s)


_INLINE_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")


def text_with_math(s) -> str:
    """Text in which ``$...$`` spans are maths (figure titles and captions use matplotlib's mathtext, a
    subset of LaTeX maths): the spans go through :func:`math`, everything else through :func:`text`."""
    s, out, pos = str(s), [], 0
    for m in _INLINE_MATH.finditer(s):
        out.append(text(s[pos:m.start()]) + "$" + math(m.group(1)) + "$")
        pos = m.end()
    return "".join(out) + text(s[pos:])


_RATIONAL = re.compile(r"^(-?)(\d+)/(\d+)$")


def value(v) -> str:
    """An exact value as printed in a counterexample ("12/7", "-3", "sqrt(2)") as maths."""
    s = str(v).strip()
    m = _RATIONAL.match(s)
    if m:
        return rf"{m.group(1)}\tfrac{{{m.group(2)}}}{{{m.group(3)}}}"
    if re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", s):
        return s
    return r"\text{" + text(s) + "}"


def label(kind: str, key: str) -> str:
    """A cross-reference label: only characters hyperref and LaTeX accept everywhere."""
    return kind + ":" + re.sub(r"[^A-Za-z0-9.:-]", "-", str(key))
