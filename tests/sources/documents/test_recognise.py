"""Which inbox drops are documents: PDFs and workbooks always, a CSV by a known layout's header with its
required columns (also under a title block); lead lists, and CSVs that merely share a word, are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsys.sources.documents import is_document

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "documents"


@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.iterdir() if p.suffix in (".csv", ".xlsx", ".pdf")),
                         ids=lambda p: p.name)
def test_every_document_fixture_is_a_document(path):
    assert is_document(path.read_bytes(), path.name)


@pytest.mark.parametrize("path", sorted((REPO / "opsys" / "sample" / "inbox").glob("*.csv")), ids=lambda p: p.name)
def test_the_sample_lead_lists_are_not(path):
    assert not is_document(path.read_bytes(), path.name)


@pytest.mark.parametrize("text", [
    "Name,Email,Company,Job,Unit\nAna,ana@x.example,Lopez,Owner,3\n",  # take-off words, but no Item / Quantity
    "Project,Client,Email\nShop,Lopez,ana@x.example\n",  # a Harvest word, but no hours
    "First Name;Last Name;E-Mail\nAna;Lopez;ana@x.example\n",
    "Invoice,Amount\n\"broken,1\n",  # not even readable: the lead reader says why
])
def test_csvs_that_only_share_a_word_are_lead_lists(text):
    assert not is_document(text.encode(), "list.csv")


def test_a_take_off_under_a_title_block_is_found():
    text = "Quantity take-off,,\nJob: 14 Mill Lane,,\n,,\nItem,Quantity,Unit\nSkirting board,36.5,m\n"
    assert is_document(text.encode(), "takeoff.csv")
    assert not is_document(text.encode(), "takeoff.eml")
