"""Field names and values every reader shares: form/CSV/note aliases, value text, dates, the address pattern.

Form plugins, CRM exports and lead lists name the same field many ways, so labels are
compared after `field_key` (lower case, letters and digits only) against `_ALIASES`.
`submitted_at`-style dates take ISO 8601, RFC 2822, Unix seconds/milliseconds or day-first
dates (month-first only when day-first is impossible); a time without a zone is read as UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

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
# The one shape of an email address in text, used to find or recognise one everywhere
# (a display name that is an address, an address typed into an unknown field, a From line).
_ADDRESS_CHAR = r"[^@\s<>\"',;:()\[\]]"
EMAIL_ADDRESS = re.compile(rf"{_ADDRESS_CHAR}+@{_ADDRESS_CHAR}+\.(?:xn--[A-Za-z0-9-]+|[A-Za-z]{{2,}})(?![\w-])")
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


@lru_cache(maxsize=4096)  # a lead list asks for the same dozen headers on every row
def canonical_field(label: str) -> str | None:
    """Our name for a form/CSV field label, or None when we do not know it."""
    return _CANONICAL.get(field_key(label))


def text_value(value: object) -> str:
    """Any JSON value as one line of text: lists joined with ", ", numbers without `.0`."""
    if isinstance(value, str):
        return value.strip()
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
            if EMAIL_ADDRESS.fullmatch(value):
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
