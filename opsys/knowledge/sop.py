"""Read one Markdown page into a `Sop`: frontmatter (validated against the schema), title, headings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from opsys.config.problems import clean_message

# Pages that introduce a folder rather than describe a procedure: never asked for SOP frontmatter.
INDEX_NAMES = {"index.md", "readme.md"}
SCHEMA_FIELDS = ("id", "title", "owner", "trigger", "systems", "last_reviewed", "review_every", "tags", "related")
_REVIEW = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$", re.I)
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ATTR_LIST = re.compile(r"\s*\{[^}]*\}\s*$")
_EXPLICIT_ID = re.compile(r"\{[^}]*#([\w-]+)[^}]*\}\s*$")  # attr_list: `## Steps {#steps-in-short}`
AUDIENCES = ("team", "founder")


class _FrontmatterLoader(yaml.SafeLoader):
    """Dates stay text, so pydantic judges `2026-13-01` beside every other field instead of PyYAML
    raising a bare ValueError (no line, no other problems) while it reads the page."""


_FrontmatterLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def page_audience(meta: dict | None, generated: bool) -> str:
    """Who may see a page. Generated pages carry client data: without a say, they are founder-only."""
    value = str((meta or {}).get("audience") or ("founder" if generated else "team")).lower()
    return value if value in AUDIENCES else "founder"


class SopMeta(BaseModel):
    """The frontmatter every SOP carries (documented in sops/changing-an-sop.md)."""

    model_config = ConfigDict(extra="allow")  # firms add their own keys (audience, hide...)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    owner: str = Field(description="a role from system_map/team.yml")
    trigger: str = Field(min_length=1)
    systems: list[str] = Field(min_length=1, description="keys of system_map/tools.yml, or 'opsys'")
    last_reviewed: date
    review_every: str = Field(description="e.g. '6 months', '1 year', '90 days'")
    tags: list[str] = []
    related: list[str] = []

    @field_validator("review_every")
    @classmethod
    def _period(cls, v: str) -> str:
        if not _REVIEW.match(str(v)):
            raise ValueError("must look like '6 months', '1 year', '2 weeks' or '90 days'")
        return v

    def review_due(self) -> date:
        n, unit = _REVIEW.match(self.review_every).groups()  # type: ignore[union-attr]
        n, unit = int(n), unit.lower()
        if unit == "day":
            return self.last_reviewed + timedelta(days=n)
        if unit == "week":
            return self.last_reviewed + timedelta(weeks=n)
        months = n * (12 if unit == "year" else 1)
        y, m = divmod(self.last_reviewed.month - 1 + months, 12)
        day = min(self.last_reviewed.day, 28)
        return date(self.last_reviewed.year + y, m + 1, day)


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str
    line: int  # 1-based line in the file


@dataclass
class Sop:
    """One Markdown page of the library; `meta` is None when it has no (valid) opsys frontmatter."""

    path: Path            # absolute
    rel: str              # posix path under the library root, e.g. "invoicing.md"
    text: str
    raw_meta: dict | None
    meta_line: int        # line of the opening '---' (1) or 0 without frontmatter
    body: str
    body_line: int        # file line of the body's first line
    meta: SopMeta | None = None
    meta_errors: list[tuple[int, str]] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)

    @property
    def audience(self) -> str:
        return page_audience(self.raw_meta, generated=False)

    @property
    def is_index(self) -> bool:
        return Path(self.rel).name.lower() in INDEX_NAMES

    @property
    def sop_id(self) -> str:
        if self.meta:
            return self.meta.id
        raw = (self.raw_meta or {}).get("id")
        return str(raw) if raw else self.rel.removesuffix(".md")

    @property
    def title(self) -> str:
        if self.meta:
            return self.meta.title
        if self.raw_meta and self.raw_meta.get("title"):
            return str(self.raw_meta["title"])
        h1 = next((h for h in self.headings if h.level == 1), None)
        return h1.text if h1 else Path(self.rel).stem.replace("-", " ").replace("_", " ").capitalize()

    @property
    def anchors(self) -> set[str]:
        return {h.anchor for h in self.headings}

    def url(self) -> str:
        """Site URL relative to the site root, as MkDocs writes it (use_directory_urls)."""
        p = Path(self.rel)
        if p.name.lower() in INDEX_NAMES:
            parent = p.parent.as_posix()
            return "" if parent == "." else parent + "/"
        return p.with_suffix("").as_posix() + "/"


def slugify(text: str) -> str:
    """The anchor Python-Markdown's toc extension gives a heading (what MkDocs links to)."""
    from markdown.extensions.toc import slugify as md_slugify

    return md_slugify(text, "-")


