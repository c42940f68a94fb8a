"""Import CRM exports as snapshots: hash -> read (sources/crm) -> as-of check -> diff -> store + events.

Each file is one SQLite transaction keyed by its content hash; the moves are the drop-folder
core's (intake/drops.py). The same file twice changes nothing; an export older than the last one
of the same CRM object is refused; a file we cannot read goes to `var/quarantine/` with a note,
and nothing stored changes. Linking CRM records to intake contacts (`link`), the pipeline page and
the write-back files are jobs (opsys/jobs.py), run after every import.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from opsys.config.models import SystemMap
from opsys.config.pipeline_models import CrmToolSettings
from opsys.intake.drops import Drop, DropFolder, DropKind, DropOutcome, QuarantineReason, Seen
from opsys.intake.files import place
from opsys.intake.locks import intake_lock
from opsys.records.events import Decider, EventKind
from opsys.rules.linking import CrmParty, LeadContact, link_parties
from opsys.rules.pipeline_diff import Change, diff_contacts, diff_deals, to_datetime
from opsys.sources.crm import CrmExport, ExportRead, read_export, read_export_bytes
from opsys.store import crm as store
from opsys.store.db import write_transaction
from opsys.store.events import record_event
from opsys.store.touches import record_crm_touches
from opsys.workspace import Workspace

log = logging.getLogger(__name__)
DECIDED_BY = f"{Decider.INTAKE}:crm"
# a date (and time) in an export's file name, as HubSpot writes it: ...-all-deals-2026-11-23.csv
_STAMP = re.compile(r"(20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])"
                    r"(?:[T_ -]?([01]\d|2[0-3])[-:h]?([0-5]\d))?")


@dataclass
class CrmOutcome:
    path: Path
    status: str  # imported | unchanged | refused | quarantined | skipped
    detail: str = ""
    snapshot_id: int | None = None
    events: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"file": str(self.path), "status": self.status, "detail": self.detail,
                "snapshot": self.snapshot_id, "events": dict(self.events), "warnings": self.warnings[:20]}


class _ReadAhead:
    """Reads files in one worker process while the caller stores earlier ones; no worker for one file."""

    def __init__(self, paths: list[Path], settings: CrmToolSettings, slash_dates: str):
        self.paths, self.settings, self.slash = paths, settings, slash_dates
        self.pool = None
        self.futures: dict[Path, object] = {}

    def __enter__(self) -> "_ReadAhead":
        if self.paths:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: the watcher has threads, and a forked child could inherit a held lock
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self.futures = {p: self.pool.submit(read_export, p, self.settings, self.slash) for p in self.paths}
        return self

    def take(self, path: Path) -> ExportRead | None:
        """The worker's result, or None (read it here) when there is none or the worker failed."""
        fut = self.futures.pop(path, None)
        if fut is None:
            return None
        try:
            return fut.result()
        except Exception:  # a broken worker must not stop the import: read in this process instead
            log.exception("reading %s in a worker failed; reading it here", path)
            return None

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def export_as_of(path: Path, export: CrmExport, given: datetime | None,
                 now: datetime | None = None) -> tuple[str, str]:
    """When the export was taken: --as-of, a date in the file name, the newest row change, else the file's mtime."""
    if given is not None:
        return _iso(given), "given"
    m = _STAMP.search(path.name)
    if m:
        y, mo, d, hh, mm = (int(x) if x else None for x in m.groups())
        try:  # a date without a time: the export could have been taken any time that day
            when = datetime(y, mo, d, hh, mm, tzinfo=UTC) if hh is not None else datetime(y, mo, d, 23, 59, 59,
                                                                                            tzinfo=UTC)
            if hh is None and now is not None and now < when:  # ...but not later than we were given it
                return _iso(now), "file name date, capped at the import time"
            return _iso(when), "file name"
        except ValueError:  # 2026-02-30 is no date: look further
            pass
    newest = to_datetime(export.newest_modified)
    if newest is not None:
        return _iso(newest), "newest 'last modified' in the rows"
    return _iso(datetime.fromtimestamp(path.stat().st_mtime, UTC)), "file modification time"


