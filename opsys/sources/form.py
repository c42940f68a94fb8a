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
`employees`/`team_size`, `date`/`created_at`/`timestamp` and more (see `opsys.sources.fields`).
The fields may sit inside a top-level `data`, `fields`, `payload` or `submission` object,
or in a `fields` list of `{"label"|"name"|"key": ..., "value": ...}` items. List values are
joined with ", ". Keys we do not know are kept in `fields` as `extra.<key>`.
`submitted_at` takes ISO 8601, RFC 2822, Unix seconds/milliseconds or day-first dates
(month-first only when day-first is impossible); a time without a zone is read as UTC.
A key given twice in one object (two `email`s) keeps the first value, with a warning.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from opsys.records import InboundMessage
from opsys.sources.decoding import decode_text
from opsys.sources.errors import SourceError
from opsys.sources.fields import canonical_field, field_key, sort_fields, text_value

_WRAPPERS = {"data", "fields", "payload", "submission", "formdata", "values"}
_ITEM_LABELS = ("label", "name", "key", "title", "id")


def parse_form(data: bytes, name: str) -> InboundMessage:
    """One web-form submission (JSON object) as an InboundMessage on channel "web_form"."""
    fix_json = 'save the submission as one JSON object, e.g. {"name": "...", "email": "...", "message": "..."}'
    text, warnings = decode_text(data, name, "a JSON form submission", fix_json)
    if not text.strip():
        raise SourceError(name, "the file is empty", fix_json)
    repeated: list[tuple[str, object, object]] = []
    try:
        doc = json.loads(text, object_pairs_hook=lambda pairs: _first_of_each(pairs, repeated))
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
    for key, kept, other in repeated[:10]:
        warnings.append(f"key {key!r} is given more than once; the first value {_short(kept)} is kept, "
                        f"{_short(other)} is not - fix the form so each field is sent once")
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


def _first_of_each(pairs: list[tuple[str, object]], repeated: list[tuple[str, object, object]]) -> dict[str, object]:
    """A JSON object keeping the first value of a repeated key (json.loads keeps the last, silently)."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            repeated.append((key, out[key], value))
        else:
            out[key] = value
    return out


def _short(value: object) -> str:
    text = text_value(value)
    return repr(text if len(text) <= 60 else text[:59] + "…")
