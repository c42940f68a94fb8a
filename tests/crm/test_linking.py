"""Linking rules: email, then phone, then fuzzy company name; nothing for a stranger."""

from opsys.rules.linking import COMPANY, EMAIL, PHONE, CrmParty, LeadContact, company_key, link_parties, phone_key

LEADS = [
    LeadContact(1, "dana@harbordental.example", None, "Harbor Dental"),
    LeadContact(2, None, "+13125550199", "Fisch & Co"),
    LeadContact(3, "tom@x.example", "+4930123456", "Möbelwerk Schäfer GmbH"),
]


def test_order_of_rules():
    parties = [
        CrmParty(("a",), "Dana@HarborDental.example", "+4930123456", "Möbelwerk Schäfer"),  # email wins
        CrmParty(("b",), None, "312.555.0199", None),
        CrmParty(("c",), "other@x.example", None, "Moebelwerk Schaefer"),
        CrmParty(("d",), None, None, "Möbelwerk Schäfer G.m.b.H."),
        CrmParty(("e",), "z@z.example", "000", "Completely Different Ltd"),
    ]
    got = {ln.key[0]: (ln.contact_id, ln.rule) for ln in link_parties(LEADS, parties)}
    assert got["a"] == (1, EMAIL)
    assert got["b"] == (2, PHONE)
    assert got["c"] == (3, COMPANY)
    assert got["d"] == (3, COMPANY)
    assert "e" not in got


def test_keys():
    assert phone_key("+1 (312) 555-0199") == phone_key("312.555.0199")
    assert phone_key("555") is None
    assert company_key("The Harbor Dental, Inc.") == company_key("harbor dental") == "harbor dental"
    assert company_key("Co") is None


def test_similar_but_different_companies_do_not_link():
    leads = [LeadContact(1, None, None, "Summit Ridge Veterinary")]
    parties = [CrmParty(("x",), None, None, "Summit Roofing"), CrmParty(("y",), None, None, "Summit Ridge Vet Clinic")]
    assert [ln.key for ln in link_parties(leads, parties)] == []
    parties = [CrmParty(("z",), None, None, "Summit Ridge Veterinary LLC")]
    assert [ln.key for ln in link_parties(leads, parties)] == [("z",)]
