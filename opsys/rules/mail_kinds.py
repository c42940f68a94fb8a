"""What kind of mail this is, before anyone treats it as a lead: the team's own, a bounce, an
auto-reply, an unsubscribe request, or a message from a person.

Read from the header facts sources/mail_headers.py keeps in `fields` and from the new text only
(quotes split off), in this order:

    outbound     From is a team.yml address (not when SPF/DKIM/DMARC failed for it), or the mail was
                 fetched from the Sent folder (X-Opsys-Folder on top): evidence the lead was answered
    bounce       an RFC 3464 delivery report (or a mailer-daemon's X-Failed-Recipients / text): the
                 failed addresses are undeliverable; "delayed" only is said, not acted on
    complaint    an RFC 5965 abuse report: the recipient marked our mail as spam, so consent is withdrawn
    auto_reply   Auto-Submitted (not "no"), X-Autoreply/X-Autorespond, Precedence: auto_reply, a read
                 receipt, or an out-of-office subject or text: stored as an auto touch, never a reply
    unsubscribe  a short new text asking to be removed ("unsubscribe", "remove me from your list", "abmelden")
    message      anything else: a new lead, a reply on a thread, or a resubmission
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from opsys.sources.fields import EMAIL_ADDRESS

MailKindName = Literal["outbound", "bounce", "complaint", "auto_reply", "unsubscribe", "message"]

_ROBOT_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(r"undeliver|delivery (?:status )?(?:notification|failure|has failed)|returned mail|"
                             r"mail delivery failed|failure notice|nicht zustellbar|non remis", re.IGNORECASE)
_FAILED_TEXT = re.compile(r"(?:failed permanently|delivery failed[^:\n]{0,40}|could not be delivered[^:\n]{0,40}|"
                          r"undeliverable to)\s*:?\s*\n?\s*<?(" + EMAIL_ADDRESS.pattern + ")>?", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(r"^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|auto:|"
                           r"out of (?:the )?office|ooo\b|abwesenheit|automatische antwort|réponse automatique|"
                           r"respuesta automática|autosvar|automatisch antwoord|risposta automatica|"
                           r"(?:away|on vacation|on holiday|on leave)\b)", re.IGNORECASE)
_AUTO_TEXT = re.compile(r"\b(?:i am|i'm|i will be|i'll be)\s+(?:currently\s+)?(?:out of (?:the )?office|"
                        r"away from (?:the|my) (?:office|desk)|on (?:annual |parental |sick )?leave|on vacation|"
                        r"on holiday)\b.{0,120}\b(?:until|till|return|back)\b|"
                        r"\bthis is an automatic(?:ally generated)? (?:reply|response|message)\b|"
                        r"\bich bin (?:derzeit |bis [^.\n]{1,40} )?(?:nicht im büro|abwesend|im urlaub)\b|"
                        r"\bje suis absent", re.IGNORECASE | re.DOTALL)
# A request, not a mention: "unsubscribe me", "remove me from your list", "stop emailing me", "abmelden".
_UNSUBSCRIBE = re.compile(r"\b(?:please\s+)?unsubscribe\s+(?:me|us|this address)\b|\bplease\s+unsubscribe\b|"
                          r"\bopt\s+(?:me|us)\s+out\b|\bremove\s+(?:me|us|my (?:e-?mail|address))\s+from\b|"
                          r"\btake\s+(?:me|us)\s+off\b|\bstop\s+(?:e-?mailing|sending|contacting|writing to)\s+(?:me|us)\b|"
                          r"\bno\s+(?:more|further)\s+(?:e-?mails|mails|messages)\b|"
                          r"\b(?:do not|don't|dont)\s+(?:contact|e-?mail|mail|write to)\s+(?:me|us)\b|"
                          r"\b(?:bitte\s+)?(?:abmelden|austragen)\b|\bdésinscri|\bdésabonn|\bdarse de baja\b", re.IGNORECASE)
_BARE_UNSUBSCRIBE = re.compile(r"^\W*(?:unsubscribe|opt[- ]?out|stop|remove)\W*$", re.IGNORECASE)
_UNSUBSCRIBE_MAX = 400  # a long mail that says "unsubscribe" somewhere is a message, not the request


@dataclass(frozen=True)
class MailKind:
    """The kind, the reason in a sentence, and the addresses it is about (failed, counterparts …)."""

    kind: MailKindName
    reason: str
    addresses: tuple[str, ...] = ()
    permanent: bool = True  # a bounce: False when delivery was only delayed
    auto: bool = False  # also an automatic message (e.g. the team's own out-of-office reply)


def _split(value: str | None) -> list[str]:
    return [a.strip().lower() for a in (value or "").split(",") if "@" in a]


def mail_kind(fields: Mapping[str, str], subject: str, new_text: str, sender: str | None,
              team_addresses: Iterable[str]) -> MailKind:
    """The kind of one inbound mail (non-mail channels are always "message")."""
    team = {a.lower() for a in team_addresses}
    from_addr = (_split(fields.get("from_addresses")) or [(sender or "").lower()])[0]
    auto = _auto_reason(fields, subject, new_text)
    folder = (fields.get("folder") or "").strip().lower()
    spoofed = from_addr in team and bool(fields.get("auth_failed"))  # a team address the server says is forged
    others = [a for key in ("to", "cc", "bcc") for a in _split(fields.get(f"{key}_addresses")) if a not in team]
    # team to team (a colleague forwarding a lead to hello@, a form plugin sending as the firm) is read
    # as what it carries; only the Sent folder is the team's own mail whoever it went to
    if (from_addr in team and not spoofed and others) or folder == "sent":
        why = f"from {from_addr}, a team.yml address" if from_addr in team else f"from the {folder!r} folder"
        return MailKind("outbound", f"the team's own mail ({why})", tuple(dict.fromkeys(others)), auto=auto is not None)
    bounce = _bounce(fields, subject, new_text, from_addr)
    if bounce is not None:
        return bounce
    if fields.get("report_type") == "feedback-report" or fields.get("complaint_recipients"):
        who = tuple(_split(fields.get("complaint_recipients")))
        return MailKind("complaint", "an abuse report (RFC 5965): the recipient marked our mail as spam", who, auto=True)
    if auto is not None:
        return MailKind("auto_reply", auto, (from_addr,) if from_addr else (), auto=True)
    text = new_text.strip()
    if (len(text) <= _UNSUBSCRIBE_MAX and _UNSUBSCRIBE.search(text)) or _BARE_UNSUBSCRIBE.match(text) or (
            subject.strip().lower() in ("unsubscribe", "remove", "stop", "abmelden") and len(text) <= _UNSUBSCRIBE_MAX):
        return MailKind("unsubscribe", f"the sender asks to hear no more: {text[:80]!r}",
                        (from_addr,) if from_addr else ())
    return MailKind("message", "a message from a person")


def _bounce(fields: Mapping[str, str], subject: str, text: str, from_addr: str) -> MailKind | None:
    failed = _split(fields.get("dsn_failed")) + _split(fields.get("x_failed_recipients"))
    delayed = _split(fields.get("dsn_delayed"))
    is_report = fields.get("report_type") == "delivery-status"
    robot = bool(_ROBOT_SENDER.match(from_addr)) or not from_addr
    if not failed and robot and (_BOUNCE_SUBJECT.search(subject) or is_report):
        failed = [m.lower() for m in _FAILED_TEXT.findall(text)]
    if failed:
        return MailKind("bounce", f"a delivery report: delivery to {', '.join(dict.fromkeys(failed))} failed",
                        tuple(dict.fromkeys(failed)), permanent=True, auto=True)
    if delayed or is_report or (robot and _BOUNCE_SUBJECT.search(subject)):
        return MailKind("bounce", "a delivery report: delivery is only delayed (still being retried)"
                        if delayed else "a delivery report naming no failed address", tuple(dict.fromkeys(delayed)),
                        permanent=False, auto=True)
    return None


def _auto_reason(fields: Mapping[str, str], subject: str, text: str) -> str | None:
    """Why this is an automatic reply, or None."""
    submitted = (fields.get("auto_submitted_header") or "").lower()
    if submitted and not submitted.startswith("no"):
        return f"Auto-Submitted: {submitted}"
    for key, header in (("x_autoreply", "X-Autoreply"), ("x_autorespond", "X-Autorespond")):
        if fields.get(key):
            return f"{header}: {fields[key]}"
    if (fields.get("precedence") or "").lower() in ("auto_reply", "auto-reply"):
        return f"Precedence: {fields['precedence']}"
    if fields.get("report_type") == "disposition-notification":
        return "a read receipt (disposition notification)"
    if _AUTO_SUBJECT.match(subject or ""):
        return f"an out-of-office subject: {subject[:60]!r}"
    if len(text) <= 2000 and _AUTO_TEXT.search(text):
        return f"out-of-office text: {_AUTO_TEXT.search(text).group(0)[:60]!r}"  # type: ignore[union-attr]
    return None
