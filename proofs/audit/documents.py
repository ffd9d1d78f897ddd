r"""Find the displays and the ``derivcheck:`` declarations in Markdown, LaTeX and Jupyter documents.

This module reads; it does not parse maths. A document becomes a :class:`Document`: its displays
(:class:`~proofs.audit.source.Display`, each split into rows of raw text) and its declarations
(:class:`~proofs.audit.source.Declaration`) in document order, with exact 1-based line numbers, and the
problems that did not stop reading ("file:12: unterminated $$ display opened here; rest of file skipped").

What is read where:

* **Markdown** (``.md``, ``.markdown``, ``.txt``): ``$$..$$`` (anywhere in a line), ``\[..\]``, the bare
  environments of :data:`OUTER_ENVS`; ``$..$`` and ``\(..\)`` only with ``inline=True`` (pandoc's rule:
  no space after the opening ``$``, none before the closing one, no digit after it; ``\$`` is a dollar).
  Fenced code blocks, code spans and HTML comments are not maths. Declarations are lines
  ``derivcheck: KEYWORD rest`` inside an HTML comment ``<!-- .. -->``, one per line; a ``derivcheck:``
  line outside a comment is prose. A lone ``(12)`` on the line after a ``$$`` display (the equation
  number of a converted PDF) becomes the tag of the display's last row when no row has a tag.
* **LaTeX** (``.tex``, ``.latex``): ``%`` comments are removed first (``\%`` is a percent sign), and
  ``% derivcheck: KEYWORD rest`` comments are declarations. Environments of :data:`OUTER_ENVS`, ``\[..\]``,
  ``$$..$$``; ``$..$`` and ``\(..\)`` with ``inline=True``. Verbatim environments, ``\verb``, macro
  definitions (``\newcommand`` ...) and everything after ``\end{document}`` are skipped. Nothing is
  followed (``\input``) or executed.
* **Notebooks** (``.ipynb``): the Markdown cells, each read as Markdown; ``Where.cell`` is the 1-based
  index of the cell among all cells and ``Where.line`` the line inside the cell.

Rows: a display is split at top-level ``\\`` (not inside braces, not inside a nested environment such as
``cases`` or ``pmatrix``; a ``[2pt]`` spacing argument is dropped). ``split``, ``aligned``, ``gathered``
(and an ``align``-like environment inside ``$$``) are transparent: their ``\begin``/``\end`` are dropped,
their rows are the display's rows, and their name is ``Display.inner``. ``\tag{..}``/``\tag*{..}`` go to
``SourceRow.tag``, ``\label{..}`` to ``label``, ``\nonumber``/``\notag``/``\intertext{..}`` are dropped, a
trailing ``\quad (15)`` / ``\qquad (33a)`` / ``\quad (*)`` becomes the tag. Empty rows are skipped.

Sidecar (for documents one cannot edit): ``<document name>.derivcheck.toml`` beside the document, or
``<document stem>.toml`` in a search directory (:func:`find_sidecar`); :func:`load_sidecar` reads it into a
:class:`Sidecar` and :func:`attach_sidecar` puts its declarations into a :class:`Document`.

Scanning is iterative (regular expressions with no nested quantifiers, explicit stacks), so deep braces
and 100k-character lines cost linear time; a file over :data:`MAX_BYTES` is refused.
"""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

try:  # Python 3.11+
    import tomllib as _toml
except ModuleNotFoundError:  # pragma: no cover - Python 3.10 with tomli installed
    try:
        import tomli as _toml  # type: ignore[no-redef]
    except ModuleNotFoundError:
        _toml = None  # type: ignore[assignment]

from .source import Declaration, Display, Heading, SourceRow, Where

__all__ = [
    "DocumentError", "Document", "Sidecar", "SidecarEntry", "KEYWORDS", "DISPLAY_KEYWORDS", "OUTER_ENVS",
    "INNER_ENVS", "MAX_BYTES", "read_document", "read_text", "kind_of", "load_sidecar", "find_sidecar",
    "attach_sidecar",
]

MAX_BYTES = 5 * 1024 * 1024
"""Files (and texts, in UTF-8) larger than this are refused with :class:`DocumentError`."""

KEYWORDS = frozenset({"assume", "random", "function", "unknown", "given", "skip", "check", "reading",
                      "sequence", "labelled", "constant", "approx", "fact", "integer"})
"""The declaration keywords (those :mod:`.declarations` reads); another keyword is reported and dropped."""

DISPLAY_KEYWORDS = frozenset({"skip", "check", "given"})   # in a comment: for the next display
"""Keywords whose declarations apply to the next display only (scope ``"display"``)."""

OUTER_ENVS = frozenset({"equation", "equation*", "align", "align*", "gather", "gather*", "multline", "multline*",
                        "flalign", "flalign*", "eqnarray", "eqnarray*", "alignat", "alignat*", "displaymath"})
"""Environments that are a display by themselves."""

INNER_ENVS = frozenset({"split", "aligned", "gathered", "alignedat"})
"""Environments inside a display whose rows are the display's rows."""

_TRANSPARENT = INNER_ENVS | (OUTER_ENVS - {"displaymath"})   # inside $$..$$ an align is as good as aligned
_ENV_ARGS = {"alignat": "{", "alignat*": "{", "alignedat": "{[", "aligned": "[", "gathered": "["}

KINDS = {".md": "markdown", ".markdown": "markdown", ".txt": "markdown", ".tex": "latex", ".latex": "latex",
         ".ipynb": "notebook"}


class DocumentError(Exception):
    """A document (or sidecar) that cannot be read at all; the message is one line naming file and line."""


