"""Clockify's Detailed report as CSV (Reports > Detailed > Export > Save as CSV); rates and amounts carry
the currency in their header, and billed entries name their invoice."""

from __future__ import annotations

from opsys.sources.documents.spec import DocumentSpec, register

TIME = DocumentSpec(
    tool="clockify", kind="timesheet", label="Clockify detailed report",
    signature=("Duration (h)", "Duration (decimal)", "Billable Rate (*)", "Billable Amount (*)", "Date of creation",
               "Group"),
    columns={
        "date": ("Start Date",),
        "person": ("User",),
        "client": ("Client",),
        "project": ("Project",),
        "task": ("Task",),
        "notes": ("Description",),
        "billable": ("Billable",),
        "hours": ("Duration (decimal)",),
        "duration": ("Duration (h)",),
        "rate": ("Billable Rate (*)",),
        "billable_amount": ("Billable Amount (*)",),
        "invoice": ("Invoice ID",),
    },
    required=("project",),
    fix="in Clockify open Reports > Detailed and Export > Save as CSV",
)

register(TIME)
