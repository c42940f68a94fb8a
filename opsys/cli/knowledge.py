"""`opsys index`, `opsys search`, `opsys serve`: the SOP library's search index and team site."""

from __future__ import annotations

from typing import Annotated

import typer

from opsys.cli.output import JsonOpt, fail, print_json
from opsys.cli.workspace import workspace


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
    """Find procedures by meaning and by word; says so when nothing in the library covers the question."""
    from opsys.ai.errors import ModelUnavailable
    from opsys.knowledge.search import IndexMissing, Searcher

    if mode not in ("hybrid", "bm25", "vector"):
        fail("--mode must be hybrid, bm25 or vector", 2)
    if audience not in ("team", "founder"):
        fail("--audience must be team or founder", 2)
    ws = workspace()
    try:
        ans = Searcher(ws.var, _embedding_model(ws)).answer(query, k=k, mode=mode,  # type: ignore[arg-type]
                                                            audience=audience)
    except (IndexMissing, ModelUnavailable) as e:
        fail(str(e), 2)
    from opsys.knowledge.site_config import site_url

    site = site_url(ws.root / "mkdocs.yml")
    if as_json:
        print_json({**ans.as_dict(), "results": [{**h.as_dict(), "url": site + h.url} for h in ans.hits]})
        return
    if not ans.answered:
        typer.secho(f"Nothing in the library covers this ({ans.reason}).", bold=True)
        if ans.hits:
            typer.echo("Closest pages, for what they are worth:")
    for n, h in enumerate(ans.hits, 1):
        chance = f"{h.score:.0%} likely to answer" if mode == "hybrid" else f"{mode} score {h.score:.2f}"
        typer.secho(f"{n}. {h.title} — {h.section}  ({chance})", bold=True)
        typer.echo(f"   {h.snippet}\n   {site}{h.url}")


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    host: Annotated[str, typer.Option(help="Address to bind. Anything but loopback exposes the site with no "
                                           "authentication: put it behind a reverse proxy (see the README).")] = "127.0.0.1",
    audience: Annotated[str, typer.Option(help="team (the default, also when --host is not loopback): leave "
                                               "founder-only pages out; founder: everything.")] = "team",
    build: Annotated[bool, typer.Option(help="Build the site first and rebuild it when sources change (off: "
                                             "serve var/site/AUDIENCE as last built).")] = True,
) -> None:
    """Build the team site into var/site/team/ and serve it with search by meaning (/api/search?q=)."""
    from opsys.views.site_server import SiteNotServable, exposure_warning, is_loopback, serve_site

    ws = workspace()
    if audience not in ("team", "founder"):
        fail("--audience must be team or founder", 2)
    if not is_loopback(host):
        typer.secho(exposure_warning(host, port, audience), fg=typer.colors.YELLOW, err=True)

    def say(line: str) -> None:
        typer.echo(line)  # flushed per line: a supervisor or test reading stdout sees each step

    try:
        serve_site(ws, port=port, audience=audience, build=build, model=_embedding_model(ws), host=host, say=say)
    except SiteNotServable as e:
        fail(f"cannot serve: {e}", 2)
    except OSError as e:  # a busy port or an address this machine does not have
        fail(f"cannot serve on {host}:{port}: {e}; pick another --port or --host", 2)
    except Exception as e:  # mkdocs: a broken mkdocs.yml or page
        fail(f"building the site failed: {e}; fix mkdocs.yml or the page named above, or run "
             "`mkdocs build` to see the details", 2)
