"""``-k`` expressions: pytest-like selection of claims by id, title or topic.

Grammar (keywords are lower-case, as in pytest)::

    expr    := or_expr
    or_expr := and_expr ("or" and_expr)*
    and_expr:= not_expr ("and" not_expr)*
    not_expr:= "not" not_expr | primary
    primary := "(" expr ")" | WORD

A WORD is any run of characters other than white space and parentheses; it
matches a claim when it is a case-insensitive substring of the claim's id,
title or topic. Expressions are parsed by a small recursive-descent parser into
a tree of tuples and evaluated by walking it -- never with ``eval``.
"""
from __future__ import annotations

import re

KEYWORDS = ("and", "or", "not")
_TOKEN_RE = re.compile(r"\s*(?:(\()|(\))|([^\s()]+))")


class SelectionError(ValueError):
    """A malformed ``-k`` expression (a usage error)."""


def tokenize(text: str) -> list:
    """``[(kind, value, column)]`` with kind ``(``, ``)``, ``and``, ``or``, ``not`` or ``word``."""
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:  # pragma: no cover - the pattern matches any non-blank character
            raise SelectionError(f"-k: cannot read {text[pos:]!r}")
        if m.group(1):
            tokens.append(("(", "(", m.start(1)))
        elif m.group(2):
            tokens.append((")", ")", m.start(2)))
        else:
            word = m.group(3)
            tokens.append((word if word in KEYWORDS else "word", word, m.start(3)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind):
        if self.peek() != kind:
            self.fail(f"expected {kind!r}")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, what):
        if self.i < len(self.tokens):
            kind, value, col = self.tokens[self.i]
            where = f"at column {col + 1} ({value!r})"
        else:
            where = "at end of expression"
        raise SelectionError(f"-k {self.text!r}: {what} {where}")

    def parse(self):
        if not self.tokens:
            return ("all",)
        node = self.or_expr()
        if self.i != len(self.tokens):
            self.fail("unexpected token")
        return node

    def or_expr(self):
        node = self.and_expr()
        while self.peek() == "or":
            self.i += 1
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.not_expr()
        while self.peek() == "and":
            self.i += 1
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self):
        if self.peek() == "not":
            self.i += 1
            return ("not", self.not_expr())
        return self.primary()

    def primary(self):
        kind = self.peek()
        if kind == "(":
            self.i += 1
            node = self.or_expr()
            self.take(")")
            return node
        if kind == "word":
            return ("word", self.take("word")[1].lower())
        self.fail("expected a word, 'not' or '('")


def parse(text: str | None) -> tuple:
    """Parse a ``-k`` expression into a tree; ``None`` or blank selects everything."""
    try:
        return _Parser(text or "").parse()
    except RecursionError:
        raise SelectionError("-k: expression nested too deeply") from None


def evaluate(node: tuple, haystack: str) -> bool:
    op = node[0]
    if op == "all":
        return True
    if op == "word":
        return node[1] in haystack
    if op == "not":
        return not evaluate(node[1], haystack)
    if op == "and":
        return evaluate(node[1], haystack) and evaluate(node[2], haystack)
    if op == "or":
        return evaluate(node[1], haystack) or evaluate(node[2], haystack)
    raise AssertionError(op)  # pragma: no cover


def haystack(meta: dict) -> str:
    """What a word is searched in: id, title and topic (lower case, NUL-separated so words don't span fields)."""
    return "\0".join(str(meta.get(k) or "") for k in ("id", "title", "topic")).lower()


class Matcher:
    """A compiled ``-k`` expression: ``Matcher("adam and not bias")(meta) -> bool``."""

    def __init__(self, text: str | None):
        self.text = text
        self.tree = parse(text)

    def __call__(self, meta: dict) -> bool:
        return evaluate(self.tree, haystack(meta))


def id_matches(claim_id: str, wanted: str) -> bool:
    """A positional ID selects the claim with that id, or every claim under that dotted prefix."""
    return claim_id == wanted or claim_id.startswith(wanted + ".")


def select(metas: list, *, ids=(), keyword: str | None = None) -> tuple:
    """Claims (meta dicts) chosen by positional ``ids`` and ``-k``; returns ``(selected, unknown_ids)``."""
    match = Matcher(keyword)
    chosen = metas
    unknown = []
    if ids:
        hit = set()
        for wanted in ids:
            found = [m["id"] for m in metas if id_matches(m["id"], wanted)]
            if not found:
                unknown.append(wanted)
            hit.update(found)
        chosen = [m for m in metas if m["id"] in hit]
    return [m for m in chosen if match(m)], unknown
