"""Invoice, timesheet and measurement-sheet exports read from their real header layouts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from opsys.sources.documents import DocumentFormatError, read_document
from opsys.sources.errors import SourceError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "documents"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
LAYOUT = {"harvest_invoice": "harvest", "pdf_a": "pdf", "pdf_b": "pdf", "harvest_time": "harvest",
          "takeoff_csv": "takeoff", "takeoff_xlsx": "takeoff"}


def read(text: str, name: str = "export.csv", **kw: str):
    return read_document(text.encode("utf-8"), name, **kw)


@pytest.mark.parametrize("pair", MANIFEST["pairs"], ids=lambda p: p["pair"])
def test_every_fixture_is_told_apart_by_its_headers(pair):
    inv = read_document((FIXTURES / pair["invoice"]).read_bytes(), pair["invoice"])
    assert (inv.kind, inv.layout) == ("invoice", LAYOUT.get(pair["invoice_layout"], pair["invoice_layout"]))
    assert [i.number for i in inv.invoices] == [pair["invoice_number"]]
    assert inv.invoices[0].client == pair["client"]
    sheet = read_document((FIXTURES / pair["sheet"]).read_bytes(), pair["sheet"])
    assert sheet.layout == LAYOUT.get(pair["sheet_layout"], pair["sheet_layout"])
    assert sheet.entries or sheet.measurements


def test_xero_export_lines_taxes_and_totals():
    text = ("ContactName,EmailAddress,InvoiceNumber,Reference,InvoiceDate,DueDate,Total,TaxTotal,InvoiceAmountPaid,"
            "InvoiceAmountDue,InventoryItemCode,Description,Quantity,UnitAmount,Discount,LineAmount,AccountCode,"
            "TaxType,TaxAmount,Currency,Type,Sent,Status\n"
            "Casa Marisol Catering,a@x.test,INV-1043,Website refresh,15/03/2026,14/04/2026,1530.00,255.00,0,1530.00,,"
            "Menu update,14,75.00,,1050.00,200,20% (VAT on Income),210.00,GBP,Sales invoice,Sent,Awaiting Payment\n"
            "Casa Marisol Catering,a@x.test,INV-1043,Website refresh,15/03/2026,14/04/2026,1530.00,255.00,0,1530.00,,"
            "Design review,3,75.00,,225.00,200,20% (VAT on Income),45.00,GBP,Sales invoice,Sent,Awaiting Payment\n")
    doc = read(text, "Export.csv")
    assert (doc.layout, doc.label) == ("xero", "Xero invoice export")
    [inv] = doc.invoices
    assert (inv.number, inv.client, inv.project, inv.currency) == ("INV-1043", "Casa Marisol Catering",
                                                                   "Website refresh", "GBP")
    assert inv.issued == "2026-03-15"  # 15 > 12: the file is day-first
    assert (inv.tax, inv.total, inv.subtotal) == (255.0, 1530.0, None)
    first = inv.lines[0]
    assert (first.description, first.quantity, first.unit_price, first.amount, first.tax_amount, first.tax_rate,
            first.line) == ("Menu update", 14.0, 75.0, 1050.0, 210.0, 20.0, 2)


def test_xero_import_template_starred_headers_read_the_same():
    text = ("*ContactName,*InvoiceNumber,*InvoiceDate,*DueDate,*Description,*Quantity,*UnitAmount,LineAmount,"
            "*AccountCode,*TaxType,Currency\n"
            "Pryce Joinery,INV-7,2026-03-02,2026-04-01,Skirting board,12.5,20,250,200,No VAT,GBP\n")
    [inv] = read(text).invoices
    assert (inv.number, inv.lines[0].quantity, inv.lines[0].amount, inv.lines[0].tax_rate) == ("INV-7", 12.5, 250.0,
                                                                                                0.0)


def test_quickbooks_import_sheet_splits_customer_and_project():
    text = ("InvoiceNo,Customer,InvoiceDate,DueDate,Terms,Location,Memo,Item(Product/Service),ItemDescription,"
            "ItemQuantity,ItemRate,ItemAmount,Taxable,TaxRate\n"
            "1043,Casa Marisol Catering:Website refresh,03/02/2026,03/17/2026,Net 15,,,Hours,Menu update,14,75,1050,N,\n"
            ",,,,,,,Hours,Design review,3,75,225,N,\n")
    [inv] = read(text).invoices
    assert (inv.client, inv.project, inv.issued) == ("Casa Marisol Catering", "Website refresh", "2026-03-02")
    assert [(ln.description, ln.item, ln.amount) for ln in inv.lines] == [("Menu update", "Hours", 1050.0),
                                                                          ("Design review", "Hours", 225.0)]


def test_quickbooks_report_with_a_title_block_above_the_header():
    text = ("Northlight Studio\nSales by Customer Detail\n\"March 1-31, 2026\"\n\n"
            "Date,Transaction Type,Num,Customer,Product/Service,Memo/Description,Qty,Sales Price,Amount,Balance\n"
            "03/02/2026,Invoice,1043,Casa Marisol Catering,Hours,Menu update,14,75.00,\"1,050.00\",\"1,050.00\"\n")
    doc = read(text)
    assert doc.layout == "quickbooks"
    [inv] = doc.invoices
    assert (inv.number, inv.lines[0].quantity, inv.lines[0].unit_price, inv.lines[0].amount) == ("1043", 14.0, 75.0,
                                                                                                 1050.0)
    assert inv.lines[0].line == 6


def test_freshbooks_invoice_details_adds_both_taxes():
    text = ("Client Name,Invoice #,Date Issued,Invoice Status,Date Paid,Item Name,Item Description,Rate,Quantity,"
            "Discount Percentage,Line Subtotal,Tax 1 Type,Tax 1 Amount,Tax 2 Type,Tax 2 Amount,Line Total,Currency\n"
            "Atlas Freight,0000123,2026-03-02,sent,,Logo design,Two rounds,95.00,10,10,855.00,GST,42.75,PST,59.85,"
            "957.60,CAD\n")
    [inv] = read(text).invoices
    ln = inv.lines[0]
    assert (inv.number, inv.currency, ln.description, ln.item, ln.discount_percent, ln.tax_amount) == (
        "0000123", "CAD", "Two rounds", "Logo design", 10.0, pytest.approx(102.6))


def test_harvest_invoice_taxed_flag_and_invoice_amounts():
    text = ("Invoice ID,Client,Subject,Issue Date,Currency,Kind,Description,Quantity,Unit Price,Line Amount,Taxed,"
            "Project,Subtotal,Tax,Tax Amount,Discount Amount,Invoice Amount\n"
            "1067,Zephyr Kites,Shop migration - March,2026-03-02,USD,Service,Shop migration: QA testing,12.5,75,937.5,"
            "true,Shop migration,1001.5,8.5,79.69,0,1081.19\n"
            "1067,Zephyr Kites,,,,Product,Hosting,1,64,64,false,,,,,,\n")
    [inv] = read(text).invoices
    assert (inv.project, inv.subtotal, inv.tax_rate, inv.tax, inv.total) == ("Shop migration", 1001.5, 8.5, 79.69,
                                                                            1081.19)
    assert [ln.tax_rate for ln in inv.lines] == [None, 0.0]  # an untaxed line is rate 0


def test_harvest_detailed_time_semicolons_and_decimal_commas():
    text = ("Date;Client;Project;Project Code;Task;Notes;Hours;Hours Rounded;Billable?;Invoiced?;First Name;"
            "Last Name;Roles;Employee?;Billable Rate;Billable Amount;Currency\r\n"
            "2026-09-10;Mairie;Signalétique;;Réunions;Point d'étape;1,5;1,5;Yes;No;Hugo;Bernard;;Yes;95,00;142,50;"
            "Euro - EUR\r\n"
            "2026-09-11;Mairie;Signalétique;;Réunions;;2;2;No;No;Léa;Dubois;;Yes;0;0;Euro - EUR\r\n")
    doc = read(text)
    assert doc.layout == "harvest"
    a, b = doc.entries
    assert (a.person, a.hours, a.billable_rate, a.currency, a.billable, a.task) == ("Hugo Bernard", 1.5, 95.0, "EUR",
                                                                                    True, "Réunions")
    assert b.billable is False


def test_toggl_durations_and_amount_header_currency():
    text = ("User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,"
            "Tags,Amount (EUR)\n"
            "Camille Martin,c@x.test,Boulangerie Dupain,Site vitrine,Design,Maquettes,Yes,2026-09-01,09:00:00,"
            "2026-09-01,11:30:00,02:30:00,,187.50\n"
            "Ines Moreau,i@x.test,Boulangerie Dupain,Site vitrine,,Call,No,2026-09-01,14:00:00,2026-09-01,14:18:25,"
            "18:25 min,,\n")
    doc = read(text)
    assert doc.layout == "toggl"
    a, b = doc.entries
    assert (a.hours, a.billable_rate, a.currency, a.date) == (2.5, 75.0, "EUR", "2026-09-01")
    assert b.hours == pytest.approx((18 * 60 + 25) / 3600, abs=1e-4)


def test_clockify_decimal_hours_rate_and_invoice_id():
    text = ("Project,Client,Description,Task,User,Group,Email,Tags,Type,Billable,Invoiced,Invoice ID,Start Date,"
            "Start Time,End Date,End Time,Duration (h),Duration (decimal),Billable Rate (USD),Billable Amount (USD)\n"
            "Brand,Garage Leroy,Logo,Design,Hugo Bernard,,h@x.test,,Regular,Yes,Yes,INV-0042,09/15/2026,02:00 PM,"
            "09/15/2026,03:30 PM,01:30:00,1.50,80.00,120.00\n")
    doc = read(text)
    assert doc.layout == "clockify"
    [e] = doc.entries
    assert (e.hours, e.billable_rate, e.invoice, e.date, e.currency) == (1.5, 80.0, "INV-0042", "2026-09-15", "USD")


def test_takeoff_csv_job_above_the_table_and_totals_row_skipped():
    text = ("Job: 2291 Harbour St\nClient: Pryce Joinery\n\nRef,Item,Quantity,Unit,Rate\n"
            "01,Plasterboard ceiling,42.5,m²,18.00\n02,Internal doors,6,each,120\n,Total items,2,,\n")
    doc = read(text)
    assert (doc.kind, doc.layout) == ("measurement sheet", "takeoff")
    assert [(m.job, m.client, m.item, m.quantity, m.unit, m.rate, m.line) for m in doc.measurements] == [
        ("2291 Harbour St", "Pryce Joinery", "Plasterboard ceiling", 42.5, "m²", 18.0, 5),
        ("2291 Harbour St", "Pryce Joinery", "Internal doors", 6.0, "each", 120.0, 6)]


def test_takeoff_xlsx_read_with_openpyxl():
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(["Quantity take-off"])
    ws.append(["Job", "Item", "Measured Qty", "UOM"])
    ws.append(["14 Mill Lane", "Skirting board", 36.4, "lm"])
    ws.append(["14 Mill Lane", "Wall tiling", 12, "m2"])
    buf = io.BytesIO()
    book.save(buf)
    doc = read_document(buf.getvalue(), "takeoff.xlsx")
    assert [(m.job, m.item, m.quantity, m.unit, m.line) for m in doc.measurements] == [
        ("14 Mill Lane", "Skirting board", 36.4, "lm", 3), ("14 Mill Lane", "Wall tiling", 12.0, "m2", 4)]


def test_unknown_headers_name_them_and_the_fix():
    with pytest.raises(DocumentFormatError) as err:
        read("Title,Due,Owner\nA,B,C\n", "tasks.csv")
    msg = str(err.value)
    assert "tasks.csv" in msg and "Title, Due, Owner" in msg and "Xero" in msg and "Clockify" in msg


def test_missing_required_column_names_file_column_and_layout():
    with pytest.raises(DocumentFormatError) as err:
        read("ContactName,InvoiceNumber,Description,Quantity,UnitAmount\nAcme,INV-1,Work,1,10\n", "xero.csv")
    assert err.value.field == "LineAmount"
    assert "Xero invoice export" in str(err.value) and "xero.csv" in str(err.value)


def test_timesheet_row_without_hours_is_a_warning_not_a_guess():
    text = ("Project,Client,Description,Task,User,Billable,Start Date,Duration (h),Duration (decimal)\n"
            "Brand,Garage Leroy,Logo,Design,Hugo,Yes,09/15/2026,01:30:00,1.50\n"
            "Brand,Garage Leroy,Logo,Design,Hugo,Yes,09/16/2026,,\n")
    doc = read(text)
    assert len(doc.entries) == 1
    assert any("line 3" in w for w in doc.warnings)


def test_broken_files_raise_source_errors_naming_the_file():
    with pytest.raises(SourceError, match="sheet.xlsx: not an Excel workbook"):
        read_document(b"PK\x03\x04 not really a zip", "sheet.xlsx")
    with pytest.raises(SourceError, match="is not a document type"):
        read_document(b"x", "invoice.docx")
    with pytest.raises(SourceError, match="empty"):
        read_document(b"", "empty.csv")
