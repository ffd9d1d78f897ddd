r"""One row of written display maths (LaTeX) to SymPy objects.

Reading happens in three steps, none of which executes or expands anything the author wrote:

1. :func:`_scan` cuts the row into tokens (lark's lexer, terminals in ``grammar.lark``), looks every
   command up in :mod:`.macros` (an unknown command is a :class:`ParseError` with its column), pairs the
   delimiters, decides which bars open and which close, splits numbers after ``^ _ \frac`` into one digit
   as TeX does, drops spacing, sizing and the top-level alignment ``&``, and cuts the *remark* off the
   end of the row (a top-level ``\quad`` followed by more, prose ``\text{..}``, ``\sim``, ``\forall``)
   together with a trailing ``,`` ``.`` or ``;``.
2. The LALR grammar (``grammar.lark``, conflict-free) builds a tree: relations, comma lists, signed sums,
   terms kept as flat sequences of items, items with their scripts.
3. :class:`_Reader` turns the tree into SymPy objects with the declared :class:`~.source.Notation`:
   names and their scripts, indices, powers, calls, big operators and their scope, expectations,
   derivatives. Objects are built directly (``sp.Symbol``, ``sp.Rational(p, q)``, ``sp.Add``...), never
   from a string.

The conventions (what is a name, an index, a power, a call; the scope of ``\sum``) are listed in the
docstring of :func:`parse_row`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sympy as sp
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lark import PostLex

from ..expectation import Cov, E, Var
from . import macros as M
from .source import RELATIONS, Notation, Row

__all__ = ["ParseError", "Norm", "Inner", "canonical_name", "parse_row", "parse_expression", "parse_relation",
           "MAX_ROW", "MAX_DEPTH", "MAX_EXPONENT", "MAX_NUMBER_DIGITS"]

MAX_ROW = 20_000          # characters in one row
MAX_DEPTH = 200           # nested groups (braces, brackets, bars, \left..\right) and nested big operators
MAX_EXPONENT = 10_000     # |numeric exponent| allowed
MAX_DIGITS = 1_000        # digits in one number as written
MAX_NUMBER_DIGITS = 4_000  # bound on the digits of any number SymPy may compute from a product or power (and
                           # below Python's 4300-digit limit on printing an int)


class ParseError(Exception):
    """A row that cannot be read. ``message`` is one line naming the construct; ``column`` is the 1-based
    offset in the row text where the problem is (None when it is not one place)."""

    def __init__(self, message: str, column: int | None):
        message = " ".join(str(message).split())
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return self.message


def _vector_sum(parts: list, err, node):
    """``(a, b) - 0.1 (c, d)``: vectors of one length add entrywise; a vector plus a number is an error."""
    shapes = {v.shape for v in parts if isinstance(v, sp.MatrixBase)}
    if len(shapes) > 1 or any(not isinstance(v, sp.MatrixBase) for v in parts):
        raise err("a sum of vectors of different lengths, or of a vector and a number", node)
    total = parts[0]
    for v in parts[1:]:
        total = total + v
    return total


class Norm(sp.Function):
    r"""``\|x\|``: a norm, kept unevaluated; known to be nonnegative."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        # at a number (a counterexample point values every symbol as a number) the norm is the absolute value:
        # the one-dimensional instance of the statement
        if x.is_number and x.is_extended_real:
            return sp.Abs(x)
        return None

    def _eval_is_extended_real(self):
        return True

    def _eval_is_extended_nonnegative(self):
        return True

    def _eval_is_finite(self):
        return self.args[0].is_finite

    def _latex(self, printer, exp=None):
        out = r"\left\|%s\right\|" % printer._print(self.args[0])
        return out if exp is None else "%s^{%s}" % (out, exp)


class Inner(sp.Function):
    r"""``\langle a, b \rangle``: an inner product, kept unevaluated."""

    nargs = 2

    @classmethod
    def eval(cls, a, b):
        # at numbers: the one-dimensional inner product (see Norm.eval)
        if a.is_number and b.is_number and a.is_extended_real and b.is_extended_real:
            return a * b
        return None

    def _latex(self, printer, exp=None):
        out = r"\left\langle %s, %s\right\rangle" % (printer._print(self.args[0]), printer._print(self.args[1]))
        return out if exp is None else r"\left(%s\right)^{%s}" % (out, exp)


# ---------------------------------------------------------------------------------------------------
# The parser (built once)
# ---------------------------------------------------------------------------------------------------
_LEXICAL = ("CMD", "CSYM", "DBAR", "BAR", "AMP", "DOT", "SEMI", "COLON", "BANG", "TILDE")


class _KeepLexical(PostLex):
    """Only keeps the lexical terminals (used by the scanner, not by the grammar) in lark's lexer."""

    always_accept = _LEXICAL

    def process(self, stream):
        return stream


_PARSER: Lark | None = None


def _parser() -> Lark:
    global _PARSER
    if _PARSER is None:
        grammar = (Path(__file__).with_name("grammar.lark")).read_text(encoding="utf-8")
        parser = Lark(grammar, parser="lalr", lexer="basic", start="row", postlex=_KeepLexical(),
                      maybe_placeholders=False)
        if not hasattr(parser, "lexer"):
            # Lark.lex() builds a new lexer per call unless the instance has one: build it once
            try:
                parser.lexer = parser._build_lexer()
            except AttributeError:   # pragma: no cover - other lark versions: lex() builds its own
                pass
        _PARSER = parser
    return _PARSER


def _col(tok) -> int | None:
    pos = getattr(tok, "start_pos", None)
    return None if pos is None else pos + 1


def _new(type_: str, value: str, start: Token, end: Token | None = None) -> Token:
    end = end or start
    return Token(type_, value, start.start_pos, start.line, start.column, end.end_line, end.end_column,
                 end.end_pos)


def _slice(tok: Token, a: int, b: int | None, type_: str = None) -> Token:
    """The characters a:b of a token as a token of its own."""
    v = tok.value[a:b]
    s = tok.start_pos + a
    return Token(type_ or tok.type, v, s, tok.line, (tok.column or 1) + a, tok.end_line,
                 (tok.column or 1) + a + len(v), s + len(v))


# ---------------------------------------------------------------------------------------------------
# Step 1: the scanner
# ---------------------------------------------------------------------------------------------------
_TEXT_RE = re.compile(r"\\([A-Za-z]+)\s*\{([^{}\\]*)\}\Z")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")

# after these a bar closes (they end an operand); after anything else it opens
_OPERAND_END = {"NUMBER", "LETTER", "GREEK", "SYMCMD", "TEXT", "RPAR", "RBRACK", "RBRACE", "BAR_CLOSE",
                "NORM_CLOSE", "RANGLE", "PRIME", "PRIMECMD", "STARCMD", "TOPCMD", "EVAL_BAR"}
_OPENERS = {"LPAR": "(", "LBRACK": "[", "LBRACE": "{"}
_CLOSERS = {"RPAR": "(", "RBRACK": "[", "RBRACE": "{"}
_LEFT_TYPES = {"(": "LPAR", "[": "LBRACK", "\\{": "LPAR", "bar": "BAR_OPEN", "norm": "NORM_OPEN",
               "angle": "LANGLE", "dot": "LEFT_DOT"}
_RIGHT_TYPES = {"(": "RPAR", "[": "RBRACK", "\\{": "RPAR", "bar": "BAR_CLOSE", "norm": "NORM_CLOSE",
                "angle": "RANGLE"}


