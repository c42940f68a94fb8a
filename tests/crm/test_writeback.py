"""Write-back: import-ready files in the CRM's own layout, formula-safe, each item once, logged."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from opsys.notify.crm_writeback import LAYOUTS, neutralise, write_back
from opsys.store.events import list_events

from .conftest import add_lead

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def _rows(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_neutralise():
    assert neutralise("=1+2") == "'=1+2" and neutralise("+1 312 555") == "'+1 312 555"
    assert neutralise("-5") == "'-5" and neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise("\t=x") == "'\t=x"
    assert neutralise("Acme") == "Acme" and neutralise(None) == "" and neutralise(12) == "12"


def test_hubspot_files(importer, rt, crm_fixtures):
    add_lead(rt.db, name="Dana Harbor", email="dana@harbordental.example", company="Harbor Dental", owner="priya")
    add_lead(rt.db, name="=cmd|' /C calc'!A0", email="evil@attacker.example", company="@Formula Widgets", owner="jordan",
             phone="+15551234567")
    importer.import_files([crm_fixtures / "hubspot-crm-exports-all-contacts-2026-11-23.csv",
                           crm_fixtures / "hubspot-crm-exports-all-deals-2026-11-16.csv"])
    importer.link()
    files = {w.kind: w for w in write_back(rt.db, rt.ws.outbox / "crm", rt.map, NOW)}
    assert set(files) == {"new-leads", "owner-updates", "tasks"}

    leads = _rows(files["new-leads"].file)
    assert tuple(leads[0]) == LAYOUTS["hubspot"]["new-leads"]
    assert len(leads) == 2  # Dana is already a HubSpot contact: only the unknown lead is new
    evil = dict(zip(leads[0], leads[1]))
    assert evil["Last Name"] == "'=cmd|'" or evil["First Name"].startswith("'=")
    # issue 14: an E.164 phone in a phone column is written bare (the CRM would store the apostrophe)
    assert evil["Company Name"] == "'@Formula Widgets" and evil["Phone Number"] == "+15551234567"
    assert evil["Contact owner"] == "Jordan Reyes" and evil["opsys score"] == "72"  # as HubSpot spells him
    assert "budget" in evil["opsys note"]

    owners = _rows(files["owner-updates"].file)
    assert owners[1] == ["5001", "dana@harbordental.example", "Priya Natarajan"]  # opsys routed her; HubSpot: Jordan

    tasks = _rows(files["tasks"].file)
    titles = {r[0] for r in tasks[1:]}
    assert "Follow up: Ridgeway Outdoor Shopify migration" in titles  # gone quiet
    assert "'Follow up: =HYPERLINK" not in titles and all(not t.startswith("=") for t in titles)

    logged = list_events(rt.db, kind="crm_writeback")
    assert {e.decided_by for e in logged} == {"rule:crm_writeback#new-leads", "rule:crm_writeback#owner-updates",
                                              "rule:crm_writeback#tasks"}
    # each item is written once: nothing new, no new file
    assert write_back(rt.db, rt.ws.outbox / "crm", rt.map, NOW) == []


def test_pipedrive_layout_and_nothing_without_an_import(importer, rt, crm_fixtures):
    add_lead(rt.db, name="Jörg Schäfer", email="new@lead.example", company="Neu GmbH")
    assert write_back(rt.db, rt.ws.outbox / "crm", rt.map, NOW) == []  # no CRM known yet: nothing to write for
    importer.import_files([crm_fixtures / "pipedrive-deals-2026-11-23.csv"])
    files = {w.kind: w for w in write_back(rt.db, rt.ws.outbox / "crm", rt.map, NOW)}
    header, row = _rows(files["new-leads"].file)
    assert tuple(header) == LAYOUTS["pipedrive"]["new-leads"]
    assert row[:2] == ["Jörg Schäfer", "new@lead.example"] and row[4] == "Jordan Reyes"
    assert files["new-leads"].file.name.startswith("pipedrive-new-leads-")


def test_neutralise_after_any_separator_the_file_could_be_read_with():
    # a ;-locale spreadsheet splits ";=1+1" into a second cell "=1+1": that cell start is neutralised too
    assert neutralise(";=1+1") == ";'=1+1" and neutralise("a\t@cmd") == "a\t'@cmd"
    assert neutralise("x|+1") == "x|'+1" and neutralise("Smith; Jones") == "Smith; Jones"


def test_phone_columns_keep_e164_numbers_but_not_formulas():
    assert neutralise("+13125550147", "Phone Number") == "+13125550147"  # no apostrophe stored in the CRM
    assert neutralise("+13125550147", "opsys note") == "'+13125550147"  # elsewhere, the usual rule
    assert neutralise("+1=HYPERLINK(x)", "Phone") == "'+1=HYPERLINK(x)"
