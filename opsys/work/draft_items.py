"""Drafts waiting for approval on the founder's page: nothing under `approval: required` goes unread.

One DECISION item per draft in `waiting_approval`; it goes away by evidence, when someone approves,
edits-and-approves or rejects it (`opsys drafts`). A draft the LLM wrote says so, and one that fell
back to the plain template says which guard stopped the LLM's text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from opsys.records.founder import FounderItem, Section
from opsys.store.outbox import list_mail


def waiting_draft_items(app: Any, now: datetime) -> Iterable[FounderItem]:
    """One DECISION item per draft waiting for approval (`app`: opsys.app.App)."""
    for mail in reversed(list_mail(app.db, ("waiting_approval",))):  # oldest first
        d = mail.draft or {}
        how = ("written by the local LLM, every guard passed" if d.get("used_llm") else
               f"the plain template ({d.get('fallback_reason') or 'no LLM draft'})")
        yield FounderItem(
            key=f"outbox:draft:{mail.id}", section=Section.DECISION,
            title=f"Approve the mail to {mail.to}: {mail.subject[:70]}",
            why=f"its sequence needs approval before anything is sent; {how}"[:300],
            since=mail.created_at,
            fingerprint=hashlib.sha256(f"{mail.id}:{mail.body}".encode()).hexdigest()[:12], severity=2,
            evidence=(f"mail {mail.id}", *((f"contact {mail.contact_id}",) if mail.contact_id else ())),
            resolve=f"opsys drafts show {mail.id}; then opsys drafts approve {mail.id} (or edit / reject)")
