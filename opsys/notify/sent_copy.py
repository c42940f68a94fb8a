"""Sent mail appended to the firm's IMAP Sent folder (`outbound.smtp.sent_copy` names the mailbox),
so the team sees in their own mail client what opsys sent. After the send's commit and best effort:
a failure is an audit event (`mail_copy_failed`), never a reason to send the mail again."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from opsys.config.models import SystemMap
from opsys.records.events import Decider, EventKind
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.outbox import OutboxMail

log = logging.getLogger(__name__)
DECIDER = f"{Decider.NOTIFY}:smtp"


def copy_to_sent(db: sqlite3.Connection, m: SystemMap, root: Path, now: datetime, name: str,
                  copies: list[tuple[OutboxMail, bytes]], environ: Mapping[str, str] | None) -> None:
    """Append what went out to the mailbox's Sent folder, so the team sees it; a failure is said, not fatal."""
    from opsys.sources.mailbox import MailboxError
    from opsys.sources.mailbox.credentials import read_password
    from opsys.sources.mailbox.imap import ImapSource

    box = next((b for b in m.sources.mailboxes if b.name == name), None)
    problem = None
    if box is None or box.kind != "imap" or not box.sent_folder:
        problem = (f"sources.yml outbound.smtp.sent_copy names {name!r}, which is not an imap mailbox with a "
                   "sent_folder in `mailboxes:`")
    else:
        try:
            source = ImapSource(box, read_password(box, root, environ) or "")
            try:
                for mail, raw in copies:
                    source.append(box.sent_folder, raw, when=now)
            finally:
                source.close()
        except MailboxError as e:
            problem = str(e)
    if problem:
        log.warning("sent mail not copied to the Sent folder: %s", problem)
        with write_transaction(db):
            for mail, _ in copies:
                record_event(db, EventKind.MAIL_COPY_FAILED, decided_by=DECIDER, subject_type="mail",
                             subject_id=mail.id, inputs={"mailbox": name, "message_id": mail.message_id},
                             decision={"error": problem}, message=f"not copied to Sent: {problem}")
