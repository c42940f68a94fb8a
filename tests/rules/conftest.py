"""Shared fixtures: the real sample system map and a Lead builder."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Callable

import pytest

from opsys.config.loader import ConfigError, load_system_map
from opsys.config.models import SystemMap
from opsys.records import Lead

SYSTEM_MAP = Path(__file__).resolve().parents[2] / "system_map"
# A Tuesday, so weekday and month arithmetic in the tests is easy to check by hand.
NOW = datetime(2026, 2, 10, 9, 0)


@pytest.fixture(scope="session")
def system_map(tmp_path_factory: pytest.TempPathFactory) -> SystemMap:
    try:
        return load_system_map(SYSTEM_MAP)
    except ConfigError as e:
        # Rules never read the classifier's labeled examples; while examples/ is still being
        # written, load a copy with one placeholder so every other file is the real sample.
        if not all(p.file.name == "examples" or p.file.parent.name == "examples" for p in e.problems):
            raise
        copy = tmp_path_factory.mktemp("system_map") / "system_map"
        shutil.copytree(SYSTEM_MAP, copy)
        (copy / "examples").mkdir(exist_ok=True)
        (copy / "examples" / "placeholder.yml").write_text(
            "- {text: 'Can you quote a new website?', category: routine, is_lead: true}\n", encoding="utf-8")
        return load_system_map(copy)


@pytest.fixture
def make_lead() -> Callable[..., Lead]:
    def build(body: str = "", **kw: object) -> Lead:
        values: dict[str, object] = dict(
            channel="email", source_name="test", position=0, name="Pat Doe", email=None, phone=None,
            company=None, subject="", body=body, received_at=NOW, attachments=[], fields={}, warnings=[],
        )
        values.update(kw)
        return Lead(**values)  # type: ignore[arg-type]

    return build


def known_texts() -> list[str]:
    """Every labeled example and sample-inbox file, and a few odd phrasings: what the rules' quick
    tests (a cheap search that skips the full pattern set) are checked against."""
    import yaml

    from opsys.workspace import SAMPLE_INBOX

    found = ["We've been in business 3 years and need the new site in 6 weeks.", "by February", "go live 2027-01-15",
             "deadline 15.01.2027", "before Black Friday", "by Thursday", "2027 Q3", "the 3rd quarter of '27",
             "Launch by mid-April", "end of day please", "needed by EOD", "year-end push", "a 6-wk turnaround",
             "We're a 12-man shop", "we employ about 40", "We are 25 strong", "a team of 8", "~30 people here",
             "120 full-time employees", "headcount: 300", "3 FTEs"]
    for path in sorted((SYSTEM_MAP / "examples").glob("*.yml")):
        found += [str(e["text"]) for e in (yaml.safe_load(path.read_text()) or []) if isinstance(e, dict) and "text" in e]
    for path in sorted(SAMPLE_INBOX.iterdir()):
        found.append(path.read_bytes().decode("utf-8", "replace"))
    return found
