"""Read one RFC 5322 mail (.eml) into an InboundMessage on channel "email".

Real mail is often broken, so every part is read defensively: an unknown or wrong charset
is guessed and noted in `warnings`, a part that will not decode never stops the message.
Attachments and nested messages are recorded (name, type, size), never saved or opened.
Website form notifications (From: no-reply/WordPress/Webflow...) take the contact from
their `Name:` / `Email:` / `Phone:` lines or Reply-To instead of the robot sender.
HTML bodies are read as a person sees them (`opsys/sources/html_text.py`): hidden text is left
out and warned about. The receiving server's SPF/DKIM/DMARC verdict is kept in `fields`
(`opsys/sources/mail_auth.py`). Header lines over 64 KB are cut before parsing.
"""

from __future__ import annotations

import codecs
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError, MessageError
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from charset_normalizer import from_bytes

from opsys.records import Attachment, InboundMessage
from opsys.sources.errors import SourceError
from opsys.sources.fields import EMAIL_ADDRESS, STRUCTURED_FIELDS, canonical_field, sort_fields
from opsys.sources.html_text import read_html
from opsys.sources.limits import BODY_MAX, SUBJECT_MAX
from opsys.sources.mail_auth import auth_fields
from opsys.sources.mail_headers import meaning_fields
from opsys.sources.reply_split import split_reply

_PARSER = BytesParser(policy=policy.default)
_FIX_SAVE = "save the mail from your mail client as .eml (the file starts with headers like From:, To:, Subject:)"
# Website form robots send on behalf of many different people (whole words: "Wixted" is a person)
_FORM_ROBOT = re.compile(
    r"\bforms?@|\b(?:wordpress|webflow|wix|squarespace|typeform|jotform|formspree|formsubmit|wpforms|"
    r"gravity ?forms|elementor|netlify)\b",
    re.IGNORECASE,
)
_NO_REPLY = re.compile(
    r"no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer-daemon|\bnotifications?@|" + _FORM_ROBOT.pattern,
    re.IGNORECASE,
)
_FORM_LINE = re.compile(r"^\s*\**\s*([A-Za-z][\w '/()?-]{0,40}?)\s*\**\s*:\s*(.*)$")
_HEADER_LINE_MAX = 64 * 1024
_HEADERS_MAX = 256 * 1024  # a header block larger than this has its long lines cut before parsing
_BASE64_DEFECTS = ("InvalidBase64CharactersDefect", "InvalidBase64PaddingDefect", "InvalidBase64LengthDefect")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=\s]")
_HEADER_ERRORS = (HeaderParseError, ValueError, IndexError, TypeError, AttributeError, LookupError)
_MAX_DEPTH = 30
_DELIMITER_LINE = re.compile(r"^--(\S{1,200}?)[ \t]*\r?$", re.MULTILINE)
_RAW_FILENAME = re.compile(r"\b(?:file)?name\*?\s*=\s*\"?([^\";\r\n]+)", re.IGNORECASE)
_COMMON_LIES = {"us-ascii", "ascii", "utf-8", "utf8", "7bit", "8bit"}
# Labels mailers use for what is really the superset (as browsers read them, per WHATWG).
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "iso-8859-1": "cp1252",
    "latin1": "cp1252", "iso8859-1": "cp1252", "shift_jis": "cp932", "sjis": "cp932",
    "x-sjis": "cp932", "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "tis-620": "cp874",
    "iso-8859-9": "cp1254", "iso-8859-11": "cp874", "big5": "big5hkscs",
}
_META_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


