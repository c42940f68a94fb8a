"""Invoices checked against their own arithmetic, their timesheets and their measurement sheets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opsys.records.documents import Invoice, InvoiceLine, MeasurementLine, TimeEntry
from opsys.rules.document_checks import (
    DocumentTolerance,
    check_against_sheets,
    check_documents,
    check_invoice_arithmetic,
    match_documents,
)
from opsys.sources.documents import read_document

TOL = DocumentTolerance()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"


def invoice(*lines: InvoiceLine, **kw: object) -> Invoice:
    values: dict[str, object] = dict(number="1043", client="Casa Marisol Catering", project="Website refresh",
                                     currency="EUR", source="invoice-1043.csv", layout="xero")
    values.update(kw)
    return Invoice(lines=list(lines), **values)  # type: ignore[arg-type]


def line(desc: str, qty: float, price: float, amount: float | None = None, unit: str | None = "h",
         n: int = 2, **kw: object) -> InvoiceLine:
    return InvoiceLine(desc, qty, unit, price, round(qty * price, 2) if amount is None else amount, line=n,
                       **kw)  # type: ignore[arg-type]


def entry(task: str, hours: float, rate: float | None = 75.0, project: str = "Website refresh", n: int = 2,
          **kw: object) -> TimeEntry:
    values: dict[str, object] = dict(date="2026-02-20", person="Hugo Bernard", client="Casa Marisol Catering",
                                     project=project, task=task, hours=hours, billable_rate=rate, source="time.csv",
                                     line=n)
    values.update(kw)
    return TimeEntry(**values)  # type: ignore[arg-type]


def measured(item: str, qty: float, unit: str = "m2", rate: float | None = None, n: int = 2) -> MeasurementLine:
    return MeasurementLine(job="2291 Harbour St", item=item, quantity=qty, unit=unit, rate=rate, client="Pryce Joinery",
                           source="takeoff.csv", line=n)


def test_the_founders_example_says_it_in_plain_words_and_links_both_documents():
    inv = invoice(line("Menu update", 14, 75, n=4), line("Homepage design", 6, 75, n=5))
    entries = [entry("Menu update", 5, n=3), entry("Menu update", 3, n=9), entry("Homepage design", 6, n=4)]
    mismatches, notes = check_documents([inv], entries, [], TOL)
    [m] = mismatches
    assert m.kind == "hours"
    assert m.explanation.startswith("invoice 1043 bills 14 h for *Menu update*; the timesheet logs 8 h for that task")
    assert "6 h more billed than logged" in m.explanation and "450.00 EUR at stake" in m.explanation
    assert (m.billed, m.expected, m.money_at_stake, m.currency, m.subject) == (14, 8, 450.0, "EUR", "Menu update")
    assert [str(d) for d in m.documents] == ["invoice 1043 (invoice-1043.csv line 4)",
                                            "timesheet Website refresh (time.csv lines 3, 9)"]
    assert m.severity == "medium"
    assert notes == []


def test_hours_within_the_tolerance_pass_and_the_tolerance_is_the_callers():
    inv = invoice(line("Menu update", 8, 75))
    entries = [entry("Menu update", 7.9)]
    assert check_documents([inv], entries, [], TOL)[0] == []
    strict = DocumentTolerance(hours=0.05)
    assert [m.kind for m in check_documents([inv], entries, [], strict)[0]] == ["hours"]


def test_unit_price_against_the_timesheet_rate_weighted_over_people():
    inv = invoice(line("Menu update", 8, 95))
    entries = [entry("Menu update", 4, rate=75), entry("Menu update", 4, rate=85)]  # 80 an hour on average
    [m] = check_documents([inv], entries, [], TOL)[0]
    assert (m.kind, m.billed, m.expected, m.money_at_stake) == ("unit_price", 95, 80, 120.0)
    assert "charges 95.00 EUR per h for *Menu update*; the timesheet's billable rate for that task is 80.00 EUR" \
           in m.explanation


def test_no_rate_on_some_entries_means_no_price_comparison():
    inv = invoice(line("Menu update", 8, 95))
    assert check_documents([inv], [entry("Menu update", 4), entry("Menu update", 4, rate=None)], [], TOL)[0] == []


def test_work_not_billed_and_billed_work_not_logged():
    inv = invoice(line("Menu update", 8, 75), line("Analytics setup", 5, 75, n=3))
    entries = [entry("Menu update", 8), entry("QA testing", 12.5)]
    mismatches, _ = check_documents([inv], entries, [], TOL)
    by_kind = {m.kind: m for m in mismatches}
    assert set(by_kind) == {"missing_line", "extra_line"}
    assert by_kind["missing_line"].explanation == ("the timesheet logs 12.5 h for *QA testing*; invoice 1043 bills "
                                                  "nothing for it (937.50 EUR not billed)")
    assert by_kind["missing_line"].severity == "high"
    assert by_kind["extra_line"].subject == "Analytics setup" and by_kind["extra_line"].money_at_stake == 375.0


def test_expense_lines_are_noted_not_compared_and_non_billable_time_is_left_out():
    inv = invoice(line("Menu update", 8, 75), line("Travel expenses", 1, 64, unit="each"))
    entries = [entry("Menu update", 8), entry("Menu update", 3, billable=False)]
    mismatches, notes = check_documents([inv], entries, [], TOL)
    assert mismatches == []
    assert notes == ["invoice 1043: *Travel expenses* is not work on a sheet; not compared"]


def test_quantities_against_the_measurement_sheet_with_unit_spellings():
    inv = invoice(line("Plasterboard ceiling", 50, 18, unit="m²"), line("Internal doors", 6, 120, unit="ea"),
                  project="2291 Harbour St", client="Pryce Joinery Ltd", number="1058")
    sheet = [measured("Plasterboard ceiling", 42.5, "m2", 18), measured("Internal doors", 6, "each", 120, n=3)]
    [m] = check_documents([inv], [], sheet, TOL)[0]
    assert (m.kind, m.billed, m.expected, m.money_at_stake) == ("quantity", 50, 42.5, 135.0)
    assert m.explanation.startswith("invoice 1058 bills 50 m² of *Plasterboard ceiling*; the measurement sheet for "
                                    "job 2291 Harbour St has 42.5 m²")


def test_units_that_differ_are_a_note_not_a_comparison():
    inv = invoice(line("Skirting board", 40, 12, unit="m2"), project="2291 Harbour St", client="Pryce Joinery")
    mismatches, notes = check_documents([inv], [], [measured("Skirting board", 36, "lm")], TOL)
    assert mismatches == []
    assert any("billed in m2 but the measurement sheet counts lm" in n for n in notes)


def test_take_off_rate_and_quantity_rounding():
    inv = invoice(line("Floor screed", 40.3, 27.5, unit="m2"), project="2291 Harbour St", client="Pryce Joinery")
    [m] = check_documents([inv], [], [measured("Floor screed", 40.0, rate=24.5)], TOL)[0]  # 0.75 % off: rounding
    assert (m.kind, m.expected) == ("unit_price", 24.5)
    assert "the take-off's agreed rate is 24.50 EUR" in m.explanation


def test_line_arithmetic_with_a_discount():
    ok = line("Logo design", 10, 95, amount=855.0, discount_percent=10.0)
    wrong = line("Copy editing", 12, 110, amount=1420.0, n=3)
    mismatches, _ = check_invoice_arithmetic(invoice(ok, wrong), TOL)
    [m] = mismatches
    assert m.kind == "line_amount" and m.money_at_stake == 100.0
    assert m.explanation == "invoice 1043: *Copy editing* is 12 x 110.00 EUR = 1,320.00 EUR, but the line says " \
                            "1,420.00 EUR"


def test_subtotal_tax_and_total():
    lines = [line("Menu update", 14, 75), line("Homepage design", 3, 75)]  # 1,275.00
    assert check_invoice_arithmetic(invoice(*lines, subtotal=1275.0, tax=255.0, tax_rate=20.0, total=1530.0), TOL) \
        == ([], [])
    kinds = lambda inv: [m.kind for m in check_invoice_arithmetic(inv, TOL)[0]]  # noqa: E731
    assert kinds(invoice(*lines, subtotal=1525.0, tax=305.0, tax_rate=20.0, total=1830.0)) == ["subtotal"]
    assert kinds(invoice(*lines, subtotal=1275.0, tax=292.5, tax_rate=20.0, total=1567.5)) == ["tax"]
    assert kinds(invoice(*lines, subtotal=1275.0, tax=255.0, tax_rate=20.0, total=1710.0)) == ["total"]
    # a discount lowers the taxed base and the total
    assert kinds(invoice(*lines, subtotal=1275.0, discount=75.0, tax=240.0, tax_rate=20.0, total=1440.0)) == []


def test_tax_from_line_taxes_and_untaxed_lines():
    taxed = line("Menu update", 10, 75, tax_amount=150.0)
    also = line("Hosting", 1, 64, unit="each", tax_amount=12.8, n=3)
    assert check_invoice_arithmetic(invoice(taxed, also, tax=162.8, total=976.8), TOL) == ([], [])
    [m] = check_invoice_arithmetic(invoice(taxed, also, tax=200.3, total=1014.3), TOL)[0]
    assert m.kind == "tax" and "its line taxes (2 lines) give 162.80 EUR" in m.explanation
    untaxed = line("Hosting", 1, 64, unit="each", tax_rate=0.0, n=3)  # Harvest: Taxed = false
    assert check_invoice_arithmetic(invoice(line("Menu update", 10, 75), untaxed, tax_rate=8.5, tax=63.75,
                                            total=877.75), TOL) == ([], [])


def test_a_total_without_tax_is_checked_as_tax_free_and_says_so():
    mismatches, notes = check_invoice_arithmetic(invoice(line("Menu update", 10, 75), total=750.0), TOL)
    assert mismatches == [] and "no tax stated" in notes[0]


def test_matching_by_invoice_number_before_project():
    inv = invoice(line("Menu update", 8, 75), number="INV-01043", project="Something else entirely")
    entries = [entry("Menu update", 8, invoice="1043", project="Website refresh")]
    [found], notes = match_documents([inv], entries, [])
    assert found.matched_by == "invoice number" and len(found.entries) == 1 and notes == []


def test_matching_project_names_codes_dates_and_another_project():
    entries = [entry("Menu update", 8), entry("Menu update", 3, project="Retainer Website refresh")]
    for project in ("P-204 Website refresh", "Website refresh - March 2026", "website-refresh"):
        [found], _ = match_documents([invoice(project=project)], entries, [])
        assert [e.hours for e in found.entries] == [8], project
    [found], notes = match_documents([invoice(project="Booking site")], entries, [])
    assert found.entries == [] and "only its own arithmetic was checked" in notes[0]


def test_a_typo_matches_but_another_number_is_another_job():
    entries = [entry("Menu update", 8, project="Website refresh phase 1"),
               entry("Menu update", 5, project="Websit refresh")]
    [found], _ = match_documents([invoice(project="Website refresh phase 2")], entries, [])
    assert found.entries == []  # fuzzy ratio 96, but phase 2 is not phase 1
    [found], _ = match_documents([invoice(project="Website refresh")], entries[1:], [])
    assert [e.hours for e in found.entries] == [5]
    east = [entry("Menu update", 8, project="88 Orchard Way east")]
    assert match_documents([invoice(project="88 Orchard Way west")], east, [])[0][0].entries == []  # a short word


def test_another_client_with_the_same_project_name_is_not_matched():
    [found], _ = match_documents([invoice()], [entry("Menu update", 8, client="Harbor Dental Studio")], [])
    assert found.entries == []


def test_an_invoice_naming_no_project_takes_the_project_its_lines_bill():
    inv = invoice(line("Menu update", 8, 75), line("Homepage design", 3, 75), project=None)
    entries = [entry("Menu update", 8), entry("Homepage design", 3), entry("Hosting support", 3, project="Retainer")]
    mismatches, notes = check_documents([inv], entries, [], TOL)
    assert mismatches == []
    assert any("names no project" in n and "'Website refresh'" in n for n in notes)


def test_two_invoices_of_one_project_bill_the_time_between_their_dates():
    march = invoice(line("Menu update", 8, 75), issued="2026-03-01")
    april = invoice(line("Menu update", 2, 75), issued="2026-04-01", number="1044")
    entries = [entry("Menu update", 8, date="2026-02-20"), entry("Menu update", 2, date="2026-03-15")]
    assert check_documents([march, april], entries, [], TOL)[0] == []


def test_checks_do_not_change_their_inputs():
    inv = invoice(line("Menu update", 14, 75))
    entries = [entry("Menu update", 8)]
    before = (repr(inv), repr(entries))
    check_documents([inv], entries, [], TOL)
    check_against_sheets(match_documents([inv], entries, [])[0][0], TOL)
    assert (repr(inv), repr(entries)) == before


def _fixture_pairs() -> list[dict]:
    return json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))["pairs"]


@pytest.mark.parametrize("pair", _fixture_pairs(), ids=lambda p: p["pair"])
def test_each_fixture_pair_finds_exactly_what_was_planted(pair):
    docs = [read_document((FIXTURES / n).read_bytes(), n) for n in (pair["invoice"], pair["sheet"])]
    mismatches, _ = check_documents([i for d in docs for i in d.invoices], [e for d in docs for e in d.entries],
                                    [m for d in docs for m in d.measurements], TOL)
    found = sorted((m.kind, m.subject if p_subject else None) for m, p_subject in
                   ((m, next((x["subject"] for x in pair["planted"] if x["kind"] == m.kind), None)) for m in mismatches))
    planted = sorted((x["kind"], x["subject"]) for x in pair["planted"])
    assert [(k, s.split(": ")[-1] if s else s) for k, s in found] == planted, [m.explanation for m in mismatches]
