"""The site server on real sockets on 127.0.0.1: no listings, idle and request timeouts, a bounded pool
answering 503 when full, keep-alive, the audience manifest, and what counts as loopback."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from opsys.views.site_server import (MANIFEST, ServeLimits, build_site, built_audience, exposure_warning,
                                     is_loopback, make_server, site_dir_for)

TEAM_PAGE = "---\ntitle: Lead queue\naudience: team\ngenerated: true\n---\n# Lead queue\n\nTEAM-QUEUE\n"
FOUNDER_PAGE = "---\ntitle: Margins\naudience: founder\ngenerated: true\n---\n# Margins\n\nSECRET-MARGINS\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A workspace made by `opsys init` with one team and one founder page, its team site built."""
    from typer.testing import CliRunner

    from opsys.cli.main import app
    from opsys.workspace import Workspace

    root = tmp_path_factory.mktemp("server") / "ws"
    assert CliRunner().invoke(app, ["init", str(root)]).exit_code == 0
    ws = Workspace(root)
    ws.pages.mkdir(parents=True, exist_ok=True)
    (ws.pages / "leads.md").write_text(TEAM_PAGE)
    (ws.pages / "margins.md").write_text(FOUNDER_PAGE)
    return ws, build_site(ws, "team")


@contextmanager
def serving(ws, site: Path, limits: ServeLimits, audience: str = "team"):
    server = make_server(ws, site, port=0, audience=audience, limits=limits)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = read_all(s)
    return int(data.split(b" ", 2)[1]), data


def read_all(s: socket.socket) -> bytes:
    chunks = []
    while chunk := s.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_the_team_build_records_its_audience_in_its_own_folder(built):
    ws, site = built
    assert site == ws.var / "site" / "team" == site_dir_for(ws, "team")
    assert built_audience(site) == "team" and (site / MANIFEST).is_file()
    assert "founder-margins" not in (site / "search" / "search_index.json").read_text()


def test_folders_without_an_index_page_are_not_listed(built):
    ws, site = built
    with serving(ws, site, ServeLimits(workers=2)) as port:
        for path in ("/assets/", "/assets/opsys/", "/generated/", "/search/", "/assets/javascripts/"):
            status, body = get(port, path)
            assert status == 404, (path, body[:200])
            assert b"Directory listing" not in body and b"search_index.json" not in body
        assert get(port, "/generated/leads/")[0] == 200
        assert get(port, "/generated/margins/")[0] == 404


def test_idle_connections_are_closed_and_do_not_each_hold_a_thread(built):
    ws, site = built
    limits = ServeLimits(workers=4, queue=8, idle_timeout=0.5, request_timeout=2.0)
    before = threading.active_count()
    with serving(ws, site, limits) as port:
        idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
        time.sleep(0.2)  # let the server accept them all
        assert threading.active_count() - before <= limits.workers + 1  # the pool and serve_forever
        started = time.monotonic()
        answers = []
        for s in idle:  # every one is answered (a 503) or closed (EOF), none is kept open
            answers.append(read_all(s))
            s.close()
        took = time.monotonic() - started
        assert all(a == b"" or a.startswith(b"HTTP/1.1 503") for a in answers)
        assert sum(a == b"" for a in answers) >= limits.workers  # those a worker took were closed when idle
        assert took < 40 * limits.idle_timeout / limits.workers + 2  # bounded by the idle timeout
        assert get(port, "/")[0] == 200  # and the server still answers


def test_a_trickling_request_is_cut_at_the_request_deadline(built):
    ws, site = built
    limits = ServeLimits(workers=2, idle_timeout=0.5, request_timeout=1.0)
    with serving(ws, site, limits) as port:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\n")
        started, closed = time.monotonic(), False
        while time.monotonic() - started < 4:
            try:
                s.sendall(b"X")  # one byte every 0.2 s: never idle for 0.5 s
            except OSError:
                closed = True
                break
            s.settimeout(0.2)
            try:
                if s.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        took = time.monotonic() - started
        s.close()
        assert closed and took < limits.request_timeout + 1.0


def test_a_full_pool_answers_503_at_once_and_recovers(built):
    ws, site = built
    limits = ServeLimits(workers=1, queue=1, idle_timeout=3.0, request_timeout=5.0)
    with serving(ws, site, limits) as port:
        busy = socket.create_connection(("127.0.0.1", port))   # taken by the only worker, silent
        time.sleep(0.1)
        waiting = socket.create_connection(("127.0.0.1", port))  # the one place in the queue
        time.sleep(0.1)
        started = time.monotonic()
        status, body = get(port, "/")
        assert status == 503 and time.monotonic() - started < 1.0
        assert b"Retry-After: 1" in body and b"busy" in body
        busy.close()
        waiting.close()
        deadline = time.monotonic() + 5
        while (status := get(port, "/")[0]) == 503 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert status == 200


def test_keep_alive_serves_several_requests_on_one_connection(built):
    ws, site = built
    with serving(ws, site, ServeLimits(workers=2, idle_timeout=1.0)) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            f = s.makefile("rb")
            for path in ("/", "/generated/leads/"):
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                status = f.readline()
                headers = {}
                while (line := f.readline()) not in (b"\r\n", b""):
                    k, _, v = line.decode().partition(":")
                    headers[k.lower()] = v.strip()
                body = f.read(int(headers["content-length"]))
                assert status.startswith(b"HTTP/1.1 200") and len(body) > 100


def test_a_team_server_refuses_a_folder_built_for_the_founder(built, tmp_path):
    ws, _ = built
    founder = build_site(ws, "founder", tmp_path / "team-by-mistake")
    with serving(ws, founder, ServeLimits(workers=2)) as port:
        for path in ("/", "/generated/margins/", "/search/search_index.json"):
            status, body = get(port, path)
            assert status == 503 and b"SECRET-MARGINS" not in body
    with serving(ws, founder, ServeLimits(workers=2), audience="founder") as port:
        assert get(port, "/generated/margins/")[0] == 200


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("10.0.0.5", False),
])
def test_loopback_is_only_this_machine(host, loopback):
    assert is_loopback(host) is loopback


def test_the_exposure_warning_says_no_authentication_and_what_to_do():
    text = exposure_warning("0.0.0.0", 8000, "team")
    assert "no authentication" in text and "reverse proxy" in text and "0.0.0.0:8000" in text
    assert "founder-only pages" in exposure_warning("0.0.0.0", 8000, "founder")