@dataclass
class _Parts:
    """What a walk over the MIME tree found."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    nested: list[Message] = field(default_factory=list)
    charsets: list[str] = field(default_factory=list)


def parse_email(data: bytes, name: str) -> InboundMessage:
    """One mail message; broken parts become warnings, only a non-mail file is an error."""
    _refuse_non_mail(data, name)
    warnings: list[str] = []
    msg = _PARSER.parsebytes(_trim_headers(data, warnings))
    if not msg.keys():
        problem = "there are no header lines at the top, so this is not an RFC 5322 mail message"
        raise SourceError(name, problem, _FIX_SAVE)
    headers = _raw_headers(msg)
    parts = _Parts()
    _walk(msg, parts, warnings, depth=0)
    body = _body(parts, warnings)
    nested, level = parts.nested, 1
    while not body and nested and level <= 5:
        # A mail that only forwards another one (as an attachment): read the forwarded text.
        forwarded = _Parts()
        for inner in nested:
            _walk(inner, forwarded, warnings, depth=level)
        body, nested, level = _body(forwarded, warnings), forwarded.nested, level + 1

    hint = next((c for c in parts.charsets if c and c not in _COMMON_LIES), None)
    fields: dict[str, str] = {}
    contact = _contact(headers, body, hint, fields, warnings)
    fields.update(_hints(msg, headers))
    fields.update(auth_fields(list(msg.raw_items()), _address(headers.get("from", ""), hint)[1]))
    # Four times the kept length: encoded words are longer than their text, and the rest is cut anyway.
    subject = _decode_words(headers.get("subject", "")[:4 * SUBJECT_MAX + 200], hint, warnings, "the Subject")
    if "notification_from" not in fields:  # a form robot's mail is the form, not a reply
        body = _new_text(body, subject, fields)
    return InboundMessage(
        channel="email",
        source_name=name,
        name=contact["name"],
        email=contact["email"],
        phone=contact["phone"],
        company=contact["company"],
        subject=" ".join(subject.split()),
        body=body,
        received_at=_date(headers.get("date", ""), warnings),
        attachments=parts.attachments,
        fields=fields,
        warnings=warnings,
    )


def _new_text(body: str, subject: str, fields: dict[str, str]) -> str:
    """Only what the sender wrote now is classified and scored; the quote and signature stay in `fields`."""
    forwarded = subject.strip().lower().startswith(("fw:", "fwd:", "wg:", "tr:"))
    reply = split_reply(body, forwarded=forwarded)
    if reply.split:
        fields.update({k: v for k, v in (("quoted_text", reply.quoted[:2000]), ("signature", reply.signature),
                                         ("quote_header", reply.quote_header)) if v})
    return reply.new_text


def _contact(
    headers: dict[str, str], body: str, hint: str | None, fields: dict[str, str], warnings: list[str]
) -> dict[str, str | None]:
    """Who to reply to: From, unless it is a robot; then the form's lines or Reply-To."""
    sender_name, sender = _address(headers.get("from", ""), hint)
    contact: dict[str, str | None] = {"name": sender_name, "email": sender, "phone": None, "company": None}
    if not sender or not _NO_REPLY.search(f"{sender_name or ''} <{sender}>"):
        return contact
    fields["notification_from"] = sender
    reply_name, reply_to = _address(headers.get("reply-to", ""), hint)
    if reply_to and not _NO_REPLY.search(reply_to):
        contact.update(name=reply_name, email=reply_to)
    form = sort_fields(_form_lines(body))
    if form.known.get("email") or form.known.get("phone"):
        # The submitted form is what the person typed; it beats headers a plugin filled in.
        for key in ("email", "phone", "company"):
            contact[key] = form.known.get(key) or contact[key]
        contact["name"] = form.name() or contact["name"]
        fields.update({k: form.known[k] for k in STRUCTURED_FIELDS if form.known.get(k)})
    elif contact["email"] == sender and _FORM_ROBOT.search(f"{sender_name or ''} <{sender}>"):
        # a form robot is nobody to reply to, and would make every lead it relays one contact
        contact["email"] = None
        warnings.append(f"sender {sender} is a website form robot and the mail gives no other contact; "
                        "stored without an email (the address is kept as notification_from)")
    elif contact["email"] == sender:
        warnings.append(f"sender {sender} is a no-reply address and the mail gives no other contact")
    return contact


