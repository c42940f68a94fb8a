"""find_client: only the sender's domain grants a tier; failed authentication, a company name or a look-alike do not."""

from __future__ import annotations

import pytest

from opsys.rules.clients import find_client


@pytest.mark.parametrize("email,company,expected", [
    ("ana@harbordental.example", None, "Harbor Dental Group"),
    ("Ana@HarborDental.Example", None, "Harbor Dental Group"),
    ("ops@mail.harbordental.example", None, "Harbor Dental Group"),
    ("x@copperlinebrewing.example", "Harbor Dental Group", "Copperline Brewing"),  # email wins
    ("x@notharbordental.example", None, None),
    ("x@harbordental.example.evil.com", None, None),
    ("x@gmail.com", "Harbor Dental", None),
    (None, None, None),
    ("not-an-email", None, None),
])
def test_the_sender_domain_grants_the_tier(system_map, make_lead, email, company, expected) -> None:
    match = find_client(make_lead(email=email, company=company), system_map.clients)
    assert (match.client.name if match.client else None) == expected


@pytest.mark.parametrize("email,company", [
    ("stranger@gmail.example", "Harbor Dental Group"),  # issue 14: this got gold, +15 and a hot-lead notification
    (None, "northfield physio"),
    ("someone@gmail.com", "  Copperline   Brewing "),
])
def test_a_company_name_alone_is_a_hint_never_a_tier(system_map, make_lead, email, company) -> None:
    match = find_client(make_lead(email=email, company=company), system_map.clients)
    assert match.client is None
    assert match.named is not None and match.named.name.casefold() == " ".join(company.split()).casefold()
    assert "hint for a person" in match.reason and "no client tier" in match.reason


@pytest.mark.parametrize("failed", ["spf,dkim", "dmarc", "spf"])
def test_failed_authentication_of_the_domain_grants_no_tier(system_map, make_lead, failed) -> None:
    lead = make_lead(email="ceo@harbordental.example", fields={"auth_failed": failed})
    match = find_client(lead, system_map.clients)
    assert match.client is None
    assert match.named is not None and match.named.name == "Harbor Dental Group"
    assert "authentication failed" in match.reason and failed.split(",")[0] in match.reason
    assert match.inputs == {"domain": "harbordental.example", "company": None, "auth_failed": failed}


def test_authenticated_or_unchecked_mail_from_the_domain_keeps_its_tier(system_map, make_lead) -> None:
    match = find_client(make_lead(email="ceo@harbordental.example", fields={"auth_failed": ""}), system_map.clients)
    assert match.client is not None and match.client.tier == "gold"
    assert match.reason == "harbordental.example is Harbor Dental Group's domain" and match.lookalike is None


@pytest.mark.parametrize("email", [
    "ceo@harb0rdental.example",             # digit for letter
    "ceo@harbordentai.example",             # i for l
    "ceo@harbor-dental.example",            # one edit
    "ceo@hrabordental.example",             # two edits (swapped letters)
    "ceo@mail.harb0rdental.example",        # a subdomain of the look-alike
    "ceo@harbordental.com",                 # the client's name under another ending
    "ceo@harbordental.example.evil.com",    # the client's domain as someone else's subdomain
    "ceo@copperiinebrewing.example",
])
def test_look_alike_domains_are_flagged_and_get_no_tier(system_map, make_lead, email) -> None:
    match = find_client(make_lead(email=email, company="Harbor Dental Group"), system_map.clients)
    assert match.client is None
    assert match.lookalike in ("harbordental.example", "copperlinebrewing.example")
    assert "looks like" in match.reason


@pytest.mark.parametrize("email", ["x@notharbordental.example", "x@gmail.com", "x@northfield.example",
                                   "x@dental.example", "ana@harbordental.example"])
def test_ordinary_domains_are_not_look_alikes(system_map, make_lead, email) -> None:
    assert find_client(make_lead(email=email), system_map.clients).lookalike is None
