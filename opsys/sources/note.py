"""Read a call or referral note someone typed (.txt / .md).

Format: an optional block of `Key: value` lines at the top, a blank line, then free text:

    Logged-by: Sam
    Type: phone
    Caller: Dana Whitfield
    Phone: 020 7946 0958
    Company: Whitfield Dental
    Date: 2026-11-23 15:04

    Wants a new booking site before March, budget around 8k.

Keys are case-insensitive and `-`, `_` and space are the same: `Logged-by`,
`Type` (`phone` | `referral`), `Caller` / `Name` / `Contact`, `Phone`, `Email`, `Company`,
`Referred-by`, `Date`, `Subject`, `Service`, `Budget`, `Timeline`, `Company-size`.
Other keys are kept in `fields` as `extra.<key>`. A `.md` note may hold the same keys in
`---` frontmatter instead. Channel: `Type` if given, else "referral" when `Referred-by` is
present, else "phone". Dates are read day-first; a time without a zone is read as UTC.
A note must name the caller or give a phone or email.
"""

from __future__ import annotations

import re

from opsys.records import Channel, InboundMessage
from opsys.sources.decoding import decode_text
from opsys.sources.errors import SourceError
from opsys.sources.fields import STRUCTURED_FIELDS, canonical_field, field_key, parse_when

_NOTE_KEYS: dict[str, str] = {
    "loggedby": "logged_by", "takenby": "logged_by", "author": "logged_by", "recordedby": "logged_by",
    "type": "type", "kind": "type",
    "caller": "name", "name": "name", "contact": "name", "callername": "name",
    "contactname": "name", "client": "name", "who": "name",
    "phone": "phone", "tel": "phone", "telephone": "phone", "mobile": "phone",
    "phonenumber": "phone", "number": "phone", "callback": "phone",
    "email": "email", "emailaddress": "email", "mail": "email",
    "company": "company", "companyname": "company", "organisation": "company",
    "organization": "company", "business": "company",
    "referredby": "referred_by", "referrer": "referred_by", "referral": "referred_by",
    "referredfrom": "referred_by",
    "date": "date", "when": "date", "time": "date", "datetime": "date", "calledat": "date",
    "subject": "subject", "re": "subject", "about": "subject", "topic": "subject",
    "service": "service", "budget": "budget", "timeline": "timeline", "companysize": "company_size",
}
_NOTE_VALUES = set(_NOTE_KEYS.values())
_TYPES: dict[str, Channel] = {
    "phone": "phone", "call": "phone", "phonecall": "phone", "voicemail": "phone",
    "referral": "referral", "intro": "referral", "introduction": "referral",
}
# A colon followed by space or end of line, so "http://..." in the text is not a key.
# `Key: value` or `Key:value`; a key ends in a letter, so "Rang at 9:15" and "http://" are text
_HEADER_LINE = re.compile(r"^\s*([A-Za-z](?:[\w \-]{0,29}[A-Za-z])?)\s*:(?!//)\s*(.*)$")
_FIX_FORMAT = "start the note with `Caller:` and `Phone:` lines, leave a blank line, then write the note"


def parse_note(data: bytes, name: str) -> InboundMessage:
    """A call or referral note as an InboundMessage on channel "phone" or "referral"."""
    text, warnings = decode_text(data, name, "a text note", "save the note as plain text (.txt or .md)")
    if not text.strip():
        raise SourceError(name, "the note is empty", _FIX_FORMAT)
    headers, body = _split(text, markdown=name.lower().endswith(".md"))
    values: dict[str, str] = {}
    fields: dict[str, str] = {}
    for key, value in headers:
        ours = _our_key(key)
        if ours == "message":
            body = f"{value}\n\n{body}" if body else value
        elif ours is None or ours in values:
            # Unknown or repeated keys are kept, never dropped.
            fields[_unique(f"extra.{key.strip()}", fields)] = value
        else:
            values[ours] = value

    who = values.get("name") or values.get("phone") or values.get("email")
    if not who:
        # still a lead: the person who logged it forgot the caller; intake asks them to add it
        if not body.strip():
            raise SourceError(
                name, "the note does not say who it is about (no Caller, Phone or Email line) nor what was said",
                "add a `Caller:` and `Phone:` line at the top, then a blank line, then the note", field="Caller",
            )
        warnings.append("the note does not say who it is about (no Caller, Phone or Email line): stored without "
                        "contact details; whoever logged it is asked to add them")
        fields["contact_missing"] = "true"
        who = "caller not recorded"
    channel = _channel(values, warnings)
    for key in ("logged_by", "referred_by", *STRUCTURED_FIELDS):
        if values.get(key):
            fields[key] = values[key]
    received_at = None
    if values.get("date"):
        received_at = parse_when(values["date"])
        if received_at is None:
            fields["date"] = values["date"]
            warnings.append(f"Date {values['date']!r} is not a date we can read; write it as 2026-11-23 15:04")
    default_subject = f"Call note: {who}" if channel == "phone" else f"Referral: {who}"
    return InboundMessage(
        channel=channel,
        source_name=name,
        name=values.get("name"),
        email=values.get("email"),
        phone=values.get("phone"),
        company=values.get("company"),
        subject=values.get("subject") or default_subject,
        body=body.strip(),
        received_at=received_at,
        fields=fields,
        warnings=warnings,
    )


def _our_key(key: str) -> str | None:
    """Our name for a header key: note keys first, then form aliases we can use here."""
    ours = _NOTE_KEYS.get(field_key(key))
    if ours is not None:
        return ours
    alias = canonical_field(key)
    if alias == "submitted_at":
        return "date"
    if alias in _NOTE_VALUES or alias in STRUCTURED_FIELDS or alias == "message":
        return alias
    return None


def _split(text: str, markdown: bool) -> tuple[list[tuple[str, str]], str]:
    """(key, value) header lines and the free text after them."""
    lines = text.splitlines()
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if markdown and start < len(lines) and lines[start].strip() == "---":
        end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is not None:
            return _frontmatter(lines[start + 1:end]), "\n".join(lines[end + 1:])
    headers: list[tuple[str, str]] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            break
        match = _HEADER_LINE.match(line)
        if match is None:
            break
        headers.append((match.group(1), (match.group(2) or "").strip()))
        i += 1
    return [(k, v) for k, v in headers if v], "\n".join(lines[i:])


def _frontmatter(lines: list[str]) -> list[tuple[str, str]]:
    """YAML-ish `key: value` lines; `- item` lines under an empty key become a list."""
    pairs: list[list[str]] = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        item = re.match(r"^\s+-\s+(.*)$|^-\s+(.*)$", line)
        if item and pairs:
            pairs[-1][1] = ", ".join(p for p in (pairs[-1][1], _unquote(item.group(1) or item.group(2))) if p)
            continue
        match = _HEADER_LINE.match(line)
        if match:
            pairs.append([match.group(1), _unquote(match.group(2) or "")])
    return [(k, v) for k, v in pairs if v]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _channel(values: dict[str, str], warnings: list[str]) -> Channel:
    """Type when given and known; otherwise a referrer makes it a referral."""
    inferred: Channel = "referral" if values.get("referred_by") else "phone"
    given = values.get("type")
    if not given:
        return inferred
    channel = _TYPES.get(field_key(given))
    if channel is None:
        warnings.append(f"Type {given!r} is not phone or referral; read it as {inferred}")
        return inferred
    return channel


def _unique(key: str, taken: dict[str, str]) -> str:
    out, n = key, 2
    while out in taken:
        out, n = f"{key}_{n}", n + 1
    return out