@dataclass(frozen=True)
class Document:
    """A read document: displays and declarations in document order, and the problems met on the way."""

    path: str
    kind: str                          # "markdown" | "latex" | "notebook"
    items: tuple = ()                  # Display and Declaration records, in document order
    problems: tuple[str, ...] = ()     # "file:12: ..." lines: things skipped or guessed, reading went on

    @property
    def displays(self) -> tuple[Display, ...]:
        return tuple(i for i in self.items if isinstance(i, Display))

    @property
    def declarations(self) -> tuple[Declaration, ...]:
        return tuple(i for i in self.items if isinstance(i, Declaration))


# ----------------------------------------------------------------------------------------------- helpers

def _one_line(s: str, limit: int = 80) -> str:
    """``s`` quoted for a one-line message: newlines escaped, long text cut."""
    s = s.replace("\n", "\\n").replace("\r", "\\r")
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _file_label(name: str) -> str:
    return name.replace("\n", "\\n").replace("\r", "\\r")


class _Lines:
    """Offsets in a text to 1-based (line, column)."""

    def __init__(self, text: str):
        self.starts = [0]
        find = text.find
        i = find("\n")
        while i >= 0:
            self.starts.append(i + 1)
            i = find("\n", i + 1)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def column(self, offset: int) -> int:
        return offset - self.starts[self.line(offset) - 1] + 1


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span's characters replaced by spaces (newlines kept, so offsets and lines hold)."""
    if not spans:
        return text
    out, pos = [], 0
    for a, b in sorted(spans):
        if b <= pos:
            continue
        a = max(a, pos)
        out.append(text[pos:a])
        seg = text[a:b]
        out.append(" " * len(seg) if "\n" not in seg else "\n".join(" " * len(p) for p in seg.split("\n")))
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _match_brace(s: str, i: int, end: int | None = None) -> int:
    """``s[i] == "{"``: the offset just after the matching ``}`` (escapes ``\\{``, ``\\}`` respected), or -1."""
    end = len(s) if end is None else end
    depth, j = 0, i
    while j < end:
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.S)


class _Braces:
    """Matching braces of ``s[start:end]``, found in one pass on first use (so many unbalanced ``{`` cost
    linear time, not one scan each)."""

    def __init__(self, s: str, start: int = 0, end: int | None = None):
        self.s, self.start, self.end = s, start, len(s) if end is None else end
        self.pairs: dict[int, int] | None = None

    def close(self, i: int) -> int:
        """``s[i] == "{"``: the offset after its matching ``}``, or -1."""
        if self.pairs is None:
            self.pairs, stack = {}, []
            for m in _BRACE_TOKEN.finditer(self.s, self.start, self.end):
                t = m.group(0)
                if t == "{":
                    stack.append(m.start())
                elif t == "}" and stack:
                    self.pairs[stack.pop()] = m.end()
        return self.pairs.get(i, -1)


