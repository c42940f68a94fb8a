"""Work tests: a real workspace (`opsys init`), real SQLite, the clock walked with explicit `now`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

# Tuesday 24 Nov 2026, 10:00 in Chicago (the sample firm's timezone): inside business hours.
NOW = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)


@pytest.fixture
def app(workspace):
    from opsys.app import open_app

    a = open_app(workspace, clock=lambda: NOW)
    yield a
    a.db.close()


def add_inquiry(db, *, email: str, subject: str = "New website", name: str = "Ann Lee", company: str = "Acme",
                hot: bool = False, n: int = 0) -> tuple[int, int]:
    """(contact id, inquiry id) stored through the store's own functions, as intake stores them."""
    from opsys.records import Classification, Lead, RouteDecision, Score
    from opsys.store.contacts import upsert_contact
    from opsys.store.inquiries import insert_inquiry

    lead = Lead(channel="email", source_name="t.eml", position=n, name=name, email=email, phone=None,
                company=company, subject=subject, body="We need a new website.", received_at=NOW,
                attachments=[], fields={}, warnings=[])
    c = upsert_contact(db, name=name, email=email, phone=None, company=company, client_account=None, tier=None)
    sha = hashlib.sha256(f"{email}|{subject}|{n}".encode()).hexdigest()
    iid = insert_inquiry(db, contact_id=c.contact_id, sha256=sha, lead=lead,
                         cls=Classification("routine", 0.9, True, 0.9, "test"),
                         score=Score(80 if hot else 30, hot, (), None, "web_design"),
                         route=RouteDecision("r", "queue", None, "r"))
    return c.contact_id, iid


def lead_task(app, *, email: str, hot: bool = False, subject: str = "New website", n: int = 0, now=NOW):
    """Open the task intake opens for a lead: through `open_task`, routed on the store's loads."""
    from opsys.records.tasks import TaskSpec
    from opsys.store.db import write_transaction
    from opsys.work import open_task

    with write_transaction(app.db):
        contact, iid = add_inquiry(app.db, email=email, subject=subject, hot=hot, n=n)
        return open_task(app.db, app.map, now, TaskSpec(
            kind="reply_to_hot_lead" if hot else "reply_to_lead", title=subject, subject_type="inquiry",
            subject_id=str(iid), contact_id=contact, service="web_design", channel="email", category="routine",
            is_lead=True, score=80 if hot else 30, hot=hot))