class _Scan:
    """State of one scan; see :func:`_scan`."""

    def __init__(self, text: str):
        self.text = text
        self.src = iter(_parser().lex(text))
        self.buf: list[Token] = []       # pushed-back tokens (LIFO)
        self.lex_error: ParseError | None = None
        self.out: list[Token] = []
        self.stack: list[tuple[str, Token, bool]] = []   # (kind, opening token, opened by \left)
        self.frames: list[list[int]] = []                # [depth, arguments still to come] after \frac
        self.remark_at: int | None = None

    # -- raw tokens ------------------------------------------------------------------------------
    def next(self) -> Token | None:
        if self.buf:
            return self.buf.pop()
        if self.lex_error is not None:
            raise self.lex_error
        try:
            return next(self.src, None)
        except UnexpectedCharacters as e:
            ch = self.text[e.pos_in_stream] if e.pos_in_stream < len(self.text) else "?"
            what = "comment %" if ch == "%" else f"character {ch!r}"
            self.lex_error = ParseError(f"unexpected {what}", e.pos_in_stream + 1)
            raise self.lex_error from None

    def peek_significant(self) -> Token | None | bool:
        """The next token that is not spacing (left in place); True when the lexer fails there."""
        pulled, found = [], None
        try:
            while True:
                tok = self.next()
                if tok is None:
                    break
                pulled.append(tok)
                if tok.type == "TILDE" or (tok.type in ("CMD", "CSYM") and
                                           (M.COMMANDS.get(tok.value) or ("",))[0] in ("SPACE", "QUAD")):
                    continue
                found = tok
                break
        except ParseError:
            found = True
        self.buf.extend(reversed(pulled))
        return found

    # -- emitted tokens --------------------------------------------------------------------------
    def operand_end(self) -> bool:
        if not self.out:
            return False
        last = self.out[-1]
        if last.type == "TIMES" and len(self.out) > 1 and self.out[-2].type == "SUP":
            return True                         # w^* ends an operand
        return last.type in _OPERAND_END

    def emit(self, tok: Token) -> None:
        depth = len(self.stack)
        if self.frames and self.frames[-1][0] == depth:
            frame = self.frames[-1]
            if tok.type in ("ACCENT", "FONT", "FRAC", "SQRT", "FUNC", "BIGOP", "LIM"):
                self.frames.pop()               # an argument that takes arguments: stop counting
            elif tok.type not in _CLOSERS and tok.type not in ("RANGLE", "BAR_CLOSE", "NORM_CLOSE"):
                frame[1] -= 1
                if frame[1] <= 0:
                    self.frames.pop()
        self.out.append(tok)
        if tok.type == "FRAC":
            self.frames.append([len(self.stack), 2])

    def push(self, kind: str, tok: Token, left: bool = False) -> None:
        self.stack.append((kind, tok, left))
        if len(self.stack) > MAX_DEPTH:
            raise ParseError(f"nesting deeper than {MAX_DEPTH}", _col(tok))

    def pop(self, kind: str, tok: Token, left: bool = False) -> None:
        if not self.stack:
            raise ParseError(f"unbalanced {tok.value}", _col(tok))
        k, opener, was_left = self.stack[-1]
        if k != kind or was_left != left:
            if was_left:
                raise ParseError(f"unbalanced {opener.value}", _col(opener))
            raise ParseError(f"unbalanced {tok.value}", _col(tok))
        self.stack.pop()
        if self.frames and self.frames[-1][0] > len(self.stack):
            self.frames.pop()

    def open_close(self, kind: str, tok: Token, forced: str | None) -> None:
        """``|`` (kind "bar") or ``\\|`` (kind "norm"): open or close."""
        top = self.stack[-1] if self.stack else None
        closes = top is not None and top[0] == kind and not top[2] and self.operand_end()
        if forced == "close" or (forced is None and closes):
            self.pop(kind, tok)
            self.emit(_new("BAR_CLOSE" if kind == "bar" else "NORM_CLOSE", tok.value, tok))
        else:
            self.emit(_new("BAR_OPEN" if kind == "bar" else "NORM_OPEN", tok.value, tok))
            self.push(kind, tok)

    # -- the pass ---------------------------------------------------------------------------------
    def run(self) -> tuple[list[Token], str]:
        forced: str | None = None
        while True:
            tok = self.next()
            if tok is None:
                break
            t = tok.type
            depth = len(self.stack)
            if t in ("CMD", "CSYM"):
                if tok.value in M.UNSUPPORTED:
                    raise ParseError(M.UNSUPPORTED[tok.value], _col(tok))
                entry = M.COMMANDS.get(tok.value)
                if entry is None:
                    if tok.value[1:] in M.TEXT_COMMANDS:
                        raise ParseError(f"{tok.value} needs a plain {{...}} argument", _col(tok))
                    raise ParseError(f"unknown command {tok.value}", _col(tok))
                kind = entry[0]
                if kind == "SPACE":
                    continue
                if kind == "QUAD":
                    if depth == 0 and self.out and self.peek_significant() is not None:
                        self.remark_at = tok.start_pos
                        break
                    continue
                if kind == "REMARK":
                    if depth == 0 and self.out:
                        self.remark_at = tok.start_pos
                        break
                    if entry[1] == "sim":
                        self.emit(_new("REL", tok.value, tok))
                        continue
                    raise ParseError(f"{tok.value} is not supported here", _col(tok))
                if kind in ("SIZE", "SIZE_L", "SIZE_R"):
                    forced = {"SIZE": None, "SIZE_L": "open", "SIZE_R": "close"}[kind]
                    continue
                if kind in ("LEFT", "RIGHT"):
                    self.left_right(tok, kind == "LEFT")
                    continue
                if kind == "BAR":
                    self.open_close("bar", tok, forced)
                elif kind == "BAR_OPEN" or kind == "BAR_CLOSE":
                    self.open_close("bar", tok, "open" if kind == "BAR_OPEN" else "close")
                elif kind == "NORM":
                    self.open_close("norm", tok, forced)
                elif kind in ("NORM_OPEN", "NORM_CLOSE"):
                    self.open_close("norm", tok, "open" if kind == "NORM_OPEN" else "close")
                elif kind == "LPAR":                  # \{
                    self.emit(_new("LPAR", tok.value, tok))
                    self.push("\\{", tok)
                elif kind == "RPAR":                  # \}
                    self.pop("\\{", tok)
                    self.emit(_new("RPAR", tok.value, tok))
                elif kind == "LANGLE":
                    self.emit(_new("LANGLE", tok.value, tok))
                    self.push("angle", tok)
                elif kind == "RANGLE":
                    self.pop("angle", tok)
                    self.emit(_new("RANGLE", tok.value, tok))
                else:
                    self.emit(_new(kind, tok.value, tok))
                forced = None
                continue
            forced_here, forced = forced, None
            if t == "TILDE":
                continue
            if t == "AMP":
                if depth == 0:
                    continue
                raise ParseError("alignment & inside a group", _col(tok))
            if t == "BAR":
                self.open_close("bar", tok, forced_here)
            elif t == "DBAR":
                top = self.stack[-1] if self.stack else None
                if forced_here is None and top is not None and top[0] == "bar" and not top[2] \
                        and self.operand_end():
                    self.buf.append(_slice(tok, 1, 2, "BAR"))      # |x||y|: close, then the second bar
                    self.open_close("bar", _slice(tok, 0, 1, "BAR"), None)
                else:
                    self.open_close("norm", tok, forced_here)
            elif t in _OPENERS:
                self.emit(tok)
                self.push(_OPENERS[t], tok)
            elif t in _CLOSERS:
                self.pop(_CLOSERS[t], tok)
                self.emit(tok)
            elif t == "TEXT":
                if self.prose_remark(tok, depth):
                    self.remark_at = tok.start_pos
                    break
                self.emit(tok)
            elif t == "NUMBER":
                self.number(tok)
            else:
                self.emit(tok)
        if self.stack:
            kind, opener, _ = self.stack[-1]
            raise ParseError(f"unbalanced {opener.value}", _col(opener))
        while self.out and self.out[-1].type in ("COMMA", "DOT", "SEMI"):
            self.out.pop()
        remark = self.text[self.remark_at:].strip() if self.remark_at is not None else ""
        return self.out, remark

    def number(self, tok: Token) -> None:
        digits = tok.value.replace(".", "")
        if len(digits) > MAX_DIGITS:
            raise ParseError(f"number longer than {MAX_DIGITS} digits", _col(tok))
        after_script = bool(self.out) and self.out[-1].type in ("SUB", "SUP")
        in_frac = bool(self.frames) and self.frames[-1][0] == len(self.stack)
        if len(tok.value) > 1 and (after_script or in_frac):
            rest = tok.value[1:]
            if rest.startswith("."):
                where = "^" if after_script and self.out[-1].type == "SUP" else "_" if after_script else "\\frac"
                raise ParseError(f"a number after {where} takes one digit: write {{{tok.value}}}", _col(tok))
            self.buf.append(_slice(tok, 1, None))
            self.emit(_slice(tok, 0, 1))
            return
        self.emit(tok)

    def prose_remark(self, tok: Token, depth: int) -> bool:
        """Whether a top-level ``\\text{..}`` starts the remark (see :func:`parse_row`)."""
        m = _TEXT_RE.match(tok.value)
        if m is None or m.group(1) not in M.PROSE_COMMANDS or depth != 0 or not self.out:
            return False
        if _WORD.match(m.group(2)):
            if not self.operand_end():
                return False                    # = \text{sign}(w): a name where an operand must come
            nxt = self.peek_significant()
            if isinstance(nxt, Token) and (nxt.type == "LPAR" or nxt.value == "\\left"):
                return False                    # 75 \text{sign}(w): a name applied to an argument
        return True

    def left_right(self, tok: Token, left: bool) -> None:
        d = self.next()
        while d is not None and (d.type == "TILDE" or (d.type in ("CMD", "CSYM") and
                                                       (M.COMMANDS.get(d.value) or ("",))[0] == "SPACE")):
            d = self.next()
        table = M.LEFT_DELIMITERS if left else M.RIGHT_DELIMITERS
        if d is None or d.value not in table:
            raise ParseError(f"{tok.value} must be followed by a delimiter", _col(tok))
        kind = table[d.value]
        merged = _new("X", tok.value + d.value, tok, d)
        if left:
            self.emit(_new(_LEFT_TYPES[kind], merged.value, merged))
            self.push(kind, merged, left=True)
            return
        if kind == "dot":
            raise ParseError("\\right. is not supported", _col(tok))
        top = self.stack[-1] if self.stack else None
        if kind == "bar" and top is not None and top[0] == "dot" and top[2]:
            self.stack.pop()
            self.emit(_new("EVAL_BAR", merged.value, merged))
            return
        self.pop(kind, merged, left=True)
        self.emit(_new(_RIGHT_TYPES[kind], merged.value, merged))


