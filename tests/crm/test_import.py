"""Snapshots into events: the import pipeline on a real workspace, SQLite file and fixture exports."""

from __future__ import annotations

import shutil
from collections import Counter

from opsys.store.events import list_events

from .conftest import add_lead

D1 = "hubspot-crm-exports-all-deals-2026-11-16.csv"
D2 = "hubspot-crm-exports-all-deals-2026-11-23.csv"


def _events(db, kind=None):
    return [e for e in list_events(db, kind=kind)]


def _deal(db, ext):
    return db.execute("SELECT * FROM crm_deals WHERE crm = 'hubspot' AND external_id = ?", (ext,)).fetchone()


def test_two_snapshots_become_events(importer, rt, crm_fixtures):
    first = importer.import_files([crm_fixtures / D1])[0]
    assert first.status == "imported", first.detail
    assert first.events["deal_created"] == 8
    second = importer.import_files([crm_fixtures / D2])[0]
    assert second.status == "imported", second.detail
    kinds = Counter(e.kind for e in _events(rt.db) if e.subject_type == "deal" and
                    e.inputs.get("snapshot", {}).get("id") == second.snapshot_id)
    assert kinds["deal_stage_changed"] == 4  # 101 moved on, 103 won, 104 lost, 105 reopened
    assert kinds["deal_won"] == 1 and kinds["deal_lost"] == 1 and kinds["deal_reopened"] == 1
    assert kinds["deal_value_changed"] == 1 and kinds["deal_owner_changed"] == 1
    assert kinds["deal_created"] == 1 and kinds["deal_missing"] == 1
    assert kinds["activity_recorded"] == 4

    stage = next(e for e in _events(rt.db, "deal_stage_changed") if e.subject_id == "hubspot:101")
    assert (stage.inputs["from"], stage.inputs["to"]) == ("Appointment Scheduled", "Presentation Scheduled")
    assert stage.inputs["snapshot"] == {"id": second.snapshot_id, "file": D2, "as_of": "2026-11-23T23:59:59+00:00"}
    assert stage.decided_by == "rule:pipeline_diff"
    value = next(e for e in _events(rt.db, "deal_value_changed"))
    assert (value.subject_id, value.inputs["from"], value.inputs["to"]) == ("hubspot:102", 18000.0, 21000.0)
    owner = next(e for e in _events(rt.db, "deal_owner_changed"))
    assert (owner.inputs["from"], owner.inputs["to"]) == ("Maya Okafor", "Jordan Reyes")

    d101 = _deal(rt.db, "101")
    assert d101["stage_key"] == "discovery" and d101["stage_since"] == "2026-11-23T23:59:59+00:00"
    assert _deal(rt.db, "103")["status"] == "won" and _deal(rt.db, "103")["closed_at"] == "2026-11-22"
    assert _deal(rt.db, "105")["status"] == "open" and _deal(rt.db, "105")["closed_at"] is None
    assert _deal(rt.db, "108")["present"] == 0


def test_gone_quiet_once_per_lull(importer, rt, crm_fixtures):
    importer.import_files([crm_fixtures / D1, crm_fixtures / D2])
    quiet = _events(rt.db, "deal_gone_quiet")
    by_deal = Counter(e.subject_id for e in quiet)
    assert by_deal == {"hubspot:102": 1, "hubspot:107": 1}  # 102 said once although quiet in both snapshots
    e = next(e for e in quiet if e.subject_id == "hubspot:107")
    assert e.inputs["quiet_after_days"] == 7 and e.decided_by == "rule:pipeline_diff#quiet_after_days"


def test_same_file_twice_changes_nothing(importer, rt, crm_fixtures, tmp_path):
    importer.import_files([crm_fixtures / D1])
    before_events = rt.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    before_deals = rt.db.execute("SELECT * FROM crm_deals ORDER BY external_id").fetchall()
    copy = tmp_path / "renamed-copy.csv"
    shutil.copy(crm_fixtures / D1, copy)
    again = importer.import_files([crm_fixtures / D1, copy])
    assert [o.status for o in again] == ["unchanged", "unchanged"]
    assert rt.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before_events
    assert [tuple(r) for r in rt.db.execute("SELECT * FROM crm_deals ORDER BY external_id")] == \
        [tuple(r) for r in before_deals]
    assert rt.db.execute("SELECT COUNT(*) FROM crm_snapshots").fetchone()[0] == 1


