"""CRM exports → records. A layout is one FormatSpec registered by its CRM's module (hubspot.py,
pipedrive.py, salesforce.py; mapped.py for any other CRM via tools.yml); export.py reads a file."""

from opsys.sources.crm.export import (
    BUILTIN_SPECS,
    ExportRead,
    detect_format,
    read_crm_export,
    read_export,
    read_export_bytes,
)
from opsys.sources.crm.spec import CrmExport, CrmFormatError

__all__ = ["BUILTIN_SPECS", "CrmExport", "CrmFormatError", "ExportRead", "detect_format", "read_crm_export",
           "read_export", "read_export_bytes"]
