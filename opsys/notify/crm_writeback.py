"""What opsys learned, back to the CRM: import-ready CSV files in `var/outbox/crm/`.

Three files at most per run, each in the CRM's own import layout and each item written once:
new leads (score, class, owner and why), owner updates for CRM records opsys routed, and
follow-up tasks for open deals that went quiet or have no next action. Cells are neutralised
against spreadsheet formula injection (also after a `;`, tab or `|`, for files read in another
locale); E.164 numbers in phone columns are written as they are. Every file is logged (event `crm_writeback`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from opsys.config.models import SystemMap
from opsys.records.crm import DealRow
from opsys.records.events import EventKind, rule
from opsys.rules.pipeline_metrics import owner_person
from opsys.store import crm as store
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.inquiries import list_inquiries

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Column layouts of each CRM's own importer, per kind of file.
LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "hubspot": {
        "new-leads": ("First Name", "Last Name", "Email", "Phone Number", "Company Name", "Contact owner",
                      "Lead Status", "opsys score", "opsys class", "opsys note"),
        "owner-updates": ("Record ID", "Email", "Contact owner"),
        "tasks": ("Task Title", "Due Date", "Assigned To", "Associated Deal Record ID", "Task Notes"),
    },
    "pipedrive": {
        "new-leads": ("Person - Name", "Person - Email", "Person - Phone", "Organization - Name", "Person - Owner",
                      "Person - Label", "Note - Content"),
        "owner-updates": ("Person - ID", "Person - Email", "Person - Owner"),
        "tasks": ("Activity - Subject", "Activity - Type", "Activity - Due date", "Activity - Assigned to user",
                  "Deal - ID", "Activity - Note"),
    },
    "salesforce": {
        "new-leads": ("FirstName", "LastName", "Company", "Email", "Phone", "LeadSource", "OwnerId", "Rating",
                      "Description"),
        "owner-updates": ("Id", "Email", "OwnerId"),
        "tasks": ("WhatId", "Subject", "ActivityDate", "OwnerId", "Status", "Description"),
    },
}


# a file read with another separator (`;` in many European locales, tab, `|`) splits a cell there:
# what follows a separator is a cell start too
_AFTER_SEPARATOR = re.compile(r"([,;\t|])([=+\-@])")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def neutralise(value: object, column: str = "") -> str:
    """A cell a spreadsheet will show as text: a leading = + - @ tab or CR gets a ' in front, and so
    does one right after a separator. In a phone column an E.164 number is kept as it is: digits
    cannot carry a formula, and a CRM would store the apostrophe as part of the number."""
    s = "" if value is None else str(value)
    if "phone" in column.lower() and _E164.fullmatch(s):
        return s
    if s.startswith(_FORMULA_START):  # the leading ' covers the first character, a tab or CR included
        return "'" + s[0] + _AFTER_SEPARATOR.sub(r"\1'\2", s[1:])
    return _AFTER_SEPARATOR.sub(r"\1'\2", s)


@dataclass(frozen=True)
class WriteBack:
    kind: str
    file: Path
    rows: int


def _crm_owners(db: sqlite3.Connection, m: SystemMap, layout: str) -> dict[str, str]:
    """How this CRM itself names each team member: the owner spelling seen most in its records."""
    seen: dict[str, Counter] = {}
    for owner, n in store.owner_spellings(db, layout).items():
        pid = owner_person(owner, m.team, m.pipeline.owners)
        if pid:
            seen.setdefault(pid, Counter())[owner] += n
    return {pid: c.most_common(1)[0][0] for pid, c in seen.items()}


def _crm_owner(person_id: str | None, m: SystemMap, layout: str, known: dict[str, str]) -> str:
    """The CRM's own spelling when seen; else the email (HubSpot, Salesforce match users by it) or the name."""
    if not person_id:
        return ""
    if person_id in known:
        return known[person_id]
    try:
        p = m.team.person(person_id)
    except KeyError:
        return person_id
    return p.email if layout in ("hubspot", "salesforce") else p.name


def _split_name(name: str | None) -> tuple[str, str]:
    parts = (name or "").split()
    return (" ".join(parts[:-1]), parts[-1]) if len(parts) > 1 else ("", parts[0] if parts else "")


def target_layout(db: sqlite3.Connection, m: SystemMap) -> str | None:
    if m.pipeline.write_back != "auto":
        return m.pipeline.write_back
    snap = store.latest_snapshot(db)
    return snap.crm if snap and snap.crm in LAYOUTS else None


