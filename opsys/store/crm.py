"""CRM snapshots, the current state of deals and CRM contacts, their links to intake contacts,
and the write-back files already produced (the records themselves live in opsys.records.crm)."""

from __future__ import annotations

import sqlite3
from dataclasses import fields
from operator import attrgetter
from opsys.records.crm import CrmContact, DealRow, DealState, LeadDeal, Snapshot
from opsys.store.events import utcnow

STATE_FIELDS = tuple(f.name for f in fields(DealState))
_CONTACT_FIELDS = tuple(f.name for f in fields(CrmContact))
# dataclasses.astuple deep-copies every value: far too slow for 100,000 rows
_deal_values = attrgetter(*STATE_FIELDS[:-1])
_contact_values = attrgetter(*_CONTACT_FIELDS)


def _snapshot(r: sqlite3.Row | None) -> Snapshot | None:
    if r is None:
        return None
    return Snapshot(r["id"], r["crm"], r["object"], r["layout"], r["file_name"], r["sha256"], r["as_of"],
                    r["as_of_source"], r["imported_at"], r["rows"], r["events"])


def snapshot_by_sha(db: sqlite3.Connection, sha256: str) -> Snapshot | None:
    return _snapshot(db.execute("SELECT * FROM crm_snapshots WHERE sha256 = ?", (sha256,)).fetchone())


def snapshot_stored_path(db: sqlite3.Connection, snapshot_id: int) -> str | None:
    r = db.execute("SELECT stored_path FROM crm_snapshots WHERE id = ?", (snapshot_id,)).fetchone()
    return r[0] if r else None


def latest_snapshot(db: sqlite3.Connection, crm: str | None = None, obj: str | None = None) -> Snapshot | None:
    """The newest snapshot (by as-of time) of one CRM object, or of anything when not given."""
    sql, args = "SELECT * FROM crm_snapshots WHERE 1=1", []
    if crm:
        sql += " AND crm = ?"
        args.append(crm)
    if obj:
        sql += " AND object = ?"
        args.append(obj)
    return _snapshot(db.execute(sql + " ORDER BY as_of DESC, id DESC LIMIT 1", args).fetchone())


def latest_snapshots(db: sqlite3.Connection) -> list[Snapshot]:
    """The newest snapshot of every (crm, object) imported so far."""
    rows = db.execute(
        "SELECT * FROM crm_snapshots s WHERE id = (SELECT id FROM crm_snapshots t WHERE t.crm = s.crm AND"
        " t.object = s.object ORDER BY as_of DESC, id DESC LIMIT 1) ORDER BY crm, object")
    return [_snapshot(r) for r in rows]


