"""parse_csv: encodings, delimiters, quoted newlines, tolerant headers, nothing dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsys.sources.csvfile import parse_csv
from opsys.sources.errors import SourceError


def test_semicolon_windows_1252_list(fixture_bytes):
    rows = parse_csv(fixture_bytes("leads_semicolon_cp1252.csv"), "leads_semicolon_cp1252.csv")
    assert [m.position for m in rows] == [1, 2]
    first = rows[0]
    assert first.channel == "csv"
    assert (first.name, first.email, first.phone, first.company) == (
        "Jürgen Müller", "juergen@mueller-bau.de", "+49 30 901820", "Müller Bau GmbH",
    )
    assert first.body == "Möchte Angebot für Website – bis März"
    assert first.subject == "Lead list: leads_semicolon_cp1252.csv"
    assert any("Windows-1252" in w for w in first.warnings)
    assert rows[1].phone is None and rows[1].name == "Chloé Dupont"


def test_bom_quoted_newlines_blank_rows_and_duplicate_headers(fixture_bytes):
    rows = parse_csv(fixture_bytes("leads_bom_quoted.csv"), "leads_bom_quoted.csv")
    # Row 2 is blank and skipped; positions keep the file's row numbers.
    assert [m.position for m in rows] == [1, 3, 4]
    ada = rows[0]
    assert ada.name == "Ada Lovelace" and ada.email == "ada@engines.co.uk"
    assert ada.body == "Asked about:\r\n- a portal\r\n- SSO"
    assert ada.fields["extra.Email_2"] == "ada.l@gmail.com"
    assert ada.fields["extra.Score"] == "87"
    assert ada.fields["job_title"] == "CTO" and ada.fields["lead_source"] == "Webinar"
    assert ada.warnings == []


def test_row_without_contact_is_kept_with_a_warning(fixture_bytes):
    rows = parse_csv(fixture_bytes("leads_bom_quoted.csv"), "leads_bom_quoted.csv")
    babbage = rows[1]
    assert babbage.name == "Charles Babbage" and babbage.company == "Difference, Ltd"
    assert babbage.warnings == ["row 3 has no email or phone"]


def test_row_without_notes_gets_a_summary_body(fixture_bytes):
    grace = parse_csv(fixture_bytes("leads_bom_quoted.csv"), "leads_bom_quoted.csv")[2]
    assert grace.body == "Name: Grace Hopper; Email: grace@navy.example.com; Job Title: Admiral; Lead Source: Event"


def test_tab_delimited(fixture_bytes):
    (row,) = parse_csv(fixture_bytes("leads_tab.csv"), "leads_tab.csv")
    assert (row.name, row.email, row.phone, row.company) == ("Lin Wei", "lin@wei.cn", "+86 10 6552 9988", "Wei Trading")
    assert row.fields == {"budget": "20000"}


def test_header_spaces_case_and_dates():
    data = b"  EMAIL ADDRESS , Created Date,Colour\nann@example.com,2026-11-02 10:00,red\n"
    (row,) = parse_csv(data, "x.csv")
    assert row.email == "ann@example.com"
    assert row.received_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    assert row.fields == {"extra.Colour": "red"}


def test_extra_cells_beyond_headers_are_kept():
    (row,) = parse_csv(b"email\nann@example.com,surprise\n", "x.csv")
    assert row.fields == {"extra.column 2": "surprise"}


def test_no_identifying_column_names_the_headers(fixture_bytes):
    with pytest.raises(SourceError) as caught:
        parse_csv(fixture_bytes("broken_leads_no_identity.csv"), "broken_leads_no_identity.csv")
    assert "Company, City, Revenue" in caught.value.problem
    assert caught.value.file == "broken_leads_no_identity.csv"


@pytest.mark.parametrize("data", [b"", b"\n\n", b",,,\n;;\n", b"email\x00,phone\n", b'"email\n'])
def test_empty_or_binary_csv_is_refused(data):
    with pytest.raises(SourceError):
        parse_csv(data, "bad.csv")


def test_unclosed_quote_is_reported_not_merged():
    with pytest.raises(SourceError) as caught:
        parse_csv(b'email,name\n"a@example.com,Bob\nb@example.com,Ann\n', "q.csv")
    assert "unclosed quote" in caught.value.fix


def test_header_only_list_yields_nothing():
    assert parse_csv(b"Name,Email\n", "x.csv") == []


def test_a_list_mixing_utf8_and_windows_1252_rows_is_read_row_by_row(fixture_bytes):
    """Issue 14: the whole file was read as cp1252, so `José García` became `JosÃ© GarcÃ­a`."""
    rows = parse_csv(fixture_bytes("leads_mixed_encoding.csv"), "leads_mixed_encoding.csv")
    assert [(r.name, r.company) for r in rows] == [
        ("José García", "García Diseño"), ("Renée Dubois", "Café Noir"), ("Zoë Brontë", "Brontë & Co")]
    assert all("Ã" not in r.body for r in rows)
    (warning,) = {w for r in rows for w in r.warnings}
    assert "mixes UTF-8 and Windows-1252" in warning and "line 3" in warning


def test_a_list_wholly_in_windows_1252_is_still_read_as_one(fixture_bytes):
    rows = parse_csv("Name,Email\nJosé,j@x.example\nRenée,r@x.example\n".encode("cp1252"), "w.csv")
    assert [r.name for r in rows] == ["José", "Renée"]
    assert all("not UTF-8" in r.warnings[0] for r in rows)
