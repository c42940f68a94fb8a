"""`POST /api/intake` against the real server on 127.0.0.1: every refusal with its status and reason,
and an accepted post taking the inbox's exactly-once path."""

from __future__ import annotations

import http.client
import json
import threading
import time

import pytest

from opsys.views.intake_api import SIGNATURE_HEADER, sign
from opsys.views.site_server import make_server

SECRET = "test-secret-0f3a"
FORM = {"form": "contact", "name": "Dana Whitfield", "email": "dana@harbordental.example",
        "message": "We need a new website with online booking, budget 12k."}


@pytest.fixture
def server(app, monkeypatch):
    monkeypatch.setenv("OPSYS_INTAKE_SECRET", SECRET)  # the env var sources.yml intake_api.secret_env names
    srv = make_server(app.ws, app.ws.var / "site" / "team", port=0)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def post(srv, body: bytes, headers: dict[str, str] | None = None, *, signed_at: int | None = None,
         secret: str = SECRET, content_type: str = "application/json"):
    h = {"Content-Type": content_type}
    if signed_at is not None or headers is None:
        h[SIGNATURE_HEADER] = sign(secret, body, int(time.time()) if signed_at is None else signed_at)
    h.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=10)
    conn.request("POST", "/api/intake", body=body, headers=h)
    r = conn.getresponse()
    data = json.loads(r.read() or b"{}")
    conn.close()
    return r.status, data


def test_a_signed_post_is_written_into_the_inbox_and_stored_exactly_once(server, app):
    body = json.dumps(FORM).encode()
    status, answer = post(server, body)
    assert status == 202 and answer["accepted"] is True
    path = app.ws.inbox / answer["file"]
    assert path.read_bytes() == body and not list(app.ws.inbox.glob(".*"))  # no temp file left behind
    report = app.intake.consume(sorted(app.ws.inbox.iterdir()))
    assert report.inquiries == 1
    # the same form signed anew is accepted by the endpoint, and intake sees it is the same content
    status, again = post(server, body, signed_at=int(time.time()) - 1)  # another second: another signature
    assert status == 202
    report = app.intake.consume([app.ws.inbox / again["file"]])
    assert report.inquiries == 0 and report.outcomes[0].status == "duplicate"


def test_a_replayed_signature_is_refused(server):
    body = json.dumps(FORM).encode()
    now = int(time.time())
    assert post(server, body, signed_at=now)[0] == 202
    status, answer = post(server, body, signed_at=now)
    assert status == 409 and "replay" in answer["reason"]


@pytest.mark.parametrize("case,expect,words", [
    ("missing", 401, "no X-Opsys-Signature"),
    ("wrong secret", 401, "does not match"),
    ("tampered", 401, "does not match"),
    ("stale", 401, "stale"),
    ("not json type", 415, "not application/json"),
    ("not json body", 415, "not JSON"),
    ("no contact", 422, "email"),
])
def test_refusals_say_why(server, app, case, expect, words):
    body = json.dumps(FORM).encode()
    if case == "missing":
        result = post(server, body, {})
    elif case == "wrong secret":
        result = post(server, body, secret="another", signed_at=int(time.time()))
    elif case == "tampered":
        header = sign(SECRET, body, int(time.time()))
        result = post(server, body.replace(b"12k", b"99k"), {SIGNATURE_HEADER: header})
    elif case == "stale":
        result = post(server, body, signed_at=int(time.time()) - 400)
    elif case == "not json type":
        result = post(server, body, content_type="text/plain", signed_at=int(time.time()))
    elif case == "not json body":
        result = post(server, b"name=Dana&email=dana@x.example", signed_at=int(time.time()))
    else:
        result = post(server, json.dumps({"name": "Dana", "message": "hi"}).encode(), signed_at=int(time.time()))
    status, answer = result
    assert status == expect and words.lower() in answer["reason"].lower(), answer
    assert answer["fix"] and SECRET not in json.dumps(answer)
    assert list(app.ws.inbox.iterdir()) == []  # nothing refused reaches the inbox


def test_too_big_is_refused_before_it_is_read(server, app):
    body = json.dumps({**FORM, "message": "x" * 70_000}).encode()  # over the template's 64 KB
    status, answer = post(server, body, signed_at=int(time.time()))
    assert status == 413 and "limit" in answer["reason"]
    assert list(app.ws.inbox.iterdir()) == []


def test_without_the_secret_the_endpoint_says_it_is_not_configured(app, monkeypatch):
    monkeypatch.delenv("OPSYS_INTAKE_SECRET", raising=False)
    srv = make_server(app.ws, app.ws.var / "site" / "team", port=0)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        status, answer = post(srv, json.dumps(FORM).encode(), signed_at=int(time.time()))
    finally:
        srv.shutdown()
        srv.server_close()
    assert status == 503 and "OPSYS_INTAKE_SECRET" in answer["reason"]