def _body(parts: _Parts, warnings: list[str]) -> str:
    """The text/plain parts, or when there are none with text, the visible text of the HTML parts."""
    plain = [t.strip() for t in parts.plain if t.strip()]
    if plain:
        return "\n\n".join(plain)
    texts: list[str] = []
    for html in parts.html:
        # Only BODY_MAX characters are kept, so reading further would be work thrown away.
        read = read_html(html, max_chars=BODY_MAX + 1)
        warning = read.warning()
        if warning:
            warnings.append(warning)
        if read.text:
            texts.append(read.text)
    return "\n\n".join(texts)


def _trim_headers(data: bytes, warnings: list[str]) -> bytes:
    """The mail with header lines over 64 KB cut: the stdlib parser needs ~20x a header's size in memory."""
    end = re.search(rb"\r?\n\r?\n", data)
    head_end = end.start() if end else len(data)
    if head_end <= _HEADERS_MAX:
        return data
    fields = re.split(rb"\r?\n(?![ \t])", data[:head_end])
    kept: list[bytes] = []
    for field_bytes in fields:
        if len(field_bytes) > _HEADER_LINE_MAX:
            header = field_bytes.split(b":", 1)[0][:60].decode("ascii", "replace")
            warnings.append(f"the {header} header is {len(field_bytes):,} bytes; only its first "
                            f"{_HEADER_LINE_MAX:,} were read (the whole file is kept in the archive)")
            field_bytes = field_bytes[:_HEADER_LINE_MAX]
            # A cut may end inside an encoded word or on a fold; end on a whole line.
            field_bytes = re.sub(rb"\r?\n[ \t]*$", b"", field_bytes)
        kept.append(field_bytes)
    return b"\r\n".join(kept) + data[head_end:]


def _refuse_non_mail(data: bytes, name: str) -> None:
    """Empty files, Outlook .msg and binary files are not mail; say so before parsing."""
    if not data.strip():
        raise SourceError(name, "the file is empty, not an RFC 5322 mail message", _FIX_SAVE)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(
            name, "this is an Outlook .msg file, not an RFC 5322 mail message",
            "forward the mail to the intake mailbox, or drag it out of a mail client that saves .eml",
        )
    head = re.split(rb"\r?\n\r?\n", data[:65536], maxsplit=1)[0]
    if b"\0" in head:
        raise SourceError(name, "the headers contain binary data, so this is not an RFC 5322 mail message", _FIX_SAVE)


def _walk(part: Message, found: _Parts, warnings: list[str], depth: int) -> None:
    """Collect body texts and attachment records; nested messages are not descended into."""
    if depth > _MAX_DEPTH:
        warnings.append(f"MIME parts nested deeper than {_MAX_DEPTH} levels were skipped")
        return
    # Each header lookup re-parses it under policy.default, so read Content-Type once.
    ctype, params = _content_type(part)
    maintype = ctype.partition("/")[0]
    if part.is_multipart():
        if maintype == "message":
            found.attachments.append(_nested_message(part, ctype))
            inner = part.get_payload()
            if ctype == "message/rfc822" and inner and isinstance(inner[0], Message):
                found.nested.append(inner[0])
            return
        for sub in part.get_payload():
            if isinstance(sub, Message):
                _walk(sub, found, warnings, depth + 1)
        return
    disposition, filename = _disposition(part, params)
    if disposition == "attachment" or (filename and disposition != "inline"):
        found.attachments.append(Attachment(filename or _unnamed(ctype), ctype, len(_payload(part))))
    elif ctype == "text/html":
        found.html.append(_text(part, ctype, params, warnings))
        found.charsets.append(str(params.get("charset", "")).lower())
    elif ctype == "text/plain":
        found.plain.append(_text(part, ctype, params, warnings))
        found.charsets.append(str(params.get("charset", "")).lower())
    elif maintype == "multipart":
        recovered = _recover_parts(part)
        if recovered is not None:
            warnings.append(f"a {ctype} part's boundary does not match its body; split it by the one the body uses")
            _walk(recovered, found, warnings, depth + 1)
        else:
            warnings.append(f"a {ctype} part has no parts (its boundary is missing); read it as plain text")
            found.plain.append(_text(part, "text/plain", params, warnings))
    else:
        found.attachments.append(Attachment(filename or _unnamed(ctype), ctype, len(_payload(part))))


