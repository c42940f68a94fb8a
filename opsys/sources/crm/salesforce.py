"""Salesforce exports: Data Export / Data Loader (API names) and report exports (field labels)."""

from __future__ import annotations

from opsys.sources.crm.spec import FormatSpec

OPPORTUNITIES = FormatSpec(
    crm="salesforce", object="deals", label="Salesforce opportunities export",
    signature=("StageName", "IsWon", "ForecastCategory", "Opportunity Name", "Opportunity ID", "Opportunity Owner"),
    columns={
        "id": ("Id", "Opportunity ID", "Opportunity Id"),
        "name": ("Name", "Opportunity Name"),
        "stage": ("StageName", "Stage"),
        "value": ("Amount",),
        "currency": ("CurrencyIsoCode", "Opportunity Currency", "Amount Currency"),
        "owner": ("OwnerId", "Opportunity Owner", "Owner Name"),
        "company": ("Account Name", "Account.Name", "AccountId"),
        "contact_email": ("Contact Email", "Email"),
        "created_at": ("CreatedDate", "Created Date"),
        "close_date": ("CloseDate", "Close Date"),
        "last_activity_at": ("LastActivityDate", "Last Activity"),
        "next_step": ("NextStep", "Next Step"),
        "stage_changed_at": ("LastStageChangeDate", "Last Stage Change Date"),
        "modified_at": ("LastModifiedDate", "Last Modified Date", "SystemModstamp"),
        "pipeline": ("Type",),
        "won": ("IsWon", "Won"),
        "closed": ("IsClosed", "Closed"),
    },
    required=("id", "name", "stage"),
)

LEADS = FormatSpec(
    crm="salesforce", object="contacts", label="Salesforce leads export",
    signature=("Lead ID", "IsConverted", "ConvertedOpportunityId", "MasterRecordId", "LeadSource"),
    columns={
        "id": ("Id", "Lead ID"),
        "name": ("Name", "Full Name"),
        "first_name": ("FirstName", "First Name"),
        "last_name": ("LastName", "Last Name"),
        "email": ("Email",),
        "phone": ("Phone", "MobilePhone", "Mobile"),
        "company": ("Company",),
        "owner": ("OwnerId", "Lead Owner"),
        "created_at": ("CreatedDate", "Create Date", "Created Date"),
        "last_activity_at": ("LastActivityDate", "Last Activity"),
        "modified_at": ("LastModifiedDate", "Last Modified Date", "SystemModstamp"),
        "status": ("Status", "Lead Status"),
        "source": ("LeadSource", "Lead Source"),
    },
    required=("id",),
    contact_kind="lead",
)

SPECS = (OPPORTUNITIES, LEADS)