def _plain_heading(text: str) -> str:
    """The heading's text as toc sees it after inline Markdown: markup gone, words (and `_` in words) kept."""
    text = _ATTR_LIST.sub("", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their words
    text = re.sub(r"<[^>]+>", "", text)                    # inline HTML: tags go, their words stay
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)           # strong
    text = re.sub(r"(?<!\w)([*_])(.+?)\1(?!\w)", r"\2", text)  # emphasis; snake_case stays whole
    return text.replace("`", "").strip()


def parse_headings(body: str, first_line: int) -> list[Heading]:
    out: list[Heading] = []
    seen: dict[str, int] = {}
    in_fence = False
    for i, line in enumerate(body.splitlines()):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = _HEADING.match(line)
        if not m:
            continue
        text = _plain_heading(m.group(2))
        explicit = _EXPLICIT_ID.search(m.group(2))
        anchor = explicit.group(1) if explicit else slugify(text)
        # toc makes duplicates unique as anchor_1, anchor_2...
        if anchor in seen:
            seen[anchor] += 1
            anchor = f"{anchor}_{seen[anchor]}"
        else:
            seen[anchor] = 0
        out.append(Heading(len(m.group(1)), text, anchor, first_line + i))
    return out


def split_frontmatter(text: str) -> tuple[str | None, str, int]:
    """(frontmatter YAML or None, body, file line where the body starts)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1:]), i + 2
    return None, text, 1


def parse_sop(path: Path, root: Path) -> Sop:
    """Read one page; never raises for bad content (problems land in `meta_errors`)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    fm, body, body_line = split_frontmatter(text)
    sop = Sop(path=path, rel=path.relative_to(root).as_posix(), text=text, raw_meta=None,
              meta_line=1 if fm is not None else 0, body=body, body_line=body_line)
    sop.headings = parse_headings(body, body_line)
    if fm is None:
        if text.lstrip("\ufeff").split("\n", 1)[0].strip() == "---":
            sop.meta_errors.append((1, "frontmatter opened with `---` is never closed: add a `---` line after "
                                       "its last field (or remove the opening `---`)"))
        return sop
    loader = _FrontmatterLoader(fm)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        sop.meta_errors.append((2 + (mark.line if mark else 0), f"frontmatter YAML: {getattr(e, 'problem', e)}"))
        return sop
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        sop.meta_errors.append((1, "frontmatter must be a mapping of field: value"))
        return sop
    sop.raw_meta = data
    if not any(k in data for k in ("id", "owner", "trigger", "systems")):
        return sop  # a plain page with MkDocs frontmatter (title, hide...), not an SOP
    try:
        sop.meta = SopMeta.model_validate(data)
    except ValidationError as err:
        for e in err.errors():  # every problem of the page at once, each on its own line
            key = str(e["loc"][0]) if e["loc"] else ""
            line = 2 + _key_line(node, key)
            bad = e.get("input")
            shown = "" if isinstance(bad, (dict, list)) or bad is None or not e["loc"] else f" (got {bad!r})"
            fix = "; write it as YYYY-MM-DD" if e["type"].startswith("date") else ""
            sop.meta_errors.append((line, f"{key or 'frontmatter'}: {clean_message(e['msg'])}{fix}{shown}"))
    return sop


def _key_line(node: yaml.Node | None, key: str) -> int:
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if k.value == key:
                return k.start_mark.line
    return 0


def iter_markdown(root: Path) -> list[Path]:
    """Every Markdown page under `root`, skipping hidden folders."""
    return sorted(p for p in root.rglob("*.md")
                  if not any(part.startswith(".") for part in p.relative_to(root).parts))


def load_library(root: Path) -> list[Sop]:
    return [parse_sop(p, root) for p in iter_markdown(root)]