def _recover_parts(part: Message) -> Message | None:
    """Re-split a multipart whose declared boundary is absent, using the `--token` lines it has."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    delimiter = _DELIMITER_LINE.search(payload)
    if delimiter is None or '"' in delimiter.group(1) or payload.count(delimiter.group(0).strip()) < 2:
        return None
    head = f'Content-Type: multipart/mixed; boundary="{delimiter.group(1)}"\n\n'.encode()
    recovered = _PARSER.parsebytes(head + payload.encode("utf-8", "surrogateescape"))
    return recovered if recovered.is_multipart() and recovered.get_payload() else None


def _text(part: Message, ctype: str, params: dict[str, str], warnings: list[str]) -> str:
    """A text part decoded by its declared charset, else by a guess noted in warnings."""
    raw = _payload(part)
    damage = sorted({type(d).__name__ for d in part.defects} & set(_BASE64_DEFECTS))
    if damage:
        encoded = str(part.get_payload()).encode("utf-8", "surrogateescape")
        if len(_NOT_BASE64.findall(encoded)) * 20 > len(encoded):
            # Over 5% of it cannot be base64 at all: text sent under a wrong label.
            raw = encoded
            warnings.append(f"a {ctype} part is marked base64 but is not; read it as written")
        else:
            kinds = ", ".join(d.removeprefix("InvalidBase64").removesuffix("Defect").lower() for d in damage)
            warnings.append(f"a {ctype} part's base64 is damaged (invalid {kinds}); its text may be garbled")
    declared = str(params.get("charset") or "").strip().lower()
    if not declared and ctype == "text/html":
        meta = _META_CHARSET.search(raw[:4096])
        declared = meta.group(1).decode("ascii").lower() if meta else ""
    declared = declared or "us-ascii"
    try:
        text = raw.decode(_SUPERSETS.get(declared, declared), "replace")
    except (LookupError, ValueError):
        text, guessed = _guess(raw)
        warnings.append(f"a {ctype} part declares the unknown charset {declared!r}; read it as {guessed}")
        return text
    bad = text.count("\ufffd") - raw.count(b"\xef\xbf\xbd")
    if bad <= 0:
        return text
    if declared in _COMMON_LIES and not (declared.startswith("utf") and bad * 1000 <= len(text)):
        # Mailers often declare us-ascii or utf-8 over cp1252 or other bytes; a few bad
        # bytes in otherwise good UTF-8 are damage, not a wrong label.
        text, guessed = _guess(raw)
        if params.get("charset") or guessed != "utf-8":
            # 8-bit UTF-8 with no charset at all is today's norm, not a problem to report.
            warnings.append(f"a {ctype} part is not valid {declared}; read it as {guessed}")
    else:
        warnings.append(f"{bad} characters of a {declared} {ctype} part could not be decoded")
    return text


def _guess(raw: bytes) -> tuple[str, str]:
    """Decode bytes whose charset is unknown: UTF-8 if valid, else charset-normalizer's best."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = _best_match(raw)
    if best is not None:
        return best
    return raw.decode("latin-1"), "latin-1"


def _best_match(raw: bytes) -> tuple[str, str] | None:
    """charset-normalizer's pick; among equally good ones, Windows-1252, the commonest in mail."""
    results = list(from_bytes(raw))
    if not results:
        return None
    best = min(results, key=lambda m: (m.chaos, -m.coherence))
    for match in results:
        if match.encoding == "cp1252" and (match.chaos, match.coherence) == (best.chaos, best.coherence):
            best = match
    return str(best), best.encoding


