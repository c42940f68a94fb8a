"""`opsys check` for the library: schema, owners, systems, duplicate ids, links and anchors, steps, reviews,
and pages nothing links to."""

from __future__ import annotations

import posixpath
import re
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from opsys.knowledge.sop import SCHEMA_FIELDS, Sop, load_library

if TYPE_CHECKING:
    from opsys.config.models import SystemMap

# Folders the site generates (system map pages, var/pages/): links into them are not files in sops/.
GENERATED_PREFIXES = ("system-map/", "generated/", "notebooks/")
_LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_NUMBERED = re.compile(r"^\s{0,3}\d+[.)]\s+\S")
_FENCE = re.compile(r"^\s*(```|~~~)")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    file: Path
    line: int | None
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: warning: {self.message}" if self.severity == "warning" else f"{where}: {self.message}"

    def as_dict(self) -> dict:
        d = asdict(self)
        d["file"] = str(self.file)
        return d


def check_library(root: Path, roles: set[str] | None = None, systems: set[str] | None = None,
                  workflow_sops: list[tuple[Path, int | None, str]] | None = None,
                  today: date | None = None) -> list[Finding]:
    """Every problem in the Markdown library under `root`, errors and warnings, in file order.

    `roles`/`systems` come from the system map (None skips those checks, e.g. when it is invalid);
    `workflow_sops` lists (file, line, sop id) references from workflows.yml to verify.
    """
    today = today or date.today()
    library = load_library(root)
    by_rel = {s.rel: s for s in library}
    findings: list[Finding] = []
    ids: dict[str, Sop] = {}
    linked: set[str] = set()  # rel paths some page, `related:` or workflow points at
    for sop in library:
        findings.extend(_check_meta(sop, roles, systems, today))
        if sop.meta:
            if sop.meta.id in ids:
                first = ids[sop.meta.id]
                findings.append(Finding(sop.path, _meta_key_line(sop, "id"), "error",
                                        f"duplicate id {sop.meta.id!r}: also used by {first.rel}"))
            else:
                ids[sop.meta.id] = sop
            findings.extend(_check_sections(sop))
        findings.extend(_check_links(sop, by_rel, linked))
    for sop in library:
        for rid in (sop.meta.related if sop.meta else []):
            if rid not in ids:
                findings.append(Finding(sop.path, _meta_key_line(sop, "related"), "error",
                                        f"related: no SOP has id {rid!r}"))
            elif ids[rid] is not sop:
                linked.add(ids[rid].rel)
    for file, line, sid in workflow_sops or []:
        if sid not in ids:
            findings.append(Finding(file, line, "error", f"workflow names SOP {sid!r}, but no SOP in "
                                                         f"{root.name}/ has that id"))
        else:
            linked.add(ids[sid].rel)  # the workflow's page on the site links to it
    findings.extend(_check_orphans(library, linked))
    return sorted(findings, key=lambda f: (str(f.file), f.line or 0))


def _check_orphans(library: list[Sop], linked: set[str]) -> list[Finding]:
    """A page no other page links to is found only by search and the menu: warn, so it gets a way in."""
    if len(library) < 2:
        return []
    return [Finding(sop.path, 1, "warning", "no page links here: link it from index.md or another page, "
                                            "or list its id in a related SOP's `related:`")
            for sop in library if not sop.is_index and sop.rel not in linked]


def _meta_key_line(sop: Sop, key: str) -> int:
    for i, line in enumerate(sop.text.splitlines()[:80]):
        if line.startswith(f"{key}:"):
            return i + 1
    return 1


def _check_meta(sop: Sop, roles: set[str] | None, systems: set[str] | None, today: date) -> list[Finding]:
    out = [Finding(sop.path, line, "error", msg) for line, msg in sop.meta_errors]
    if sop.meta is None:
        if sop.meta_errors and sop.raw_meta:  # the schema failed: still judge the names it holds, all at once
            owner, named = sop.raw_meta.get("owner"), sop.raw_meta.get("systems")
            out += _check_names(sop, owner if isinstance(owner, str) else None,
                                [str(x) for x in named] if isinstance(named, list) else [], roles, systems)
        if not sop.meta_errors and not sop.is_index:
            have = set(sop.raw_meta or {})
            lacks = [f for f in SCHEMA_FIELDS if f not in have]
            out.append(Finding(sop.path, 1, "warning",
                               f"no SOP frontmatter: lacks {', '.join(lacks)} (a plain page: indexed and "
                               "published, but with no owner or review date)"))
            if not any(_NUMBERED.match(x) for x in sop.body.splitlines()):
                out.append(Finding(sop.path, sop.body_line, "warning", "no numbered steps"))
        return out
    m = sop.meta
    out += _check_names(sop, m.owner, m.systems, roles, systems)
    due = m.review_due()
    if due < today:
        out.append(Finding(sop.path, _meta_key_line(sop, "last_reviewed"), "warning",
                           f"review overdue since {due.isoformat()} (last reviewed {m.last_reviewed}, "
                           f"every {m.review_every})"))
    return out


