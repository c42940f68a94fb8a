"""Harvest: the Detailed Time report export (Reports > Detailed time > Export > CSV) and invoices as CSV,
one row per line item with Harvest's invoice and line-item fields (kind, quantity, unit price, taxed)."""

from __future__ import annotations

from opsys.sources.documents.spec import DocumentSpec, register

TIME = DocumentSpec(
    tool="harvest", kind="timesheet", label="Harvest detailed time report",
    signature=("Hours Rounded", "Billable?", "Invoiced?", "Approved?", "Employee?", "Project Code",
               "External Reference URL"),
    columns={
        "date": ("Date", "Spent Date"),
        "client": ("Client",),
        "project": ("Project",),
        "task": ("Task",),
        "notes": ("Notes",),
        "hours": ("Hours",),
        "billable": ("Billable?",),
        "first_name": ("First Name",),
        "last_name": ("Last Name",),
        "person": ("Person", "User"),
        "rate": ("Billable Rate",),
        "billable_amount": ("Billable Amount",),
        "currency": ("Currency",),
    },
    required=("hours", "project"),
    fix="in Harvest run Reports > Detailed time for the period and Export > CSV",
)

INVOICES = DocumentSpec(
    tool="harvest", kind="invoice", label="Harvest invoice export",
    signature=("Taxed", "Taxed2", "Taxed 2", "Tax2 Amount", "Tax 2 Amount", "Line Item Kind", "Period Start"),
    columns={
        "number": ("Invoice ID", "Number", "Invoice Number"),
        "client": ("Client",),
        "project": ("Project",),
        "subject": ("Subject",),
        "issued": ("Issue Date", "Issued Date"),
        "currency": ("Currency",),
        "period_start": ("Period Start",),
        "period_end": ("Period End",),
        "item": ("Kind", "Line Item Kind"),
        "description": ("Description", "Line Item Description"),
        "quantity": ("Quantity",),
        "unit_price": ("Unit Price",),
        "amount": ("Line Amount", "Line Item Amount"),
        "taxed": ("Taxed",),
        "tax_rate": ("Tax",),
        "tax": ("Tax Amount",),
        "tax2": ("Tax2 Amount", "Tax 2 Amount"),
        "discount": ("Discount Amount",),
        "subtotal": ("Subtotal",),
        "total": ("Invoice Amount", "Amount"),
    },
    required=("number", "amount"),
    fix="in Harvest export the invoices with their line items as CSV",
)

register(TIME, INVOICES)
