"""Which conversation a mail belongs to: by Message-ID, In-Reply-To and References, else by subject.

The headers are the strong evidence (RFC 5322 §3.6.4): a mail whose In-Reply-To or References names
a Message-ID a thread has seen is on that thread, whoever sent it. Without them (a web mailer that
drops the headers, a form resubmitted) the fallback is the normalised subject — "Re:", "Fwd:",
"AW:", "SV:" … and list tags like "[Ticket 12]" stripped — from the same contact, while the thread
was active within `SUBJECT_WINDOW`, and only for a subject marked as a reply or specific enough to
mean one conversation (never "Hello" or "Enquiry").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

SUBJECT_WINDOW = timedelta(days=45)
_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|antw|antwort|réf|ref|fw|fwd|wg|tr|rv|enc)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
                     re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|vs|antw|antwort|réf|ref)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(?:fw|fwd|wg|tr|rv|enc)\s*[:：]", re.IGNORECASE)
_MSGID = re.compile(r"<([^<>\s]{1,500})>")
# Subjects that name no conversation: the fallback never joins mails on these alone.
_GENERIC = {"", "hi", "hello", "hey", "hallo", "question", "questions", "enquiry", "inquiry", "contact",
            "request", "info", "information", "help", "website", "quote", "(no subject)", "no subject",
            "new message", "contact form", "website enquiry", "website inquiry", "new submission",
            "new form submission", "thanks", "thank you", "follow up", "follow-up", "meeting", "call"}


def subject_key(subject: str) -> str:
    """The subject without reply/forward prefixes, case and spacing: the same conversation's subject."""
    s = _PREFIX.sub("", subject or "")
    s = re.sub(r"^\s*\[[^\]]{1,40}\]\s*", "", s)  # a list or ticket tag: "[News] Website"
    s = _PREFIX.sub("", s)
    return " ".join(s.split()).casefold()


def is_reply_subject(subject: str) -> bool:
    return bool(_REPLY_PREFIX.match(subject or ""))


def is_forward_subject(subject: str) -> bool:
    return bool(_FORWARD_PREFIX.match(subject or ""))


def message_ids(header: str | None) -> list[str]:
    """The Message-IDs in a header, in order, each once: `<a@b>` forms, else bare tokens with an @."""
    if not header:
        return []
    found = _MSGID.findall(header)
    if not found:
        found = [t.strip("<>,;") for t in header.split() if "@" in t]
    return list(dict.fromkeys(f"<{m}>" for m in found if m))


@dataclass(frozen=True)
class ThreadCandidate:
    """A stored thread the fallback may join: whose it is, its subject key and when it was last active."""

    thread_id: int
    contact_id: int | None
    subject_key: str
    last_at: datetime


@dataclass(frozen=True)
class ThreadMatch:
    """The thread a mail joins (None: it starts one), how it was found, and the ids it refers to."""

    thread_id: int | None
    how: str  # "in-reply-to", "references", "subject", "" (new)
    reason: str


def match_by_headers(refs: list[str], known: dict[str, int]) -> ThreadMatch | None:
    """In-Reply-To first (the parent), then References newest first; `known` maps Message-ID -> thread."""
    for i, mid in enumerate(reversed(refs)):
        if mid in known:
            how = "in-reply-to" if i == 0 else "references"
            return ThreadMatch(known[mid], how, f"it answers {mid}, a message of thread #{known[mid]}")
    return None


def match_by_subject(subject: str, contact_id: int | None, candidates: Iterable[ThreadCandidate],
                     now: datetime) -> ThreadMatch | None:
    """The same contact's newest active thread with the same subject key, within SUBJECT_WINDOW."""
    key = subject_key(subject)
    if contact_id is None or not key or (key in _GENERIC and not is_reply_subject(subject)):
        return None
    if not is_reply_subject(subject) and len(key.split()) < 3:
        return None  # "Website redesign" twice may be two projects; "Re: Website redesign" is one
    best: ThreadCandidate | None = None
    for c in candidates:
        if c.contact_id != contact_id or c.subject_key != key or now - c.last_at > SUBJECT_WINDOW:
            continue
        if best is None or c.last_at > best.last_at:
            best = c
    if best is None:
        return None
    days = max((now - best.last_at).days, 0)
    return ThreadMatch(best.thread_id, "subject",
                       f"same contact and subject {key!r} as thread #{best.thread_id} (active {days} days ago)")


def find_thread(refs: list[str], known: dict[str, int], subject: str, contact_id: int | None,
                candidates: Iterable[ThreadCandidate], now: datetime) -> ThreadMatch:
    """Headers first, then the subject fallback; a ThreadMatch with thread_id None starts a thread."""
    return (match_by_headers(refs, known) or match_by_subject(subject, contact_id, candidates, now)
            or ThreadMatch(None, "", "no known Message-ID and no active thread of this contact with this subject"))