def _check_names(sop: Sop, owner: str | None, named: list[str], roles: set[str] | None,
                 systems: set[str] | None) -> list[Finding]:
    """The owner is a role of team.yml and each system a key of tools.yml."""
    out: list[Finding] = []
    if roles is not None and owner is not None and owner not in roles:
        out.append(Finding(sop.path, _meta_key_line(sop, "owner"), "error",
                           f"owner {owner!r} is not a role in system_map/team.yml "
                           f"(roles: {', '.join(sorted(roles))})"))
    if systems is not None:
        for s in named:
            if s not in systems:
                out.append(Finding(sop.path, _meta_key_line(sop, "systems"), "error",
                                   f"system {s!r} is not in system_map/tools.yml "
                                   f"(known: {', '.join(sorted(systems))})"))
    return out


def _check_sections(sop: Sop) -> list[Finding]:
    """Purpose, numbered steps, done-when: the body every SOP must have."""
    out: list[Finding] = []
    heads = [h.text.lower() for h in sop.headings]
    steps = next((h for h in sop.headings if h.text.lower().startswith("steps")), None)
    if steps is None:
        out.append(Finding(sop.path, sop.body_line, "error", "steps missing: add a '## Steps' section "
                                                             "with a numbered list"))
    else:
        if not _section_has_numbered_list(sop, steps.line):
            out.append(Finding(sop.path, steps.line, "error", "steps missing: the Steps section has no "
                                                              "numbered list (1. 2. 3.)"))
    if not any(h.startswith("purpose") for h in heads):
        out.append(Finding(sop.path, sop.body_line, "warning", "no '## Purpose' section"))
    if not any(h.startswith("done when") or h.startswith("done-when") for h in heads):
        out.append(Finding(sop.path, sop.body_line, "warning", "no '## Done when' section"))
    return out


def _section_has_numbered_list(sop: Sop, heading_line: int) -> bool:
    lines = sop.text.splitlines()
    level = next(h.level for h in sop.headings if h.line == heading_line)
    in_fence = False
    for line in lines[heading_line:]:
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue  # a `# comment` in a shell example is no heading
        m = re.match(r"^(#{1,6})\s", line)
        if m and len(m.group(1)) <= level:
            return False
        if _NUMBERED.match(line):
            return True
    return False


def _check_links(sop: Sop, by_rel: dict[str, Sop], linked: set[str]) -> list[Finding]:
    out: list[Finding] = []
    in_fence = False
    for i, line in enumerate(sop.body.splitlines()):
        if _FENCE.match(line):
            in_fence = not in_fence
        if in_fence:
            continue
        # inline code spans are not links
        scan = re.sub(r"`[^`]*`", "", line)
        targets = [m.group(1) for m in _LINK.finditer(scan)]
        ref = _REF_DEF.match(scan)
        if ref:
            targets.append(ref.group(1))
        for target in targets:
            problem = _link_problem(sop, target, by_rel, linked)
            if problem:
                out.append(Finding(sop.path, sop.body_line + i, "error", problem))
    return out


def _link_problem(sop: Sop, target: str, by_rel: dict[str, Sop], linked: set[str]) -> str | None:
    """What is wrong with one link, or None; a good link to another page is added to `linked`."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("mailto:", "tel:", "/")):
        return None
    path, anchor = unquote(parts.path), unquote(parts.fragment)
    if not path:
        if anchor and anchor not in sop.anchors:
            return f"broken anchor #{anchor}: no such heading on this page"
        return None
    if not path.endswith(".md"):
        return None  # images and downloads: MkDocs reports missing files itself
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(sop.rel), path))
    if rel.startswith(GENERATED_PREFIXES):
        return None
    target_sop = by_rel.get(rel)
    if target_sop is None:
        return f"broken link {target!r}: {rel} does not exist"
    if rel != sop.rel:
        linked.add(rel)
    if anchor and anchor not in target_sop.anchors:
        return f"broken anchor {target!r}: {rel} has no heading with anchor #{anchor}"
    return None


def check_workspace_library(sops: Path, system_map_dir: Path, m: SystemMap | None = None,
                            today: date | None = None) -> list[Finding]:
    """The library checked against a loaded SystemMap `m` (None when the map is invalid: names unchecked).

    The lines of workflows.yml's SOP references come from `m.lines`; `system_map_dir` is not read.
    """
    roles = m.team.roles if m is not None else None
    systems = (set(m.tools.tools) | {"opsys"}) if m is not None else None
    refs: list[tuple[Path, int | None, str]] = []
    if m is not None:
        for i, wf in enumerate(m.workflows.workflows):
            for j, sid in enumerate(wf.sops):
                refs.append((m.lines.path("workflows.yml"), m.lines.line("workflows.yml", "workflows", i, "sops", j),
                             sid))
    if not sops.is_dir():
        return [Finding(sops, None, "error", "the SOP folder is missing (run `opsys init` for a template)")]
    from opsys.knowledge.site_config import check_site_config

    return check_library(sops, roles, systems, refs, today) + check_site_config(sops.parent / "mkdocs.yml")
