"""Pipedrive exports (Deals / People / Organizations > Export), `Entity - Field` columns."""

from __future__ import annotations

from opsys.sources.crm.spec import FormatSpec

DEALS = FormatSpec(
    crm="pipedrive", object="deals", label="Pipedrive deals export",
    signature=("Deal - Title", "Deal - Stage", "Deal - ID"),
    columns={
        "id": ("Deal - ID",),
        "name": ("Deal - Title",),
        "stage": ("Deal - Stage",),
        "status": ("Deal - Status",),
        "value": ("Deal - Value",),
        "currency": ("Deal - Currency", "Deal - Currency of Value"),
        "owner": ("Deal - Owner", "Deal - Owner name"),
        "company": ("Deal - Organization", "Organization - Name"),
        "contact_name": ("Deal - Contact person", "Person - Name"),
        "contact_email": ("Person - Email - Work", "Person - Email", "Person - Email - Home", "Person - Email - Other"),
        "contact_phone": ("Person - Phone - Work", "Person - Phone", "Person - Phone - Mobile"),
        "created_at": ("Deal - Deal created", "Deal - Add time", "Deal - Created"),
        "close_date": ("Deal - Expected close date",),
        "closed_at": ("Deal - Won time", "Deal - Deal closed on", "Deal - Close time", "Deal - Lost time"),
        "last_activity_at": ("Deal - Last activity date",),
        "next_activity_at": ("Deal - Next activity date",),
        "stage_changed_at": ("Deal - Last stage change", "Deal - Stage change time"),
        "modified_at": ("Deal - Update time", "Deal - Last update"),
        "pipeline": ("Deal - Pipeline",),
    },
    required=("id", "name", "stage"),
)

PERSONS = FormatSpec(
    crm="pipedrive", object="contacts", label="Pipedrive persons export",
    signature=("Person - ID",),
    columns={
        "id": ("Person - ID",),
        "name": ("Person - Name",),
        "first_name": ("Person - First name",),
        "last_name": ("Person - Last name",),
        "email": ("Person - Email - Work", "Person - Email", "Person - Email - Home", "Person - Email - Other"),
        "phone": ("Person - Phone - Work", "Person - Phone", "Person - Phone - Mobile", "Person - Phone - Home",
                  "Person - Phone - Other"),
        "company": ("Person - Organization", "Organization - Name"),
        "owner": ("Person - Owner",),
        "created_at": ("Person - Person created", "Person - Add time"),
        "last_activity_at": ("Person - Last activity date",),
        "modified_at": ("Person - Update time",),
        "status": ("Person - Label",),
    },
    required=("id",),
)

ORGANIZATIONS = FormatSpec(
    crm="pipedrive", object="organizations", label="Pipedrive organizations export",
    signature=("Organization - ID",),
    columns={
        "id": ("Organization - ID",),
        "name": ("Organization - Name",),
        "owner": ("Organization - Owner",),
        "created_at": ("Organization - Organization created", "Organization - Add time"),
        "last_activity_at": ("Organization - Last activity date",),
        "modified_at": ("Organization - Update time",),
        "status": ("Organization - Label",),
    },
    required=("id", "name"),
    contact_kind="organization",
)

SPECS = (DEALS, PERSONS, ORGANIZATIONS)