def _scan(text: str) -> tuple[list[Token], str]:
    """The tokens the grammar reads, and the remark cut off the end of the row (verbatim, stripped)."""
    return _Scan(text).run()


def _tree(tokens: list[Token], text: str) -> Tree:
    if not tokens:
        raise ParseError("no maths to read", 1)
    ip = _parser().parse_interactive()
    try:
        for tok in tokens:
            ip.feed_token(tok)
        return ip.feed_eof(tokens[-1])
    except UnexpectedToken as e:
        tok = e.token
        if tok.type == "$END":
            raise ParseError("unexpected end of the row", max(len(text.rstrip()), 1)) from None
        what = {"REL": "relation", "COMMA": "','", "DOT": "'.'", "SEMI": "';'", "COLON": "':'",
                "BANG": "'!'"}.get(tok.type)
        what = f"relation {tok.value}" if what == "relation" else what or tok.value
        raise ParseError(f"unexpected {what}", _col(tok)) from None
    except UnexpectedInput as e:   # pragma: no cover - the scanner feeds tokens only
        raise ParseError(f"cannot read the row: {type(e).__name__}", None) from None


# ---------------------------------------------------------------------------------------------------
# Step 3: tree -> SymPy
# ---------------------------------------------------------------------------------------------------
def _is(node, *names) -> bool:
    return isinstance(node, Tree) and node.data in names


def _tok(node, *types) -> bool:
    return isinstance(node, Token) and node.type in types


def _first(node) -> Token:
    while isinstance(node, Tree):
        node = node.children[0]
    return node


def _last(node) -> Token:
    while isinstance(node, Tree):
        node = node.children[-1]
    return node


def _item(node):
    """(atom, scripts) of an item."""
    if _is(node, "item"):
        return node.children[0], node.children[1:]
    return node, []


def _term(node) -> list:
    """A term as [(op, item)], op None (side by side) or the TIMES/DIV token."""
    if _is(node, "term"):
        out, op = [], None
        for ch in node.children:
            if _tok(ch, "TIMES", "DIV"):
                op = ch
            else:
                out.append((op, ch))
                op = None
        return out
    return [(None, node)]


def _list(node) -> list:
    if _is(node, "list"):
        return [c for c in node.children if not _tok(c, "COMMA")]
    return [node]


def _chain(node):
    """(lists, relation tokens) of a relation chain."""
    if _is(node, "relchain"):
        return ([c for c in node.children if not _tok(c, "REL")],
                [c for c in node.children if _tok(c, "REL")])
    return [node], []


def _content(arg):
    """What a script or command argument holds: the inside of a {group}, or the single token."""
    if _is(arg, "group"):
        return arg.children[1]
    return arg


def _join(parts) -> str:
    out = ""
    for p in parts:
        if out and p and p[0].isalpha() and re.search(r"\\[A-Za-z]+\Z", out):
            out += " "
        out += p
    return out


def _rel_name(tok: Token) -> str:
    if tok.value in M.RELATION_CHARS:
        return M.RELATION_CHARS[tok.value]
    entry = M.COMMANDS.get(tok.value)
    return entry[1] if entry else tok.value


def _log10(e) -> float | None:
    """log10 |e| for a number built by the reader (upper bound for sums); -inf for 0; None if unknown."""
    try:
        if e.is_Integer:
            return -math.inf if e == 0 else math.log10(abs(int(e)))
        if e.is_Rational:
            return math.log10(abs(e.p)) - math.log10(e.q) if e.p else -math.inf
        if e.is_Float or isinstance(e, sp.NumberSymbol):
            v = abs(float(e))
            return -math.inf if v == 0 else math.log10(v)
        if e.is_Pow:
            lb, x = _log10(e.base), _value(e.exp)
            if lb is None or x is None:
                return None
            if lb == -math.inf:
                return -math.inf if x > 0 else math.inf
            return x * lb if math.isfinite(x) else (math.inf if (x > 0) == (lb > 0) and lb != 0 else 0.0)
        if e.is_Mul:
            parts = [_log10(a) for a in e.args]
            return None if None in parts else sum(parts)
        if e.is_Add:
            parts = [_log10(a) for a in e.args]
            return None if None in parts else max(parts) + math.log10(len(parts))
        if isinstance(e, sp.exp):
            x = _value(e.args[0])
            return None if x is None else x * math.log10(math.e)
        if isinstance(e, (sp.Abs, Norm)):
            return _log10(e.args[0])
        if all((_log10(a) or 0.0) < 6 for a in e.args) and all(_log10(a) is not None for a in e.args):
            v = abs(complex(e.evalf(15)))
            return -math.inf if v == 0 else math.log10(v)
    except (OverflowError, ValueError, TypeError, ZeroDivisionError):
        return math.inf
    return None


def _value(e) -> float | None:
    """A float for a number built by the reader (inf when huge), None if unknown."""
    lg = _log10(e)
    if lg is None:
        return None
    if lg > 300:
        sign = 1.0
        try:
            sign = -1.0 if e.is_negative else 1.0
        except Exception:  # noqa: BLE001 - the sign is only a refinement
            pass
        return math.copysign(math.inf, sign)
    try:
        return float(e.evalf(17))
    except (TypeError, ValueError, OverflowError):
        return None


@lru_cache(maxsize=4096)
def _digits(e) -> float:
    """An upper bound on log10 of the numbers SymPy may compute when it combines ``e`` with others
    (products merge numeric powers, powers of products distribute): 0 for symbols."""
    if e.is_Number:
        if e.is_Rational:
            return max(math.log10(abs(e.p)) if e.p else 0.0, math.log10(e.q))
        return 0.0 if not e.is_finite else 17.0
    if not e.args:
        return 0.0
    if e.is_Pow:
        bd, xd = _digits(e.base), _digits(e.exp)
        if e.exp.is_number and bd > 0:
            v = _value(e.exp)
            return math.inf if v is None or not math.isfinite(v) else abs(v) * bd + xd
        return bd + xd
    parts = [_digits(a) for a in e.args]
    if e.is_Mul:
        return sum(parts)
    if e.is_Add:
        return max(parts) + math.log10(len(parts))
    return max(parts)


@dataclass
class _Name:
    name: str        # canonical name, without index scripts and without a power
    indices: list    # index expressions, subscript first
    power: Any       # the superscript argument read as a power, or None
    node: Any        # the atom, for error columns