def _normalise(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _decode(data: bytes, file: str, problems: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(f"{file}:{line}: bytes that are not UTF-8 (first here); read with U+FFFD in their place")
        return data.decode("utf-8", errors="replace")


def _check_size(n: int, file: str) -> None:
    if n > MAX_BYTES:
        raise DocumentError(f"{file}: {n} bytes is more than the {MAX_BYTES}-byte limit for a document; not read")


# ----------------------------------------------------------------------------------------- declarations

_DECL = re.compile(r"[ \t]*derivcheck:[ \t]*(.*)")


def _declaration(rest: str, where: Where, problems: list[str], *, scope: str | None = None) -> Declaration | None:
    """``rest`` (what follows ``derivcheck:``) as a declaration, or ``None`` with a problem line."""
    rest = rest.strip()
    if not rest:
        problems.append(f"{where}: derivcheck: with no keyword; ignored")
        return None
    parts = rest.split(None, 1)
    keyword, text = parts[0], (parts[1].strip() if len(parts) > 1 else "")
    if keyword not in KEYWORDS:
        problems.append(f"{where}: unknown derivcheck keyword {_one_line(keyword, 30)!r} "
                        f"(known: {', '.join(sorted(KEYWORDS))}); declaration ignored")
        return None
    if scope is None:
        scope = "display" if keyword in DISPLAY_KEYWORDS else "document"
    return Declaration(keyword=keyword, text=text, where=where, scope=scope)


# ------------------------------------------------------------------------------------------ row splitting

_ROW_TOKEN = re.compile(r"\\(?:(begin|end)[ \t]*\{([^{}\n]{0,40})\}|(tag\*?|label|nonumber|notag|intertext|"
                        r"shortintertext)(?![A-Za-z])|[A-Za-z]+|.)|[{}]", re.S)
_MANUAL_TAG = re.compile(r"(?:(?:\\q?quad|\\hfill)\s*)+\(\s*([0-9A-Za-z]{1,6}|\*{1,3})\s*\)\s*$")


@dataclass
class _RawRow:
    start: int
    end: int = 0
    drops: list = field(default_factory=list)
    tag: str | None = None
    label: str | None = None


def _skip_args(s: str, j: int, end: int, kinds: str) -> int:
    """Skip an environment's arguments right after ``\\begin{..}``: ``[..]`` and/or one ``{..}``."""
    for kind in kinds:
        k = j
        while k < end and s[k] in " \t":
            k += 1
        if kind == "[" and k < end and s[k] == "[":
            close = s.find("]", k, min(end, k + 40))
            if close >= 0:
                j = close + 1
        elif kind == "{" and k < end and s[k] == "{":
            close = _match_brace(s, k, min(end, k + 40))
            if close >= 0:
                j = close
    return j


def _split_rows(s: str, start: int, end: int, *, transparent: frozenset) -> tuple[list[_RawRow], str | None]:
    """Split ``s[start:end]`` into raw rows (offsets into ``s``); also the transparent environment met first."""
    rows = [_RawRow(start)]
    braces, opaque = 0, 0
    stack: list[tuple[str, bool]] = []        # (environment, transparent?)
    inner = None
    pos = start
    search = _ROW_TOKEN.search
    braces_of = _Braces(s, start, end)
    open_count: dict[str, int] = {}
    while True:
        m = search(s, pos, end)
        if m is None:
            break
        a, b = m.span()
        text = m.group(0)
        row = rows[-1]
        pos = b
        if text == "{":
            braces += 1
        elif text == "}":
            braces = max(0, braces - 1)
        elif text == "\\\\":
            if braces == 0 and opaque == 0:
                j = b
                if j < end and s[j] == "*":
                    j += 1
                if j < end and s[j] == "[":
                    close = s.find("]", j, min(end, j + 40))
                    if close >= 0:
                        j = close + 1
                row.end = a
                rows.append(_RawRow(j))
                pos = j
        elif m.group(1) == "begin":
            name = m.group(2).strip()
            if name in transparent and braces == 0 and opaque == 0:
                j = _skip_args(s, b, end, _ENV_ARGS.get(name, ""))
                row.drops.append((a, j))
                pos = j
                stack.append((name, True))
                inner = inner or name
            else:
                stack.append((name, False))
                opaque += 1
            open_count[name] = open_count.get(name, 0) + 1
        elif m.group(1) == "end":
            name = m.group(2).strip()
            if not open_count.get(name):
                continue
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == name:
                    for _, is_t in stack[k + 1:]:
                        opaque -= 0 if is_t else 1
                    popped = stack[k]
                    for env, _ in stack[k:]:
                        open_count[env] -= 1
                    del stack[k:]
                    if popped[1]:
                        row.drops.append((a, b))
                    else:
                        opaque -= 1
                    break
        elif m.group(3):
            word = m.group(3)
            j = b
            if word in ("nonumber", "notag"):
                row.drops.append((a, b))
                continue
            k = j
            while k < end and s[k] in " \t\n":
                k += 1
            if k < end and s[k] == "{":
                close = braces_of.close(k)
                if close < 0:
                    continue
                arg = s[k + 1:close - 1].strip()
                row.drops.append((a, close))
                pos = close
                if word.startswith("tag") and row.tag is None:
                    row.tag = arg
                elif word == "label" and row.label is None:
                    row.label = arg
    rows[-1].end = end
    return rows, inner


def _row_text(s: str, row: _RawRow) -> tuple[str, int]:
    """The row's text (drops removed, stripped) and the offset of its first character (-1 if empty)."""
    pieces, pos = [], row.start
    for a, b in sorted(row.drops):
        if a > pos:
            pieces.append((pos, min(a, row.end)))
        pos = max(pos, b)
    if pos < row.end:
        pieces.append((pos, row.end))
    first = -1
    for a, b in pieces:
        seg = s[a:b]
        stripped = len(seg) - len(seg.lstrip())
        if stripped < len(seg):
            first = a + stripped
            break
    return "".join(s[a:b] for a, b in pieces).strip(), first


def _make_rows(s: str, start: int, end: int, where_of, *, transparent: frozenset) -> tuple[tuple, str | None]:
    raw, inner = _split_rows(s, start, end, transparent=transparent)
    rows: list[SourceRow] = []
    for r in raw:
        text, first = _row_text(s, r)
        tag, label = r.tag, r.label
        if tag is None:
            tail = text[-120:]
            m = _MANUAL_TAG.search(tail)
            if m:
                tag = m.group(1)
                text = text[:len(text) - len(tail) + m.start()].rstrip()
        if not text.replace("&", "").strip():                 # an empty row: its tag/label go to the row before
            if rows and tag is not None and rows[-1].tag is None:
                rows[-1] = replace(rows[-1], tag=tag)
            if rows and label is not None and rows[-1].label is None:
                rows[-1] = replace(rows[-1], label=label)
            continue
        rows.append(SourceRow(text=text, where=where_of(first), tag=tag, label=label))
    return tuple(rows), inner


# ------------------------------------------------------------------------------------------ maths finding

_MATH_TOKEN = re.compile(r"\\\\|\\\$|\$\$|\$|\\\[|\\\]|\\\(|\\\)|\\(begin|end)[ \t]*\{([A-Za-z]+\*?)\}|\n[ \t]*(?=\n)")


@dataclass
class _Found:
    open: int          # offset of the opening delimiter
    start: int         # content start
    end: int           # content end
    close: int         # offset after the closing delimiter
    env: str
    inline: bool


class _Next:
    """Sorted token indices per kind, to find "the next X after token k" in O(log n)."""

    def __init__(self):
        self.by: dict = {}

    def add(self, key, k: int) -> None:
        self.by.setdefault(key, []).append(k)

    def after(self, key, k: int) -> int | None:
        lst = self.by.get(key)
        if not lst:
            return None
        i = bisect.bisect_right(lst, k)
        return lst[i] if i < len(lst) else None


def _find_maths(s: str, stop: int, *, markdown: bool) -> tuple[list[_Found], int | None, str]:
    """Displays and inline maths in ``s[:stop]`` (already masked). Returns the finds, and if a display is
    unterminated, its opening offset and a description of it."""
    toks = []                                   # (kind, start, end)
    nxt = _Next()
    closers: set[int] = set()                   # single $ that may close inline maths
    for m in _MATH_TOKEN.finditer(s, 0, stop):
        t = m.group(0)
        if t in ("\\\\", "\\$"):
            continue
        if m.group(1):
            kind = (m.group(1), m.group(2))
        elif t[0] == "\n":
            kind = "blank"
        else:
            kind = t
        k = len(toks)
        toks.append((kind, m.start(), m.end()))
        if kind == "$":
            nxt.add("$", k)
            a, b = m.start(), m.end()
            before = s[a - 1] if a else " "
            after = s[b] if b < len(s) else " "
            if not markdown or (not before.isspace() and not after.isdigit()):
                closers.add(k)
        elif kind in ("$$", "\\]", "\\)", "blank") or (isinstance(kind, tuple) and kind[0] == "end"):
            nxt.add(kind, k)
    finds: list[_Found] = []
    k = 0
    while k < len(toks):
        kind, a, b = toks[k]
        closing = None
        if kind == "$$":
            closing, env = "$$", "$$"
        elif kind == "\\[":
            closing, env = "\\]", "\\["
        elif isinstance(kind, tuple) and kind[0] == "begin" and kind[1] in OUTER_ENVS:
            closing, env = ("end", kind[1]), kind[1]
        if closing is not None:
            j = nxt.after(closing, k)
            if j is None:
                what = {"$$": "$$ display", "\\[": "\\[ display"}.get(env, f"\\begin{{{env}}} environment")
                return finds, a, what
            finds.append(_Found(a, b, toks[j][1], toks[j][2], env, False))
            k = j + 1
            continue
        if kind in ("$", "\\("):
            blank = nxt.after("blank", k)
            if kind == "$":
                after = s[b] if b < len(s) else " "
                j = None if (markdown and after.isspace()) else nxt.after("$", k)   # the next $ closes or none
                if j is not None and j not in closers:
                    j = None
                dd = nxt.after("$$", k)
                if j is not None and ((blank is not None and blank < j) or (dd is not None and dd < j)):
                    j = None
            else:
                j = nxt.after("\\)", k)
                if j is not None and blank is not None and blank < j:
                    j = None
            if j is not None and toks[j][1] > b:
                finds.append(_Found(a, b, toks[j][1], toks[j][2], kind, True))
                k = j + 1
                continue
        k += 1
    return finds, None, ""


# ----------------------------------------------------------------------------------------------- readers

_MD_MASK = re.compile(r"^[ \t>]*(`{3,}|~{3,})|`+|<!--", re.M)
_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*)$", re.M)
_TEX_HEADING = re.compile(r"\\(part|chapter|section|subsection|subsubsection)\*?\s*(?:\[[^\]]*\])?\s*\{([^{}\n]*)")
_TEX_LEVELS = {"part": 1, "chapter": 1, "section": 1, "subsection": 2, "subsubsection": 3}
_BLANK = re.compile(r"\n[ \t]*\n")
_CLOSE_TICKS: dict[int, re.Pattern] = {}
_AFTER_TAG = re.compile(r"[ \t]*\n[ \t]*\((\d{1,4}[a-z]?)\)[ \t]*(?:\n|$)")


def _scan_markdown(text: str, where_at, problems: list[str], scope_word: str):
    """Mask code and comments; return (masked, declarations with offsets, stop offset or None)."""
    spans: list[tuple[int, int]] = []
    decls: list[tuple[int, Declaration]] = []
    blanks = [m.start() for m in _BLANK.finditer(text)]
    n = len(text)

    def para_end(i: int) -> int:
        k = bisect.bisect_right(blanks, i)
        return blanks[k] if k < len(blanks) else n

    pos, stop = 0, None
    while True:
        m = _MD_MASK.search(text, pos)
        if m is None:
            break
        a, b = m.span()
        t = m.group(0)
        if m.group(1):                                            # a fence line
            fence = m.group(1)
            eol = text.find("\n", b)
            eol = n if eol < 0 else eol
            if fence[0] == "`" and "`" in text[b:eol]:
                tick_at = a + len(t) - len(fence)                     # not a fence: inline backticks
                pos = tick_at
                m2 = re.compile(r"`+").match(text, tick_at)
                a, b, t = m2.start(), m2.end(), m2.group(0)
            else:
                closer = re.compile(r"^[ \t>]*" + re.escape(fence[0]) + "{%d,}[ \t]*$" % len(fence), re.M)
                c = closer.search(text, eol + 1) if eol < n else None
                if c is None:
                    problems.append(f"{where_at(a)}: code fence {fence} opened here is never closed; "
                                    f"rest of {scope_word} read as code")
                    spans.append((a, n))
                    break
                spans.append((a, c.end()))
                pos = c.end()
                continue
        if t.startswith("`"):
            k = len(t)
            pat = _CLOSE_TICKS.get(k)
            if pat is None:
                pat = _CLOSE_TICKS.setdefault(k, re.compile(r"(?<!`)`{%d}(?!`)" % k))
            c = pat.search(text, b, para_end(b))
            if c is None:
                pos = b
                continue
            spans.append((a, c.end()))
            pos = c.end()
            continue
        # an HTML comment
        if text.startswith(">", b):
            close, body_end = b + 1, b
        elif text.startswith("->", b):
            close, body_end = b + 2, b
        else:
            body_end = text.find("-->", b)
            if body_end < 0:
                problems.append(f"{where_at(a)}: unterminated HTML comment opened here; rest of {scope_word} skipped")
                spans.append((a, n))
                stop = a
                break
            close = body_end + 3
        spans.append((a, close))
        line_start = b
        while line_start <= body_end:
            eol = text.find("\n", line_start, body_end)
            eol = body_end if eol < 0 else eol
            d = _DECL.match(text, line_start, eol)
            if d:
                at = d.start() + d.group(0).index("derivcheck:")
                decl = _declaration(d.group(1), where_at(at), problems)
                if decl is not None:
                    decls.append((at, decl))
            line_start = eol + 1
        pos = close
    return _mask(text, spans), decls, stop


_TEX_MASK = re.compile(r"\\(?:\\|%|verb\*?(?![A-Za-z])|begin[ \t]*\{(verbatim\*?|lstlisting|minted|comment|Verbatim)\}|"
                       r"((?:re)?newcommand\*?|providecommand\*?|(?:re)?newenvironment\*?|DeclareMathOperator\*?|"
                       r"def|gdef|edef|xdef)(?![A-Za-z])|end[ \t]*\{document\})|%")


def _skip_definition(s: str, j: int, groups: int, braces: _Braces) -> int:
    """After ``\\newcommand``-like: skip the name, ``[..]`` options and ``groups`` brace groups."""
    n = len(s)
    for _ in range(groups):
        k = j
        while k < n and s[k] in " \t\n":
            k += 1
        while k < n and s[k] == "[":                         # [n] [default]
            close = s.find("]", k, min(n, k + 200))
            if close < 0:
                break
            k = close + 1
            while k < n and s[k] in " \t\n":
                k += 1
        if k < n and s[k] == "{":
            close = braces.close(k)
            if close < 0:
                return n
            j = close
        elif k < n and s[k] == "\\":                         # \newcommand\foo{...}
            m = re.compile(r"\\(?:[A-Za-z]+|.)").match(s, k)
            j = m.end() if m else k + 1
        else:
            return j
    return j


def _scan_latex(text: str, where_at, problems: list[str]):
    spans: list[tuple[int, int]] = []
    decls: list[tuple[int, Declaration]] = []
    n = len(text)
    pos = 0
    braces = _Braces(text)
    while True:
        m = _TEX_MASK.search(text, pos)
        if m is None:
            break
        a, b = m.span()
        t = m.group(0)
        pos = b
        if t == "%":
            eol = text.find("\n", b)
            eol = n if eol < 0 else eol
            spans.append((a, eol))
            body = text[b:eol]
            d = re.match(r"[%\s]*derivcheck:[ \t]*(.*)", body)
            if d:
                at = b + body.index("derivcheck:")
                decl = _declaration(d.group(1), where_at(at), problems)
                if decl is not None:
                    decls.append((at, decl))
            pos = eol
        elif t in ("\\\\", "\\%"):
            continue
        elif t.startswith("\\verb"):
            if b < n and text[b] not in " \t\n*":
                close = text.find(text[b], b + 1, min(n, b + 1000))
                eol = text.find("\n", b, min(n, b + 1000))
                if close >= 0 and (eol < 0 or close < eol):
                    spans.append((a, close + 1))
                    pos = close + 1
        elif m.group(1):
            name = m.group(1)
            close = text.find("\\end{" + name + "}", b)
            end = n if close < 0 else close + len(name) + 6
            spans.append((a, end))
            pos = end
        elif m.group(2):
            word = m.group(2).rstrip("*")
            if word.endswith("def"):
                brace = text.find("{", b, min(n, b + 200))
                end = braces.close(brace) if brace >= 0 else -1
                end = b if end < 0 else end
            else:
                groups = 3 if word.endswith("environment") else 2
                end = _skip_definition(text, b, groups, braces)
            spans.append((a, end))
            pos = end
        else:                                                   # \end{document}: the rest is not read
            spans.append((b, n))
            break
    return _mask(text, spans), decls


def _read_part(text: str, kind: str, *, file: str, cell: int | None, inline: bool,
               problems: list[str]) -> list:
    """Items of one text (a whole Markdown/LaTeX file, or one notebook cell), in document order."""
    lines = _Lines(text)

    def where_at(offset: int) -> Where:
        return Where(file, lines.line(offset), cell, lines.column(offset))

    scope_word = "cell" if cell is not None else "file"
    markdown = kind != "latex"
    if markdown:
        masked, decls, stop = _scan_markdown(text, where_at, problems, scope_word)
    else:
        masked, decls = _scan_latex(text, where_at, problems)
        stop = None
    limit = len(masked) if stop is None else stop
    finds, unterminated, what = _find_maths(masked, limit, markdown=markdown)
    if unterminated is not None:
        problems.append(f"{where_at(unterminated)}: unterminated {what} opened here; rest of {scope_word} skipped")
        limit = unterminated
    keyed: list[tuple[tuple, object]] = []
    displays = []
    for f in finds:
        if f.inline and not inline:
            continue
        transparent = INNER_ENVS if f.env in OUTER_ENVS else _TRANSPARENT
        first = _skip_args(masked, f.start, f.end, _ENV_ARGS.get(f.env, "")) if f.env in OUTER_ENVS else f.start
        rows, inner = _make_rows(masked, first, f.end, where_at, transparent=transparent)
        if markdown and not f.inline and rows and all(r.tag is None for r in rows):
            m = _AFTER_TAG.match(masked, f.close)
            if m:
                rows = rows[:-1] + (replace(rows[-1], tag=m.group(1)),)
        d = Display(where=where_at(f.open), env=f.env, rows=rows, inner=inner, inline=f.inline,
                    text=text[f.start:f.end])
        displays.append((f.open, f.close))
        keyed.append(((f.open, 1, f.open), d))
    for m in (_MD_HEADING if markdown else _TEX_HEADING).finditer(masked, 0, limit):
        k = bisect.bisect_right([o for o, _ in displays], m.start()) - 1
        if k >= 0 and m.start() < displays[k][1]:
            continue                                  # inside a display: not a heading
        level = len(m.group(1)) if markdown else _TEX_LEVELS[m.group(1)]
        keyed.append(((m.start(), 0, m.start()), Heading(where=where_at(m.start()), level=level,
                                                         text=_one_line(m.group(2) or ""))))
    opens = [o for o, _ in displays]
    for at, decl in decls:
        if at >= limit:
            continue
        k = bisect.bisect_right(opens, at) - 1
        if k >= 0 and at < displays[k][1]:          # written inside a display: it is about that display
            keyed.append(((displays[k][0], 0, at), decl))
        else:
            keyed.append(((at, 0, at), decl))
    keyed.sort(key=lambda kv: kv[0])
    return [item for _, item in keyed]


def _read_notebook(text: str, file: str, *, inline: bool, problems: list[str]) -> list:
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"{file}:{exc.lineno}: not a notebook: malformed JSON ({exc.msg})") from None
    except RecursionError:
        raise DocumentError(f"{file}: not a notebook: JSON nested too deeply") from None
    if not isinstance(nb, dict):
        raise DocumentError(f"{file}: not a notebook: the JSON is not an object")
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list):      # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in (ws.get("cells") or [])]
    if not isinstance(cells, list):
        raise DocumentError(f"{file}: not a notebook: no list of cells")
    items: list = []
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(x, str) for x in source):
            source = "".join(source)
        if not isinstance(source, str):
            problems.append(f"{file}:cell {index}:1: markdown cell source is neither text nor a list of text; "
                            f"cell skipped")
            continue
        items.extend(_read_part(_normalise(source), "markdown", file=file, cell=index, inline=inline,
                                problems=problems))
    return items


