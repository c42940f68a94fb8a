"""`opsys serve`: each audience's site in its own folder, kept fresh, served by a bounded pool.

- **Audiences never mix.** The team site builds into var/site/team/, the founder's into
  var/site/founder/. The plugin writes the audience it built for into `opsys-site.json`, and a team
  server checks that manifest on every request: a founder build written anywhere near it — even
  into var/site/team/ by hand — is answered with a 503 and rebuilt, never served.
- **Fresh without a restart.** A thread polls the mtimes of sops/, system_map/, var/pages/,
  notebooks/ and mkdocs.yml once a second and rebuilds (debounced) into a scratch folder that is
  swapped in whole. Polling rather than a watchdog observer: these folders hold a few hundred
  files (a stat pass costs milliseconds), polling also sees writes on network shares and bind
  mounts where inotify is silent, and it needs no per-folder observer or editor rename handling.
- **A few browsers, not the internet.** A fixed pool of workers, a short wait queue and then a 503
  from the accepting thread; idle and whole-request timeouts; no directory listings; SIGINT and
  SIGTERM both stop it cleanly, also when it was started in the background (where the shell
  leaves SIGINT ignored).
"""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import os
import queue
import shutil
import signal
import socket
import stat
import threading
import time
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from opsys.workspace import Workspace

log = logging.getLogger(__name__)
MAX_K = 20
MANIFEST = "opsys-site.json"  # written by the opsys plugin after every build: {"audience": ...}
VISIBLE = {"team": ("team",), "founder": ("team", "founder")}  # which builds each audience may be served


class SiteNotServable(OSError):
    """The folder holds no site built for this audience: build it (drop --no-build) and retry."""


@dataclass(frozen=True)
class ServeLimits:
    """How long one client may take and how many are served at once (a firm's browsers, not the internet)."""
    workers: int = 16             # connections served at once; also the thread count
    queue: int = 64               # accepted connections waiting for a worker; the next gets a 503
    idle_timeout: float = 5.0     # silence allowed before the first byte, between bytes, on keep-alive
    request_timeout: float = 10.0  # the whole request line and headers, however slowly they trickle
    poll: float = 1.0             # seconds between two looks at the sources
    debounce: float = 0.5         # the sources must be still this long before a rebuild


def site_dir_for(ws: Workspace, audience: str) -> Path:
    """Each audience's own folder: a founder build never lands where the team site is served."""
    return ws.var / "site" / audience