def write_back(db: sqlite3.Connection, outbox: Path, m: SystemMap, now: datetime,
               deals: list[DealRow] | None = None) -> list[WriteBack]:
    """Write what is new since the last run; returns the files written (none when nothing is new)."""
    layout = target_layout(db, m)
    if layout is None:
        return []
    done = store.written_items(db)
    cols = LAYOUTS[layout]
    known = _crm_owners(db, m, layout)
    batches = {
        "new-leads": _new_leads(db, m, layout, done, known),
        "owner-updates": _owner_updates(db, m, layout, done, known),
        "tasks": _tasks(store.list_deals(db) if deals is None else deals, m, layout, done, now, known),
    }
    written: list[WriteBack] = []
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for kind, items in batches.items():
        if not items:
            continue
        path, n = outbox / f"{layout}-{kind}-{stamp}.csv", 2
        while path.exists():  # two runs in one second: two files, never one replacing the other
            path, n = outbox / f"{layout}-{kind}-{stamp}-{n}.csv", n + 1
        _write_csv(path, cols[kind], [row for _, row in items])
        with write_transaction(db):
            wid = store.record_writeback(db, layout, kind, path.name, [k for k, _ in items])
            record_event(db, EventKind.CRM_WRITEBACK, decided_by=rule(f"crm_writeback#{kind}"), subject_type="file",
                         subject_id=path.name, inputs={"layout": layout, "items": [k for k, _ in items][:50]},
                         decision={"file": str(path), "rows": len(items), "writeback_id": wid},
                         message=f"{len(items)} {kind.replace('-', ' ')} written to {path.name} for {layout} import")
        written.append(WriteBack(kind, path, len(items)))
    return written


def _write_csv(path: Path, header: tuple[str, ...], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow([neutralise(v, col) for v, col in zip(row, header)])
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)


def _new_leads(db: sqlite3.Connection, m: SystemMap, layout: str, done: set[str],
               known: dict[str, str]) -> list[tuple[str, list]]:
    in_crm = store.linked_contact_ids(db)
    out, seen = [], set()
    for x in list_inquiries(db):  # best first: one row per contact, its best inquiry
        key = f"lead:{x.contact_id}"
        if x.contact_id in in_crm or x.contact_id in seen or key in done:
            continue
        seen.add(x.contact_id)
        first, last = _split_name(x.name)
        owner = _crm_owner(x.owner_id, m, layout, known)
        cls = f"{x.category}{' (hot)' if x.hot else ''}"
        note = f"opsys score {x.score}: {x.explanation}. Routed: {x.route_reason}"
        row = {
            "hubspot": [first, last, x.email, x.phone, x.company, owner, "NEW", x.score, cls, note],
            "pipedrive": [x.name, x.email, x.phone, x.company, owner, "Hot" if x.hot else "Warm", note],
            "salesforce": [first, last or x.email or "(unknown)", x.company or "(unknown)", x.email, x.phone,
                           f"opsys {x.channel}", owner, "Hot" if x.hot else "Warm", note],
        }[layout]
        out.append((key, row))
    return out


def _owner_updates(db: sqlite3.Connection, m: SystemMap, layout: str, done: set[str],
                   known: dict[str, str]) -> list[tuple[str, list]]:
    """CRM contacts opsys routed to someone else than their CRM owner (or who have none)."""
    routed: dict[int, str] = {}
    for x in list_inquiries(db):
        if x.owner_id and x.contact_id not in routed:
            routed[x.contact_id] = x.owner_id
    out = []
    for r in store.linked_people(db, layout):
        person = routed.get(r["lead_contact_id"])
        if not person or owner_person(r["owner"], m.team, m.pipeline.owners) == person:
            continue
        key = f"owner:{r['crm']}:{r['kind']}:{r['external_id']}:{person}"
        if key in done:
            continue
        out.append((key, [r["external_id"], r["email"], _crm_owner(person, m, layout, known)]))
    return out


def _tasks(deals: list[DealRow], m: SystemMap, layout: str, done: set[str], now: datetime,
           known: dict[str, str]) -> list[tuple[str, list]]:
    """A follow-up task for each open deal that went quiet or has no next action (once per lull)."""
    due = (now + timedelta(days=1)).date().isoformat()
    out = []
    for d in deals:
        s = d.state
        if d.crm != layout or s.status != "open":
            continue
        if s.quiet_since:
            why, marker = f"no activity since {(s.last_activity_at or s.created_at or '?')[:10]}", s.quiet_since
        elif not s.next_activity_at and not s.next_step:
            why, marker = "no next activity or next step", "no-next"
        else:
            continue
        key = f"task:{d.crm}:{s.external_id}:{marker}"
        if key in done:
            continue
        pid = owner_person(s.owner, m.team, m.pipeline.owners)
        owner = _crm_owner(pid, m, layout, known) if pid else (s.owner or "")
        subject = f"Follow up: {s.name}"
        note = f"opsys: {why} (stage {s.stage})"
        row = {
            "hubspot": [subject, due, owner, s.external_id, note],
            "pipedrive": [subject, "call", due, owner, s.external_id, note],
            "salesforce": [s.external_id, subject, due, owner, "Not Started", note],
        }[layout]
        out.append((key, row))
    return out