def _taken_key(path: Path) -> str:
    """Sort key approximating when an export was taken, so a batch is imported in order."""
    m = _STAMP.search(Path(path).name)
    if m:
        return "".join(g or "" for g in m.groups())
    try:
        return datetime.fromtimestamp(Path(path).stat().st_mtime, UTC).strftime("%Y%m%d%H%M")
    except OSError:
        return ""


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


class CrmExports:
    """The ledger of CRM drops: a consumed export is a snapshot, keyed by content hash."""

    def seen(self, db: sqlite3.Connection, sha256: str) -> Seen | None:
        snap = store.snapshot_by_sha(db, sha256)
        if snap is None:
            return None
        return Seen(snap.file_name, store.snapshot_stored_path(db, snap.id),
                    f"snapshot {snap.id}, as of {snap.as_of}")

    def quarantined(self, db: sqlite3.Connection, drop: Drop, problem: str, stored_path: str) -> None:
        """A refused export leaves no snapshot: the event is its only record."""


class CrmImporter:
    """Imports exports into the store; built once with config and database, fed files.

    Steps per file: admit and hash (intake/drops.py) -> seen before? -> read (a worker may have
    read it already) -> refuse an older export -> diff and store the snapshot -> archive."""

    def __init__(self, ws: Workspace, system_map: SystemMap, db: sqlite3.Connection,
                 now: Callable[[], datetime] | None = None):
        self.ws, self.map, self.db = ws, system_map, db
        self.now = now or (lambda: datetime.now(UTC))
        self.settings = system_map.crm
        self.drops = DropFolder(ws, db, DropKind(
            name="CRM export", folder=ws.crm_drop, archive=ws.archive / "crm", not_done="was not imported",
            retry="drop the fixed export into var/crm/ (or run `opsys crm import FILE`)",
            quarantine_event=EventKind.CRM_EXPORT_QUARANTINED, duplicate_status="unchanged",
            recovered_status="unchanged", log_repeats=False), CrmExports(), self.now)

    @property
    def drop(self) -> Path:
        return self.ws.crm_drop

    def import_files(self, paths: list[Path], as_of: datetime | None = None) -> list[CrmOutcome]:
        """Import files oldest first (by the date in the name, else mtime); each is judged against what is stored.

        With several files, the later ones are read in a second process while the first is stored:
        reading is pure CPU and a firm's contacts and deals exports usually arrive together."""
        out = []
        paths = [Path(p) for p in sorted(paths, key=_taken_key)]
        with intake_lock(self.ws), _ReadAhead(paths[1:], self.settings, self.map.pipeline.slash_dates) as ahead:
            for p in paths:
                out.append(self._one(p, as_of, ahead.take(p)))
        return out

    # -- one file ---------------------------------------------------------------------------------

    def _one(self, path: Path, as_of: datetime | None, read: "ExportRead | None") -> CrmOutcome:
        drop = self.drops.open(path)
        if isinstance(drop, DropOutcome):
            return CrmOutcome(drop.path, drop.status, drop.detail)
        try:
            done = self.drops.seen_before(drop)
            if done is not None:
                return CrmOutcome(path, done.status, done.detail)
            if read is None or read.sha256 != drop.sha256:  # no worker, or the file changed since it read it
                read = read_export_bytes(drop.data, path.name, self.settings, self.map.pipeline.slash_dates)
            if read.error is not None:
                return self._quarantine(drop, read.error.problem, read.error.fix)
            export = read.export
            when, source = export_as_of(path, export, as_of, self.now())
            last = store.latest_snapshot(self.db, export.crm, export.object)
            if last is not None and when < last.as_of:
                return self._quarantine(
                    drop, f"this {export.spec.label} is as of {when} ({source}), older than the last one imported, "
                          f"{last.file_name} as of {last.as_of}; importing it would undo newer changes",
                    "import only exports newer than the last one (or pass --as-of if the date was read wrong)",
                    EventKind.CRM_EXPORT_REFUSED, status="refused")
            return self._store(drop, export, when, source)
        except Exception as e:  # a bug on one file must not lose the others: that file only is set aside
            out = self.drops.quarantine_unexpected(drop, "importing", e)
            return CrmOutcome(path, out.status, out.detail)

    def _store(self, drop: Drop, export: CrmExport, as_of: str, source: str) -> CrmOutcome:
        path, sha = drop.path, drop.sha256
        target = self.drops.archive_target(drop)
        rel = self.drops.rel(target)
        counts: Counter = Counter()
        with write_transaction(self.db):
            sid = store.insert_snapshot(self.db, crm=export.crm, obj=export.object, layout=export.spec.label,
                                        file_name=path.name, sha256=sha, as_of=as_of, as_of_source=source,
                                        rows=export.rows, stored_path=rel)
            snap = {"id": sid, "file": path.name, "as_of": as_of}
            if export.object == "deals":
                diff = diff_deals(store.load_deals(self.db, export.crm), export.deals, as_of, self.map.pipeline, snap)
                store.save_deals(self.db, export.crm, diff.deals, sid)
            else:
                diff = diff_contacts(store.load_contacts(self.db, export.crm), export.contacts, snap)
                store.save_contacts(self.db, diff.contacts, sid)
            for ch in diff.changes:
                self._event(ch, export.crm)
                counts[ch.kind] += 1
            store.set_snapshot_events(self.db, sid, len(diff.changes))
            record_crm_touches(self.db)  # each activity on a linked deal or contact is a touch (store/touches.py)
            record_event(self.db, EventKind.CRM_SNAPSHOT_IMPORTED, decided_by=DECIDED_BY,
                         subject_type="crm_snapshot", subject_id=sid,
                         inputs={"file": path.name, "sha256": sha, "layout": export.spec.label,
                                 "rows": export.rows, "as_of": as_of, "as_of_source": source},
                         decision={"events": dict(counts), "archived_to": rel},
                         message=f"{path.name}: {export.spec.label} as of {as_of}, {export.rows} rows, "
                                 f"{len(diff.changes)} changes")
        place(path, target, move=drop.move)
        detail = f"{export.spec.label} as of {as_of[:16]}: {export.rows} rows, " + (
            ", ".join(f"{n} {k}" for k, n in counts.most_common()) or "no changes")
        return CrmOutcome(path, "imported", detail, sid, counts, export.warnings)

    def _event(self, ch: Change, crm: str) -> None:
        record_event(self.db, ch.kind, decided_by=ch.decided_by, subject_type=ch.subject_type,
                     subject_id=f"{crm}:{ch.subject_id}", inputs=ch.inputs, decision=ch.decision, message=ch.message)

    def _quarantine(self, drop: Drop, problem: str, fix: str, kind: EventKind | None = None,
                    status: str = "quarantined") -> CrmOutcome:
        out = self.drops.quarantine(drop, QuarantineReason(problem, fix), status=status, kind=kind)
        return CrmOutcome(drop.path, out.status, out.detail)

    # -- linking --------------------------------------------------------------------------------

    def link(self) -> int:
        """Link unlinked CRM deals and contacts to intake contacts; one event per new link."""
        leads = [LeadContact(r["id"], r["email"], r["phone"], r["company"]) for r in store.lead_contacts(self.db)]
        if not leads:
            return 0
        parties = [CrmParty(("deal", r["crm"], r["external_id"]), r["contact_email"], r["contact_phone"], r["company"])
                   for r in store.unlinked_deals(self.db)]
        parties += [CrmParty(("contact", r["crm"], r["kind"], r["external_id"]), r["email"], r["phone"], r["company"])
                    for r in store.unlinked_contacts(self.db)]
        links = link_parties(leads, parties)
        if not links:
            return 0
        with write_transaction(self.db):
            for ln in links:
                if ln.key[0] == "deal":
                    _, crm, ext = ln.key
                    store.set_deal_link(self.db, crm, ext, ln.contact_id, ln.rule)
                    subject = ("deal", f"{crm}:{ext}")
                else:
                    _, crm, kind, ext = ln.key
                    store.set_contact_link(self.db, crm, kind, ext, ln.contact_id, ln.rule)
                    subject = ("crm_contact", f"{crm}:{kind}:{ext}")
                record_event(self.db, EventKind.CRM_LINKED, decided_by=ln.rule, subject_type=subject[0],
                             subject_id=subject[1],
                             inputs={"reason": ln.reason}, decision={"contact_id": ln.contact_id},
                             confidence=ln.score / 100, message=f"linked to intake contact {ln.contact_id}: {ln.reason}")
            record_crm_touches(self.db)  # activity seen before the link is a touch once linked
        return len(links)
