"""Xero sales invoices as CSV (Business > Invoices > Export), one row per invoice line; the import
template's starred headers (*ContactName, *InvoiceNumber ...) read the same."""

from __future__ import annotations

from opsys.sources.documents.spec import DocumentSpec, register

INVOICES = DocumentSpec(
    tool="xero", kind="invoice", label="Xero invoice export",
    signature=("ContactName", "InvoiceNumber", "UnitAmount", "LineAmount", "InventoryItemCode", "TaxTotal",
               "InvoiceAmountDue", "InvoiceAmountPaid", "POAddressLine1", "*ContactName", "*InvoiceNumber",
               "*UnitAmount"),
    columns={
        "number": ("InvoiceNumber",),
        "client": ("ContactName",),
        "project": ("Reference", "TrackingOption1"),
        "issued": ("InvoiceDate",),
        "currency": ("Currency",),
        "item": ("InventoryItemCode",),
        "description": ("Description",),
        "quantity": ("Quantity",),
        "unit_price": ("UnitAmount",),
        "discount_percent": ("Discount",),
        "amount": ("LineAmount",),
        "line_tax": ("TaxAmount",),
        "line_tax_rate": ("TaxType",),
        "subtotal": ("SubTotal",),
        "tax": ("TaxTotal",),
        "total": ("Total",),
    },
    required=("number", "amount"),
    fix="in Xero open Business > Invoices, select the invoices and Export as CSV (line amounts tax exclusive)",
)

register(INVOICES)