def _kind_name(kind: str) -> str:
    k = kind.lower()
    if k in ("markdown", "latex", "notebook"):
        return k
    k = k if k.startswith(".") else "." + k
    if k in KINDS:
        return KINDS[k]
    raise DocumentError(f"unknown document kind {_one_line(kind, 30)!r} (markdown, latex or notebook)")


def _read(text: str, kind: str, file: str, inline: bool, problems: list[str]) -> Document:
    if kind == "notebook":
        items = _read_notebook(text, file, inline=inline, problems=problems)
    else:
        items = _read_part(_normalise(text), kind, file=file, cell=None, inline=inline, problems=problems)
    return Document(path=file, kind=kind, items=tuple(items), problems=tuple(problems))


# ------------------------------------------------------------------------------------------------- API

def kind_of(path) -> str | None:
    """The kind of a document by its suffix: ``"markdown"``, ``"latex"``, ``"notebook"``, or ``None``."""
    return KINDS.get(Path(path).suffix.lower())


def read_text(text: str, kind: str, *, name: str = "<text>", inline: bool = False) -> Document:
    """Read a document from a string. ``kind`` is ``"markdown"``, ``"latex"`` or ``"notebook"`` (or a
    suffix such as ``".md"``); ``name`` is ``Where.file``."""
    kind = _kind_name(kind)
    file = _file_label(name)
    n = len(text)
    if n > MAX_BYTES or (4 * n > MAX_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES):
        _check_size(len(text.encode("utf-8", "surrogatepass")), file)
    return _read(text, kind, file, inline, [])


