"""Toggl Track's Detailed report as CSV (Reports > Detailed > Export > Download CSV); older exports say
User / End date, newer ones Member / Stop date. Amount carries the currency in its header."""

from __future__ import annotations

from opsys.sources.documents.spec import DocumentSpec, register

TIME = DocumentSpec(
    tool="toggl", kind="timesheet", label="Toggl Track detailed report",
    signature=("Duration", "Stop date", "Stop time", "Member", "Amount (*)"),
    columns={
        "date": ("Start date",),
        "person": ("User", "Member"),
        "client": ("Client",),
        "project": ("Project",),
        "task": ("Task",),
        "notes": ("Description",),
        "billable": ("Billable",),
        "duration": ("Duration",),
        "billable_amount": ("Amount (*)",),
    },
    required=("duration", "project"),
    fix="in Toggl Track open Reports > Detailed and Export > Download CSV",
)

register(TIME)
