"""The header facts that say what a mail *means*, kept in `fields` for the rules to read.

Threading: In-Reply-To, References, the From/To/Cc addresses. Auto-replies: Auto-Submitted,
X-Autoreply / X-Autorespond, Precedence. Delivery reports (RFC 3464 `multipart/report;
report-type=delivery-status`): which recipients failed or were only delayed, from the
machine-readable `message/delivery-status` part, else X-Failed-Recipients. Abuse reports
(RFC 5965 `feedback-report`): the complaining recipient. `X-Opsys-Folder` says which mailbox
folder a fetched mail came from (the mailbox connector sets it; "Sent" is the team's own mail).
Nothing here decides; opsys/rules/mail_kinds.py does.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses

from opsys.sources.fields import EMAIL_ADDRESS

_MAX_REFS = 2000  # characters of References kept: the newest ids are at the end
_STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")


def meaning_fields(msg: Message, headers: dict[str, str]) -> dict[str, str]:
    """Header facts as text fields; absent facts are absent keys."""
    out: dict[str, str] = {}
    for key in ("in-reply-to", "references"):
        value = " ".join(_text(headers.get(key, "")).split())
        if value:
            out[key.replace("-", "_")] = value[-_MAX_REFS:]
    for key in ("from", "to", "cc", "bcc"):  # a Sent copy keeps its Bcc
        addrs = _addresses(headers.get(key, ""))
        if addrs:
            out[f"{key}_addresses"] = ", ".join(addrs)
    for key, name in (("auto-submitted", "auto_submitted_header"), ("x-autoreply", "x_autoreply"),
                      ("x-autorespond", "x_autorespond"), ("precedence", "precedence"),
                      ("x-failed-recipients", "x_failed_recipients")):
        value = " ".join(_text(headers.get(key, "")).split())[:200]
        if value:
            out[name] = value
    first = next(iter(msg.keys()), "").lower()
    if first == "x-opsys-folder":  # ours only when on top (intake/mail_files.py puts it there; anyone can write one)
        out["folder"] = " ".join(_text(headers["x-opsys-folder"]).split())[:200]
    try:
        report = msg.get_content_type() in ("multipart/report", *_STATUS_PARTS)
        if report or "x-failed-recipients" in headers:
            out.update(_reports(msg))
    except (ValueError, TypeError, LookupError, AttributeError, IndexError):  # a broken report is just a mail
        pass
    return out


def _reports(msg: Message) -> dict[str, str]:
    """Failed and delayed recipients of a delivery report; the recipient of an abuse report."""
    report_type = str(msg.get_param("report-type", "") or "").lower()
    failed: list[str] = []
    delayed: list[str] = []
    complained: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in _STATUS_PARTS:
            for block in _status_blocks(part):
                action = block.get("action", "").strip().lower()
                who = _addresses(block.get("final-recipient", "") or block.get("original-recipient", ""))
                if not who:
                    continue
                (failed if action == "failed" else delayed if action == "delayed" else []).extend(who)
        elif ctype == "message/feedback-report":
            for block in _status_blocks(part):
                complained += _addresses(block.get("original-rcpt-to", ""))
    if not failed and not delayed and isinstance(msg.get_payload(), str):
        # a report whose boundary the parser could not follow: read its status blocks from the text
        for block in _parse_text_blocks(msg.get_payload()):
            action = block.get("action", "").strip().lower()
            who = _addresses(block.get("final-recipient", "") or block.get("original-recipient", ""))
            (failed if action == "failed" else delayed if action == "delayed" else []).extend(who)
    out = {"report_type": report_type} if report_type else {}
    for key, values in (("dsn_failed", failed), ("dsn_delayed", delayed), ("complaint_recipients", complained)):
        if values:
            out[key] = ", ".join(dict.fromkeys(values))
    return out


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """The header blocks of a delivery-status or feedback part, each as lower-case name -> value."""
    payload = part.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                blocks.append({k.lower(): _text(str(v)) for k, v in sub.items()})
                inner = sub.get_payload()  # a block the parser left as text under the first header
                if isinstance(inner, str) and ":" in inner:
                    blocks += _parse_text_blocks(inner)
        return blocks
    if isinstance(payload, str):
        return _parse_text_blocks(payload)
    return blocks


def _parse_text_blocks(text: str) -> list[dict[str, str]]:
    blocks = []
    for chunk in re.split(r"\r?\n\s*\r?\n", text):
        if chunk.strip():
            parsed = HeaderParser().parsestr(chunk.strip() + "\n")
            blocks.append({k.lower(): _text(str(v)) for k, v in parsed.items()})
    return blocks


def _addresses(value: str) -> list[str]:
    """Lower-case addresses of a header (or a DSN `rfc822; a@b` field)."""
    value = _text(value)
    if ";" in value and value.lower().lstrip().startswith(("rfc822", "utf-8")):
        value = value.split(";", 1)[1]
    found = [a.strip().lower() for _, a in getaddresses([" ".join(value.split())]) if "@" in a]
    if not found:
        found = [a.lower() for a in EMAIL_ADDRESS.findall(value)]
    return list(dict.fromkeys(a.strip("<>") for a in found))


def _text(value: object) -> str:
    """A header value as text; raw 8-bit bytes (surrogate-escaped by the parser) read as UTF-8 or Latin-1."""
    text = value if isinstance(value, str) else str(value)
    if re.search("[\udc80-\udcff]", text):
        raw = text.encode("utf-8", "surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    return text
