"""HubSpot exports (CRM > Contacts / Deals > Export), as the UI writes them: labels, not internal names."""

from __future__ import annotations

from opsys.sources.crm.spec import FormatSpec

DEALS = FormatSpec(
    crm="hubspot", object="deals", label="HubSpot deals export",
    signature=("Deal Name", "Deal Stage", "Deal owner", "dealname", "dealstage"),
    columns={
        "id": ("Record ID", "Deal ID", "hs_object_id"),
        "name": ("Deal Name", "dealname"),
        "stage": ("Deal Stage", "dealstage"),
        "value": ("Amount", "Amount in company currency", "amount"),
        "currency": ("Currency", "Deal currency code", "deal_currency_code"),
        "owner": ("Deal owner", "HubSpot Owner", "hubspot_owner_id"),
        "company": ("Associated Company", "Associated Company (Primary)", "Company name"),
        "contact_name": ("Associated Contact", "Associated Contact (Primary)"),
        "contact_email": ("Associated Contact Email", "Contact email"),
        "created_at": ("Create Date", "createdate"),
        "close_date": ("Close Date", "closedate"),
        "last_activity_at": ("Last Activity Date", "notes_last_updated"),
        "next_activity_at": ("Next Activity Date", "notes_next_activity_date"),
        "next_step": ("Next step", "hs_next_step"),
        "stage_changed_at": ("Last Stage Change Date", "Date entered current stage"),
        "modified_at": ("Last Modified Date", "hs_lastmodifieddate"),
        "pipeline": ("Pipeline",),
        "won": ("Is Closed Won", "hs_is_closed_won"),
        "closed": ("Is Deal Closed?", "Is closed", "hs_is_closed"),
    },
    required=("id", "name", "stage"),
)

CONTACTS = FormatSpec(
    crm="hubspot", object="contacts", label="HubSpot contacts export",
    signature=("Contact owner", "Lifecycle Stage", "Primary Associated Company ID", "Marketing contact status",
               "HubSpot Score"),
    columns={
        "id": ("Record ID", "Contact ID", "hs_object_id"),
        "first_name": ("First Name", "firstname"),
        "last_name": ("Last Name", "lastname"),
        "email": ("Email", "email"),
        "phone": ("Phone Number", "Mobile Phone Number", "phone"),
        "company": ("Company Name", "Associated Company", "company"),
        "owner": ("Contact owner", "hubspot_owner_id"),
        "created_at": ("Create Date", "createdate"),
        "last_activity_at": ("Last Activity Date", "notes_last_updated"),
        "modified_at": ("Last Modified Date", "lastmodifieddate"),
        "status": ("Lead Status", "Lifecycle Stage"),
        "source": ("Original Source", "Latest Source"),
    },
    required=("id",),
)

SPECS = (DEALS, CONTACTS)
