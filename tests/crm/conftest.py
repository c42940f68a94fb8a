"""CRM tests: real workspaces (via `opsys init`), real SQLite files, the fixture exports in tests/fixtures/crm/."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crm"
REAL_HEADERS = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "crm_headers"


@pytest.fixture
def crm_fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def real_headers() -> Path:
    if not REAL_HEADERS.is_dir():
        pytest.skip("../shared/realdata/crm_headers is not beside this checkout (only next to dev and CI clones)")
    return REAL_HEADERS


@pytest.fixture
def rt(workspace):
    """Config + store of a fresh workspace; no models are loaded (CRM sync needs none)."""
    from opsys.app import open_app

    runtime = open_app(workspace)
    yield runtime
    runtime.db.close()


@pytest.fixture
def importer(rt):
    from opsys.intake.crm_import import CrmImporter

    return CrmImporter(rt.ws, rt.map, rt.db)


def add_lead(db, *, name: str, email: str | None = None, phone: str | None = None, company: str | None = None,
             channel: str = "web_form", owner: str | None = "jordan", score: int = 72, hot: bool = True,
             received_at: datetime | None = None) -> int:
    """Store one intake lead through the store's own functions (what intake does after classifying)."""
    from opsys.records import Classification, Lead, RouteDecision, Score, Signal
    from opsys.store.contacts import upsert_contact
    from opsys.store.db import write_transaction
    from opsys.records.tasks import ContextPack
    from opsys.store.inquiries import insert_inquiry
    from opsys.store.tasks import NewTask, insert_task

    when = received_at or datetime.now(UTC)
    lead = Lead(channel=channel, source_name=f"{name}.json", position=0, name=name, email=email, phone=phone,
                company=company, subject=f"Website for {company}", body="We need a new website, budget $20k.",
                received_at=when, attachments=[], fields={}, warnings=[])
    cls = Classification("routine", 0.9, True, 0.95, "embedding:test")
    score_ = Score(score, hot, (Signal("budget", 25, "budget $20,000"),), 20000.0, "web_design")
    route = RouteDecision("new-lead", "notify", owner, f"hot lead to {owner}")
    with write_transaction(db):
        c = upsert_contact(db, name=name, email=email, phone=phone, company=company, client_account=None, tier=None)
        sha = hashlib.sha256(f"{name}|{email}|{phone}".encode()).hexdigest()  # stands for the source file
        iid = insert_inquiry(db, contact_id=c.contact_id, sha256=sha, lead=lead, cls=cls, score=score_, route=route)
        if owner:  # what intake's assign step stores: one open task for the routed inquiry
            insert_task(db, NewTask("reply_to_hot_lead", lead.subject, "inquiry", str(iid), c.contact_id, owner, 1,
                                    when, None, 0.75, route.rule, route.reason, "sales", False,
                                    ContextPack("Reply."), {}, {}))
    return c.contact_id
