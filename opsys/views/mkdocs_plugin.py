"""The `opsys` MkDocs plugin: SOP pages with owner, git history and related procedures; the system
map drawn from `system_map/`; generated pages from `var/pages/` filtered by audience; offline
diagrams (a vendored Mermaid) and search by meaning when served by `opsys serve`.

Everything is done through MkDocs events, so `mkdocs serve` live-reloads SOP edits.
"""

from __future__ import annotations

import logging
import os
import posixpath
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from opsys.knowledge.sop import AUDIENCES, page_audience
from opsys.knowledge.template_names import firm_name_of
from opsys.views.escape import md_cell

log = logging.getLogger("mkdocs.plugins.opsys")
ASSETS = Path(__file__).resolve().parent / "assets"
MERMAID_REL = Path(".vendor/mermaid/node_modules/mermaid/dist/mermaid.min.js")


def find_mermaid(ws_root: Path) -> Path | None:
    """The Mermaid script installed from the npm registry at setup (`make site-deps`); never a CDN."""
    from opsys.workspace import REPO_ROOT

    env = os.environ.get("OPSYS_MERMAID_JS")
    for cand in ([Path(env)] if env else []) + [ws_root / MERMAID_REL, REPO_ROOT / MERMAID_REL]:
        if cand.is_file():
            return cand
    return None


class OpsysPluginConfig(Config):
    workspace = c.Optional(c.Type(str))        # default: the folder holding mkdocs.yml
    audience = c.Choice(AUDIENCES, default="team")
    related = c.Type(int, default=3)
    semantic_search = c.Type(bool, default=True)
    history_url = c.Optional(c.Type(str))      # e.g. https://git.example/firm/ops/commits/main/{path}