def _payload(part: Message) -> bytes:
    """The transfer-decoded bytes of a part; b"" when the encoding itself is broken."""
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError):
        return b""
    return payload if isinstance(payload, bytes) else b""


def _nested_message(part: Message, ctype: str) -> Attachment:
    """A forwarded message/rfc822 part, recorded by its subject."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    filename = _disposition(part, {})[1]
    size = 0
    if isinstance(inner, Message):
        if not filename:
            subject = " ".join(_decode_words(_raw_headers(inner).get("subject", "")).split())
            filename = f"{subject[:80]}.eml" if subject else None
        try:
            size = len(inner.as_bytes())
        except (ValueError, TypeError, LookupError, HeaderParseError):
            size = 0
    return Attachment(filename or _unnamed(ctype), ctype, size)


def _unnamed(ctype: str) -> str:
    ext = ".eml" if ctype.startswith("message/") else (mimetypes.guess_extension(ctype) or ".bin")
    return f"unnamed{ext}"


def _content_type(part: Message) -> tuple[str, dict[str, str]]:
    """(type/subtype, parameters); a missing or broken header gives the MIME default."""
    try:
        header = part.get("content-type")
    except _HEADER_ERRORS:
        header = None
    if header is None:
        return part.get_default_type(), {}
    ctype = str(getattr(header, "content_type", "") or "")
    params = dict(getattr(header, "params", {}) or {})
    return (ctype if "/" in ctype else "text/plain"), params


def _disposition(part: Message, params: dict[str, str]) -> tuple[str | None, str | None]:
    """(attachment | inline | None, filename); the filename may come from Content-Type `name`."""
    try:
        header = part.get("content-disposition")
    except _HEADER_ERRORS:
        header = None
    disposition = getattr(header, "content_disposition", None) if header is not None else None
    header_params = dict(getattr(header, "params", {}) or {}) if header is not None else {}
    filename = header_params.get("filename") or params.get("name") or _raw_filename(part)
    filename = _clean(str(filename)).strip() if filename else None
    return disposition, filename or None


def _raw_filename(part: Message) -> str | None:
    """A filename the stdlib refused, e.g. an unquoted RFC 2047 word `filename==?koi8-r?B?...?=`."""
    for key, value in part.raw_items():
        if key.lower() in ("content-disposition", "content-type"):
            found = _RAW_FILENAME.search(str(value))
            if found:
                return _decode_words(found.group(1).strip()) or None
    return None


def _raw_headers(msg: Message) -> dict[str, str]:
    """First raw value of each header, by lower-case name, without policy parsing."""
    headers: dict[str, str] = {}
    for key, value in msg.raw_items():
        headers.setdefault(key.lower(), value if isinstance(value, str) else str(value))
    return headers


def _decode_words(raw: str, hint: str | None = None, warnings: list[str] | None = None, what: str = "") -> str:
    """RFC 2047 encoded words decoded; an unknown charset (`x-unknown`) is guessed, with a warning."""
    if "=?" not in raw:
        return _clean(raw, hint)
    try:
        chunks = decode_header(raw)
    except (HeaderParseError, ValueError):
        return _clean(raw, hint)
    if all(_codec(charset) for _, charset in chunks if charset):
        try:
            return _clean(str(make_header(chunks)), hint)
        except (LookupError, UnicodeError, ValueError, MessageError):  # e.g. CharsetError for `=?utf-\xe98?Q?`
            pass
    # A wrong or unknown charset in one word: decode word by word, leniently.
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        codec = _codec(charset or "us-ascii")
        if codec is not None:
            out.append(chunk.decode(codec, "replace"))
            continue
        text, guessed = _guess_short(chunk, hint)
        out.append(text)
        if warnings is not None:
            warnings.append(f"{what or 'a header'} declares the unknown charset {charset!r}; read it as {guessed}")
    return _clean("".join(out), hint)


def _codec(charset: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when there is none (`x-unknown`, `unknown-8bit`)."""
    label = (charset or "").strip().lower().split("*", 1)[0]  # RFC 2231 `utf-8*en`
    try:
        return codecs.lookup(_SUPERSETS.get(label, label)).name
    except (LookupError, ValueError):
        return None