class _Reader:
    """Turns one row's tree into SymPy objects with the declared notation (see :func:`parse_row`)."""

    def __init__(self, text: str, notation: Notation):
        self.text = text
        self.n = notation
        self.notes: list[str] = []
        self.ops = 0          # big operators currently open (nesting bound)

    # -- errors and source ------------------------------------------------------------------------
    def err(self, message: str, node) -> ParseError:
        return ParseError(message, _col(_first(node)) if node is not None else None)

    def raw(self, node) -> str:
        return " ".join(self.text[_first(node).start_pos:_last(node).end_pos].split())

    # -- symbols ----------------------------------------------------------------------------------
    def assumptions(self, name: str) -> dict:
        a = {"real": True}
        a.update(self.n.assumptions(name))
        return a

    def symbol(self, name: str, scope: dict):
        if name in scope:
            return scope[name]
        return sp.Symbol(name, **self.assumptions(name))

    # -- canonical text ---------------------------------------------------------------------------
    def text_kind(self, tok: Token) -> tuple[str, str]:
        r"""What a TEXT token is: ("E"|"Var"|"Cov"|"d", "") or ("name", canonical name)."""
        m = _TEXT_RE.match(tok.value)
        cmd, content = m.group(1), m.group(2).strip()
        if content in ("E", "Var", "Cov") and cmd in ("mathrm", "operatorname", "text", "textrm"):
            return content, ""
        if content == "d" and cmd in ("mathrm", "operatorname"):
            return "d", ""
        if cmd == "mathrm" and len(content) == 1 and content.isalpha():
            return "name", "\\mathrm{%s}" % content
        if _WORD.match(content):
            return "name", content
        raise self.err(f"text {tok.value} inside maths is not supported", tok)

    def base(self, atom) -> str | None:
        """The canonical name of a name-like atom (letter, Greek, font or accent on a name, word), else None."""
        if isinstance(atom, Token):
            if atom.type in ("LETTER", "GREEK"):
                return atom.value
            if atom.type == "TEXT":
                kind, name = self.text_kind(atom)
                return name if kind == "name" else None
            return None
        if _is(atom, "accent"):
            inner = _content(atom.children[1])
            if not self.nameish(inner):
                raise self.err(f"{atom.children[0].value} on an expression is not supported", atom)
            return "%s{%s}" % (M.ACCENTS[atom.children[0].value], self.render(inner))
        if _is(atom, "font"):
            font = M.FONTS[atom.children[0].value]
            inner = _content(atom.children[1])
            if not (_tok(inner, "LETTER", "GREEK") or (_is(inner, "term") and
                                                        all(op is None and _tok(i, "LETTER", "GREEK")
                                                            for op, i in _term(inner)))):
                raise self.err(f"{atom.children[0].value} on an expression is not supported", atom)
            text = self.render(inner)
            return text if font == "\\mathit" else "%s{%s}" % (font, text)
        return None

    def nameish(self, node) -> bool:
        items = _term(node) if not _is(node, "expr", "list", "relchain") else None
        if not items or any(op is not None for op, _ in items):
            return False
        if len(items) == 2:
            a0, s0 = _item(items[0][1])
            return _tok(a0, "GREEK") and a0.value == "\\Delta" and not s0 and \
                self.base(_item(items[1][1])[0]) is not None
        return len(items) == 1 and self.base(_item(items[0][1])[0]) is not None

    def render(self, node) -> str:
        """Canonical text of a piece of maths (used in names: subscripts, accents, fonts)."""
        if isinstance(node, Token):
            t, v = node.type, node.value
            if t == "TEXT":
                kind, name = self.text_kind(node)
                return name if kind == "name" else {"d": "\\mathrm{d}"}.get(kind, "\\operatorname{%s}" % kind)
            if t == "PRIMECMD":
                return "'"
            if t == "STARCMD":
                return "*"
            if t == "TOPCMD":
                return "\\top"
            if t in ("LPAR", "RPAR", "LBRACK", "RBRACK"):
                v = v.replace("\\left", "").replace("\\right", "")
                return v
            if t in ("BAR_OPEN", "BAR_CLOSE", "EVAL_BAR"):
                return "|"
            if t in ("NORM_OPEN", "NORM_CLOSE"):
                return "\\|"
            if t in ("FRAC",):
                return "\\frac"
            if t == "ACCENT":
                return M.ACCENTS[v]
            if t == "FONT":
                return M.FONTS[v]
            return v
        d = node.data
        if d == "item":
            atom, scripts = _item(node)
            return self.render_item(self.render(atom), scripts)
        if d == "accent":
            return "%s{%s}" % (M.ACCENTS[node.children[0].value], self.render(_content(node.children[1])))
        if d == "font":
            font = M.FONTS[node.children[0].value]
            inner = self.render(_content(node.children[1]))
            return inner if font == "\\mathit" else "%s{%s}" % (font, inner)
        if d == "group":
            return self.render(node.children[1])
        if d == "frac":
            return "\\frac{%s}{%s}" % (self.render(_content(node.children[1])),
                                       self.render(_content(node.children[2])))
        if d == "sqrt":
            inner = self.render(_content(node.children[-1]))
            if len(node.children) == 5:
                return "\\sqrt[%s]{%s}" % (self.render(node.children[2]), inner)
            return "\\sqrt{%s}" % inner
        return _join(self.render(c) for c in node.children)

    def split_scripts(self, scripts, node):
        """(primes, subscript arg, superscript arg) of an item; ^{\\prime} counts as a prime."""
        primes, sub, sup = 0, None, None
        for s in scripts:
            if s.data == "prime":
                primes += 1
            elif s.data == "sub":
                if sub is not None:
                    raise self.err("double subscript", s)
                sub = s.children[1]
            else:
                n = self.prime_count(s.children[1])
                if n:
                    primes += n
                    continue
                if sup is not None:
                    raise self.err("double superscript", s)
                sup = s.children[1]
        return primes, sub, sup

    def prime_count(self, arg) -> int:
        c = _content(arg)
        items = _term(c) if not _is(c, "expr", "list", "relchain") else []
        if items and all(op is None and _tok(i, "PRIMECMD") for op, i in items):
            return len(items)
        return 0

    def sup_kind(self, arg) -> str | None:
        """"star" (^*), "top" (^\\top, ^T), "paren" (^{(t)}) or None."""
        c = _content(arg)
        if _tok(c, "STARCMD") or (_tok(c, "TIMES") and c.value == "*"):
            return "star"
        if _tok(c, "TOPCMD") or (_tok(c, "LETTER") and c.value == "T"):
            return "top"
        if _is(c, "font") and _tok(_content(c.children[1]), "LETTER") and _content(c.children[1]).value == "T":
            return "top"
        if _tok(c, "TEXT") and _TEXT_RE.match(c.value).group(2).strip() == "T":
            return "top"
        if _is(c, "paren"):
            return "paren"
        return None

    def sup_text(self, arg) -> str:
        kind = self.sup_kind(arg)
        return {"star": "*", "top": "\\top"}.get(kind) or self.render(_content(arg))

    def render_item(self, base: str, scripts) -> str:
        primes, sub, sup = self.split_scripts(scripts, None)
        out = base + "'" * primes
        if sub is not None:
            out += "_{%s}" % self.render(_content(sub))
        if sup is not None:
            out += "^{%s}" % self.sup_text(sup)
        return out

    # -- names, indices ---------------------------------------------------------------------------
    def names_in(self, node, out: set) -> set:
        if isinstance(node, Token):
            if node.type in ("LETTER", "GREEK"):
                out.add(node.value)
            return out
        if _is(node, "item"):
            atom, scripts = _item(node)
            try:
                b = self.base(atom)
            except ParseError:
                b = None
            if b is not None:
                primes = sum(1 for s in scripts if s.data == "prime")
                out.add(b + "'" * primes)
        for c in node.children:
            self.names_in(c, out)
        return out

    def mentions_bound(self, arg, scope: dict) -> bool:
        return bool(scope) and any(n in scope for n in self.names_in(_content(arg), set()))

    def indices(self, arg, scope: dict) -> list:
        c = _content(arg)
        lists, rels = _chain(c)
        if rels:
            raise self.err("relation inside an index", rels[0])
        out = []
        for e in _list(c):
            items = _term(e) if _is(e, "term") else None
            if items and len(items) > 1 and all(op is None and _tok(i, "LETTER") for op, i in items):
                out.extend(self.symbol(i.value, scope) for _, i in items)     # w_{ij}: two indices
            else:
                out.append(self.value(e, scope))
        return out

    def item_name(self, base: str, atom, scripts, scope: dict) -> _Name:
        primes, sub, sup = self.split_scripts(scripts, atom)
        name = base + "'" * primes
        stem = name
        indices, power = [], None
        if sub is not None:
            if stem in self.n.sub_indexed or self.mentions_bound(sub, scope):
                indices.extend(self.indices(sub, scope))
            else:
                name += "_{%s}" % self.render(_content(sub))
        if sup is not None:
            kind = self.sup_kind(sup)
            if kind is not None or stem in self.n.labelled or name in self.n.labelled:
                name += "^{%s}" % self.sup_text(sup)
            elif stem in self.n.sup_indexed or name in self.n.sup_indexed:
                indices.extend(self.indices(sup, scope))
            else:
                power = sup
        return _Name(name, indices, power, atom)

    def name_value(self, nm: _Name, scope: dict):
        if nm.name in scope:
            if nm.indices:
                raise self.err(f"{nm.name} is a summation index and cannot be indexed", nm.node)
            val = scope[nm.name]
        elif nm.indices:
            val = sp.Indexed(sp.IndexedBase(nm.name, **self.assumptions(nm.name)), *nm.indices)
        else:
            val = sp.Symbol(nm.name, **self.assumptions(nm.name))
        if nm.power is not None:
            val = self.power(val, nm.power, scope)
        return val

    # -- numbers and powers -----------------------------------------------------------------------
    def number(self, tok: Token):
        v = tok.value
        if "." in v:
            whole, frac = v.split(".")
            return sp.Rational(int(whole + frac), 10 ** len(frac))
        return sp.Integer(int(v))

    def power(self, base, arg, scope: dict):
        exp = self.value(_content(arg), scope)
        if exp.is_number:
            lg = _log10(exp)
            if lg is None or lg > math.log10(MAX_EXPONENT):
                raise self.err("exponent too large", arg)
            if _digits(sp.Pow(base, exp, evaluate=False)) > MAX_NUMBER_DIGITS:
                raise self.err("exponent too large", arg)
            if base.is_number:
                return sp.Pow(base, exp, evaluate=False)
        return sp.Pow(base, exp)

    def scripted(self, val, scripts, node, scope: dict):
        """Scripts on something that is not a name: only a power is allowed."""
        for s in scripts:
            if s.data == "prime" or (s.data == "sup" and self.prime_count(s.children[1])):
                raise self.err("a prime on an expression is not supported", s)
            if s.data == "sub":
                raise self.err("a subscript on an expression is not supported", s)
            kind = self.sup_kind(s.children[1])
            if kind == "top":
                raise self.err("transpose of an expression is not supported", s)
            if kind == "star":
                raise self.err("^* on an expression is not supported", s)
            val = self.power(val, s.children[1], scope)
        return val

    # -- expressions ------------------------------------------------------------------------------
    def value(self, node, scope: dict):
        if _is(node, "relchain"):
            rel = _chain(node)[1][0]
            raise self.err(f"relation {rel.value} inside a group is not supported", rel)
        if _is(node, "list"):
            raise self.err(f"tuple ({self.raw(node)}) is not supported", node)
        if _is(node, "expr"):
            parts, sign = [], 1
            for ch in node.children:
                if _tok(ch, "PLUS", "MINUS"):
                    sign = -1 if ch.type == "MINUS" else 1
                    continue
                v = self.value(ch, scope)
                parts.append(-v if sign < 0 else v)
                sign = 1
            if any(isinstance(v, sp.MatrixBase) for v in parts):
                return _vector_sum(parts, self.err, node)
            return sp.Add(*parts)
        return self.term(_term(node), scope)

    def term(self, items: list, scope: dict):
        factors = []
        i = 0
        while i < len(items):
            op, node = items[i]
            if i == 0 and op is not None and op.type == "DIV":
                raise self.err("'/' with nothing before it", op)
            if i > 0 and op is None and _tok(_item(node)[0], "NUMBER") \
                    and _tok(_item(items[i - 1][1])[0], "NUMBER"):
                raise self.err("two numbers side by side", node)
            val, used = self.operand(items, i, scope)
            if isinstance(val, sp.MatrixBase) and op is not None and op.type == "DIV" and i > 0:
                raise self.err("division by a vector", node)
            factors.append(sp.Pow(val, -1) if (op is not None and op.type == "DIV" and i > 0) else val)
            i += used
        vectors = [v for v in factors if isinstance(v, sp.MatrixBase)]
        if vectors:
            if len(vectors) > 1:
                raise self.err("a product of two vectors (write the inner product as \\langle a, b \\rangle)",
                               items[0][1])
            scalar = sp.Mul(*[v for v in factors if not isinstance(v, sp.MatrixBase)])
            return vectors[0] * scalar
        if len(factors) > 1 and sum(_digits(v) for v in factors) > MAX_NUMBER_DIGITS:
            raise self.err("number too large", items[0][1])
        return sp.Mul(*factors)

    def rest(self, items: list, j: int, scope: dict, node, what: str):
        if j >= len(items):
            raise self.err(f"{what} has nothing to apply to", node)
        self.ops += 1
        if self.ops > MAX_DEPTH:
            raise self.err(f"nesting deeper than {MAX_DEPTH}", node)
        try:
            return self.term(items[j:], scope)
        finally:
            self.ops -= 1

    def next_group(self, items, j, *kinds):
        """The atom and scripts of item j when it is one of ``kinds`` written right after (no operator)."""
        if j < len(items) and items[j][0] is None:
            atom, scripts = _item(items[j][1])
            if _is(atom, *kinds):
                return atom, scripts
        return None

    def args(self, atom, scope: dict) -> list:
        c = atom.children[1]
        lists, rels = _chain(c)
        if rels:
            raise self.err(f"relation {rels[0].value} inside a group is not supported", rels[0])
        return [self.value(e, scope) for e in _list(c)]

    def operand(self, items: list, i: int, scope: dict):
        """The value of item i and how many items it used (a big operator uses the rest of the term)."""
        op, node = items[i]
        atom, scripts = _item(node)
        if isinstance(atom, Token):
            t = atom.type
            if t == "NUMBER":
                return self.scripted(self.number(atom), scripts, atom, scope), 1
            if t == "SYMCMD":
                return self.scripted(sp.oo, scripts, atom, scope), 1
            if t == "BIGOP":
                return self.bigop(atom, scripts, items, i, scope), len(items) - i
            if t == "LIM":
                return self.limit(atom, scripts, items, i, scope), len(items) - i
            if t == "FUNC":
                return self.func(atom, scripts, items, i, scope)
            if t in ("PARTIAL", "NABLA"):
                return self.differential(atom, scripts, items, i, scope), len(items) - i
            if t in ("PRIMECMD", "STARCMD", "TOPCMD"):
                raise self.err(f"{atom.value} outside a superscript", atom)
            if t == "GREEK" and atom.value == "\\pi" and not scripts:
                return sp.pi, 1
            if t == "TEXT":
                kind, _ = self.text_kind(atom)
                if kind in ("Var", "Cov"):
                    return self.variance(kind, atom, scripts, items, i, scope)
                if kind == "d":
                    raise self.err("the differential \\mathrm{d} outside a derivative is not supported", atom)
        if self.is_expectation(atom, scripts, items, i):
            return self.expectation(atom, scripts, items, i, scope)
        base = self.base(atom)
        if base is not None:
            used = 1
            if base == "\\Delta" and not scripts and i + 1 < len(items) and items[i + 1][0] is None:
                a2, s2 = _item(items[i + 1][1])
                b2 = self.base(a2)
                if b2 is not None and not self.is_expectation(a2, s2, items, i + 1):
                    base, atom, scripts, used = _join(["\\Delta", b2]), a2, s2, 2
            nm = self.item_name(base, atom, scripts, scope)
            j = i + used
            nxt = self.next_group(items, j, "bracket")
            if nm.power is not None and nxt is not None and self.index_like(nxt[0]):
                raise self.err(f"{self.raw(node)}{self.raw(nxt[0])}: a power cannot be indexed "
                               f"(declare {nm.name} labelled if the superscript is a label)", nxt[0])
            if nm.power is None:
                nxt = self.next_group(items, j, "paren", "bracket")
                if nxt is not None:
                    g, gs = nxt
                    callable_ = not nm.indices and nm.name in self.n.functions and nm.name not in scope
                    if g.data == "bracket" and self.index_like(g):
                        nm.indices.extend(self.args(g, scope))
                        return self.scripted(self.name_value(nm, scope), gs, g, scope), used + 1
                    if callable_:
                        val = sp.Function(nm.name)(*self.args(g, scope))
                        return self.scripted(val, gs, g, scope), used + 1
            return self.name_value(nm, scope), used
        if _is(atom, "frac"):
            return self.frac(atom, scripts, items, i, scope)
        if _is(atom, "sqrt"):
            inner = self.value(_content(atom.children[-1]), scope)
            if len(atom.children) == 5:
                val = sp.root(inner, self.value(atom.children[2], scope))
            else:
                val = sp.sqrt(inner)
            return self.scripted(val, scripts, atom, scope), 1
        if _is(atom, "paren", "bracket", "group"):
            return self.scripted(self.group(atom, scope), scripts, atom, scope), 1
        if _is(atom, "abs"):
            return self.scripted(sp.Abs(self.group(atom, scope)), scripts, atom, scope), 1
        if _is(atom, "norm"):
            return self.scripted(Norm(self.group(atom, scope)), scripts, atom, scope), 1
        if _is(atom, "angle"):
            args = self.args(atom, scope)
            if len(args) == 1:
                # <g> is an average (a name of its own, as physicists and the handouts write it), not an inner product
                name = "\\langle %s \\rangle" % sp.latex(args[0])
                self.notes.append(f"{self.raw(atom)} read as the name {name} (an average)")
                return self.scripted(self.symbol(name, scope), scripts, atom, scope), 1
            if len(args) != 2:
                raise self.err(f"\\langle ... \\rangle with {len(args)} argument(s) is not supported "
                               "(an inner product has two)", atom)
            return self.scripted(Inner(*args), scripts, atom, scope), 1
        if _is(atom, "evaluated"):
            return self.evaluated(atom, scripts, scope), 1
        raise self.err(f"cannot read {self.raw(atom)}", atom)

    def group(self, atom, scope: dict):
        c = atom.children[1]
        lists, rels = _chain(c)
        if rels:
            raise self.err(f"relation {rels[0].value} inside {self.render(atom.children[0])}"
                           f"{self.render(atom.children[-1])} is not supported", rels[0])
        if _is(c, "list"):
            if self.render(atom.children[0]) not in ("(", "\\left(", "[", "\\left["):
                raise self.err(f"tuple {self.raw(atom)} is not supported", atom)
            entries = [self.value(x, scope) for x in c.children if not _tok(x, "COMMA")]
            if any(isinstance(e, sp.MatrixBase) for e in entries):
                raise self.err(f"a vector of vectors {self.raw(atom)} is not supported", atom)
            return sp.ImmutableMatrix([[e] for e in entries])     # (a, b): a column vector
        return self.value(c, scope)

    def index_like(self, atom) -> bool:
        """Whether a bracket after a name holds indices (i; b, j; t+1; 2i), not an expression."""
        c = atom.children[1]
        if _is(c, "relchain"):
            return False

        def simple(node) -> bool:
            a, s = _item(node)
            if _tok(a, "NUMBER") and not s:
                return True
            return self.base(a) is not None and all(x.data in ("sub", "prime") for x in s)

        for e in _list(c):
            terms = [ch for ch in e.children if not _tok(ch, "PLUS", "MINUS")] if _is(e, "expr") else [e]
            for t in terms:
                if not all(op is None and simple(n) for op, n in _term(t)):
                    return False
        return True

    # -- operators --------------------------------------------------------------------------------
    def is_expectation(self, atom, scripts, items, i) -> bool:
        if _is(atom, "font") and M.FONTS[atom.children[0].value] == "\\mathbb" \
                and _tok(_content(atom.children[1]), "LETTER") and _content(atom.children[1]).value == "E":
            return True
        if _tok(atom, "TEXT"):
            return self.text_kind(atom)[0] == "E"
        if _tok(atom, "LETTER") and atom.value == "E":
            return (any(s.data == "sub" for s in scripts) or "E" in self.n.functions
                    or self.next_group(items, i + 1, "bracket") is not None)
        return False

    def operator_scripts(self, atom, scripts, what: str):
        """The subscript of E/Var (dropped, with a note); anything else is an error."""
        sub = None
        for s in scripts:
            if s.data != "sub" or sub is not None:
                raise self.err(f"{what} with a superscript or prime is not supported", s)
            sub = s.children[1]
        if sub is not None:
            self.notes.append(f"{self.raw(atom)}_{{{self.raw(_content(sub))}}} read as {what}[...]")

    def expectation(self, atom, scripts, items, i, scope):
        self.operator_scripts(atom, scripts, "E")
        nxt = self.next_group(items, i + 1, "bracket")
        if nxt is not None:
            g, gs = nxt
            args = self.args(g, scope)
            if len(args) != 1:
                raise self.err("E[...] takes one argument", g)
            return self.scripted(E(args[0]), gs, g, scope), 2
        return E(self.rest(items, i + 1, scope, atom, "E")), len(items) - i

    def variance(self, kind, atom, scripts, items, i, scope):
        self.operator_scripts(atom, scripts, kind)
        nxt = self.next_group(items, i + 1, "paren", "bracket")
        if nxt is not None:
            g, gs = nxt
            args = self.args(g, scope)
            need = 1 if kind == "Var" else 2
            if len(args) != need:
                raise self.err(f"{kind} takes {need} argument(s)", g)
            return self.scripted((Var if kind == "Var" else Cov)(*args), gs, g, scope), 2
        if kind == "Cov":
            raise self.err("Cov needs its arguments in brackets: Cov(X, Y)", atom)
        return Var(self.rest(items, i + 1, scope, atom, "Var")), len(items) - i

    def func(self, atom, scripts, items, i, scope):
        name = M.FUNCTIONS[atom.value]
        primes, sub, sup = self.split_scripts(scripts, atom)
        if primes:
            raise self.err(f"{atom.value}' is not supported", atom)
        if name in ("Min", "Max"):
            if sub is not None:
                raise self.err(f"{atom.value}_{{...}} (an optimisation) is not supported", atom)
            nxt = self.next_group(items, i + 1, "paren", "bracket")
            if nxt is None:
                raise self.err(f"{atom.value} needs its arguments in brackets", atom)
            g, gs = nxt
            val = getattr(sp, name)(*self.args(g, scope))
            val = self.scripted(val, gs, g, scope)
            return (self.power(val, sup, scope) if sup is not None else val), 2
        if sub is not None and name != "log":
            raise self.err(f"a subscript on {atom.value} is not supported", sub)
        if sup is not None:
            e = _content(sup)
            if _is(e, "expr") and len(e.children) == 2 and _tok(e.children[0], "MINUS") \
                    and _tok(e.children[1], "NUMBER") and e.children[1].value == "1":
                raise self.err(f"{atom.value}^{{-1}} is ambiguous (inverse or reciprocal)", sup)
        nxt = self.next_group(items, i + 1, "paren", "bracket")
        if nxt is not None:
            g, gs = nxt
            args, used = self.args(g, scope), 2
        elif i + 1 < len(items) and items[i + 1][0] is None:
            g, gs = None, []
            arg, n = self.operand(items, i + 1, scope)
            args, used = [arg], 1 + n
        else:
            raise self.err(f"{atom.value} needs an argument", atom)
        if len(args) != 1:
            raise self.err(f"{atom.value} takes one argument", g)
        if name == "log" and sub is not None:
            val = sp.log(args[0], self.value(_content(sub), scope))
        else:
            val = getattr(sp, name)(args[0])
        if g is not None:
            val = self.scripted(val, gs, g, scope)
        if sup is not None:
            val = self.power(val, sup, scope)
        return val, used

    def index_name(self, node) -> str | None:
        """The name of a summation index as written in ``\\sum_{...}`` (a plain name), else None."""
        items = _term(node) if not _is(node, "expr", "list", "relchain") else []
        if len(items) != 1:
            return None
        atom, scripts = _item(items[0][1])
        b = self.base(atom)
        if b is None or any(s.data == "sup" and not self.prime_count(s.children[1]) for s in scripts):
            return None
        return self.render_item(b, scripts)

    def bigop(self, atom, scripts, items, i, scope):
        primes, sub, sup = self.split_scripts(scripts, atom)
        what = "\\sum" if M.COMMANDS[atom.value][1] == "Sum" else "\\prod"
        if primes:
            raise self.err(f"{what}' is not supported", atom)
        if sub is None:
            raise self.err(f"{what} without an index is not supported", atom)
        limits = self.sum_limits(what, sub, sup, scope)
        inner = dict(scope)
        inner.update({s.name: s for s, _, _ in limits})
        body = self.rest(items, i + 1, inner, atom, what)
        cls = sp.Sum if what == "\\sum" else sp.Product
        return cls(body, *limits)

    def sum_limits(self, what, sub, sup, scope):
        c = _content(sub)
        lists, rels = _chain(c)
        raw = self.raw(c)

        def constraint():
            return self.err(f"summation constraint {what}_{{{raw}}} is not supported", c)

        def index(n):
            return sp.Symbol(n, integer=True)

        hi = self.value(_content(sup), scope) if sup is not None else None
        if not rels:
            names = [self.index_name(e) for e in _list(lists[0])]
            if None in names:
                raise constraint()
            if hi is not None:
                if len(names) != 1:
                    raise self.err(f"{what}_{{{raw}}}^{{...}} with several indices is not supported", c)
                return [(index(names[0]), sp.Integer(1), hi)]
            return [(index(n), sp.Integer(1), sp.Symbol(f"|{n}|", integer=True, positive=True)) for n in names]
        if any(_is(part, "list") for part in lists):
            raise constraint()
        ops = [_rel_name(r) for r in rels]
        if len(rels) == 1:
            lhs, rhs = lists
            n = self.index_name(lhs)
            if n is not None and ops[0] == "=":
                if hi is None:
                    raise self.err(f"{what}_{{{raw}}} without an upper limit is not supported", c)
                return [(index(n), self.value(rhs, scope), hi)]
            if n is not None and ops[0] in (">=", ">") and hi is None:
                lo = self.value(rhs, scope) + (1 if ops[0] == ">" else 0)
                return [(index(n), lo, sp.oo)]
            m = self.index_name(rhs)
            if m is not None and ops[0] in ("<=", "<") and hi is None:
                lo = self.value(lhs, scope) + (1 if ops[0] == "<" else 0)
                return [(index(m), lo, sp.oo)]
        if len(rels) == 2 and all(o in ("<=", "<") for o in ops) and hi is None:
            n = self.index_name(lists[1])
            if n is not None:
                lo = self.value(lists[0], scope) + (1 if ops[0] == "<" else 0)
                up = self.value(lists[2], scope) - (1 if ops[1] == "<" else 0)
                return [(index(n), lo, up)]
        raise constraint()

    def limit(self, atom, scripts, items, i, scope):
        primes, sub, sup = self.split_scripts(scripts, atom)
        if sub is None or sup is not None or primes:
            raise self.err("\\lim needs a subscript t \\to a (and nothing else)", atom)
        c = _content(sub)
        lists, rels = _chain(c)
        if len(rels) != 1 or _rel_name(rels[0]) != "to":
            raise self.err(f"\\lim_{{{self.raw(c)}}} is not supported (write \\lim_{{t \\to a}})", c)
        name = self.index_name(lists[0])
        if name is None:
            raise self.err(f"\\lim_{{{self.raw(c)}}}: the variable must be a name", c)
        var = self.symbol(name, scope)
        point = self.value(lists[1], scope)
        inner = dict(scope)
        inner[name] = var
        body = self.rest(items, i + 1, inner, atom, "\\lim")
        if point.is_infinite:
            return sp.Limit(body, var, point)
        return sp.Limit(body, var, point, dir="+-")

    def diff_var(self, node, scope):
        v = self.value(node, scope)
        if not isinstance(v, (sp.Symbol, sp.Indexed)):
            raise self.err(f"cannot differentiate with respect to {self.raw(node)}", node)
        return v

    def order(self, arg, scope) -> int:
        o = self.value(_content(arg), scope)
        if not (o.is_Integer and 0 < o <= 100):
            raise self.err(f"derivative order {self.raw(_content(arg))} is not a small positive integer", arg)
        return int(o)

    def differential(self, atom, scripts, items, i, scope):
        r"""``\partial_x f``, ``\partial_x^2 f``, ``\nabla_x f``: the derivative of the rest of the term."""
        primes, sub, sup = self.split_scripts(scripts, atom)
        if sub is None or primes or (sup is not None and atom.type == "NABLA"):
            what = "\\partial outside a derivative" if atom.type == "PARTIAL" else "\\nabla without a subscript"
            raise self.err(f"{what} is not supported", atom)
        var = self.diff_var(_content(sub), scope)
        n = self.order(sup, scope) if sup is not None else 1
        body = self.rest(items, i + 1, scope, atom, atom.value)
        return sp.Derivative(body, (var, n)) if n != 1 else sp.Derivative(body, var)

    def dmarker(self, node, numerator: bool):
        """("partial"|"d", scripts) when an item is a differential sign (∂, d, \\mathrm{d}), else None."""
        atom, scripts = _item(node)
        if _tok(atom, "PARTIAL"):
            kind = "partial"
        elif _tok(atom, "LETTER") and atom.value == "d":
            kind = "d"
        elif _tok(atom, "TEXT") and self.text_kind(atom)[0] == "d":
            kind = "d"
        else:
            return None
        if scripts and not (numerator and len(scripts) == 1 and scripts[0].data == "sup"):
            return None
        return kind, scripts

    def derivative_parts(self, num, den, scope):
        """(body items, variables) when ``\\frac{num}{den}`` is a derivative, else None."""
        if _is(num, "expr", "list", "relchain") or _is(den, "expr", "list", "relchain"):
            return None
        nitems, ditems = _term(num), _term(den)
        head = self.dmarker(nitems[0][1], True)
        if head is None:
            return None
        kind, nscripts = head
        order = self.order(nscripts[0].children[1], scope) if nscripts else 1
        variables, total, k = [], 0, 0
        while k < len(ditems):
            if ditems[k][0] is not None:
                return None
            mark = self.dmarker(ditems[k][1], False)
            if mark is None or mark[0] != kind or k + 1 >= len(ditems) or ditems[k + 1][0] is not None:
                return None
            va, vs = _item(ditems[k + 1][1])
            b = self.base(va)
            if b is None:
                return None
            nm = self.item_name(b, va, vs, scope)
            vorder = 1
            if nm.power is not None:
                vorder, nm.power = self.order(nm.power, scope), None
            var = self.name_value(nm, scope)
            variables.append(var if vorder == 1 else (var, vorder))
            total += vorder
            k += 2
        if not variables:
            return None
        if total != order:
            raise self.err(f"derivative orders do not match ({order} above, {total} below)", den)
        return nitems[1:], variables

    def frac(self, atom, scripts, items, i, scope):
        num, den = _content(atom.children[1]), _content(atom.children[2])
        d = self.derivative_parts(num, den, scope)
        if d is not None:
            body_items, variables = d
            if body_items:
                if body_items[0][0] is not None:
                    raise self.err("an operator right after the differential", body_items[0][0])
                val = sp.Derivative(self.term(body_items, scope), *variables)
                return self.scripted(val, scripts, atom, scope), 1
            if scripts:
                raise self.err("a script on a derivative operator is not supported", scripts[0])
            body = self.rest(items, i + 1, scope, atom, self.raw(atom))
            return sp.Derivative(body, *variables), len(items) - i
        top, bottom = self.value(num, scope), self.value(den, scope)
        if _digits(top) + _digits(bottom) > MAX_NUMBER_DIGITS:
            raise self.err("number too large", atom)
        val = sp.Mul(top, sp.Pow(bottom, -1))
        return self.scripted(val, scripts, atom, scope), 1

    def evaluated(self, atom, scripts, scope):
        expr = self.group(atom, scope)
        primes, sub, sup = self.split_scripts(scripts, atom)
        if sub is None or sup is not None or primes:
            raise self.err("\\left. ... \\right| needs one subscript x=a", atom)
        c = _content(sub)
        lists, rels = _chain(c)
        if len(rels) != 1 or _rel_name(rels[0]) != "=":
            raise self.err(f"evaluation at {self.raw(c)} is not supported (write x=a)", c)
        name = self.index_name(lists[0])
        if name is None:
            raise self.err(f"evaluation at {self.raw(c)}: the variable must be a name", c)
        return sp.Subs(expr, self.symbol(name, scope), self.value(lists[1], scope))

    # -- the row ----------------------------------------------------------------------------------
    def row(self, tree: Tree):
        """([(relation, expression)], continues, relation tokens)."""
        ch = tree.children
        lead = ch[0] if len(ch) == 2 else None
        lists, rels = _chain(ch[-1])
        items = []
        for k, part in enumerate(lists):
            if _is(part, "list"):
                comma = next(c for c in part.children if _tok(c, "COMMA"))
                raise self.err("',' at the top level of a row is not supported", comma)
            reltok = lead if k == 0 else rels[k - 1]
            rel = None
            if reltok is not None:
                rel = _rel_name(reltok)
                if rel not in RELATIONS:
                    raise self.err(f"relation {reltok.value} is not supported", reltok)
            items.append((rel, self.value(part, {})))
        return items, lead is not None, ([lead] if lead is not None else []) + rels