def read_document(path, *, inline: bool = False, display_name: str | None = None,
                  kind: str | None = None) -> Document:
    """Read the document at ``path`` (kind by suffix unless ``kind`` is given). ``Where.file`` is
    ``display_name`` or ``str(path)``. Raises :class:`DocumentError` for a file that cannot be read, is
    larger than :data:`MAX_BYTES`, is of no known kind, or is a notebook that is not valid JSON."""
    p = Path(path)
    file = _file_label(display_name or str(path))
    if kind is None:
        kind = kind_of(p)
        if kind is None:
            raise DocumentError(f"{file}: unknown document kind (suffix {p.suffix or 'none'!s}); "
                                f"expected .md, .markdown, .txt, .tex, .latex or .ipynb")
    else:
        kind = _kind_name(kind)
    try:
        if not p.is_file():
            raise DocumentError(f"{file}: not a file" if p.exists() else f"{file}: no such file")
        _check_size(p.stat().st_size, file)
        with open(p, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"{file}: cannot read: {exc.strerror or exc}") from None
    _check_size(len(data), file)
    problems: list[str] = []
    text = _decode(data, file, problems)
    return _read(text, kind, file, inline, problems)


# ----------------------------------------------------------------------------------------------- sidecar

_SELECTORS = ("line", "tag", "contains")


