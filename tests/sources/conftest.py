"""Where the sources tests find their files: hand-written fixtures and the shared real mail."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"


@pytest.fixture
def fixture_bytes():
    """Read one hand-written fixture by file name."""
    return lambda name: (FIXTURES / name).read_bytes()


@pytest.fixture
def mail_fixtures() -> Path:
    """The real third-party mail corpus, or a skip when this is not beside a checkout."""
    root = REALDATA / "email_fixtures"
    if not root.is_dir():
        pytest.skip("../shared/realdata not present (only beside a checkout)")
    return root
