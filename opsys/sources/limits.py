"""How much of one message opsys keeps: a 10 MB subject or a 20 MB body is an attack or an accident.

What is stored, scored and classified is cut to these sizes with a warning that says so; the
file itself is archived whole, so nothing is lost. The readers also stop early where they can
(HTML is read only until BODY_MAX characters of text; huge header lines are cut before parsing).
"""

from __future__ import annotations

from opsys.records import InboundMessage

SUBJECT_MAX = 1_000
BODY_MAX = 100_000
FIELD_MAX = 2_000        # name, email, phone, company and each value in `fields`
FIELDS_MAX = 200         # keys in `fields`; a form with thousands of keys keeps the first ones
ATTACHMENTS_MAX = 200    # attachment records (name, type, size) per message
WARNINGS_MAX = 50
WARNING_MAX = 500        # characters of one warning
_KEPT = "the whole file is kept in the archive"


def cap_message(msg: InboundMessage) -> InboundMessage:
    """The message with every part cut to its limit, and one warning per part that was cut."""
    cut: list[str] = []
    if len(msg.subject) > SUBJECT_MAX:
        cut.append(f"subject cut to {SUBJECT_MAX:,} of its {len(msg.subject):,} characters")
        msg.subject = msg.subject[:SUBJECT_MAX]
    if len(msg.body) > BODY_MAX:
        cut.append(f"body cut to {BODY_MAX:,} of its {len(msg.body):,} characters")
        msg.body = msg.body[:BODY_MAX]
    for name in ("name", "email", "phone", "company"):
        value = getattr(msg, name)
        if value is not None and len(value) > FIELD_MAX:
            cut.append(f"{name} cut to {FIELD_MAX:,} of its {len(value):,} characters")
            setattr(msg, name, value[:FIELD_MAX])
    if len(msg.fields) > FIELDS_MAX:
        cut.append(f"only the first {FIELDS_MAX} of {len(msg.fields):,} fields kept")
        msg.fields = dict(list(msg.fields.items())[:FIELDS_MAX])
    long = [key for key, value in msg.fields.items() if len(value) > FIELD_MAX or len(key) > FIELD_MAX]
    for key in long:
        value = msg.fields.pop(key)
        msg.fields[key[:FIELD_MAX]] = value[:FIELD_MAX]
    if long:
        cut.append(f"{len(long)} field value(s) cut to {FIELD_MAX:,} characters ({long[0][:40]!r}...)")
    if len(msg.attachments) > ATTACHMENTS_MAX:
        cut.append(f"only the first {ATTACHMENTS_MAX} of {len(msg.attachments):,} attachment records kept")
        msg.attachments = msg.attachments[:ATTACHMENTS_MAX]
    warnings = [w if len(w) <= WARNING_MAX else w[:WARNING_MAX - 1] + "…" for w in msg.warnings]
    if len(warnings) > WARNINGS_MAX:
        warnings = warnings[:WARNINGS_MAX] + [f"{len(warnings) - WARNINGS_MAX:,} more warnings left out"]
    msg.warnings = warnings + [f"{c} ({_KEPT})" for c in cut]
    return msg
