"""Make untrusted text (anything from an inbound message) inert inside Markdown and HTML, and keep it
legible in the raw `.md`: only what could start markup is escaped, so dates, dashes and colons stay."""

from __future__ import annotations

import re

# HTML can start only with `<` (tags, comments, autolinks); `&` matters only where it would read as an entity.
_HTML = re.compile(r"<|&(?=#?[0-9A-Za-z]+;)")
# Markdown that can make a link or image ([ ]), emphasis (* and word-edge _), code (`), a table cell (|),
# an attribute list ({ }) or strike-through (~~); backslash too, or it would swallow the next escape.
# Python-Markdown honours a backslash before each of these (the tables extension adds |), `~` only with
# pymdownx.tilde, so ~~ becomes entities.
_MARKDOWN = re.compile(r"~~|[\\`*\[\]{}|]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# What starts a block only at the start of a line: heading, quote, list item, setext rule.
_LEADING = re.compile(r"^(#|>|[+-](?=\s|$)|\d+(?=[.)](?:\s|$)))")
_UNSAFE = re.compile(f"{_HTML.pattern}|{_MARKDOWN.pattern}")
# Never shown, only harmful: C0/C1 controls (NUL, BEL, ESC…) and the bidi overrides and isolates that
# make a page read in another order than it is written (U+202A-U+202E, U+2066-U+2069).
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    s = m.group()
    if s == "<":
        return "&lt;"
    if s == "~~":
        return "&#126;&#126;"
    return "&amp;" if s == "&" else "\\" + s


def md_cell(text: object, limit: int = 160) -> str:
    """One table cell or inline value: single line, shortened, HTML- and Markdown-inert."""
    s = _INVISIBLE.sub("", "" if text is None else str(text))
    s = " ".join(s.split())  # a newline would end the table row
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    # one pass, so an escape we write is never escaped again
    s = _UNSAFE.sub(_escape, s)
    m = _LEADING.match(s)
    if m:  # "1. " escapes its dot, the rest the character itself
        s = (m.group() + "\\" + s[m.end():]) if m.group()[0].isdigit() else "\\" + s
    elif s.startswith("="):  # a setext underline; `=` has no backslash escape
        s = "&#61;" + s[1:]
    return s
