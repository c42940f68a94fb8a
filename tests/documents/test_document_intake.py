"""Documents dropped into a real workspace's inbox and consumed by the real intake: matched against
what is stored, checked, mismatches stored and shown on the founder's page, resolved by a corrected
document; the same file twice is stored once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsys.founder.document_items import founder_items
from opsys.records.founder import Section
from opsys.store.documents import all_mismatches, current_documents, open_mismatches
from opsys.store.events import list_events
from tests.documents.layouts import harvest_time, pdf_invoice, takeoff_xlsx, xero_invoice

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
CLIENT, PROJECT = "Casa Marisol Catering", "Website refresh"
BILLED = [("Menu update", 14, 75.0), ("Design review", 3, 75.0)]


class NoClassifier:
    """Documents never reach the message classifier: if one did, the dispatch would be wrong."""

    llm_status = None

    def classify_many(self, texts):
        raise AssertionError(f"a document went to the lead classifier: {texts[:1]}")


@pytest.fixture
def app(workspace):
    from opsys.app import open_app

    a = open_app(workspace, classifier=NoClassifier(), clock=lambda: NOW)
    yield a
    a.close()


def drop(app, files: dict[str, bytes]):
    for name, data in files.items():
        (app.ws.inbox / name).write_bytes(data)
    report = app.intake.consume(sorted(app.ws.inbox / n for n in files))
    return {o.path.name: o for o in report.outcomes}


def items(app):
    return list(founder_items(app, NOW))


def test_a_matching_pair_raises_nothing(app):
    out = drop(app, {"Export.csv": xero_invoice("INV-1043", CLIENT, PROJECT, BILLED),
                     "harvest_time_report_march.csv": harvest_time(CLIENT, PROJECT, [("Menu update", [6, 8]),
                                                                                     ("Design review", [3])])})
    assert {o.status for o in out.values()} == {"processed"}
    kinds = sorted(d.kind for d in current_documents(app.db))
    assert kinds == ["invoice", "timesheet"]
    assert open_mismatches(app.db) == [] and items(app) == []
    assert not list(app.ws.inbox.iterdir())  # both archived


def test_a_planted_hours_mismatch_is_one_item_in_plain_words_linking_both_documents(app):
    drop(app, {"Export.csv": xero_invoice("INV-1043", CLIENT, PROJECT, BILLED)})
    assert open_mismatches(app.db) == []  # alone, the invoice's arithmetic holds
    drop(app, {"harvest.csv": harvest_time(CLIENT, PROJECT, [("Menu update", [5, 3]), ("Design review", [3])])})
    [m] = open_mismatches(app.db)
    assert m.kind == "hours"
    assert m.explanation == ("invoice INV-1043 bills 14 h for *Menu update*; the timesheet logs 8 h for that task "
                             "(6 h more billed than logged; 450.00 GBP at stake)")
    [item] = items(app)
    assert item.section == Section.ANOMALY and item.title == m.explanation and item.money == 450.0
    invoice, sheet = item.evidence[:2]
    assert invoice.startswith(f"document {m.invoice_doc_id}: invoice INV-1043 (Xero invoice export, var/archive/")
    assert sheet.startswith(f"document {m.sheet_doc_id}: timesheet for Website refresh (Harvest detailed time report")
    assert f"opsys documents resolve {m.id}" in item.resolve
    [event] = [e for e in list_events(app.db) if e.kind == "document_mismatch"]
    assert event.message == m.explanation and event.decided_by == "rule:documents.yml"


def test_arithmetic_inside_one_invoice_line_and_tax(app):
    drop(app, {"wrong-line.csv": xero_invoice("INV-2001", CLIENT, PROJECT, BILLED, amounts={0: 1100.0}),
               "wrong-tax.csv": xero_invoice("INV-2002", "Pryce Joinery", "Shop", BILLED, tax_total=300.0)})
    found = {(m.invoice_number, m.kind): m for m in open_mismatches(app.db)}
    line = found[("INV-2001", "line_amount")]
    assert line.explanation == ("invoice INV-2001: *Menu update* is 14 x 75.00 GBP = 1,050.00 GBP, but the line "
                                "says 1,100.00 GBP")
    assert ("INV-2002", "tax") in found and "tax is 300.00 GBP" in found[("INV-2002", "tax")].explanation
    assert all(n in ("INV-2001", "INV-2002") for n, _ in found)


def test_an_xlsx_take_off_against_the_invoice_quantities(app):
    job = "2291 Harbour St"
    drop(app, {"takeoff-harbour.xlsx": takeoff_xlsx(job, [("Plasterboard ceiling", 42, "m2"),
                                                          ("Skirting board", 36.5, "m")]),
               "Export.csv": xero_invoice("INV-3001", "Pryce Joinery", job,
                                          [("Plasterboard ceiling", 48, 28.0), ("Skirting board", 36.5, 9.0)])})
    [m] = open_mismatches(app.db)
    assert (m.kind, m.subject, m.billed, m.expected) == ("quantity", "Plasterboard ceiling", 48.0, 42.0)
    assert "the measurement sheet for job 2291 Harbour St has 42" in m.explanation
    assert m.money_at_stake == 168.0  # 6 m2 x 28.00


def test_a_pdf_invoice_made_here_is_read_by_pypdf_and_checked(app):
    out = drop(app, {"invoice-1050.pdf": pdf_invoice("1050", CLIENT, PROJECT, [("Menu update", 10, 75.0)]),
                     "harvest.csv": harvest_time(CLIENT, PROJECT, [("Menu update", [4, 4])])})
    assert out["invoice-1050.pdf"].status == "processed"
    [inv] = [d for d in current_documents(app.db) if d.kind == "invoice"]
    assert (inv.layout, inv.extraction, inv.number, inv.total) == ("pdf", "rules", "1050", 900.0)
    [m] = open_mismatches(app.db)
    assert m.explanation.startswith("invoice 1050 bills 10 h for *Menu update*; the timesheet logs 8 h")


def test_a_corrected_invoice_resolves_the_mismatch(app):
    drop(app, {"harvest.csv": harvest_time(CLIENT, PROJECT, [("Menu update", [5, 3]), ("Design review", [3])]),
               "Export.csv": xero_invoice("INV-1043", CLIENT, PROJECT, BILLED)})
    [m] = open_mismatches(app.db)
    drop(app, {"Export (1).csv": xero_invoice("INV-1043", CLIENT, PROJECT, [("Menu update", 8, 75.0),
                                                                            ("Design review", 3, 75.0)])})
    assert open_mismatches(app.db) == [] and items(app) == []
    [after] = all_mismatches(app.db)
    assert (after.id, after.status, after.resolved_by) == (m.id, "resolved", after.resolved_by)
    assert after.resolved_by.startswith("document:")
    invoices = [d for d in current_documents(app.db) if d.kind == "invoice"]
    assert [d.file_name for d in invoices] == ["Export (1).csv"]  # the wrong one is superseded
    assert any(e.kind == "document_mismatch_resolved" for e in list_events(app.db))


def test_a_corrected_timesheet_resolves_it_too(app):
    drop(app, {"Export.csv": xero_invoice("INV-1043", CLIENT, PROJECT, BILLED),
               "harvest.csv": harvest_time(CLIENT, PROJECT, [("Menu update", [5, 3]), ("Design review", [3])])})
    assert len(open_mismatches(app.db)) == 1
    drop(app, {"harvest-fixed.csv": harvest_time(CLIENT, PROJECT, [("Menu update", [11, 3]), ("Design review", [3])])})
    assert open_mismatches(app.db) == []


def test_the_same_file_dropped_twice_is_stored_once(app):
    data = xero_invoice("INV-1043", CLIENT, PROJECT, BILLED)
    drop(app, {"Export.csv": data, "harvest.csv": harvest_time(CLIENT, PROJECT, [("Menu update", [5, 3])])})
    before = (len(current_documents(app.db)), [m.id for m in open_mismatches(app.db)])
    out = drop(app, {"Export-again.csv": data})
    assert out["Export-again.csv"].status == "duplicate"
    assert (len(current_documents(app.db)), [m.id for m in open_mismatches(app.db)]) == before
    assert (app.ws.archive / "duplicates" / "Export-again.csv").is_file()


def test_a_person_resolves_and_it_stays_resolved_while_it_reads_the_same(app):
    from opsys.intake.documents import NothingToDo, resolve_by_person

    drop(app, {"Export.csv": xero_invoice("INV-1043", CLIENT, PROJECT, BILLED),
               "harvest.csv": harvest_time(CLIENT, PROJECT, [("Menu update", [5, 3]), ("Design review", [3])])})
    [m] = open_mismatches(app.db)
    resolve_by_person(app.db, m.id, NOW, "maya", "agreed: 6 h of menu work done off the clock")
    assert items(app) == []
    with pytest.raises(NothingToDo, match="already resolved"):
        resolve_by_person(app.db, m.id, NOW, "maya", None)
    # another sheet of the same project arrives: the invoice is checked again, the resolution holds
    drop(app, {"toggl-other.csv": harvest_time(CLIENT, PROJECT, [("Copy editing", [0.1])])})
    assert open_mismatches(app.db) == []


def test_a_lead_list_csv_still_goes_to_lead_intake(app):
    text = "First Name,Last Name,Email Address,Company,Job Title\nAna,Lopez,ana@lopez.example,Lopez Bakery,Owner\n"
    (app.ws.inbox / "leads.csv").write_text(text)
    assert not app.intake.documents.claims(app.intake.drops.open(app.ws.inbox / "leads.csv"))


def test_a_crash_between_commit_and_move_is_finished_on_restart(app):
    data = xero_invoice("INV-1043", CLIENT, PROJECT, BILLED)
    out = drop(app, {"Export.csv": data})
    archived = out["Export.csv"].stored_at
    archived.rename(app.ws.inbox / "Export.csv")  # as if the process died after the commit, before the move
    again = app.intake.consume([app.ws.inbox / "Export.csv"]).outcomes[0]
    assert again.status == "recovered" and archived.is_file()
    assert len(current_documents(app.db)) == 1


def test_a_broken_invoice_export_is_quarantined_naming_the_column(app):
    text = xero_invoice("INV-1043", CLIENT, PROJECT, BILLED).decode("utf-8-sig").replace(",LineAmount,", ",Amount,")
    out = drop(app, {"Export.csv": text.encode()})
    o = out["Export.csv"]
    assert o.status == "quarantined"
    assert "required column 'LineAmount'" in o.detail and "Xero invoice export" in o.detail
    assert current_documents(app.db) == []


def test_a_scanned_pdf_is_quarantined_with_the_reason(app):
    from tests.documents.layouts import pdf_bytes

    out = drop(app, {"scan.pdf": pdf_bytes([])})
    assert out["scan.pdf"].status == "quarantined" and "no text layer" in out["scan.pdf"].detail


def test_without_an_llm_an_unreadable_pdf_is_quarantined_not_guessed(workspace):
    from opsys.app import open_app
    from tests.documents.layouts import pdf_bytes

    cfg = workspace.system_map / "classifier.yml"
    cfg.write_text(cfg.read_text().replace("  enabled: true", "  enabled: false", 1))
    a = open_app(workspace, classifier=NoClassifier(), clock=lambda: NOW)
    try:
        out = drop(a, {"statement.pdf": pdf_bytes([(50, 800, "Statement for Casa Marisol: 1,530.00 GBP", False)])})
        o = out["statement.pdf"]
        assert o.status == "quarantined"
        assert "no invoice number found" in o.detail and "no LLM may read it" in o.detail
    finally:
        a.close()


def test_an_export_of_several_invoices_is_one_document_each(app):
    first = xero_invoice("INV-1043", CLIENT, PROJECT, BILLED).decode("utf-8-sig")
    second = xero_invoice("INV-1044", "Pryce Joinery", "Shop", BILLED, amounts={1: 999.0}).decode("utf-8-sig")
    both = first + "".join(second.splitlines(keepends=True)[1:])  # one header, the rows of both
    drop(app, {"Export.csv": both.encode("utf-8-sig")})
    assert sorted(d.number for d in current_documents(app.db)) == ["INV-1043", "INV-1044"]
    assert {m.invoice_number for m in open_mismatches(app.db)} == {"INV-1044"}
