"""Make untrusted text (anything from an inbound message) inert inside Markdown and HTML."""

from __future__ import annotations

import re

# Characters that can start Markdown or extension structure (links, emphasis, tables, headings,
# lists, code, autolinks, attribute lists, emoji). Numeric entities are inert in every renderer,
# where a backslash escape is only honoured for some of them by Python-Markdown.
_UNSAFE = re.compile(r"[&<>\"'\\`*_{}\[\]()#+\-.!|~=:^$@]")


def md_cell(text: object, limit: int = 160) -> str:
    """One table cell or inline value: single line, shortened, HTML- and Markdown-inert."""
    s = "" if text is None else str(text)
    s = " ".join(s.split())  # a newline would end the table row
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    # one pass, so an entity we write is never escaped again
    return _UNSAFE.sub(lambda m: f"&#{ord(m.group())};", s)
