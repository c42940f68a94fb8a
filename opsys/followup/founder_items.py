"""Unhappy clients on the founder's page: a close-out reply read as negative, while its task is open.

The item goes away by evidence: when the account manager closes the `client_concern` task.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from opsys.records.founder import FounderItem, Section
from opsys.store.tasks import contact_summary, get_task
from opsys.store.timers import negative_replies


def negative_reply_items(app: Any, now: datetime) -> Iterable[FounderItem]:
    """One DECISION item per unhappy client whose concern task is still open (`app`: opsys.app.App)."""
    m = app.map
    for e in negative_replies(app.db, m.sequences.confidence):
        task_id = e.context.get("reply_task")
        task = get_task(app.db, int(task_id)) if task_id else None
        if task is not None and not task.is_open:
            continue
        c = contact_summary(app.db, e.contact_id) or {}
        who = c.get("name") or c.get("email") or f"contact {e.contact_id}"
        text = str(e.context.get("reply_text") or "")
        since = datetime.fromisoformat(str(e.context.get("replied_at") or e.started_at.isoformat()))
        yield FounderItem(
            key=f"followup:negative-reply:{e.id}", section=Section.DECISION,
            title=f"{who}{' (' + c['company'] + ')' if c.get('company') else ''} is unhappy with the finished job",
            why=f"their reply to the satisfaction check read as negative ({e.sentiment_confidence:.2f}): "
                f"\u201c{text[:160]}\u201d; no review request goes out",
            since=since, fingerprint=hashlib.sha256(f"{e.id}:{text}".encode()).hexdigest()[:12], severity=1,
            evidence=tuple(x for x in (f"contact {e.contact_id}", f"task {task_id}" if task_id else None) if x),
            resolve=f"opsys task done {task_id}" if task_id else f"opsys sequence stop {c.get('email') or e.contact_id}")
