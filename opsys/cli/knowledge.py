"""`opsys index`, `opsys search`, `opsys serve`: the SOP library's search index and team site."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from opsys.cli.common import JsonOpt, fail, print_json, workspace


def register(app: typer.Typer) -> None:
    app.command("index")(index)
    app.command("search")(search)
    app.command("serve")(serve)


def _embedding_model(ws) -> str:
    """The model classifier.yml names (one model for the whole workspace); bundled if the map is unreadable."""
    from opsys.config.loader import ConfigError, load_system_map

    try:
        return load_system_map(ws.system_map).classifier.embedding.model
    except (ConfigError, OSError) as e:
        typer.secho(f"warning: the system map cannot be read, so the bundled embedding model is used "
                    f"(run `opsys check`): {str(e).splitlines()[0]}", fg=typer.colors.YELLOW, err=True)
        return "bundled"


def index(
    full: Annotated[bool, typer.Option("--full", help="Drop the index and embed every page again.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Index sops/ for search: heading chunks, embedded into Chroma under var/knowledge/ (incremental)."""
    from opsys.ai.errors import ModelUnavailable
    from opsys.knowledge.index import build_index

    ws = workspace()
    if not ws.sops.is_dir():
        fail(f"{ws.sops} does not exist: run `opsys init` or create the folder", 2)
    try:
        r = build_index(ws.sops, ws.var, _embedding_model(ws), full=full, progress=not as_json)
    except ModelUnavailable as e:
        fail(str(e), 2)
    if as_json:
        print_json({"pages": r.pages, "added": r.added, "updated": r.updated, "removed": r.removed,
                    "unchanged": r.unchanged, "chunks_embedded": r.chunks_embedded,
                    "chunks_total": r.chunks_total, "seconds": round(r.seconds, 3)})
        return
    typer.echo(f"indexed {r.pages} pages ({r.chunks_total} sections): {len(r.added)} added, {len(r.updated)} "
               f"updated, {len(r.removed)} removed, {r.unchanged} unchanged; {r.chunks_embedded} sections "
               f"embedded in {r.seconds:.1f}s")


def search(
    query: Annotated[str, typer.Argument(help="A question in your own words.")],
    k: Annotated[int, typer.Option("-k", help="How many procedures to return.", min=1)] = 5,
    mode: Annotated[str, typer.Option(help="hybrid | bm25 | vector")] = "hybrid",
    audience: Annotated[str, typer.Option(help="team: leave founder-only SOPs out; founder: all.")] = "founder",
    as_json: JsonOpt = False,
) -> None:
    """Find procedures by meaning and by word (BM25 + vectors, reciprocal rank fusion)."""
    from opsys.ai.errors import ModelUnavailable
    from opsys.knowledge.search import IndexMissing, Searcher

    if mode not in ("hybrid", "bm25", "vector"):
        fail("--mode must be hybrid, bm25 or vector", 2)
    if audience not in ("team", "founder"):
        fail("--audience must be team or founder", 2)
    ws = workspace()
    try:
        hits = Searcher(ws.var, _embedding_model(ws)).search(query, k=k, mode=mode,  # type: ignore[arg-type]
                                                             audience=audience)
    except (IndexMissing, ModelUnavailable) as e:
        fail(str(e), 2)
    site = _site_url(ws)
    if as_json:
        print_json([{**h.as_dict(), "url": site + h.url} for h in hits])
        return
    if not hits:
        typer.echo("no procedure matches")
    for n, h in enumerate(hits, 1):
        typer.secho(f"{n}. {h.title} — {h.section}  ({h.score:.2f})", bold=True)
        typer.echo(f"   {h.snippet}\n   {site}{h.url}")


def _site_url(ws) -> str:
    """Base URL of the team site: mkdocs.yml site_url, else the local `opsys serve` address."""
    import yaml

    try:
        cfg = yaml.load((ws.root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Lenient)
        url = (cfg or {}).get("site_url") or ""
    except (OSError, yaml.YAMLError):
        url = ""
    url = url or "http://127.0.0.1:8000/"
    return url if url.endswith("/") else url + "/"


class _Lenient(__import__("yaml").SafeLoader):
    """mkdocs.yml may hold !ENV / !!python/name tags; reading site_url must not choke on them."""


_Lenient.add_multi_constructor("", lambda loader, suffix, node: None)


def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
    audience: Annotated[str, typer.Option(help="team: leave founder-only pages out; founder: everything.")] = "team",
    build: Annotated[bool, typer.Option(help="Build the site first (off: serve var/site as it is).")] = True,
) -> None:
    """Build the team site and serve it with a local search-by-meaning endpoint (/api/search?q=)."""
    from opsys.views.site_server import serve_site

    ws = workspace()
    if audience not in ("team", "founder"):
        fail("--audience must be team or founder", 2)
    try:
        serve_site(ws, port=port, audience=audience, build=build, model=_embedding_model(ws))
    except OSError as e:  # a busy port, or no built site with --no-build
        fail(f"cannot serve: {e}; pick another --port or build the site first", 2)
    except Exception as e:  # mkdocs: a broken mkdocs.yml or page
        fail(f"building the site failed: {e}; fix mkdocs.yml or the page named above, or run "
             "`mkdocs build` to see the details", 2)
