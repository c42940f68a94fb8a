"""A tiny HTTP listener on 127.0.0.1 that records what notifications arrive.

`opsys demo` uses it so hot-lead notifications are really delivered (Apprise json:// URLs in the
sample team.yml point here); tests use it as the real receiving end.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    body: dict | str


@dataclass
class NotificationListener:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
                try:
                    body: dict | str = json.loads(raw)
                except ValueError:
                    body = raw
                listener.received.append(Received(self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # keep the terminal quiet
                pass

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "NotificationListener":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