def test_an_older_export_is_refused(importer, rt, crm_fixtures, tmp_path):
    importer.import_files([crm_fixtures / D2])
    older = tmp_path / "hubspot-crm-exports-all-deals-2026-11-09.csv"
    older.write_bytes((crm_fixtures / D1).read_bytes().replace(b"12500", b"99999"))
    before = [tuple(r) for r in rt.db.execute("SELECT * FROM crm_deals ORDER BY external_id")]
    out = importer.import_files([older])[0]
    assert out.status == "refused"
    assert "older than the last one imported" in out.detail and D2 in out.detail and "2026-11-09" in out.detail
    assert [tuple(r) for r in rt.db.execute("SELECT * FROM crm_deals ORDER BY external_id")] == before
    assert _events(rt.db, "crm_export_refused")
    assert older.exists()  # a file given on the command line is copied to quarantine, never taken away
    assert (rt.ws.quarantine / older.name).exists()


def test_missing_column_quarantines_and_changes_nothing(importer, rt, crm_fixtures):
    importer.import_files([crm_fixtures / D1])
    before = [tuple(r) for r in rt.db.execute("SELECT * FROM crm_deals ORDER BY external_id")]
    drop = rt.ws.crm_drop / "hubspot-deals-missing-stage.csv"
    shutil.copy(crm_fixtures / "hubspot-deals-missing-stage.csv", drop)
    out = importer.import_files([drop])[0]
    assert out.status == "quarantined"
    assert not drop.exists()
    note = (rt.ws.quarantine / "hubspot-deals-missing-stage.csv.error.txt").read_text()
    assert "'Deal Stage'" in note and "HubSpot deals export" in note
    assert [tuple(r) for r in rt.db.execute("SELECT * FROM crm_deals ORDER BY external_id")] == before
    assert rt.db.execute("SELECT COUNT(*) FROM crm_snapshots").fetchone()[0] == 1


def test_drops_are_archived(importer, rt, crm_fixtures):
    drop = rt.ws.crm_drop / D1
    shutil.copy(crm_fixtures / D1, drop)
    out = importer.import_files([drop])[0]
    assert out.status == "imported" and not drop.exists()
    stored = rt.db.execute("SELECT stored_path FROM crm_snapshots").fetchone()[0]
    assert (rt.ws.root / stored).read_bytes() == (crm_fixtures / D1).read_bytes()


def test_contacts_persons_organizations_and_leads(importer, rt, crm_fixtures):
    names = ["hubspot-crm-exports-all-contacts-2026-11-23.csv", "pipedrive-persons-2026-11-23.csv",
             "pipedrive-organizations-2026-11-23.csv", "Lead.csv", "Opportunity.csv", "pipedrive-deals-2026-11-23.csv"]
    out = importer.import_files([crm_fixtures / n for n in names])
    assert [o.status for o in out] == ["imported"] * 6, [o.detail for o in out]
    kinds = dict(rt.db.execute("SELECT crm || ':' || kind, COUNT(*) FROM crm_contacts GROUP BY 1").fetchall())
    assert kinds == {"hubspot:contact": 4, "pipedrive:contact": 2, "pipedrive:organization": 2, "salesforce:lead": 1}
    assert len(_events(rt.db, "contact_created")) == 9
    sf = rt.db.execute("SELECT status, stage_key FROM crm_deals WHERE crm = 'salesforce' ORDER BY external_id").fetchall()
    assert [tuple(r) for r in sf] == [("open", "new"), ("open", "negotiation"), ("won", "won")]


