import pytest

from opsys.rules.clients import find_client


@pytest.mark.parametrize("email,company,expected", [
    ("ana@harbordental.example", None, "Harbor Dental Group"),
    ("Ana@HarborDental.Example", None, "Harbor Dental Group"),
    ("ops@mail.harbordental.example", None, "Harbor Dental Group"),
    ("x@copperlinebrewing.example", "Harbor Dental Group", "Copperline Brewing"),  # email wins
    (None, "northfield physio", "Northfield Physio"),
    ("someone@gmail.com", "  Copperline   Brewing ", "Copperline Brewing"),
    ("x@notharbordental.example", None, None),
    ("x@harbordental.example.evil.com", None, None),
    ("x@gmail.com", "Harbor Dental", None),  # names must match exactly
    (None, None, None),
    ("not-an-email", None, None),
])
def test_find_client(system_map, email, company, expected) -> None:
    client = find_client(email, company, system_map.clients)
    assert (client.name if client else None) == expected
