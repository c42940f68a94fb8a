"""FreshBooks invoices as CSV: the Invoice Details report (Reports > Invoice Details > Export), one row per
invoice line with its taxes."""

from __future__ import annotations

from opsys.sources.documents.spec import DocumentSpec, register

INVOICES = DocumentSpec(
    tool="freshbooks", kind="invoice", label="FreshBooks Invoice Details report",
    signature=("Invoice #", "Date Issued", "Line Subtotal", "Line Total", "Tax 1 Amount", "Tax 1 Type",
               "Item Name", "Invoice Status"),
    columns={
        "number": ("Invoice #", "Invoice Number"),
        "client": ("Client Name", "Organization", "Client"),
        "project": ("Project",),
        "issued": ("Date Issued", "Issue Date"),
        "currency": ("Currency",),
        "item": ("Item Name", "Item"),
        "description": ("Item Description", "Description"),
        "quantity": ("Quantity", "Qty"),
        "unit_price": ("Rate", "Unit Cost"),
        "discount_percent": ("Discount Percentage",),
        "amount": ("Line Subtotal",),
        "line_tax": ("Tax 1 Amount",),
        "line_tax2": ("Tax 2 Amount",),
        "line_tax_rate": ("Tax 1 Type",),
        "total": ("Invoice Total",),
    },
    required=("number", "amount"),
    fix="in FreshBooks run Reports > Invoice Details for the period and export it as CSV",
)

register(INVOICES)
