"""The shared field helpers: one shape of an email address for the whole package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import opsys
from opsys.sources.fields import EMAIL_ADDRESS

PACKAGE = Path(opsys.__file__).resolve().parent
# A compiled regex shaped like an address: an "@" and, after it, an escaped dot.
_ADDRESS_REGEX = re.compile(r"re\.compile\(.*@.*\\\.")


def test_one_email_pattern_in_the_package():
    """Issue 7: form.py, email.py and intake/normalise.py each had their own address regex."""
    found = [f"{path.relative_to(PACKAGE)}:{n}" for path in sorted(PACKAGE.rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if _ADDRESS_REGEX.search(line) and path.name != "fields.py"]
    assert found == [], "use opsys.sources.fields.EMAIL_ADDRESS instead"


@pytest.mark.parametrize("text,address", [
    ("dana@whitfield.example", "dana@whitfield.example"),
    ("Dana <dana@whitfield.example>", "dana@whitfield.example"),
    ("(mail: leads+web@mail.co.uk, or call)", "leads+web@mail.co.uk"),
    ("'dana@whitfield.example'", "dana@whitfield.example"),  # quotes around an address are not part of it
    ("ana@xn--80ak6aa92e.xn--p1ai", "ana@xn--80ak6aa92e.xn--p1ai"),
    ("not an address: a@b", None),
    ("x@host.c1", None),
])
def test_email_address_pattern(text, address):
    found = EMAIL_ADDRESS.search(text)
    assert (found.group(0) if found else None) == address