@dataclass(frozen=True)
class SidecarEntry:
    """One sidecar declaration. ``selector`` is ``None`` for the top-level ``declare`` (document scope), or
    the ``[[display]]`` table's choice: ``("line", 413)``, ``("tag", "34")``, ``("contains", "..")``,
    ``("cell line", (3, 2))`` in a notebook."""

    selector: tuple | None
    declaration: Declaration
    selector_where: Where | None = None     # where the selector (``tag = "34"``) is written in the sidecar


@dataclass(frozen=True)
class Sidecar:
    """A loaded sidecar: its entries in file order, and problems (unknown keywords) that did not stop it."""

    path: str
    entries: tuple[SidecarEntry, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def declarations(self) -> list[Declaration]:
        return [e.declaration for e in self.entries]

    def __iter__(self):
        return iter(self.entries)


def find_sidecar(document_path, search_dirs: Iterable = ()) -> Path | None:
    """``<document name>.derivcheck.toml`` beside the document, else ``<document stem>.toml`` in each of
    ``search_dirs`` in order; ``None`` if there is none."""
    doc = Path(document_path)
    beside = doc.with_name(doc.name + ".derivcheck.toml")
    if beside.is_file():
        return beside
    for d in search_dirs or ():
        cand = Path(d) / (doc.stem + ".toml")
        if cand.is_file():
            return cand
    return None


_TOML_LINE = re.compile(r"at line (\d+)")
_TOML_TOKEN = re.compile(r"\"\"\"|'''|\"|'|#|\[|\]|=|\n|[A-Za-z0-9_.-]+")


def _locate_toml(raw: str) -> dict:
    """Best-effort line numbers in a sidecar's text: ``{("root"|k, "declare"): [line of each string],
    ("root"|k, key): line, ("table", k): line}`` where ``k`` is the 0-based ``[[display]]`` index.
    Anything this small lexer does not follow just leaves a line out (callers fall back)."""
    out: dict = {}
    section: object = "root"
    tables = -1
    pos, line, n = 0, 1, len(raw)
    depth = 0
    expect_value = False
    key = None
    collecting = None
    at_line_start = True
    while pos < n:
        m = _TOML_TOKEN.search(raw, pos)
        if m is None:
            break
        t = m.group(0)
        line += raw.count("\n", pos, m.start())
        pos = m.end()
        if t == "\n":
            line += 1
            if depth == 0:
                at_line_start, expect_value = True, False
            continue
        if t == "#":
            eol = raw.find("\n", pos)
            pos = n if eol < 0 else eol
            continue
        if t in ('"', "'", '"""', "'''"):
            start_line = line
            if t == '"':
                j = pos
                while j < n and raw[j] not in '"\n':
                    j += 2 if raw[j] == "\\" else 1
                end = min(j + 1, n)
            else:
                j = raw.find(t, pos)
                end = n if j < 0 else j + len(t)
            line += raw.count("\n", pos, end)
            pos = end
            if collecting is not None and depth >= 1:
                out.setdefault(collecting, []).append(start_line)
            elif depth == 0 and not expect_value:
                key, at_line_start = None, False
            expect_value = False if depth == 0 else expect_value
            continue
        if t == "[":
            if depth == 0 and at_line_start and not expect_value:
                double = raw.startswith("[", pos)
                close = raw.find("\n", pos)
                header = raw[pos:(n if close < 0 else close)]
                out.setdefault(("root", header.lstrip("[").split("]")[0].strip().strip('"')), line)
                if double and header.lstrip("[").strip().startswith("display"):
                    tables += 1
                    section = tables
                    out[("table", tables)] = line
                else:
                    section = ("other", line)
                pos = n if close < 0 else close
                continue
            depth += 1
            continue
        if t == "]":
            depth = max(0, depth - 1)
            if depth == 0:
                collecting = None
                expect_value = False
            continue
        if t == "=":
            expect_value = True
            if depth == 0 and key == "declare":
                collecting = (section, "declare", "strings")
            continue
        if depth == 0 and at_line_start:
            key = t
            out[(section, t)] = line
            at_line_start = False
        elif depth == 0 and expect_value:
            expect_value = False
    return out


def load_sidecar(path) -> Sidecar:
    """Read a TOML sidecar. Top-level ``declare = [..]``: document-scope declarations; each ``[[display]]``
    with one of ``line`` (the display starting at that line; with ``cell`` in a notebook), ``tag`` (the
    display holding the row tagged so) or ``contains`` (the first display whose text contains it) and its
    own ``declare = [..]``: display-scope declarations. Bad TOML, unknown keys or wrong types raise
    :class:`DocumentError` naming the file (and line when known); an unknown keyword, or a top-level
    ``skip``/``check``/``given`` (they need a display), is a problem line and the declaration is dropped."""
    p = Path(path)
    file = _file_label(str(path))
    if _toml is None:  # pragma: no cover
        raise DocumentError(f"{file}: cannot read TOML sidecars on this Python (needs 3.11+ or tomli)")
    try:
        if not p.is_file():
            raise DocumentError(f"{file}: no such sidecar file")
        _check_size(p.stat().st_size, file)
        data = p.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{file}: cannot read: {exc.strerror or exc}") from None
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DocumentError(f"{file}:{line}: bad TOML: not UTF-8") from None
    try:
        doc = _toml.loads(raw)
    except _toml.TOMLDecodeError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else "invalid TOML"
        m = _TOML_LINE.search(msg)
        where = f"{file}:{m.group(1)}" if m else file
        raise DocumentError(f"{where}: bad TOML: {msg}") from None
    except RecursionError:
        raise DocumentError(f"{file}: bad TOML: nested too deeply") from None
    lines = _locate_toml(raw)
    problems: list[str] = []
    entries: list[SidecarEntry] = []

    def at(section, key) -> str:
        ln = lines.get((section, key)) or (lines.get(("table", section)) if section != "root" else None)
        return f"{file}:{ln}" if ln else file

    def declare_list(section, value) -> list[tuple[str, int]]:
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise DocumentError(f"{at(section, 'declare')}: 'declare' must be a list of strings")
        found = lines.get((section, "declare", "strings"), [])
        if len(found) == len(value):
            return list(zip(value, found))
        fallback = lines.get((section, "declare")) or (lines.get(("table", section)) if section != "root" else 1)
        return [(v, fallback or 1) for v in value]

    for key in doc:
        if key not in ("declare", "display"):
            raise DocumentError(f"{at('root', key)}: unknown key {_one_line(key, 40)!r} in sidecar "
                                f"(expected 'declare' and [[display]] tables)")
    for text, ln in declare_list("root", doc.get("declare", [])):
        d = _declaration(text, Where(file, ln), problems, scope="document")
        if d is not None and d.keyword in DISPLAY_KEYWORDS:
            problems.append(f"{d.where}: {d.keyword} applies to one display; put it in a [[display]] table "
                            f"(declaration ignored)")
        elif d is not None:
            entries.append(SidecarEntry(None, d))
    tables = doc.get("display", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise DocumentError(f"{at('root', 'display')}: 'display' must be [[display]] tables")
    for k, table in enumerate(tables):
        for key in table:
            if key not in ("line", "tag", "contains", "cell", "declare"):
                raise DocumentError(f"{at(k, key)}: unknown key {_one_line(key, 40)!r} in [[display]] "
                                    f"(expected one of line, tag, contains, and declare)")
        chosen = [s for s in _SELECTORS if s in table]
        if len(chosen) != 1:
            raise DocumentError(f"{at(k, 'declare')}: a [[display]] needs exactly one of line, tag, contains "
                                f"(has {', '.join(chosen) or 'none'})")
        sel = chosen[0]
        value = table[sel]
        if sel == "line":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DocumentError(f"{at(k, 'line')}: 'line' must be a positive integer")
        elif not isinstance(value, str) or not value.strip():
            raise DocumentError(f"{at(k, sel)}: {sel!r} must be a non-empty string")
        if "cell" in table:
            cell = table["cell"]
            if sel != "line" or isinstance(cell, bool) or not isinstance(cell, int) or cell < 1:
                raise DocumentError(f"{at(k, 'cell')}: 'cell' must be a positive integer, with 'line'")
            selector = ("cell line", (cell, value))
        else:
            selector = (sel, value.strip().strip("()") if sel == "tag" else value)
        sel_line = lines.get((k, sel)) or lines.get(("table", k))
        sel_where = Where(file, sel_line) if sel_line else None
        if "declare" not in table:
            raise DocumentError(f"{at(k, sel)}: a [[display]] needs 'declare'")
        for text, ln in declare_list(k, table["declare"]):
            d = _declaration(text, Where(file, ln), problems, scope="display")
            if d is not None:
                entries.append(SidecarEntry(selector, d, sel_where))
    return Sidecar(path=file, entries=tuple(entries), problems=tuple(problems))


def _describe(selector: tuple) -> str:
    kind, value = selector
    if kind == "cell line":
        return f"cell = {value[0]}, line = {value[1]}"
    if kind == "line":
        return f"line = {value}"
    text = str(value)
    return f"{kind} = {json.dumps(text if len(text) <= 60 else text[:57] + '...', ensure_ascii=False)}"


def _squash(s: str) -> str:
    return "".join(s.split())


def _resolve(selector: tuple, displays: list[Display]) -> list[Display]:
    kind, value = selector
    block = [d for d in displays if not d.inline]
    inline = [d for d in displays if d.inline]
    for group in (block, inline):
        if kind == "line" or kind == "cell line":
            cell, line = (None, value) if kind == "line" else value
            here = [d for d in group if (cell is None or d.where.cell == cell)]
            hits = [d for d in here if d.where.line == line]
            if not hits:
                hits = [d for d in here if d.where.line <= line <= d.where.line + d.text.count("\n")]
        elif kind == "tag":
            hits = [d for d in group if any(r.tag is not None and r.tag.strip() == value for r in d.rows)]
        else:
            hits = [d for d in group if value in d.text]
            if not hits:
                squashed = _squash(value)
                hits = [d for d in group if squashed and squashed in _squash(d.text)]
        if hits:
            return hits
    return []


def attach_sidecar(document: Document, sidecar) -> Document:
    """``document`` with the sidecar's declarations put in: document-scope ones first (before every item),
    each display-scope one right before its target display (with ``target`` set to the display's place).
    A selector that matches no display is a problem line naming the sidecar and the selector (its
    declarations are dropped); one that matches several uses the first and says so. ``sidecar`` is a
    :class:`Sidecar` or an iterable of :class:`SidecarEntry` / ``(selector, Declaration)`` pairs."""
    problems = list(document.problems)
    if isinstance(sidecar, Sidecar):
        problems.extend(sidecar.problems)
        entries = list(sidecar.entries)
    else:
        entries = [e if isinstance(e, SidecarEntry) else SidecarEntry(*e) for e in sidecar]
    displays = list(document.displays)
    head: list[Declaration] = []
    before: dict[int, list[Declaration]] = {}
    reported: set = set()
    for entry in entries:
        decl = entry.declaration
        if entry.selector is None:
            head.append(decl)
            continue
        hits = _resolve(entry.selector, displays)
        at = entry.selector_where or decl.where
        key = (str(at), entry.selector)
        if not hits:
            if key not in reported:
                problems.append(f"{at}: [[display]] {_describe(entry.selector)} matches no display in "
                                f"{document.path}; its declarations are not used")
                reported.add(key)
            continue
        if len(hits) > 1 and key not in reported:
            problems.append(f"{at}: [[display]] {_describe(entry.selector)} matches {len(hits)} displays "
                            f"in {document.path}; used the first, at {hits[0].where}")
            reported.add(key)
        target = hits[0]
        before.setdefault(id(target), []).append(replace(decl, scope="display", target=target.where))
    items: list = list(head)
    for item in document.items:
        if isinstance(item, Display) and id(item) in before:
            items.extend(before[id(item)])
        items.append(item)
    return Document(path=document.path, kind=document.kind, items=tuple(items), problems=tuple(problems))