def build_site(ws: Workspace, audience: str = "team", site_dir: Path | None = None) -> Path:
    """`mkdocs build` of the workspace's mkdocs.yml with the opsys plugin, for one audience."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    site = site_dir or site_dir_for(ws, audience)
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


def built_audience(site: Path) -> str | None:
    """The audience the plugin recorded for the site in `site`; None when there is no readable manifest."""
    try:
        data = json.loads((site / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("audience") if isinstance(data, dict) else None


def is_loopback(host: str) -> bool:
    """True when `host` accepts connections from this machine only."""
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        addrs = {a[4][0] for a in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def exposure_warning(host: str, port: int, audience: str) -> str:
    """What binding beyond loopback means, said before anyone connects."""
    text = (f"warning: serving on {host}:{port}, reachable from other machines. opsys serve has no "
            "authentication: anyone who can reach this address reads every page and can search. Bind "
            "127.0.0.1 and put it behind the firm's reverse proxy with authentication (README: \"SOP "
            "library, system map site and search\").")
    if audience == "founder":
        text += " --audience founder: founder-only pages (pipeline, margins, lead details) are served too."
    return text


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


class SiteRoot:
    """The folder being served and the audience it may hold, checked at every request."""

    def __init__(self, path: Path, audience: str):
        self.path, self.audience = path, audience
        self.lock = threading.Lock()  # held while paths resolve and while a rebuild swaps folders
        self._seen: tuple[int | None, str | None] = (None, None)  # manifest mtime → its audience
        self.said: str | None = None  # the last refusal logged: once per cause, not once per request

    def refusal(self) -> str | None:
        """Why this folder must not be served to this audience now; None when it may."""
        try:
            mtime = (self.path / MANIFEST).stat().st_mtime_ns
        except OSError:
            return f"{self.path} holds no site built by opsys (no {MANIFEST})"
        if mtime != self._seen[0]:
            self._seen = (mtime, built_audience(self.path))
        built = self._seen[1]
        if built not in VISIBLE[self.audience]:
            return f"{self.path} was built for the {built} audience; this server serves the {self.audience} audience"
        return None

    def swap_in(self, fresh: Path) -> None:
        """Replace the served folder by a fresh build: two renames, while no request resolves a path."""
        old = self.path.with_name(f".{self.path.name}-old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.lock:
            if self.path.exists():
                os.rename(self.path, old)
            os.rename(fresh, self.path)
        shutil.rmtree(old, ignore_errors=True)


class _DeadlineReader(io.RawIOBase):
    """The socket read with a deadline for the whole request, so a trickling client cannot keep a worker."""

    def __init__(self, sock: socket.socket, idle: float):
        self.sock, self.idle, self.deadline = sock, idle, time.monotonic()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request line and headers took too long")
        self.sock.settimeout(min(self.idle, left))
        return self.sock.recv_into(b)


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive for page assets; idle connections are closed after idle_timeout
    service: SearchService
    root: SiteRoot
    limits: ServeLimits

    def setup(self) -> None:
        self.timeout = self.limits.idle_timeout
        super().setup()
        self._reader = _DeadlineReader(self.connection, self.limits.idle_timeout)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.limits.request_timeout
        super().handle_one_request()

    def parse_request(self) -> bool:
        ok = super().parse_request()
        self.connection.settimeout(self.limits.idle_timeout)  # writing: a stalled reader is dropped too
        return ok

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        if parts.path.rstrip("/") == "/api/search":
            return self._search(parts.query)
        return super().do_GET()

    def do_POST(self) -> None:  # noqa: N802 — the signed web-form endpoint, views/intake_api.py
        if urlsplit(self.path).path.rstrip("/") != "/api/intake":
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "Only POST /api/intake is accepted")
            return
        from opsys.views.intake_api import respond

        respond(self, self.intake.handle(self.headers, self.rfile.read))

    def send_head(self):
        refusal = self.root.refusal()
        if refusal:
            if refusal != self.root.said:
                log.warning("not serving pages: %s", refusal)
                self.root.said = refusal
            self.send_error(HTTPStatus.SERVICE_UNAVAILABLE, "Site not available",
                            "This site is being rebuilt for its audience. Reload in a few seconds.")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        with self.root.lock:  # not between the two renames of a swap
            self.directory = str(self.root.path)
            return super().translate_path(path)

    def list_directory(self, path):
        """Folders without an index page are not browsable (/assets/, /generated/ …)."""
        self.send_error(HTTPStatus.NOT_FOUND, "Not found")
        return None

    def _search(self, query: str) -> None:
        args = parse_qs(query)
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


_BUSY_BODY = b"opsys serve is busy: every worker is answering someone else. Retry in a moment.\n"
BUSY_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 b"Retry-After: 1\r\nConnection: close\r\nContent-Length: " + str(len(_BUSY_BODY)).encode()
                 + b"\r\n\r\n" + _BUSY_BODY)


class SiteHTTPServer(HTTPServer):
    """An HTTPServer with a fixed pool of workers and a bounded wait queue; past it, the accepting
    thread answers 503 itself and never waits on a client."""

    request_queue_size = 128  # listen backlog

    def __init__(self, address: tuple, handler, limits: ServeLimits):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, handler)
        self.limits = limits
        self.waiting: queue.Queue = queue.Queue(maxsize=max(1, limits.queue))
        self.workers = [threading.Thread(target=self._work, name=f"opsys-serve-{i}", daemon=True)
                        for i in range(max(1, limits.workers))]
        for t in self.workers:
            t.start()

    def process_request(self, request, client_address) -> None:
        try:
            self.waiting.put_nowait((request, client_address))
        except queue.Full:
            self._refuse_busy(request)
            self.shutdown_request(request)

    def _refuse_busy(self, request: socket.socket) -> None:
        try:
            request.setblocking(False)
            try:
                request.recv(65536)  # read what the client already sent, so closing does not reset the 503
            except (BlockingIOError, OSError):
                pass
            request.settimeout(0.5)
            request.sendall(BUSY_RESPONSE)
        except OSError:
            pass

    def _work(self) -> None:
        while True:
            item = self.waiting.get()
            if item is None:
                return
            request, client_address = item
            try:
                self.finish_request(request, client_address)
            except Exception:  # noqa: BLE001 — one client's failure never stops a worker
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        log.debug("request from %s failed", client_address, exc_info=True)

    def server_close(self) -> None:
        super().server_close()
        while True:  # connections still waiting are closed, then each worker gets its stop mark
            try:
                item = self.waiting.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                self.shutdown_request(item[0])
        for _ in self.workers:
            try:
                self.waiting.put(None, timeout=self.limits.request_timeout)
            except queue.Full:
                break


def make_server(ws: Workspace, site: Path, port: int = 8000, model: str = "bundled",
                audience: str = "team", host: str = "127.0.0.1",
                limits: ServeLimits | None = None) -> SiteHTTPServer:
    """An HTTP server on `host` (port 0: any free port) serving `site` plus /api/search, whose
    results hold only what `audience` may see."""
    limits = limits or ServeLimits()
    service = SearchService(ws, model, audience)
    root = SiteRoot(site, audience)
    from opsys.views.intake_api import IntakeEndpoint

    handler = type("Handler", (_Handler,), {"service": service, "root": root, "limits": limits,
                                            "intake": IntakeEndpoint.for_workspace(ws)})
    server = SiteHTTPServer((host, port), partial(handler, directory=str(site)), limits)
    server.search_service = service  # type: ignore[attr-defined]
    server.site_root = root  # type: ignore[attr-defined]
    return server


class SiteRebuilder:
    """Rebuilds one audience's site when its sources change (polled, debounced) and swaps it in whole."""

    def __init__(self, ws: Workspace, root: SiteRoot, limits: ServeLimits, say: Callable[[str], None] = print,
                 build: Callable[[Workspace, str, Path], Path] = build_site):
        self.ws, self.root, self.limits, self.say, self.build = ws, root, limits, say, build
        self.failed: int | None = None  # stamp of sources whose build failed: retried only when they change

    def stamp(self) -> int:
        """A fingerprint of every source file's path, mtime and size (hidden files and folders skipped)."""
        seen = []
        for folder in (self.ws.sops, self.ws.system_map, self.ws.pages, self.ws.root / "notebooks"):
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if name.startswith(".") or name.endswith("~"):
                        continue
                    seen.append(_file_key(os.path.join(dirpath, name)))
        seen.append(_file_key(str(self.ws.root / "mkdocs.yml")))
        return hash(tuple(sorted(k for k in seen if k)))

    def rebuild(self, why: str, strict: bool = False) -> bool:
        """Build into a scratch folder beside the served one and swap it in; on failure keep the last good
        site (`strict`: raise instead, for the first build)."""
        fresh = self.root.path.with_name(f".{self.root.path.name}-building-{os.getpid()}")
        shutil.rmtree(fresh, ignore_errors=True)
        started = time.monotonic()
        try:
            self.build(self.ws, self.root.audience, fresh)
        except Exception as e:  # noqa: BLE001 — a broken page must not stop the server
            shutil.rmtree(fresh, ignore_errors=True)
            if strict:
                raise
            self.say(f"the {self.root.audience} site was not rebuilt ({why}): {e}; still serving the last "
                     "good build — fix the page or mkdocs.yml and save again")
            return False
        self.root.swap_in(fresh)
        self.say(f"rebuilt the {self.root.audience} site in {time.monotonic() - started:.1f}s ({why})")
        return True

    def run(self, stop: threading.Event, built: int) -> None:
        """Until `stop`: rebuild when the sources differ from `built`, or when the served folder is not ours."""
        while not stop.wait(self.limits.poll):
            now = self.stamp()
            foreign = self.root.refusal()
            if now == built and not foreign:
                continue
            if now == self.failed:
                continue  # these sources did not build: wait for the next edit rather than loop
            while now != built and not stop.wait(self.limits.debounce):  # debounce: until writes settle
                again = self.stamp()
                if again == now:
                    break
                now = again
            if stop.is_set():
                return
            ok = self.rebuild("sources changed" if now != built else foreign)
            built, self.failed = (now, None) if ok else (built, now)


