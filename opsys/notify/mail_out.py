"""Sending the outbox: SMTP (`smtplib`) after commit, at least once, with backoff, a per-hour limit,
and only inside the sending window; or, without SMTP configured, `.eml` files for a person to send.

Each due row (status `queued`, or `sending` left by a crash) is checked again before it goes: the
contact's consent (an unsubscribe since queueing stops it), the sending window (working hours of
the firm's calendar in the contact's timezone when known, else the firm's), and the hour's limit
(`outbound.smtp.per_hour`, counted from the store, so it holds across runs and restarts). The row is
claimed as `sending` in its own commit before the SMTP conversation, and marked `sent` (with an
"out" touch on the contact, source `mail:<Message-ID>`) in the commit after it: a crash in between
sends it again with the same Message-ID, never loses it. A temporary failure is retried after
5 min, 10 min, 20 min … (at most 6 h apart) up to MAX_ATTEMPTS; a permanent refusal (5xx) fails at
once. Errors are stored and logged with the password replaced.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import socket
import sqlite3
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from opsys.config.models import SystemMap
from opsys.config.outbound_models import Smtp
from opsys.notify.mail_settings import smtp_password
from opsys.notify.sent_copy import copy_to_sent
from opsys.notify.urls import redact as redact_urls
from opsys.records.events import Decider, EventKind
from opsys.rules.business_time import BusinessTime
from opsys.store.contacts import consent_of
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.outbox import (
    OutboxMail,
    defer,
    due_mail,
    first_sent_since,
    mark_failed,
    mark_rejected,
    mark_retry,
    mark_sending,
    mark_sent,
    mark_written,
    sent_since,
)
from opsys.store.touches import record_touch

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
HOUR = timedelta(hours=1)
DECIDER = f"{Decider.NOTIFY}:smtp"


@dataclass(frozen=True)
class MailSent:
    """What one run of the sender did."""

    sent: int = 0
    written: tuple[Path, ...] = ()
    retried: int = 0
    failed: int = 0
    refused: int = 0
    deferred: int = 0  # outside the sending window, or the hour's limit reached

    def summary(self) -> str:
        parts = [f"mail {self.sent} sent"]
        if self.written:
            parts.append(f"{len(self.written)} written to var/outbox/mail/ for a person to send (no SMTP configured)")
        parts += [f"{n} {what}" for n, what in ((self.retried, "to retry"), (self.failed, "failed"),
                                               (self.refused, "refused (consent)"), (self.deferred, "waiting"))
                  if n]
        return ", ".join(parts)


def retry_delay(attempts: int) -> timedelta:
    """5 min after the first failure, doubling each time, at most 6 h."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def build_message(mail: OutboxMail, now: datetime) -> EmailMessage:
    """The RFC 5322 message as it goes out (and as the .eml and the Sent copy hold it)."""
    msg = EmailMessage()
    if mail.from_addr:
        msg["From"] = mail.from_addr
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = mail.message_id
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
        msg["References"] = mail.in_reply_to
    msg.set_content(mail.body)
    return msg


class _Connection:
    """One SMTP session for a run, opened on the first mail that goes."""

    def __init__(self, smtp: Smtp, password: str | None):
        self.smtp, self.password = smtp, password
        self.client: smtplib.SMTP | None = None

    def send(self, msg: EmailMessage) -> None:
        if self.client is None:
            s = self.smtp
            if s.tls == "ssl":
                client = smtplib.SMTP_SSL(s.host, s.port_or_default, timeout=s.timeout_seconds,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.host, s.port_or_default, timeout=s.timeout_seconds)
                if s.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
            if s.user:
                client.login(s.user, self.password or "")
            self.client = client
        self.client.send_message(msg)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.client = None


