"""Split pages into heading sections: the unit that is embedded, BM25-scored and linked to."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from opsys.knowledge.sop import Sop

MAX_CHARS = 1000   # all-MiniLM-L6-v2 reads 256 word pieces; longer sections are windowed
MIN_CHARS = 20
CHUNK_LEVELS = 3   # h1-h3 start a chunk; deeper headings stay inside their section

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML = re.compile(r"<[^>]+>")
_LINK_ITEM = re.compile(r"^([-*+]|\d+[.)])\s+\[[^\]]*\]\([^)]*\)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Chunk:
    id: str         # "<rel>#<anchor>:<n>", stable while the page and heading stay
    rel: str
    sop_id: str
    title: str
    section: str
    anchor: str
    line: int
    text: str
    url: str        # site URL relative to the site root
    audience: str = "team"  # the page's frontmatter `audience`: founder-only pages stay out of team searches
    path: str = ""     # the heading trail under the title, "Steps › Before the call"
    about: str = ""    # the page's own summary: an SOP's trigger and tags, a page's description

    def heading(self) -> str:
        """Title and heading trail, as one line: what the section is about before a word of it is read."""
        trail = self.path or self.section
        return self.title if not trail or trail == self.title else f"{self.title} — {trail}"

    def embed_text(self) -> str:
        """Title, heading trail and the page's summary lead the text: they say most of what a section is about."""
        return "\n".join(x for x in (self.heading(), self.about, self.text) if x)

    def as_dict(self) -> dict:
        return asdict(self)


def plain(markdown: str) -> str:
    """Markdown to readable text: links keep their words, HTML and table rules go."""
    out = _LINK.sub(r"\1", markdown)
    out = _HTML.sub(" ", out)
    out = re.sub(r"^\s*\|?\s*:?-{3,}.*$", "", out, flags=re.M)
    out = re.sub(r"[|*_`>#]+", " ", out)
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n", out)).strip()


def _is_link_list(markdown: str) -> bool:
    """A navigation list (every line a bare link): it points at answers but is none itself."""
    lines = [x.strip() for x in markdown.splitlines() if x.strip()]
    return bool(lines) and all(_LINK_ITEM.match(x) for x in lines)


def _windows(text: str) -> list[str]:
    if len(text) <= MAX_CHARS:
        return [text]
    out, cur = [], ""
    for para in text.split("\n"):
        while len(para) > MAX_CHARS:  # a single huge paragraph: cut at a word
            cut = para.rfind(" ", 0, MAX_CHARS)
            cut = cut if cut > MAX_CHARS // 2 else MAX_CHARS
            if cur:
                out.append(cur)
                cur = ""
            out.append(para[:cut])
            para = para[cut:].lstrip()
        if cur and len(cur) + len(para) + 1 > MAX_CHARS:
            out.append(cur)
            cur = para
        else:
            cur = f"{cur}\n{para}" if cur else para
    if cur:
        out.append(cur)
    return out


def chunk_sop(sop: Sop) -> list[Chunk]:
    """One chunk per h1-h3 section (windowed when long); text before the first heading belongs to the page."""
    lines = sop.body.splitlines()
    starts = [(h.line - sop.body_line, h) for h in sop.headings if h.level <= CHUNK_LEVELS]
    trails = _trails(sop)
    sections: list[tuple[str, str, int, str, str]] = []
    first = starts[0][0] if starts else len(lines)
    if first > 0:
        sections.append((sop.title, "", sop.body_line, "\n".join(lines[:first]), ""))
    for n, (idx, h) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        sections.append((h.text, h.anchor, h.line, "\n".join(lines[idx + 1:end]), trails[h.line]))
    url = sop.url()
    title = sop.title
    about = page_about(sop)
    chunks: list[Chunk] = []
    for section, anchor, line, md, trail in sections:
        text = plain(md)
        if len(text) < MIN_CHARS or _is_link_list(md):
            continue
        for n, part in enumerate(_windows(text)):
            chunks.append(Chunk(id=f"{sop.rel}#{anchor}:{n}", rel=sop.rel, sop_id=sop.sop_id, title=title,
                                section=section, anchor=anchor, line=line, text=part,
                                url=url + (f"#{anchor}" if anchor else ""), audience=sop.audience,
                                path=trail, about=about))
    if not chunks:  # a page with only a title still deserves to be found
        chunks.append(Chunk(id=f"{sop.rel}#:0", rel=sop.rel, sop_id=sop.sop_id, title=title, section=title,
                            anchor="", line=sop.body_line, text=plain(sop.body) or title, url=url,
                            audience=sop.audience, about=about))
    return chunks


def _trails(sop: Sop) -> dict[int, str]:
    """Each heading's trail of parent headings (the page's own h1 title left out), keyed by line."""
    out: dict[int, str] = {}
    stack: list[tuple[int, str]] = []
    for h in sop.headings:
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        stack.append((h.level, h.text))
        names = [t for level, t in stack if not (level == 1 and t.strip().lower() == sop.title.strip().lower())]
        out[h.line] = " › ".join(names)
    return out


def page_summary(sop: Sop) -> str:
    """The one line embedded for the page as a whole: its trigger or description, or "" when it has none
    (a page is then judged by its sections alone, not by its title)."""
    meta = sop.raw_meta or {}
    return " ".join(str(meta.get(k) or "").strip() for k in ("trigger", "description", "summary")).strip()


def page_about(sop: Sop) -> str:
    """What a page says about itself: an SOP's trigger and tags, or a page's frontmatter description."""
    meta = sop.raw_meta or {}
    parts = [str(meta.get(k) or "").strip() for k in ("trigger", "description", "summary")]
    tags = meta.get("tags")
    if isinstance(tags, list) and tags:
        parts.append("Tags: " + ", ".join(str(t) for t in tags))
    return " ".join(p for p in parts if p)
