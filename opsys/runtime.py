"""Build the long-lived pieces once — config, database, classifier — and pass them in."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import cached_property

from opsys.config.loader import load_system_map
from opsys.config.models import SystemMap
from opsys.workspace import Workspace


@dataclass
class Runtime:
    ws: Workspace
    map: SystemMap
    db: sqlite3.Connection

    @cached_property
    def classifier(self):
        """The message classifier; loading it imports torch, so only commands that classify pay."""
        from opsys.ai.classify import MessageClassifier

        return MessageClassifier(self.map.classifier, self.map.examples)

    @cached_property
    def intake(self):
        from opsys.intake.pipeline import Intake

        return Intake(self.ws, self.map, self.db, self.classifier)

    def after_intake(self) -> "AfterIntake":
        """What every intake batch is followed by: send due notifications, rebuild pages."""
        from opsys.notify.dispatch import dispatch_pending
        from opsys.store.inquiries import list_inquiries
        from opsys.views.leads_page import render_leads_page, write_page

        result = dispatch_pending(self.db, self.map.team, self.ws.send_lock)
        write_page(self.ws.pages / "leads.md", render_leads_page(list_inquiries(self.db), self.map))
        return AfterIntake(result.sent, result.failed)

    def tick(self, now: "datetime | None" = None) -> dict[str, object]:
        """The periodic step (`opsys tick`, the watcher, every CRM import): retry notifications still
        due, link CRM records to new intake contacts, write what is new back to the CRM outbox,
        rebuild the pipeline page."""
        from opsys.intake.crm_import import CrmImporter
        from opsys.notify.crm_writeback import write_back
        from opsys.notify.dispatch import dispatch_pending
        from opsys.store.crm import list_deals
        from opsys.store.locks import exclusive
        from opsys.views.pipeline_page import build_pipeline_page

        sent = dispatch_pending(self.db, self.map.team, self.ws.send_lock)
        linked = CrmImporter(self.ws, self.map, self.db).link()
        deals = list_deals(self.db)
        with exclusive(self.ws.send_lock):  # two processes must not write the same items twice
            files = write_back(self.db, self.ws.outbox / "crm", self.map, now, deals)
        page = build_pipeline_page(self.db, self.ws.pages, self.map, now, deals=deals)
        return {"linked": linked, "writeback": [str(f.file) for f in files], "page": str(page),
                "notifications_sent": sent.sent, "notifications_failed": sent.failed}


@dataclass(frozen=True)
class AfterIntake:
    notifications_sent: int
    notifications_failed: int


def open_runtime(ws: Workspace) -> Runtime:
    """Validate the system map first: an invalid map stops everything before any file is touched."""
    from opsys.store.db import connect

    ws.require_system_map()
    system_map = load_system_map(ws.system_map)
    ws.ensure_dirs()
    return Runtime(ws, system_map, connect(ws.db_path))
