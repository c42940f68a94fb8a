"""What real exports contain: encodings, delimiters, quoted newlines, money and date spellings."""

from __future__ import annotations

import codecs

import pytest

from opsys.sources.crm import read_crm_export
from opsys.sources.crm.reader import DateReader, parse_money, read_table, slash_order
from opsys.sources.errors import SourceError


@pytest.mark.parametrize("text, value, currency", [
    ("$12,500.00", 12500.0, "USD"),
    ("12.500,00 €", 12500.0, "EUR"),
    ("12 500,50 EUR", 12500.5, "EUR"),
    ("£1,234", 1234.0, "GBP"),
    ("A$1,200", 1200.0, "AUD"),  # not the "$" inside it
    ("C$ 5,000.00", 5000.0, "CAD"),
    ("7,250.50", 7250.5, None),
    ("12,5", 12.5, None),
    ("1.234.567", 1234567.0, None),
    ("(1,000.00)", -1000.0, None),
    ("9800", 9800.0, None),
    ("", None, None),
    ("n/a", None, None),
])
def test_money(text, value, currency):
    assert parse_money(text) == (value, currency)


def test_dates_in_every_spelling():
    read = DateReader("month_first")
    assert read("2026-11-23") == "2026-11-23"
    assert read("2026-11-23 10:00") == "2026-11-23T10:00:00+00:00"
    assert read("2026-11-10T15:04:05.000Z") == "2026-11-10T15:04:05+00:00"
    assert read("11/23/2026") == "2026-11-23"
    assert read("23.11.2026") == "2026-11-23"  # dots are always day first
    assert read("45306") == "2024-01-15"  # Excel serial day
    assert read("45306.5") == "2024-01-15T12:00:00+00:00"
    assert read("1700000000000") == "2023-11-14T22:13:20+00:00"  # Unix milliseconds
    assert read("Nov 5, 2026") == "2026-11-05"
    assert read("11/23/2026 3:30 PM") == "2026-11-23T15:30:00+00:00"
    assert read("not a date") is None and read("") is None
    assert DateReader("day_first")("03/04/2026") == "2026-04-03"
    assert DateReader("month_first")("03/04/2026") == "2026-03-04"


def test_a_file_tells_its_own_slash_order():
    assert slash_order(["03/04/2026", "25/04/2026"], "month_first") == "day_first"
    assert slash_order(["03/04/2026", "04/25/2026"], "day_first") == "month_first"
    assert slash_order(["03/04/2026"], "day_first") == "day_first"


def test_bom_cp1252_semicolons_quoted_newline(crm_fixtures):
    export = read_crm_export((crm_fixtures / "pipedrive-deals-2026-11-23.csv").read_bytes(), "pd.csv")
    assert export.spec.label == "Pipedrive deals export"
    assert any("Windows-1252" in w for w in export.warnings)
    by_id = {d.external_id: d for d in export.deals}
    assert by_id["11"].name == "Möbelwerk Schäfer – Shopify Shop"
    assert by_id["11"].value == 12500.0 and by_id["11"].currency == "EUR"
    assert by_id["11"].created_at == "2026-11-02" and by_id["11"].close_date == "2026-12-15"
    assert by_id["12"].status == "won" and by_id["13"].status == "lost" and by_id["11"].status == "open"
    assert by_id["14"].name == 'Fieldline Growth\nphase 2 (notes: "big")'
    assert by_id["14"].created_at == "2024-01-15"  # an Excel serial in a date column


def test_tab_delimited_and_utf8_bom(crm_fixtures):
    persons = read_crm_export((crm_fixtures / "pipedrive-persons-2026-11-23.csv").read_bytes(), "p.csv")
    assert persons.spec.label == "Pipedrive persons export"
    assert [c.email for c in persons.contacts] == ["joerg@moebelwerk-schaefer.example", "anna.private@example.org"]
    data = (crm_fixtures / "Opportunity.csv").read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    opp = read_crm_export(data, "Opportunity.csv")
    first = opp.deals[0]
    assert first.external_id == "0065g00000AbCdEAAV"  # the BOM is not part of the first header
    assert first.value == 9800.0 and first.close_date == "2026-12-30"  # 46386 as an Excel serial
    assert [d.status for d in opp.deals] == ["open", "open", "won"]


def test_blank_rows_renamed_and_duplicate_columns(crm_fixtures):
    export = read_crm_export((crm_fixtures / "hubspot-deals-renamed-duplicate-columns.csv").read_bytes(), "x.csv")
    a, b = export.deals
    assert (a.external_id, a.value) == ("201", 7250.5)  # first "Amount" empty: the duplicate column is read
    assert (b.external_id, b.value) == ("202", 3000.0)
    assert a.created_at == "2026-01-15"
    later = read_crm_export((crm_fixtures / "hubspot-crm-exports-all-deals-2026-11-23.csv").read_bytes(), "y.csv")
    assert len(later.deals) == 8  # the blank row is not a deal


def test_broken_csv_names_the_line():
    with pytest.raises(SourceError) as e:
        read_table(b'Record ID,Deal Name\n1,"unclosed\n2,ok\n', "bad.csv")
    assert "bad.csv" in str(e.value) and "line" in str(e.value)


def test_duplicate_ids_keep_the_later_row():
    data = b"Deal - ID,Deal - Title,Deal - Stage\n1,First,Lead In\n1,Second,Lead In\n"
    export = read_crm_export(data, "dup.csv")
    assert [d.name for d in export.deals] == ["Second"]
    assert any("appears again" in w for w in export.warnings)


def test_excel_unicode_text_export(crm_fixtures):
    # Excel's "Unicode Text" save: UTF-16 with BOM, tab-separated
    text = (crm_fixtures / "pipedrive-persons-2026-11-23.csv").read_text(encoding="utf-8")
    export = read_crm_export(text.encode("utf-16"), "persons.txt")
    assert [c.name for c in export.contacts] == ["Jörg Schäfer", "Anna Berger"]
    assert not export.warnings
