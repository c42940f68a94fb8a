"""Documents that disagree, on the founder's page: one anomaly per open mismatch (invoice against itself,
its timesheet or its measurement sheet) and one "please check" per document the LLM read below the
confidence `documents.yml` asks for. Each links both documents; a corrected document that agrees
resolves a mismatch by itself (intake/documents.py), a person by `opsys documents resolve`.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from opsys.records.founder import FounderItem, Section
from opsys.store.documents import documents_to_check, get_document, open_mismatches


class HasStore(Protocol):
    """What the provider reads of the App: only the store (the App's floor is above this one)."""

    db: sqlite3.Connection

_SEVERITY = {"high": 1, "medium": 2, "low": 3}


def founder_items(app: HasStore, now: datetime) -> Iterator[FounderItem]:
    """Open mismatches, then LLM readings to check; both in Section.ANOMALY."""
    docs: dict[int, str] = {}

    def describe(doc_id: int | None) -> str | None:
        if doc_id is None:
            return None
        if doc_id not in docs:
            d = get_document(app.db, doc_id)
            docs[doc_id] = d.describe() if d else f"document {doc_id}"
        return docs[doc_id]

    for m in open_mismatches(app.db):
        evidence = tuple(e for e in (describe(m.invoice_doc_id), describe(m.sheet_doc_id)) if e)
        money = f"{m.money_at_stake:,.2f} {m.currency or ''}".strip() if m.money_at_stake else None
        yield FounderItem(
            key=f"mismatch:{m.id}", section=Section.ANOMALY,
            title=m.explanation,
            why=f"{m.kind.replace('_', ' ')} mismatch on invoice {m.invoice_number}"
                + (f", {money} at stake" if money else "") + "; found by the document checks (documents.yml)",
            since=m.first_seen, fingerprint=hashlib.sha1(m.explanation.encode()).hexdigest()[:12],
            severity=_SEVERITY.get(m.severity, 2), money=m.money_at_stake,
            evidence=evidence + tuple(m.refs) + ("opsys log --kind document_mismatch",),
            resolve=f"drop the corrected invoice or sheet into var/inbox/, or `opsys documents resolve {m.id} "
                    "--note WHY`")
    for d in documents_to_check(app.db):
        yield FounderItem(
            key=f"document-check:{d.id}", section=Section.ANOMALY,
            title=f"please check {d.file_name}: no rule could read it, the LLM did (confidence {d.confidence:.2f})",
            why=d.check_note or "an LLM reading below documents.yml extraction.min_confidence is never a silent pass",
            since=d.stored_at, fingerprint=f"{d.id}:{d.confidence:.2f}", severity=2, money=d.total,
            evidence=(d.describe(), f"opsys documents show {d.id}"),
            resolve=f"`opsys documents confirm {d.id}` if the reading is right, else drop the invoice as CSV "
                    "(or a PDF with a text layer) into var/inbox/")