def _file_key(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (path, st.st_mtime_ns, st.st_size) if stat.S_ISREG(st.st_mode) else None


def serve_site(ws: Workspace, port: int = 8000, audience: str = "team", build: bool = True,
               model: str = "bundled", host: str = "127.0.0.1", limits: ServeLimits | None = None,
               say: Callable[[str], None] = print) -> None:
    """Index (incrementally), build, and serve until SIGINT or SIGTERM, rebuilding as sources change.
    Search by meaning is a bonus: when the index or the model is missing the site is served anyway and
    its search box uses Material's search."""
    limits = limits or ServeLimits()
    stop = threading.Event()
    holder: dict[str, SiteHTTPServer] = {}
    restore = _on_stop_signals(stop, holder, say)
    try:
        _serve(ws, port, audience, build, model, host, limits, say, stop, holder)
    except KeyboardInterrupt:  # a stop signal before the server ran
        pass
    finally:
        stop.set()
        restore()
    say("stopped")


def _serve(ws, port, audience, build, model, host, limits, say, stop, holder) -> None:
    from opsys.ai.errors import ModelUnavailable
    from opsys.knowledge.index import build_index

    site = site_dir_for(ws, audience)
    server = make_server(ws, site, port, model, audience, host, limits)  # a busy port fails before the slow parts
    try:
        if not build and server.site_root.refusal():  # say so before the slow indexing
            raise SiteNotServable(f"{server.site_root.refusal()}: run `opsys serve` without --no-build")
        if ws.sops.is_dir():
            try:
                r = build_index(ws.sops, ws.var, model)
                say(f"search index: {r.pages} pages, {r.chunks_total} sections ({r.chunks_embedded} embedded now)")
            except ModelUnavailable as e:
                say(f"search by meaning is off: {e}")
            except Exception as e:  # noqa: BLE001 — a stale or damaged index must not keep the site down
                say(f"search by meaning is off until `opsys index --full` succeeds: {e!r}")
        rebuilder = SiteRebuilder(ws, server.site_root, limits, say)
        stamp = rebuilder.stamp()
        if build:
            rebuilder.rebuild("start", strict=True)
        refusal = server.site_root.refusal()
        if refusal:
            raise SiteNotServable(f"{refusal}: run `opsys serve` without --no-build")
        try:
            server.search_service.query("warm up", 1)  # load the model before the first visitor asks
        except Exception as e:  # noqa: BLE001 — the site works without it; say why once
            say(f"search by meaning is off until `opsys index` succeeds: {e}")
        if build:
            threading.Thread(target=rebuilder.run, args=(stop, stamp), name="opsys-rebuild", daemon=True).start()
        fresh = "rebuilt when sources change" if build else "as last built"
        shown = f"[{host}]" if ":" in host else host
        say(f"serving {site} ({audience} audience, {fresh}) at http://{shown}:{server.server_address[1]}/ "
            "— Ctrl-C stops")
        holder["server"] = server
        if not stop.is_set():
            server.serve_forever(poll_interval=0.25)
    finally:
        server.server_close()


def _on_stop_signals(stop: threading.Event, holder: dict, say: Callable[[str], None]) -> Callable[[], None]:
    """SIGINT and SIGTERM alike: stop serving cleanly. Installed explicitly, because a shell starting
    `opsys serve &` leaves SIGINT ignored and Python then never raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame) -> None:
        if stop.is_set():
            return
        say(f"stopping ({signal.Signals(signum).name})")
        stop.set()
        server = holder.get("server")
        if server is None:
            raise KeyboardInterrupt  # still indexing or building: abandon that
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for s, h in previous.items():
            signal.signal(s, h)
    return restore
