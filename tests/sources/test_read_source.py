"""read_source: dispatch by suffix and the SourceError message format."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from opsys.sources import SUPPORTED_SUFFIXES, SourceError, read_source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


@pytest.mark.parametrize(
    ("name", "channels"),
    [
        ("wordpress_form.eml", ["email"]),
        ("form_documented.json", ["web_form"]),
        ("call_note.txt", ["phone"]),
        ("note_frontmatter.md", ["referral"]),
        ("leads_bom_quoted.csv", ["csv", "csv", "csv"]),
    ],
)
def test_dispatch_by_suffix(name, channels):
    assert [m.channel for m in read_source(FIXTURES / name)] == channels


def test_suffix_is_case_insensitive_and_data_is_used_as_given(tmp_path):
    path = tmp_path / "LEAD.JSON"  # never written: the bytes come from the caller
    (msg,) = read_source(path, data=b'{"email": "a@example.com"}')
    assert msg.email == "a@example.com" and msg.source_name == "LEAD.JSON"


def test_unknown_suffix_names_the_supported_ones(tmp_path):
    with pytest.raises(SourceError) as caught:
        read_source(tmp_path / "scan.pdf", data=b"%PDF")
    assert "'.pdf'" in caught.value.problem
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in caught.value.fix
    assert set(SUPPORTED_SUFFIXES) == {".eml", ".json", ".txt", ".md", ".csv"}


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot be read"):
        read_source(tmp_path / "gone.eml")


def test_error_message_format_and_pickling():
    err = SourceError("lead.json", "'bob@' is not an address.", "write the full address", field="email")
    assert str(err) == "lead.json: field 'email': 'bob@' is not an address. Fix: write the full address"
    assert str(SourceError("a.csv", "empty", "export again")) == "a.csv: empty. Fix: export again"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.file, copy.field, copy.problem, copy.fix) == ("lead.json", "email", err.problem, err.fix)
