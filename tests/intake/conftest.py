"""Intake tests share the CRM tests' model-free app fixture."""

from tests.crm.conftest import rt  # noqa: F401  (a fixture)
