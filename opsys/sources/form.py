"""Read a web-form submission saved as JSON (channel "web_form").

One file holds one submission as a JSON object. The documented schema (all keys optional,
but an email or a phone must be present so someone can reply):

    {"form": "contact", "submitted_at": "2026-11-23T15:04:05Z",
     "name": "...", "email": "...", "phone": "...", "company": "...",
     "service": "...", "budget": "...", "timeline": "...", "company_size": "...",
     "website": "...", "referred_by": "...", "subject": "...", "message": "..."}

Form plugins name their fields differently, so keys are matched ignoring case and
punctuation, with common aliases: `Full Name`, `your-name` (Contact Form 7),
`first_name` + `last_name`, `e-mail`, `email_address`, `tel`, `mobile`, `organisation`,
`comments`/`enquiry`/`details`, `interested_in`/`project_type`, `deadline`/`timeframe`,
`employees`/`team_size`, `date`/`created_at`/`timestamp` and more (see `_ALIASES`).
The fields may sit inside a top-level `data`, `fields`, `payload` or `submission` object,
or in a `fields` list of `{"label"|"name"|"key": ..., "value": ...}` items. List values are
joined with ", ". Keys we do not know are kept in `fields` as `extra.<key>`.
`submitted_at` takes ISO 8601, RFC 2822, Unix seconds/milliseconds or day-first dates
(month-first only when day-first is impossible); a time without a zone is read as UTC.

The alias table, value flattening, date reading and text decoding here are shared with
the CSV lead lists, call notes and form-notification mails.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from opsys.records import InboundMessage
from opsys.sources.errors import SourceError

# Our field -> the spellings seen in form plugins and CRM exports, compared after
# `field_key` (lower case, letters and digits only).
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "name", "fullname", "yourname", "contactname", "contact", "customername",
        "clientname", "leadname", "names", "yourfullname", "person", "personname",
    ),
    "first_name": ("firstname", "fname", "givenname", "first", "yourfirstname", "forename"),
    "last_name": ("lastname", "lname", "surname", "familyname", "last", "yourlastname"),
    "email": (
        "email", "emailaddress", "youremail", "youremailaddress", "mail", "emailid",
        "contactemail", "workemail", "businessemail", "replyto",
    ),
    "phone": (
        "phone", "tel", "telephone", "mobile", "phonenumber", "yourphone", "yourtel",
        "cell", "cellphone", "mobilephone", "mobilenumber", "mobilephonenumber",
        "contactnumber", "telephonenumber", "workphone", "businessphone", "phoneno",
        "yourphonenumber", "telefon",
    ),
    "company": (
        "company", "companyname", "organization", "organisation", "business",
        "businessname", "yourcompany", "org", "employer", "accountname", "firm",
        "associatedcompany",
    ),
    "service": (
        "service", "services", "interestedin", "projecttype", "servicetype",
        "serviceinterest", "interest", "product", "producttype", "whatdoyouneed",
    ),
    "budget": ("budget", "projectbudget", "yourbudget", "budgetrange", "estimatedbudget"),
    "timeline": (
        "timeline", "deadline", "timeframe", "launchdate", "startdate", "projecttimeline",
        "desiredtimeline", "when",
    ),
    "company_size": (
        "companysize", "employees", "teamsize", "numberofemployees", "headcount",
        "noofemployees", "size",
    ),
    "website": ("website", "url", "site", "companywebsite", "yourwebsite", "websiteurl", "web"),
    "referred_by": (
        "referredby", "referral", "referrer", "howdidyouhearaboutus", "hearaboutus",
        "howdidyoufindus", "referringmember",
    ),
    "subject": ("subject", "yoursubject", "topic", "regarding"),
    "message": (
        "message", "comments", "comment", "enquiry", "inquiry", "details",
        "projectdetails", "yourmessage", "notes", "note", "description", "body",
        "questions", "question", "howcanwehelp", "projectdescription",
        "additionalinformation", "requirements", "notecontent",
    ),
    "form": ("form", "formname", "formid", "formtitle"),
    "submitted_at": (
        "submittedat", "date", "createdat", "timestamp", "submitted", "submissiondate",
        "datesubmitted", "created", "receivedat", "entrydate", "dateadded", "createdate",
        "createdtime", "createddate", "datecreated",
    ),
    "lead_source": ("leadsource", "source", "utmsource"),
    "job_title": ("jobtitle", "title", "position", "role"),
}
_CANONICAL: dict[str, str] = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}

# Fields copied to InboundMessage.fields under these exact keys; rules read them.
STRUCTURED_FIELDS: tuple[str, ...] = (
    "form", "service", "budget", "timeline", "company_size", "website", "referred_by",
    "lead_source", "job_title",
)
_WRAPPERS = {"data", "fields", "payload", "submission", "formdata", "values"}
_ITEM_LABELS = ("label", "name", "key", "title", "id")
_EMAIL_LIKE = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_DAY_FIRST_FORMATS = (
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d %B %Y %H:%M", "%d %B %Y",
    "%d %b %Y %H:%M", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y",
    # Month-first only when day-first is impossible (11/23/2026 from a US export).
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y",
)


def field_key(label: str) -> str:
    """`Your-E-mail ` and `your_email` compare equal: lower case, letters and digits only."""
    return re.sub(r"[\W_]+", "", label.casefold())


def canonical_field(label: str) -> str | None:
    """Our name for a form/CSV field label, or None when we do not know it."""
    return _CANONICAL.get(field_key(label))


def text_value(value: object) -> str:
    """Any JSON value as one line of text: lists joined with ", ", numbers without `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(t for t in (text_value(v) for v in value) if t)
    if isinstance(value, dict):
        # Name/address widgets send {"first": ..., "last": ...}: their parts read in order.
        return " ".join(t for t in (text_value(v) for v in value.values()) if t)
    return str(value).strip()


@dataclass
class SortedFields:
    """Values sorted into our fields; anything else, or a second value, is an extra."""

    known: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    def name(self) -> str | None:
        """The full name, built from first + last name when no full name was given."""
        if self.known.get("name"):
            return self.known["name"]
        parts = [self.known.get("first_name", ""), self.known.get("last_name", "")]
        return " ".join(p for p in parts if p) or None

    def message_fields(self) -> dict[str, str]:
        """What goes in InboundMessage.fields: structured keys, then `extra.<label>`."""
        out = {k: self.known[k] for k in STRUCTURED_FIELDS if self.known.get(k)}
        if self.known.get("name"):
            # First/last were not used for the name, so keep them rather than drop them.
            for part in ("first_name", "last_name"):
                if self.known.get(part):
                    out[f"extra.{part}"] = self.known[part]
        out.update({f"extra.{label}": value for label, value in self.extra.items()})
        return out

    def received_at(self, fields: dict[str, str], warnings: list[str], where: str) -> datetime | None:
        """The submission time; an unreadable one is kept in `fields` and warned about, not dropped."""
        raw = self.known.get("submitted_at")
        if not raw:
            return None
        when = parse_when(raw)
        if when is None:
            fields["submitted_at"] = raw
            warnings.append(f"{where} {raw!r} is not a date we can read")
        return when

    def salvage_email(self) -> str | None:
        """An address typed into a field we did not recognise (e.g. `contact`)."""
        for value in [self.known.get("name", ""), *self.extra.values()]:
            if _EMAIL_LIKE.fullmatch(value):
                return value
        return None


def sort_fields(pairs: Iterable[tuple[str, object]]) -> SortedFields:
    """Map (label, value) pairs onto our fields; the first non-empty value wins."""
    out = SortedFields()
    for label, raw in pairs:
        value = text_value(raw)
        if not value:
            continue
        key = canonical_field(label)
        if key is not None and key not in out.known:
            out.known[key] = value
            continue
        if key is not None and out.known[key] == value:
            continue
        label = label.strip() or "field"
        unique, n = label, 2
        while unique in out.extra:
            unique, n = f"{label}_{n}", n + 1
        out.extra[unique] = value
    return out


def parse_when(value: str) -> datetime | None:
    """An aware datetime from the date formats people and tools write, or None."""
    text = value.strip()
    if not text:
        return None
    when: datetime | None = None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        seconds = float(text)
        # 13 digits is JavaScript's milliseconds.
        when = datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
    if when is None:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            pass
    if when is None:
        for fmt in _DAY_FIRST_FORMATS:
            try:
                when = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if when is None:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def decode_text(data: bytes, name: str, kind: str, fix: str) -> tuple[str, list[str]]:
    """Text from UTF-8 (with or without BOM) or UTF-16 with BOM, else Windows-1252 plus a warning."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export.
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            raise SourceError(name, f"the file claims UTF-16 but is not valid {kind}", fix) from None
    if b"\0" in data:
        raise SourceError(name, f"this is a binary file, not {kind}", fix)
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        bad_at = err.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        # Bytes cp1252 leaves undefined; latin-1 maps every byte, so nothing is refused.
        text = data.decode("latin-1")
    warning = (
        f"{name} is not UTF-8 (bad byte at offset {bad_at}); read it as Windows-1252 - "
        "check accented letters and save the file as UTF-8"
    )
    return text, [warning]


def parse_form(data: bytes, name: str) -> InboundMessage:
    """One web-form submission (JSON object) as an InboundMessage on channel "web_form"."""
    fix_json = 'save the submission as one JSON object, e.g. {"name": "...", "email": "...", "message": "..."}'
    text, warnings = decode_text(data, name, "a JSON form submission", fix_json)
    if not text.strip():
        raise SourceError(name, "the file is empty", fix_json)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise SourceError(
            name,
            f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}",
            "correct the JSON at that spot (a missing comma, quote or brace is usual) or export the submission again",
        ) from None
    except ValueError as err:  # valid syntax Python refuses, e.g. an integer of thousands of digits
        raise SourceError(name, f"the JSON cannot be read: {err}",
                          "export the submission again; no field needs a number that long") from None
    except RecursionError:
        raise SourceError(name, "the JSON is nested too deeply to be a form submission", fix_json) from None
    if not isinstance(doc, dict):
        raise SourceError(
            name,
            f"the top level is a JSON {type(doc).__name__}, not an object",
            "a form file holds one submission as a JSON object {...}; put each submission of a list in its own file",
        )
    try:
        found = sort_fields(_pairs(doc, depth=0))
    except RecursionError:
        raise SourceError(name, "the JSON is nested too deeply to be a form submission", fix_json) from None
    email = found.known.get("email") or found.salvage_email()
    phone = found.known.get("phone")
    if not email and not phone:
        raise SourceError(
            name,
            "the submission has neither an email address nor a phone number",
            "the form must collect an email or a phone number so someone can reply; add one of those fields to it",
            field="email",
        )
    fields = found.message_fields()
    received_at = found.received_at(fields, warnings, "submitted_at")
    form = found.known.get("form")
    return InboundMessage(
        channel="web_form",
        source_name=name,
        name=found.name(),
        email=email,
        phone=phone,
        company=found.known.get("company"),
        subject=found.known.get("subject") or (f"Web form: {form}" if form else "Web form submission"),
        body=found.known.get("message", ""),
        received_at=received_at,
        fields=fields,
        warnings=warnings,
    )


def _pairs(obj: dict[str, object], depth: int) -> Iterator[tuple[str, object]]:
    """(label, value) pairs with the wrappers form tools put around the fields opened."""
    for key, value in obj.items():
        label = str(key)
        if field_key(label) in _WRAPPERS and depth < 3:
            if isinstance(value, dict):
                yield from _pairs(value, depth + 1)
                continue
            if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
                yield from _items(value)
                continue
        yield label, value


def _items(items: list[dict[str, object]]) -> Iterator[tuple[str, object]]:
    """A `fields` list of {"label"|"name"|"key": ..., "value": ...} as pairs."""
    for n, item in enumerate(items, start=1):
        labels = [str(item[k]).strip() for k in _ITEM_LABELS if isinstance(item.get(k), (str, int))]
        labels = [label for label in labels if label]
        # Prefer a label we recognise: CF7 gives "Your Name" as label and "your-name" as name.
        label = next((lab for lab in labels if canonical_field(lab)), labels[0] if labels else f"field{n}")
        value = item.get("value", item.get("answer"))
        yield label, value
