"""Any other CRM: a column mapping declared under the CRM tool's `settings:` in system_map/tools.yml.

    tools:
      crm:
        name: Zoho CRM
        kind: crm
        settings:
          format: mapped          # or auto: HubSpot/Pipedrive/Salesforce by headers, mapping as fallback
          crm_name: zoho
          mapping:
            contacts:
              columns: {id: Record Id, first_name: First Name, last_name: Last Name, email: Email, ...}
            deals:
              columns: {id: Record Id, name: Deal Name, stage: Stage, value: Amount, ...}

The settings are validated with tools.yml by the config layer (`SystemMap.crm`); this module only
turns a mapping into layouts the reader recognises.
"""

from __future__ import annotations

from opsys.config.pipeline_models import CrmToolSettings
from opsys.sources.crm.spec import FormatSpec


def mapped_specs(settings: CrmToolSettings) -> tuple[FormatSpec, ...]:
    """One layout per mapped object; every mapped header is part of its signature."""
    if settings.mapping is None:
        return ()
    out = []
    for obj, required in (("deals", ("id", "name", "stage")), ("contacts", ("id",))):
        m = getattr(settings.mapping, obj)
        if m is None:
            continue
        out.append(FormatSpec(
            crm=settings.crm_name, object=obj, label=f"{settings.crm_name} {obj} export (mapping in tools.yml)",
            signature=tuple(m.columns.values()),
            columns={field: (header,) for field, header in m.columns.items()},
            required=required,
        ))
    return tuple(out)
