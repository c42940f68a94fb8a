"""Turn an InboundMessage into a Lead: clean name, validated email, E.164 phone, UTC time.

Bad values never stop intake: they become None plus a warning the user sees, so one typo in
a form cannot lose the lead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from opsys.records import InboundMessage, Lead
from opsys.sources.fields import EMAIL_ADDRESS

_QUOTES = "\"'`\u201c\u201d\u2018\u2019<>"
# Phone numbers are near the top of a mail; scanning megabytes of quoted history is waste.
_PHONE_SCAN_CHARS = 20_000


def normalise(msg: InboundMessage, default_region: str, now: datetime) -> Lead:
    """A Lead from a parsed message; `default_region` (e.g. "GB") reads national numbers."""
    warnings = list(msg.warnings)
    fields = dict(msg.fields)
    region = (default_region or "").upper() or None
    email = _email(msg.email, warnings)
    phone = _phone(msg.phone, region, warnings)
    if phone is None and not (msg.phone or "").strip():
        phone = _phone_in_text(msg.body, region)
        if phone is not None:
            fields["phone_source"] = "body"
    return Lead(
        channel=msg.channel,
        source_name=msg.source_name,
        position=msg.position,
        name=_name(msg.name, email),
        email=email,
        phone=phone,
        company=" ".join((msg.company or "").split()) or None,
        subject=" ".join(_text(msg.subject).split()),
        body=_text(msg.body),
        received_at=_utc(msg.received_at or now),
        attachments=list(msg.attachments),
        fields=fields,
        warnings=warnings,
    )


def _name(raw: str | None, email: str | None) -> str | None:
    """Strip quotes and spaces; fix SHOUTING or all-lower names; drop a name that is an address."""
    if not raw:
        return None
    name = " ".join(raw.strip().strip(_QUOTES).split()).strip(_QUOTES + " ")
    if not name or EMAIL_ADDRESS.fullmatch(name) or (email and name.lower() == email):
        return None
    if name.isupper() or name.islower():
        name = " ".join(_title_word(word) for word in name.split(" "))
    return name


def _title_word(word: str) -> str:
    """`o'brien` -> `O'Brien`, `jean-luc` -> `Jean-Luc`, `smith's` -> `Smith's`."""
    parts = re.split(r"([-'\u2019])", word.lower())
    out = []
    for i, part in enumerate(parts):
        # After an apostrophe only a one-letter prefix (O', D') takes a capital next.
        after_apostrophe = i >= 2 and parts[i - 1] in "'\u2019"
        if after_apostrophe and len(parts[i - 2]) != 1:
            out.append(part)
        else:
            out.append(part[:1].upper() + part[1:])
    return "".join(out)


def _email(raw: str | None, warnings: list[str]) -> str | None:
    """A syntactically valid address in lower case, or None with a warning naming the value."""
    if not raw or not raw.strip():
        return None
    value = raw.strip().strip(_QUOTES)
    if value.lower().startswith("mailto:"):
        value = value[7:]
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as err:
        warnings.append(f"email {raw.strip()!r} is not a valid address ({err}); left empty")
        return None
    return checked.normalized.lower()


def _phone(raw: str | None, region: str | None, warnings: list[str]) -> str | None:
    """E.164 (`+442079460958`), or None with a warning naming the value."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        warnings.append(f"phone {raw.strip()!r} is not a phone number ({err}); left empty")
        return None
    if not phonenumbers.is_valid_number(number):
        warnings.append(f"phone {raw.strip()!r} is not a valid number for {region or 'any region'}; left empty")
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_in_text(text: str, region: str | None) -> str | None:
    """The first valid phone number written in the text, when the source had no phone field."""
    if not text:
        return None
    try:
        for match in phonenumbers.PhoneNumberMatcher(text[:_PHONE_SCAN_CHARS], region or "ZZ"):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return None
    return None


def _text(text: str | None) -> str:
    """One line-ending style, no trailing spaces, at most one blank line in a row."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _utc(when: datetime) -> datetime:
    """Aware UTC; a naive time is taken to be UTC already."""
    try:
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-01:00 has no UTC time: keep the wall time, called UTC
        return when.replace(tzinfo=UTC)
