"""Measurement sheets and quantity take-offs (CSV or XLSX): one row per item with its quantity and unit,
the job either in a column or in a `Job:` line above the table. A priced take-off (bill of quantities)
may state the agreed rate."""

from __future__ import annotations

from opsys.sources.documents.spec import DocumentSpec, register

SHEET = DocumentSpec(
    tool="takeoff", kind="measurement sheet", label="measurement sheet",
    signature=("Job", "Job No", "Job Number", "Job Name", "UOM", "Unit", "Units", "Unit of Measure",
               "Measured Qty", "Measured Quantity", "Take-off Qty", "Takeoff Quantity", "Item"),
    columns={
        "job": ("Job", "Job No", "Job Number", "Job Name", "Project", "Site"),
        "item": ("Item", "Item Description", "Description", "Element", "Work Item"),
        "quantity": ("Measured Qty", "Measured Quantity", "Take-off Qty", "Takeoff Quantity", "Quantity", "Qty"),
        "unit": ("Unit", "UOM", "Units", "Unit of Measure"),
        "rate": ("Rate", "Unit Rate", "Agreed Rate"),
        "client": ("Client", "Customer"),
        "invoice": ("Invoice", "Invoice No", "Invoice Number"),
    },
    required=("item", "quantity"),
    fix="keep one header row with the columns Item, Quantity, Unit and Job (or a 'Job: ...' line above the table)",
)

register(SHEET)
