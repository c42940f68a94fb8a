"""Mail the daily reconciliation could not prove stored: one founder item per gap (and one per mailbox
that could not be read), each with the command that fetches it again. Written by the mailbox
component (`opsys/intake/mail_reconcile.py` finds the gaps); it lives on this floor because the
founder registry may not import intake. An item goes away by itself once the message is stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Protocol

from opsys.records.founder import FounderItem, Section
from opsys.store.mailbox import open_gaps


class _HasStore(Protocol):
    db: sqlite3.Connection  # the App (not imported: it sits on a higher floor)


def founder_items(app: _HasStore, now: datetime) -> Iterator[FounderItem]:
    """Each message on a mailbox that maps to no stored inquiry, touch or dismissal."""
    for g in open_gaps(app.db):
        found = _when(g.found_at) or now
        if g.uid == "*":
            yield FounderItem(
                key=f"mail:unreadable:{g.mailbox}", section=Section.ANOMALY,
                title=f"mailbox {g.mailbox} could not be checked",
                why=f"the daily reconciliation could not list it, so mail there is unproven: {g.reason}",
                since=min(found, now), fingerprint=g.reason[:80], severity=1,
                evidence=("opsys mail reconcile", "opsys log --kind mailbox_unreachable"),
                resolve="fix the mailbox in system_map/sources.yml (or its password), then `opsys mail reconcile`")
            continue
        opt = "" if g.folder == "INBOX" else f" --folder {g.folder}"
        sent = _when(g.date)
        yield FounderItem(
            key=f"mail:gap:{g.mailbox}:{g.folder}:{g.uid}", section=Section.ANOMALY,
            title=f"mail not stored: {g.subject or '(no subject)'} ({g.mailbox}/{g.folder} UID {g.uid})",
            why=f"{g.reason}; a lead in it would be unanswered",
            since=min(sent or found, now), fingerprint=f"{g.uidvalidity}:{g.reason[:40]}", severity=1,
            evidence=(f"mailbox {g.mailbox}, folder {g.folder}, UID {g.uid}", f"dated {g.date or 'unknown'}"),
            resolve=f"opsys mail refetch {g.mailbox} {g.uid}{opt}")


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        d = datetime.fromisoformat(text)
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=UTC)
