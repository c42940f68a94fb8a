"""Recognising real export layouts by their headers; a mapping in tools.yml for any other CRM."""

from __future__ import annotations

import pytest
import yaml

from opsys.config.loader import ConfigError, load_system_map
from opsys.config.pipeline_models import CrmToolSettings
from opsys.sources.crm import CrmFormatError, read_crm_export

REAL = {
    "hubspot_contacts_default_view_export.headers.csv": "HubSpot contacts export",
    "hubspot_contacts_all_properties_export_2023.headers.csv": "HubSpot contacts export",
    "pipedrive_deals_observed_columns.csv": "Pipedrive deals export",
    "pipedrive_persons_observed_columns.csv": "Pipedrive persons export",
    "salesforce_lead_api_fields_weekly_export_order.headers.csv": "Salesforce leads export",
    "salesforce_lead_field_labels.headers.csv": "Salesforce leads export",
}


def _with_row(header_line: bytes) -> tuple[bytes, list[str]]:
    """The real header row plus one data row whose cells are distinct ids and text."""
    header = header_line.decode("utf-8-sig").strip().split(",")
    row = [f"v{i}" for i in range(len(header))]
    return (",".join(header) + "\r\n" + ",".join(row) + "\r\n").encode(), header


@pytest.mark.parametrize("name, label", sorted(REAL.items()))
def test_real_header_rows_are_recognised(real_headers, name, label):
    data, header = _with_row((real_headers / name).read_bytes().splitlines()[0])
    export = read_crm_export(data, name)
    assert export.spec.label == label
    rec = (export.deals or export.contacts)[0]
    id_col = next(h for h in header if h in export.spec.columns["id"])
    assert rec.external_id == f"v{header.index(id_col)}"


def test_real_zoho_header_needs_a_mapping(real_headers):
    data, _ = _with_row((real_headers / "zoho_crm_leads_module_export_2026.headers.csv").read_bytes().splitlines()[0])
    with pytest.raises(CrmFormatError) as e:
        read_crm_export(data, "zoho.csv")
    assert "zoho.csv" in str(e.value) and "not a CRM export we recognise" in str(e.value)
    assert "tools.yml" in str(e.value)


@pytest.mark.parametrize("name, label, rows", [
    ("hubspot-crm-exports-all-deals-2026-11-16.csv", "HubSpot deals export", 8),
    ("hubspot-crm-exports-all-contacts-2026-11-23.csv", "HubSpot contacts export", 4),
    ("pipedrive-deals-2026-11-23.csv", "Pipedrive deals export", 4),
    ("pipedrive-persons-2026-11-23.csv", "Pipedrive persons export", 2),
    ("pipedrive-organizations-2026-11-23.csv", "Pipedrive organizations export", 2),
    ("Opportunity.csv", "Salesforce opportunities export", 3),
    ("Lead.csv", "Salesforce leads export", 1),
])
def test_fixture_exports(crm_fixtures, name, label, rows):
    export = read_crm_export((crm_fixtures / name).read_bytes(), name)
    assert export.spec.label == label
    assert export.rows == rows


def test_hubspot_fields(crm_fixtures):
    deals = read_crm_export((crm_fixtures / "hubspot-crm-exports-all-deals-2026-11-16.csv").read_bytes(), "d.csv").deals
    d = deals[1]
    assert (d.external_id, d.name, d.stage, d.owner, d.value, d.currency) == (
        "102", "Ridgeway Outdoor Shopify migration", "Presentation Scheduled", "Maya Okafor", 18000.0, "USD")
    assert d.created_at == "2026-10-01T08:00:00+00:00" and d.last_activity_at == "2026-10-05T14:00:00+00:00"
    contacts = read_crm_export((crm_fixtures / "hubspot-crm-exports-all-contacts-2026-11-23.csv").read_bytes(),
                               "c.csv").contacts
    assert (contacts[0].name, contacts[0].email, contacts[0].company) == (
        "Dana Harbor", "dana@harbordental.example", "Harbor Dental")


def test_missing_required_column_names_file_column_and_layout(crm_fixtures):
    with pytest.raises(CrmFormatError) as e:
        read_crm_export((crm_fixtures / "hubspot-deals-missing-stage.csv").read_bytes(), "hubspot-deals-missing-stage.csv")
    msg = str(e.value)
    assert "hubspot-deals-missing-stage.csv" in msg and "'Deal Stage'" in msg and "HubSpot deals export" in msg
    assert e.value.field == "Deal Stage"


def _zoho_tools(ws, settings: dict) -> None:
    path = ws.system_map / "tools.yml"
    doc = yaml.safe_load(path.read_text())
    doc["tools"]["crm"].update(name="Zoho CRM", settings=settings)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


ZOHO_MAPPING = {"format": "auto", "crm_name": "zoho", "mapping": {"contacts": {"columns": {
    "id": "Record Id", "first_name": "First Name", "last_name": "Last Name", "email": "Email", "phone": "Phone",
    "company": "Company", "owner": "Lead Owner", "created_at": "Created Time", "modified_at": "Modified Time",
    "status": "Lead Status", "source": "Lead Source"}}}}


def test_any_other_crm_through_a_mapping_in_tools_yml(workspace, crm_fixtures):
    _zoho_tools(workspace, ZOHO_MAPPING)
    m = load_system_map(workspace.system_map)
    settings = m.crm
    export = read_crm_export((crm_fixtures / "zoho-leads-2026-11-23.csv").read_bytes(), "zoho.csv", settings)
    assert export.crm == "zoho" and "mapping in tools.yml" in export.spec.label
    c = export.contacts[0]
    assert (c.external_id, c.name, c.email, c.owner, c.created_at) == (
        "zcrm_5725767000000411001", "Rosa Alvarez", "rosa@willowcreekbarn.example", "Jordan Reyes",
        "2026-11-19T10:15:00+00:00")
    # a mapping never hijacks a layout we recognise
    hub = read_crm_export((crm_fixtures / "hubspot-crm-exports-all-contacts-2026-11-23.csv").read_bytes(), "h.csv",
                          settings)
    assert hub.crm == "hubspot"


def test_a_bad_mapping_is_an_error_naming_tools_yml_line_and_field(workspace):
    _zoho_tools(workspace, {"format": "mapped", "mapping": {"deals": {"columns": {"id": "Deal Id", "stagee": "Stage"}}}})
    with pytest.raises(ConfigError) as e:  # loading the map (so `opsys check`, every command) says it
        load_system_map(workspace.system_map)
    msg = str(e.value)
    assert "tools.yml:" in msg and "tools.crm.settings.mapping.deals.columns" in msg
    assert "stagee" in msg and "name, stage" in msg


def test_format_pinned_to_one_crm(crm_fixtures):
    data = (crm_fixtures / "pipedrive-deals-2026-11-23.csv").read_bytes()
    with pytest.raises(CrmFormatError):
        read_crm_export(data, "pd.csv", CrmToolSettings(format="hubspot"))
