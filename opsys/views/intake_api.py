"""`POST /api/intake`: a website's form backend hands opsys a submission, signed, once.

The post is checked in this order, and each refusal says why with its status code:

    503  not configured      the secret's environment variable (sources.yml intake_api.secret_env) is unset
    411  no length           a body without Content-Length (chunked uploads are not read)
    413  too big             over intake_api.max_kb, refused before a byte of it is read
    415  not JSON            Content-Type is not application/json, or the body does not parse as an object
    401  bad signature       X-Opsys-Signature missing, malformed, or no v1 matches HMAC-SHA256(secret, "<t>." + body)
    401  stale               t is more than intake_api.window_seconds from this server's clock
    409  replayed            this signature was accepted before (kept on disk for twice the window)
    422  not a lead          the form reader refuses it (no email or phone): the reader's problem and fix
    202  accepted            written atomically into var/inbox/ as a .json form file

Then the post takes the same exactly-once path as any dropped file (the watcher, `opsys ingest`):
keyed by its content hash, stored in one transaction, archived after the commit. The secret never
appears in a response, a log line or a file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from opsys.config.intake_api_models import IntakeApi
from opsys.workspace import Workspace

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Opsys-Signature"


@dataclass(frozen=True)
class Answer:
    status: int
    payload: dict

    @classmethod
    def refuse(cls, status: HTTPStatus, reason: str, fix: str) -> "Answer":
        return cls(int(status), {"accepted": False, "status": int(status), "error": status.phrase,
                                 "reason": reason, "fix": fix})


def sign(secret: str, body: bytes, t: int) -> str:
    """The header value a sender puts on a post: `t=<t>,v1=<hex>` (what a website's backend computes)."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class IntakeEndpoint:
    """Checks, then writes one form file into the inbox. Built once per server; safe across threads."""

    def __init__(self, ws: Workspace, settings: IntakeApi | None, *, problem: str | None = None,
                 environ: Mapping[str, str] = os.environ, clock: Callable[[], float] = time.time):
        self.ws, self.settings, self.problem, self.environ, self.clock = ws, settings, problem, environ, clock
        self.seen_dir = ws.var / "intake_api" / "seen"

    @classmethod
    def for_workspace(cls, ws: Workspace, **kwargs) -> "IntakeEndpoint":
        """The settings of the workspace's sources.yml; a map that does not load makes the endpoint say so."""
        from opsys.config.loader import load_system_map
        from opsys.config.problems import ConfigError

        try:
            return cls(ws, load_system_map(ws.system_map).sources.intake_api, **kwargs)
        except (ConfigError, OSError) as e:
            return cls(ws, None, problem=f"the system map does not load: {str(e).splitlines()[0]}", **kwargs)

    def handle(self, headers: Mapping[str, str], read: Callable[[int], bytes]) -> Answer:
        """One post: `headers` as received, `read(n)` the body reader (called only once the size is fine)."""
        s = self.settings
        secret = self.environ.get(s.secret_env, "") if s else ""
        if s is None or not secret:
            return Answer.refuse(HTTPStatus.SERVICE_UNAVAILABLE, self.problem or f"the endpoint is not configured: "
                                 f"the environment variable {s.secret_env} is not set",
                                 f"set {s.secret_env if s else 'intake_api.secret_env'} for `opsys serve` "
                                 "to the secret the website signs with")
        size = _length(headers)
        if size is None:
            return Answer.refuse(HTTPStatus.LENGTH_REQUIRED, "the post has no Content-Length",
                                 "send the body with a Content-Length header (not chunked)")
        limit = int(s.max_kb * 1024)
        if size > limit:
            return Answer.refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is {size:,} bytes, over the "
                                 f"{limit:,}-byte limit", "send the form's fields only (files go by mail), or "
                                 "raise intake_api.max_kb in system_map/sources.yml")
        body = read(size) if size else b""
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            return Answer.refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"Content-Type is {ctype or 'missing'!r}, "
                                 "not application/json", "post the form as a JSON object")
        checked = self._signature(headers.get(SIGNATURE_HEADER) or "", body, secret, s.window_seconds)
        if isinstance(checked, Answer):
            return checked
        try:
            post = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return Answer.refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"the body is not JSON ({e})",
                                 "post the form as one UTF-8 JSON object")
        if not isinstance(post, dict):
            return Answer.refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"the body is a JSON {type(post).__name__}, "
                                 "not an object", "post the form as one JSON object of field: value")
        refusal = _readable(body)
        if refusal:
            return refusal
        if not self._first_use(checked):
            return Answer.refuse(HTTPStatus.CONFLICT, "this signature was accepted before (a replay)",
                                 "sign every post anew with the current time")
        name = self._write(body, checked)
        log.info("intake post accepted as %s", name)
        return Answer(int(HTTPStatus.ACCEPTED), {"accepted": True, "file": name,
                                                 "note": "queued in var/inbox/; intake stores it exactly once"})

    def _signature(self, header: str, body: bytes, secret: str, window: int) -> str | Answer:
        """The matching v1 value, or the refusal."""
        parts: dict[str, list[str]] = {}
        for item in header.split(","):
            key, _, value = item.strip().partition("=")
            parts.setdefault(key, []).append(value.strip())
        fix = f'send {SIGNATURE_HEADER}: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body with the shared secret>'
        if not header.strip():
            return Answer.refuse(HTTPStatus.UNAUTHORIZED, f"the post has no {SIGNATURE_HEADER} header", fix)
        try:
            t = int((parts.get("t") or [""])[0])
        except ValueError:
            return Answer.refuse(HTTPStatus.UNAUTHORIZED, f"{SIGNATURE_HEADER} has no whole-second t=", fix)
        if not parts.get("v1"):
            return Answer.refuse(HTTPStatus.UNAUTHORIZED, f"{SIGNATURE_HEADER} has no v1=", fix)
        want = sign(secret, body, t).split("v1=", 1)[1]
        match = next((v for v in parts["v1"] if hmac.compare_digest(v.lower(), want)), None)
        if match is None:
            return Answer.refuse(HTTPStatus.UNAUTHORIZED, "the signature does not match the body and timestamp",
                                 "sign exactly the bytes sent, with the secret opsys has")
        drift = abs(self.clock() - t)
        if drift > window:
            return Answer.refuse(HTTPStatus.UNAUTHORIZED, f"the signature is stale: its time is {drift:,.0f} s "
                                 f"from this server's clock, over the {window} s window",
                                 "sign each post when it is sent, and keep the website's clock right (NTP)")
        return f"{t}:{match.lower()}"

    def _first_use(self, signature: str) -> bool:
        """Record the signature; False when it was recorded before. A file per signature: O_EXCL is atomic
        across threads, processes and restarts."""
        self.seen_dir.mkdir(parents=True, exist_ok=True)
        self._prune()
        mark = self.seen_dir / hashlib.sha256(signature.encode()).hexdigest()[:40]
        try:
            os.close(os.open(mark, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        return True

    def _prune(self) -> None:
        """Marks older than twice the window can never match again (their timestamps are stale)."""
        horizon = self.clock() - 2 * (self.settings.window_seconds if self.settings else 300)
        for entry in os.scandir(self.seen_dir):
            try:
                if entry.stat().st_mtime < horizon:
                    os.unlink(entry.path)
            except OSError:
                pass

    def _write(self, body: bytes, signature: str) -> str:
        """The post as a form file in var/inbox/, written under a hidden name and renamed (never read half)."""
        inbox = self.ws.inbox
        inbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y%m%d-%H%M%S")
        name = f"form-api-{stamp}-{hashlib.sha256(signature.encode()).hexdigest()[:12]}.json"
        tmp = inbox / f".{name}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, inbox / name)
        return name


def _length(headers: Mapping[str, str]) -> int | None:
    if (headers.get("Transfer-Encoding") or "").strip():
        return None
    try:
        n = int(headers.get("Content-Length") or "")
    except ValueError:
        return None
    return n if n >= 0 else None


def _readable(body: bytes) -> Answer | None:
    """The form reader's own verdict (sources/form.py): a post it would quarantine is refused now."""
    from opsys.sources import read_source
    from opsys.sources.errors import SourceError

    try:
        read_source(Path("post.json"), body)
    except SourceError as e:
        return Answer.refuse(HTTPStatus.UNPROCESSABLE_ENTITY, e.problem, e.fix)
    return None


def respond(handler, answer: Answer) -> None:
    """Write the answer as JSON on a http.server handler."""
    data = json.dumps(answer.payload, ensure_ascii=False).encode()
    handler.send_response(answer.status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Cache-Control", "no-store")
    if answer.status in (411, 413):  # the body was not read: the connection cannot carry another request
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    handler.wfile.write(data)