# ---------------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------------
def _read(text: str, notation: Notation):
    if not isinstance(text, str):
        raise TypeError("the row must be a str")
    if len(text) > MAX_ROW:
        raise ParseError(f"row longer than {MAX_ROW} characters", MAX_ROW + 1)
    try:
        tokens, remark = _scan(text)
        tree = _tree(tokens, text)
        reader = _Reader(text, notation)
        items, continues, rels = reader.row(tree)
    except RecursionError:
        raise ParseError("nesting too deep", None) from None
    except OverflowError:
        raise ParseError("number too large", None) from None
    except (TypeError, ValueError, ArithmeticError, NotImplementedError, sp.SympifyError) as e:
        # SymPy refused to build something the grammar accepted (e.g. a Sum over a non-symbol)
        raise ParseError(f"cannot build the expression: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                         1) from None
    return items, continues, remark, tuple(reader.notes), rels


def parse_row(text: str, notation: Notation = Notation()) -> Row:
    r"""Read one row of display maths as written; raises :class:`ParseError` (with a column).

    The row is ``[&] expr (rel [&] expr)*``; a row that starts with a relation (``&= x``) continues the
    previous one (``Row.continues``). Alignment ``&`` is ignored at the top level; a trailing ``,`` ``.``
    ``;`` is dropped; a chain ``a = b = c`` gives three items, never a nested equation. The remark
    (``Row.remark``, verbatim) starts at a top-level ``\quad``/``\qquad`` followed by more, at a top-level
    ``\sim`` or ``\forall``, or at a top-level prose ``\text{..}`` after maths (except a single word where an
    operand must come or followed by ``(``: ``\text{sign}(w)`` is a name).

    Conventions:

    * Names: a letter, Greek letter, ``\mathcal{L}`` (fonts), ``\hat{\mu}`` (accents; ``\widehat`` is
      ``\hat``), ``\mathrm{word}``/``\text{word}`` (the name ``word``), with primes (``\mu'``,
      ``\mu^{\prime}``); ``\Delta`` followed by a name is one name (``\Delta w``). ``ab`` is ``a*b``.
      A Symbol's name is canonical (:func:`canonical_name`); assumptions ``real=True`` unless declared.
    * A subscript is part of the name (``x_{t-1}``) unless the name is in ``notation.sub_indexed`` or the
      subscript mentions an index bound by an enclosing ``\sum``/``\prod`` (or a ``\lim`` variable): then
      it is an index (``x[t - 1]``; ``w_{ij}`` is ``w[i, j]``).
    * A superscript ``^*``, ``^\star``, ``^{(t)}``, ``^\top``/``^T`` is part of the name; on a
      ``notation.labelled`` name any superscript is; on a ``notation.sup_indexed`` name it is an index;
      otherwise it is a power.
    * ``name[i, j]`` indexes when the bracket holds simple indices; ``f(x)`` calls ``f`` only when ``f``
      is in ``notation.functions``; otherwise side by side is a product.
    * The scope of ``\sum``, ``\prod``, ``\lim``, ``E_{..}``, ``\frac{d}{dx}``, ``\partial_x``,
      ``\nabla_x`` is the rest of its term (up to the next ``+``/``-`` of the enclosing group).
    * ``\mathbb{E}``, ``\operatorname{E}``, ``\mathrm{E}`` are the expectation; a bare ``E`` is only when
      subscripted, followed by ``[``, or declared as a function; a dropped subscript is noted.

    ``notation.readings`` are not applied here: the caller replaces the text before parsing.
    """
    items, continues, remark, notes, _ = _read(text, notation)
    return Row(items=tuple(items), continues=continues, remark=remark, notes=notes)


def parse_expression(text: str, notation: Notation = Notation()):
    """Exactly one expression (no relation, no remark); raises :class:`ParseError`."""
    items, continues, remark, _, rels = _read(text, notation)
    if continues or len(items) != 1:
        raise ParseError(f"an expression was expected, not a relation {rels[0].value}", _col(rels[0]))
    if remark:
        raise ParseError(f"unexpected text after the expression: {remark}", text.rfind(remark) + 1)
    return items[0][1]


def parse_relation(text: str, notation: Notation = Notation()) -> list:
    r"""A relation chain as ``[(op, lhs, rhs)]``: ``0 < \rho < 1`` -> ``[("<", 0, rho), ("<", rho, 1)]``."""
    items, continues, remark, _, rels = _read(text, notation)
    if continues:
        raise ParseError("a relation cannot start with a relation sign", _col(rels[0]))
    if len(items) < 2:
        raise ParseError("a relation was expected", 1)
    if remark:
        raise ParseError(f"unexpected text after the relation: {remark}", text.rfind(remark) + 1)
    return [(items[k][0], items[k - 1][1], items[k][1]) for k in range(1, len(items))]


def canonical_name(tex: str) -> str:
    r"""The canonical name of a symbol written as ``tex``: ``\hat\mu`` -> ``\hat{\mu}``, ``x_t`` -> ``x_{t}``,
    ``\mu^{\prime}`` -> ``\mu'``, ``w_i^*`` -> ``w_{i}^{*}``, ``\Delta \Phi`` -> ``\Delta\Phi``,
    ``\mathrm{Var}``... Every script is rendered as part of the name. Raises :class:`ParseError`."""
    if len(tex) > MAX_ROW:
        raise ParseError(f"name longer than {MAX_ROW} characters", MAX_ROW + 1)
    try:
        tokens, remark = _scan(tex)
        if remark:
            raise ParseError(f"{tex!r} is not a single name", None)
        tree = _tree(tokens, tex)
        reader = _Reader(tex, Notation())
        body = tree.children[-1]
        if len(tree.children) != 1 or _is(body, "relchain", "list", "expr"):
            raise ParseError(f"{tex.strip()!r} is not a single name", 1)
        items = _term(body)
        if any(op is not None for op, _ in items):
            raise ParseError(f"{tex.strip()!r} is not a single name", 1)
        if len(items) == 2:
            a0, s0 = _item(items[0][1])
            a1, s1 = _item(items[1][1])
            b1 = reader.base(a1)
            if _tok(a0, "GREEK") and a0.value == "\\Delta" and not s0 and b1 is not None:
                return reader.render_item(_join(["\\Delta", b1]), s1)
        if len(items) == 1:
            atom, scripts = _item(items[0][1])
            b = reader.base(atom)
            if b is None and _tok(atom, "TEXT"):
                b = reader.text_kind(atom)[0]          # \mathrm{Var}, \operatorname{E}
            if b is not None:
                return reader.render_item(b, scripts)
        raise ParseError(f"{tex.strip()!r} is not a single name", 1)
    except RecursionError:
        raise ParseError("nesting too deep", None) from None