def _permanent(e: Exception) -> bool:
    """A 5xx answer (address refused, message rejected) will not change by trying again."""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in e.recipients.values())
    if isinstance(e, smtplib.SMTPAuthenticationError):
        return False  # the password may be fixed: retry, and the error says what to fix
    code = getattr(e, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _say(e: Exception, smtp: Smtp, password: str | None) -> str:
    """The error in words, without the password (should a server echo it) or any URL's secret."""
    if isinstance(e, smtplib.SMTPAuthenticationError):
        where = f"${smtp.password_env}" if smtp.password_env else f"password_file {smtp.password_file}"
        text = f"{smtp.where()} refused the login of {smtp.user}; check the password in {where}"
    elif isinstance(e, (ConnectionError, socket.timeout, TimeoutError, smtplib.SMTPServerDisconnected)):
        text = f"cannot reach {smtp.where()} ({type(e).__name__}: {e}); retried later"
    else:
        text = f"{smtp.where()}: {type(e).__name__}: {e}"
    if password and len(password) >= 3:
        text = text.replace(password, "[password]")
    return redact_urls(re.sub(r"\s+", " ", text))[:500]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "mail"


def write_eml(folder: Path, mail: OutboxMail, now: datetime) -> Path:
    """The mail as an .eml file for a person to send, written atomically (a reader never sees half)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{mail.id:06d}-{_slug(mail.to)}.eml"
    tmp = folder / f".{path.name}.tmp"
    tmp.write_bytes(bytes(build_message(mail, now)))
    os.replace(tmp, path)
    return path


def send_due(db: sqlite3.Connection, m: SystemMap, now: datetime, *, root: Path, outbox_dir: Path,
             environ: Mapping[str, str] | None = None) -> MailSent:
    """Send (or write) every mail due at `now`; `root` is the workspace (password files, IMAP copies).
    One sender at a time: the `send_mail` job holds the workspace's send lock around it."""
    smtp = m.sources.outbound.smtp
    run = _Run(db, now, BusinessTime.for_firm(m.team.firm), smtp,
               _Connection(smtp, smtp_password(smtp, root, environ)) if smtp is not None else None, outbox_dir)
    try:
        due = due_mail(db, now)
        for i, mail in enumerate(due):
            if run.over_limit():
                run.hold(due[i:])
                break
            run.one(mail)
    finally:
        if run.conn is not None:
            run.conn.close()
    if run.copies and smtp is not None and smtp.sent_copy:
        copy_to_sent(db, m, root, now, smtp.sent_copy, run.copies, environ)
    c = run.counts
    return MailSent(sent=c["sent"], written=tuple(run.written), retried=c["retried"], failed=c["failed"],
                    refused=c["refused"], deferred=c["deferred"])


class _Run:
    """One pass over the due mail: each row refused, deferred, written or sent, each in its own commit."""

    def __init__(self, db: sqlite3.Connection, now: datetime, bt: BusinessTime, smtp: Smtp | None,
                 conn: _Connection | None, outbox_dir: Path):
        self.db, self.now, self.bt, self.smtp, self.conn, self.outbox_dir = db, now, bt, smtp, conn, outbox_dir
        self.counts = {"sent": 0, "retried": 0, "failed": 0, "refused": 0, "deferred": 0}
        self.written: list[Path] = []
        self.copies: list[tuple[OutboxMail, bytes]] = []

    def one(self, mail: OutboxMail) -> None:
        consent = consent_of(self.db, mail.contact_id) if mail.contact_id is not None else "ok"
        if consent != "ok":
            self.refuse(mail, consent)
            return
        opens = self.bt.sending_window(self.now, mail.timezone)
        if opens > self.now:
            with write_transaction(self.db):
                defer(self.db, mail.id, self.now, opens)
            self.counts["deferred"] += 1
        elif self.conn is None:
            self.write(mail)
        else:
            self.send(mail)

    def over_limit(self) -> bool:
        """The hour's limit is reached (files for a person to send are not limited)."""
        return self.smtp is not None and sent_since(self.db, self.now - HOUR) >= self.smtp.per_hour

    def hold(self, rest: list[OutboxMail]) -> None:
        """Everything left waits until the oldest send of the hour leaves it."""
        oldest = first_sent_since(self.db, self.now - HOUR) or self.now
        with write_transaction(self.db):
            for mail in rest:
                defer(self.db, mail.id, self.now, oldest + HOUR)
        self.counts["deferred"] += len(rest)

    def refuse(self, mail: OutboxMail, consent: str) -> None:
        reason = f"not sent: the contact is {consent} since it was queued"
        with write_transaction(self.db):
            mark_rejected(self.db, mail.id, self.now, reason=reason, by=DECIDER)
            record_event(self.db, EventKind.MAIL_REFUSED, decided_by=DECIDER, subject_type="mail", subject_id=mail.id,
                         inputs={"to": mail.to, "consent": consent}, decision={"status": "rejected"}, message=reason)
        self.counts["refused"] += 1

    def write(self, mail: OutboxMail) -> None:
        path = write_eml(self.outbox_dir, mail, self.now)
        with write_transaction(self.db):
            mark_written(self.db, mail.id, self.now, str(path))
            record_event(self.db, EventKind.MAIL_WRITTEN, decided_by=f"{Decider.NOTIFY}:eml", subject_type="mail",
                         subject_id=mail.id, inputs={"to": mail.to, "message_id": mail.message_id},
                         decision={"path": str(path)},
                         message=f"no SMTP configured: {path.name} written for a person to send")
        self.written.append(path)

    def send(self, mail: OutboxMail) -> None:
        assert self.conn is not None and self.smtp is not None
        with write_transaction(self.db):  # claimed first: a crash from here on sends it again, never loses it
            mark_sending(self.db, mail.id, self.now)
        msg, attempts = build_message(mail, self.now), mail.attempts + 1
        try:
            self.conn.send(msg)
        except (smtplib.SMTPException, OSError) as e:
            self.conn.close()
            self.failed(mail, attempts, e)
            return
        with write_transaction(self.db):
            mark_sent(self.db, mail.id, self.now, attempts)
            if mail.contact_id is not None:
                record_touch(self.db, contact_id=mail.contact_id, direction="out", channel="email", at=self.now,
                             source=f"mail:{mail.message_id}")
            record_event(self.db, EventKind.MAIL_SENT, decided_by=DECIDER, subject_type="mail", subject_id=mail.id,
                         inputs={"to": mail.to, "attempt": attempts, "rule": mail.rule},
                         decision={"message_id": mail.message_id}, message=f"sent to {mail.to}: {mail.subject}")
        self.counts["sent"] += 1
        self.copies.append((mail, bytes(msg)))

    def failed(self, mail: OutboxMail, attempts: int, e: Exception) -> None:
        assert self.smtp is not None and self.conn is not None
        error = _say(e, self.smtp, self.conn.password)
        final = _permanent(e) or attempts >= MAX_ATTEMPTS
        retry_at = None if final else self.now + retry_delay(attempts)
        with write_transaction(self.db):
            if retry_at is None:
                mark_failed(self.db, mail.id, self.now, attempts=attempts, error=error)
            else:
                mark_retry(self.db, mail.id, self.now, attempts=attempts, next_at=retry_at, error=error)
            record_event(self.db, EventKind.MAIL_SEND_FAILED, decided_by=DECIDER, subject_type="mail",
                         subject_id=mail.id, inputs={"to": mail.to, "attempt": attempts},
                         decision={"status": "failed" if final else "queued", "error": error,
                                   "retry_at": retry_at.isoformat() if retry_at else None}, message=error)
        log.warning("mail %s to %s: %s", mail.id, mail.to, error)
        self.counts["failed" if final else "retried"] += 1
