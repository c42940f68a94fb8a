"""Outbound side: notifications now; mail drafts and CRM write-back files later."""