class OpsysPlugin(BasePlugin[OpsysPluginConfig]):
    supports_multiple_instances = False

    def on_config(self, config):
        base = Path(config.config_file_path or ".").resolve().parent
        self.root = Path(self.config.workspace).resolve() if self.config.workspace else base
        self.audience = os.environ.get("OPSYS_AUDIENCE") or self.config.audience
        if self.audience not in AUDIENCES:
            raise ValueError(f"opsys plugin: audience must be one of {AUDIENCES}, not {self.audience!r}")
        self.repo_url = config.repo_url
        self.mermaid = find_mermaid(self.root)
        if not self.mermaid:
            log.warning("opsys: Mermaid is not installed (run `make site-deps`); diagrams show as their source text")
        if self.config.semantic_search:
            config.extra_javascript.append("assets/opsys/search.js")
        config.extra_css.append("assets/opsys/opsys.css")
        firm = firm_name_of(self.root)  # the site is the firm's; mkdocs.yml's site_name is only the fallback
        if firm:
            config.site_name = f"{firm} — operations"
        return config

    # -- files -----------------------------------------------------------------------------------

    def on_files(self, files: Files, config) -> Files:
        from opsys.knowledge.sop import parse_sop

        docs = Path(config.docs_dir).resolve()
        self.sops = {}
        for f in list(files.documentation_pages()):
            sop = parse_sop(Path(f.abs_src_path), docs)
            if sop.audience not in self._visible():
                files.remove(f)
                continue
            self.sops[f.src_uri] = sop
        self.ids = {s.sop_id: uri for uri, s in self.sops.items()}
        self._load_history(docs)
        self._load_related()
        for uri, text in self._system_map_pages().items():
            files.append(File.generated(config, uri, content=text))
        for uri, path in self._workspace_pages():
            files.append(File.generated(config, uri, abs_src_path=str(path)))
        for uri, text in self._notebook_pages().items():
            files.append(File.generated(config, uri, content=text))
        for uri, text in self._history_pages().items():
            files.append(File.generated(config, uri, content=text, inclusion=InclusionLevel.NOT_IN_NAV))
        if self.mermaid:
            files.append(File.generated(config, "assets/opsys/mermaid.min.js", abs_src_path=str(self.mermaid)))
        for name in ("search.js", "opsys.css"):
            files.append(File.generated(config, f"assets/opsys/{name}", abs_src_path=str(ASSETS / name)))
        return files

    def _visible(self) -> tuple[str, ...]:
        return AUDIENCES if self.audience == "founder" else ("team",)

    def _load_history(self, docs: Path) -> None:
        from opsys.knowledge.history import page_histories, repo_prefix

        self.histories = page_histories(docs)
        self.changes = {uri: commits[0] for uri, commits in self.histories.items()}
        self.prefix = repo_prefix(docs)

    def _history_pages(self) -> dict[str, str]:
        """Without a git host to link to, each SOP's history is a page of its own, out of the nav."""
        if self.config.history_url or self.repo_url:
            return {}
        out = {}
        for uri, commits in self.histories.items():
            sop = self.sops.get(uri)
            if sop is None:
                continue
            back = posixpath.relpath(uri, posixpath.dirname(f"history/{uri}"))
            rows = [f"| {c.date} | {md_cell(c.author)} | {md_cell(c.subject, 200)} | `{c.commit[:8]}` |"
                    for c in commits]
            out[f"history/{uri}"] = (
                f"# History: {md_cell(sop.title)}\n\nThe last {len(commits)} commits that changed "
                f"[{md_cell(sop.title)}]({back}) (`{self.prefix or ''}{uri}`), newest first. "
                "Changes go through pull requests: see *Changing an SOP*.\n\n"
                "| Date | Author | Change | Commit |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")
        return out

    def _load_related(self) -> None:
        from opsys.knowledge.index import related_pages

        self.neighbours = related_pages(self.root / "var", top=self.config.related + 3)

    def _system_map_pages(self) -> dict[str, str]:
        from opsys.config.loader import ConfigError, load_system_map
        from opsys.views.system_map_pages import render_invalid_map_page, render_system_map_pages

        folder = self.root / "system_map"
        if not folder.is_dir():
            return {}
        try:
            m = load_system_map(folder)
        except ConfigError as e:
            log.warning("opsys: system map invalid, publishing the problems instead:\n%s", e)
            return render_invalid_map_page([str(p) for p in e.problems])
        self.map = m
        return render_system_map_pages(m, {s.sop_id: (s.title, uri) for uri, s in self.sops.items()})

    def _workspace_pages(self) -> list[tuple[str, Path]]:
        """var/pages/*.md (generated, audience-filtered) and notebooks/*.md, as files."""
        from opsys.knowledge.sop import split_frontmatter

        out = []
        pages = self.root / "var" / "pages"
        # var/pages/work/<person>.md: each person's "My work" page (opsys/views/work_pages.py)
        for path in sorted(pages.glob("*.md")) + sorted(pages.glob("work/*.md")) if pages.is_dir() else []:
            fm, _, _ = split_frontmatter(path.read_text(encoding="utf-8", errors="replace"))
            try:
                import yaml

                meta = yaml.safe_load(fm) if fm else {}
            except Exception:
                meta = {}
            if page_audience(meta if isinstance(meta, dict) else {}, generated=True) in self._visible():
                out.append((f"generated/{path.relative_to(pages).as_posix()}", path))
        notebooks = self.root / "notebooks"
        for path in sorted(notebooks.rglob("*.md")) if notebooks.is_dir() else []:
            out.append((f"notebooks/{path.relative_to(notebooks).as_posix()}", path))
        return out

    def _notebook_pages(self) -> dict[str, str]:
        """notebooks/*.ipynb as pages (code without outputs); a broken one is skipped with a warning."""
        from opsys.views.notebook_page import NotebookError, notebook_markdown

        out: dict[str, str] = {}
        notebooks = self.root / "notebooks"
        for path in sorted(notebooks.rglob("*.ipynb")) if notebooks.is_dir() else []:
            if ".ipynb_checkpoints" in path.parts:
                continue
            try:
                rel = path.relative_to(notebooks).with_suffix(".md").as_posix()
                out[f"notebooks/{rel}"] = notebook_markdown(path)
            except NotebookError as e:
                log.warning("opsys: %s", e)
        return out

    # -- pages -----------------------------------------------------------------------------------

    def on_page_markdown(self, markdown: str, page, config, files) -> str:
        sop = self.sops.get(page.file.src_uri)
        if sop is None:
            return markdown
        card = self._card(sop, page.file.src_uri)
        related = self._related(sop, page.file.src_uri)
        lines = markdown.splitlines()
        at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
        body = "\n".join(lines[:at] + (["", card, ""] if card else []) + lines[at:])
        return body + ("\n\n" + related if related else "") + "\n"

    def _card(self, sop, uri: str) -> str:
        rows = []
        m = sop.meta
        if m:
            team = self.map.team.people if getattr(self, "map", None) else []
            people = [p.name for p in team if m.owner in p.roles]
            owner = md_cell(m.owner) + (f" ({md_cell(', '.join(people))})" if people else "")
            rows += [f"**Owner:** {owner}", f"**Trigger:** {md_cell(m.trigger, 300)}",
                     f"**Systems:** {md_cell(', '.join(m.systems))}",
                     f"**Last reviewed:** {m.last_reviewed} (next review due {m.review_due()})"]
        change = self.changes.get(uri)
        if change:
            link = self._history_link(uri)
            rows.append(f"**Last change:** {change.date} by {md_cell(change.author)} "
                        f"(`{change.commit[:8]}`)" + (f" · [history]({link})" if link else ""))
        else:
            rows.append("**Last change:** not committed yet")
        if not rows:
            return ""
        return '<div class="opsys-card" markdown>\n\n' + "  \n".join(rows) + "\n\n</div>"

    def _history_link(self, uri: str) -> str | None:
        if self.prefix is None:
            return None
        path = self.prefix + uri
        if self.config.history_url:
            return self.config.history_url.format(path=path)
        if self.repo_url:
            return f"{self.repo_url.rstrip('/')}/commits/HEAD/{path}"
        return posixpath.relpath(f"history/{uri}", posixpath.dirname(uri) or ".")

    def _related(self, sop, uri: str) -> str:
        """Nearest pages by embedding (from the search index), plus the SOP's own `related` ids."""
        picks: list[str] = []
        for rel, _score in self.neighbours.get(uri, []):
            target = self.sops.get(rel)
            if len(picks) < self.config.related and target is not None and rel != uri and not target.is_index:
                picks.append(rel)
        for rid in (sop.meta.related if sop.meta else []):
            rel = self.ids.get(rid)
            if rel and rel != uri and rel not in picks:
                picks.append(rel)
        if not picks:
            return ""
        here = posixpath.dirname(uri)
        items = [f"- [{md_cell(self.sops[r].title)}]({posixpath.relpath(r, here or '.')})" for r in picks]
        return "## Related procedures\n\n" + "\n".join(items)

    def on_post_page(self, output: str, page, config) -> str:
        """Mermaid goes in <head> of pages with diagrams: Material's bundle runs at the end of <body> and
        fetches Mermaid from a CDN unless `window.mermaid` already exists by then."""
        if 'class="mermaid"' not in output:
            return output
        if not self.mermaid:
            # Material would fetch Mermaid from a CDN for these blocks: show their source as code instead
            return output.replace('class="mermaid"', 'class="opsys-diagram-source"')
        from mkdocs.utils import get_relative_url

        src = get_relative_url("assets/opsys/mermaid.min.js", page.url)
        return output.replace("</head>", f'<script src="{src}"></script></head>', 1)

    def on_post_build(self, config) -> None:
        """Record the audience in the built site: `opsys serve` checks it before serving any page."""
        import json

        from opsys.views.site_server import MANIFEST

        out = Path(config.site_dir) / MANIFEST
        out.write_text(json.dumps({"audience": self.audience}) + "\n", encoding="utf-8")

    def on_serve(self, server, config, builder):
        for folder in (self.root / "system_map", self.root / "var" / "pages", self.root / "notebooks"):
            if folder.is_dir():
                server.watch(str(folder))
        return server