def insert_snapshot(db: sqlite3.Connection, *, crm: str, obj: str, layout: str, file_name: str, sha256: str,
                    as_of: str, as_of_source: str, rows: int, stored_path: str | None) -> int:
    cur = db.execute(
        "INSERT INTO crm_snapshots (crm, object, layout, file_name, sha256, as_of, as_of_source, imported_at, rows,"
        " stored_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (crm, obj, layout, file_name, sha256, as_of, as_of_source, utcnow(), rows, stored_path))
    return int(cur.lastrowid)


def set_snapshot_events(db: sqlite3.Connection, snapshot_id: int, events: int) -> None:
    db.execute("UPDATE crm_snapshots SET events = ? WHERE id = ?", (events, snapshot_id))


# --- deals ----------------------------------------------------------------------------------


def load_deals(db: sqlite3.Connection, crm: str) -> dict[str, DealState]:
    cols = ", ".join(STATE_FIELDS)
    out: dict[str, DealState] = {}
    for r in db.execute(f"SELECT {cols} FROM crm_deals WHERE crm = ?", (crm,)):
        t = tuple(r)
        out[t[0]] = DealState(*t[:-1], present=bool(t[-1]))
    return out


def save_deals(db: sqlite3.Connection, crm: str, states: dict[str, DealState], snapshot_id: int) -> None:
    cols = ", ".join(STATE_FIELDS)
    marks = ", ".join("?" for _ in STATE_FIELDS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in STATE_FIELDS if c != "external_id")
    db.executemany(
        f"INSERT INTO crm_deals (crm, {cols}, first_snapshot, last_snapshot) VALUES (?, {marks}, ?, ?)"
        f" ON CONFLICT (crm, external_id) DO UPDATE SET {updates}, last_snapshot = excluded.last_snapshot",
        ((crm, *_deal_values(s), int(s.present), snapshot_id, snapshot_id) for s in states.values()),
    )


# --- CRM contacts ----------------------------------------------------------------------------


def load_contacts(db: sqlite3.Connection, crm: str) -> dict[tuple[str, str], CrmContact]:
    cols = ", ".join(_CONTACT_FIELDS)
    return {(r["kind"], r["external_id"]): CrmContact(*tuple(r))
            for r in db.execute(f"SELECT {cols} FROM crm_contacts WHERE crm = ?", (crm,))}


def save_contacts(db: sqlite3.Connection, contacts: dict[tuple[str, str], CrmContact], snapshot_id: int) -> None:
    cols = ", ".join(_CONTACT_FIELDS)
    marks = ", ".join("?" for _ in _CONTACT_FIELDS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _CONTACT_FIELDS if c not in ("crm", "kind", "external_id"))
    db.executemany(
        f"INSERT INTO crm_contacts ({cols}, first_snapshot, last_snapshot) VALUES ({marks}, ?, ?)"
        f" ON CONFLICT (crm, kind, external_id) DO UPDATE SET {updates}, last_snapshot = excluded.last_snapshot",
        ((*_contact_values(c), snapshot_id, snapshot_id) for c in contacts.values()),
    )


# --- links to intake contacts ----------------------------------------------------------------


def lead_contacts(db: sqlite3.Connection) -> list[sqlite3.Row]:
    return db.execute("SELECT id, email, phone, company FROM contacts").fetchall()


def unlinked_deals(db: sqlite3.Connection) -> list[sqlite3.Row]:
    return db.execute("SELECT crm, external_id, contact_email, contact_phone, company FROM crm_deals"
                      " WHERE lead_contact_id IS NULL AND present = 1").fetchall()


def unlinked_contacts(db: sqlite3.Connection) -> list[sqlite3.Row]:
    return db.execute("SELECT crm, kind, external_id, email, phone, company FROM crm_contacts"
                      " WHERE lead_contact_id IS NULL").fetchall()


def set_deal_link(db: sqlite3.Connection, crm: str, external_id: str, contact_id: int, rule: str) -> None:
    db.execute("UPDATE crm_deals SET lead_contact_id = ?, link_rule = ? WHERE crm = ? AND external_id = ?",
               (contact_id, rule, crm, external_id))


def set_contact_link(db: sqlite3.Connection, crm: str, kind: str, external_id: str, contact_id: int,
                     rule: str) -> None:
    db.execute("UPDATE crm_contacts SET lead_contact_id = ?, link_rule = ? WHERE crm = ? AND kind = ?"
               " AND external_id = ?", (contact_id, rule, crm, kind, external_id))


# --- reading for pages --------------------------------------------------------------------------


def list_deals(db: sqlite3.Connection, *, present_only: bool = True) -> list[DealRow]:
    cols = ", ".join(STATE_FIELDS)
    where = "WHERE present = 1" if present_only else ""
    out = []
    for r in db.execute(f"SELECT crm, {cols}, lead_contact_id, link_rule FROM crm_deals {where}"):
        t = tuple(r)
        out.append(DealRow(t[0], DealState(*t[1:-3], present=bool(t[-3])), t[-2], t[-1]))
    return out


def lead_deals(db: sqlite3.Connection, limit: int | None = None) -> list[LeadDeal]:
    """Linked deals with their intake lead, newest lead first."""
    sql = ("SELECT c.id, c.name, c.email, MAX(i.score), MIN(i.received_at), d.crm, d.external_id, d.name, d.stage,"
           " d.status, d.value, d.link_rule FROM crm_deals d JOIN contacts c ON c.id = d.lead_contact_id"
           " LEFT JOIN inquiries i ON i.contact_id = c.id WHERE d.present = 1"
           " GROUP BY d.crm, d.external_id ORDER BY MIN(i.received_at) DESC, d.value DESC")
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [LeadDeal(*tuple(r)) for r in db.execute(sql)]


def linked_contact_ids(db: sqlite3.Connection) -> set[int]:
    """Intake contacts the CRM already knows as a person (contact or lead) or through a deal; an
    organisation linked by company name does not make the person known."""
    return {r[0] for r in db.execute(
        "SELECT lead_contact_id FROM crm_deals WHERE lead_contact_id IS NOT NULL UNION "
        "SELECT lead_contact_id FROM crm_contacts WHERE lead_contact_id IS NOT NULL"
        " AND kind IN ('contact', 'lead')")}


# --- write-back ---------------------------------------------------------------------------------


def owner_spellings(db: sqlite3.Connection, crm: str) -> dict[str, int]:
    """Each owner name or id this CRM uses, with how many of its deals and contacts carry it."""
    return {owner: n for owner, n in db.execute(
        "SELECT owner, COUNT(*) FROM (SELECT owner FROM crm_deals WHERE crm = ? UNION ALL "
        "SELECT owner FROM crm_contacts WHERE crm = ?) WHERE owner IS NOT NULL GROUP BY owner", (crm, crm))}


def linked_people(db: sqlite3.Connection, crm: str) -> list[sqlite3.Row]:
    """CRM contacts and leads (not organisations) of this CRM linked to an intake contact."""
    return db.execute("SELECT crm, kind, external_id, email, owner, lead_contact_id FROM crm_contacts"
                      " WHERE lead_contact_id IS NOT NULL AND crm = ? AND kind IN ('contact', 'lead')",
                      (crm,)).fetchall()


def written_items(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT item_key FROM crm_written_items")}


def record_writeback(db: sqlite3.Connection, crm: str, kind: str, file: str, item_keys: list[str]) -> int:
    cur = db.execute("INSERT INTO crm_writebacks (at, crm, kind, file, rows) VALUES (?, ?, ?, ?, ?)",
                     (utcnow(), crm, kind, file, len(item_keys)))
    wid = int(cur.lastrowid)
    db.executemany("INSERT OR IGNORE INTO crm_written_items (item_key, writeback_id) VALUES (?, ?)",
                   ((k, wid) for k in item_keys))
    return wid