def _guess_short(raw: bytes, hint: str | None) -> tuple[str, str]:
    """A few bytes of unknown charset: UTF-8, else the body's charset, else Windows-1252."""
    for label in ("utf-8", hint):
        codec = _codec(label) if label else None
        if codec:
            try:
                return raw.decode(codec), codec
            except UnicodeDecodeError:
                pass
    if len(raw) >= 64:
        return _guess(raw)
    return raw.decode("cp1252", "replace"), "cp1252"


def _clean(text: str, hint: str | None = None) -> str:
    """Undo the parser's surrogate escapes for raw 8-bit header bytes.

    Such headers are usually in the body's charset (`hint`); a few bytes are too few for
    charset-normalizer, so short ones without a hint are read as Windows-1252.
    """
    if not re.search("[\udc80-\udcff]", text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    for codec in ("utf-8", _SUPERSETS.get(hint or "", hint)):
        if codec:
            try:
                return raw.decode(codec)
            except (LookupError, UnicodeDecodeError):
                pass
    if len(raw) < 64:
        return raw.decode("cp1252", "replace")
    return _guess(raw)[0]


def _address(value: str, hint: str | None) -> tuple[str | None, str | None]:
    """(display name, address) of the first mailbox in an address header."""
    value = _clean(value, hint)
    if not value.strip():
        return None, None
    for display, address in getaddresses([" ".join(value.split())]):
        if address or display:
            display = _decode_words(display, hint).strip()
            address = address.strip() or None
            if address is None:
                found = EMAIL_ADDRESS.search(display)
                address = found.group(0) if found else None
            return display or None, address
    found = EMAIL_ADDRESS.search(value)
    return None, found.group(0) if found else None


def _form_lines(body: str) -> list[tuple[str, str]]:
    """`Label: value` lines of a form notification; a value may sit on the next line."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for line in body.splitlines():
        if not line.strip():
            continue
        match = _FORM_LINE.match(line)
        if match and not match.group(2).startswith("//"):
            label, value = match.group(1), match.group(2).strip()
            if value:
                pairs.append((label, value))
                pending = None
            else:
                pending = label
        elif pending is not None:
            pairs.append((pending, line.strip()))
            pending = None
        elif (cell := _table_row(line)) is not None:
            pairs.append(cell)
    return pairs


def _table_row(line: str) -> tuple[str, str] | None:
    """An HTML table row of a form notification reads "Email dana@x.example": a known label, then its value."""
    words = line.split()
    for n in (3, 2, 1):
        if len(words) > n and canonical_field(" ".join(words[:n])) is not None:
            return " ".join(words[:n]), " ".join(words[n:])
    return None


def _date(value: str, warnings: list[str]) -> datetime | None:
    raw = " ".join(_clean(value).split())
    if not raw:
        warnings.append("no Date header; the time the file arrived will be used")
        return None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        warnings.append(f"Date header {raw!r} is not a date we can read; the time the file arrived will be used")
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _hints(msg: Message, headers: dict[str, str]) -> dict[str, str]:
    """Header facts rules use later: bulk mail (a spam hint), auto replies, the Message-ID."""
    hints: dict[str, str] = {}
    precedence = headers.get("precedence", "").strip().lower()
    if "list-unsubscribe" in headers or precedence in ("bulk", "list", "junk"):
        hints["bulk"] = "yes"
    auto = headers.get("auto-submitted", "").strip().lower()
    if (auto and not auto.startswith("no")) or _content_type(msg)[0] == "multipart/report":
        hints["auto_submitted"] = "yes"
    message_id = " ".join(_clean(headers.get("message-id", "")).split())
    if message_id:
        hints["message_id"] = message_id
    hints.update(meaning_fields(msg, headers))  # threading, auto-reply and delivery-report facts
    return hints
