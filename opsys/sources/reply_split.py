"""A mail's new text, apart from what it quotes and its signature (mail-parser-reply).

Classification and scoring must read only what the sender wrote now: a reply that quotes "On Tue,
1 Dec 2026 … our timeline is urgent" is not urgent, and a quoted signature's phone is somebody
else's. `mail-parser-reply` (import `mailparser_reply`) recognises the quote headers of the common
mailers in many languages ("On … wrote:", Outlook's "From: … Sent:", "Am … schrieb", "Le … a
écrit"), `>` quotes and signatures ("Best,", "--", "Sent from my iPhone"). A forwarded mail keeps
its whole text (the forwarded message is the content), and when the split would leave nothing the
whole text is kept too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "sv", "pl", "pt", "cs", "da", "ja"]
_SPLIT_MAX = 60_000  # the new text is near the top; the library's regexes need not read megabytes
_FORWARDED = re.compile(r"^\s*(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré)|"
                        r"begin forwarded message:|anfang der weitergeleiteten)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class ReplySplit:
    """What the sender wrote now, and what was split off (both kept for people to read)."""

    new_text: str
    quoted: str = ""
    signature: str = ""
    quote_header: str = ""  # "On Tue, 1 Dec 2026 at 14:02, Maya … wrote:"

    @property
    def split(self) -> bool:
        return bool(self.quoted or self.signature)


def _replies(text: str) -> list:
    """The library's replies, newest first; hyphen lists ("- 40 pages") are content, not a signature."""
    from mailparser_reply.parser import EmailMessage  # lazy: not needed by `opsys --help`

    return EmailMessage(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read().replies


_SIGN_OFF = re.compile(r"^(?:--\s*|__+|sent from .{0,40}|get outlook for .{0,30}|[^\W\d][\w .'!-]{0,38}[,!]?)$",
                       re.IGNORECASE)


def _plausible(signature: str) -> bool:
    """A sign-off line on its own, then a few short lines: not "Thanks, we'd love a quote for …" and the rest."""
    lines = [line.strip() for line in signature.splitlines() if line.strip()]
    return (bool(lines) and len(lines) <= 15 and len(signature) <= 800 and bool(_SIGN_OFF.match(lines[0]))
            and all(len(line) <= 100 for line in lines))


def split_reply(body: str, *, forwarded: bool = False) -> ReplySplit:
    """The new text of a mail body; a forward, or a body the split would empty, is kept whole."""
    if not body.strip() or forwarded or _FORWARDED.search(body[:_SPLIT_MAX]):
        return ReplySplit(body)
    head, tail = body[:_SPLIT_MAX], body[_SPLIT_MAX:]
    try:
        replies = _replies(head)
    except Exception:  # noqa: BLE001 — a library failure on odd text must never lose the mail's text
        return ReplySplit(body)
    if not replies:
        return ReplySplit(body)
    first = replies[0]
    own = (first.full_body or "").strip()  # the newest part with its signature (disclaimers are kept as text)
    signature = (first.signatures or "").strip()
    at = own.rfind(signature) if signature else -1
    if at <= 0 or not _plausible(signature):
        signature = ""
    new_text = (own[:at] + own[at + len(signature):]).strip() if signature else own
    if not new_text:  # only a quote, or only a signature: the whole text is what there is to read
        return ReplySplit(body)
    if len(replies) == 1 and (tail or not signature):
        return ReplySplit(body)  # nothing quoted (and no signature, or a body too long to end in one): as written
    quoted = "\n\n".join(p for r in replies[1:] for p in (r.headers, r.full_body) if p).strip() + tail
    return ReplySplit(new_text, quoted.strip(), signature, replies[1].headers.strip() if len(replies) > 1 else "")


_SIG_PHONE = re.compile(r"(?:\b(?:tel|phone|mob|mobile|cell|fon|telefon|t|m)\b\.?\s*[:.]?\s*)?(\+?\(?\d[\d ()./-]{6,}\d)",
                        re.IGNORECASE)
_LEGAL = re.compile(r"\b(?:ltd|limited|llc|l\.l\.c\.|inc|incorporated|gmbh|ag|bv|b\.v\.|sarl|sas|s\.a\.|s\.l\.|pty|plc|"
                    r"llp|corp|corporation|kg|oy|ab|aps|as|srl|s\.r\.l\.|co\.)\.?$", re.IGNORECASE)
_AT_COMPANY = re.compile(r"^[^|@,]{2,50}?\s(?:at|@|\||,|–|-)\s+([A-Z][\w&.' -]{1,60})$")


def signature_details(signature: str) -> tuple[str | None, str | None]:
    """(a phone as written, a company name) found in a signature; None where it names none."""
    phone = company = None
    for line in signature.splitlines()[:12]:
        text = line.strip().strip("|").strip()
        if not text or "@" in text and " " not in text:
            continue
        if phone is None and (m := _SIG_PHONE.search(text)) and sum(ch.isdigit() for ch in m.group(1)) >= 7:
            phone = m.group(1).strip()
            continue
        if company is None:
            part = text.split("|")[-1].strip() if "|" in text else text
            if _LEGAL.search(part) and len(part) <= 80:
                company = part
            elif (m := _AT_COMPANY.match(text)) and _LEGAL.search(m.group(1)):
                company = m.group(1).strip()
    return phone, company
