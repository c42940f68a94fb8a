"""`opsys serve`: build the team site into var/site/ and serve it on 127.0.0.1 with /api/search."""

from __future__ import annotations

import json
import logging
import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from opsys.workspace import Workspace

log = logging.getLogger(__name__)
MAX_K = 20


def build_site(ws: Workspace, audience: str = "team", site_dir: Path | None = None) -> Path:
    """`mkdocs build` of the workspace's mkdocs.yml with the opsys plugin, for one audience."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site = site_dir or ws.var / "site"
    old = os.environ.get("OPSYS_AUDIENCE")
    os.environ["OPSYS_AUDIENCE"] = audience
    try:
        cfg = load_config(str(ws.root / "mkdocs.yml"), site_dir=str(site))
        build(cfg)
    finally:
        if old is None:
            os.environ.pop("OPSYS_AUDIENCE", None)
        else:
            os.environ["OPSYS_AUDIENCE"] = old
    return site


class SearchService:
    """One Searcher shared by the request threads; reloaded when the index changes on disk."""

    def __init__(self, ws: Workspace, model: str = "bundled", audience: str = "team"):
        self.ws, self.model, self.audience = ws, model, audience
        self.lock = threading.Lock()
        self.searcher = None
        self.stamp = None

    def _current(self):
        from opsys.knowledge.index import IndexPaths
        from opsys.knowledge.search import Searcher

        chunks = IndexPaths(self.ws.var).chunks
        stamp = chunks.stat().st_mtime_ns if chunks.exists() else None
        with self.lock:
            if self.searcher is None or stamp != self.stamp:
                embedder = self.searcher.embedder if self.searcher is not None else None
                self.searcher = Searcher(self.ws.var, self.model, embedder=embedder)
                self.stamp = stamp
            return self.searcher

    def query(self, q: str, k: int) -> list[dict]:
        return [h.as_dict() for h in self._current().search(q, k=k, audience=self.audience)]


class _Handler(SimpleHTTPRequestHandler):
    service: SearchService

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        if parts.path.rstrip("/") != "/api/search":
            return super().do_GET()
        args = parse_qs(parts.query)
        q = (args.get("q") or [""])[0][:500]
        try:
            k = max(1, min(MAX_K, int((args.get("k") or ["5"])[0])))
        except ValueError:
            k = 5
        try:
            payload, status = {"query": q, "results": self.service.query(q, k)}, 200
        except Exception as e:  # the index may be missing: say so, the page falls back to Material search
            log.warning("search failed: %s", e)
            payload, status = {"query": q, "results": [], "error": str(e)}, 503
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt: str, *args) -> None:
        log.info("%s %s", self.address_string(), fmt % args)


def make_server(ws: Workspace, site: Path, port: int = 8000, model: str = "bundled",
                audience: str = "team") -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 (port 0: any free port) serving `site` plus /api/search, whose
    results hold only what `audience` may see."""
    service = SearchService(ws, model, audience)
    handler = type("Handler", (_Handler,), {"service": service})
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(site)))
    server.search_service = service  # type: ignore[attr-defined]
    return server


def serve_site(ws: Workspace, port: int = 8000, audience: str = "team", build: bool = True,
               model: str = "bundled") -> None:
    """Index (incrementally), build, and serve until Ctrl-C. Search by meaning is a bonus: when the
    index or the model is missing the site is served anyway and its search box uses Material's search."""
    from opsys.ai.errors import ModelUnavailable
    from opsys.knowledge.index import build_index

    if ws.sops.is_dir():
        try:
            r = build_index(ws.sops, ws.var, model)
            print(f"search index: {r.pages} pages, {r.chunks_total} sections ({r.chunks_embedded} embedded now)")
        except ModelUnavailable as e:
            print(f"search by meaning is off: {e}")
    site = build_site(ws, audience) if build else ws.var / "site"
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"{site} holds no built site: run `opsys serve` without --no-build")
    server = make_server(ws, site, port, model, audience)
    try:
        server.search_service.query("warm up", 1)  # load the model before the first visitor asks
    except Exception as e:  # noqa: BLE001 — the site works without it; say why once
        print(f"search by meaning is off until `opsys index` succeeds: {e}")
    built = f"{audience} audience" if build else "as last built"
    print(f"serving {site} ({built}) at http://127.0.0.1:{server.server_address[1]}/ — Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