def test_linking_to_intake_leads(importer, rt, crm_fixtures):
    dana = add_lead(rt.db, name="Dana Harbor", email="DANA@harbordental.example", company="Harbor Dental")
    lena = add_lead(rt.db, name="Lena Fisch", phone="+13125550199", company="Fisch & Co")
    ridge = add_lead(rt.db, name="Tom B", email="tom@other.example", company="Ridgeway Outdoor, Inc.")
    stranger = add_lead(rt.db, name="Nobody", email="nobody@nowhere.example", company="Zzyzx Holdings")
    importer.import_files([crm_fixtures / "hubspot-crm-exports-all-contacts-2026-11-23.csv", crm_fixtures / D1])
    assert importer.link() == 5
    links = {e.subject_id: (e.decision["contact_id"], e.decided_by) for e in _events(rt.db, "crm_linked")}
    assert links["hubspot:contact:5001"] == (dana, "rule:link#email")
    assert links["hubspot:contact:5003"] == (lena, "rule:link#phone")  # 312.555.0199 = +1 312 555 0199
    assert links["hubspot:102"] == (ridge, "rule:link#company-fuzzy")  # "Ridgeway Outdoor LLC"
    assert links["hubspot:101"] == (dana, "rule:link#company-fuzzy")
    assert stranger not in {cid for cid, _ in links.values()}
    assert _deal(rt.db, "102")["lead_contact_id"] == ridge
    # a second pass links nothing new and logs nothing new
    n = len(_events(rt.db, "crm_linked"))
    assert importer.link() == 0
    assert len(_events(rt.db, "crm_linked")) == n


def test_a_batch_is_imported_oldest_first(importer, rt, crm_fixtures):
    out = importer.import_files([crm_fixtures / D2, crm_fixtures / D1])
    assert [(o.path.name, o.status) for o in out] == [(D1, "imported"), (D2, "imported")]


def test_a_batch_read_ahead_in_a_worker_keeps_every_outcome(importer, rt, crm_fixtures):
    # the second and third files are read by the worker process: results and errors come back intact
    names = ["hubspot-crm-exports-all-contacts-2026-11-23.csv", D1, "hubspot-deals-missing-stage.csv"]
    out = {o.path.name: o for o in importer.import_files([crm_fixtures / n for n in names])}
    assert out[D1].status == "imported" and out[D1].events["deal_created"] == 8
    assert out["hubspot-deals-missing-stage.csv"].status == "quarantined"
    assert "'Deal Stage'" in out["hubspot-deals-missing-stage.csv"].detail
    assert rt.db.execute("SELECT COUNT(*) FROM crm_snapshots").fetchone()[0] == 2


def test_when_an_export_was_taken(crm_fixtures, tmp_path):
    import os
    from datetime import UTC, datetime

    from opsys.intake.crm_import import export_as_of
    from opsys.sources.crm import read_crm_export

    named = crm_fixtures / D1
    export = read_crm_export(named.read_bytes(), named.name)
    assert export_as_of(named, export, None) == ("2026-11-16T23:59:59+00:00", "file name")
    given = datetime(2026, 11, 17, 8, 30, tzinfo=UTC)
    assert export_as_of(named, export, given) == ("2026-11-17T08:30:00+00:00", "given")
    plain = tmp_path / "deals.csv"
    plain.write_bytes(named.read_bytes())
    assert export_as_of(plain, export, None) == ("2026-11-15T11:00:00+00:00", "newest 'last modified' in the rows")
    no_modified = read_crm_export((crm_fixtures / "hubspot-deals-renamed-duplicate-columns.csv").read_bytes(), "x.csv")
    os.utime(plain, (1_763_900_000, 1_763_900_000))
    assert export_as_of(plain, no_modified, None) == ("2025-11-23T12:13:20+00:00", "file modification time")


def test_a_drop_stored_before_a_stop_is_archived_on_the_next_run(importer, rt, crm_fixtures):
    drop = rt.ws.crm_drop / D1
    shutil.copy(crm_fixtures / D1, drop)
    importer.import_files([drop])
    stored = rt.ws.root / rt.db.execute("SELECT stored_path FROM crm_snapshots").fetchone()[0]
    stored.replace(drop)  # as if the process stopped between the commit and the move
    events = rt.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    out = importer.import_files([drop])[0]
    assert out.status == "unchanged" and "archived now" in out.detail
    assert stored.exists() and not drop.exists()
    assert rt.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == events
