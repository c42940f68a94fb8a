"""PDF invoices read from their text layer with pypdf; a PDF without one is refused, never guessed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from opsys.sources.documents import read_document
from opsys.sources.errors import SourceError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "documents"
_spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("make_fixtures", make_fixtures)  # dataclasses look their module up by name
_spec.loader.exec_module(make_fixtures)  # type: ignore[union-attr]
pdf = make_fixtures._pdf


def test_style_a_labels_table_and_vat_rate():
    data = pdf([(50, 800, "INVOICE", True), (50, 780, "Invoice No: 1043", False), (50, 766, "Date: 2026-03-02", False),
                (50, 752, "Bill To: Casa Marisol Catering", False), (50, 738, "Project: Website refresh", False),
                (50, 700, "Description", True), (300, 700, "Qty", True), (350, 700, "Unit", True),
                (400, 700, "Rate", True), (480, 700, "Amount", True),
                (50, 686, "Menu update", False), (300, 686, "14", False), (350, 686, "h", False),
                (400, 686, "€75.00", False), (480, 686, "€1,050.00", False),
                (50, 672, "Design (review)", False), (300, 672, "3", False), (350, 672, "h", False),
                (400, 672, "€75.00", False), (480, 672, "€225.00", False),
                (400, 640, "Subtotal", False), (480, 640, "€1,275.00", False), (400, 626, "VAT 20%", False),
                (480, 626, "€255.00", False), (400, 612, "Total", True), (480, 612, "€1,530.00", True)])
    doc = read_document(data, "invoice-1043.pdf")
    assert (doc.kind, doc.layout) == ("invoice", "pdf")
    [inv] = doc.invoices
    assert (inv.number, inv.client, inv.project, inv.issued, inv.currency) == (
        "1043", "Casa Marisol Catering", "Website refresh", "2026-03-02", "EUR")
    assert [(ln.description, ln.quantity, ln.unit, ln.unit_price, ln.amount) for ln in inv.lines] == [
        ("Menu update", 14.0, "h", 75.0, 1050.0), ("Design (review)", 3.0, "h", 75.0, 225.0)]
    assert (inv.subtotal, inv.tax, inv.tax_rate, inv.total) == (1275.0, 255.0, 20.0, 1530.0)


def test_style_b_client_below_bill_to_and_codes_not_symbols():
    data = read_document((FIXTURES / "pair02-pdf_b-invoice.pdf").read_bytes(), "pair02-pdf_b-invoice.pdf")
    [inv] = data.invoices
    assert inv.number.startswith("NS-") and inv.currency == "AUD"
    assert inv.client and inv.project and inv.issued
    assert inv.total == pytest.approx(round((inv.subtotal or 0) + (inv.tax or 0), 2))
    assert all(ln.amount is not None and ln.quantity is not None for ln in inv.lines)


def test_a_pdf_without_text_is_refused_with_the_reason():
    with pytest.raises(SourceError) as err:
        read_document(pdf([]), "scan.pdf")
    assert err.value.field == "text" and "no text layer" in str(err.value)


def test_a_pdf_without_an_invoice_number_names_the_field():
    data = pdf([(50, 800, "Quote", True), (50, 700, "Description", True), (300, 700, "Amount", True)])
    with pytest.raises(SourceError) as err:
        read_document(data, "quote.pdf")
    assert err.value.field == "invoice number"


def test_not_a_pdf_at_all():
    with pytest.raises(SourceError, match="not a PDF file"):
        read_document(b"<html>invoice</html>", "invoice.pdf")
    with pytest.raises(SourceError, match="cannot be opened"):
        read_document(b"%PDF-1.4\n1 0 obj broken", "broken.pdf")
